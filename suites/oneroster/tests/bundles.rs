//! Bundles from the generator: valid ones (1.1/1.2 × bulk/delta/mixed ×
//! zip/dir) pass, every [`Defect`] fails exactly its rule, and hostile input
//! (truncated zip, zip bomb, path traversal, non-UTF-8, very long lines)
//! yields clear findings, never a panic.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use accredit_core::{Outcome, Suite};
use accredit_suite_oneroster::generate::{Config, GenMode, generate_files};
use accredit_suite_oneroster::mutate::Files;
use accredit_suite_oneroster::rules::*;
use accredit_suite_oneroster::tables::Version;
use accredit_suite_oneroster::{Defect, Fixture, Limits, OneRosterCsvSuite, sample_files};
use rstest::rstest;

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

fn generated(version: Version, users: u64, mode: GenMode) -> Files {
    let cfg = Config {
        version,
        users,
        mode,
        seed: 42,
    };
    match generate_files(&cfg) {
        Ok(f) => f,
        Err(e) => panic!("generate: {e}"),
    }
}

fn mixed(version: Version) -> Files {
    generated(version, 30, GenMode::Mixed)
}

/// Rule id → outcome, for every rule of the catalog.
fn outcomes(fx: &Fixture) -> Vec<(&'static str, Outcome, String)> {
    OneRosterCsvSuite
        .catalog()
        .into_iter()
        .map(|m| {
            let v = fx.verdict(m.id);
            (m.id, v.outcome(), format!("{:?}", v.findings))
        })
        .collect()
}

fn failing(fx: &Fixture) -> BTreeSet<&'static str> {
    outcomes(fx)
        .into_iter()
        .filter(|(_, o, _)| *o == Outcome::Fail)
        .map(|(id, _, _)| id)
        .collect()
}

#[rstest]
fn the_sample_passes_every_rule(
    #[values(Version::V1p1, Version::V1p2)] v: Version,
    #[values(true, false)] zipped: bool,
) {
    let dir = tempdir();
    let files = sample_files(v);
    let path = if zipped {
        write_zip(dir.path(), &files)
    } else {
        write_dir(dir.path(), &files)
    };
    for (id, outcome, findings) in outcomes(&prepare(path, &Limits::default())) {
        assert_eq!(outcome, Outcome::Pass, "{id}: {findings}");
    }
}

#[rstest]
fn generated_bundles_pass_every_rule_that_applies(
    #[values(Version::V1p1, Version::V1p2)] v: Version,
    #[values(GenMode::Bulk, GenMode::Delta)] mode: GenMode,
    #[values(true, false)] zipped: bool,
) {
    let dir = tempdir();
    let files = generated(v, 120, mode);
    let path = if zipped {
        write_zip(dir.path(), &files)
    } else {
        write_dir(dir.path(), &files)
    };
    let may_skip: &[&str] = match mode {
        GenMode::Bulk => &[DELTA_FILLED, STATUS, DATETIME],
        _ => &[BULK_BLANK, RESOLVES, TARGET_TYPE],
    };
    for (id, outcome, findings) in outcomes(&prepare(path, &Limits::default())) {
        let expected = if may_skip.contains(&id) {
            Outcome::Skip
        } else {
            Outcome::Pass
        };
        assert_eq!(outcome, expected, "{id}: {findings}");
    }
}

#[test]
fn a_bom_lf_line_ends_and_metadata_columns_are_accepted() {
    let mut files = mixed(Version::V1p2);
    for (name, bytes) in files.iter_mut() {
        let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
        let text = if name == "orgs.csv" {
            text.replacen("parentSourcedId\n", "parentSourcedId,metadata.region\n", 1)
                .replace('\n', ",\n")
                .replacen("metadata.region,\n", "metadata.region\n", 1)
        } else {
            text
        };
        *bytes = [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat();
    }
    let dir = tempdir();
    let fx = prepare(write_zip(dir.path(), &files), &Limits::default());
    assert_eq!(
        failing(&fx),
        BTreeSet::new(),
        "{:?}",
        fx.validation.findings
    );
}

#[rstest]
#[case::manifest_missing(Defect::ManifestMissing)]
#[case::manifest_unknown_property(Defect::ManifestUnknownProperty)]
#[case::manifest_version(Defect::ManifestVersion)]
#[case::oneroster_version(Defect::OneRosterVersion)]
#[case::manifest_file_row_missing(Defect::ManifestFileRowMissing)]
#[case::declared_file_missing(Defect::DeclaredFileMissing)]
#[case::undeclared_file(Defect::UndeclaredFile)]
#[case::header_order(Defect::HeaderOrder)]
#[case::empty_file(Defect::EmptyFile)]
#[case::bad_quoting(Defect::BadQuoting)]
#[case::bare_carriage_return(Defect::BareCarriageReturn)]
#[case::invalid_utf8(Defect::InvalidUtf8)]
#[case::long_line(Defect::LongLine)]
#[case::field_count(Defect::FieldCount)]
#[case::missing_required(Defect::MissingRequired)]
#[case::bad_sourced_id(Defect::BadSourcedId)]
#[case::bad_date(Defect::BadDate)]
#[case::bad_datetime(Defect::BadDateTime)]
#[case::bad_year(Defect::BadYear)]
#[case::bad_boolean(Defect::BadBoolean)]
#[case::bad_number(Defect::BadNumber)]
#[case::bad_enum_case(Defect::BadEnumCase)]
#[case::bad_list(Defect::BadList)]
#[case::bulk_row_with_status(Defect::BulkRowWithStatus)]
#[case::delta_row_without_status(Defect::DeltaRowWithoutStatus)]
#[case::bad_status(Defect::BadStatus)]
#[case::duplicate_sourced_id(Defect::DuplicateSourcedId)]
#[case::dangling_reference(Defect::DanglingReference)]
#[case::wrong_target_type(Defect::WrongTargetType)]
#[case::file_in_folder(Defect::FileInFolder)]
#[case::path_traversal(Defect::PathTraversal)]
fn each_defect_fails_exactly_its_rule(
    #[case] defect: Defect,
    #[values(Version::V1p1, Version::V1p2)] v: Version,
) {
    let mut files = mixed(v);
    if let Err(e) = defect.apply(&mut files) {
        panic!("{e}");
    }
    let dir = tempdir();
    let path = if defect.needs_zip() || v == Version::V1p2 {
        write_zip(dir.path(), &files)
    } else {
        write_dir(dir.path(), &files)
    };
    let fx = prepare(path, &Limits::default());
    let expected: BTreeSet<&str> = [defect.rule()].into();
    assert_eq!(
        failing(&fx),
        expected,
        "{defect}: {:?}",
        fx.validation.findings
    );
    for f in fx.validation.failures() {
        assert!(!f.document.is_empty() && !f.message.is_empty(), "{f:?}");
    }
}

#[test]
fn the_defect_table_lists_every_defect_and_every_rule_can_fail() {
    let src: String = include_str!("bundles.rs").split_whitespace().collect();
    for d in Defect::ALL {
        assert!(
            src.contains(&format!("(Defect::{d:?})")),
            "{d:?} not tested"
        );
    }
    let covered: BTreeSet<&str> = Defect::ALL.iter().map(|d| d.rule()).collect();
    for meta in OneRosterCsvSuite.catalog() {
        assert!(covered.contains(meta.id), "{} has no defect", meta.id);
    }
}

/// Where the finding of a defect is (1.2 bundle): file and `line:field`.
#[rstest]
#[case(Defect::ManifestVersion, "manifest.csv", "2:2")]
#[case(Defect::HeaderOrder, "enrollments.csv", "1:7")]
#[case(Defect::BadQuoting, "enrollments.csv", "2:2")]
#[case(Defect::BareCarriageReturn, "enrollments.csv", "2:2")]
#[case(Defect::InvalidUtf8, "enrollments.csv", "2:2")]
#[case(Defect::LongLine, "enrollments.csv", "2:1")]
#[case(Defect::FieldCount, "enrollments.csv", "2:1")]
#[case(Defect::MissingRequired, "users.csv", "2:7")]
#[case(Defect::BadDate, "enrollments.csv", "2:9")]
#[case(Defect::BadEnumCase, "enrollments.csv", "2:7")]
#[case(Defect::BadYear, "academicSessions.csv", "2:9")]
#[case(Defect::DuplicateSourcedId, "enrollments.csv", "3:1")]
#[case(Defect::DanglingReference, "classes.csv", "2:6")]
#[case(Defect::WrongTargetType, "classes.csv", "2:10")]
fn findings_name_file_line_and_field(
    #[case] defect: Defect,
    #[case] file: &str,
    #[case] location: &str,
) {
    let mut files = mixed(Version::V1p2);
    assert!(defect.apply(&mut files).is_ok());
    let dir = tempdir();
    let path = write_zip(dir.path(), &files);
    let fx = prepare(path.clone(), &Limits::default());
    let doc = format!("{}!{file}", path.display());
    let found: Vec<_> = fx.validation.of(defect.rule()).collect();
    assert!(
        found
            .iter()
            .any(|f| f.document == doc && f.location == location),
        "expected {doc} at {location}: {found:?}"
    );
}

/// Duplicates in a file others refer to (users: checked against the id set
/// as rows arrive) and in one nothing refers to (demographics: sorted log).
#[rstest]
#[case("users.csv")]
#[case("demographics.csv")]
fn duplicates_are_found_in_referenced_and_unreferenced_files(#[case] file: &str) {
    let mut files = mixed(Version::V1p2);
    for (name, bytes) in files.iter_mut() {
        if name == file {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let lines: Vec<&str> = text.split("\r\n").collect();
            let mut out = lines.clone();
            out.insert(3, lines[1]);
            *bytes = out.join("\r\n").into_bytes();
        }
    }
    let dir = tempdir();
    let path = write_zip(dir.path(), &files);
    let fx = prepare(path.clone(), &Limits::default());
    let doc = format!("{}!{file}", path.display());
    let found: Vec<_> = fx.validation.of(UNIQUE).collect();
    assert!(
        found
            .iter()
            .any(|f| f.document == doc && f.location == "4:1"),
        "{found:?}"
    );
}

/// In delta a reference may name a record sent in an earlier exchange, so a
/// reference that does not resolve in the bundle is not a failure there.
#[test]
fn references_from_delta_files_are_not_held_to_the_bundle() {
    let mut files = generated(Version::V1p2, 40, GenMode::Delta);
    assert!(Defect::DanglingReference.apply(&mut files).is_ok());
    let dir = tempdir();
    let fx = prepare(write_zip(dir.path(), &files), &Limits::default());
    assert_eq!(failing(&fx), BTreeSet::new());
    assert_eq!(fx.verdict(RESOLVES).outcome(), Outcome::Skip);
}

#[test]
fn findings_are_capped_per_rule_with_a_count_of_the_rest() {
    let mut files = generated(Version::V1p2, 200, GenMode::Bulk);
    for (name, bytes) in files.iter_mut() {
        if name == "enrollments.csv" {
            *bytes = String::from_utf8_lossy(bytes)
                .replace(",student,", ",Student,")
                .into_bytes();
        }
    }
    let dir = tempdir();
    let fx = prepare(write_zip(dir.path(), &files), &Limits::default());
    let found: Vec<_> = fx.validation.of(ENUM).collect();
    assert_eq!(found.len(), 1001);
    let last = found.last().map(|f| f.message.clone()).unwrap_or_default();
    assert!(last.starts_with("and ") && last.contains("more"), "{last}");
}

/// A zip whose entry names are written raw, so `../` survives the writer.
#[test]
fn path_traversal_is_refused_and_nothing_is_written_outside() {
    let dir = tempdir();
    let mut files = mixed(Version::V1p2);
    assert!(Defect::PathTraversal.apply(&mut files).is_ok());
    let path = write_zip(dir.path(), &files);
    let fx = prepare(path, &Limits::default());
    let v = fx.verdict(PACKAGE_SAFE);
    assert_eq!(v.outcome(), Outcome::Fail, "{}", v.message());
    assert!(v.findings[0].message.contains("escapes the bundle"));
    assert!(
        !dir.path()
            .parent()
            .is_some_and(|p| p.join("evil.csv").exists())
    );
}

#[test]
fn a_zip_bomb_is_stopped_at_the_total_limit() {
    let dir = tempdir();
    let mut files = mixed(Version::V1p2);
    files.retain(|(n, _)| n != "classes.csv");
    files.push(("classes.csv".into(), vec![b'0'; 4 * 1024 * 1024]));
    let path = write_zip(dir.path(), &files);
    let limits = Limits {
        max_total_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let fx = prepare(path, &limits);
    let v = fx.verdict(PACKAGE_SAFE);
    assert_eq!(v.outcome(), Outcome::Fail, "{}", v.message());
    assert!(
        v.findings.iter().any(|f| f.message.contains("total limit")),
        "{:?}",
        v.findings
    );
}

#[test]
fn a_file_over_the_per_file_limit_is_reported() {
    let dir = tempdir();
    let path = write_zip(dir.path(), &mixed(Version::V1p1));
    let limits = Limits {
        max_file_bytes: 2048,
        ..Limits::default()
    };
    let v = prepare(path, &limits).verdict(PACKAGE_SAFE);
    assert_eq!(v.outcome(), Outcome::Fail);
    assert!(
        v.findings
            .iter()
            .any(|f| f.message.contains("per-file limit"))
    );
}

#[test]
fn too_many_entries_are_reported() {
    let dir = tempdir();
    let path = write_zip(dir.path(), &mixed(Version::V1p2));
    let limits = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    let v = prepare(path, &limits).verdict(PACKAGE_SAFE);
    assert_eq!(v.outcome(), Outcome::Fail);
}

#[rstest]
#[case::not_a_zip(b"PK? no".to_vec())]
#[case::empty(Vec::new())]
fn not_a_zip_is_a_readable_finding(#[case] bytes: Vec<u8>) {
    let dir = tempdir();
    let path = dir.path().join("bundle.zip");
    assert!(std::fs::write(&path, bytes).is_ok());
    let fx = prepare(path, &Limits::default());
    assert_eq!(fx.verdict(PACKAGE_READABLE).outcome(), Outcome::Fail);
    assert_eq!(fx.verdict(MANIFEST_PRESENT).outcome(), Outcome::Skip);
}

#[rstest]
#[case::half(2)]
#[case::tail_cut(100)]
fn a_truncated_zip_is_reported_without_panic(#[case] divisor: usize) {
    let dir = tempdir();
    let path = write_zip(dir.path(), &generated(Version::V1p2, 300, GenMode::Bulk));
    let bytes = std::fs::read(&path).unwrap_or_default();
    let keep = bytes.len() - bytes.len() / divisor;
    assert!(std::fs::write(&path, &bytes[..keep]).is_ok());
    let fx = prepare(path, &Limits::default());
    assert_eq!(fx.verdict(PACKAGE_READABLE).outcome(), Outcome::Fail);
}

#[test]
fn a_line_of_several_megabytes_is_capped_not_buffered() {
    let mut files = mixed(Version::V1p1);
    for (name, bytes) in files.iter_mut() {
        if name == "enrollments.csv" {
            let mut line = b"x,".to_vec();
            line.extend(std::iter::repeat_n(b'z', 6 * 1024 * 1024));
            line.extend_from_slice(b"\r\n");
            bytes.extend(line);
        }
    }
    let dir = tempdir();
    let fx = prepare(write_zip(dir.path(), &files), &Limits::default());
    assert_eq!(failing(&fx), [LINE_LENGTH].into());
    let f: Vec<_> = fx.validation.of(LINE_LENGTH).collect();
    assert!(f[0].message.contains("longer than"), "{f:?}");
}

#[test]
fn version_rules_skip_without_a_valid_version() {
    let mut files = mixed(Version::V1p2);
    assert!(Defect::OneRosterVersion.apply(&mut files).is_ok());
    let dir = tempdir();
    let fx = prepare(write_zip(dir.path(), &files), &Limits::default());
    let v = fx.verdict(FILE_HEADER);
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
    assert_eq!(OneRosterCsvSuite.catalog().len(), 28);
}
