//! The token endpoint and NRPS memberships over real HTTP: a good client gets a
//! token and pages through every member; each broken token request fails exactly
//! its rule; memberships refuse bad tokens, missing scopes and rewritten cursors.
//! The "tool" signs with the platform's own key and registers the platform's
//! JWKS, so every assertion is a real RS256 JWT.

use accredit_core::jose::{self, now_secs};
use accredit_mock_platform::{
    ClientRegistration, NRPS_MEDIA_TYPE, NRPS_MEMBERS, NRPS_SCOPE, PlatformConfig, RunningPlatform,
    TOKEN_CHECKS, endpoints_for, reserve_port, start,
};
use rstest::rstest;
use serde_json::{Value, json};

const HINT: &str = "lh-nrps-1";

async fn platform() -> RunningPlatform {
    let listen = reserve_port().unwrap_or_else(|e| panic!("{e}"));
    let cfg = PlatformConfig::single(
        "https://p.accredit.test",
        listen,
        ClientRegistration {
            client_id: "c-1".into(),
            redirect_uris: vec!["http://127.0.0.1:9/lti/launch".into()],
            deployment_ids: vec!["d-1".into()],
            login_url: None,
            target_link_uri: None,
            jwks_url: Some(endpoints_for(listen).jwks_url),
        },
    );
    start(cfg, None).await.unwrap_or_else(|e| panic!("{e}"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn assertion_claims(p: &RunningPlatform) -> Value {
    let now = now_secs();
    json!({"iss": "c-1", "sub": "c-1", "aud": p.token_url(), "iat": now, "exp": now + 300,
           "jti": format!("jti-{}", uuid::Uuid::new_v4().simple())})
}

async fn token_request(p: &RunningPlatform, form: &[(&str, String)]) -> (u16, Value) {
    let r = client()
        .post(p.token_url())
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn form(assertion: String) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".into()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion", assertion),
        ("scope", NRPS_SCOPE.into()),
    ]
}

async fn get_token(p: &RunningPlatform, scope: &str) -> String {
    let token = jose::sign_rs256(&assertion_claims(p), p.key()).unwrap_or_else(|e| panic!("{e}"));
    let mut f = form(token);
    f[3].1 = scope.into();
    let (status, body) = token_request(p, &f).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_good_client_pages_through_every_member() {
    let p = platform().await;
    let token = get_token(&p, NRPS_SCOPE).await;
    let mut url = Some(p.nrps_url(HINT));
    let mut members = 0;
    while let Some(u) = url.take() {
        let r = client()
            .get(&u)
            .bearer_auth(&token)
            .header("accept", NRPS_MEDIA_TYPE)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 200);
        url = r
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.split_once('<'))
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(u, _)| u.to_string());
        let body: Value = r.json().await.unwrap_or_else(|e| panic!("{e}"));
        members += body["members"].as_array().map(Vec::len).unwrap_or_default();
    }
    assert_eq!(members, NRPS_MEMBERS);
    let seen = p.nrps_requests(HINT);
    assert!(
        seen.iter()
            .all(|r| r.token_valid && r.scope_ok && r.page.is_some())
    );
    assert!(seen.last().is_some_and(|r| r.last));
}

#[rstest]
#[case::grant_type("grant_type", Some("password"), None, 0)]
#[case::assertion_type("client_assertion_type", Some("x"), None, 1)]
#[case::sub("", None, Some(("sub", json!("someone"))), 3)]
#[case::aud("", None, Some(("aud", json!("https://p.accredit.test"))), 4)]
#[case::expired("", None, Some(("exp", json!(now_secs() - 600))), 5)]
#[case::no_jti("", None, Some(("jti", Value::Null)), 5)]
#[case::no_scope("scope", Some(""), None, 6)]
#[tokio::test]
async fn each_broken_token_request_fails_exactly_its_rule(
    #[case] field: &str,
    #[case] field_value: Option<&str>,
    #[case] claim: Option<(&str, Value)>,
    #[case] rule: usize,
) {
    let p = platform().await;
    let mut claims = assertion_claims(&p);
    if let (Some((name, value)), Some(o)) = (claim, claims.as_object_mut()) {
        if value.is_null() {
            o.remove(name);
        } else {
            o.insert(name.into(), value);
        }
    }
    let token = jose::sign_rs256(&claims, p.key()).unwrap_or_else(|e| panic!("{e}"));
    let mut f = form(token);
    if let Some(v) = field_value
        && let Some(x) = f.iter_mut().find(|(k, _)| *k == field)
    {
        x.1 = v.into();
    }
    let (status, body) = token_request(&p, &f).await;
    assert_eq!(status, 400, "{body}");
    let seen = p.token_requests();
    let failed: Vec<&str> = seen[0]
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, vec![TOKEN_CHECKS[rule]], "{:?}", seen[0].checks);
}

#[tokio::test]
async fn a_replayed_jti_is_refused() {
    let p = platform().await;
    let token = jose::sign_rs256(&assertion_claims(&p), p.key()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(token_request(&p, &form(token.clone())).await.0, 200);
    assert_eq!(token_request(&p, &form(token)).await.0, 400);
}

#[rstest]
#[case::no_token(None, None, 401)]
#[case::wrong_scope(Some("https://purl.imsglobal.org/spec/lti-ags/scope/score"), None, 403)]
#[case::rewritten_cursor(Some(NRPS_SCOPE), Some("pgtk1zq"), 400)]
#[tokio::test]
async fn memberships_refuse_what_they_must(
    #[case] scope: Option<&str>,
    #[case] cursor: Option<&str>,
    #[case] status: u16,
) {
    let p = platform().await;
    let token = match scope {
        Some(s) => get_token(&p, s).await,
        None => "forged-token".into(),
    };
    let mut url = p.nrps_url(HINT);
    if let Some(c) = cursor {
        url.push_str(&format!("&cursor={c}"));
    }
    let r = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), status);
}

const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";

/// Walks every page from `url`; returns the members and every `next` link seen.
async fn walk(url: String, token: &str) -> (Vec<Value>, Vec<String>) {
    let mut next = Some(url);
    let (mut members, mut links) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let Some(u) = next.take() else { break };
        let r = client()
            .get(&u)
            .bearer_auth(token)
            .header("accept", NRPS_MEDIA_TYPE)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 200, "{u}");
        next = r
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.split_once('<'))
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(u, _)| u.to_string());
        links.extend(next.clone());
        let body: Value = r.json().await.unwrap_or_else(|e| panic!("{e}"));
        members.extend(body["members"].as_array().cloned().unwrap_or_default());
    }
    assert!(next.is_none(), "paging did not end");
    (members, links)
}

#[rstest]
#[case::short_learner("Learner", "Learner", 4)]
#[case::uri_learner(
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    "Learner",
    4
)]
#[case::short_instructor("Instructor", "Instructor", 1)]
#[case::uri_instructor(
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "Instructor",
    1
)]
#[case::no_one_holds_it("Mentor", "Mentor", 0)]
#[case::case_sensitive("learner", "learner", 0)]
#[tokio::test]
async fn the_role_filter_returns_only_that_role_across_pages(
    #[case] role: &str,
    #[case] short: &str,
    #[case] expected: usize,
) {
    let p = platform().await;
    let token = get_token(&p, NRPS_SCOPE).await;
    let mut url = p.nrps_url(HINT);
    url.push_str("&limit=2&role=");
    url.extend(url::form_urlencoded::byte_serialize(role.as_bytes()));
    let (members, links) = walk(url, &token).await;
    assert_eq!(members.len(), expected, "{members:?}");
    let full = format!("{MEMBERSHIP}{short}");
    for m in &members {
        let roles = m["roles"].as_array().cloned().unwrap_or_default();
        assert!(roles.iter().any(|r| r == &json!(full)), "{m}");
    }
    // Learner (4 at limit 2) needs a next link; it must keep the filter and limit.
    assert_eq!(links.len(), expected.saturating_sub(1) / 2, "{links:?}");
    for l in &links {
        let q: Vec<(String, String)> = url::Url::parse(l)
            .unwrap_or_else(|e| panic!("{e}"))
            .query_pairs()
            .into_owned()
            .collect();
        assert!(q.contains(&("role".into(), role.into())), "{l}");
        assert!(q.contains(&("limit".into(), "2".into())), "{l}");
    }
}

#[tokio::test]
async fn without_a_role_filter_every_member_is_listed_at_any_limit() {
    let p = platform().await;
    let token = get_token(&p, NRPS_SCOPE).await;
    let mut url = p.nrps_url(HINT);
    url.push_str("&limit=2");
    let (members, links) = walk(url, &token).await;
    assert_eq!(members.len(), NRPS_MEMBERS);
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|l| !l.contains("role=")), "{links:?}");
}
