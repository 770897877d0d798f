//! The database schema, written once for SQLite and PostgreSQL (portable column types only).

diesel::table! {
    merchants (id) {
        id -> Text,
        name -> Text,
        category -> Text,
        address -> Text,
        lat -> Double,
        lng -> Double,
        m_mark -> Bool,
        created_at -> Timestamp,
        suspended_at -> Nullable<Timestamp>,
        suspend_reason -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        merchant_id -> Nullable<Text>,
        merchant_role -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        username_key -> Text,
        must_change_password -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        token_version -> Integer,
        kept_token -> Nullable<Text>,
    }
}

diesel::table! {
    visitors (id) {
        id -> Text,
        locale -> Text,
        #[sql_name = "ref"]
        ref_ -> Nullable<Text>,
        device_hash -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        banned_at -> Nullable<Timestamp>,
        ban_reason -> Nullable<Text>,
        banned_by -> Nullable<Text>,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        district -> Text,
        description -> Nullable<Text>,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        budget_avos -> Nullable<BigInt>,
        daily_budget_avos -> Nullable<BigInt>,
        committed_avos -> BigInt,
    }
}

diesel::table! {
    enrolments (id) {
        id -> Text,
        campaign_id -> Text,
        merchant_id -> Text,
        status -> Text,
        submitted_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        reason -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    points (id) {
        id -> Text,
        campaign_id -> Text,
        name -> Text,
        kind -> Text,
        lat -> Double,
        lng -> Double,
        radius_m -> Integer,
        rotating -> Bool,
        rotate_seconds -> Integer,
        require_location -> Bool,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    device_setups (code_hash) {
        code_hash -> Text,
        point_id -> Text,
        created_by -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        point_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        secret -> Nullable<Text>,
    }
}

diesel::table! {
    checkins (id) {
        id -> Text,
        visitor_id -> Text,
        point_id -> Text,
        campaign_id -> Text,
        method -> Text,
        day -> Date,
        scanned_at -> Timestamp,
        received_at -> Timestamp,
        lat -> Nullable<Double>,
        lng -> Nullable<Double>,
        nonce -> Nullable<Text>,
        #[sql_name = "ref"]
        ref_ -> Nullable<Text>,
        first_visit -> Bool,
    }
}

diesel::table! {
    checkin_refusals (id) {
        id -> Text,
        visitor_id -> Nullable<Text>,
        point_id -> Nullable<Text>,
        campaign_id -> Nullable<Text>,
        reason -> Text,
        method -> Text,
        lat -> Nullable<Double>,
        lng -> Nullable<Double>,
        day -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offers (id) {
        id -> Text,
        campaign_id -> Text,
        name -> Text,
        kind -> Text,
        face_value_avos -> BigInt,
        min_spend_avos -> BigInt,
        percent_off -> Integer,
        max_discount_avos -> BigInt,
        stock -> Integer,
        issued -> Integer,
        per_visitor_limit -> Integer,
        valid_days -> Integer,
        valid_until -> Timestamp,
        trigger_type -> Text,
        trigger_count -> Nullable<Integer>,
        opens_at -> Nullable<Timestamp>,
        eligible_categories -> Text,
        created_at -> Timestamp,
        requires_verified -> Bool,
        paused -> Bool,
    }
}

diesel::table! {
    coupons (id) {
        id -> Text,
        code -> Text,
        offer_id -> Text,
        campaign_id -> Text,
        visitor_id -> Text,
        seq -> Integer,
        status -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        day -> Date,
        checkin_id -> Nullable<Text>,
        #[sql_name = "ref"]
        ref_ -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        voided_by -> Nullable<Text>,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    redemptions (id) {
        id -> Text,
        coupon_id -> Text,
        offer_id -> Text,
        campaign_id -> Text,
        merchant_id -> Text,
        user_id -> Text,
        spend_avos -> BigInt,
        discount_avos -> BigInt,
        ecash_avos -> BigInt,
        status -> Text,
        day -> Date,
        created_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        settlement_id -> Nullable<Text>,
        #[sql_name = "ref"]
        ref_ -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (merchant_id, key) {
        merchant_id -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    settlements (id) {
        id -> Text,
        campaign_id -> Text,
        merchant_id -> Text,
        period_from -> Date,
        period_to -> Date,
        amount_avos -> BigInt,
        redemptions_count -> Integer,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        paid_by -> Nullable<Text>,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ledger (id) {
        id -> BigInt,
        campaign_id -> Text,
        kind -> Text,
        offer_id -> Nullable<Text>,
        coupon_id -> Nullable<Text>,
        redemption_id -> Nullable<Text>,
        merchant_id -> Nullable<Text>,
        settlement_id -> Nullable<Text>,
        amount_avos -> BigInt,
        created_at -> Timestamp,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    ledger_pending (id) {
        id -> BigInt,
        campaign_id -> Text,
        kind -> Text,
        offer_id -> Nullable<Text>,
        coupon_id -> Nullable<Text>,
        redemption_id -> Nullable<Text>,
        merchant_id -> Nullable<Text>,
        settlement_id -> Nullable<Text>,
        amount_avos -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_head (id) {
        id -> Integer,
        last_id -> BigInt,
        last_hash -> Text,
        rows_count -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    bank_accounts (merchant_id) {
        merchant_id -> Text,
        account_name -> Text,
        bank -> Text,
        account_number -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payouts (id) {
        id -> Text,
        status -> Text,
        total_avos -> BigInt,
        statements_count -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        confirmed_by -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        bank_reference -> Nullable<Text>,
    }
}

diesel::table! {
    payout_items (settlement_id) {
        settlement_id -> Text,
        payout_id -> Text,
        merchant_id -> Text,
        payee -> Text,
        bank -> Text,
        account_number -> Text,
        amount_avos -> BigInt,
        reference -> Text,
    }
}

diesel::table! {
    pageviews (id) {
        id -> BigInt,
        campaign_id -> Text,
        path -> Text,
        #[sql_name = "ref"]
        ref_ -> Nullable<Text>,
        visitor_hash -> Text,
        day -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    page_visitors (campaign_id, visitor_hash) {
        campaign_id -> Text,
        visitor_hash -> Text,
        day -> Date,
    }
}

diesel::table! {
    stats_days (campaign_id, day) {
        campaign_id -> Text,
        day -> Date,
        facts -> Text,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    survey_answers (campaign_id, merchant_id) {
        campaign_id -> Text,
        merchant_id -> Text,
        came_because_of_campaign -> Bool,
        estimate_pct -> Nullable<Integer>,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    holidays (day) {
        day -> Date,
        name -> Text,
    }
}

diesel::table! {
    pledge_indicators (id) {
        id -> Text,
        position -> Integer,
        service_item -> Text,
        indicator -> Text,
        clock -> Text,
        deadline_working_days -> Integer,
        target_pct -> Double,
    }
}

diesel::table! {
    pledge_footnotes (indicator_id, year) {
        indicator_id -> Text,
        year -> Integer,
        text -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    visitor_addresses (address_hash) {
        address_hash -> Text,
        visitor_id -> Text,
        channel -> Text,
        hint -> Text,
        verified_at -> Timestamp,
    }
}

diesel::table! {
    verification_codes (address_hash, visitor_id) {
        address_hash -> Text,
        visitor_id -> Text,
        channel -> Text,
        hint -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    verification_locks (address_hash) {
        address_hash -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    campaign_budget_days (campaign_id, day) {
        campaign_id -> Text,
        day -> Date,
        committed_avos -> BigInt,
    }
}

diesel::table! {
    purchase_stamps (campaign_id, visitor_id, merchant_id, day) {
        campaign_id -> Text,
        visitor_id -> Text,
        merchant_id -> Text,
        day -> Date,
        spend_avos -> BigInt,
        purchase_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    purchases (id) {
        id -> Text,
        campaign_id -> Text,
        merchant_id -> Text,
        visitor_id -> Text,
        user_id -> Nullable<Text>,
        spend_avos -> BigInt,
        redemption_id -> Nullable<Text>,
        stamped -> Bool,
        day -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    purchase_triggers (offer_id) {
        offer_id -> Text,
        min_spend_avos -> BigInt,
    }
}

diesel::table! {
    draws (offer_id) {
        offer_id -> Text,
        seed -> Text,
        commitment -> Text,
        entries_close_at -> Timestamp,
        draw_at -> Timestamp,
        status -> Text,
        entry_count -> Integer,
        claimed_at -> Nullable<Timestamp>,
        attempts -> Integer,
        drawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    draw_entries (id) {
        id -> Text,
        offer_id -> Text,
        visitor_id -> Text,
        person -> Text,
        created_at -> Timestamp,
        outcome -> Text,
        coupon_id -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    merchants,
    users,
    visitors,
    campaigns,
    enrolments,
    points,
    device_setups,
    devices,
    checkins,
    checkin_refusals,
    offers,
    coupons,
    redemptions,
    idempotency_keys,
    settlements,
    ledger,
    pageviews,
    survey_answers,
    holidays,
    pledge_indicators,
    pledge_footnotes,
    audit_log,
    ledger_head,
    ledger_pending,
    bank_accounts,
    payouts,
    payout_items,
    visitor_addresses,
    verification_codes,
    verification_locks,
    campaign_budget_days,
    purchase_stamps,
    purchases,
    purchase_triggers,
    draws,
    draw_entries,
);

diesel::table! {
    promotion_sources (id) {
        id -> Text,
        campaign_id -> Text,
        code -> Text,
        name -> Text,
        platform -> Text,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    point_short_codes (code) {
        code -> Text,
        point_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    images (owner_kind, owner_id) {
        owner_kind -> Text,
        owner_id -> Text,
        content_type -> Text,
        data -> Binary,
        width -> Integer,
        height -> Integer,
        etag -> Text,
        created_at -> Timestamp,
    }
}
