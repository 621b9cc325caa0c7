//! `accredit generate oneroster` end to end: a generated bundle validates
//! (exit 0); a bundle generated with one defect fails exactly that rule
//! (exit 1); bad options are usage errors (exit 2).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rstest::rstest;

fn accredit() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accredit"));
    c.env_remove("ACCREDIT_HISTORY_DB")
        .env("CI", "true")
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("spawn accredit")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn validate(bundle: &Path, out: &Path) -> (Output, serde_json::Value) {
    let o = run(accredit()
        .args(["validate", "oneroster-csv"])
        .arg(bundle)
        .args(["--no-history", "--quiet", "--out"])
        .arg(out));
    let report = std::fs::read(out.join("report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    (o, report)
}

fn failed_cases(report: &serde_json::Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .map(|cases| {
            cases
                .iter()
                .filter(|c| c["outcome"] == "fail")
                .filter_map(|c| c["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[rstest]
#[case::v1p2_zip(&["--version", "1.2", "--zip"])]
#[case::v1p1_dir(&["--version", "1.1"])]
#[case::v1p2_delta_dir(&["--version", "1.2", "--delta", "--seed", "9"])]
fn a_generated_bundle_validates(#[case] args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join(if args.contains(&"--zip") {
        "b.zip"
    } else {
        "b"
    });
    let o = run(accredit()
        .args(["generate", "oneroster", "--users", "60"])
        .args(args)
        .arg("--out")
        .arg(&bundle));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(bundle.exists());
    let (o, report) = validate(&bundle, &dir.path().join("report"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(failed_cases(&report).is_empty(), "{report}");
}

#[rstest]
#[case("dangling-reference", "oneroster.csv.reference.resolves", false)]
#[case("bad-enum-case", "oneroster.csv.value.enum", false)]
#[case("path-traversal", "oneroster.csv.package.safe", true)]
fn a_bundle_with_a_defect_fails_its_rule(
    #[case] defect: &str,
    #[case] rule: &str,
    #[case] zip: bool,
) {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join(if zip { "b.zip" } else { "b" });
    let mut c = accredit();
    c.args(["generate", "oneroster", "--users", "40", "--defect", defect])
        .arg("--out")
        .arg(&bundle);
    if zip {
        c.arg("--zip");
    }
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (o, report) = validate(&bundle, &dir.path().join("report"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(failed_cases(&report), vec![rule.to_string()], "{report}");
}

#[rstest]
#[case::too_few_users(&["--users", "3"])]
#[case::unknown_defect(&["--users", "20", "--defect", "nope"])]
#[case::zip_only_defect_without_zip(&["--users", "20", "--defect", "file-in-folder"])]
fn bad_options_are_usage_errors(#[case] args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let o = run(accredit()
        .args(["generate", "oneroster"])
        .args(args)
        .arg("--out")
        .arg(dir.path().join("b")));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn an_existing_output_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let gen_into = |force: bool| {
        let mut c = accredit();
        c.args(["generate", "oneroster", "--users", "10", "--out"])
            .arg(&out);
        if force {
            c.arg("--force");
        }
        run(&mut c)
    };
    assert_eq!(gen_into(false).status.code(), Some(0));
    assert_eq!(gen_into(false).status.code(), Some(2));
    assert_eq!(gen_into(true).status.code(), Some(0));
}
