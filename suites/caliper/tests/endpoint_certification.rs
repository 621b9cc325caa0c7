//! The caliper-endpoint suite against the reference endpoint: a conformant
//! endpoint passes every case, and each injected fault fails exactly the cases
//! aimed at it.

mod common;

use std::time::Duration;

use accredit_core::{Outcome, Suite};
use accredit_mock_platform::caliper::Fault;
use accredit_suite_caliper::CaliperEndpointSuite;
use rstest::rstest;

use common::{Token, dump, non_passing, reference_endpoint, result, run_suite};

const TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_endpoint_passes_every_case() {
    let token = Token::new();
    let (ep, profile) = reference_endpoint(vec![], &token).await;
    let record = run_suite(&CaliperEndpointSuite, &profile, None, TIMEOUT).await;
    ep.shutdown().await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(record.results.len(), CaliperEndpointSuite.catalog().len());
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));
    let malformed = result(&record, "caliper.endpoint.reject.malformed-envelope");
    assert_eq!(malformed.outcome, Outcome::Pass);
    assert_eq!(
        malformed.checks.len(),
        4,
        "one request per missing property"
    );
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        !text.contains(&token.value),
        "the bearer token leaked into evidence"
    );
}

/// What each fault must break, and nothing else.
fn expected(fault: Fault) -> Vec<(&'static str, Outcome)> {
    match fault {
        Fault::AcceptMalformedEnvelope => {
            vec![("caliper.endpoint.reject.malformed-envelope", Outcome::Fail)]
        }
        // The configuration resource is unprotected too: its 401 is a SHOULD.
        Fault::AcceptMissingAuth => vec![
            ("caliper.endpoint.auth.missing", Outcome::Fail),
            ("caliper.endpoint.config.unauthorized", Outcome::Warn),
        ],
        Fault::AcceptAnyToken => vec![("caliper.endpoint.auth.invalid", Outcome::Fail)],
        Fault::AcceptUnsupportedVersion => {
            vec![("caliper.endpoint.data-version.unsupported", Outcome::Fail)]
        }
        Fault::BadRequestForWrongContentType => {
            vec![("caliper.endpoint.content-type", Outcome::Fail)]
        }
        Fault::RejectV1p1 => vec![("caliper.endpoint.accept.v1p1", Outcome::Fail)],
        Fault::NoConfiguration => vec![("caliper.endpoint.config.get", Outcome::Fail)],
        Fault::ConfigWithoutVersions => vec![("caliper.endpoint.config.get", Outcome::Fail)],
        // 201 and a body are allowed; 200 and an empty body are best practice.
        Fault::CreatedWithBody => vec![
            ("caliper.endpoint.accept.v1p2", Outcome::Warn),
            ("caliper.endpoint.accept.v1p1", Outcome::Warn),
        ],
        // A refusal that came the wrong way (a crash, not a 400).
        Fault::ServerErrorForNotJson => vec![("caliper.endpoint.reject.not-json", Outcome::Warn)],
    }
}

#[rstest]
#[case::accept_malformed_envelope(Fault::AcceptMalformedEnvelope)]
#[case::accept_missing_auth(Fault::AcceptMissingAuth)]
#[case::accept_any_token(Fault::AcceptAnyToken)]
#[case::accept_unsupported_version(Fault::AcceptUnsupportedVersion)]
#[case::bad_request_for_wrong_content_type(Fault::BadRequestForWrongContentType)]
#[case::reject_v1p1(Fault::RejectV1p1)]
#[case::no_configuration(Fault::NoConfiguration)]
#[case::config_without_versions(Fault::ConfigWithoutVersions)]
#[case::created_with_body(Fault::CreatedWithBody)]
#[case::server_error_for_not_json(Fault::ServerErrorForNotJson)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_cases(#[case] fault: Fault) {
    let token = Token::new();
    let (ep, profile) = reference_endpoint(vec![fault], &token).await;
    let record = run_suite(&CaliperEndpointSuite, &profile, None, TIMEOUT).await;
    ep.shutdown().await;
    let want: Vec<(String, Outcome)> = expected(fault)
        .into_iter()
        .map(|(id, o)| (id.to_string(), o))
        .collect();
    assert_eq!(
        non_passing(&record),
        want,
        "fault {fault:?}:\n{}",
        dump(&record)
    );
}

#[test]
fn the_matrix_covers_every_fault() {
    for f in Fault::ALL {
        assert!(
            !expected(f).is_empty(),
            "{f:?} must break at least one case"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_an_error_not_a_pass() {
    let token = Token::new();
    let dead = common::reserve();
    let profile = accredit_suite_caliper::endpoint_demo_profile(
        "dead",
        &format!("http://{dead}/caliper"),
        &token.reference,
        &common::VERSIONS,
    );
    let record = run_suite(&CaliperEndpointSuite, &profile, None, TIMEOUT).await;
    for r in &record.results {
        assert_eq!(r.outcome, Outcome::Error, "{}: {}", r.id, r.message);
    }
}

#[rstest]
#[case::config_without_versions(Fault::ConfigWithoutVersions, "caliper.endpoint.config.get", &["caliper_supported_versions is a list of IRIs", "no custom properties"])]
#[case::created_with_body(Fault::CreatedWithBody, "caliper.endpoint.accept.v1p2", &["answered 200 OK", "the success response has an empty body"])]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_condition_is_visible_as_a_check(
    #[case] fault: Fault,
    #[case] case: &str,
    #[case] failing: &[&str],
) {
    let token = Token::new();
    let (ep, profile) = reference_endpoint(vec![fault], &token).await;
    let record = run_suite(&CaliperEndpointSuite, &profile, None, TIMEOUT).await;
    ep.shutdown().await;
    let r = result(&record, case);
    let not_passing: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(not_passing, failing, "{}", dump(&record));
}
