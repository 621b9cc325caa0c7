//! `report.json` and evidence files validate against the published JSON Schemas,
//! and the schemas reject what the format does not allow.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use accredit_reports::{Report, schema};
use common::*;
use rstest::rstest;
use serde_json::{Value, json};

fn validator(text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).unwrap();
    // The schemas themselves must be valid draft 2020-12 documents.
    jsonschema::meta::validate(&schema).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn realistic_report() -> Report {
    let mut r = incomplete_report();
    // Every optional field present somewhere.
    r.candidate.description = Some("LMS tool".into());
    r
}

#[test]
fn realistic_report_validates() {
    let v = validator(schema::REPORT);
    for report in [sample_report(), realistic_report()] {
        let value = serde_json::to_value(&report).unwrap();
        let errs = errors(&v, &value);
        assert!(errs.is_empty(), "{errs:#?}");
    }
}

#[test]
fn realistic_evidence_validates() {
    let v = validator(schema::EVIDENCE);
    let evidence = sample_evidence();
    assert!(
        evidence
            .iter()
            .any(|e| e.exchanges.iter().any(|x| !x.jwts.is_empty()))
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.exchanges.iter().any(|x| x.request.body.truncated))
    );
    let mut binary = exchange(2, true);
    binary.response.as_mut().unwrap().body = accredit_reports::Body {
        size: 4096,
        truncated: true,
        text: None,
        base64: Some("AAEC".into()),
    };
    let mut all = evidence;
    all[0].exchanges.push(binary);
    for ev in &all {
        let value = serde_json::to_value(ev).unwrap();
        let errs = errors(&v, &value);
        assert!(errs.is_empty(), "{}: {errs:#?}", ev.case_id);
    }
}

fn mutate(f: impl FnOnce(&mut Value)) -> Value {
    let mut value = serde_json::to_value(sample_report()).unwrap();
    f(&mut value);
    value
}

#[rstest]
#[case::missing_run_id(mutate(|v| { v.as_object_mut().unwrap().remove("run_id"); }))]
#[case::missing_case_outcome(mutate(|v| { v["cases"][0].as_object_mut().unwrap().remove("outcome"); }))]
#[case::unknown_outcome(mutate(|v| v["cases"][0]["outcome"] = json!("passed")))]
#[case::unknown_check_outcome(mutate(|v| v["cases"][0]["checks"][0]["outcome"] = json!("ok")))]
#[case::unknown_level(mutate(|v| v["cases"][0]["level"] = json!("must")))]
#[case::unknown_top_field(mutate(|v| v["extra"] = json!(1)))]
#[case::unknown_case_field(mutate(|v| v["cases"][1]["severity"] = json!(1)))]
#[case::negative_count(mutate(|v| v["summary"]["pass"] = json!(-1)))]
#[case::wrong_major_version(mutate(|v| v["format_version"] = json!("2.0.0")))]
#[case::missing_summary_field(mutate(|v| { v["summary"].as_object_mut().unwrap().remove("not_run"); }))]
fn invalid_reports_are_rejected(#[case] instance: Value) {
    let v = validator(schema::REPORT);
    assert!(!v.is_valid(&instance));
}

#[rstest]
#[case::unknown_direction(json!({"case_id": "x", "log": [], "exchanges": [{"seq": 1, "direction": "sideways", "started_at": "t", "duration_ms": 1, "request": {"method": "GET", "url": "u", "headers": [], "body": {"size": 0, "truncated": false}}}]}))]
#[case::missing_case_id(json!({"exchanges": [], "log": []}))]
#[case::extra_body_field(json!({"case_id": "x", "log": [], "exchanges": [{"seq": 1, "direction": "harness_to_candidate", "started_at": "t", "duration_ms": 1, "request": {"method": "GET", "url": "u", "headers": [], "body": {"size": 0, "truncated": false, "gzip": true}}}]}))]
fn invalid_evidence_is_rejected(#[case] instance: Value) {
    let v = validator(schema::EVIDENCE);
    assert!(!v.is_valid(&instance));
}

/// Every field the model serializes is described in the schema (catches a field
/// added to the model but forgotten in the schema, since `additionalProperties`
/// is false everywhere and the realistic report sets every optional field).
#[test]
fn schema_describes_every_property() {
    fn walk(v: &Value, path: &str) {
        if let Some(obj) = v.as_object() {
            if let Some(props) = obj.get("properties").and_then(Value::as_object) {
                assert_eq!(
                    obj.get("additionalProperties"),
                    Some(&json!(false)),
                    "{path}"
                );
                for (k, p) in props {
                    assert!(
                        p.get("description").is_some(),
                        "{path}/{k} has no description"
                    );
                }
            }
            for (k, child) in obj {
                walk(child, &format!("{path}/{k}"));
            }
        }
    }
    for text in [schema::REPORT, schema::EVIDENCE] {
        walk(&serde_json::from_str(text).unwrap(), "");
    }
}
