//! The pure checks over a read bundle: manifest semantics and file headers.
//!
//! Locations are `line:field` (1-based) inside the named file; document names
//! are `bundle!file`.

use std::collections::{BTreeMap, HashSet};

use accredit_core::Outcome;

use crate::csv::{self, Record};
use crate::package::Package;
use crate::rules::*;
use crate::tables::{self, Version};

pub use accredit_core::artifact::Validation;

const MANIFEST: &str = "manifest.csv";

struct Cx<'a> {
    pkg: &'a Package,
    out: &'a mut Validation,
}

impl Cx<'_> {
    fn fail(&mut self, file: &str, loc: &str, rule: &'static str, msg: String) {
        let doc = self.pkg.doc(file);
        self.out.add(&doc, loc, rule, Outcome::Fail, msg);
    }

    /// Decodes and parses one file; problems are `package.readable` findings.
    fn records(&mut self, file: &str) -> Option<Vec<Record>> {
        let bytes = self.pkg.files.get(file)?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!(
                    "not UTF-8 (first invalid byte at offset {})",
                    e.valid_up_to()
                );
                self.fail(file, "", PACKAGE_READABLE, msg);
                return None;
            }
        };
        match csv::parse(text) {
            Ok(r) => Some(r),
            Err(e) => {
                let loc = format!("{}:{}", e.line, e.field);
                self.fail(file, &loc, PACKAGE_READABLE, e.message);
                None
            }
        }
    }
}

/// The manifest's properties: name → (line, value).
type Properties = BTreeMap<String, (usize, String)>;

/// Validates a read bundle.
pub fn validate_package(pkg: &Package, out: &mut Validation) {
    out.applies(MANIFEST_PRESENT);
    let mut cx = Cx { pkg, out };
    if !pkg.files.contains_key(MANIFEST) {
        let msg = "the bundle has no manifest.csv".to_string();
        cx.out
            .add(&pkg.name, "", MANIFEST_PRESENT, Outcome::Fail, msg);
        return;
    }
    for r in [MANIFEST_STRUCTURE, MANIFEST_VERSION, ONEROSTER_VERSION] {
        cx.out.applies(r);
    }
    let Some(records) = cx.records(MANIFEST) else {
        return;
    };
    let props = cx.manifest_structure(&records);
    cx.manifest_version(&props);
    let Some(version) = cx.oneroster_version(&props) else {
        return;
    };
    cx.out.applies(FILE_MODES);
    cx.out.applies(FILES_MATCH);
    let modes = cx.file_modes(&props, version);
    cx.files_match(&modes, version);
    for (file, header) in version.files() {
        if pkg.files.contains_key(*file) {
            cx.data_file(file, header);
        }
    }
}

impl Cx<'_> {
    fn manifest_structure(&mut self, records: &[Record]) -> Properties {
        let mut props = Properties::new();
        let Some((header, rows)) = records.split_first() else {
            self.fail(
                MANIFEST,
                "",
                MANIFEST_STRUCTURE,
                "manifest.csv is empty".into(),
            );
            return props;
        };
        if header.fields != tables::MANIFEST_HEADER {
            let msg = format!(
                "header is {:?}, expected \"propertyName,value\"",
                header.fields.join(",")
            );
            self.fail(MANIFEST, "1:1", MANIFEST_STRUCTURE, msg);
        }
        for r in rows {
            let loc = format!("{}:1", r.line);
            let [name, value] = r.fields.as_slice() else {
                let msg = format!(
                    "row has {} fields, expected 2 (propertyName,value)",
                    r.fields.len()
                );
                self.fail(MANIFEST, &loc, MANIFEST_STRUCTURE, msg);
                continue;
            };
            if !known_property(name) {
                self.fail(
                    MANIFEST,
                    &loc,
                    MANIFEST_STRUCTURE,
                    format!("unknown property `{name}`"),
                );
            }
            if let Some((first, _)) = props.get(name) {
                let msg = format!("property `{name}` repeated (first on line {first})");
                self.fail(MANIFEST, &loc, MANIFEST_STRUCTURE, msg);
                continue;
            }
            props.insert(name.clone(), (r.line, value.clone()));
        }
        props
    }

    fn manifest_version(&mut self, props: &Properties) {
        match props.get("manifest.version") {
            None => self.fail(
                MANIFEST,
                "",
                MANIFEST_VERSION,
                "no `manifest.version` row".into(),
            ),
            Some((_, v)) if v == tables::MANIFEST_VERSION => {}
            Some((line, v)) => {
                let msg = format!(
                    "manifest.version is {v:?}, expected \"{}\"",
                    tables::MANIFEST_VERSION
                );
                self.fail(MANIFEST, &format!("{line}:2"), MANIFEST_VERSION, msg);
            }
        }
    }

    fn oneroster_version(&mut self, props: &Properties) -> Option<Version> {
        match props.get("oneroster.version") {
            None => {
                self.fail(
                    MANIFEST,
                    "",
                    ONEROSTER_VERSION,
                    "no `oneroster.version` row".into(),
                );
                None
            }
            Some((line, v)) => {
                let parsed = Version::parse(v);
                if parsed.is_none() {
                    let msg = format!("oneroster.version is {v:?}, expected \"1.1\" or \"1.2\"");
                    self.fail(MANIFEST, &format!("{line}:2"), ONEROSTER_VERSION, msg);
                }
                parsed
            }
        }
    }

    /// Checks every `file.*` row; returns file name (`users.csv`) → mode.
    fn file_modes(&mut self, props: &Properties, version: Version) -> BTreeMap<String, String> {
        let mut modes = BTreeMap::new();
        for (file, _) in version.files() {
            let stem = file.trim_end_matches(".csv");
            match props.get(&format!("file.{stem}")) {
                None => {
                    let msg = format!(
                        "no `file.{stem}` row (OneRoster {} defines {file})",
                        version.label()
                    );
                    self.fail(MANIFEST, "", FILE_MODES, msg);
                }
                Some((line, mode)) if !tables::FILE_MODES.contains(&mode.as_str()) => {
                    let msg = format!("file.{stem} is {mode:?}, expected absent, bulk or delta");
                    self.fail(MANIFEST, &format!("{line}:2"), FILE_MODES, msg);
                }
                Some((_, mode)) => {
                    modes.insert(file.to_string(), mode.clone());
                }
            }
        }
        modes
    }

    fn files_match(&mut self, modes: &BTreeMap<String, String>, version: Version) {
        for (file, mode) in modes {
            if mode != "absent" && !self.pkg.files.contains_key(file) {
                let msg = format!(
                    "file.{} is {mode} but {file} is not in the bundle",
                    file.trim_end_matches(".csv")
                );
                self.fail(MANIFEST, "", FILES_MATCH, msg);
            }
        }
        let present: Vec<String> = self
            .pkg
            .files
            .keys()
            .filter(|f| *f != MANIFEST)
            .cloned()
            .collect();
        for file in present {
            let msg = match modes.get(&file).map(String::as_str) {
                Some("bulk" | "delta") => continue,
                Some(_) => format!("{file} is in the bundle but the manifest declares it absent"),
                None => undeclared(&file, version),
            };
            self.fail(&file, "", FILES_MATCH, msg);
        }
    }

    fn data_file(&mut self, file: &str, expected: &[&str]) {
        self.out.applies(FILE_HEADER);
        self.out.applies(FILE_HAS_ROWS);
        let Some(records) = self.records(file) else {
            return;
        };
        let Some((header, rows)) = records.split_first() else {
            self.fail(file, "", FILE_HEADER, "empty file: no header row".into());
            return;
        };
        if let Some((field, msg)) = header_problem(&header.fields, expected) {
            self.fail(file, &format!("1:{field}"), FILE_HEADER, msg);
        }
        if rows.is_empty() {
            let msg =
                "no data rows; a file with nothing to send is declared absent, not shipped empty"
                    .to_string();
            self.fail(file, "", FILE_HAS_ROWS, msg);
        }
    }
}

fn known_property(name: &str) -> bool {
    if ["manifest.version", "oneroster.version"].contains(&name)
        || tables::OPTIONAL_MANIFEST_PROPERTIES.contains(&name)
    {
        return true;
    }
    let Some(stem) = name.strip_prefix("file.") else {
        return false;
    };
    let file = format!("{stem}.csv");
    [Version::V1p1, Version::V1p2]
        .iter()
        .any(|v| v.header(&file).is_some())
}

fn undeclared(file: &str, version: Version) -> String {
    let near = version
        .files()
        .iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(file))
        .map(|(f, _)| *f);
    match near {
        Some(f) => format!(
            "{file} is not a OneRoster {} file name (file names are case-sensitive: {f})",
            version.label()
        ),
        None => format!(
            "{file} is not a OneRoster {} file and is not declared in the manifest",
            version.label()
        ),
    }
}

/// The first header problem: (1-based field, message).
pub fn header_problem(got: &[String], expected: &[&str]) -> Option<(usize, String)> {
    for (i, want) in expected.iter().enumerate() {
        let Some(have) = got.get(i) else {
            let msg = format!(
                "missing column `{want}` (expected {} columns: {})",
                expected.len(),
                expected.join(",")
            );
            return Some((i + 1, msg));
        };
        if have == want {
            continue;
        }
        let msg = if have.eq_ignore_ascii_case(want) {
            format!(
                "column {} is `{have}`, expected `{want}` (header names are case-sensitive)",
                i + 1
            )
        } else {
            format!("column {} is `{have}`, expected `{want}`", i + 1)
        };
        return Some((i + 1, msg));
    }
    let mut seen = HashSet::new();
    for (i, extra) in got.iter().enumerate().skip(expected.len()) {
        if !extra.starts_with("metadata.") {
            let msg = format!(
                "unexpected column `{extra}`; only metadata.<name> extension columns may follow the defined ones"
            );
            return Some((i + 1, msg));
        }
        if !seen.insert(extra) {
            return Some((i + 1, format!("column `{extra}` repeated")));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn strings(s: &str) -> Vec<String> {
        s.split(',').map(String::from).collect()
    }

    #[rstest]
    #[case("sourcedId,status,dateLastModified,title", None)]
    #[case("sourcedId,status,dateLastModified,title,metadata.x", None)]
    #[case("sourcedId,status,dataLastModified,title", Some(3))]
    #[case("sourcedId,Status,dateLastModified,title", Some(2))]
    #[case("sourcedId,status,dateLastModified", Some(4))]
    #[case("sourcedId,status,dateLastModified,title,extra", Some(5))]
    #[case(
        "sourcedId,status,dateLastModified,title,metadata.x,metadata.x",
        Some(6)
    )]
    fn headers(#[case] got: &str, #[case] field: Option<usize>) {
        let expected = ["sourcedId", "status", "dateLastModified", "title"];
        assert_eq!(
            header_problem(&strings(got), &expected).map(|(f, _)| f),
            field
        );
    }
}
