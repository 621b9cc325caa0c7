//! The oneroster-provider suite's gradebook and resources cases against the
//! reference SIS: a conformant SIS passes every case (and is left as it was
//! found), each injected gradebook fault fails exactly the cases aimed at it,
//! write cases skip without `allow_writes`, and gradebook cases skip for a
//! rostering-only profile.

mod common;

use accredit_core::profile::Secret;
use accredit_core::runner::RunRecord;
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::oneroster::{self as sis, GradebookFault, RunningSis};
use accredit_suite_oneroster::{GenerateConfig, OneRosterProviderSuite, provider_demo_profile};
use common::schemas;
use rstest::rstest;

const GB: &str = "oneroster.provider.gradebook.";
const RES: &str = "oneroster.provider.resources.";

fn mine(id: &str) -> bool {
    id.starts_with(GB) || id.starts_with(RES)
}

/// Runs only the gradebook and resources cases (the suite's other cases are
/// judged by their own test files).
async fn run_suite(profile: &str, schema_dir: Option<&std::path::Path>) -> RunRecord {
    common::run_provider(profile, schema_dir, mine).await
}

/// The gradebook and resources cases that did not pass.
fn non_passing(record: &RunRecord) -> Vec<(String, Outcome)> {
    common::non_passing(record, mine)
}

fn dump(record: &RunRecord) -> String {
    common::dump(record, mine)
}

/// A reference SIS (the suite's sample bundle) with `faults`, and its profile.
struct Sis {
    _dir: tempfile::TempDir,
    sis: RunningSis,
    profile: String,
}

async fn start(faults: Vec<GradebookFault>) -> Sis {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let bundle = dir.path().join("bundle");
    let mut cfg = GenerateConfig::new(
        accredit_suite_oneroster::tables::Version::V1p2,
        accredit_suite_oneroster::rest::REFERENCE_USERS,
    );
    cfg.seed = 0x51_5eed;
    accredit_suite_oneroster::generate_dir(&cfg, &bundle).unwrap_or_else(|e| panic!("{e}"));
    let secret_file = dir.path().join("secret");
    let secret = uuid::Uuid::new_v4().simple().to_string();
    std::fs::write(&secret_file, &secret).unwrap_or_else(|e| panic!("{e}"));
    let reference = format!("file:{}", secret_file.display());
    let mut config = sis::SisConfig::reference(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        &bundle,
        Secret::from_value(reference.clone(), secret),
    );
    config.gradebook_faults = faults;
    let sis = sis::start(config, None)
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let profile = provider_demo_profile(
        "reference SIS",
        &sis.rostering_url(),
        &sis.token_url(),
        sis.client_id(),
        &reference,
        sis.scopes(),
    );
    Sis {
        _dir: dir,
        sis,
        profile,
    }
}

const WRITTEN: [&str; 6] = [
    "categories",
    "lineItems",
    "results",
    "scoreScales",
    "assessmentLineItems",
    "assessmentResults",
];

fn counts(s: &RunningSis) -> Vec<u64> {
    WRITTEN
        .iter()
        .map(|c| s.count(c).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_sis_passes_every_gradebook_and_resources_case_and_keeps_no_junk() {
    let s = start(vec![]).await;
    let before = counts(&s.sis);
    let record = run_suite(&s.profile, Some(&schemas())).await;
    let after = counts(&s.sis);
    s.sis.shutdown().await;
    let ran: Vec<&str> = record
        .results
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| mine(id))
        .collect();
    assert_eq!(ran.len(), 24, "{ran:?}");
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));
    // Every object the write cases created was deleted again.
    assert_eq!(before, after, "objects left behind in {WRITTEN:?}");
}

/// What each gradebook fault must break, and nothing else.
fn expected(fault: GradebookFault) -> Vec<(&'static str, Outcome)> {
    use Outcome::Fail;
    match fault {
        GradebookFault::PutReturnsWrongStatus => vec![
            (
                "oneroster.provider.gradebook.write.line-item-round-trip",
                Fail,
            ),
            ("oneroster.provider.gradebook.write.result-round-trip", Fail),
            (
                "oneroster.provider.gradebook.write.assessment-round-trip",
                Fail,
            ),
        ],
        GradebookFault::PostNoSourcedIdPairs => vec![
            (
                "oneroster.provider.gradebook.write.post-sourcedid-pairs",
                Fail,
            ),
            (
                "oneroster.provider.gradebook.write.post-school-and-session",
                Fail,
            ),
        ],
        GradebookFault::DeleteIgnored => vec![
            ("oneroster.provider.gradebook.write.delete", Fail),
            (
                "oneroster.provider.gradebook.write.assessment-round-trip",
                Fail,
            ),
        ],
        GradebookFault::GradebookScopesIgnored => {
            vec![("oneroster.provider.gradebook.auth.scopes", Fail)]
        }
        GradebookFault::ResultScoreNotKept => {
            vec![("oneroster.provider.gradebook.write.result-round-trip", Fail)]
        }
        GradebookFault::ResourcesWrongEnvelope => vec![
            ("oneroster.provider.resources.read", Fail),
            ("oneroster.provider.resources.model", Fail),
            ("oneroster.provider.resources.model.schema", Fail),
        ],
        GradebookFault::AssessmentPutNotStored => vec![(
            "oneroster.provider.gradebook.write.assessment-round-trip",
            Fail,
        )],
        GradebookFault::GradebookFilterIgnored => {
            vec![("oneroster.provider.gradebook.query.filter", Fail)]
        }
        GradebookFault::GradebookSortIgnored => {
            vec![("oneroster.provider.gradebook.query.sort", Fail)]
        }
        GradebookFault::GradebookFieldsIgnored => {
            vec![("oneroster.provider.gradebook.query.fields", Fail)]
        }
        GradebookFault::LineItemsPagingOverlaps => {
            vec![("oneroster.provider.gradebook.paging", Fail)]
        }
        GradebookFault::ScopedPostsMissing => vec![(
            "oneroster.provider.gradebook.write.post-school-and-session",
            Fail,
        )],
    }
}

#[rstest]
#[case::put_returns_wrong_status(GradebookFault::PutReturnsWrongStatus)]
#[case::post_no_sourced_id_pairs(GradebookFault::PostNoSourcedIdPairs)]
#[case::delete_ignored(GradebookFault::DeleteIgnored)]
#[case::gradebook_scopes_ignored(GradebookFault::GradebookScopesIgnored)]
#[case::result_score_not_kept(GradebookFault::ResultScoreNotKept)]
#[case::resources_wrong_envelope(GradebookFault::ResourcesWrongEnvelope)]
#[case::assessment_put_not_stored(GradebookFault::AssessmentPutNotStored)]
#[case::gradebook_filter_ignored(GradebookFault::GradebookFilterIgnored)]
#[case::gradebook_sort_ignored(GradebookFault::GradebookSortIgnored)]
#[case::gradebook_fields_ignored(GradebookFault::GradebookFieldsIgnored)]
#[case::line_items_paging_overlaps(GradebookFault::LineItemsPagingOverlaps)]
#[case::scoped_posts_missing(GradebookFault::ScopedPostsMissing)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_gradebook_fault_fails_exactly_its_cases(#[case] fault: GradebookFault) {
    let s = start(vec![fault]).await;
    let before = counts(&s.sis);
    let record = run_suite(&s.profile, Some(&schemas())).await;
    let after = counts(&s.sis);
    s.sis.shutdown().await;
    // Even a faulty provider is left as found, unless it ignores DELETE.
    if fault != GradebookFault::DeleteIgnored {
        assert_eq!(
            before, after,
            "fault {fault:?}: objects left behind in {WRITTEN:?}"
        );
    }
    let mut want: Vec<(String, Outcome)> = expected(fault)
        .into_iter()
        .map(|(id, o)| (id.to_string(), o))
        .collect();
    let mut got = non_passing(&record);
    want.sort();
    got.sort();
    assert_eq!(got, want, "fault {fault:?}:\n{}", dump(&record));
}

#[test]
fn the_matrix_covers_every_gradebook_fault() {
    for f in GradebookFault::ALL {
        assert!(
            !expected(f).is_empty(),
            "{f:?} must break at least one case"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_allow_writes_the_write_cases_skip_and_write_nothing() {
    let s = start(vec![]).await;
    let before = counts(&s.sis);
    let profile = s.profile.replace("allow_writes = true\n", "");
    assert_ne!(profile, s.profile, "the demo profile sets allow_writes");
    let record = run_suite(&profile, Some(&schemas())).await;
    let after = counts(&s.sis);
    s.sis.shutdown().await;
    let skipped: Vec<(String, Outcome)> = [
        "oneroster.provider.gradebook.write.assessment-round-trip",
        "oneroster.provider.gradebook.write.delete",
        "oneroster.provider.gradebook.write.line-item-round-trip",
        "oneroster.provider.gradebook.write.post-school-and-session",
        "oneroster.provider.gradebook.write.post-sourcedid-pairs",
        "oneroster.provider.gradebook.write.result-round-trip",
    ]
    .iter()
    .map(|id| (id.to_string(), Outcome::Skip))
    .collect();
    assert_eq!(non_passing(&record), skipped, "{}", dump(&record));
    for r in record
        .results
        .iter()
        .filter(|r| mine(&r.id) && r.outcome == Outcome::Skip)
    {
        assert!(
            r.message.contains("allow_writes"),
            "{}: {}",
            r.id,
            r.message
        );
    }
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rostering_only_profile_skips_the_gradebook_and_resources() {
    let s = start(vec![]).await;
    let profile = provider_demo_profile(
        "rostering only",
        &s.sis.rostering_url(),
        &s.sis.token_url(),
        s.sis.client_id(),
        s.profile
            .lines()
            .find_map(|l| l.strip_prefix("client_secret = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no secret in {}", s.profile)),
        &[
            sis::SCOPE_ROSTER_CORE.to_string(),
            sis::SCOPE_ROSTER.to_string(),
        ],
    );
    let record = run_suite(&profile, Some(&schemas())).await;
    s.sis.shutdown().await;
    let got = non_passing(&record);
    assert_eq!(got.len(), 24, "{}", dump(&record));
    assert!(
        got.iter().all(|(id, o)| mine(id) && *o == Outcome::Skip),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_schema_directory_the_service_schema_cases_skip() {
    let s = start(vec![]).await;
    let record = run_suite(&s.profile, None).await;
    s.sis.shutdown().await;
    let mut got: Vec<(String, Outcome)> = non_passing(&record)
        .into_iter()
        .filter(|(id, _)| mine(id))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "oneroster.provider.gradebook.model.schema".to_string(),
                Outcome::Skip
            ),
            (
                "oneroster.provider.resources.model.schema".to_string(),
                Outcome::Skip
            ),
        ],
        "{}",
        dump(&record)
    );
}

#[test]
fn write_cases_run_alone() {
    for c in OneRosterProviderSuite.catalog() {
        if c.id.starts_with("oneroster.provider.gradebook.write.") {
            assert!(c.exclusive, "{} must be exclusive", c.id);
        }
    }
}

/// Every one of the 35 gradebook and 5 resources operations of the reference
/// SIS answers its documented success status (the suite's cases sample them;
/// this walks them all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_sis_serves_all_40_operations() {
    let s = start(vec![]).await;
    let secret_ref = s
        .profile
        .lines()
        .find_map(|l| l.strip_prefix("client_secret = \"file:"))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no secret in {}", s.profile))
        .to_string();
    let secret = std::fs::read_to_string(secret_ref).unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::Client::new();
    let tok: serde_json::Value = http
        .post(s.sis.token_url())
        .basic_auth(s.sis.client_id(), Some(secret.trim()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bearer = format!(
        "Bearer {}",
        tok["access_token"].as_str().unwrap_or_default()
    );
    let root = s.sis.rostering_url().replace(sis::BASE_PATH, "");
    let gb = s.sis.gradebook_url();
    let rs = s.sis.resources_url();
    let call = |method: reqwest::Method, url: String, body: Option<serde_json::Value>| {
        let mut b = http.request(method, &url).header("authorization", &bearer);
        if let Some(v) = body {
            b = b.json(&v);
        }
        async move {
            let r = b.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let code = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
            (code, v)
        }
    };
    let first = |v: &serde_json::Value, env: &str, field: &str| -> String {
        v[env][0][field]["sourcedId"]
            .as_str()
            .or_else(|| v[env][0]["sourcedId"].as_str().filter(|_| field.is_empty()))
            .unwrap_or_else(|| panic!("no {env}[0].{field} in {v}"))
            .to_string()
    };
    let get = reqwest::Method::GET;
    let (_, li) = call(get.clone(), format!("{gb}/lineItems?limit=1"), None).await;
    let class = first(&li, "lineItems", "class");
    let school = first(&li, "lineItems", "school");
    let line_item = first(&li, "lineItems", "");
    let (_, res) = call(get.clone(), format!("{gb}/results?limit=1"), None).await;
    let student = first(&res, "results", "student");
    let (_, cls) = call(
        get.clone(),
        format!("{root}{}/classes/{class}", sis::BASE_PATH),
        None,
    )
    .await;
    let term = cls["class"]["terms"][0]["sourcedId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let course = cls["class"]["course"]["sourcedId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut ok = 0;
    // Reads: every collection, single object and scoped collection.
    for c in [
        "categories",
        "lineItems",
        "results",
        "scoreScales",
        "assessmentLineItems",
        "assessmentResults",
    ] {
        let (code, v) = call(get.clone(), format!("{gb}/{c}?limit=2"), None).await;
        assert_eq!(code, 200, "GET /{c}");
        let id = v[c][0]["sourcedId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (code, _) = call(get.clone(), format!("{gb}/{c}/{id}"), None).await;
        assert_eq!(code, 200, "GET /{c}/{id}");
        ok += 2;
    }
    for rel in [
        format!("classes/{class}/categories"),
        format!("classes/{class}/lineItems"),
        format!("classes/{class}/lineItems/{line_item}/results"),
        format!("classes/{class}/results"),
        format!("classes/{class}/scoreScales"),
        format!("classes/{class}/students/{student}/results"),
        format!("schools/{school}/scoreScales"),
    ] {
        let (code, v) = call(get.clone(), format!("{gb}/{rel}"), None).await;
        assert_eq!(code, 200, "GET /{rel}: {v}");
        assert!(
            v.as_object().is_some_and(|o| o
                .values()
                .all(|x| x.as_array().is_some_and(|a| !a.is_empty()))),
            "GET /{rel}: {v}"
        );
        ok += 1;
    }
    // Writes: PUT (201 then 200) and DELETE (204) on each of the six collections.
    let cref = serde_json::json!({"href": format!("{root}/x/{class}"), "sourcedId": class, "type": "class"});
    let sref = serde_json::json!({"href": "http://x/y", "sourcedId": student, "type": "user"});
    let bodies = [
        ("categories", "category", serde_json::json!({"title": "c"})),
        (
            "lineItems",
            "lineItem",
            serde_json::json!({"title": "l", "assignDate": "2026-01-01T00:00:00Z", "dueDate": "2026-01-02T00:00:00Z", "class": cref, "school": {"href": "http://x/y", "sourcedId": school, "type": "org"}, "category": {"href": "http://x/y", "sourcedId": "category-tests", "type": "category"}}),
        ),
        (
            "results",
            "result",
            serde_json::json!({"lineItem": {"href": "http://x/y", "sourcedId": line_item, "type": "lineItem"}, "student": sref, "scoreStatus": "submitted", "scoreDate": "2026-01-03"}),
        ),
        (
            "scoreScales",
            "scoreScale",
            serde_json::json!({"title": "s", "type": "t", "class": cref, "scoreScaleValue": [{"itemValueLHS": "1", "itemValueRHS": "A"}]}),
        ),
        (
            "assessmentLineItems",
            "assessmentLineItem",
            serde_json::json!({"title": "a"}),
        ),
        (
            "assessmentResults",
            "assessmentResult",
            serde_json::json!({"assessmentLineItem": {"href": "http://x/y", "sourcedId": "x", "type": "assessmentLineItem"}, "student": sref, "scoreDate": "2026-01-03", "scoreStatus": "exempt"}),
        ),
    ];
    for (c, single, body) in bodies {
        let url = format!("{gb}/{c}/accredit-test-{single}");
        let wrapped = serde_json::json!({ single: body });
        let (code, v) = call(reqwest::Method::PUT, url.clone(), Some(wrapped.clone())).await;
        assert_eq!(code, 201, "PUT /{c} (create): {v}");
        let (code, v) = call(reqwest::Method::PUT, url.clone(), Some(wrapped)).await;
        assert_eq!(code, 200, "PUT /{c} (replace): {v}");
        let (code, _) = call(reqwest::Method::DELETE, url.clone(), None).await;
        assert_eq!(code, 204, "DELETE /{c}");
        let (code, _) = call(get.clone(), url, None).await;
        assert_eq!(code, 404, "GET /{c} after DELETE");
        ok += 2;
    }
    // The four server-allocating POSTs.
    let posts = [
        (
            format!("classes/{class}/lineItems"),
            "lineItems",
            bodies_line_item(&class, &school),
        ),
        (
            format!("schools/{school}/lineItems"),
            "lineItems",
            bodies_line_item(&class, &school),
        ),
        (
            format!("lineItems/{line_item}/results"),
            "results",
            serde_json::json!({"sourcedId": "supplied-1", "student": {"href": "http://x/y", "sourcedId": student, "type": "user"}, "scoreStatus": "submitted", "scoreDate": "2026-01-03"}),
        ),
        (
            format!("classes/{class}/academicSessions/{term}/results"),
            "results",
            serde_json::json!({"sourcedId": "supplied-1", "lineItem": {"href": "http://x/y", "sourcedId": line_item, "type": "lineItem"}, "student": {"href": "http://x/y", "sourcedId": student, "type": "user"}, "scoreStatus": "submitted", "scoreDate": "2026-01-03"}),
        ),
    ];
    for (rel, env, item) in posts {
        let (code, v) = call(
            reqwest::Method::POST,
            format!("{gb}/{rel}"),
            Some(serde_json::json!({ env: [item] })),
        )
        .await;
        assert_eq!(code, 201, "POST /{rel}: {v}");
        assert_eq!(
            v["sourcedIdPairs"][0]["suppliedSourcedId"], "supplied-1",
            "POST /{rel}: {v}"
        );
        let allocated = v["sourcedIdPairs"][0]["allocatedSourcedId"]
            .as_str()
            .unwrap_or_default();
        let (code, _) = call(get.clone(), format!("{gb}/{env}/{allocated}"), None).await;
        assert_eq!(code, 200, "GET the object POST /{rel} allocated");
        ok += 1;
    }
    // Resources.
    for rel in [
        "resources".to_string(),
        format!("resources/resource-class-{class}"),
        format!("classes/{class}/resources"),
        format!("courses/{course}/resources"),
        format!("users/{student}/resources"),
    ] {
        let (code, v) = call(get.clone(), format!("{rs}/{rel}"), None).await;
        assert_eq!(code, 200, "GET /{rel}: {v}");
        ok += 1;
    }
    s.sis.shutdown().await;
    assert_eq!(ok, 40);
}

fn bodies_line_item(class: &str, school: &str) -> serde_json::Value {
    serde_json::json!({
        "sourcedId": "supplied-1",
        "title": "posted",
        "assignDate": "2026-01-01T00:00:00Z",
        "dueDate": "2026-01-02T00:00:00Z",
        "class": {"href": "http://x/y", "sourcedId": class, "type": "class"},
        "school": {"href": "http://x/y", "sourcedId": school, "type": "org"},
        "category": {"href": "http://x/y", "sourcedId": "category-tests", "type": "category"},
    })
}
