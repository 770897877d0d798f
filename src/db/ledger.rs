//! The append-only money ledger: issue, redeem, void, expire, settle, pay. The database
//! refuses updates and deletes on it (triggers), and every row carries the hash of the row
//! before it, so a changed or removed row is found (`verify`).
//!
//! Canonical encoding of a row (documented in the README): the text `bairro-ledger-v1`, then
//! for each field in the order id, campaign_id, kind, offer_id, coupon_id, redemption_id,
//! merchant_id, settlement_id, amount_avos, created_at, prev_hash a line feed and the field
//! written as `<byte length>:<UTF-8 bytes>` (a missing value as `~`). Numbers are decimal,
//! `created_at` is UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, hashes are lowercase hex. The row's
//! `hash` is the lowercase hex SHA-256 of that text; the first row's `prev_hash` is 64 zeros.
//!
//! Appends made inside `write_tx` are kept until the transaction's own work is done and then
//! written together. On SQLite (one writer at a time) they are chained there and then. On
//! PostgreSQL they go to `ledger_pending` with no lock on the chain's head, so issuing and
//! redeeming transactions commit side by side instead of one after the other; right after the
//! commit `seal_pending` moves every waiting row into the chain, in one transaction that holds
//! the head's lock (the chain never forks), and the request answers once its rows are sealed
//! (`http::ledger_sealer`). Verification and reconciliation seal what waits before reading.

use std::cell::{Cell, RefCell};

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::models::{LedgerEntry, NewLedgerEntry};
use super::schema::{ledger, ledger_head, ledger_pending};
use super::DbConn;
use crate::error::AppError;
use crate::types::{
    CampaignId, CouponId, LedgerKind, MerchantId, OfferId, RedemptionId, SettlementId,
};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Default)]
pub struct Refs<'a> {
    pub offer: Option<&'a OfferId>,
    pub coupon: Option<&'a CouponId>,
    pub redemption: Option<&'a RedemptionId>,
    pub merchant: Option<&'a MerchantId>,
    pub settlement: Option<&'a SettlementId>,
}

thread_local! {
    /// Appends of the write transaction running on this thread, written at its end.
    static PENDING: RefCell<Option<Vec<NewLedgerEntry>>> = const { RefCell::new(None) };
    /// Whether a transaction on this thread left rows in `ledger_pending` (PostgreSQL).
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}

/// Whether work on this thread left ledger rows waiting to be sealed since the last call
/// (then the caller asks the sealer for a run once the transaction has committed).
pub fn take_deferred() -> bool {
    DEFERRED.with(|d| d.replace(false))
}

/// Notes that a statement outside [`scoped`] left ledger rows in `ledger_pending` (the
/// redemption's one statement), so the caller asks the sealer for a run as for a transaction.
pub fn left_pending() {
    DEFERRED.with(|d| d.set(true));
}

/// Clears this thread's pending appends however the transaction ends (even by a panic).
struct ScopeGuard;
impl Drop for ScopeGuard {
    fn drop(&mut self) {
        PENDING.with(|p| *p.borrow_mut() = None);
    }
}

/// Runs a transaction's body, then writes the ledger rows it appended (still inside the
/// transaction). Called by `write_tx`; nested calls share the outer scope.
pub fn scoped<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    let outer = PENDING.with(|p| p.borrow().as_ref().map(Vec::len));
    if let Some(mark) = outer {
        let r = f(conn);
        if r.is_err() {
            PENDING.with(|p| {
                if let Some(v) = p.borrow_mut().as_mut() {
                    v.truncate(mark)
                }
            });
        }
        return r;
    }
    PENDING.with(|p| *p.borrow_mut() = Some(Vec::new()));
    let _guard = ScopeGuard;
    let v = f(conn)?;
    let pending = PENDING.with(|p| p.borrow_mut().take()).unwrap_or_default();
    if !pending.is_empty() {
        match conn {
            DbConn::Pg(pg) => {
                insert_pending(pg, &pending)?;
                DEFERRED.with(|d| d.set(true));
            }
            DbConn::Sqlite(_) => write_chained(conn, pending)?,
        }
    }
    Ok(v)
}

/// PostgreSQL: leaves a transaction's ledger rows for the sealer (one statement, kept
/// prepared, for the usual single row).
fn insert_pending(
    conn: &mut diesel::PgConnection,
    rows: &[NewLedgerEntry],
) -> Result<(), AppError> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    if let [e] = rows {
        crate::fixed!(
            "INSERT INTO ledger_pending (campaign_id, kind, offer_id, coupon_id, \
             redemption_id, merchant_id, settlement_id, amount_avos, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        .bind::<Text, _>(&e.campaign_id)
        .bind::<Text, _>(e.kind.as_str())
        .bind::<Nullable<Text>, _>(e.offer_id.as_deref())
        .bind::<Nullable<Text>, _>(e.coupon_id.as_deref())
        .bind::<Nullable<Text>, _>(e.redemption_id.as_deref())
        .bind::<Nullable<Text>, _>(e.merchant_id.as_deref())
        .bind::<Nullable<Text>, _>(e.settlement_id.as_deref())
        .bind::<BigInt, _>(e.amount_avos)
        .bind::<Timestamp, _>(micros(e.created_at))
        .execute(conn)?;
        return Ok(());
    }
    use ledger_pending::dsl as p;
    for chunk in rows.chunks(2_000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    p::campaign_id.eq(&e.campaign_id),
                    p::kind.eq(&e.kind),
                    p::offer_id.eq(&e.offer_id),
                    p::coupon_id.eq(&e.coupon_id),
                    p::redemption_id.eq(&e.redemption_id),
                    p::merchant_id.eq(&e.merchant_id),
                    p::settlement_id.eq(&e.settlement_id),
                    p::amount_avos.eq(e.amount_avos),
                    p::created_at.eq(micros(e.created_at)),
                )
            })
            .collect();
        diesel::insert_into(ledger_pending::table)
            .values(&values)
            .execute(conn)?;
    }
    Ok(())
}

/// A row waiting in `ledger_pending`.
#[derive(QueryableByName)]
#[diesel(table_name = ledger_pending)]
struct Waiting {
    id: i64,
    campaign_id: CampaignId,
    kind: LedgerKind,
    offer_id: Option<OfferId>,
    coupon_id: Option<CouponId>,
    redemption_id: Option<RedemptionId>,
    merchant_id: Option<MerchantId>,
    settlement_id: Option<SettlementId>,
    amount_avos: i64,
    created_at: NaiveDateTime,
}

/// Rows moved into the chain per transaction of `seal_pending`.
const SEAL_BATCH: i64 = 2_000;

/// Moves the rows waiting in `ledger_pending` into the chain, in their order of arrival,
/// holding the head's lock: one transaction per batch. Returns how many were sealed. Nothing
/// waits on SQLite, whose transactions chain their rows themselves.
pub fn seal_pending(conn: &mut DbConn) -> Result<usize, AppError> {
    if !matches!(conn, DbConn::Pg(_)) {
        return Ok(0);
    }
    let mut sealed = 0;
    loop {
        let moved = conn.transaction(|c| -> Result<usize, AppError> {
            let mut head = lock_head(c)?;
            let mut waiting: Vec<Waiting> = crate::fixed!(
                "DELETE FROM ledger_pending WHERE id IN \
                 (SELECT id FROM ledger_pending ORDER BY id LIMIT ?) \
                 RETURNING id, campaign_id, kind, offer_id, coupon_id, redemption_id, \
                 merchant_id, settlement_id, amount_avos, created_at"
            )
            .bind::<diesel::sql_types::BigInt, _>(SEAL_BATCH)
            .load(c)?;
            if waiting.is_empty() {
                return Ok(0);
            }
            waiting.sort_by_key(|w| w.id);
            let n = waiting.len();
            let entries = waiting
                .into_iter()
                .map(|w| NewLedgerEntry {
                    campaign_id: w.campaign_id,
                    kind: w.kind,
                    offer_id: w.offer_id,
                    coupon_id: w.coupon_id,
                    redemption_id: w.redemption_id,
                    merchant_id: w.merchant_id,
                    settlement_id: w.settlement_id,
                    amount_avos: w.amount_avos,
                    created_at: w.created_at,
                })
                .collect();
            let rows = chain(&mut head, entries);
            store(c, &rows, &head)?;
            Ok(n)
        })?;
        sealed += moved;
        if (moved as i64) < SEAL_BATCH {
            return Ok(sealed);
        }
    }
}

/// Microsecond precision: what PostgreSQL keeps, so the hash reads back the same.
fn micros(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

pub fn append<K: TryInto<LedgerKind>>(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    kind: K,
    refs: Refs<'_>,
    amount_avos: i64,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let kind = kind
        .try_into()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("unknown ledger kind")))?;
    let e = NewLedgerEntry {
        campaign_id: campaign_id.into(),
        kind,
        offer_id: refs.offer.cloned(),
        coupon_id: refs.coupon.cloned(),
        redemption_id: refs.redemption.cloned(),
        merchant_id: refs.merchant.cloned(),
        settlement_id: refs.settlement.cloned(),
        amount_avos,
        created_at: micros(at),
    };
    let queued = PENDING.with(|p| match p.borrow_mut().as_mut() {
        Some(v) => {
            v.push(e.clone());
            true
        }
        None => false,
    });
    if queued {
        Ok(())
    } else {
        conn.transaction(|c| write_chained(c, vec![e]))
    }
}

/// Appends many rows at once, chained after the current head.
pub fn append_many(conn: &mut DbConn, rows: Vec<NewLedgerEntry>) -> Result<(), AppError> {
    conn.transaction(|c| write_chained(c, rows))
}

/// A ledger row with its place in the chain, ready to be written.
#[derive(Debug, Clone)]
pub struct ChainedRow {
    pub id: i64,
    pub campaign_id: CampaignId,
    pub kind: LedgerKind,
    pub offer_id: Option<OfferId>,
    pub coupon_id: Option<CouponId>,
    pub redemption_id: Option<RedemptionId>,
    pub merchant_id: Option<MerchantId>,
    pub settlement_id: Option<SettlementId>,
    pub amount_avos: i64,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_head)]
pub struct Head {
    pub last_id: i64,
    pub last_hash: String,
    pub rows_count: i64,
}

/// Reads the head row, locking it for the rest of the transaction on PostgreSQL (SQLite's
/// write transaction already lets one writer in at a time).
pub fn lock_head(conn: &mut DbConn) -> Result<Head, AppError> {
    Ok(match conn {
        DbConn::Pg(c) => ledger_head::table
            .find(1)
            .select(Head::as_select())
            .for_update()
            .first(c)?,
        DbConn::Sqlite(c) => ledger_head::table
            .find(1)
            .select(Head::as_select())
            .first(c)?,
    })
}

pub fn head(conn: &mut DbConn) -> Result<Head, AppError> {
    Ok(ledger_head::table
        .find(1)
        .select(Head::as_select())
        .first(conn)?)
}

fn field(out: &mut Vec<u8>, v: Option<&str>) {
    out.push(b'\n');
    match v {
        Some(s) => {
            out.extend_from_slice(s.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(s.as_bytes());
        }
        None => out.push(b'~'),
    }
}

/// The canonical text of a row (see the module comment).
#[allow(clippy::too_many_arguments)]
pub fn canonical(
    id: i64,
    campaign_id: &str,
    kind: &str,
    offer_id: Option<&str>,
    coupon_id: Option<&str>,
    redemption_id: Option<&str>,
    merchant_id: Option<&str>,
    settlement_id: Option<&str>,
    amount_avos: i64,
    created_at: NaiveDateTime,
    prev_hash: &str,
) -> Vec<u8> {
    let mut out = b"bairro-ledger-v1".to_vec();
    field(&mut out, Some(&id.to_string()));
    field(&mut out, Some(campaign_id));
    field(&mut out, Some(kind));
    field(&mut out, offer_id);
    field(&mut out, coupon_id);
    field(&mut out, redemption_id);
    field(&mut out, merchant_id);
    field(&mut out, settlement_id);
    field(&mut out, Some(&amount_avos.to_string()));
    field(
        &mut out,
        Some(&created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
    );
    field(&mut out, Some(prev_hash));
    out
}

pub fn hash_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

/// The hash a stored row should carry, given the hash of the row before it.
pub fn row_hash(e: &LedgerEntry, prev_hash: &str) -> String {
    hash_hex(&canonical(
        e.id,
        &e.campaign_id,
        e.kind.as_str(),
        e.offer_id.as_deref(),
        e.coupon_id.as_deref(),
        e.redemption_id.as_deref(),
        e.merchant_id.as_deref(),
        e.settlement_id.as_deref(),
        e.amount_avos,
        e.created_at,
        prev_hash,
    ))
}

/// Gives entries their places in the chain after `head` (consecutive ids, each row carrying
/// the hash of the row before it) and moves `head` to the last of them.
pub fn chain(head: &mut Head, entries: Vec<NewLedgerEntry>) -> Vec<ChainedRow> {
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let id = head.last_id + 1;
        let created_at = micros(e.created_at);
        let h = hash_hex(&canonical(
            id,
            &e.campaign_id,
            e.kind.as_str(),
            e.offer_id.as_deref(),
            e.coupon_id.as_deref(),
            e.redemption_id.as_deref(),
            e.merchant_id.as_deref(),
            e.settlement_id.as_deref(),
            e.amount_avos,
            created_at,
            &head.last_hash,
        ));
        rows.push(ChainedRow {
            id,
            campaign_id: e.campaign_id,
            kind: e.kind,
            offer_id: e.offer_id,
            coupon_id: e.coupon_id,
            redemption_id: e.redemption_id,
            merchant_id: e.merchant_id,
            settlement_id: e.settlement_id,
            amount_avos: e.amount_avos,
            created_at,
            prev_hash: std::mem::replace(&mut head.last_hash, h.clone()),
            hash: h,
        });
        head.last_id = id;
        head.rows_count += 1;
    }
    rows
}

/// Writes chained rows in multi-row statements (as column tuples: NULL is written as NULL,
/// so SQLite takes a whole batch in one statement).
pub fn insert_chained(conn: &mut DbConn, rows: &[ChainedRow]) -> Result<(), AppError> {
    use ledger::dsl as l;
    for chunk in rows.chunks(2_000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    (
                        l::id.eq(r.id),
                        l::campaign_id.eq(&r.campaign_id),
                        l::kind.eq(&r.kind),
                        l::offer_id.eq(&r.offer_id),
                        l::coupon_id.eq(&r.coupon_id),
                        l::redemption_id.eq(&r.redemption_id),
                    ),
                    (
                        l::merchant_id.eq(&r.merchant_id),
                        l::settlement_id.eq(&r.settlement_id),
                        l::amount_avos.eq(r.amount_avos),
                        l::created_at.eq(r.created_at),
                        l::prev_hash.eq(Some(&r.prev_hash)),
                        l::hash.eq(Some(&r.hash)),
                    ),
                )
            })
            .collect();
        crate::insert_rows!(&mut *conn, ledger::table, &values)?;
    }
    Ok(())
}

/// Records where the chain now ends.
pub fn set_head(conn: &mut DbConn, head: &Head) -> Result<(), AppError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    crate::fixed!(
        "UPDATE ledger_head SET last_id = ?, last_hash = ?, rows_count = ?, updated_at = ? \
         WHERE id = 1"
    )
    .bind::<BigInt, _>(head.last_id)
    .bind::<Text, _>(&head.last_hash)
    .bind::<BigInt, _>(head.rows_count)
    .bind::<Timestamp, _>(crate::domain::time::now())
    .execute(conn)?;
    Ok(())
}

fn write_chained(conn: &mut DbConn, entries: Vec<NewLedgerEntry>) -> Result<(), AppError> {
    let mut head = lock_head(conn)?;
    let rows = chain(&mut head, entries);
    store(conn, &rows, &head)
}

/// Writes rows just chained and moves the head to `head` (the transaction holds its lock).
fn store(conn: &mut DbConn, rows: &[ChainedRow], head: &Head) -> Result<(), AppError> {
    match (&mut *conn, rows) {
        // One row (an issue, a redemption) and the head's move in one round trip.
        (DbConn::Pg(pg), [row]) => insert_one_moving_head(pg, row, head),
        // SQLite: the same in two statements, both kept prepared.
        (DbConn::Sqlite(_), [row]) => {
            insert_one(conn, row)?;
            set_head(conn, head)
        }
        _ => {
            insert_chained(conn, rows)?;
            set_head(conn, head)
        }
    }
}

/// Binds a chained row's twelve values, in the ledger's column order, to a fixed statement.
macro_rules! bind_row {
    ($q:expr, $r:expr) => {{
        use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
        let r = $r;
        $q.bind::<BigInt, _>(r.id)
            .bind::<Text, _>(&r.campaign_id)
            .bind::<Text, _>(r.kind.as_str())
            .bind::<Nullable<Text>, _>(r.offer_id.as_deref())
            .bind::<Nullable<Text>, _>(r.coupon_id.as_deref())
            .bind::<Nullable<Text>, _>(r.redemption_id.as_deref())
            .bind::<Nullable<Text>, _>(r.merchant_id.as_deref())
            .bind::<Nullable<Text>, _>(r.settlement_id.as_deref())
            .bind::<BigInt, _>(r.amount_avos)
            .bind::<Timestamp, _>(r.created_at)
            .bind::<Text, _>(&r.prev_hash)
            .bind::<Text, _>(&r.hash)
    }};
}

/// PostgreSQL: inserts one chained row and records the chain's new end in one statement
/// (a data-modifying CTE), in the transaction that holds the head's lock.
fn insert_one_moving_head(
    conn: &mut diesel::PgConnection,
    r: &ChainedRow,
    head: &Head,
) -> Result<(), AppError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let q = crate::fixed!(
        "WITH row AS (INSERT INTO ledger (id, campaign_id, kind, offer_id, coupon_id, \
         redemption_id, merchant_id, settlement_id, amount_avos, created_at, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)) \
         UPDATE ledger_head SET last_id = ?, last_hash = ?, rows_count = ?, \
         updated_at = ? WHERE id = 1"
    );
    bind_row!(q, r)
        .bind::<BigInt, _>(head.last_id)
        .bind::<Text, _>(&head.last_hash)
        .bind::<BigInt, _>(head.rows_count)
        .bind::<Timestamp, _>(crate::domain::time::now())
        .execute(conn)?;
    Ok(())
}

/// Inserts one chained row (a statement kept prepared).
fn insert_one(conn: &mut DbConn, r: &ChainedRow) -> Result<(), AppError> {
    let q = crate::fixed!(
        "INSERT INTO ledger (id, campaign_id, kind, offer_id, coupon_id, redemption_id, \
         merchant_id, settlement_id, amount_avos, created_at, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    );
    bind_row!(q, r).execute(conn)?;
    Ok(())
}

/// Seals rows written before the chain existed (a database migrated from an older version):
/// each gets its place in the chain, in id order. Run by `db::migrate`.
pub fn seal_unchained(conn: &mut DbConn) -> Result<usize, AppError> {
    let mut sealed = 0;
    loop {
        let done = conn.transaction(|c| -> Result<usize, AppError> {
            let head = lock_head(c)?;
            let batch: Vec<LedgerEntry> = ledger::table
                .filter(ledger::hash.is_null())
                .filter(ledger::id.gt(head.last_id))
                .order(ledger::id.asc())
                .limit(2000)
                .select(LedgerEntry::as_select())
                .load(c)?;
            let mut last_id = head.last_id;
            let mut last_hash = head.last_hash.clone();
            for e in &batch {
                let h = row_hash(e, &last_hash);
                diesel::update(ledger::table.find(e.id))
                    .set((
                        ledger::prev_hash.eq(Some(&last_hash)),
                        ledger::hash.eq(Some(&h)),
                    ))
                    .execute(c)?;
                last_id = e.id;
                last_hash = h;
            }
            if !batch.is_empty() {
                diesel::update(ledger_head::table.find(1))
                    .set((
                        ledger_head::last_id.eq(last_id),
                        ledger_head::last_hash.eq(&last_hash),
                        ledger_head::rows_count.eq(head.rows_count + batch.len() as i64),
                        ledger_head::updated_at.eq(crate::domain::time::now()),
                    ))
                    .execute(c)?;
            }
            Ok(batch.len())
        })?;
        if done == 0 {
            return Ok(sealed);
        }
        sealed += done;
    }
}

/// What `verify` found.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Rows checked.
    pub rows: i64,
    pub ok: bool,
    /// The first row that breaks the chain (for a removed row, the id it had).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad_row: Option<i64>,
    /// `changed`, `missing`, `unsealed` or `out_of_chain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Seals what waits, then walks the whole chain in id order and recomputes every hash.
pub fn verify(conn: &mut DbConn) -> Result<Verification, AppError> {
    seal_pending(conn)?;
    let head = head(conn)?;
    let mut prev_id: i64 = 0;
    let mut prev_hash = GENESIS.to_string();
    let mut rows: i64 = 0;
    let bad = |rows: i64, id: i64, problem: &str, detail: String| Verification {
        rows,
        ok: false,
        first_bad_row: Some(id),
        problem: Some(problem.into()),
        detail: Some(detail),
    };
    loop {
        let page: Vec<LedgerEntry> = ledger::table
            .filter(ledger::id.gt(prev_id))
            .order(ledger::id.asc())
            .limit(5000)
            .select(LedgerEntry::as_select())
            .load(conn)?;
        if page.is_empty() {
            break;
        }
        for e in page {
            rows += 1;
            let (Some(stored_prev), Some(stored)) = (e.prev_hash.as_deref(), e.hash.as_deref())
            else {
                return Ok(bad(
                    rows,
                    e.id,
                    "unsealed",
                    format!("row {} has no hash", e.id),
                ));
            };
            if stored_prev != prev_hash {
                // Ids are consecutive from the chain's start, so a gap before a broken link
                // is a removed row.
                if e.id != prev_id + 1 {
                    return Ok(bad(
                        rows,
                        prev_id + 1,
                        "missing",
                        format!(
                            "row {} is missing: row {} does not follow row {prev_id}",
                            prev_id + 1,
                            e.id
                        ),
                    ));
                }
                return Ok(bad(
                    rows,
                    e.id,
                    "changed",
                    format!("row {} does not carry the hash of the row before it", e.id),
                ));
            }
            if row_hash(&e, &prev_hash) != stored {
                return Ok(bad(
                    rows,
                    e.id,
                    "changed",
                    format!("row {} was changed after it was written", e.id),
                ));
            }
            prev_id = e.id;
            prev_hash = stored.to_string();
        }
    }
    if prev_id != head.last_id || prev_hash != head.last_hash || rows != head.rows_count {
        if prev_id < head.last_id {
            return Ok(bad(
                rows,
                prev_id + 1,
                "missing",
                format!(
                    "the chain ends at row {prev_id} but its head records row {} ({} rows)",
                    head.last_id, head.rows_count
                ),
            ));
        }
        return Ok(bad(
            rows,
            prev_id,
            "out_of_chain",
            format!(
                "the chain ends at row {prev_id} but its head records row {}",
                head.last_id
            ),
        ));
    }
    Ok(Verification {
        rows,
        ok: true,
        first_bad_row: None,
        problem: None,
        detail: None,
    })
}

/// A campaign's ledger rows in chain order (what waits is sealed first).
pub fn entries(conn: &mut DbConn, campaign_id: &CampaignId) -> Result<Vec<LedgerEntry>, AppError> {
    seal_pending(conn)?;
    Ok(ledger::table
        .filter(ledger::campaign_id.eq(campaign_id))
        .order(ledger::id.asc())
        .select(LedgerEntry::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding as documented, checked against a hash computed independently of this code.
    #[test]
    fn canonical_encoding_is_stable() {
        let at = chrono::NaiveDate::from_ymd_opt(2022, 9, 1)
            .unwrap()
            .and_hms_micro_opt(10, 0, 0, 123_456)
            .unwrap();
        let text = canonical(
            1,
            "c1",
            "issue",
            Some("o1"),
            Some("k1"),
            None,
            None,
            None,
            5000,
            at,
            GENESIS,
        );
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            format!("bairro-ledger-v1\n1:1\n2:c1\n5:issue\n2:o1\n2:k1\n~\n~\n~\n4:5000\n27:2022-09-01T10:00:00.123456Z\n64:{GENESIS}")
        );
        assert_eq!(
            hash_hex(&text),
            "c1ffac05afbdfff869c63642cc172bb0d57f69dc1b386b472fc35dadd7bf8385"
        );
    }
}
