//! The suite as the CLI runs it: catalog, skip reasons, the sample envelope,
//! the runner end to end, and hostile inputs (deep nesting, huge and empty files,
//! directories, missing paths).

use std::io::Write;
use std::path::{Path, PathBuf};

use accredit_core::runner::{self, OneShot, RunnerOptions};
use accredit_core::{Outcome, Suite, SuiteError};
use accredit_suite_caliper::{
    CaliperSuite, Fixture, MAX_INPUT_BYTES, NO_SCHEMA_DIR, sample_envelope, validate_bytes,
};
use rstest::rstest;

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/schemas");

fn own(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).ok();
    }
    let written = std::fs::File::create(&p).and_then(|mut f| f.write_all(bytes));
    assert!(written.is_ok(), "cannot write {}", p.display());
    p
}

fn prepare(inputs: &[PathBuf], schemas: Option<&Path>) -> Fixture {
    match Fixture::prepare(inputs, schemas) {
        Ok(f) => f,
        Err(e) => panic!("prepare failed: {e}"),
    }
}

fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    }
}

#[test]
fn catalog_is_clean() {
    let problems = accredit_core::catalog::lint(&CaliperSuite, "caliper.");
    assert_eq!(problems, Vec::<String>::new());
    let n = CaliperSuite.catalog().len();
    assert!((20..=30).contains(&n), "{n} rules");
    assert_eq!(CaliperSuite.id(), "caliper");
    assert!(CaliperSuite.profile_template().starts_with('#'));
}

#[test]
fn sample_envelope_passes_every_rule() {
    let dir = tempdir();
    let text = serde_json::to_vec_pretty(&sample_envelope()).unwrap_or_default();
    let file = write(dir.path(), "sample.json", &text);
    let fx = prepare(&[file], Some(Path::new(SCHEMAS)));
    for meta in CaliperSuite.catalog() {
        let v = fx.verdict(meta.id);
        assert_eq!(
            v.outcome(),
            Outcome::Pass,
            "{}: {} {:?}",
            meta.id,
            v.message(),
            v.findings
        );
    }
}

#[test]
fn context_rules_skip_without_a_schema_dir() {
    let fx = prepare(&[own("term-custom-property.json")], None);
    for id in ["caliper.term.defined-in-context", "caliper.term.datatype"] {
        let v = fx.verdict(id);
        assert_eq!(v.outcome(), Outcome::Skip);
        assert_eq!(v.message(), NO_SCHEMA_DIR);
    }
}

#[test]
fn a_wrong_schema_dir_is_an_error_not_a_silent_skip() {
    let dir = tempdir();
    let fx = prepare(&[own("term-custom-property.json")], Some(dir.path()));
    let v = fx.verdict("caliper.term.defined-in-context");
    assert_eq!(v.outcome(), Outcome::Error);
    assert!(
        v.message().contains("caliper-v1p2.jsonld"),
        "{}",
        v.message()
    );
}

#[test]
fn rules_with_nothing_to_judge_skip_with_a_reason() {
    let fx = prepare(&[own("entity-id-not-iri.json")], Some(Path::new(SCHEMAS)));
    let v = fx.verdict("caliper.envelope.send-time-format");
    assert_eq!(
        (v.outcome(), v.message().as_str()),
        (Outcome::Skip, "no envelope in the input")
    );
    let v = fx.verdict("caliper.event.action-allowed");
    assert_eq!(
        (v.outcome(), v.message().as_str()),
        (Outcome::Skip, "no event in the input")
    );
}

#[rstest]
#[case::deep_nesting(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(), "nested too deeply")]
#[case::empty(Vec::new(), "empty document")]
#[case::bom_then_garbage(b"\xEF\xBB\xBF{,}".to_vec(), "not valid JSON")]
#[case::invalid_utf8(b"{\"id\": \"\xC3\x28\"}".to_vec(), "not valid UTF-8")]
fn hostile_bytes_become_findings(#[case] bytes: Vec<u8>, #[case] says: &str) {
    let v = validate_bytes("-", &bytes, None);
    let wf: Vec<_> = v.of("caliper.document.well-formed").collect();
    assert_eq!(wf.len(), 1, "{:?}", v.findings);
    assert_eq!(wf[0].outcome, Outcome::Fail);
    assert!(wf[0].message.contains(says), "{}", wf[0].message);
}

#[test]
fn a_huge_file_is_refused_unread() {
    let dir = tempdir();
    let p = dir.path().join("huge.json");
    let sized = std::fs::File::create(&p).and_then(|f| f.set_len(MAX_INPUT_BYTES + 1));
    assert!(sized.is_ok());
    let fx = prepare(&[p], None);
    let v = fx.verdict("caliper.document.well-formed");
    assert_eq!(v.outcome(), Outcome::Fail);
    assert!(
        v.findings[0].message.contains("over the 256 MiB limit"),
        "{}",
        v.findings[0].message
    );
}

#[test]
fn directories_are_walked_recursively_and_only_candidate_files_read() {
    let dir = tempdir();
    let sample = serde_json::to_vec(&sample_envelope()).unwrap_or_default();
    write(dir.path(), "a/b/one.json", &sample);
    write(dir.path(), "a/two.jsonld", &sample);
    write(dir.path(), "notes.txt", b"not caliper");
    let fx = prepare(&[dir.path().to_path_buf()], None);
    assert_eq!(
        fx.verdict("caliper.document.well-formed").outcome(),
        Outcome::Pass
    );
    assert_eq!(
        fx.verdict("caliper.envelope.required-properties").outcome(),
        Outcome::Pass
    );
}

#[test]
fn a_json_array_of_events_is_validated_item_by_item() {
    let events = sample_envelope()["data"].clone();
    let text = serde_json::to_vec(&events).unwrap_or_default();
    let v = validate_bytes("events.json", &text, None);
    assert!(v.findings.is_empty(), "{:?}", v.findings);
    assert!(v.applied.contains("caliper.event.action-allowed"));
    assert!(!v.applied.contains("caliper.envelope.data"));
}

#[rstest]
#[case::missing_path(vec![PathBuf::from("/definitely/not/here.json")])]
#[case::no_input(vec![])]
fn unusable_inputs_are_usage_errors(#[case] inputs: Vec<PathBuf>) {
    assert!(matches!(
        Fixture::prepare(&inputs, None),
        Err(SuiteError::Usage(_))
    ));
}

#[tokio::test]
async fn the_runner_reports_one_result_per_rule() {
    let inputs = [own("event-action-not-allowed.json")];
    let schemas = Path::new(SCHEMAS);
    let start = OneShot {
        inputs: &inputs,
        schema_dir: Some(schemas),
        ..OneShot::default()
    };
    let record = match runner::run_suite(&CaliperSuite, start, &RunnerOptions::default()).await {
        Ok(r) => r,
        Err(e) => panic!("start: {e}"),
    };
    assert_eq!(record.results.len(), CaliperSuite.catalog().len());
    let outcome = |id: &str| {
        record
            .results
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.outcome)
    };
    assert_eq!(outcome("caliper.event.action-allowed"), Some(Outcome::Fail));
    assert_eq!(
        outcome("caliper.event.required-properties"),
        Some(Outcome::Pass)
    );
    assert_eq!(outcome("caliper.envelope.data"), Some(Outcome::Skip));
    let failing = record
        .results
        .iter()
        .find(|r| r.id == "caliper.event.action-allowed");
    let finding = failing.and_then(|r| r.findings.first());
    assert_eq!(finding.map(|f| f.location.as_str()), Some("/action"));
    assert!(finding.is_some_and(|f| f.message.contains("\"Posted\"")));
}

#[test]
fn ndjson_is_detected_without_the_extension() {
    let events = sample_envelope()["data"].clone();
    let lines: Vec<String> = events
        .as_array()
        .map(|a| a.iter().map(|e| e.to_string()).collect())
        .unwrap_or_default();
    let v = validate_bytes("events.json", lines.join("\n").as_bytes(), None);
    assert!(v.findings.is_empty(), "{:?}", v.findings);
    assert!(v.applied.contains("caliper.event.action-allowed"));
}
