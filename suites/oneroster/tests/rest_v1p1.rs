//! The OneRoster 1.1 half of the oneroster-provider suite against the
//! reference SIS's `/ims/oneroster/v1p1` surface (OAuth 1.0a signed): a
//! conformant SIS passes every 1.1 case (and every 1.2 case skips), and each
//! injected fault fails exactly the cases aimed at it.

mod common;

use accredit_core::runner::RunRecord;
use accredit_core::{Outcome, Suite, SuiteError};
use accredit_mock_platform::oneroster::Fault;
use accredit_suite_oneroster::rest::oauth1::{self, SignatureMethod, Signing};
use accredit_suite_oneroster::rest::v1p1::{self, FaultExt, V1P1_PREFIX, v1p1_demo_profile};
use accredit_suite_oneroster::rest::v1p1_gradebook;
use accredit_suite_oneroster::{OneRosterProviderSuite, start_reference_sis};
use common::{non_passing_1p1, run_1p1 as run_against, schemas};
use rstest::rstest;

fn dump(record: &RunRecord) -> String {
    common::dump(record, common::v1p1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_sis_passes_every_1p1_case() {
    let record = run_against(vec![], |p| p).await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(record.results.len(), OneRosterProviderSuite.catalog().len());
    assert_eq!(
        record
            .results
            .iter()
            .filter(|c| c.id.starts_with(V1P1_PREFIX))
            .count(),
        v1p1::catalog().len()
    );
    assert_eq!(non_passing_1p1(&record), vec![], "{}", dump(&record));
    // The signed exchanges are in the evidence.
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        text.contains("oauth_signature"),
        "no signed request recorded"
    );
}

/// What each fault must break on the 1.1 surface, and nothing else.
fn expected(fault: Fault) -> Vec<(&'static str, Outcome)> {
    use Outcome::{Fail, Warn};
    match fault {
        // The 1.1 gradebook's auth case signs with the wrong secret too.
        Fault::Oauth1SignatureUnchecked => vec![
            (v1p1::AUTH_BAD_SIGNATURE, Fail),
            (v1p1_gradebook::AUTH, Fail),
        ],
        Fault::Oauth1NonceReplayAccepted => vec![(v1p1::AUTH_REPLAYED_NONCE, Fail)],
        Fault::Oauth1TimestampUnchecked => vec![(v1p1::AUTH_STALE_TIMESTAMP, Fail)],
        Fault::Oauth1Sha256Unsupported => vec![(v1p1::AUTH_HMAC_SHA256, Fail)],
        // The 1.1 gradebook answers its errors with the same payload.
        Fault::V1p1ErrorShapeWrong => {
            vec![(v1p1::ERRORS, Fail), (v1p1_gradebook::UNKNOWN_ID, Fail)]
        }
        Fault::V1p1EnvelopeWrong => vec![(v1p1::SINGLE, Fail)],
        Fault::V1p1Uses1p2UserFields => vec![(v1p1::REQUIRED, Fail)],
        // The 1.2 output faults the 1.1 surface shares.
        Fault::TotalCountIsPageSize => vec![(v1p1::PAGING, Fail)],
        Fault::MissingLinkHeader => vec![(v1p1::LINK, Warn)],
        Fault::FilterIgnoresAnd => vec![(v1p1::FILTER, Fail)],
        Fault::EnumWrongCase | Fault::BooleansAsJson => vec![(v1p1::ENUMS, Fail)],
        Fault::DateWithoutTime => vec![(v1p1::DATES, Fail)],
        _ => vec![],
    }
}

#[rstest]
#[case::oauth1_signature_unchecked(Fault::Oauth1SignatureUnchecked)]
#[case::oauth1_nonce_replay_accepted(Fault::Oauth1NonceReplayAccepted)]
#[case::oauth1_timestamp_unchecked(Fault::Oauth1TimestampUnchecked)]
#[case::oauth1_sha256_unsupported(Fault::Oauth1Sha256Unsupported)]
#[case::v1p1_error_shape_wrong(Fault::V1p1ErrorShapeWrong)]
#[case::v1p1_envelope_wrong(Fault::V1p1EnvelopeWrong)]
#[case::v1p1_uses_1p2_user_fields(Fault::V1p1Uses1p2UserFields)]
#[case::total_count_is_page_size(Fault::TotalCountIsPageSize)]
#[case::missing_link_header(Fault::MissingLinkHeader)]
#[case::filter_ignores_and(Fault::FilterIgnoresAnd)]
#[case::enum_wrong_case(Fault::EnumWrongCase)]
#[case::booleans_as_json(Fault::BooleansAsJson)]
#[case::date_without_time(Fault::DateWithoutTime)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_cases(#[case] fault: Fault) {
    let record = run_against(vec![fault], |p| p).await;
    let mut want: Vec<(String, Outcome)> = expected(fault)
        .into_iter()
        .map(|(id, o)| (id.to_string(), o))
        .collect();
    let mut got = non_passing_1p1(&record);
    want.sort();
    got.sort();
    assert_eq!(got, want, "fault {fault:?}:\n{}", dump(&record));
}

#[test]
fn the_matrix_covers_every_1p1_fault() {
    // The 1.1 gradebook's faults have their matrix in tests/rest_v1p1_gradebook.rs.
    for f in Fault::ALL
        .into_iter()
        .filter(|f| f.v1p1() && !f.v1p1_gradebook())
    {
        assert!(
            !expected(f).is_empty(),
            "{f:?} must break at least one case"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sha1_only_profile_skips_the_sha256_case() {
    let record = run_against(vec![Fault::Oauth1Sha256Unsupported], |p| {
        p.replace(
            "signature_method = \"both\"",
            "signature_method = \"HMAC-SHA1\"",
        )
    })
    .await;
    assert_eq!(
        non_passing_1p1(&record),
        vec![(v1p1::AUTH_HMAC_SHA256.to_string(), Outcome::Skip)],
        "{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1p1_profile_without_oauth1_credentials_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), vec![])
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let full = v1p1_demo_profile(&sis);
    let cut = full
        .split("\n[oneroster-provider.oauth1]")
        .next()
        .unwrap_or_default()
        .to_string();
    let err = common::start_provider(&cut, Some(&schemas()), common::all)
        .await
        .err();
    sis.sis.shutdown().await;
    assert!(
        matches!(&err, Some(SuiteError::Usage(m)) if m.contains("oauth1")),
        "{err:?}"
    );
}

/// Below the suite: the mock verifies the signature over the path, so a
/// signature made for one URL does not open another, and both methods pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_is_bound_to_its_url() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), vec![])
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let client = reqwest::Client::new();
    let users = url::Url::parse(&format!("{}/users?limit=2", sis.sis.v1p1_url()))
        .unwrap_or_else(|e| panic!("{e}"));
    let orgs = url::Url::parse(&format!("{}/orgs?limit=2", sis.sis.v1p1_url()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut statuses = Vec::new();
    for (i, (method, target)) in [
        (SignatureMethod::HmacSha1, &users),
        (SignatureMethod::HmacSha256, &users),
        (SignatureMethod::HmacSha1, &orgs),
    ]
    .into_iter()
    .enumerate()
    {
        let nonce = format!("nonce-{i}");
        let s = Signing {
            consumer_key: sis.sis.client_id(),
            consumer_secret: &sis.client_secret,
            method,
            timestamp: chrono::Utc::now().timestamp(),
            nonce: &nonce,
        };
        // Always signed for `users`, sent to `target`.
        let h =
            oauth1::authorization_header(&s, "GET", &users, &[]).unwrap_or_else(|e| panic!("{e}"));
        let r = client
            .get(target.as_str())
            .header("authorization", h)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        statuses.push((status, body.get("statusInfoSet").is_some()));
    }
    sis.sis.shutdown().await;
    assert_eq!(statuses, vec![(200, false), (200, false), (401, true)]);
}
