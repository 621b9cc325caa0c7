//! The reference-platform mode over real HTTP: built-in launches started at
//! `/lti/start?launch=<kind>`, the strict OIDC authentication endpoint, the token
//! endpoint, built-in NRPS and AGS contexts, the enforcing Deep Linking return,
//! and injected faults that each change exactly the behaviour they name.
//!
//! The "tool" is a real RSA key whose JWKS is served on loopback (client
//! assertions and Deep Linking responses are verified against it); id_tokens
//! are verified with the JWKS the platform serves.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use accredit_core::jose::{self, JwkSet, SigningKey, VerifyPolicy, now_secs};
use accredit_core::server::ServerHandle;
use accredit_mock_platform::{
    AGS_SCOPE_LINEITEM, AGS_SCOPE_RESULT_READONLY, AGS_SCOPE_SCORE, ClientRegistration, DL_DATA,
    LINEITEM_MEDIA_TYPE, LINEITEMS_MEDIA_TYPE, LaunchKind, NRPS_MEDIA_TYPE, NRPS_SCOPE,
    PlatformConfig, PlatformFault, REFERENCE_ISSUER, RESULTS_MEDIA_TYPE, RunningPlatform,
    SCORE_MEDIA_TYPE, start_reference_platform,
};
use rstest::rstest;
use serde_json::{Value, json};

const CLIENT: &str = "accredit-tool";
const LAUNCH: &str = "http://127.0.0.1:9/lti/launch";
const LOGIN: &str = "http://127.0.0.1:9/lti/login";
const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";
const NRPS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

struct Env {
    p: RunningPlatform,
    key: SigningKey,
    http: reqwest::Client,
    _tool: ServerHandle,
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Keys generated once per test binary (RSA generation dominates a test's
/// time): the tool's key and the platform's key file.
fn keys() -> &'static (SigningKey, PathBuf) {
    static KEYS: OnceLock<(SigningKey, PathBuf)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let tool = ok(SigningKey::generate());
        let platform = ok(SigningKey::generate());
        // One file per process: nextest runs every test in its own process, and a
        // shared path let one process read another's half-written key.
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("reference-platform-key-{}.pem", std::process::id()));
        ok(std::fs::write(&path, ok(platform.to_pem())));
        (tool, path)
    })
}

async fn env(faults: &[PlatformFault]) -> Env {
    env_with(faults, false).await
}

/// A platform with `faults`; `public_helper` starts it with
/// [`start_reference_platform`] (a fresh key), otherwise with the shared key.
async fn env_with(faults: &[PlatformFault], public_helper: bool) -> Env {
    let (key, key_file) = ok(tokio::task::spawn_blocking(keys).await).clone();
    let jwks = ok(key.jwks());
    let listener = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
    let addr = ok(listener.local_addr());
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let tool = ServerHandle::spawn(listener, app);
    let reg = ClientRegistration {
        client_id: CLIENT.into(),
        redirect_uris: vec![LAUNCH.into()],
        deployment_ids: vec!["deployment-7".into()],
        login_url: Some(LOGIN.into()),
        target_link_uri: Some(LAUNCH.into()),
        jwks_url: Some(format!("http://{addr}/jwks")),
    };
    let p = if public_helper {
        ok(start_reference_platform(reg, faults.iter().copied()).await)
    } else {
        let mut cfg = PlatformConfig::single(
            REFERENCE_ISSUER,
            "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
            reg,
        )
        .with_faults(faults.iter().copied());
        cfg.key_file = Some(key_file);
        ok(accredit_mock_platform::start(cfg, None).await)
    };
    let http = ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build());
    Env {
        p,
        key,
        http,
        _tool: tool,
    }
}

/// Starts a launch; returns the login initiation parameters.
async fn initiate(e: &Env, kind: LaunchKind) -> HashMap<String, String> {
    let r = ok(e.http.get(e.p.launch_start_url(CLIENT, kind)).send().await);
    assert_eq!(r.status().as_u16(), 302);
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(loc.starts_with(LOGIN), "{loc}");
    let u = ok(url::Url::parse(&loc));
    u.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn auth_params(login: &HashMap<String, String>, nonce: &str) -> Vec<(String, String)> {
    let get = |k: &str| login.get(k).cloned().unwrap_or_default();
    [
        ("scope", "openid".to_string()),
        ("response_type", "id_token".into()),
        ("response_mode", "form_post".into()),
        ("prompt", "none".into()),
        ("client_id", get("client_id")),
        ("redirect_uri", LAUNCH.into()),
        ("login_hint", get("login_hint")),
        ("lti_message_hint", get("lti_message_hint")),
        ("state", "st-1".into()),
        ("nonce", nonce.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn set(p: &mut Vec<(String, String)>, name: &str, value: Option<&str>) {
    p.retain(|(k, _)| k != name);
    if let Some(v) = value {
        p.push((name.into(), v.into()));
    }
}

/// Sends an authentication request; returns status, body, and the id_token of
/// the form_post page when there is one.
async fn authorize(e: &Env, params: &[(String, String)]) -> (u16, String, Option<String>) {
    let r = ok(e
        .http
        .post(&e.p.endpoints().auth_url)
        .form(params)
        .send()
        .await);
    let status = r.status().as_u16();
    assert!(
        r.headers().get("location").is_none(),
        "the platform redirected"
    );
    let body = ok(r.text().await);
    let token = body
        .split("name=\"id_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(String::from);
    (status, body, token)
}

async fn platform_jwks(e: &Env) -> Value {
    ok(ok(e.http.get(&e.p.endpoints().jwks_url).send().await)
        .json()
        .await)
}

/// A full strict launch: the verified claims, header and the login parameters.
async fn launch(e: &Env, kind: LaunchKind) -> (Value, Value, HashMap<String, String>) {
    let login = initiate(e, kind).await;
    let (status, body, token) = authorize(e, &auth_params(&login, "n-0001")).await;
    assert_eq!(status, 200, "{body}");
    let token = token.unwrap_or_else(|| panic!("no id_token in {body}"));
    let d = ok(jose::decode_unverified(&token));
    (d.claims, d.header, login)
}

fn assertion(e: &Env, change: impl FnOnce(&mut Value)) -> String {
    let now = now_secs();
    let mut c = json!({"iss": CLIENT, "sub": CLIENT, "aud": e.p.token_url(), "iat": now,
                       "exp": now + 300, "jti": format!("jti-{}", uuid::Uuid::new_v4().simple())});
    change(&mut c);
    ok(jose::sign_rs256(&c, &e.key))
}

async fn token_request(e: &Env, assertion: String, scope: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials".to_string()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion", assertion),
        ("scope", scope.into()),
    ];
    let r = ok(e.http.post(e.p.token_url()).form(&form).send().await);
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn token(e: &Env, scope: &str) -> String {
    let (status, body) = token_request(e, assertion(e, |_| {}), scope).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn start_redirects_to_the_tool_login_with_every_parameter() {
    let e = env_with(&[], true).await;
    let login = initiate(&e, LaunchKind::Student).await;
    assert_eq!(login["iss"], e.p.issuer());
    assert_eq!(login["client_id"], CLIENT);
    assert_eq!(login["target_link_uri"], LAUNCH);
    assert_eq!(login["lti_deployment_id"], "deployment-7");
    assert!(!login["login_hint"].is_empty() && !login["lti_message_hint"].is_empty());
    let r = ok(e
        .http
        .get(format!(
            "{}/lti/start?client_id={CLIENT}&launch=admin",
            e.p.endpoints().base_url
        ))
        .send()
        .await);
    assert_eq!(r.status().as_u16(), 400);
}

#[rstest]
#[case::student(LaunchKind::Student)]
#[case::student_no_pii(LaunchKind::StudentNoPii)]
#[case::instructor(LaunchKind::Instructor)]
#[case::instructor_no_pii(LaunchKind::InstructorNoPii)]
#[case::deep_linking(LaunchKind::DeepLinking)]
#[case::nrps(LaunchKind::Nrps)]
#[case::ags1(LaunchKind::AgsContext1)]
#[case::ags2(LaunchKind::AgsContext2)]
#[tokio::test]
async fn a_strict_auth_request_gets_a_verified_id_token(#[case] kind: LaunchKind) {
    let e = env(&[]).await;
    let login = initiate(&e, kind).await;
    let (status, body, token) = authorize(&e, &auth_params(&login, "n-strict")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("action=\"{LAUNCH}\"")), "{body}");
    assert!(body.contains("name=\"state\" value=\"st-1\""));
    let keys: JwkSet = ok(serde_json::from_value(platform_jwks(&e).await));
    let v = ok(jose::verify(
        &token.unwrap_or_default(),
        &keys,
        &VerifyPolicy::default(),
    ));
    let c = v.claims;
    assert_eq!(v.header["alg"], "RS256");
    ok(jose::check_claims(
        &c,
        &jose::ClaimRules {
            issuer: Some(e.p.issuer().into()),
            audience: Some(CLIENT.into()),
            nonce: Some("n-strict".into()),
            ..Default::default()
        },
    ));
    assert_eq!(c[format!("{LTI}version")], "1.3.0");
    assert_eq!(c[format!("{LTI}deployment_id")], login["lti_deployment_id"]);
    assert_eq!(c[format!("{LTI}target_link_uri")], LAUNCH);
    let role = c[format!("{LTI}roles")][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(role.ends_with("#Learner"), kind.learner(), "{role}");
    let pii = ["name", "given_name", "family_name"]
        .iter()
        .all(|k| c.get(*k).is_some());
    let no_pii = matches!(kind, LaunchKind::StudentNoPii | LaunchKind::InstructorNoPii);
    assert_eq!(pii, !no_pii);
    assert_eq!(c.get("email").is_some(), kind != LaunchKind::StudentNoPii);
    assert_eq!(c[format!("{LTI}context")]["id"], kind.context());
    if kind == LaunchKind::DeepLinking {
        assert_eq!(c[format!("{LTI}message_type")], "LtiDeepLinkingRequest");
        let st = &c[format!("{DL}deep_linking_settings")];
        assert!(
            st["deep_link_return_url"]
                .as_str()
                .is_some_and(|u| u.contains("launch="))
        );
        assert_eq!(st["accept_types"], json!(["link", "ltiResourceLink"]));
        assert_eq!(
            st["accept_presentation_document_targets"],
            json!(["iframe", "window"])
        );
        assert_eq!(st["data"], DL_DATA);
    } else {
        assert_eq!(c[format!("{LTI}message_type")], "LtiResourceLinkRequest");
        assert!(c[format!("{LTI}resource_link")]["id"].is_string());
        assert_eq!(c[NRPS_CLAIM]["service_versions"], json!(["2.0"]));
        assert_eq!(c[AGS_CLAIM]["scope"].as_array().map(Vec::len), Some(4));
        assert!(
            c[AGS_CLAIM]["lineitems"]
                .as_str()
                .is_some_and(|u| u.contains(kind.context()))
        );
    }
}

#[rstest]
#[case::unregistered_redirect(
    "redirect_uri",
    Some("https://attacker.example/cb"),
    "invalid_request"
)]
#[case::response_type("response_type", Some("code"), "unsupported_response_type")]
#[case::scope("scope", Some("profile"), "invalid_scope")]
#[case::no_prompt("prompt", None, "invalid_request")]
#[case::prompt_login("prompt", Some("login"), "invalid_request")]
#[case::response_mode("response_mode", Some("query"), "invalid_request")]
#[case::other_user("login_hint", Some("lh-someone-else"), "login_required")]
#[case::no_nonce("nonce", None, "invalid_request")]
#[case::unknown_client("client_id", Some("rogue-tool"), "unauthorized_client")]
#[case::no_state("state", None, "invalid_request")]
#[tokio::test]
async fn each_auth_request_violation_is_refused_without_a_token(
    #[case] name: &str,
    #[case] value: Option<&str>,
    #[case] error: &str,
) {
    let e = env(&[]).await;
    let login = initiate(&e, LaunchKind::Instructor).await;
    let mut p = auth_params(&login, "n-1");
    set(&mut p, name, value);
    let (status, body, token) = authorize(&e, &p).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        token.is_none() && !body.contains("name=\"id_token\""),
        "{body}"
    );
    let v: Value = ok(serde_json::from_str(&body));
    assert_eq!(v["error"], error, "{body}");
    // The same launch still works with a strict request.
    let (status, _, token) = authorize(&e, &auth_params(&login, "n-2")).await;
    assert_eq!(status, 200);
    assert!(token.is_some());
}

#[tokio::test]
async fn the_jwks_publishes_public_rsa_keys_only() {
    let e = env(&[]).await;
    let set = platform_jwks(&e).await;
    let keys = set["keys"].as_array().cloned().unwrap_or_default();
    assert!(!keys.is_empty());
    for k in keys {
        assert_eq!(k["kty"], "RSA");
        assert!(k["kid"].is_string() && k["n"].is_string() && k["e"].is_string());
        assert!(k.get("d").is_none());
    }
}

#[rstest]
#[case::aud(|c: &mut Value| c["aud"] = json!("https://lms.accredit.test"), "invalid_client")]
#[case::iss_sub(|c: &mut Value| c["sub"] = json!("someone-else"), "invalid_client")]
#[case::expired(|c: &mut Value| { c["iat"] = json!(now_secs() - 900); c["exp"] = json!(now_secs() - 600); }, "invalid_client")]
#[case::no_jti(|c: &mut Value| { if let Some(o) = c.as_object_mut() { o.remove("jti"); } }, "invalid_client")]
#[tokio::test]
async fn each_bad_assertion_gets_a_400(#[case] change: fn(&mut Value), #[case] error: &str) {
    let e = env(&[]).await;
    let (status, body) = token_request(&e, assertion(&e, change), NRPS_SCOPE).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], error);
    assert!(body.get("access_token").is_none());
}

#[tokio::test]
async fn token_endpoint_refuses_replay_and_alg_none_and_grants_known_scopes_only() {
    let e = env(&[]).await;
    let a = assertion(&e, |_| {});
    assert_eq!(token_request(&e, a.clone(), NRPS_SCOPE).await.0, 200);
    let (status, body) = token_request(&e, a, NRPS_SCOPE).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client"))
    );
    let now = now_secs();
    let none = ok(jose::sign_with_alg_none(
        &json!({"iss": CLIENT, "sub": CLIENT,
        "aud": e.p.token_url(), "iat": now, "exp": now + 300, "jti": "jti-none"}),
    ));
    assert_eq!(token_request(&e, none, NRPS_SCOPE).await.0, 400);
    let (status, body) = token_request(
        &e,
        assertion(&e, |_| {}),
        &format!("{NRPS_SCOPE} https://example.com/scope/everything"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], NRPS_SCOPE);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let (status, body) = token_request(
        &e,
        assertion(&e, |_| {}),
        "https://example.com/scope/everything",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

async fn get(e: &Env, url: &str, token: &str, accept: &str) -> reqwest::Response {
    ok(e.http
        .get(url)
        .bearer_auth(token)
        .header("accept", accept)
        .send()
        .await)
}

fn next_link(r: &reqwest::Response, rel: &str) -> Option<String> {
    let link = r.headers().get("link")?.to_str().ok()?.to_string();
    link.split(", ")
        .find(|l| l.ends_with(&format!("rel=\"{rel}\"")))
        .and_then(|l| l.strip_prefix('<'))
        .and_then(|l| l.split_once('>'))
        .map(|(u, _)| u.to_string())
}

#[tokio::test]
async fn nrps_pages_filters_and_reports_differences() {
    let e = env(&[]).await;
    let (claims, _, _) = launch(&e, LaunchKind::Nrps).await;
    let url = claims[NRPS_CLAIM]["context_memberships_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let t = token(&e, NRPS_SCOPE).await;
    // Whole list, then walking limit=2 pages yields every member once.
    let all: Value = ok(get(&e, &url, &t, NRPS_MEDIA_TYPE).await.json().await);
    let everyone: Vec<Value> = all["members"].as_array().cloned().unwrap_or_default();
    assert!(everyone.len() >= 5);
    assert_eq!(all["context"]["id"], "context-1");
    let mut next = Some(format!("{url}?limit=2"));
    let mut walked = Vec::new();
    while let Some(u) = next {
        let r = get(&e, &u, &t, NRPS_MEDIA_TYPE).await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some(NRPS_MEDIA_TYPE)
        );
        next = next_link(&r, "next");
        let page: Value = ok(r.json().await);
        walked.extend(page["members"].as_array().cloned().unwrap_or_default());
        assert!(walked.len() <= everyone.len());
    }
    assert_eq!(walked, everyone);
    // Role filter.
    let learners: Value = ok(get(&e, &format!("{url}?role=Learner"), &t, NRPS_MEDIA_TYPE)
        .await
        .json()
        .await);
    let l = learners["members"].as_array().cloned().unwrap_or_default();
    assert!(!l.is_empty() && l.len() < everyone.len());
    assert!(l.iter().all(|m| {
        m["roles"][0]
            .as_str()
            .is_some_and(|r| r.ends_with("#Learner"))
    }));
    // rlid: own resource link fine, foreign one 404.
    let own = claims[format!("{LTI}resource_link")]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        get(&e, &format!("{url}?rlid={own}"), &t, NRPS_MEDIA_TYPE)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        get(&e, &format!("{url}?rlid=rl-context-2"), &t, NRPS_MEDIA_TYPE)
            .await
            .status()
            .as_u16(),
        404
    );
    // Differences.
    let r = get(&e, &url, &t, NRPS_MEDIA_TYPE).await;
    let diff = next_link(&r, "differences").unwrap_or_else(|| panic!("no differences link"));
    let d: Value = ok(get(&e, &diff, &t, NRPS_MEDIA_TYPE).await.json().await);
    assert!(
        d["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["status"] == "Deleted"))
    );
    // Bad bearer and wrong scope.
    assert_eq!(
        get(&e, &url, "not-a-token-at-all", NRPS_MEDIA_TYPE)
            .await
            .status()
            .as_u16(),
        401
    );
    let score_token = token(&e, AGS_SCOPE_SCORE).await;
    assert_eq!(
        get(&e, &url, &score_token, NRPS_MEDIA_TYPE)
            .await
            .status()
            .as_u16(),
        403
    );
}

async fn post_json(
    e: &Env,
    url: &str,
    token: &str,
    media: &str,
    body: &Value,
) -> reqwest::Response {
    ok(e.http
        .post(url)
        .bearer_auth(token)
        .header("content-type", media)
        .body(body.to_string())
        .send()
        .await)
}

fn scores_url(item_id: &str) -> String {
    match item_id.split_once('?') {
        Some((path, q)) => format!("{path}/scores?{q}"),
        None => format!("{item_id}/scores"),
    }
}

fn results_url(item_id: &str, extra: &str) -> String {
    match item_id.split_once('?') {
        Some((path, q)) => format!("{path}/results?{q}&{extra}"),
        None => format!("{item_id}/results?{extra}"),
    }
}

fn score(user: &str, given: f64, ts: &str) -> Value {
    json!({"userId": user, "scoreGiven": given, "scoreMaximum": 10, "timestamp": ts,
           "activityProgress": "Completed", "gradingProgress": "FullyGraded"})
}

async fn lineitems_of(e: &Env, kind: LaunchKind) -> (String, String) {
    let (c, _, _) = launch(e, kind).await;
    (
        c[AGS_CLAIM]["lineitems"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        c["sub"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn ags_keeps_contexts_apart_and_applies_its_rules() {
    let e = env(&[]).await;
    let (items1, user) = lineitems_of(&e, LaunchKind::AgsContext1).await;
    let (items2, _) = lineitems_of(&e, LaunchKind::AgsContext2).await;
    assert_ne!(items1, items2);
    let li = token(&e, AGS_SCOPE_LINEITEM).await;
    let item = json!({"label": "Quiz 1", "scoreMaximum": 10, "resourceId": "quiz-1", "tag": "grade",
                      "resourceLinkId": "rl-context-1"});
    let r = post_json(&e, &items1, &li, LINEITEM_MEDIA_TYPE, &item).await;
    assert_eq!(r.status().as_u16(), 201);
    let created: Value = ok(r.json().await);
    assert_eq!(
        (created["resourceId"].as_str(), created["tag"].as_str()),
        (Some("quiz-1"), Some("grade"))
    );
    let id = created["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        get(&e, &id, &li, LINEITEM_MEDIA_TYPE)
            .await
            .status()
            .as_u16(),
        200
    );
    // Validation.
    for bad in [
        json!({"scoreMaximum": 10}),
        json!({"label": "x", "scoreMaximum": 0}),
    ] {
        assert_eq!(
            post_json(&e, &items1, &li, LINEITEM_MEDIA_TYPE, &bad)
                .await
                .status()
                .as_u16(),
            400
        );
    }
    // Container: an array, its media type, filters, context 2 does not see it.
    let r = get(&e, &items1, &li, LINEITEMS_MEDIA_TYPE).await;
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(LINEITEMS_MEDIA_TYPE)
    );
    let list: Value = ok(r.json().await);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    for (q, n) in [
        ("tag=grade", 1),
        ("tag=nope", 0),
        ("resource_id=quiz-1", 1),
        ("resource_link_id=rl-x", 0),
    ] {
        let l: Value = ok(get(&e, &format!("{items1}?{q}"), &li, LINEITEMS_MEDIA_TYPE)
            .await
            .json()
            .await);
        assert_eq!(l.as_array().map(Vec::len), Some(n), "{q}");
    }
    let other: Value = ok(get(&e, &items2, &li, LINEITEMS_MEDIA_TYPE)
        .await
        .json()
        .await);
    assert_eq!(other, json!([]));
    // Scores: newer wins, older ignored, above maximum accepted.
    let sc = token(&e, AGS_SCOPE_SCORE).await;
    for (given, ts) in [
        (7.0, "2026-01-02T10:00:00.000Z"),
        (3.0, "2026-01-01T10:00:00.000Z"),
    ] {
        let r = post_json(
            &e,
            &scores_url(&id),
            &sc,
            SCORE_MEDIA_TYPE,
            &score(&user, given, ts),
        )
        .await;
        assert!(r.status().is_success());
    }
    let rr = token(&e, AGS_SCOPE_RESULT_READONLY).await;
    let res: Value = ok(get(
        &e,
        &results_url(&id, &format!("user_id={user}")),
        &rr,
        RESULTS_MEDIA_TYPE,
    )
    .await
    .json()
    .await);
    assert_eq!(res.as_array().map(Vec::len), Some(1));
    assert_eq!(res[0]["resultScore"], 7.0);
    assert!(res[0]["resultMaximum"].as_f64().is_some_and(|m| m > 0.0));
    let r = post_json(
        &e,
        &scores_url(&id),
        &sc,
        SCORE_MEDIA_TYPE,
        &score(&user, 11.0, "2026-01-03T10:00:00.000Z"),
    )
    .await;
    assert!(r.status().is_success());
    // Scopes and bearer.
    assert_eq!(
        post_json(
            &e,
            &scores_url(&id),
            &rr,
            SCORE_MEDIA_TYPE,
            &score(&user, 1.0, "2026-01-04T10:00:00.000Z")
        )
        .await
        .status()
        .as_u16(),
        403
    );
    assert_eq!(
        post_json(&e, &items1, &rr, LINEITEM_MEDIA_TYPE, &item)
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        get(&e, &items1, "bogus-token-123456", LINEITEMS_MEDIA_TYPE)
            .await
            .status()
            .as_u16(),
        401
    );
}

fn dl_response(e: &Env, request: &Value, change: impl FnOnce(&mut Value)) -> String {
    let now = now_secs();
    let mut c = json!({
        "iss": CLIENT, "aud": e.p.issuer(), "iat": now, "exp": now + 300,
        "nonce": format!("dl-{}", uuid::Uuid::new_v4().simple()),
        format!("{LTI}message_type"): "LtiDeepLinkingResponse",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): request[format!("{LTI}deployment_id")],
        format!("{DL}data"): DL_DATA,
        format!("{DL}content_items"): [{"type": "link", "url": "https://tool.example/r/1", "title": "Reading one"}],
    });
    change(&mut c);
    ok(jose::sign_rs256(&c, &e.key))
}

async fn post_dl(e: &Env, url: &str, jwt: &str) -> (u16, String) {
    let r = ok(e.http.post(url).form(&[("JWT", jwt)]).send().await);
    (r.status().as_u16(), ok(r.text().await))
}

async fn dl_request(e: &Env) -> (Value, String) {
    let (c, _, _) = launch(e, LaunchKind::DeepLinking).await;
    let url = c[format!("{DL}deep_linking_settings")]["deep_link_return_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (c, url)
}

#[tokio::test]
async fn a_valid_deep_linking_response_is_accepted_once() {
    let e = env(&[]).await;
    let (req, url) = dl_request(&e).await;
    let jwt = dl_response(&e, &req, |_| {});
    let (status, page) = post_dl(&e, &url, &jwt).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("https://tool.example/r/1") && page.contains("Reading one"));
    let (status, page) = post_dl(&e, &url, &jwt).await;
    assert_eq!(status, 400, "replay accepted: {page}");
    assert!(page.contains("replayed"), "{page}");
    assert_eq!(e.p.reference_deep_link_returns().len(), 2);
}

#[rstest]
#[case::aud(|c: &mut Value| c["aud"] = json!("https://elsewhere.example"))]
#[case::iss(|c: &mut Value| c["iss"] = json!("other-tool"))]
#[case::expired(|c: &mut Value| { c["iat"] = json!(now_secs() - 900); c["exp"] = json!(now_secs() - 600); })]
#[case::no_nonce(|c: &mut Value| { if let Some(o) = c.as_object_mut() { o.remove("nonce"); } })]
#[case::message_type(|c: &mut Value| c[format!("{LTI}message_type")] = json!("LtiResourceLinkRequest"))]
#[case::version(|c: &mut Value| c[format!("{LTI}version")] = json!("1.1"))]
#[case::deployment(|c: &mut Value| c[format!("{LTI}deployment_id")] = json!("deployment-x"))]
#[case::no_data(|c: &mut Value| { if let Some(o) = c.as_object_mut() { o.remove(&format!("{DL}data")); } })]
#[case::type_not_accepted(|c: &mut Value| c[format!("{DL}content_items")] = json!([{"type": "html", "html": "<p>x</p>"}]))]
#[tokio::test]
async fn each_bad_deep_linking_response_is_refused(#[case] change: fn(&mut Value)) {
    let e = env(&[]).await;
    let (req, url) = dl_request(&e).await;
    let (status, page) = post_dl(&e, &url, &dl_response(&e, &req, change)).await;
    assert_eq!(status, 400, "{page}");
    assert!(!page.contains("https://tool.example/r/1"));
}

#[tokio::test]
async fn a_deep_linking_response_signed_by_another_key_is_refused() {
    let e = env(&[]).await;
    let (req, url) = dl_request(&e).await;
    let other = ok(SigningKey::generate());
    let now = now_secs();
    let c = json!({"iss": CLIENT, "aud": e.p.issuer(), "iat": now, "exp": now + 300, "nonce": "n-x",
        format!("{LTI}message_type"): "LtiDeepLinkingResponse", format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): req[format!("{LTI}deployment_id")], format!("{DL}data"): DL_DATA});
    let jwt = ok(jose::sign(&jose::rs256_header(&e.key), &c, &other));
    assert_eq!(post_dl(&e, &url, &jwt).await.0, 400);
}

/// What a probe observes: `true` when the defect shows.
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// The claims of a launch of that kind satisfy the predicate.
    Claims(LaunchKind, fn(&Value) -> bool),
    /// An auth request with that parameter changed (None = removed) gets an id_token.
    AuthGetsToken(&'static str, Option<&'static str>),
    /// A client assertion changed so gets a token.
    AssertionGranted(fn(&mut Value)),
    TokenReplayGranted,
    TokenAlgNoneGranted,
    TokenUnknownScopeGranted,
    ReadonlyTokenCreatesLineItem,
    BogusBearerListsLineItems,
    NrpsDifferencesFail,
    NrpsMediaTypeWrong,
    AgsFilterNoMatchNotEmpty,
    AgsTagDropped,
    AgsOlderScoreWins,
    AgsScoreAboveMaximumRefused,
    AgsResultMaximumNotPositive,
    /// A Deep Linking response changed so is accepted.
    DlChangedAccepted(fn(&mut Value)),
    NoKidHeader,
    AlgIsNotRs256,
    IdTokenExpired,
    StudentIsInstructor,
    NoPiiHasName,
    ContextTitleWhitespace,
    UnregisteredRedirectGetsToken,
    OtherLoginHintGetsToken,
    NonceMissingGetsToken,
    JwksHasPrivateMembers,
    TokenWrongAudGranted,
    TokenHasNoExpiresIn,
    NrpsRoleFilterIgnored,
    NrpsNoNextLink,
    AgsContainerIsObject,
    AgsContextsShareItems,
    AgsBadLineItemCreated,
    DlReplayAccepted,
    DlValidRefused,
}

async fn observe(e: &Env, probe: Probe) -> bool {
    match probe {
        Probe::Claims(kind, pred) => pred(&launch(e, kind).await.0),
        Probe::AuthGetsToken(name, value) => {
            let login = initiate(e, LaunchKind::Instructor).await;
            let mut p = auth_params(&login, "n-probe");
            set(&mut p, name, value);
            authorize(e, &p).await.2.is_some()
        }
        Probe::AssertionGranted(change) => {
            token_request(e, assertion(e, change), NRPS_SCOPE).await.0 == 200
        }
        Probe::TokenReplayGranted => {
            let a = assertion(e, |_| {});
            assert_eq!(token_request(e, a.clone(), NRPS_SCOPE).await.0, 200);
            token_request(e, a, NRPS_SCOPE).await.0 == 200
        }
        Probe::TokenAlgNoneGranted => {
            let now = now_secs();
            let none = ok(jose::sign_with_alg_none(
                &json!({"iss": CLIENT, "sub": CLIENT,
                "aud": e.p.token_url(), "iat": now, "exp": now + 300,
                "jti": format!("jti-{}", uuid::Uuid::new_v4().simple())}),
            ));
            token_request(e, none, NRPS_SCOPE).await.0 == 200
        }
        Probe::TokenUnknownScopeGranted => {
            let scope = format!("{NRPS_SCOPE} https://example.com/scope/everything");
            let (_, body) = token_request(e, assertion(e, |_| {}), &scope).await;
            body["scope"]
                .as_str()
                .is_some_and(|s| s.contains("everything"))
        }
        Probe::ReadonlyTokenCreatesLineItem | Probe::BogusBearerListsLineItems => {
            let (items1, _) = lineitems_of(e, LaunchKind::AgsContext1).await;
            if matches!(probe, Probe::BogusBearerListsLineItems) {
                return get(e, &items1, "bogus-token-123456", LINEITEMS_MEDIA_TYPE)
                    .await
                    .status()
                    .is_success();
            }
            let rr = token(e, AGS_SCOPE_RESULT_READONLY).await;
            let item = json!({"label": "L", "scoreMaximum": 5});
            post_json(e, &items1, &rr, LINEITEM_MEDIA_TYPE, &item)
                .await
                .status()
                .is_success()
        }
        Probe::NrpsDifferencesFail | Probe::NrpsMediaTypeWrong => {
            let t = token(e, NRPS_SCOPE).await;
            let r = get(
                e,
                &e.p.course_memberships_url("context-1"),
                &t,
                NRPS_MEDIA_TYPE,
            )
            .await;
            if matches!(probe, Probe::NrpsMediaTypeWrong) {
                return r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    != Some(NRPS_MEDIA_TYPE);
            }
            let diff = next_link(&r, "differences").unwrap_or_default();
            !get(e, &diff, &t, NRPS_MEDIA_TYPE)
                .await
                .status()
                .is_success()
        }
        Probe::AgsFilterNoMatchNotEmpty
        | Probe::AgsTagDropped
        | Probe::AgsOlderScoreWins
        | Probe::AgsScoreAboveMaximumRefused
        | Probe::AgsResultMaximumNotPositive => {
            let (items1, user) = lineitems_of(e, LaunchKind::AgsContext1).await;
            let li = token(e, AGS_SCOPE_LINEITEM).await;
            let item = json!({"label": "L", "scoreMaximum": 10, "tag": "t1", "resourceId": "r1"});
            let r = post_json(e, &items1, &li, LINEITEM_MEDIA_TYPE, &item).await;
            assert_eq!(r.status().as_u16(), 201);
            let created: Value = ok(r.json().await);
            let id = created["id"].as_str().unwrap_or_default().to_string();
            let sc = token(e, AGS_SCOPE_SCORE).await;
            let rr = token(e, AGS_SCOPE_RESULT_READONLY).await;
            let post = |given: f64, ts: &'static str| {
                let url = scores_url(&id);
                let body = score(&user, given, ts);
                let sc = sc.clone();
                async move {
                    post_json(e, &url, &sc, SCORE_MEDIA_TYPE, &body)
                        .await
                        .status()
                        .as_u16()
                }
            };
            let result = || async {
                let url = results_url(&id, &format!("user_id={user}"));
                let v: Value = ok(get(e, &url, &rr, RESULTS_MEDIA_TYPE).await.json().await);
                v[0].clone()
            };
            match probe {
                Probe::AgsFilterNoMatchNotEmpty => {
                    let v: Value =
                        ok(
                            get(e, &format!("{items1}?tag=nope"), &li, LINEITEMS_MEDIA_TYPE)
                                .await
                                .json()
                                .await,
                        );
                    v.as_array().is_some_and(|a| !a.is_empty())
                }
                Probe::AgsTagDropped => created.get("tag").is_none(),
                Probe::AgsOlderScoreWins => {
                    assert_eq!(post(7.0, "2026-01-02T10:00:00.000Z").await, 204);
                    post(3.0, "2026-01-01T10:00:00.000Z").await;
                    result().await["resultScore"] == 3.0
                }
                Probe::AgsScoreAboveMaximumRefused => {
                    !(200..300).contains(&post(11.0, "2026-01-02T10:00:00.000Z").await)
                }
                _ => {
                    assert_eq!(post(7.0, "2026-01-02T10:00:00.000Z").await, 204);
                    result().await["resultMaximum"]
                        .as_f64()
                        .is_none_or(|m| m <= 0.0)
                }
            }
        }
        Probe::DlChangedAccepted(change) => {
            let (req, url) = dl_request(e).await;
            post_dl(e, &url, &dl_response(e, &req, change)).await.0 == 200
        }
        Probe::NoKidHeader => launch(e, LaunchKind::Student).await.1.get("kid").is_none(),
        Probe::AlgIsNotRs256 => launch(e, LaunchKind::Student).await.1["alg"] != "RS256",
        Probe::IdTokenExpired => {
            let c = launch(e, LaunchKind::Student).await.0;
            c["exp"].as_i64().is_none_or(|x| x <= now_secs())
        }
        Probe::StudentIsInstructor => {
            let c = launch(e, LaunchKind::Student).await.0;
            c[format!("{LTI}roles")][0]
                .as_str()
                .is_some_and(|r| r.ends_with("#Instructor"))
        }
        Probe::NoPiiHasName => launch(e, LaunchKind::StudentNoPii)
            .await
            .0
            .get("name")
            .is_some(),
        Probe::ContextTitleWhitespace => {
            let c = launch(e, LaunchKind::Instructor).await.0;
            c[format!("{LTI}context")]["title"]
                .as_str()
                .is_some_and(|t| t != t.trim())
        }
        Probe::UnregisteredRedirectGetsToken
        | Probe::OtherLoginHintGetsToken
        | Probe::NonceMissingGetsToken => {
            let login = initiate(e, LaunchKind::Instructor).await;
            let mut p = auth_params(&login, "n-probe");
            match probe {
                Probe::UnregisteredRedirectGetsToken => {
                    set(&mut p, "redirect_uri", Some("https://attacker.example/cb"))
                }
                Probe::OtherLoginHintGetsToken => set(&mut p, "login_hint", Some("lh-other")),
                _ => set(&mut p, "nonce", None),
            }
            authorize(e, &p).await.2.is_some()
        }
        Probe::JwksHasPrivateMembers => platform_jwks(e).await["keys"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k.get("d").is_some())),
        Probe::TokenWrongAudGranted => {
            let a = assertion(e, |c| c["aud"] = json!("https://elsewhere.example/token"));
            token_request(e, a, NRPS_SCOPE).await.0 == 200
        }
        Probe::TokenHasNoExpiresIn => token_request(e, assertion(e, |_| {}), NRPS_SCOPE)
            .await
            .1
            .get("expires_in")
            .is_none(),
        Probe::NrpsRoleFilterIgnored | Probe::NrpsNoNextLink => {
            let t = token(e, NRPS_SCOPE).await;
            let url = e.p.course_memberships_url("context-1");
            if matches!(probe, Probe::NrpsNoNextLink) {
                return next_link(
                    &get(e, &format!("{url}?limit=2"), &t, NRPS_MEDIA_TYPE).await,
                    "next",
                )
                .is_none();
            }
            let v: Value = ok(
                get(e, &format!("{url}?role=Instructor"), &t, NRPS_MEDIA_TYPE)
                    .await
                    .json()
                    .await,
            );
            v["members"].as_array().is_some_and(|m| {
                m.iter().any(|m| {
                    m["roles"][0]
                        .as_str()
                        .is_some_and(|r| r.ends_with("#Learner"))
                })
            })
        }
        Probe::AgsContainerIsObject
        | Probe::AgsContextsShareItems
        | Probe::AgsBadLineItemCreated => {
            let (items1, _) = lineitems_of(e, LaunchKind::AgsContext1).await;
            let (items2, _) = lineitems_of(e, LaunchKind::AgsContext2).await;
            let li = token(e, AGS_SCOPE_LINEITEM).await;
            if matches!(probe, Probe::AgsBadLineItemCreated) {
                let bad = json!({"label": "", "scoreMaximum": -1});
                return post_json(e, &items1, &li, LINEITEM_MEDIA_TYPE, &bad)
                    .await
                    .status()
                    .is_success();
            }
            let r = post_json(
                e,
                &items1,
                &li,
                LINEITEM_MEDIA_TYPE,
                &json!({"label": "L", "scoreMaximum": 5}),
            )
            .await;
            assert_eq!(r.status().as_u16(), 201);
            let v: Value = ok(get(e, &items2, &li, LINEITEMS_MEDIA_TYPE)
                .await
                .json()
                .await);
            match probe {
                Probe::AgsContainerIsObject => !v.is_array(),
                _ => v.as_array().is_some_and(|a| !a.is_empty()),
            }
        }
        Probe::DlReplayAccepted | Probe::DlValidRefused => {
            let (req, url) = dl_request(e).await;
            let jwt = dl_response(e, &req, |_| {});
            let first = post_dl(e, &url, &jwt).await.0;
            if matches!(probe, Probe::DlValidRefused) {
                return first != 200;
            }
            post_dl(e, &url, &jwt).await.0 == 200
        }
    }
}

#[rstest]
#[case::no_kid(PlatformFault::NoKid, Probe::NoKidHeader)]
#[case::rs512(PlatformFault::SignsRs512, Probe::AlgIsNotRs256)]
#[case::expired(PlatformFault::ExpiredIdToken, Probe::IdTokenExpired)]
#[case::student_role(PlatformFault::StudentGetsInstructorRole, Probe::StudentIsInstructor)]
#[case::pii(PlatformFault::PiiInNoPiiLaunch, Probe::NoPiiHasName)]
#[case::whitespace(PlatformFault::TrailingWhitespace, Probe::ContextTitleWhitespace)]
#[case::redirect(
    PlatformFault::AcceptsUnregisteredRedirectUri,
    Probe::UnregisteredRedirectGetsToken
)]
#[case::login_hint(PlatformFault::IgnoresLoginHint, Probe::OtherLoginHintGetsToken)]
#[case::nonce_optional(PlatformFault::NonceOptional, Probe::NonceMissingGetsToken)]
#[case::jwks_leak(PlatformFault::JwksLeaksPrivateKey, Probe::JwksHasPrivateMembers)]
#[case::token_aud(PlatformFault::TokenAudUnchecked, Probe::TokenWrongAudGranted)]
#[case::expires_in(PlatformFault::TokenNoExpiresIn, Probe::TokenHasNoExpiresIn)]
#[case::nrps_role(PlatformFault::NrpsRoleFilterIgnored, Probe::NrpsRoleFilterIgnored)]
#[case::nrps_link(PlatformFault::NrpsNoLinkHeader, Probe::NrpsNoNextLink)]
#[case::ags_array(PlatformFault::AgsContainerNotArray, Probe::AgsContainerIsObject)]
#[case::ags_mixed(PlatformFault::AgsContextsMixed, Probe::AgsContextsShareItems)]
#[case::ags_validation(PlatformFault::AgsNoLineItemValidation, Probe::AgsBadLineItemCreated)]
#[case::dl_replay(PlatformFault::DlAcceptsReplay, Probe::DlReplayAccepted)]
#[case::dl_refuses(PlatformFault::DlRejectsValidResponse, Probe::DlValidRefused)]
#[case::version(PlatformFault::WrongVersion, Probe::Claims(LaunchKind::Student, |c| c[format!("{LTI}version")] != "1.3.0"))]
#[case::resource_link(PlatformFault::MissingResourceLink, Probe::Claims(LaunchKind::Student, |c| c.get(format!("{LTI}resource_link")).is_none()))]
#[case::nonce_echo(PlatformFault::NonceNotEchoed, Probe::Claims(LaunchKind::Student, |c| c["nonce"] != "n-0001"))]
#[case::dl_settings(PlatformFault::DlSettingsIncomplete, Probe::Claims(LaunchKind::DeepLinking, |c| c[format!("{DL}deep_linking_settings")].get("accept_presentation_document_targets").is_none()))]
#[case::deployment(PlatformFault::DeploymentIdMismatch, Probe::Claims(LaunchKind::Instructor, |c| c[format!("{LTI}deployment_id")] != "deployment-7"))]
#[case::response_type(
    PlatformFault::IgnoresResponseType,
    Probe::AuthGetsToken("response_type", Some("code"))
)]
#[case::scope(
    PlatformFault::IgnoresScope,
    Probe::AuthGetsToken("scope", Some("profile"))
)]
#[case::prompt(PlatformFault::IgnoresPrompt, Probe::AuthGetsToken("prompt", None))]
#[case::unknown_client(
    PlatformFault::AcceptsUnknownClient,
    Probe::AuthGetsToken("client_id", Some("rogue-tool"))
)]
#[case::token_iss_sub(PlatformFault::TokenIssSubUnchecked, Probe::AssertionGranted(|c| c["sub"] = json!("someone-else")))]
#[case::token_expired(PlatformFault::TokenExpiredAccepted, Probe::AssertionGranted(|c| { c["iat"] = json!(now_secs() - 900); c["exp"] = json!(now_secs() - 600); }))]
#[case::token_jti(PlatformFault::TokenJtiReplayAccepted, Probe::TokenReplayGranted)]
#[case::token_alg_none(PlatformFault::TokenAlgNoneAccepted, Probe::TokenAlgNoneGranted)]
#[case::token_scope(
    PlatformFault::TokenGrantsUnknownScope,
    Probe::TokenUnknownScopeGranted
)]
#[case::scopes(PlatformFault::ScopesNotEnforced, Probe::ReadonlyTokenCreatesLineItem)]
#[case::bad_bearer(PlatformFault::AcceptsBadBearer, Probe::BogusBearerListsLineItems)]
#[case::nrps_differences(PlatformFault::NrpsDifferencesBroken, Probe::NrpsDifferencesFail)]
#[case::nrps_media_type(PlatformFault::NrpsWrongMediaType, Probe::NrpsMediaTypeWrong)]
#[case::ags_filters(PlatformFault::AgsFiltersIgnored, Probe::AgsFilterNoMatchNotEmpty)]
#[case::ags_tag(PlatformFault::AgsDropsResourceIdTag, Probe::AgsTagDropped)]
#[case::ags_ordering(PlatformFault::AgsIgnoresScoreTimestamp, Probe::AgsOlderScoreWins)]
#[case::ags_above_max(
    PlatformFault::AgsRejectsScoreAboveMaximum,
    Probe::AgsScoreAboveMaximumRefused
)]
#[case::ags_result_max(
    PlatformFault::AgsResultMaximumZero,
    Probe::AgsResultMaximumNotPositive
)]
#[case::dl_aud(PlatformFault::DlAcceptsWrongAud, Probe::DlChangedAccepted(|c| c["aud"] = json!("https://elsewhere.example")))]
#[case::dl_data(PlatformFault::DlAcceptsMissingData, Probe::DlChangedAccepted(|c| { if let Some(o) = c.as_object_mut() { o.remove(&format!("{DL}data")); } }))]
#[case::dl_deployment(PlatformFault::DlAcceptsWrongDeployment, Probe::DlChangedAccepted(|c| c[format!("{LTI}deployment_id")] = json!("deployment-x")))]
#[case::dl_expired(PlatformFault::DlAcceptsExpired, Probe::DlChangedAccepted(|c| { c["iat"] = json!(now_secs() - 900); c["exp"] = json!(now_secs() - 600); }))]
#[case::dl_types(PlatformFault::DlAcceptsUnacceptedTypes, Probe::DlChangedAccepted(|c| c[format!("{DL}content_items")] = json!([{"type": "html", "html": "<p>x</p>"}])))]
#[tokio::test]
async fn each_fault_changes_its_behaviour(#[case] fault: PlatformFault, #[case] probe: Probe) {
    let clean = env(&[]).await;
    assert!(
        !observe(&clean, probe).await,
        "{probe:?} seen without {fault:?}"
    );
    let faulty = env(&[fault]).await;
    assert_eq!(faulty.p.faults(), &[fault]);
    assert!(
        observe(&faulty, probe).await,
        "{fault:?} did not show in {probe:?}"
    );
}

#[tokio::test]
async fn faults_parse_from_a_config_file() {
    let cfg: PlatformConfig = ok(toml::from_str(
        "issuer = \"https://p.example\"\nlisten = \"127.0.0.1:0\"\nfaults = [\"no-kid\", \"dl-accepts-replay\"]\n",
    ));
    assert_eq!(
        cfg.faults,
        vec![PlatformFault::NoKid, PlatformFault::DlAcceptsReplay]
    );
    let bad: Result<PlatformConfig, _> =
        toml::from_str("issuer = \"x\"\nlisten = \"127.0.0.1:0\"\nfaults = [\"no-such-fault\"]\n");
    assert!(bad.is_err());
}

#[tokio::test]
async fn the_profile_table_names_every_endpoint_and_launch() {
    let e = env(&[]).await;
    let listen: std::net::SocketAddr = ok("127.0.0.1:8791".parse());
    let text = e.p.lti_platform_profile(CLIENT, listen, "file:tool.pem");
    let v: toml::Value = ok(toml::from_str(&text));
    let t = &v["lti-platform"];
    assert_eq!(t["issuer"].as_str(), Some(e.p.issuer()));
    assert_eq!(t["token_url"].as_str(), Some(e.p.token_url().as_str()));
    assert_eq!(t["deployment_id"].as_str(), Some("deployment-7"));
    assert_eq!(t["tool_listen"].as_str(), Some("127.0.0.1:8791"));
    for kind in LaunchKind::ALL {
        assert_eq!(
            t["launches"][kind.as_str()].as_str(),
            Some(e.p.launch_start_url(CLIENT, kind).as_str())
        );
    }
}

#[tokio::test]
async fn a_get_auth_request_works_and_a_browser_gets_an_html_refusal() {
    let e = env(&[]).await;
    let login = initiate(&e, LaunchKind::Student).await;
    let mut p = auth_params(&login, "n-get");
    let mut u = ok(url::Url::parse(&e.p.endpoints().auth_url));
    u.query_pairs_mut().extend_pairs(p.iter());
    let r = ok(e.http.get(u.as_str()).send().await);
    assert_eq!(r.status().as_u16(), 200);
    assert!(ok(r.text().await).contains("name=\"id_token\""));
    set(&mut p, "prompt", Some("login"));
    let r = ok(e
        .http
        .post(&e.p.endpoints().auth_url)
        .header("accept", "text/html")
        .form(&p)
        .send()
        .await);
    assert_eq!(r.status().as_u16(), 400);
    let page = ok(r.text().await);
    assert!(
        page.contains("<html")
            && page.contains("invalid_request")
            && !page.contains("name=\"id_token\"")
    );
}
