//! The Deep Linking return endpoint over real HTTP: a valid response passes
//! every rule, and each broken response fails exactly the rule aimed at it.
//! The "tool" here signs with the platform's own key and registers the
//! platform's JWKS as its JWKS URL, so signatures are real RS256.

use accredit_core::jose::{self, SigningKey, now_secs};
use accredit_mock_platform::{
    ClientRegistration, DL, DL_CHECKS, LaunchPlan, PlatformConfig, RunningPlatform, endpoints_for,
    reserve_port, start,
};
use rstest::rstest;
use serde_json::{Value, json};

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const ISSUER: &str = "https://p.accredit.test";
const HINT: &str = "lh-dl-1";

async fn platform() -> RunningPlatform {
    let listen = reserve_port().unwrap_or_else(|e| panic!("{e}"));
    let cfg = PlatformConfig::single(
        ISSUER,
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
    let p = start(cfg, None).await.unwrap_or_else(|e| panic!("{e}"));
    let request = json!({
        "aud": "c-1",
        format!("{LTI}deployment_id"): "d-1",
        format!("{DL}deep_linking_settings"): {
            "deep_link_return_url": p.deep_link_return_url(HINT),
            "accept_types": ["ltiResourceLink", "link"],
            "accept_multiple": false,
            "data": "opaque-42",
        },
    });
    p.plan(HINT, LaunchPlan::signed(request));
    p
}

fn response() -> Value {
    let now = now_secs();
    json!({
        "iss": "c-1",
        "aud": ISSUER,
        "iat": now,
        "exp": now + 300,
        "nonce": "dl-nonce-1",
        format!("{LTI}message_type"): "LtiDeepLinkingResponse",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): "d-1",
        format!("{DL}data"): "opaque-42",
        format!("{DL}content_items"): [{"type": "ltiResourceLink", "url": "http://t/x"}],
    })
}

fn edit(name: &str, value: Value) -> Value {
    let mut c = response();
    if let Some(o) = c.as_object_mut() {
        if value.is_null() {
            o.remove(name);
        } else {
            o.insert(name.to_string(), value);
        }
    }
    c
}

async fn post(p: &RunningPlatform, token: &str) -> u16 {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    client
        .post(p.deep_link_return_url(HINT))
        .form(&[("JWT", token)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_valid_response_passes_every_rule() {
    let p = platform().await;
    let token = jose::sign_rs256(&response(), p.key()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(post(&p, &token).await, 200);
    let judged = p.deep_link_returns(HINT);
    assert_eq!(judged.len(), 1);
    let names: Vec<&str> = judged[0].checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, DL_CHECKS.to_vec());
    assert!(judged[0].valid(), "{:?}", judged[0].checks);
}

#[rstest]
#[case::iss(edit("iss", json!("someone-else")), 1)]
#[case::aud(edit("aud", json!("c-1")), 2)]
#[case::expired(edit("exp", json!(now_secs() - 600)), 3)]
#[case::no_nonce(edit("nonce", Value::Null), 4)]
#[case::message_type(edit(&format!("{LTI}message_type"), json!("LtiResourceLinkRequest")), 5)]
#[case::version(edit(&format!("{LTI}version"), json!("1.1")), 6)]
#[case::deployment(edit(&format!("{LTI}deployment_id"), json!("d-2")), 7)]
#[case::data(edit(&format!("{DL}data"), Value::Null), 8)]
#[case::item_type(edit(&format!("{DL}content_items"), json!([{"type": "html", "html": "<p>x</p>"}])), 9)]
#[case::link_without_url(edit(&format!("{DL}content_items"), json!([{"type": "link"}])), 9)]
#[case::too_many(edit(&format!("{DL}content_items"), json!([{"type": "ltiResourceLink"}, {"type": "ltiResourceLink"}])), 9)]
#[tokio::test]
async fn each_broken_response_fails_exactly_its_rule(#[case] claims: Value, #[case] rule: usize) {
    let p = platform().await;
    let token = jose::sign_rs256(&claims, p.key()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(post(&p, &token).await, 400);
    let judged = p.deep_link_returns(HINT);
    let failed: Vec<&str> = judged[0]
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, vec![DL_CHECKS[rule]], "{:?}", judged[0].checks);
}

#[tokio::test]
async fn a_foreign_signature_fails_only_the_signature_rule() {
    let p = platform().await;
    let foreign = SigningKey::generate()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_kid(p.key().kid());
    let token = jose::sign_rs256(&response(), &foreign).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(post(&p, &token).await, 400);
    let judged = p.deep_link_returns(HINT);
    let failed: Vec<&str> = judged[0]
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, vec![DL_CHECKS[0]]);
}
