//! AGS 2.0 on the mock platform over real HTTP: a good client creates a line
//! item, posts scores and reads results; each rule the platform applies refuses
//! (or ignores) exactly what it must: scopes per endpoint, media types, line
//! item and score bodies, out-of-order scores, filters and paging, revoked
//! tokens. Tokens come from the real token endpoint with RS256 client
//! assertions signed by the platform's own key (registered as the tool's JWKS).

use accredit_core::jose::{self, now_secs};
use accredit_mock_platform::{
    AGS_SCOPE_LINEITEM, AGS_SCOPE_LINEITEM_READONLY, AGS_SCOPE_RESULT_READONLY, AGS_SCOPE_SCORE,
    AgsEndpoint, ClientRegistration, LINEITEM_MEDIA_TYPE, LINEITEM_QUERY, LINEITEMS_MEDIA_TYPE,
    PlatformConfig, RESULTS_MEDIA_TYPE, RunningPlatform, SCORE_MEDIA_TYPE, endpoints_for,
    reserve_port, start,
};
use rstest::rstest;
use serde_json::{Value, json};

const HINT: &str = "lh-ags-0001";
const ALL: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly https://purl.imsglobal.org/spec/lti-ags/scope/score";

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
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn token(p: &RunningPlatform, scope: &str) -> String {
    let now = now_secs();
    let claims = json!({"iss": "c-1", "sub": "c-1", "aud": p.token_url(), "iat": now,
        "exp": now + 300, "jti": format!("jti-{}", uuid::Uuid::new_v4().simple())});
    let assertion = jose::sign_rs256(&claims, p.key()).unwrap_or_else(|e| panic!("{e}"));
    let r = client()
        .post(p.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap_or_else(|e| panic!("{e}"));
    body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

struct Answer {
    status: u16,
    content_type: String,
    link: Option<String>,
    body: Value,
}

async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    content_type: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = client().request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", content_type.unwrap_or("application/json"))
            .body(b.to_string());
    }
    let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let (content_type, link) = (header("content-type").unwrap_or_default(), header("link"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    Answer {
        status,
        content_type,
        link,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

fn item_body(label: &str, resource: &str, tag: &str) -> Value {
    json!({"label": label, "scoreMaximum": 10, "resourceId": resource, "tag": tag,
           "resourceLinkId": "rl-1"})
}

async fn create(p: &RunningPlatform, t: &str, body: Value) -> Answer {
    call(
        reqwest::Method::POST,
        &p.ags_lineitems_url(HINT),
        t,
        Some(LINEITEM_MEDIA_TYPE),
        Some(body),
    )
    .await
}

fn derived(item_id: &str, suffix: &str) -> String {
    let mut u = url::Url::parse(item_id).unwrap_or_else(|e| panic!("{e}"));
    let path = format!("{}/{suffix}", u.path());
    u.set_path(&path);
    u.into()
}

fn score(user: &str, given: f64, ts: &str) -> Value {
    json!({"userId": user, "scoreGiven": given, "scoreMaximum": 10, "timestamp": ts,
           "activityProgress": "Completed", "gradingProgress": "FullyGraded"})
}

#[tokio::test]
async fn a_good_client_creates_scores_and_reads_results() {
    let p = platform().await;
    let t = token(&p, ALL).await;
    let created = create(&p, &t, item_body("Quiz", "quiz-231", "grade")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.content_type.starts_with(LINEITEM_MEDIA_TYPE));
    // AGS 3.2.5: resourceId and tag unchanged; the id is a URL with a query.
    assert_eq!(created.body["resourceId"], "quiz-231");
    assert_eq!(created.body["tag"], "grade");
    let id = created.body["id"].as_str().unwrap_or_default().to_string();
    assert!(id.ends_with(&format!("?{LINEITEM_QUERY}")), "{id}");

    let got = call(reqwest::Method::GET, &id, &t, None, None).await;
    assert_eq!(
        (got.status, got.body["label"].clone()),
        (200, json!("Quiz"))
    );

    let scores = derived(&id, "scores");
    let post = |body: Value| {
        call(
            reqwest::Method::POST,
            &scores,
            &t,
            Some(SCORE_MEDIA_TYPE),
            Some(body),
        )
    };
    // AGS 3.4.4: scoreGiven above scoreMaximum MUST be supported.
    assert_eq!(
        post(score("u-1", 11.0, "2026-01-01T10:00:00.100Z"))
            .await
            .status,
        204
    );
    assert_eq!(
        post(score("u-2", 5.0, "2026-01-01T10:00:00.100+00:00"))
            .await
            .status,
        204
    );
    // AGS 3.4.9: an older score is ignored, never applied.
    assert_eq!(
        post(score("u-1", 1.0, "2026-01-01T09:00:00.000+00"))
            .await
            .status,
        204
    );

    let results = call(
        reqwest::Method::GET,
        &derived(&id, "results"),
        &t,
        None,
        None,
    )
    .await;
    assert_eq!(results.status, 200);
    assert!(results.content_type.starts_with(RESULTS_MEDIA_TYPE));
    let list = results.body.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{}", results.body);
    assert_eq!(list[0]["userId"], "u-1");
    assert_eq!(list[0]["resultScore"], 11.0);
    assert_eq!(list[0]["resultMaximum"], 10.0);
    assert_eq!(list[0]["scoreOf"], id.as_str());
    // AGS 3.3.6: user_id narrows to at most one result.
    let one = call(
        reqwest::Method::GET,
        &format!("{}&user_id=u-2", derived(&id, "results")),
        &t,
        None,
        None,
    )
    .await;
    assert_eq!(one.body.as_array().map(Vec::len), Some(1), "{}", one.body);

    let seen = p.ags_requests(HINT);
    let ignored = seen
        .iter()
        .filter(|r| r.endpoint == AgsEndpoint::Scores && !r.applied)
        .count();
    assert_eq!(ignored, 1, "{seen:#?}");
    assert!(seen.iter().all(|r| r.token_valid && r.scope_ok));
}

#[tokio::test]
async fn the_container_filters_and_pages() {
    let p = platform().await;
    let t = token(&p, ALL).await;
    for (label, res, tag) in [
        ("A", "r-1", "grade"),
        ("B", "r-2", "grade"),
        ("C", "r-1", "x"),
    ] {
        assert_eq!(create(&p, &t, item_body(label, res, tag)).await.status, 201);
    }
    let get = |q: &str| {
        let url = format!("{}{q}", p.ags_lineitems_url(HINT));
        let t = t.clone();
        async move { call(reqwest::Method::GET, &url, &t, None, None).await }
    };
    let labels = |a: &Answer| -> Vec<String> {
        a.body
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|i| i["label"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = get("").await;
    assert!(all.content_type.starts_with(LINEITEMS_MEDIA_TYPE));
    assert_eq!(labels(&all), ["A", "B", "C"]);
    assert_eq!(labels(&get("?resource_id=r-1").await), ["A", "C"]);
    assert_eq!(labels(&get("?tag=grade").await), ["A", "B"]);
    assert_eq!(labels(&get("?resource_id=r-1&tag=grade").await), ["A"]);
    assert_eq!(
        labels(&get("?resource_link_id=rl-1").await),
        ["A", "B", "C"]
    );
    let none = get("?resource_link_id=other").await;
    assert_eq!(
        none.body,
        json!([]),
        "no match is an empty array (AGS 3.2.4)"
    );
    // limit: a Link rel="next" that keeps the filters.
    let first = get("?tag=grade&limit=1").await;
    assert_eq!(labels(&first), ["A"]);
    let link = first.link.unwrap_or_default();
    assert!(
        link.contains("rel=\"next\"") && link.contains("tag=grade"),
        "{link}"
    );
    let next = link
        .split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(u, _)| u.to_string())
        .unwrap_or_default();
    let second = call(reqwest::Method::GET, &next, &t, None, None).await;
    assert_eq!(labels(&second), ["B"]);
    assert!(second.link.is_none(), "the last page has no next link");
}

#[rstest]
#[case::no_label(json!({"scoreMaximum": 10}), LINEITEM_MEDIA_TYPE, 400)]
#[case::blank_label(json!({"label": "  ", "scoreMaximum": 10}), LINEITEM_MEDIA_TYPE, 400)]
#[case::zero_maximum(json!({"label": "L", "scoreMaximum": 0}), LINEITEM_MEDIA_TYPE, 400)]
#[case::no_maximum(json!({"label": "L"}), LINEITEM_MEDIA_TYPE, 400)]
#[case::wrong_media_type(json!({"label": "L", "scoreMaximum": 1}), "application/json", 415)]
#[case::valid(json!({"label": "L", "scoreMaximum": 0.5}), LINEITEM_MEDIA_TYPE, 201)]
#[tokio::test]
async fn line_items_are_validated(
    #[case] body: Value,
    #[case] content_type: &str,
    #[case] status: u16,
) {
    let p = platform().await;
    let t = token(&p, AGS_SCOPE_LINEITEM).await;
    let r = call(
        reqwest::Method::POST,
        &p.ags_lineitems_url(HINT),
        &t,
        Some(content_type),
        Some(body),
    )
    .await;
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(p.ags_line_items(HINT).len(), usize::from(status == 201));
}

#[tokio::test]
async fn put_replaces_and_keeps_the_id_and_delete_removes() {
    let p = platform().await;
    let t = token(&p, AGS_SCOPE_LINEITEM).await;
    let created = create(&p, &t, item_body("Old", "r", "g")).await;
    let id = created.body["id"].as_str().unwrap_or_default().to_string();
    let put = call(
        reqwest::Method::PUT,
        &id,
        &t,
        Some(LINEITEM_MEDIA_TYPE),
        Some(json!({"id": "https://elsewhere/1", "label": "New", "scoreMaximum": 20})),
    )
    .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["id"], id.as_str());
    assert_eq!(put.body["label"], "New");
    assert_eq!(put.body["resourceLinkId"], "rl-1");
    let del = call(reqwest::Method::DELETE, &id, &t, None, None).await;
    assert_eq!(del.status, 204);
    assert_eq!(
        call(reqwest::Method::GET, &id, &t, None, None).await.status,
        404
    );
}

#[rstest]
#[case::no_fraction(json!({"timestamp": "2026-01-01T10:00:00Z"}))]
#[case::no_zone(json!({"timestamp": "2026-01-01T10:00:00.123"}))]
#[case::no_timestamp(json!({"timestamp": null}))]
#[case::no_user(json!({"userId": null}))]
#[case::bad_activity(json!({"activityProgress": "Done"}))]
#[case::bad_grading(json!({"gradingProgress": "Graded"}))]
#[case::negative(json!({"scoreGiven": -1}))]
#[case::given_without_maximum(json!({"scoreMaximum": null}))]
#[tokio::test]
async fn bad_scores_are_refused(#[case] edit: Value) {
    let p = platform().await;
    let t = token(&p, ALL).await;
    let id = create(&p, &t, item_body("Q", "r", "g")).await.body["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut body = score("u-1", 5.0, "2026-01-01T10:00:00.100Z");
    if let (Some(o), Some(e)) = (body.as_object_mut(), edit.as_object()) {
        for (k, v) in e {
            if v.is_null() {
                o.remove(k);
            } else {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    let r = call(
        reqwest::Method::POST,
        &derived(&id, "scores"),
        &t,
        Some(SCORE_MEDIA_TYPE),
        Some(body),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let seen = p.ags_requests(HINT);
    let last = seen.last().unwrap_or_else(|| panic!("nothing recorded"));
    assert!(!last.applied && last.problems.len() == 1, "{last:#?}");
}

#[tokio::test]
async fn scores_in_the_wrong_place_or_type_are_recorded_as_such() {
    let p = platform().await;
    let t = token(&p, ALL).await;
    let id = create(&p, &t, item_body("Q", "r", "g")).await.body["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let body = score("u-1", 5.0, "2026-01-01T10:00:00.100Z");
    // Appending `/scores` to the whole URL lands on the line item itself.
    let naive = call(
        reqwest::Method::POST,
        &format!("{id}/scores"),
        &t,
        Some(SCORE_MEDIA_TYPE),
        Some(body.clone()),
    )
    .await;
    assert_eq!(naive.status, 405);
    let wrong_type = call(
        reqwest::Method::POST,
        &derived(&id, "scores"),
        &t,
        Some("application/json"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(wrong_type.status, 415);
    let no_query = derived(&id, "scores").replace(&format!("?{LINEITEM_QUERY}"), "");
    let dropped = call(
        reqwest::Method::POST,
        &no_query,
        &t,
        Some(SCORE_MEDIA_TYPE),
        Some(body),
    )
    .await;
    assert_eq!(dropped.status, 204);
    let seen = p.ags_requests(HINT);
    let kinds: Vec<(AgsEndpoint, &str, bool, bool)> = seen
        .iter()
        .skip(1)
        .map(|r| (r.endpoint, r.method.as_str(), r.query_kept, r.applied))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (AgsEndpoint::LineItem, "POST", false, false),
            (AgsEndpoint::Scores, "POST", true, false),
            (AgsEndpoint::Scores, "POST", false, true),
        ]
    );
}

/// HX-SVC-P-01: each endpoint wants its own scope; a bad bearer is 401.
#[rstest]
#[case::score_with_results_scope("score", Some(AGS_SCOPE_RESULT_READONLY), 403)]
#[case::create_with_results_scope("create", Some(AGS_SCOPE_RESULT_READONLY), 403)]
#[case::create_with_readonly("create", Some(AGS_SCOPE_LINEITEM_READONLY), 403)]
#[case::list_with_readonly("list", Some(AGS_SCOPE_LINEITEM_READONLY), 200)]
#[case::list_with_score_scope("list", Some(AGS_SCOPE_SCORE), 403)]
#[case::results_with_score_scope("results", Some(AGS_SCOPE_SCORE), 403)]
#[case::results_with_results_scope("results", Some(AGS_SCOPE_RESULT_READONLY), 200)]
#[case::garbage_bearer("list", None, 401)]
#[tokio::test]
async fn each_endpoint_enforces_its_scope(
    #[case] what: &str,
    #[case] scope: Option<&str>,
    #[case] status: u16,
) {
    let p = platform().await;
    let admin = token(&p, ALL).await;
    let id = create(&p, &admin, item_body("Q", "r", "g")).await.body["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let t = match scope {
        Some(s) => token(&p, s).await,
        None => "garbage".into(),
    };
    let r = match what {
        "score" => {
            call(
                reqwest::Method::POST,
                &derived(&id, "scores"),
                &t,
                Some(SCORE_MEDIA_TYPE),
                Some(score("u", 1.0, "2026-01-01T10:00:00.100Z")),
            )
            .await
        }
        "create" => create(&p, &t, item_body("Q2", "r", "g")).await,
        "results" => {
            call(
                reqwest::Method::GET,
                &derived(&id, "results"),
                &t,
                None,
                None,
            )
            .await
        }
        _ => {
            call(
                reqwest::Method::GET,
                &p.ags_lineitems_url(HINT),
                &t,
                None,
                None,
            )
            .await
        }
    };
    assert_eq!(r.status, status, "{}", r.body);
}

#[tokio::test]
async fn a_revoked_token_gets_401_and_a_new_one_works() {
    let p = platform().await;
    p.ags_revoke_first_token(HINT);
    let first = token(&p, ALL).await;
    let url = p.ags_lineitems_url(HINT);
    assert_eq!(
        call(reqwest::Method::GET, &url, &first, None, None)
            .await
            .status,
        401
    );
    assert_eq!(
        call(reqwest::Method::GET, &url, &first, None, None)
            .await
            .status,
        401,
        "a revoked token stays revoked"
    );
    let second = token(&p, ALL).await;
    assert_eq!(
        call(reqwest::Method::GET, &url, &second, None, None)
            .await
            .status,
        200
    );
}
