//! Persistence: the connection type over SQLite and PostgreSQL, the pool, migrations and
//! the queries (one submodule per resource). Nothing outside this module writes SQL.

pub mod models;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

/// One connection type for both backends; every query is written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConn>>;
pub type PooledConn = PooledConnection<ConnectionManager<DbConn>>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Which backend a database URL names. Anything but `sqlite:` or `postgres(ql):` is refused,
/// so a mistyped URL never silently creates a SQLite file.
pub fn backend_of(url: &str) -> Result<Backend, String> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(format!(
            "unsupported database URL '{}': use sqlite://PATH or postgres://…",
            redact_url(url)
        ))
    }
}

/// The URL with any password removed, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// diesel's SQLite connection wants a path, not a URL.
fn connection_string(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        rest.to_string()
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest.to_string()
    } else {
        url.to_string()
    }
}

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            c.batch_execute(&format!(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA soft_heap_limit = {};",
                crate::memory::SQLITE_HEAP_LIMIT_BYTES
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Builds the pool. The pool size follows the cores; SQLite serialises writers anyway.
pub fn connect(url: &str, max_size: Option<u32>) -> anyhow::Result<(DbPool, Backend)> {
    let backend = backend_of(url).map_err(anyhow::Error::msg)?;
    let manager = ConnectionManager::<DbConn>::new(connection_string(url));
    let cores = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2);
    let size = max_size.unwrap_or(match backend {
        Backend::Postgres => (cores * 4).max(8),
        Backend::Sqlite => (cores * 4).max(8),
    });
    let pool = Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(Pragmas))
        .build(manager)
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", redact_url(url)))?;
    Ok((pool, backend))
}

/// A pool on a PostgreSQL read replica (`--replica-url`): statistics and exports read there.
/// Its sessions are read-only (`default_transaction_read_only`), so nothing is ever written
/// through it, even where the replica would accept writes.
pub fn connect_replica(url: &str, max_size: Option<u32>) -> anyhow::Result<DbPool> {
    if backend_of(url).map_err(anyhow::Error::msg)? != Backend::Postgres {
        anyhow::bail!(
            "the read replica must be PostgreSQL (postgres://…), not '{}'",
            redact_url(url)
        );
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20default_transaction_read_only%3Don");
    Ok(connect(&url, max_size)?.0)
}

/// Applies the embedded migrations of the connection's backend.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?
    .iter()
    .map(|m| m.to_string())
    .collect::<Vec<String>>();
    // Ledger rows written before the chain existed get their place in it.
    let sealed =
        ledger::seal_unchained(conn).map_err(|e| anyhow::anyhow!("sealing the ledger: {e}"))?;
    if sealed > 0 {
        tracing::info!(rows = sealed, "ledger rows chained");
    }
    // Rows a stopped process committed but did not seal (PostgreSQL).
    let waiting =
        ledger::seal_pending(conn).map_err(|e| anyhow::anyhow!("sealing the ledger: {e}"))?;
    if waiting > 0 {
        tracing::info!(rows = waiting, "waiting ledger rows sealed");
    }
    Ok(applied)
}

/// One SQLite writer at a time per process (SQLite allows one anyway).
static SQLITE_WRITERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The SQLite database's own writing connection, shared by the server's requests.
///
/// SQLite empties a connection's page cache whenever another connection has written since
/// its last transaction. With writes spread over the pool, nearly every write transaction
/// began on an emptied cache and read its index pages again (the profile of a redemption
/// showed most of its instructions in SQLite's page cache). Writes take turns anyway, so
/// the server gives them one connection: the only writer, whose cache stays valid from one
/// write to the next. Reads stay on the pool. PostgreSQL has no such cache: `None`.
#[derive(Clone, Default)]
pub struct Writer(Option<std::sync::Arc<WriterConn>>);

struct WriterConn {
    path: String,
    conn: std::sync::Mutex<Option<DbConn>>,
    /// The connection of [`Writer::checkpoint`].
    checkpointer: std::sync::Mutex<Option<DbConn>>,
}

impl Writer {
    /// The writer of a database URL: one for SQLite, none for PostgreSQL.
    pub fn of(url: &str) -> Writer {
        match backend_of(url) {
            Ok(Backend::Sqlite) => Writer(Some(std::sync::Arc::new(WriterConn {
                path: connection_string(url),
                conn: std::sync::Mutex::new(None),
                checkpointer: std::sync::Mutex::new(None),
            }))),
            _ => Writer(None),
        }
    }

    /// Copies the pages the writer committed from the write-ahead log into the database
    /// (SQLite's passive checkpoint: it waits for no one and no one waits for it); the
    /// server calls it every [`CHECKPOINT_EVERY`]. The writer itself never checkpoints
    /// (`wal_autocheckpoint = 0`): SQLite would otherwise run one, with its two `fsync`s,
    /// inside every thousandth page's commit, while the other writes wait for their turn.
    /// Returns the log's size and the pages now in the database (`None`: PostgreSQL).
    pub fn checkpoint(&self) -> Result<Option<(i64, i64)>, AppError> {
        #[derive(QueryableByName)]
        struct Checkpoint {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            log: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            checkpointed: i64,
        }
        let Some(w) = &self.0 else { return Ok(None) };
        let mut slot = w
            .checkpointer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let c = match &mut *slot {
            Some(c) => c,
            closed => closed.insert(open_sqlite(&w.path)?),
        };
        match diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<Checkpoint>(c) {
            Ok(r) => Ok(Some((r.log, r.checkpointed))),
            Err(e) => {
                *slot = None;
                Err(e.into())
            }
        }
    }

    /// Runs `f` with this writer as the one `write_tx` uses on this thread.
    pub fn serving<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Clear;
        impl Drop for Clear {
            fn drop(&mut self) {
                WRITER.with(|w| *w.borrow_mut() = None);
            }
        }
        WRITER.with(|w| w.borrow_mut().clone_from(&self.0));
        let _clear = Clear;
        f()
    }
}

thread_local! {
    static WRITER: std::cell::RefCell<Option<std::sync::Arc<WriterConn>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` in a write transaction. On SQLite the write lock is taken up front
/// (`BEGIN IMMEDIATE`) so read-then-write flows never fail to upgrade their lock, on the
/// server's [`Writer`] when the work runs for a request; on PostgreSQL row locks from
/// conditional updates give the same exactness.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    if let DbConn::Pg(_) = conn {
        return conn.transaction(|c| ledger::scoped(c, f));
    }
    // Writers of this process take turns here rather than in SQLite's busy handler,
    // which sleeps and retries and so lets a waiting writer starve for hundreds of ms.
    let _turn = SQLITE_WRITERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(writer) = WRITER.with(|w| w.borrow().clone()) else {
        return sqlite_tx(conn, f);
    };
    let mut slot = writer
        .conn
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let w = match &mut *slot {
        Some(w) => w,
        closed => closed.insert(open_writer(&writer.path)?),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sqlite_tx(w, f))) {
        Ok(r) => r,
        Err(panic) => {
            // Closing the connection rolls its transaction back and frees the write lock
            // at once; the next write opens a new one.
            *slot = None;
            drop(slot);
            std::panic::resume_unwind(panic)
        }
    }
}

/// How often the server copies the writer's pages from the log into the database
/// ([`Writer::checkpoint`]).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

fn open_writer(path: &str) -> Result<DbConn, AppError> {
    let mut c = open_sqlite(path)?;
    c.batch_execute("PRAGMA wal_autocheckpoint = 0;")?;
    Ok(c)
}

/// A SQLite connection of its own, with the pool's settings.
fn open_sqlite(path: &str) -> Result<DbConn, AppError> {
    let mut c = DbConn::Sqlite(
        diesel::SqliteConnection::establish(path)
            .map_err(|e| AppError::Unavailable(format!("database unavailable: {e}")))?,
    );
    Pragmas
        .on_acquire(&mut c)
        .map_err(|e| AppError::Unavailable(format!("database unavailable: {e}")))?;
    Ok(c)
}

/// SQLite: `f` in a `BEGIN IMMEDIATE` transaction on `conn` (the caller holds the turn).
fn sqlite_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    match ledger::scoped(conn, f) {
        Ok(v) => {
            <DbConn as TransactionManager<DbConn>>::commit_transaction(conn)?;
            Ok(v)
        }
        Err(e) => {
            <DbConn as TransactionManager<DbConn>>::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound("not found".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                AppError::Conflict(format!("already exists ({})", info.message()))
            }
            // PostgreSQL refuses NUL in text (SQLite stores it): the client's input, not a fault.
            Error::DatabaseError(_, info) if info.message().contains("invalid byte sequence") => {
                AppError::BadRequest("text must not contain NUL characters".into())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::Unavailable("database busy, try again".into())
            }
            // PostgreSQL broke a lock cycle by rolling this transaction back (SQLSTATE 40P01):
            // nothing was written, and the same request may simply be sent again.
            Error::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                tracing::warn!(detail = ?info.details(), "deadlock: transaction rolled back");
                AppError::Unavailable("database busy, try again".into())
            }
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => AppError::Unavailable("database unavailable".into()),
            Error::DatabaseError(_, info) if lost_connection(info.message()) => {
                AppError::Unavailable("database unavailable".into())
            }
            // The commit failed: what counts is why (a lost connection is 503).
            Error::RollbackErrorOnCommit { commit_error, .. } => AppError::from(*commit_error),
            // A connection whose transaction could not be closed (its server went away).
            Error::BrokenTransactionManager => {
                AppError::Unavailable("database connection lost".into())
            }
            other => AppError::Internal(anyhow::anyhow!(other)),
        }
    }
}

/// The messages by which PostgreSQL and libpq report a lost or refused connection: the
/// backend terminated (SQLSTATE 57P01 `admin_shutdown`, 57P02, 57P03), the socket closed or
/// reset mid-query or mid-commit, the server shutting down or still starting. All mean
/// "try again in a moment", never a fault of the request.
pub fn lost_connection(message: &str) -> bool {
    const SIGNS: [&str; 16] = [
        "terminating connection",
        "server closed the connection",
        "connection reset",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        "broken pipe",
        "ssl syscall error",
        "lost synchronization with server",
        "connection is closed",
        "cannot connect now",
    ];
    let m = message.to_ascii_lowercase();
    SIGNS.iter().any(|s| m.contains(s))
}

/// Marks a pooled connection so the pool drops it instead of handing it out again (after its
/// server went away: a dead PostgreSQL connection outside a transaction looks healthy).
pub fn discard(conn: &mut DbConn) {
    use diesel::connection::{Connection, TransactionManager};
    <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn).set_in_error();
}

/// Takes a connection from the pool; a pool that cannot give one answers 503.
pub fn get(pool: &DbPool) -> Result<PooledConn, AppError> {
    pool.get()
        .map_err(|e| AppError::Unavailable(format!("database unavailable: {e}")))
}

pub mod audit;
pub mod audit_names;
pub mod budget;
pub mod cache;
pub mod catalog;
pub mod checkins;
pub mod coupons;
pub mod devices;
pub mod draws;
pub mod figures;
pub mod fixed;
pub mod images;
pub mod ledger;
pub mod locks;
pub mod merchant_cards;
pub mod operations;
pub mod payouts;
pub mod pledges;
pub mod purchases;
pub mod reconciliation;
pub mod redemptions;
pub mod settlements;
pub mod short_codes;
pub mod signals;
pub mod sources;
pub mod staff;
pub mod stats;
pub mod traffic;
pub mod verification;
pub mod visitors;
pub mod walk;

/// Inserts many rows in one statement. diesel's multi-backend connection has no batch
/// insert, so the statement is built for the concrete backend.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::db::DbConn::Pg(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    fn insert(c: &mut DbConn, v: i32) -> Result<(), AppError> {
        diesel::sql_query(format!("INSERT INTO t (v) VALUES ({v})")).execute(c)?;
        Ok(())
    }

    /// A scratch SQLite database with table `t` made by `create`: its folder, URL, a pooled
    /// connection and the server's writer for it.
    fn scratch(create: &str) -> (tempfile::TempDir, String, PooledConn, Writer) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let (pool, _) = connect(&url, Some(2)).unwrap();
        let mut conn = get(&pool).unwrap();
        conn.batch_execute(create).unwrap();
        let writer = Writer::of(&url);
        (dir, url, conn, writer)
    }

    /// A request's write goes through the writer's connection; a panic in the middle of one
    /// leaves nothing written and no lock held, and the next write succeeds.
    #[test]
    fn the_writer_writes_for_requests_and_recovers_from_a_panic() {
        let (_dir, _, mut conn, writer) = scratch("CREATE TABLE t (v INTEGER NOT NULL)");
        let opened = |w: &Writer| w.0.as_ref().unwrap().conn.lock().unwrap().is_some();
        assert!(!opened(&writer));
        writer
            .serving(|| write_tx(&mut conn, |c| insert(c, 1)))
            .unwrap();
        assert!(opened(&writer), "the write went through the writer");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            writer.serving(|| {
                write_tx(&mut conn, |c| -> Result<(), AppError> {
                    insert(c, 2)?;
                    panic!("in the middle of a transaction")
                })
            })
        }));
        assert!(panicked.is_err());
        assert!(
            !opened(&writer),
            "the connection of the broken transaction is closed"
        );
        // Another connection can write at once: the lock was freed.
        write_tx(&mut conn, |c| insert(c, 3)).unwrap();
        writer
            .serving(|| write_tx(&mut conn, |c| insert(c, 4)))
            .unwrap();
        #[derive(QueryableByName)]
        struct Values {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let got: Values =
            diesel::sql_query("SELECT group_concat(v, ',') AS v FROM (SELECT v FROM t ORDER BY v)")
                .get_result(&mut *conn)
                .unwrap();
        assert_eq!(got.v, "1,3,4");
        // Outside a request (no writer on the thread), writes use the caller's connection.
        assert!(WRITER.with(|w| w.borrow().is_none()));
    }

    /// The writer's commits leave their pages in the log (no checkpoint inside a commit, even
    /// past SQLite's usual 1,000 pages); `Writer::checkpoint` copies them all into the
    /// database, and what was written reads back from another connection.
    #[test]
    fn the_writer_commits_without_checkpoints_and_the_checkpointer_copies_the_log() {
        let (dir, url, mut conn, writer) =
            scratch("CREATE TABLE t (v INTEGER NOT NULL, pad BLOB NOT NULL)");
        // 1,200 commits of a page-sized row each: more than 1,200 pages in the log.
        for v in 0..1200 {
            writer
                .serving(|| {
                    write_tx(&mut conn, |c| {
                        diesel::sql_query(format!(
                            "INSERT INTO t (v, pad) VALUES ({v}, zeroblob(4000))"
                        ))
                        .execute(c)?;
                        Ok(())
                    })
                })
                .unwrap();
        }
        let wal = dir.path().join("w.db-wal");
        let logged = std::fs::metadata(&wal).unwrap().len();
        assert!(
            logged > 1200 * 4096,
            "the commits checkpointed on their own: the log holds only {logged} bytes"
        );
        let (log, copied) = writer.checkpoint().unwrap().expect("SQLite checkpoints");
        assert!(log >= 1200, "{log} pages in the log");
        assert_eq!(copied, log, "every page of the log is in the database");
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut other = diesel::SqliteConnection::establish(&connection_string(&url)).unwrap();
        let n: N = diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result(&mut other)
            .unwrap();
        assert_eq!(n.n, 1200);
        // The log is written from its start again once it is all in the database.
        writer
            .serving(|| {
                write_tx(&mut conn, |c| {
                    diesel::sql_query("INSERT INTO t (v, pad) VALUES (-1, zeroblob(4000))")
                        .execute(c)?;
                    Ok(())
                })
            })
            .unwrap();
        let (log, _) = writer.checkpoint().unwrap().unwrap();
        assert!(log < 10, "the log started again: {log} pages");
        assert_eq!(Writer::default().checkpoint().unwrap(), None);
    }
}
