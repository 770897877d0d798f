//! Hand-written statements that stay prepared.
//!
//! diesel re-parses and re-plans a `sql_query` on every call, and every `update(…).set(…)`
//! too (it cannot know their text never changes). On SQLite that preparation cost more than
//! running the statement: a check-in spent about 40% of its instructions in SQLite's parser
//! (three preparations per check-in, measured with callgrind). A [`Fixed`] statement's text
//! never changes, so each connection prepares it once and keeps it in diesel's statement
//! cache, keyed by that text.
//!
//! The SQL marks each value with `?`, in the order the values are bound (a value used twice
//! is bound twice); each backend writes its own placeholders (`?` for SQLite, `$n` for
//! PostgreSQL). Write them with [`fixed!`](crate::fixed), which splits the text once per
//! process.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::RunQueryDsl;
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::QueryResult;

/// A statement whose text is fixed for the life of the process: its pieces between the
/// values.
#[derive(Debug, Clone, Copy)]
#[must_use = "a statement runs only when executed or loaded"]
pub struct Fixed {
    pieces: &'static [&'static str],
}

/// A fixed statement with its first values bound.
#[derive(Debug, Clone, Copy)]
#[must_use = "a statement runs only when executed or loaded"]
pub struct Bound<Q, V, ST> {
    query: Q,
    value: V,
    /// The piece of text after this value.
    after: &'static str,
    pieces: &'static [&'static str],
    next: usize,
    _type: PhantomData<ST>,
}

impl Fixed {
    /// The statement of these pieces (the text split at each `?`).
    pub fn new(pieces: &'static [&'static str]) -> Fixed {
        Fixed { pieces }
    }

    /// Binds the first value.
    pub fn bind<ST, V>(self, value: V) -> Bound<Fixed, V, ST> {
        Bound {
            query: self,
            value,
            after: self.pieces.get(1).copied().unwrap_or(""),
            pieces: self.pieces,
            next: 2,
            _type: PhantomData,
        }
    }
}

impl<Q, V, ST> Bound<Q, V, ST> {
    /// Binds the next value.
    pub fn bind<ST2, V2>(self, value: V2) -> Bound<Self, V2, ST2> {
        let (pieces, next) = (self.pieces, self.next);
        Bound {
            query: self,
            value,
            after: pieces.get(next).copied().unwrap_or(""),
            pieces,
            next: next + 1,
            _type: PhantomData,
        }
    }
}

/// Splits a statement's text at its values' marks.
pub fn pieces(sql: &'static str) -> Vec<&'static str> {
    sql.split('?').collect()
}

impl QueryId for Fixed {
    type QueryId = ();
    // Not a static id: the cache keys the statement by its text (one entry per statement).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, V, ST> QueryId for Bound<Q, V, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> QueryFragment<DB> for Fixed {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.pieces.first().copied().unwrap_or(""));
        Ok(())
    }
}

impl<Q, V, ST, DB> QueryFragment<DB> for Bound<Q, V, ST>
where
    DB: Backend + HasSqlType<ST>,
    Q: QueryFragment<DB>,
    V: ToSql<ST, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if self.next > self.pieces.len() {
            return Err(diesel::result::Error::QueryBuilderError(
                "more values bound than the statement marks".into(),
            ));
        }
        self.query.walk_ast(out.reborrow())?;
        out.push_bind_param::<ST, V>(&self.value)?;
        out.push_sql(self.after);
        Ok(())
    }
}

impl Query for Fixed {
    type SqlType = Untyped;
}

impl<Q, V, ST> Query for Bound<Q, V, ST> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Fixed {}
impl<Conn, Q, V, ST> RunQueryDsl<Conn> for Bound<Q, V, ST> {}

/// A [`Fixed`] statement: `fixed!("UPDATE t SET n = n + ? WHERE id = ?")`; its text is split
/// once per process.
#[macro_export]
macro_rules! fixed {
    ($sql:expr) => {{
        static PIECES: std::sync::LazyLock<Vec<&'static str>> =
            std::sync::LazyLock::new(|| $crate::db::fixed::pieces($sql));
        $crate::db::fixed::Fixed::new(PIECES.as_slice())
    }};
}

#[cfg(test)]
mod tests {
    use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
    use diesel::sql_types::{BigInt, Text};
    use diesel::{Connection, RunQueryDsl};
    use std::sync::{Arc, Mutex};

    #[derive(Default, Clone)]
    struct Cached(Arc<Mutex<Vec<String>>>);
    impl Instrumentation for Cached {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                self.0.lock().unwrap().push(sql.to_string());
            }
        }
    }

    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// A fixed statement is prepared once and kept: running it again prepares nothing.
    #[test]
    fn a_fixed_statement_is_prepared_once() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(
            "CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO t VALUES ('a', 0);",
        )
        .unwrap();
        let seen = Cached::default();
        conn.set_instrumentation(seen.clone());
        for _ in 0..5 {
            let n = crate::fixed!("UPDATE t SET n = n + ? WHERE id = ? AND n < ?")
                .bind::<BigInt, _>(2i64)
                .bind::<Text, _>("a")
                .bind::<BigInt, _>(100i64)
                .execute(&mut conn)
                .unwrap();
            assert_eq!(n, 1);
        }
        let rows: Vec<Row> = crate::fixed!("SELECT n FROM t WHERE id = ?")
            .bind::<Text, _>("a")
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows[0].n, 10);
        assert_eq!(
            *seen.0.lock().unwrap(),
            [
                "UPDATE t SET n = n + ? WHERE id = ? AND n < ?",
                "SELECT n FROM t WHERE id = ?"
            ],
            "each statement prepared once"
        );
    }

    #[test]
    fn too_many_values_is_an_error_not_a_wrong_statement() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let r = crate::fixed!("SELECT ?")
            .bind::<BigInt, _>(1i64)
            .bind::<BigInt, _>(2i64)
            .execute(&mut conn);
        assert!(r.is_err());
    }
}
