//! A lost PostgreSQL connection is answered 503 `unavailable` (with `Retry-After`), never 500,
//! whatever moment it is lost at — and the server recovers by itself. Each class is provoked
//! on purpose on the test's own database (never the shared cluster): idle pooled connections
//! terminated (SQLSTATE 57P01, "server closed the connection unexpectedly"), connections
//! terminated in the middle of a transaction, terminated while committing, and a pool that
//! cannot get a connection at all.

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::*;
use crate::support::{self, Backend};

#[derive(diesel::QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// The server's backends on the test database that match `cond` (on `pg_stat_activity`).
fn backends(c: &mut PgConnection, cond: &str) -> Vec<i32> {
    diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
         AND application_name <> 'bairro-test-holder' AND {cond}"
    ))
    .load::<Pid>(c)
    .unwrap()
    .into_iter()
    .map(|p| p.pid)
    .collect()
}

fn terminate(c: &mut PgConnection, pids: &[i32]) {
    for p in pids {
        diesel::sql_query(format!("SELECT pg_terminate_backend({p})"))
            .execute(c)
            .unwrap();
    }
}

fn exec(c: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql).execute(c).unwrap();
}

/// Waits (polling the catalogue) until `n` backends match `cond`.
async fn wait_for(c: &mut PgConnection, cond: &str, n: usize, what: &str) -> Vec<i32> {
    let t = Instant::now();
    loop {
        let pids = backends(c, cond);
        if pids.len() >= n {
            return pids;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "{what}: only {} of {n} backends reached the state",
            pids.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until no backend of the server is left.
async fn wait_none(c: &mut PgConnection) {
    let t = Instant::now();
    while !backends(c, "true").is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "backends did not go away"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

type Answer = Result<(StatusCode, Value), String>;

fn unavailable(r: &Answer) -> bool {
    matches!(r, Ok((s, b)) if *s == StatusCode::SERVICE_UNAVAILABLE && is_problem(b, "unavailable"))
}

fn normal(r: &Answer) -> bool {
    matches!(r, Ok((s, b)) if s.is_success() || (*s == StatusCode::CONFLICT && b["code"] == "limit_reached"))
}

async fn claims(api: &Api, offer: &str, visitors: &[String]) -> Vec<(Duration, Answer)> {
    join_all(visitors.iter().map(|t| {
        let (api, t) = (api.clone(), t.clone());
        let offer = offer.to_string();
        async move {
            let t0 = Instant::now();
            let r = api
                .try_call(
                    Method::POST,
                    &format!("/offers/{offer}/claim"),
                    Some(&t),
                    Some(json!({})),
                )
                .await;
            (t0.elapsed(), r)
        }
    }))
    .await
}

/// The server answers normally again within a few tries, and then keeps doing so.
async fn recovers(api: &Api, visitor: &str) {
    let t = Instant::now();
    loop {
        let r = api
            .try_call(Method::GET, "/me/coupons", Some(visitor), None)
            .await;
        if matches!(&r, Ok((s, _)) if *s == StatusCode::OK) {
            break;
        }
        assert!(
            unavailable(&r),
            "while recovering: only 503 problems: {r:?}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the server recovers by itself"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..10 {
        let (s, b) = api.get("/me/coupons", Some(visitor)).await;
        assert_eq!(s, StatusCode::OK, "after recovery: {b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lost_connections_answer_503_postgres() {
    let Some((url, _guard)) = support::database(Backend::Postgres) else {
        return;
    };
    let server = Server::start(&url, &env(&[]), &["--no-rate-limits", "--pool-size", "6"]).await;
    let api = Api::new(&server.base);
    let w = world(&api, 1, 100_000).await;
    let visitors: Vec<String> = join_all((0..24).map(|_| api.visitor()))
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let mut admin = PgConnection::establish(&url).expect("the test's own database");
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut holder =
        PgConnection::establish(&format!("{url}{sep}application_name=bairro-test-holder"))
            .expect("a second connection");
    let mut report = Vec::new();

    // 1. Idle pooled connections terminated behind the server's back (57P01; the next use
    //    reads "server closed the connection unexpectedly").
    let warm = join_all(
        visitors[..6]
            .iter()
            .map(|t| api.try_call(Method::GET, "/me/coupons", Some(t), None)),
    )
    .await;
    assert!(warm.iter().all(normal));
    let idle = wait_for(&mut admin, "state = 'idle'", 1, "idle pool").await;
    terminate(&mut admin, &idle);
    wait_none(&mut admin).await;
    let mut answers = Vec::new();
    for t in visitors.iter().cycle().take(20) {
        answers.push(
            api.try_call(Method::GET, "/me/coupons", Some(t), None)
                .await,
        );
    }
    let bad: Vec<_> = answers
        .iter()
        .filter(|r| !normal(r) && !unavailable(r))
        .collect();
    let n503 = answers.iter().filter(|r| unavailable(r)).count();
    report.push(format!(
        "idle connections terminated ({}): {n503} × 503 of 20",
        idle.len()
    ));
    assert!(
        bad.is_empty(),
        "idle terminated: {bad:?}\n{}",
        server.logs()
    );
    assert!(
        n503 <= idle.len(),
        "each dead connection answers 503 once and leaves the pool ({n503} × 503 for {} connections)",
        idle.len()
    );
    recovers(&api, &visitors[0]).await;

    // 2. Terminated in the middle of a transaction: the claims wait on a row lock the test
    //    holds, and are terminated while waiting.
    exec(&mut holder, "BEGIN");
    exec(
        &mut holder,
        &format!("SELECT id FROM offers WHERE id = '{}' FOR UPDATE", w.offer),
    );
    let group = visitors[6..10].to_vec();
    let racing = {
        let (api, offer) = (api.clone(), w.offer.clone());
        tokio::spawn(async move { claims(&api, &offer, &group).await })
    };
    let waiting = wait_for(
        &mut admin,
        "wait_event_type = 'Lock' AND xact_start IS NOT NULL",
        4,
        "claims waiting on the offer's row lock",
    )
    .await;
    terminate(&mut admin, &waiting);
    exec(&mut holder, "COMMIT");
    let got = racing.await.unwrap();
    report.push(format!(
        "terminated mid-transaction: {:?}",
        got.iter()
            .map(|(_, r)| r.as_ref().map(|(s, _)| s.as_u16()))
            .collect::<Vec<_>>()
    ));
    assert!(
        got.iter().all(|(_, r)| unavailable(r)),
        "mid-transaction: {got:?}\n{}",
        server.logs()
    );
    recovers(&api, &visitors[0]).await;

    // 3. Terminated while committing: a deferred trigger makes COMMIT wait on a lock the test
    //    holds (tampering with the test's own database to stop time at that moment).
    exec(
        &mut admin,
        "CREATE FUNCTION test_commit_gate() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_advisory_xact_lock_shared(774411); RETURN NULL; END $$",
    );
    exec(
        &mut admin,
        "CREATE CONSTRAINT TRIGGER test_commit_gate AFTER INSERT ON coupons \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_commit_gate()",
    );
    exec(&mut holder, "SELECT pg_advisory_lock(774411)");
    let before = count(&url, "coupons", "1 = 1");
    let group = visitors[10..14].to_vec();
    let racing = {
        let (api, offer) = (api.clone(), w.offer.clone());
        tokio::spawn(async move { claims(&api, &offer, &group).await })
    };
    // The first claim holds the offer's row until its COMMIT, where it waits on the gate; the
    // others wait for that row. All are terminated with the first inside COMMIT.
    wait_for(
        &mut admin,
        "wait_event = 'advisory' AND upper(query) LIKE 'COMMIT%'",
        1,
        "a claim waiting in COMMIT",
    )
    .await;
    let committing = wait_for(
        &mut admin,
        "wait_event_type = 'Lock' AND xact_start IS NOT NULL",
        4,
        "claims waiting in or before COMMIT",
    )
    .await;
    terminate(&mut admin, &committing);
    exec(&mut holder, "SELECT pg_advisory_unlock(774411)");
    let got = racing.await.unwrap();
    exec(&mut admin, "DROP TRIGGER test_commit_gate ON coupons");
    exec(&mut admin, "DROP FUNCTION test_commit_gate()");
    report.push(format!(
        "terminated during COMMIT: {:?}",
        got.iter()
            .map(|(_, r)| r.as_ref().map(|(s, _)| s.as_u16()))
            .collect::<Vec<_>>()
    ));
    assert!(
        got.iter().all(|(_, r)| unavailable(r)),
        "during commit: {got:?}\n{}",
        server.logs()
    );
    assert_eq!(
        count(&url, "coupons", "1 = 1"),
        before,
        "a claim answered 503 left no coupon"
    );
    recovers(&api, &visitors[0]).await;

    // 4. No connection to be had: the database refuses new connections and the pooled ones
    //    are terminated, so checkouts wait and time out.
    let db = url.rsplit('/').next().unwrap();
    let db = db.split('?').next().unwrap().to_string();
    let mut outside = PgConnection::establish(&support::pg_admin_url()).expect("the cluster");
    exec(
        &mut outside,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"),
    );
    let all = backends(&mut admin, "true");
    terminate(&mut admin, &all);
    wait_none(&mut admin).await;
    let got = join_all((0..10).map(|i| {
        let (api, t) = (api.clone(), visitors[14 + i].clone());
        async move {
            let t0 = Instant::now();
            let r = api
                .try_call(Method::GET, "/me/coupons", Some(&t), None)
                .await;
            (t0.elapsed(), r)
        }
    }))
    .await;
    exec(
        &mut outside,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"),
    );
    let waited = got
        .iter()
        .filter(|(d, _)| *d >= Duration::from_secs(5))
        .count();
    report.push(format!(
        "no connection to be had: {:?}, {waited} waited for a checkout",
        got.iter()
            .map(|(d, r)| (
                r.as_ref().map(|(s, _)| s.as_u16()).unwrap_or(0),
                d.as_millis()
            ))
            .collect::<Vec<_>>()
    ));
    assert!(
        got.iter().all(|(_, r)| unavailable(r)),
        "pool checkout: {got:?}"
    );
    assert!(waited > 0, "some request waited for a pool checkout");
    recovers(&api, &visitors[0]).await;

    let internal = server.logs().matches("internal error").count();
    println!(
        "lost PostgreSQL connections: {}; internal errors logged: {internal}",
        report.join("; ")
    );
    assert_eq!(internal, 0, "{}", server.logs());
    drop(holder);
    drop(admin);
    drop(server);
}

/// A lock cycle PostgreSQL breaks (SQLSTATE 40P01, "deadlock detected") rolls one transaction
/// back with nothing written: the server answers it 503 `unavailable` with `Retry-After`, as for
/// a serialization failure, not 500. Provoked for real on the test's own database (two
/// sessions each holding one row and asking for the other's); the error PostgreSQL returns is
/// what the server's one error type maps.
#[test]
fn a_deadlock_is_busy_not_internal_postgres() {
    use actix_web::ResponseError;
    use diesel::connection::SimpleConnection;
    let Some((url, _guard)) = support::database(Backend::Postgres) else {
        return;
    };
    let mut a = PgConnection::establish(&url).expect("the test's own database");
    let mut b = PgConnection::establish(&url).expect("a second session");
    a.batch_execute("CREATE TABLE cycle (id INT PRIMARY KEY); INSERT INTO cycle VALUES (1), (2);")
        .unwrap();
    a.batch_execute("BEGIN; SELECT id FROM cycle WHERE id = 1 FOR UPDATE;")
        .unwrap();
    b.batch_execute("BEGIN; SELECT id FROM cycle WHERE id = 2 FOR UPDATE;")
        .unwrap();
    let other = std::thread::spawn(move || {
        let r = b.batch_execute("SELECT id FROM cycle WHERE id = 1 FOR UPDATE");
        (r, b)
    });
    let mine = a.batch_execute("SELECT id FROM cycle WHERE id = 2 FOR UPDATE");
    let (theirs, _b) = other.join().unwrap();
    // PostgreSQL fails exactly one of the two; the other gets its row once that one is gone.
    let failed: Vec<diesel::result::Error> =
        [mine, theirs].into_iter().filter_map(Result::err).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let err = failed.into_iter().next().unwrap();
    assert!(err.to_string().contains("deadlock detected"), "{err}");
    let answer = bairro::error::AppError::from(err);
    assert!(
        matches!(answer, bairro::error::AppError::Unavailable(_)),
        "{answer:?}"
    );
    let res = answer.error_response();
    assert_eq!(res.status().as_u16(), 503);
    assert!(res.headers().contains_key("retry-after"));
}
