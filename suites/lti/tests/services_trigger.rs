//! `services_trigger_url`: when the profile names it, the NRPS and AGS cases GET
//! it after the launch (the reference tool calls on launch anyway, so every case
//! still passes); a trigger that fails makes those cases `error`, never `pass`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use accredit_core::Outcome;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use common::{dump, non_passing, reference_tool, run_suite};

/// A trigger endpoint answering `status` and counting `GET /sync` requests.
async fn trigger(status: &'static str) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = tokio::time::timeout(Duration::from_secs(2), sock.read(&mut buf))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
                if buf[..n].starts_with(b"GET /sync") {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}/sync"), hits, server)
}

fn is_service_case(id: &str) -> bool {
    id.starts_with("lti.tool.nrps.") || id.starts_with("lti.tool.ags.")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trigger_url_is_requested_by_the_service_cases() {
    let (url, hits, server) = trigger("200 OK").await;
    let (tool, profile) = reference_tool(vec![]).await;
    let profile = format!("{profile}services_trigger_url = \"{url}\"\n");
    let record = run_suite(&profile, Duration::from_secs(20)).await;
    tool.shutdown().await;
    server.abort();
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));
    let nrps = record
        .results
        .iter()
        .filter(|c| c.id.starts_with("lti.tool.nrps."))
        .count();
    assert!(
        hits.load(Ordering::SeqCst) >= nrps && nrps > 0,
        "trigger hits {} for {nrps} NRPS cases",
        hits.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_trigger_makes_the_service_cases_error() {
    let (url, hits, server) = trigger("500 Internal Server Error").await;
    let (tool, profile) = reference_tool(vec![]).await;
    let profile = format!("{profile}services_trigger_url = \"{url}\"\n");
    let record = run_suite(&profile, Duration::from_secs(20)).await;
    tool.shutdown().await;
    server.abort();
    assert!(hits.load(Ordering::SeqCst) > 0);
    for c in record
        .results
        .iter()
        .filter(|c| c.id.starts_with("lti.tool.nrps."))
    {
        assert_eq!(c.outcome, Outcome::Error, "{}", dump(&record));
        assert!(
            c.message.contains("services trigger URL") && c.message.contains("HTTP 500"),
            "{}: {}",
            c.id,
            c.message
        );
    }
    // Cases that do not use the trigger are unaffected.
    assert!(
        record
            .results
            .iter()
            .filter(|c| !is_service_case(&c.id))
            .all(|c| c.outcome == Outcome::Pass),
        "{}",
        dump(&record)
    );
}
