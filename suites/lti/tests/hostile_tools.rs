//! Hostile candidates: a tool that answers garbage, an endless body, or drops the
//! connection. Each stands in for the tool as a tiny raw TCP server; the suite is
//! run exactly as the CLI runs it. Why: the certificate must never read "pass"
//! for such a tool, and the run must end (bounded time and memory) with clear
//! messages so the report is always written.

mod common;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use accredit_core::Outcome;
use accredit_core::runner::RunRecord;
use accredit_suite_lti::reserve_port;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use common::{dump, profile_for, run_suite};

/// Upper bound for a whole hostile run; a hang fails the test instead of CI.
const RUN_BOUND: Duration = Duration::from_secs(120);

/// Serves every connection with `serve` and runs the suite against it.
async fn run_against<F, Fut>(serve: F) -> RunRecord
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr: SocketAddr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let server = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(serve(sock));
        }
    });
    let platform = reserve_port().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile_for(
        &format!("http://{addr}/lti/login"),
        &format!("http://{addr}/lti/launch"),
        platform,
    );
    let record = tokio::time::timeout(RUN_BOUND, run_suite(&profile, Duration::from_secs(5)))
        .await
        .unwrap_or_else(|_| panic!("the run hung"));
    server.abort();
    record
}

/// Reads (part of) the request head so the client is not reset before it writes.
async fn read_head(sock: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(2), sock.read(&mut buf)).await;
}

/// No case passed, and every case has a non-empty message.
fn assert_none_pass(record: &RunRecord) {
    assert!(!record.results.is_empty(), "no results");
    for c in &record.results {
        assert!(
            matches!(c.outcome, Outcome::Error | Outcome::Fail | Outcome::Skip),
            "{} should not pass:\n{}",
            c.id,
            dump(record)
        );
        assert!(!c.message.trim().is_empty(), "{}: empty message", c.id);
    }
    assert!(
        record
            .results
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Error | Outcome::Fail)),
        "{}",
        dump(record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_answering_binary_garbage_never_passes() {
    let record = run_against(|mut sock| async move {
        read_head(&mut sock).await;
        let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 131 % 251) as u8).collect();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            garbage.len()
        );
        let _ = sock.write_all(head.as_bytes()).await;
        let _ = sock.write_all(&garbage).await;
        let _ = sock.shutdown().await;
    })
    .await;
    assert_none_pass(&record);
    for c in &record.results {
        // Readable: the raw bytes are not pasted into the message.
        assert!(
            !c.message
                .chars()
                .any(|ch| ch == '\u{FFFD}' || ch.is_control()),
            "{}: unreadable message {:?}",
            c.id,
            c.message
        );
    }
    assert!(
        record
            .results
            .iter()
            .any(|c| c.message.contains("a binary (non-text) body")),
        "{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_sending_a_huge_body_is_cut_at_the_response_limit() {
    let record = run_against(|mut sock| async move {
        read_head(&mut sock).await;
        // Announces 50 MB and streams until the harness hangs up.
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 52428800\r\nConnection: close\r\n\r\n";
        if sock.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..800 {
            if sock.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    assert_none_pass(&record);
    let limit = accredit_core::http::RESPONSE_LIMIT.to_string();
    assert!(
        record
            .results
            .iter()
            .any(|c| c.message.contains("oversized response")
                && c.message.contains("exceeds")
                && c.message.contains(&limit)),
        "no case names the response limit:\n{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_drops_connections_gives_errors() {
    let record = run_against(|sock| async move {
        drop(sock);
    })
    .await;
    assert_none_pass(&record);
    for c in &record.results {
        assert_eq!(c.outcome, Outcome::Error, "{}", dump(&record));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_closes_mid_headers_gives_errors() {
    let record = run_against(|mut sock| async move {
        read_head(&mut sock).await;
        let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await;
        let _ = sock.shutdown().await;
    })
    .await;
    assert_none_pass(&record);
    for c in &record.results {
        assert_eq!(c.outcome, Outcome::Error, "{}", dump(&record));
    }
}
