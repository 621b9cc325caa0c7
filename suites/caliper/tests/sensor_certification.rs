//! The caliper-sensor suite against the reference sensor: a correct sensor
//! passes every case, and each injected fault fails exactly the cases aimed at it.

mod common;

use std::path::Path;
use std::time::Duration;

use accredit_core::{Outcome, Suite};
use accredit_mock_tool::caliper::Fault;
use accredit_suite_caliper::CaliperSensorSuite;
use rstest::rstest;

use common::{SCHEMAS, Token, dump, non_passing, reference_sensor, result, run_suite};

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_sensor_passes_every_case() {
    let token = Token::new();
    let (sensor, profile) = reference_sensor(vec![], &token).await;
    let record = run_suite(
        &CaliperSensorSuite,
        &profile,
        Some(Path::new(SCHEMAS)),
        TIMEOUT,
    )
    .await;
    sensor.shutdown().await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(record.results.len(), CaliperSensorSuite.catalog().len());
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));

    // The coverage table is in the verdict, so every report format shows it.
    let session = result(&record, "caliper.sensor.profile-coverage.session");
    let table = session
        .checks
        .iter()
        .find(|c| c.name == "coverage table")
        .map(|c| c.detail.clone())
        .unwrap_or_default();
    assert!(
        table.contains("SessionEvent LoggedIn ×1 (1 valid)"),
        "{table}"
    );
    assert!(
        session
            .checks
            .iter()
            .any(|c| c.name == "required: SessionEvent LoggedIn")
    );
    // Each case carries the exchanges it judged, and the token never appears.
    let ev = record
        .evidence
        .iter()
        .find(|e| e.case_id == "caliper.sensor.http.authorization")
        .unwrap_or_else(|| panic!("no evidence"));
    assert!(!ev.exchanges.is_empty(), "the judged requests are attached");
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        !text.contains(&token.value),
        "the bearer token leaked into evidence"
    );
}

/// What each fault must break, and nothing else.
fn expected(fault: Fault) -> Vec<(&'static str, Outcome)> {
    match fault {
        Fault::SendTimeWithoutMillis => {
            vec![("caliper.sensor.envelope.send-time-format", Outcome::Fail)]
        }
        Fault::ActionNotAllowed => vec![("caliper.sensor.event.action-allowed", Outcome::Fail)],
        Fault::NoAuthorization => vec![("caliper.sensor.http.authorization", Outcome::Fail)],
        Fault::WrongContentType => vec![("caliper.sensor.http.content-type", Outcome::Fail)],
        // Every event is invalid, so no profile can be certified: the coverage
        // cases fail too, as they would at the certification service.
        Fault::EventIdNotUrnUuid => {
            let mut v = vec![("caliper.sensor.event.id-urn-uuid", Outcome::Fail)];
            v.extend(
                accredit_suite_caliper::coverage::PROFILE_CERTS
                    .iter()
                    .map(|c| (c.case_id, Outcome::Fail)),
            );
            v
        }
        Fault::WrongMethod => vec![("caliper.sensor.http.method-post", Outcome::Fail)],
        Fault::OmitRequiredEvent => {
            vec![("caliper.sensor.profile-coverage.assessment", Outcome::Fail)]
        }
    }
}

#[rstest]
#[case::send_time_without_millis(Fault::SendTimeWithoutMillis)]
#[case::action_not_allowed(Fault::ActionNotAllowed)]
#[case::no_authorization(Fault::NoAuthorization)]
#[case::wrong_content_type(Fault::WrongContentType)]
#[case::event_id_not_urn_uuid(Fault::EventIdNotUrnUuid)]
#[case::wrong_method(Fault::WrongMethod)]
#[case::omit_required_event(Fault::OmitRequiredEvent)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_cases(#[case] fault: Fault) {
    let token = Token::new();
    let (sensor, profile) = reference_sensor(vec![fault], &token).await;
    let record = run_suite(
        &CaliperSensorSuite,
        &profile,
        Some(Path::new(SCHEMAS)),
        TIMEOUT,
    )
    .await;
    sensor.shutdown().await;
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
