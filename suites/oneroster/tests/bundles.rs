//! Bundles we generate in the tests (CSV text written here): a valid 1.1 and
//! 1.2 bundle pass every rule, and each rule fails on a bundle built to break it.

use std::io::Write;
use std::path::{Path, PathBuf};

use accredit_core::{Outcome, Suite};
use accredit_suite_oneroster::tables::Version;
use accredit_suite_oneroster::{Fixture, Limits, OneRosterCsvSuite};
use rstest::rstest;

/// A bundle as (file name, content) pairs.
type Files = Vec<(String, Vec<u8>)>;

fn data_file(version: Version, file: &str) -> Vec<u8> {
    let header = version.header(file).unwrap_or_default();
    let row: Vec<String> = header.iter().map(|c| format!("x-{c}")).collect();
    format!("{}\r\n{}\r\n", header.join(","), row.join(",")).into_bytes()
}

fn manifest(version: Version, present: &[&str]) -> Vec<u8> {
    let mut text = format!(
        "propertyName,value\nmanifest.version,1.0\noneroster.version,{}\n",
        version.label()
    );
    for (file, _) in version.files() {
        let mode = if present.contains(file) {
            "bulk"
        } else {
            "absent"
        };
        text.push_str(&format!("file.{},{mode}\n", file.trim_end_matches(".csv")));
    }
    text.push_str("source.systemName,Northwind SIS\n");
    text.into_bytes()
}

/// A valid bundle of `version` shipping `present`.
fn valid(version: Version, present: &[&str]) -> Files {
    let mut files = vec![("manifest.csv".to_string(), manifest(version, present))];
    files.extend(
        present
            .iter()
            .map(|f| (f.to_string(), data_file(version, f))),
    );
    files
}

fn replace(mut files: Files, name: &str, content: Option<&[u8]>) -> Files {
    files.retain(|(n, _)| n != name);
    if let Some(c) = content {
        files.push((name.to_string(), c.to_vec()));
    }
    files
}

fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    }
}

fn write_dir(dir: &Path, files: &Files) -> PathBuf {
    let root = dir.join("bundle");
    for (name, bytes) in files {
        let p = root.join(name);
        let ok = p.parent().map(std::fs::create_dir_all).transpose().is_ok()
            && std::fs::write(&p, bytes).is_ok();
        assert!(ok, "cannot write {}", p.display());
    }
    root
}

fn write_zip(dir: &Path, files: &Files) -> PathBuf {
    let path = dir.join("bundle.zip");
    let written = (|| -> zip::result::ZipResult<()> {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path)?);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in files {
            w.start_file(name.as_str(), opts)?;
            w.write_all(bytes)?;
        }
        w.finish()?;
        Ok(())
    })();
    assert!(written.is_ok(), "{written:?}");
    path
}

fn prepare(path: PathBuf, limits: &Limits) -> Fixture {
    match Fixture::prepare(&[path], limits) {
        Ok(f) => f,
        Err(e) => panic!("prepare: {e}"),
    }
}

const V12_SOME: [&str; 4] = ["orgs.csv", "users.csv", "classes.csv", "enrollments.csv"];
const V11_SOME: [&str; 3] = ["orgs.csv", "users.csv", "courses.csv"];

#[rstest]
#[case::v1p2_zip(Version::V1p2, &V12_SOME[..], true)]
#[case::v1p2_dir(Version::V1p2, &V12_SOME[..], false)]
#[case::v1p1_zip(Version::V1p1, &V11_SOME[..], true)]
#[case::v1p2_every_file(Version::V1p2, &[][..], true)]
fn a_valid_bundle_passes_every_rule(
    #[case] v: Version,
    #[case] present: &[&str],
    #[case] zipped: bool,
) {
    let all: Vec<&str> = v.files().iter().map(|(f, _)| *f).collect();
    let present = if present.is_empty() {
        &all[..]
    } else {
        present
    };
    let dir = tempdir();
    let files = valid(v, present);
    let path = if zipped {
        write_zip(dir.path(), &files)
    } else {
        write_dir(dir.path(), &files)
    };
    let fx = prepare(path, &Limits::default());
    for meta in OneRosterCsvSuite.catalog() {
        let verdict = fx.verdict(meta.id);
        assert_eq!(
            verdict.outcome(),
            Outcome::Pass,
            "{}: {:?}",
            meta.id,
            verdict.findings
        );
    }
}

fn v12() -> Files {
    valid(Version::V1p2, &V12_SOME)
}

fn edit_manifest(from: &str, to: &str) -> Files {
    let m = String::from_utf8_lossy(&manifest(Version::V1p2, &V12_SOME)).replace(from, to);
    replace(v12(), "manifest.csv", Some(m.as_bytes()))
}

fn users_with_header(header: &str) -> Files {
    let body = format!("{header}\nu1\n");
    replace(v12(), "users.csv", Some(body.as_bytes()))
}

#[rstest]
#[case::no_manifest(
    replace(v12(), "manifest.csv", None),
    "oneroster.csv.manifest.present",
    "",
    ""
)]
#[case::manifest_header(
    edit_manifest("propertyName,value", "property,value"),
    "oneroster.csv.manifest.structure",
    "manifest.csv",
    "1:1"
)]
#[case::unknown_property(
    edit_manifest("source.systemName", "source.vendor"),
    "oneroster.csv.manifest.structure",
    "manifest.csv",
    "25:1"
)]
#[case::three_fields(
    edit_manifest("manifest.version,1.0", "manifest.version,1.0,x"),
    "oneroster.csv.manifest.structure",
    "manifest.csv",
    "2:1"
)]
#[case::duplicate(
    edit_manifest("source.systemName,Northwind SIS", "file.users,bulk"),
    "oneroster.csv.manifest.structure",
    "manifest.csv",
    "25:1"
)]
#[case::manifest_version(
    edit_manifest("manifest.version,1.0", "manifest.version,2.0"),
    "oneroster.csv.manifest.manifest-version",
    "manifest.csv",
    "2:2"
)]
#[case::no_manifest_version(
    edit_manifest("manifest.version,1.0\n", ""),
    "oneroster.csv.manifest.manifest-version",
    "manifest.csv",
    ""
)]
#[case::oneroster_version(
    edit_manifest("oneroster.version,1.2", "oneroster.version,1.3"),
    "oneroster.csv.manifest.oneroster-version",
    "manifest.csv",
    "3:2"
)]
#[case::mode_value(
    edit_manifest("file.orgs,bulk", "file.orgs,full"),
    "oneroster.csv.manifest.file-modes",
    "manifest.csv",
    "15:2"
)]
#[case::mode_row_missing(
    edit_manifest("file.roles,absent\n", ""),
    "oneroster.csv.manifest.file-modes",
    "manifest.csv",
    ""
)]
#[case::declared_but_missing(
    replace(v12(), "users.csv", None),
    "oneroster.csv.manifest.files-match",
    "manifest.csv",
    ""
)]
#[case::present_but_absent(
    edit_manifest("file.users,bulk", "file.users,absent"),
    "oneroster.csv.manifest.files-match",
    "users.csv",
    ""
)]
#[case::wrong_case_name(
    replace(v12(), "userprofiles.csv", Some(b"x\ny\n")),
    "oneroster.csv.manifest.files-match",
    "userprofiles.csv",
    ""
)]
#[case::header_typo(
    users_with_header("sourcedId,status,dataLastModified"),
    "oneroster.csv.file.header",
    "users.csv",
    "1:3"
)]
#[case::header_case(
    users_with_header("sourcedId,Status"),
    "oneroster.csv.file.header",
    "users.csv",
    "1:2"
)]
#[case::header_short(
    users_with_header("sourcedId,status,dateLastModified,enabledUser"),
    "oneroster.csv.file.header",
    "users.csv",
    "1:5"
)]
#[case::no_rows(
    replace(
        v12(),
        "orgs.csv",
        Some(b"sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\r\n")
    ),
    "oneroster.csv.file.has-rows",
    "orgs.csv",
    ""
)]
#[case::bad_quote(
    replace(v12(), "orgs.csv", Some(b"sourcedId,\"status\nx\n")),
    "oneroster.csv.package.readable",
    "orgs.csv",
    "1:2"
)]
#[case::not_utf8(
    replace(v12(), "orgs.csv", Some(b"sourcedId\n\xff\n")),
    "oneroster.csv.package.readable",
    "orgs.csv",
    ""
)]
#[case::in_a_folder(
    replace(v12(), "export/classes.csv", Some(b"a\nb\n")),
    "oneroster.csv.package.layout",
    "export/classes.csv",
    ""
)]
fn each_rule_can_fail(
    #[case] files: Files,
    #[case] rule: &str,
    #[case] file: &str,
    #[case] location: &str,
) {
    let dir = tempdir();
    let path = write_zip(dir.path(), &files);
    let fx = prepare(path.clone(), &Limits::default());
    let verdict = fx.verdict(rule);
    assert_eq!(
        verdict.outcome(),
        Outcome::Fail,
        "{rule}: {}",
        verdict.message()
    );
    let doc = if file.is_empty() {
        path.display().to_string()
    } else {
        format!("{}!{file}", path.display())
    };
    assert!(
        verdict
            .findings
            .iter()
            .any(|f| f.document == doc && f.location == location),
        "expected a finding in {doc} at `{location}`: {:?}",
        verdict.findings
    );
}

#[test]
fn every_rule_has_a_negative_case() {
    let src: String = include_str!("bundles.rs").split_whitespace().collect();
    for meta in OneRosterCsvSuite.catalog() {
        assert!(
            src.contains(&format!("\"{}\"", meta.id)),
            "{} has no negative case",
            meta.id
        );
    }
}

/// A zip whose entry names are written raw, so `../` survives the writer.
fn zip_with_raw_name(dir: &Path, name: &str) -> PathBuf {
    let mut files = v12();
    files.push((name.to_string(), b"sourcedId\nx\n".to_vec()));
    write_zip(dir, &files)
}

#[test]
fn path_traversal_is_refused_and_reported() {
    let dir = tempdir();
    let path = zip_with_raw_name(dir.path(), "../evil.csv");
    let fx = prepare(path, &Limits::default());
    let v = fx.verdict("oneroster.csv.package.safe");
    assert_eq!(v.outcome(), Outcome::Fail, "{}", v.message());
    assert!(
        v.findings[0].message.contains("escapes the bundle"),
        "{:?}",
        v.findings
    );
    assert!(
        !dir.path()
            .parent()
            .is_some_and(|p| p.join("evil.csv").exists())
    );
}

#[test]
fn a_zip_bomb_is_stopped_at_the_total_limit() {
    let dir = tempdir();
    let zeros = vec![b'0'; 2 * 1024 * 1024];
    let files = replace(v12(), "classes.csv", Some(&zeros));
    let path = write_zip(dir.path(), &files);
    let limits = Limits {
        max_total_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let fx = prepare(path, &limits);
    let v = fx.verdict("oneroster.csv.package.safe");
    assert_eq!(v.outcome(), Outcome::Fail, "{}", v.message());
    assert!(
        v.findings.iter().any(|f| f.message.contains("total limit")),
        "{:?}",
        v.findings
    );
}

#[test]
fn too_many_entries_are_reported() {
    let dir = tempdir();
    let path = write_zip(dir.path(), &v12());
    let limits = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    let v = prepare(path, &limits).verdict("oneroster.csv.package.safe");
    assert_eq!(v.outcome(), Outcome::Fail);
}

#[test]
fn not_a_zip_is_a_readable_finding() {
    let dir = tempdir();
    let path = dir.path().join("bundle.zip");
    assert!(std::fs::write(&path, b"PK? no").is_ok());
    let fx = prepare(path, &Limits::default());
    assert_eq!(
        fx.verdict("oneroster.csv.package.readable").outcome(),
        Outcome::Fail
    );
    assert_eq!(
        fx.verdict("oneroster.csv.manifest.present").outcome(),
        Outcome::Skip
    );
}

#[test]
fn version_rules_skip_without_a_valid_version() {
    let dir = tempdir();
    let path = write_zip(
        dir.path(),
        &edit_manifest("oneroster.version,1.2", "oneroster.version,9"),
    );
    let fx = prepare(path, &Limits::default());
    let v = fx.verdict("oneroster.csv.file.header");
    assert_eq!(v.outcome(), Outcome::Skip);
    assert!(v.message().contains("oneroster.version"));
}

#[rstest]
#[case::missing(vec![PathBuf::from("/no/such/bundle.zip")])]
#[case::none(vec![])]
fn unusable_inputs_are_usage_errors(#[case] inputs: Vec<PathBuf>) {
    assert!(matches!(
        Fixture::prepare(&inputs, &Limits::default()),
        Err(accredit_core::SuiteError::Usage(_))
    ));
}

#[test]
fn catalog_is_clean() {
    assert_eq!(
        accredit_core::catalog::lint(&OneRosterCsvSuite, "oneroster.csv."),
        Vec::<String>::new()
    );
    assert_eq!(OneRosterCsvSuite.id(), "oneroster-csv");
}
