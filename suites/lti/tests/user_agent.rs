//! The harness's browser against tiny local servers: redirects, 307 POST
//! replays, auto-submitted forms, cookies, and the redirect-loop guard.

use std::net::SocketAddr;
use std::time::Duration;

use accredit_core::evidence::EvidenceLog;
use accredit_core::reports::Redactor;
use accredit_suite_lti::ua::{MAX_HOPS, Nav, UaError, UserAgent};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{any, get, post};
use url::Url;

async fn serve(app: Router) -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    addr
}

fn ua() -> (UserAgent, EvidenceLog) {
    let log = EvidenceLog::new("t", Redactor::default());
    (
        UserAgent::new(log.clone()).unwrap_or_else(|e| panic!("{e}")),
        log,
    )
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn redirects_forms_and_cookies_are_followed_and_recorded() {
    let app = Router::new()
        .route(
            "/start",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [
                        (header::LOCATION, "/relay"),
                        (header::SET_COOKIE, "sid=abc123; Path=/; SameSite=Lax"),
                    ],
                )
            }),
        )
        .route(
            "/relay",
            get(|| async {
                Html("<body onload=\"document.forms[0].submit()\"><form method=POST action='/replay'><input type=hidden name=tok value='x&amp;y'></form></body>")
            }),
        )
        .route(
            "/replay",
            post(|| async { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/end")]) }),
        )
        .route(
            "/end",
            post(|headers: axum::http::HeaderMap, body: String| async move {
                let cookie = headers
                    .get(header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                format!("body={body} cookie={cookie}")
            }),
        );
    let addr = serve(app).await;
    let (ua, log) = ua();
    let j = ua
        .browse(Nav::get(url(addr, "/start"), &[]), Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let path: Vec<String> = j
        .hops
        .iter()
        .map(|h| format!("{} {} {}", h.nav.method, h.nav.url.path(), h.status))
        .collect();
    assert_eq!(
        path,
        vec![
            "GET /start 302",
            "GET /relay 200",
            "POST /replay 307",
            "POST /end 200"
        ]
    );
    let last = j.last().map(|h| h.response.text()).unwrap_or_default();
    assert_eq!(last, "body=tok=x%26y cookie=sid=abc123");
    assert_eq!(log.len(), 4, "every hop is evidence");
}

#[tokio::test]
async fn a_redirect_loop_is_a_clear_error() {
    let app = Router::new().route(
        "/loop",
        any(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response() }),
    );
    let addr = serve(app).await;
    let (ua, log) = ua();
    let err = ua
        .browse(Nav::get(url(addr, "/loop"), &[]), Duration::from_secs(10))
        .await
        .err()
        .unwrap_or_else(|| panic!("a loop must not end well"));
    assert!(matches!(err, UaError::RedirectLoop { .. }), "{err}");
    assert!(err.to_string().starts_with("redirect loop"), "{err}");
    assert_eq!(log.len(), MAX_HOPS + 1);
}

#[tokio::test]
async fn the_deadline_bounds_a_silent_server() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let (ua, _) = ua();
    let t0 = std::time::Instant::now();
    let err = ua
        .browse(Nav::get(url(addr, "/x"), &[]), Duration::from_millis(500))
        .await
        .err()
        .unwrap_or_else(|| panic!("must time out"));
    hold.abort();
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    assert!(err.to_string().contains("timed out"), "{err}");
}
