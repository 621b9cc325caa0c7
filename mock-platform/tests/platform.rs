//! The mock platform over real HTTP: JWKS, the authentication endpoint by GET
//! and POST, planned and replayed tokens, and named refusals.

use accredit_core::jose::{self, ClaimRules, JwkSet, VerifyPolicy};
use accredit_mock_platform::{
    ClientRegistration, LaunchPlan, PlatformConfig, RunningPlatform, start,
};
use rstest::rstest;
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9/lti/launch";

async fn platform() -> RunningPlatform {
    let cfg = PlatformConfig::single(
        "https://p.accredit.test",
        "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        ClientRegistration {
            client_id: "c-1".into(),
            redirect_uris: vec![REDIRECT.into()],
            deployment_ids: vec!["d-1".into()],
            login_url: None,
            target_link_uri: None,
            jwks_url: None,
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

fn auth_params(hint: &str) -> Vec<(&'static str, String)> {
    [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("client_id", "c-1"),
        ("redirect_uri", REDIRECT),
        ("lti_message_hint", "mh-1"),
        ("state", "st-1"),
        ("nonce", "no-1"),
    ]
    .iter()
    .map(|(k, v)| (*k, v.to_string()))
    .chain([("login_hint", hint.to_string())])
    .collect()
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v.to_string())
        .unwrap_or_default()
}

#[rstest]
#[case::get(false)]
#[case::post(true)]
#[tokio::test]
async fn a_planned_launch_yields_a_verifiable_form_post(#[case] post: bool) {
    let p = platform().await;
    p.plan(
        "lh-1",
        LaunchPlan::signed(
            json!({"iss": p.issuer(), "aud": "c-1", "iat": 1, "exp": 4_000_000_000_i64}),
        )
        .expecting_message_hint("mh-1"),
    );
    let c = client();
    let url = &p.endpoints().auth_url;
    let req = if post {
        c.post(url).form(&auth_params("lh-1"))
    } else {
        c.get(url).query(&auth_params("lh-1"))
    };
    let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains(&format!("action=\"{REDIRECT}\"")), "{page}");
    assert!(page.contains(".submit()"));
    assert_eq!(hidden(&page, "state"), "st-1");
    let token = hidden(&page, "id_token");

    let jwks: JwkSet = c
        .get(&p.endpoints().jwks_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(jwks.keys.iter().all(|k| k.private_members().is_empty()));
    let v = jose::verify(&token, &jwks, &VerifyPolicy::default()).unwrap_or_else(|e| panic!("{e}"));
    let rules = ClaimRules {
        issuer: Some(p.issuer().into()),
        audience: Some("c-1".into()),
        nonce: Some("no-1".into()),
        ..ClaimRules::default()
    };
    assert_eq!(jose::check_claims(&v.claims, &rules), Ok(()));
    let issued = p
        .issued("lh-1")
        .unwrap_or_else(|| panic!("issued token kept"));
    assert_eq!(issued.id_token, token);

    // Replay: another login gets the very same token.
    p.plan("lh-2", LaunchPlan::replaying(token.clone()));
    let r = c
        .get(url)
        .query(&auth_params("lh-2"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        hidden(&r.text().await.unwrap_or_default(), "id_token"),
        token
    );
}

#[tokio::test]
async fn refusals_name_every_problem() {
    let p = platform().await;
    let mut params = auth_params("lh-unplanned");
    params.retain(|(k, _)| *k != "nonce");
    params.push(("redirect_uri", "https://attacker.example/".into()));
    let r = client()
        .get(&p.endpoints().auth_url)
        .query(&params)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["error"], "invalid_request");
    let text = body["error_description"].as_str().unwrap_or_default();
    for expected in [
        "`nonce`",
        "redirect_uri",
        "repeated",
        "no launch is planned",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let seen = p.auth_requests("lh-unplanned");
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].problems.is_empty());
}
