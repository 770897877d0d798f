//! Live statistics: the server-sent event stream of a campaign's totals.

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

/// Reads server-sent events from a response body.
struct Events {
    body: futures::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buf: String,
}

impl Events {
    /// The next `data:` event as JSON, or None when none came before `deadline`.
    async fn next_data(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                let data: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
                if !data.is_empty() {
                    return Some(serde_json::from_str(&data.join("\n")).expect("data is JSON"));
                }
                continue;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// Waits until an event satisfies `want`; returns it.
    async fn until(&mut self, secs: u64, want: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while let Some(v) = self.next_data(deadline).await {
            if want(&v) {
                return Some(v);
            }
        }
        None
    }
}

async fn open(
    app: &TestApp,
    cid: &str,
    token: Option<&str>,
) -> (StatusCode, String, Option<Events>) {
    let mut rb = app
        .client
        .get(format!("{}/api/v1/campaigns/{cid}/stats/stream", app.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.expect("stream opened");
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if !status.is_success() {
        return (status, ct, None);
    }
    let body = r.bytes_stream().map(|c| c.map(|b| b.to_vec())).boxed();
    (
        status,
        ct,
        Some(Events {
            body,
            buf: String::new(),
        }),
    )
}

both!(stats_stream_sends_new_totals_to_every_subscriber, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({})).await;

    // Several screens watch the same campaign.
    let mut streams = Vec::new();
    for _ in 0..4 {
        let (s, ct, ev) = open(&app, cid, Some(&off)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        streams.push(ev.unwrap());
    }
    for ev in &mut streams {
        let first = ev
            .until(15, |_| true)
            .await
            .expect("the current totals arrive at once");
        assert_eq!(first["campaign_id"], cid);
        assert_eq!(first["funnel"]["checkins"], 0, "{first}");
    }
    // The same shape as the totals of /stats.
    let (s, full) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(full["funnel"]["checkins"], 0);

    let (_, v) = app.visitor().await;
    let (s, b) = app
        .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let made = Instant::now();
    for ev in &mut streams {
        let got = ev
            .until(10, |v| v["funnel"]["checkins"] == 1)
            .await
            .expect("the check-in reaches every open stream");
        assert_eq!(got["funnel"]["visitors"], 1, "{got}");
    }
    assert!(
        made.elapsed() < Duration::from_secs(10),
        "late: {:?}",
        made.elapsed()
    );

    // A stream opened now starts with the new figures.
    let (_, _, late) = open(&app, cid, Some(&off)).await;
    let now = late.unwrap().until(10, |_| true).await.unwrap();
    assert_eq!(now["funnel"]["checkins"], 1);
});

both!(stats_stream_is_for_officials_only, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let (_, v) = app.visitor().await;
    assert_eq!(open(&app, cid, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(open(&app, cid, Some(&m)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(open(&app, cid, Some(&v)).await.0, StatusCode::FORBIDDEN);
    let (s, b) = app
        .get("/campaigns/no-such-campaign/stats/stream", Some(&off))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(b["code"], "not_found");
    // `once` gives one event and closes: a snapshot by slug as well as by id.
    let (s, text, h) = app
        .raw(
            reqwest::Method::GET,
            &format!(
                "/campaigns/{}/stats/stream?once=true",
                c["slug"].as_str().unwrap()
            ),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let data: Vec<&str> = text.lines().filter(|l| l.starts_with("data:")).collect();
    assert_eq!(data.len(), 1, "{text}");
    let v: Value = serde_json::from_str(data[0].trim_start_matches("data:").trim()).unwrap();
    assert_eq!(v["funnel"]["checkins"], 0);
});

both!(
    one_shared_count_per_campaign_whatever_the_subscribers,
    |app| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let hub = &app.state.live;
        let mut streams = Vec::new();
        for _ in 0..12 {
            let (s, _, ev) = open(&app, cid, Some(&off)).await;
            assert_eq!(s, StatusCode::OK);
            streams.push(ev.unwrap());
        }
        for ev in &mut streams {
            ev.until(15, |_| true).await.expect("first figures");
        }
        assert_eq!(hub.feeds(), 1, "one feed for the campaign");
        // Twelve subscribers, one count a second: five more counts take about five seconds. One
        // count per connection would make them in well under one.
        let (r0, t0) = (hub.recounts(), Instant::now());
        let deadline = t0 + Duration::from_secs(30);
        while hub.recounts() < r0 + 5 {
            assert!(Instant::now() < deadline, "the feed stopped counting");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_millis(3500),
            "5 counts in {took:?}: counted per subscriber, not shared"
        );
        // The last subscriber gone, the feed stops.
        drop(streams);
        let deadline = Instant::now() + Duration::from_secs(30);
        while hub.feeds() > 0 {
            assert!(
                Instant::now() < deadline,
                "the feed outlived its subscribers"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
);

both!(two_hundred_dashboards_share_one_count, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({})).await;
    let hub = &app.state.live;
    let pages = || app.state.caches.recounts().1;

    // 200 dashboards open at once.
    let (before, t0) = (pages(), Instant::now());
    let opened = futures::future::join_all((0..200).map(|_| open(&app, cid, Some(&off)))).await;
    let mut streams = Vec::new();
    for (s, _, ev) in opened {
        assert_eq!(s, StatusCode::OK);
        streams.push(ev.unwrap());
    }
    for ev in &mut streams {
        let first = ev.until(30, |_| true).await.expect("first figures");
        assert_eq!(first["funnel"]["checkins"], 0, "{first}");
    }
    assert_eq!(hub.feeds(), 1, "one feed for the campaign");
    // One count for all of them (plus one every two seconds while they kept opening), not
    // one per dashboard.
    let allowed = 1 + (t0.elapsed().as_secs_f64() / 2.0).ceil() as u64;
    let counted = pages() - before;
    assert!(
        (1..=allowed).contains(&counted),
        "200 dashboards opened in {:?}: {counted} counts (at most {allowed})",
        t0.elapsed()
    );

    // While they stay open the figures are recounted at most every two seconds, whatever the
    // number of dashboards: over three feed ticks, at most three counts.
    let (c0, r0, t1) = (pages(), hub.recounts(), Instant::now());
    let deadline = t1 + Duration::from_secs(30);
    while hub.recounts() < r0 + 3 {
        assert!(Instant::now() < deadline, "the feed stopped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let allowed = 1 + (t1.elapsed().as_secs_f64() / 2.0).ceil() as u64;
    assert!(
        pages() - c0 <= allowed,
        "{} counts in {:?} with 200 dashboards open (at most {allowed})",
        pages() - c0,
        t1.elapsed()
    );

    // A check-in reaches every dashboard.
    let (_, v) = app.visitor().await;
    let (s, b) = app
        .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for ev in &mut streams {
        ev.until(20, |v| v["funnel"]["checkins"] == 1)
            .await
            .expect("the check-in reaches every open dashboard");
    }
    drop(streams);
});
