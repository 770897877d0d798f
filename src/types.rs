//! Typed identifiers and the text enums of statuses, kinds and triggers. Each is stored as the
//! same text as a plain string would be (no change to the data's meaning), serialises as that
//! text, and cannot be passed where another kind of id is expected: `shop(merchant, campaign)`
//! with the two swapped no longer compiles.

/// Declares string-backed identifier types.
///
/// Each id derefs to `str` (so `&id` goes wherever a `&str` is read), compares with strings,
/// and converts from `String`/`&str` with `From`. `Id::generate()` makes a fresh random id.
#[macro_export]
macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(pub String);

        impl $name {
            /// A fresh random id (a UUID, as every id of the product).
            pub fn generate() -> Self {
                $name(uuid::Uuid::new_v4().to_string())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }
        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                $name(s.clone())
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }
        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.as_str().to_sql(out)
            }
        }
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                String::from_sql(bytes).map($name)
            }
        }
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }
        impl utoipa::ToSchema for $name {}
    )*};
}

/// Declares an enum stored and serialised as fixed text (`draft`, `published`, …).
///
/// `Enum::parse("draft")` reads the text (unknown text is an error, as a row the code does
/// not understand should be), `as_str()` writes it; the OpenAPI schema lists the values.
#[macro_export]
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        // Written by hand rather than derived: the document lists the stored text
        // (`draft`), which is what goes over the wire, not the variant's name.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),*]))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                $name::parse(&s).ok_or_else(|| {
                    format!("unknown {} '{}'", stringify!($name), s).into()
                })
            }
        }
    };
}

typed_ids! {
    /// A campaign.
    CampaignId,
    /// A check-in point.
    PointId,
    /// An offer of a campaign.
    OfferId,
    /// An issued coupon.
    CouponId,
    /// A merchant (shop).
    MerchantId,
    /// A merchant's enrolment in a campaign.
    EnrolmentId,
    /// A visitor's wallet.
    VisitorId,
    /// A staff or merchant login.
    UserId,
    /// A check-in.
    CheckinId,
    /// A redemption at a till.
    RedemptionId,
    /// A settlement statement.
    SettlementId,
    /// A payout batch.
    PayoutId,
    /// A recorded purchase (consumption stamps).
    PurchaseId,
    /// A prize draw.
    DrawId,
    /// A registered promotion source.
    SourceId,
    /// A display device of a rotating point.
    DeviceId,
    /// A refused check-in, kept for the statistics of refusals.
    RefusalId,
    /// An entry in a fair draw (public: the draw's winners are listed by it).
    DrawEntryId,
}

text_enum! {
    /// How a verification code reaches a visitor.
    VerificationChannel {
        Sms = "sms",
        Email = "email",
    }
}

text_enum! {
    /// Where a campaign is in its life.
    CampaignStatus {
        Draft = "draft",
        Published = "published",
        Ended = "ended",
    }
}

text_enum! {
    /// Where a merchant's application to a campaign is.
    EnrolmentStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    /// How a check-in point is scanned: a printed QR code or an AR marker.
    PointKind {
        Qr = "qr",
        Ar = "ar",
    }
}

text_enum! {
    /// How a check-in was recorded.
    CheckinMethod {
        Qr = "qr",
        Ar = "ar",
    }
}

text_enum! {
    /// What an offer gives: e-cash money or a percentage off.
    OfferKind {
        Ecash = "ecash",
        Discount = "discount",
    }
}

text_enum! {
    /// What unlocks an offer.
    TriggerType {
        Signup = "signup",
        Checkins = "checkins",
        Claim = "claim",
        Purchases = "purchases",
        Draw = "draw",
    }
}

text_enum! {
    /// Where an issued coupon is.
    CouponStatus {
        Issued = "issued",
        Redeemed = "redeemed",
        Expired = "expired",
        Void = "void",
    }
}

text_enum! {
    /// How a login is stored (`users.role`): a bureau official, a read-only viewer, or one of
    /// a merchant's users.
    UserRole {
        Official = "official",
        Viewer = "viewer",
        Merchant = "merchant",
    }
}

text_enum! {
    /// A merchant's user: the owner (everything of the merchant) or a cashier (the till).
    MerchantRole {
        Owner = "owner",
        Cashier = "cashier",
    }
}

text_enum! {
    /// A staff login's role as the API names it.
    StaffRole {
        Official = "official",
        Viewer = "viewer",
        MerchantOwner = "merchant_owner",
        MerchantCashier = "merchant_cashier",
    }
}

text_enum! {
    /// Whether a redemption stands or was undone within the void window.
    RedemptionStatus {
        Done = "done",
        Void = "void",
    }
}

text_enum! {
    /// Where a settlement statement is: generated, approved by a second official, paid.
    SettlementStatus {
        Draft = "draft",
        Approved = "approved",
        Paid = "paid",
    }
}

text_enum! {
    /// A payout batch waits for the bank's transfer (`open`) until an official confirms it.
    PayoutStatus {
        Open = "open",
        Paid = "paid",
    }
}

text_enum! {
    /// What a ledger entry records about the campaign's e-cash money.
    LedgerKind {
        Issue = "issue",
        Redeem = "redeem",
        Void = "void",
        Expire = "expire",
        Settle = "settle",
        Pay = "pay",
    }
}

text_enum! {
    /// What was done, as an audit row records it (`audit_log.action`); the web app names each
    /// in every language (`audit.action.*`).
    AuditAction {
        Answer = "answer",
        Apply = "apply",
        Approve = "approve",
        Approved = "approved",
        Ban = "ban",
        ChangePassword = "change_password",
        Confirm = "confirm",
        Create = "create",
        Delete = "delete",
        DeviceSetup = "device_setup",
        Disable = "disable",
        Draft = "draft",
        Edit = "edit",
        Enable = "enable",
        Ended = "ended",
        Footnote = "footnote",
        Generate = "generate",
        Import = "import",
        Pause = "pause",
        Pay = "pay",
        Pending = "pending",
        Published = "published",
        Put = "put",
        Reinstate = "reinstate",
        Rejected = "rejected",
        ResetPassword = "reset_password",
        Resume = "resume",
        Retire = "retire",
        Revoke = "revoke",
        Suspend = "suspend",
        Unban = "unban",
        UploadImage = "upload_image",
        Verify = "verify",
        Void = "void",
        Withdraw = "withdraw",
        Withdrawn = "withdrawn",
    }
}

/// A campaign moved to a status: the audit row's action is the status it became.
impl From<CampaignStatus> for AuditAction {
    fn from(s: CampaignStatus) -> Self {
        match s {
            CampaignStatus::Draft => AuditAction::Draft,
            CampaignStatus::Published => AuditAction::Published,
            CampaignStatus::Ended => AuditAction::Ended,
        }
    }
}

/// An enrolment decided: the audit row's action is the status it became.
impl From<EnrolmentStatus> for AuditAction {
    fn from(s: EnrolmentStatus) -> Self {
        match s {
            EnrolmentStatus::Pending => AuditAction::Pending,
            EnrolmentStatus::Approved => AuditAction::Approved,
            EnrolmentStatus::Rejected => AuditAction::Rejected,
            EnrolmentStatus::Withdrawn => AuditAction::Withdrawn,
        }
    }
}

text_enum! {
    /// What an audit row is about (`audit_log.entity`).
    AuditEntity {
        Staff = "staff",
        Campaign = "campaign",
        Offer = "offer",
        Enrolment = "enrolment",
        Merchant = "merchant",
        User = "user",
        Survey = "survey",
        Source = "source",
        Point = "point",
        Coupon = "coupon",
        Visitor = "visitor",
        Payout = "payout",
        BankAccount = "bank_account",
        Device = "device",
        Pledge = "pledge",
        Holiday = "holiday",
        Settlement = "settlement",
    }
}

text_enum! {
    /// Where a fair draw stands: entries open, being drawn (claimed by one process), done.
    DrawStatus {
        Open = "open",
        Drawing = "drawing",
        Done = "done",
    }
}

text_enum! {
    /// What became of a draw entry.
    DrawOutcome {
        Pending = "pending",
        Won = "won",
        Lost = "lost",
    }
}

text_enum! {
    /// The pattern a fraud signal found (computed for officials, never stored).
    SignalKind {
        /// A merchant redeeming most coupons at exactly the minimum spend.
        ExactMinimumSpend = "exact_minimum_spend",
        /// Many redemptions from one till login within a minute.
        TillBurst = "till_burst",
        /// One visitor redeeming at several merchants within minutes.
        MerchantHopping = "merchant_hopping",
        /// Many visitors created from one device or address.
        VisitorsFromOneDevice = "visitors_from_one_device",
        /// Repeated check-ins refused for location, stale or forged codes.
        RefusedScans = "refused_scans",
        /// Many card purchases recorded from one till login within a minute.
        TillPurchaseBurst = "till_purchase_burst",
    }
}

/// The ledger's kinds can be named by their text (tools and tests append rows that way).
impl TryFrom<&str> for LedgerKind {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        LedgerKind::parse(s).ok_or_else(|| format!("unknown ledger kind '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_their_text_and_compare_with_strings() {
        let id = CampaignId::from("c-1");
        assert_eq!(&*id, "c-1");
        assert_eq!(id, "c-1");
        assert_eq!(serde_json::to_value(&id).unwrap(), serde_json::json!("c-1"));
        assert_eq!(CampaignId::generate().len(), 36);
    }

    #[test]
    fn text_enums_round_trip_their_text() {
        for s in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert_eq!(CampaignStatus::parse("paused"), None);
    }
}
