//! The mutator: one [`Defect`] per kind of violation the validator detects,
//! applied to a generated bundle held in memory.
//!
//! Why: a rule is only trustworthy if it can fail, and fail alone. Each defect
//! is the smallest edit that breaks exactly one rule ([`Defect::rule`]) in a
//! bundle from [`crate::generate`] in [`GenMode::Mixed`] (bulk files plus a
//! delta `enrollments.csv`, so both lifecycles are present); the self-tests
//! apply every variant and assert that the set of failing rules is exactly
//! that one. Edits are aimed where they cannot cascade: a broken row is put in
//! a file nothing refers to (enrollments), and a reference is broken in a row
//! whose own id stays intact.
//!
//! [`GenMode::Mixed`]: crate::generate::GenMode::Mixed

use crate::csv;
use crate::rules::*;

/// A bundle in memory: (file name, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// Why a defect could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MutateError {
    /// The bundle lacks what the defect edits.
    #[error("cannot apply {defect}: {why}")]
    NotApplicable {
        /// The defect's name.
        defect: &'static str,
        /// What is missing.
        why: String,
    },
}

/// One kind of defect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Defect {
    /// No `manifest.csv`.
    ManifestMissing,
    /// A manifest property the binding does not define.
    ManifestUnknownProperty,
    /// `manifest.version` is not 1.0.
    ManifestVersion,
    /// `oneroster.version` is not 1.1 or 1.2.
    OneRosterVersion,
    /// A `file.<name>` row is missing (and so is the file).
    ManifestFileRowMissing,
    /// A file declared bulk is not in the bundle.
    DeclaredFileMissing,
    /// A file in the bundle is not declared (a wrong-case name).
    UndeclaredFile,
    /// Two header columns swapped.
    HeaderOrder,
    /// A file with a header and no rows.
    EmptyFile,
    /// A quote inside an unquoted field.
    BadQuoting,
    /// A bare carriage return inside a row.
    BareCarriageReturn,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A 2 MiB line (over the 1 MiB default cap).
    LongLine,
    /// A row with one field fewer than the header.
    FieldCount,
    /// A required field left blank.
    MissingRequired,
    /// A sourcedId with a space.
    BadSourcedId,
    /// A date that does not exist (February 30).
    BadDate,
    /// A dateLastModified without a time.
    BadDateTime,
    /// A two-digit schoolYear.
    BadYear,
    /// `TRUE` for `true`.
    BadBoolean,
    /// A word where a number goes.
    BadNumber,
    /// An enum token in the wrong case (`Teacher`).
    BadEnumCase,
    /// A userIds item without braces.
    BadList,
    /// A bulk row with a status.
    BulkRowWithStatus,
    /// A delta row without a status.
    DeltaRowWithoutStatus,
    /// A status that is not active or tobedeleted.
    BadStatus,
    /// Two rows with the same sourcedId.
    DuplicateSourcedId,
    /// A reference to a record that does not exist.
    DanglingReference,
    /// A schoolSourcedId naming the district.
    WrongTargetType,
    /// A copy of a file inside a folder of the zip (zip only).
    FileInFolder,
    /// An entry named `../evil.csv` (zip only).
    PathTraversal,
}

impl Defect {
    /// Every defect.
    pub const ALL: [Defect; 31] = [
        Defect::ManifestMissing,
        Defect::ManifestUnknownProperty,
        Defect::ManifestVersion,
        Defect::OneRosterVersion,
        Defect::ManifestFileRowMissing,
        Defect::DeclaredFileMissing,
        Defect::UndeclaredFile,
        Defect::HeaderOrder,
        Defect::EmptyFile,
        Defect::BadQuoting,
        Defect::BareCarriageReturn,
        Defect::InvalidUtf8,
        Defect::LongLine,
        Defect::FieldCount,
        Defect::MissingRequired,
        Defect::BadSourcedId,
        Defect::BadDate,
        Defect::BadDateTime,
        Defect::BadYear,
        Defect::BadBoolean,
        Defect::BadNumber,
        Defect::BadEnumCase,
        Defect::BadList,
        Defect::BulkRowWithStatus,
        Defect::DeltaRowWithoutStatus,
        Defect::BadStatus,
        Defect::DuplicateSourcedId,
        Defect::DanglingReference,
        Defect::WrongTargetType,
        Defect::FileInFolder,
        Defect::PathTraversal,
    ];

    /// The one rule the defect breaks.
    pub fn rule(self) -> &'static str {
        match self {
            Defect::ManifestMissing => MANIFEST_PRESENT,
            Defect::ManifestUnknownProperty => MANIFEST_STRUCTURE,
            Defect::ManifestVersion => MANIFEST_VERSION,
            Defect::OneRosterVersion => ONEROSTER_VERSION,
            Defect::ManifestFileRowMissing => FILE_MODES,
            Defect::DeclaredFileMissing | Defect::UndeclaredFile => FILES_MATCH,
            Defect::HeaderOrder => FILE_HEADER,
            Defect::EmptyFile => FILE_HAS_ROWS,
            Defect::BadQuoting | Defect::BareCarriageReturn | Defect::InvalidUtf8 => {
                PACKAGE_READABLE
            }
            Defect::LongLine => LINE_LENGTH,
            Defect::FieldCount => FIELD_COUNT,
            Defect::MissingRequired => REQUIRED,
            Defect::BadSourcedId => SOURCED_ID,
            Defect::BadDate => DATE,
            Defect::BadDateTime => DATETIME,
            Defect::BadYear => YEAR,
            Defect::BadBoolean => BOOLEAN,
            Defect::BadNumber => NUMBER,
            Defect::BadEnumCase => ENUM,
            Defect::BadList => LIST,
            Defect::BulkRowWithStatus => BULK_BLANK,
            Defect::DeltaRowWithoutStatus => DELTA_FILLED,
            Defect::BadStatus => STATUS,
            Defect::DuplicateSourcedId => UNIQUE,
            Defect::DanglingReference => RESOLVES,
            Defect::WrongTargetType => TARGET_TYPE,
            Defect::FileInFolder => PACKAGE_LAYOUT,
            Defect::PathTraversal => PACKAGE_SAFE,
        }
    }

    /// A kebab-case name (for command lines and test names).
    pub fn name(self) -> &'static str {
        match self {
            Defect::ManifestMissing => "manifest-missing",
            Defect::ManifestUnknownProperty => "manifest-unknown-property",
            Defect::ManifestVersion => "manifest-version",
            Defect::OneRosterVersion => "oneroster-version",
            Defect::ManifestFileRowMissing => "manifest-file-row-missing",
            Defect::DeclaredFileMissing => "declared-file-missing",
            Defect::UndeclaredFile => "undeclared-file",
            Defect::HeaderOrder => "header-order",
            Defect::EmptyFile => "empty-file",
            Defect::BadQuoting => "bad-quoting",
            Defect::BareCarriageReturn => "bare-carriage-return",
            Defect::InvalidUtf8 => "invalid-utf8",
            Defect::LongLine => "long-line",
            Defect::FieldCount => "field-count",
            Defect::MissingRequired => "missing-required",
            Defect::BadSourcedId => "bad-sourced-id",
            Defect::BadDate => "bad-date",
            Defect::BadDateTime => "bad-datetime",
            Defect::BadYear => "bad-year",
            Defect::BadBoolean => "bad-boolean",
            Defect::BadNumber => "bad-number",
            Defect::BadEnumCase => "bad-enum-case",
            Defect::BadList => "bad-list",
            Defect::BulkRowWithStatus => "bulk-row-with-status",
            Defect::DeltaRowWithoutStatus => "delta-row-without-status",
            Defect::BadStatus => "bad-status",
            Defect::DuplicateSourcedId => "duplicate-sourced-id",
            Defect::DanglingReference => "dangling-reference",
            Defect::WrongTargetType => "wrong-target-type",
            Defect::FileInFolder => "file-in-folder",
            Defect::PathTraversal => "path-traversal",
        }
    }

    /// The defect named `name` (see [`Defect::name`]).
    pub fn parse(name: &str) -> Option<Defect> {
        Defect::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Whether the defect only exists inside a zip (entry names).
    pub fn needs_zip(self) -> bool {
        matches!(self, Defect::FileInFolder | Defect::PathTraversal)
    }

    /// Applies the defect to `files`, a bundle generated in mixed mode.
    pub fn apply(self, files: &mut Files) -> Result<(), MutateError> {
        let na = |why: String| MutateError::NotApplicable {
            defect: self.name(),
            why,
        };
        match self {
            Defect::ManifestMissing => {
                files.retain(|(n, _)| n != "manifest.csv");
                Ok(())
            }
            Defect::ManifestUnknownProperty => {
                let m = bytes_mut(files, "manifest.csv").ok_or_else(|| na(no("manifest.csv")))?;
                m.extend_from_slice(b"source.vendor,Acme\r\n");
                Ok(())
            }
            Defect::ManifestVersion => replace_text(
                files,
                "manifest.csv",
                "manifest.version,1.0",
                "manifest.version,2.0",
            )
            .ok_or_else(|| na("no manifest.version row".into())),
            Defect::OneRosterVersion => {
                let m = text_of(files, "manifest.csv").ok_or_else(|| na(no("manifest.csv")))?;
                let from = if m.contains("oneroster.version,1.1") {
                    "oneroster.version,1.1"
                } else {
                    "oneroster.version,1.2"
                };
                replace_text(files, "manifest.csv", from, "oneroster.version,1.3")
                    .ok_or_else(|| na("no oneroster.version row".into()))
            }
            Defect::ManifestFileRowMissing => {
                remove_line(files, "manifest.csv", "file.courseResources,")
                    .ok_or_else(|| na("no file.courseResources row".into()))?;
                files.retain(|(n, _)| n != "courseResources.csv");
                Ok(())
            }
            Defect::DeclaredFileMissing => {
                let before = files.len();
                files.retain(|(n, _)| n != "courseResources.csv");
                (files.len() < before)
                    .then_some(())
                    .ok_or_else(|| na(no("courseResources.csv")))
            }
            Defect::UndeclaredFile => {
                let users = bytes_of(files, "users.csv").ok_or_else(|| na(no("users.csv")))?;
                files.push(("Users.csv".into(), users));
                Ok(())
            }
            Defect::HeaderOrder => edit_rows(files, "enrollments.csv", |rows| {
                let h = rows.first_mut()?;
                let (a, b) = (col(h, "role")?, col(h, "primary")?);
                h.fields.swap(a, b);
                Some(())
            })
            .ok_or_else(|| na(no("enrollments.csv role/primary"))),
            Defect::EmptyFile => edit_rows(files, "enrollments.csv", |rows| {
                rows.truncate(1);
                Some(())
            })
            .ok_or_else(|| na(no("enrollments.csv"))),
            Defect::BadQuoting => raw_line(files, "enrollments.csv", 2, |l| {
                let at = memchr::memchr(b',', l)?;
                l.splice(at + 1..at + 1, b"x\"y".iter().copied());
                Some(())
            })
            .ok_or_else(|| na(no("enrollments.csv row"))),
            Defect::BareCarriageReturn => raw_line(files, "enrollments.csv", 2, |l| {
                let at = memchr::memchr(b',', l)?;
                l.insert(at + 1, b'\r');
                Some(())
            })
            .ok_or_else(|| na(no("enrollments.csv row"))),
            Defect::InvalidUtf8 => raw_line(files, "enrollments.csv", 2, |l| {
                let at = memchr::memchr(b',', l)?;
                l.splice(at + 1..at + 1, [0xff, 0xfe]);
                Some(())
            })
            .ok_or_else(|| na(no("enrollments.csv row"))),
            Defect::LongLine => raw_line(files, "enrollments.csv", 2, |l| {
                l.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
                Some(())
            })
            .ok_or_else(|| na(no("enrollments.csv row"))),
            Defect::FieldCount => edit_rows(files, "enrollments.csv", |rows| {
                rows.get_mut(1)?.fields.pop();
                Some(())
            })
            .ok_or_else(|| na(no("enrollments.csv row"))),
            Defect::MissingRequired => set(files, "users.csv", 1, "givenName", |_| String::new())
                .ok_or_else(|| na(no("users.csv givenName"))),
            Defect::BadSourcedId => set(files, "enrollments.csv", 1, "sourcedId", |_| {
                "bad id".into()
            })
            .ok_or_else(|| na(no("enrollments.csv"))),
            Defect::BadDate => set(files, "enrollments.csv", 1, "beginDate", |_| {
                "2025-02-30".into()
            })
            .ok_or_else(|| na(no("enrollments.csv beginDate"))),
            Defect::BadDateTime => set(files, "enrollments.csv", 1, "dateLastModified", |v| {
                v.split('T').next().unwrap_or_default().to_string()
            })
            .ok_or_else(|| na(no("enrollments.csv dateLastModified"))),
            Defect::BadYear => set(files, "academicSessions.csv", 1, "schoolYear", |_| {
                "26".into()
            })
            .ok_or_else(|| na(no("academicSessions.csv"))),
            Defect::BadBoolean => set(files, "users.csv", 1, "enabledUser", |v| {
                v.to_ascii_uppercase()
            })
            .ok_or_else(|| na(no("users.csv"))),
            Defect::BadNumber => set(files, "lineItems.csv", 1, "resultValueMin", |_| {
                "zero".into()
            })
            .ok_or_else(|| na(no("lineItems.csv"))),
            Defect::BadEnumCase => set(files, "enrollments.csv", 1, "role", capitalized)
                .ok_or_else(|| na(no("enrollments.csv role"))),
            Defect::BadList => set(files, "users.csv", 1, "userIds", |_| "LDAP:1".into())
                .ok_or_else(|| na(no("users.csv userIds"))),
            Defect::BulkRowWithStatus => set(files, "users.csv", 1, "status", |_| "active".into())
                .ok_or_else(|| na(no("users.csv"))),
            Defect::DeltaRowWithoutStatus => {
                set(files, "enrollments.csv", 1, "status", |_| String::new())
                    .ok_or_else(|| na(no("enrollments.csv")))
            }
            Defect::BadStatus => set(files, "enrollments.csv", 1, "status", |_| "inactive".into())
                .ok_or_else(|| na(no("enrollments.csv"))),
            Defect::DuplicateSourcedId => edit_rows(files, "enrollments.csv", |rows| {
                let first = rows.get(1)?.fields.first()?.clone();
                *rows.get_mut(2)?.fields.first_mut()? = first;
                Some(())
            })
            .ok_or_else(|| na("enrollments.csv has fewer than 2 rows".into())),
            Defect::DanglingReference => set(files, "classes.csv", 1, "courseSourcedId", |_| {
                "no-such-course".into()
            })
            .ok_or_else(|| na(no("classes.csv"))),
            Defect::WrongTargetType => {
                let district = rows_of(files, "orgs.csv")
                    .and_then(|rows| {
                        let h = rows.first()?;
                        let (id, ty) = (col(h, "sourcedId")?, col(h, "type")?);
                        rows.iter()
                            .skip(1)
                            .find(|r| r.fields.get(ty).is_some_and(|t| t == "district"))
                            .and_then(|r| r.fields.get(id).cloned())
                    })
                    .ok_or_else(|| na("no district in orgs.csv".into()))?;
                set(files, "classes.csv", 1, "schoolSourcedId", |_| district)
                    .ok_or_else(|| na(no("classes.csv")))
            }
            Defect::FileInFolder => {
                let e =
                    bytes_of(files, "enrollments.csv").ok_or_else(|| na(no("enrollments.csv")))?;
                files.push(("export/enrollments.csv".into(), e));
                Ok(())
            }
            Defect::PathTraversal => {
                files.push(("../evil.csv".into(), b"sourcedId\r\nx\r\n".to_vec()));
                Ok(())
            }
        }
    }
}

impl std::fmt::Display for Defect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn no(what: &str) -> String {
    format!("the bundle has no {what}")
}

fn capitalized(v: &str) -> String {
    let mut c = v.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => "X".into(),
    }
}

fn bytes_mut<'a>(files: &'a mut Files, name: &str) -> Option<&'a mut Vec<u8>> {
    files.iter_mut().find(|(n, _)| n == name).map(|(_, b)| b)
}

fn bytes_of(files: &Files, name: &str) -> Option<Vec<u8>> {
    files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b.clone())
}

fn text_of(files: &Files, name: &str) -> Option<String> {
    bytes_of(files, name).and_then(|b| String::from_utf8(b).ok())
}

fn replace_text(files: &mut Files, name: &str, from: &str, to: &str) -> Option<()> {
    let text = text_of(files, name)?;
    if !text.contains(from) {
        return None;
    }
    *bytes_mut(files, name)? = text.replacen(from, to, 1).into_bytes();
    Some(())
}

fn remove_line(files: &mut Files, name: &str, prefix: &str) -> Option<()> {
    let text = text_of(files, name)?;
    let kept: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with(prefix))
        .collect();
    let out = kept.concat();
    if out.len() == text.len() {
        return None;
    }
    *bytes_mut(files, name)? = out.into_bytes();
    Some(())
}

fn rows_of(files: &Files, name: &str) -> Option<Vec<csv::Record>> {
    csv::parse(&text_of(files, name)?).ok()
}

fn col(header: &csv::Record, name: &str) -> Option<usize> {
    header.fields.iter().position(|f| f == name)
}

/// Parses `name`, edits its records, writes them back (CRLF, minimal quoting).
fn edit_rows(
    files: &mut Files,
    name: &str,
    edit: impl FnOnce(&mut Vec<csv::Record>) -> Option<()>,
) -> Option<()> {
    let mut rows = rows_of(files, name)?;
    edit(&mut rows)?;
    let mut out = Vec::new();
    for r in &rows {
        out.extend(csv::line(r.fields.iter().map(String::as_str)));
    }
    *bytes_mut(files, name)? = out;
    Some(())
}

/// Sets column `column` of data row `row` (1-based) of `name` to `value(old)`.
fn set(
    files: &mut Files,
    name: &str,
    row: usize,
    column: &str,
    value: impl FnOnce(&str) -> String,
) -> Option<()> {
    edit_rows(files, name, |rows| {
        let c = col(rows.first()?, column)?;
        let cell = rows.get_mut(row)?.fields.get_mut(c)?;
        *cell = value(cell);
        Some(())
    })
}

/// Edits the raw bytes of physical line `line` (1-based, without its CRLF).
fn raw_line(
    files: &mut Files,
    name: &str,
    line: usize,
    edit: impl FnOnce(&mut Vec<u8>) -> Option<()>,
) -> Option<()> {
    let bytes = bytes_mut(files, name)?;
    let mut lines: Vec<Vec<u8>> = bytes
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect();
    edit(lines.get_mut(line.checked_sub(1)?)?)?;
    *bytes = lines.join(&b"\r\n"[..]);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in Defect::ALL {
            assert_eq!(Defect::parse(d.name()), Some(d));
            assert!(seen.insert(d.name()));
        }
    }

    #[test]
    fn a_missing_file_is_not_applicable() {
        let mut files: Files = vec![("manifest.csv".into(), b"propertyName,value\r\n".to_vec())];
        assert!(matches!(
            Defect::BadDate.apply(&mut files),
            Err(MutateError::NotApplicable { .. })
        ));
    }
}
