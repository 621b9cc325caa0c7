//! The reference tool driven by hand: login initiation, cookies, launch
//! validation and key rotation, against a minimal JWKS server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use accredit_core::jose::{self, JwkSet, SigningKey};
use accredit_mock_tool::{
    DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID, RunningTool, SUCCESS_MARKER, ToolConfig, start,
};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use rstest::rstest;
use serde_json::{Value, json};

const ISSUER: &str = "https://platform.accredit.test";
const AUTH: &str = "http://127.0.0.1:9/lti/auth";

/// A JWKS endpoint whose key set can be swapped, counting fetches.
#[derive(Clone, Default)]
struct KeyServer {
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
}

async fn key_server(initial: &SigningKey) -> (KeyServer, SocketAddr) {
    let ks = KeyServer::default();
    *ks.keys.lock().unwrap_or_else(|p| p.into_inner()) =
        initial.jwks().unwrap_or_else(|e| panic!("{e}"));
    let app = Router::new()
        .route(
            "/jwks",
            get(|State(ks): State<KeyServer>| async move {
                ks.fetches.fetch_add(1, Ordering::SeqCst);
                axum::Json(ks.keys.lock().unwrap_or_else(|p| p.into_inner()).clone())
            }),
        )
        .with_state(ks.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (ks, addr)
}

async fn tool(jwks: SocketAddr) -> RunningTool {
    let cfg = ToolConfig::reference(ISSUER, AUTH, &format!("http://{jwks}/jwks"));
    start(cfg, None).await.unwrap_or_else(|e| panic!("{e}"))
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn login_params(hint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("iss", ISSUER.into()),
        ("login_hint", hint.into()),
        ("target_link_uri", String::new()),
        ("lti_message_hint", "mh-é &=?".into()),
        ("client_id", DEMO_CLIENT_ID.into()),
        ("lti_deployment_id", DEMO_DEPLOYMENT_ID.into()),
    ]
}

struct Login {
    status: u16,
    cookie: String,
    query: Vec<(String, String)>,
}

impl Login {
    fn get(&self, k: &str) -> String {
        self.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

async fn login(
    c: &reqwest::Client,
    t: &RunningTool,
    post: bool,
    params: &[(&str, String)],
) -> Login {
    let req = if post {
        c.post(&t.urls().login_url).form(params)
    } else {
        c.get(&t.urls().login_url).query(params)
    };
    let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let location = header("location");
    let query = url::Url::parse(&location)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    Login {
        status: r.status().as_u16(),
        cookie: header("set-cookie"),
        query,
    }
}

fn claims(t: &RunningTool, nonce: &str) -> Value {
    let now = jose::now_secs();
    let c = "https://purl.imsglobal.org/spec/lti/claim/";
    json!({
        "iss": ISSUER, "aud": DEMO_CLIENT_ID, "sub": "u-1", "iat": now, "exp": now + 60, "nonce": nonce,
        format!("{c}message_type"): "LtiResourceLinkRequest",
        format!("{c}version"): "1.3.0",
        format!("{c}deployment_id"): DEMO_DEPLOYMENT_ID,
        format!("{c}target_link_uri"): t.urls().launch_url,
        format!("{c}roles"): [],
        format!("{c}resource_link"): {"id": "rl-1"},
    })
}

async fn launch(c: &reqwest::Client, t: &RunningTool, token: &str, state: &str) -> (u16, String) {
    let r = c
        .post(&t.urls().launch_url)
        .form(&[("id_token", token), ("state", state)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

/// Logs in and launches `claims` (nonce filled in) signed by `key`.
async fn full_launch(
    t: &RunningTool,
    key: &SigningKey,
    patch: impl Fn(&mut Value),
) -> (u16, String) {
    let c = browser();
    let mut p = login_params("lh-123456789");
    p[2].1 = t.urls().launch_url.clone();
    let l = login(&c, t, false, &p).await;
    assert_eq!(l.status, 302);
    let mut cl = claims(t, &l.get("nonce"));
    patch(&mut cl);
    let token = jose::sign_rs256(&cl, key).unwrap_or_else(|e| panic!("{e}"));
    launch(&c, t, &token, &l.get("state")).await
}

#[rstest]
#[case::get(false)]
#[case::post(true)]
#[tokio::test]
async fn login_redirects_with_every_parameter(#[case] post: bool) {
    let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
    let (_ks, addr) = key_server(&key).await;
    let t = tool(addr).await;
    let mut p = login_params("lh-abc");
    p[2].1 = t.urls().launch_url.clone();
    let l = login(&browser(), &t, post, &p).await;
    assert_eq!(l.status, 302);
    for (k, v) in [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("client_id", DEMO_CLIENT_ID),
        ("login_hint", "lh-abc"),
        ("lti_message_hint", "mh-é &=?"),
    ] {
        assert_eq!(l.get(k), v, "{k}");
    }
    assert_eq!(l.get("redirect_uri"), t.urls().launch_url);
    assert!(l.get("state").len() > 16 && l.get("nonce").len() > 16);
    // http on loopback is a secure context for browsers: the cookie works in a
    // cross-site iframe, also where third-party cookies are blocked (CHIPS).
    assert!(
        ["HttpOnly", "SameSite=None", "Secure", "Partitioned"]
            .iter()
            .all(|a| l.cookie.contains(a)),
        "{}",
        l.cookie
    );
}

#[rstest]
#[case::unknown_issuer(0, "https://evil.example", "unknown issuer")]
#[case::unknown_client(4, "someone-else", "unknown client_id")]
#[case::unknown_deployment(5, "nope", "unknown lti_deployment_id")]
#[case::no_hint(1, "", "login_hint")]
#[tokio::test]
async fn bad_logins_are_refused(#[case] index: usize, #[case] value: &str, #[case] reason: &str) {
    let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
    let (_ks, addr) = key_server(&key).await;
    let t = tool(addr).await;
    let mut p = login_params("lh-abc");
    p[2].1 = t.urls().launch_url.clone();
    p[index].1 = value.into();
    let r = browser()
        .get(&t.urls().login_url)
        .query(&p)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 400);
    let body = r.text().await.unwrap_or_default();
    assert!(body.contains(reason), "{body}");
}

/// A change to the claims of an otherwise valid launch.
type Patch = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn a_valid_launch_is_accepted_and_bad_ones_refused() {
    let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
    let (_ks, addr) = key_server(&key).await;
    let t = tool(addr).await;
    let (s, body) = full_launch(&t, &key, |_| {}).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains(SUCCESS_MARKER));
    let lti = "https://purl.imsglobal.org/spec/lti/claim/";
    let cases: Vec<(Patch, u16, &str)> = vec![
        (
            Box::new(|c| c["aud"] = json!(["other", DEMO_CLIENT_ID])),
            401,
            "azp",
        ),
        (
            Box::new(|c| c["iss"] = json!(format!("{ISSUER}/"))),
            401,
            "issuer mismatch",
        ),
        (
            Box::new(move |c| c[format!("{lti}version")] = json!("11.3")),
            400,
            "not 1.3.0",
        ),
        (
            Box::new(move |c| c[format!("{lti}deployment_id")] = json!("other")),
            403,
            "deployment",
        ),
        (Box::new(|c| c["sub"] = json!("")), 400, "sub"),
        (
            Box::new(|c| c["iat"] = json!(jose::now_secs() + 120)),
            401,
            "future",
        ),
    ];
    for (patch, status, reason) in cases {
        let (s, body) = full_launch(&t, &key, patch).await;
        assert_eq!(s, status, "{reason}: {body}");
        assert!(body.contains(reason), "{reason}: {body}");
    }
}

#[tokio::test]
async fn state_must_come_back_in_the_cookie_and_only_once() {
    let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
    let (_ks, addr) = key_server(&key).await;
    let t = tool(addr).await;
    let c = browser();
    let mut p = login_params("lh-1");
    p[2].1 = t.urls().launch_url.clone();
    let l = login(&c, &t, false, &p).await;
    let token =
        jose::sign_rs256(&claims(&t, &l.get("nonce")), &key).unwrap_or_else(|e| panic!("{e}"));
    // Another browser (no cookie) posting the right state is refused.
    let (s, body) = launch(&browser(), &t, &token, &l.get("state")).await;
    assert_eq!(s, 401, "{body}");
    assert!(body.contains("state cookie"), "{body}");
    // A forged state is refused.
    let (s, _) = launch(&c, &t, &token, "st-forged").await;
    assert_eq!(s, 401);
    // The right browser succeeds once; a second post of the same form is refused.
    let (s, body) = launch(&c, &t, &token, &l.get("state")).await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = launch(&c, &t, &token, &l.get("state")).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn an_unknown_kid_triggers_one_jwks_refetch() {
    let old = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
    let (ks, addr) = key_server(&old).await;
    let t = tool(addr).await;
    assert_eq!(full_launch(&t, &old, |_| {}).await.0, 200);
    assert_eq!(ks.fetches.load(Ordering::SeqCst), 1);
    // Cached: no new fetch.
    assert_eq!(full_launch(&t, &old, |_| {}).await.0, 200);
    assert_eq!(ks.fetches.load(Ordering::SeqCst), 1);
    // Rotation: a new kid is published; the tool re-fetches once and accepts.
    let new = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
    {
        let mut keys = ks.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.keys
            .push(new.public_jwk().unwrap_or_else(|e| panic!("{e}")));
    }
    assert_eq!(full_launch(&t, &new, |_| {}).await.0, 200);
    assert_eq!(ks.fetches.load(Ordering::SeqCst), 2);
    // A kid nobody publishes: one re-fetch, then refused.
    let stranger = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
    let (s, body) = full_launch(&t, &stranger, |_| {}).await;
    assert_eq!(s, 401, "{body}");
    assert!(body.contains("no key with kid"), "{body}");
    assert_eq!(ks.fetches.load(Ordering::SeqCst), 3);
}
