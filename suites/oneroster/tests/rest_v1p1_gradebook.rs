//! The OneRoster 1.1 gradebook cases of the oneroster-provider suite
//! (`oneroster.provider.v1p1.gradebook.*`) against the reference SIS's 1.1
//! gradebook (the same store documents as its 1.2 gradebook, mapped to the 1.1
//! form): a conformant SIS passes every one (writes on), a 1.2 profile skips
//! them, and each `V1p1Gradebook*` fault fails exactly the cases aimed at it
//! across the whole 1.1 run.
//!
//! The setup (start the suite, run it against a fresh SIS) is copied from
//! `rest_v1p1.rs`, as each integration test is its own crate.

mod common;

use accredit_core::Outcome;
use accredit_core::runner::RunRecord;
use accredit_mock_platform::oneroster::Fault;
use accredit_suite_oneroster::rest::v1p1::FaultExt;
use accredit_suite_oneroster::rest::v1p1_gradebook::{self as gb, PREFIX};
use accredit_suite_oneroster::start_reference_sis;
use common::{non_passing_1p1, run_1p1 as run_against, schemas};
use rstest::rstest;

fn dump(record: &RunRecord) -> String {
    common::dump(record, common::v1p1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_sis_passes_every_1p1_gradebook_case() {
    let record = run_against(vec![], |p| p).await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(non_passing_1p1(&record), vec![], "{}", dump(&record));
    let ran: Vec<&str> = record
        .results
        .iter()
        .filter(|c| c.id.starts_with(PREFIX))
        .map(|c| c.id.as_str())
        .collect();
    let want: Vec<&str> = gb::catalog().iter().map(|m| m.id).collect();
    assert_eq!(ran, want);
    assert_eq!(want.len(), 9);
    // The writes went over the wire, signed, and were cleaned up.
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(text.contains("\"PUT\""), "no PUT recorded");
    assert!(text.contains("\"DELETE\""), "no DELETE recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_allow_writes_the_write_cases_skip_with_the_reason() {
    let record = run_against(vec![], |p| {
        p.replace("allow_writes = true", "allow_writes = false")
    })
    .await;
    let mut got = non_passing_1p1(&record);
    got.sort();
    let mut want: Vec<(String, Outcome)> = [
        gb::WRITE_LINE_ITEMS,
        gb::WRITE_RESULTS,
        gb::WRITE_CATEGORIES,
    ]
    .into_iter()
    .map(|id| (id.to_string(), Outcome::Skip))
    .collect();
    want.sort();
    assert_eq!(got, want, "{}", dump(&record));
    for c in record
        .results
        .iter()
        .filter(|c| c.id.starts_with(PREFIX) && c.outcome == Outcome::Skip)
    {
        assert!(
            c.message.contains("allow_writes"),
            "{}: {}",
            c.id,
            c.message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1p2_profile_skips_every_1p1_gradebook_case() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), vec![])
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let record = common::run_provider(&sis.profile, Some(&schemas()), common::all).await;
    sis.sis.shutdown().await;
    let ours: Vec<_> = record
        .results
        .iter()
        .filter(|c| c.id.starts_with(PREFIX))
        .collect();
    assert_eq!(ours.len(), gb::catalog().len());
    for c in ours {
        assert_eq!(c.outcome, Outcome::Skip, "{}", c.id);
        assert!(c.message.contains("1.2"), "{}: {}", c.id, c.message);
    }
}

/// What each 1.1 gradebook fault must break across the whole 1.1 run, and
/// nothing else.
fn expected(fault: Fault) -> Vec<&'static str> {
    match fault {
        Fault::V1p1GradebookUnsignedAccepted => vec![gb::AUTH],
        Fault::V1p1GradebookPutNotStored => vec![gb::WRITE_LINE_ITEMS],
        Fault::V1p1GradebookDeleteIgnored => {
            vec![
                gb::WRITE_LINE_ITEMS,
                gb::WRITE_RESULTS,
                gb::WRITE_CATEGORIES,
            ]
        }
        // Read back, the written `fully graded` comes back camel-cased too.
        Fault::V1p1GradebookScoreStatusCamelCase => vec![gb::MODEL, gb::WRITE_RESULTS],
        // Read back, the written line item has lost its class too.
        Fault::V1p1GradebookLineItemNoClass => vec![gb::MODEL, gb::WRITE_LINE_ITEMS],
        Fault::V1p1GradebookClassResultsUnscoped => vec![gb::SCOPED],
        Fault::V1p1GradebookErrorShapeWrong => vec![gb::UNKNOWN_ID],
        Fault::V1p1GradebookHrefsAt1p2Base => vec![gb::REFERENCES],
        // The class-scoped case reads a student's results too.
        Fault::V1p1GradebookStudentResultsMissing => vec![gb::READ, gb::SCOPED],
        _ => vec![],
    }
}

#[rstest]
#[case::unsigned_accepted(Fault::V1p1GradebookUnsignedAccepted)]
#[case::put_not_stored(Fault::V1p1GradebookPutNotStored)]
#[case::delete_ignored(Fault::V1p1GradebookDeleteIgnored)]
#[case::score_status_camel_case(Fault::V1p1GradebookScoreStatusCamelCase)]
#[case::line_item_no_class(Fault::V1p1GradebookLineItemNoClass)]
#[case::class_results_unscoped(Fault::V1p1GradebookClassResultsUnscoped)]
#[case::error_shape_wrong(Fault::V1p1GradebookErrorShapeWrong)]
#[case::hrefs_at_1p2_base(Fault::V1p1GradebookHrefsAt1p2Base)]
#[case::student_results_missing(Fault::V1p1GradebookStudentResultsMissing)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_gradebook_fault_fails_exactly_its_cases(#[case] fault: Fault) {
    let record = run_against(vec![fault], |p| p).await;
    let mut want: Vec<(String, Outcome)> = expected(fault)
        .into_iter()
        .map(|id| (id.to_string(), Outcome::Fail))
        .collect();
    let mut got = non_passing_1p1(&record);
    want.sort();
    got.sort();
    assert_eq!(got, want, "fault {fault:?}:\n{}", dump(&record));
}

#[test]
fn the_matrix_covers_every_1p1_gradebook_fault() {
    let faults: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| f.v1p1_gradebook())
        .collect();
    assert_eq!(faults.len(), 9);
    for f in &faults {
        assert!(f.v1p1(), "{f:?} is a 1.1 fault");
        assert!(
            !expected(*f).is_empty(),
            "{f:?} must break at least one case"
        );
    }
    // And the other way round: every case has a fault that proves it can fail.
    let failed: std::collections::BTreeSet<&str> =
        faults.iter().flat_map(|f| expected(*f)).collect();
    let never: Vec<&str> = gb::catalog()
        .iter()
        .map(|m| m.id)
        .filter(|id| !failed.contains(id))
        .collect();
    assert!(never.is_empty(), "no fault fails {never:?}");
}

/// Below the suite: a 1.2 write is visible at 1.1 and the other way round
/// (one district, two representations), and the 1.1 mapping shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_versions_share_one_gradebook() {
    use accredit_suite_oneroster::rest::oauth1::{self, SignatureMethod, Signing};
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), vec![])
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let client = reqwest::Client::new();
    let signed = |method: &str, url: &url::Url, n: usize| {
        let nonce = format!("nonce-{n}-{}", uuid::Uuid::new_v4().simple());
        let s = Signing {
            consumer_key: sis.sis.client_id(),
            consumer_secret: &sis.client_secret,
            method: SignatureMethod::HmacSha256,
            timestamp: chrono::Utc::now().timestamp(),
            nonce: &nonce,
        };
        oauth1::authorization_header(&s, method, url, &[]).unwrap_or_else(|e| panic!("{e}"))
    };
    let v1p1 = sis.sis.v1p1_url();
    let url =
        |rel: &str| url::Url::parse(&format!("{v1p1}/{rel}")).unwrap_or_else(|e| panic!("{e}"));
    // A category written at 1.1 ...
    let cat = url("categories/accredit-shared-1");
    let r = client
        .put(cat.as_str())
        .header("authorization", signed("PUT", &cat, 1))
        .json(&serde_json::json!({"category": {"title": "Shared"}}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 201);
    // ... is read at 1.2 with a token.
    let token: serde_json::Value = client
        .post(sis.sis.token_url())
        .basic_auth(sis.sis.client_id(), Some(&sis.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "scope",
                "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly",
            ),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bearer = token
        .get("access_token")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    let gb12 = v1p1.replace("/ims/oneroster/v1p1", "/ims/oneroster/gradebook/v1p2");
    let got: serde_json::Value = client
        .get(format!("{gb12}/categories/accredit-shared-1"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        got.pointer("/category/title").and_then(|t| t.as_str()),
        Some("Shared")
    );
    // A seeded (1.2) line item reads at 1.1 with gradingPeriod, without school.
    let li: serde_json::Value = client
        .get(format!("{gb12}/lineItems?limit=1"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = li
        .pointer("/lineItems/0/sourcedId")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    let u = url(&format!("lineItems/{id}"));
    let one: serde_json::Value = client
        .get(u.as_str())
        .header("authorization", signed("GET", &u, 2))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sis.sis.shutdown().await;
    let item = one.get("lineItem").unwrap_or_else(|| panic!("{one}"));
    assert_eq!(
        item.pointer("/gradingPeriod/sourcedId"),
        li.pointer("/lineItems/0/academicSession/sourcedId")
    );
    assert!(
        item.get("school").is_none() && item.get("academicSession").is_none(),
        "{item}"
    );
    let href = item
        .pointer("/class/href")
        .and_then(|h| h.as_str())
        .unwrap_or_default();
    assert!(href.contains("/ims/oneroster/v1p1/classes/"), "{href}");
}
