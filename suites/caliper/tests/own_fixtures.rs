//! Our own negative fixtures (`tests/fixtures/`, written for accredit): each rule
//! can fail (or warn, for SHOULD-level rules), at the expected location.

use std::path::{Path, PathBuf};

use accredit_core::Outcome;
use accredit_suite_caliper::Fixture;
use rstest::rstest;

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/schemas");

fn own(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn prepare(inputs: &[PathBuf]) -> Fixture {
    match Fixture::prepare(inputs, Some(Path::new(SCHEMAS))) {
        Ok(f) => f,
        Err(e) => panic!("prepare failed: {e}"),
    }
}

#[rstest]
#[case(
    "event-tool-launch-no-federated-session.json",
    "caliper.event.required-properties",
    Outcome::Fail,
    ""
)]
#[case(
    "event-timed-out-by-person.json",
    "caliper.event.property-range",
    Outcome::Fail,
    "/actor/type"
)]
#[case("not-json.json", "caliper.document.well-formed", Outcome::Fail, "1:2")]
#[case("invalid-utf8.json", "caliper.document.well-formed", Outcome::Fail, "")]
#[case(
    "top-level-string.json",
    "caliper.document.recognized",
    Outcome::Fail,
    ""
)]
#[case(
    "envelope-missing-send-time.json",
    "caliper.envelope.required-properties",
    Outcome::Fail,
    ""
)]
#[case(
    "envelope-custom-property.json",
    "caliper.envelope.no-custom-properties",
    Outcome::Fail,
    "/batchId"
)]
#[case(
    "envelope-sensor-not-iri.json",
    "caliper.envelope.sensor-iri",
    Outcome::Warn,
    "/sensor"
)]
#[case(
    "envelope-send-time-local.json",
    "caliper.envelope.send-time-format",
    Outcome::Fail,
    "/sendTime"
)]
#[case(
    "envelope-data-version-unknown.json",
    "caliper.envelope.data-version",
    Outcome::Fail,
    "/dataVersion"
)]
#[case(
    "envelope-data-not-array.json",
    "caliper.envelope.data",
    Outcome::Fail,
    "/data"
)]
#[case(
    "envelope-missing-send-time.json",
    "caliper.envelope.data",
    Outcome::Fail,
    "/data/0"
)]
#[case(
    "describe-context-not-last.json",
    "caliper.describe.context",
    Outcome::Fail,
    "/@context"
)]
#[case(
    "event-missing-actor.json",
    "caliper.event.required-properties",
    Outcome::Fail,
    ""
)]
#[case(
    "event-id-not-urn-uuid.json",
    "caliper.event.id-urn-uuid",
    Outcome::Fail,
    "/id"
)]
#[case(
    "event-type-unknown.json",
    "caliper.event.type-known",
    Outcome::Fail,
    "/type"
)]
#[case(
    "event-action-not-allowed.json",
    "caliper.event.action-allowed",
    Outcome::Fail,
    "/action"
)]
#[case(
    "event-action-context-spelling.json",
    "caliper.event.action-allowed",
    Outcome::Warn,
    "/action"
)]
#[case(
    "event-time-offset.json",
    "caliper.event.event-time-format",
    Outcome::Fail,
    "/eventTime"
)]
#[case(
    "event-profile-unknown.json",
    "caliper.event.profile-known",
    Outcome::Fail,
    "/profile"
)]
#[case(
    "event-entity-reference-number.json",
    "caliper.event.entity-reference",
    Outcome::Fail,
    "/edApp"
)]
#[case(
    "event-object-wrong-type.json",
    "caliper.event.property-range",
    Outcome::Fail,
    "/object/type"
)]
#[case(
    "entity-attempt-assignee-software.json",
    "caliper.entity.property-range",
    Outcome::Fail,
    "/assignee/type"
)]
#[case(
    "entity-aggregate-measure-no-value.json",
    "caliper.entity.required-properties",
    Outcome::Fail,
    ""
)]
#[case(
    "entity-type-unknown.json",
    "caliper.entity.type-known",
    Outcome::Fail,
    "/type"
)]
#[case(
    "entity-id-not-iri.json",
    "caliper.entity.id-iri",
    Outcome::Fail,
    "/id"
)]
#[case(
    "extensions-not-a-map.json",
    "caliper.extensions.object",
    Outcome::Fail,
    "/extensions"
)]
#[case(
    "term-custom-property.json",
    "caliper.term.defined-in-context",
    Outcome::Fail,
    "/nickname"
)]
#[case(
    "term-count-not-integer.json",
    "caliper.term.datatype",
    Outcome::Fail,
    "/count"
)]
fn each_rule_can_fail(
    #[case] file: &str,
    #[case] rule: &str,
    #[case] outcome: Outcome,
    #[case] location: &str,
) {
    let fx = prepare(&[own(file)]);
    let verdict = fx.verdict(rule);
    assert_eq!(verdict.outcome(), outcome, "{file}: {}", verdict.message());
    assert!(
        verdict
            .findings
            .iter()
            .any(|f| f.location == location && f.rule == rule),
        "{file}: no {rule} finding at `{location}`: {:?}",
        verdict.findings
    );
    assert!(verdict.findings.iter().all(|f| f.document.ends_with(file)));
}

#[test]
fn every_rule_has_an_own_negative_fixture() {
    // Whitespace-insensitive, so rustfmt's line breaks inside a case do not matter.
    let table: String = include_str!("own_fixtures.rs").split_whitespace().collect();
    for meta in accredit_core::Suite::catalog(&accredit_suite_caliper::CaliperSuite) {
        assert!(
            table.contains(&format!("\"{}\",Outcome::", meta.id)),
            "{} has no negative fixture",
            meta.id
        );
    }
}

#[test]
fn ndjson_lines_are_documents_of_their_own() {
    let fx = prepare(&[own("stream.ndjson")]);
    let action = fx.verdict("caliper.event.action-allowed");
    assert_eq!(action.outcome(), Outcome::Fail);
    assert!(
        action
            .findings
            .iter()
            .all(|f| f.document.ends_with("stream.ndjson:3"))
    );
    let wf = fx.verdict("caliper.document.well-formed");
    assert_eq!(wf.outcome(), Outcome::Fail);
    assert_eq!(wf.findings.len(), 1);
    assert!(
        wf.findings[0].location.starts_with("4:"),
        "{:?}",
        wf.findings
    );
    // The entity on line 1 was validated too.
    assert_eq!(fx.verdict("caliper.entity.id-iri").outcome(), Outcome::Pass);
}
