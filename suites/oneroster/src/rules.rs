//! The OneRoster CSV rules, one case each.
//!
//! The requirement texts paraphrase the CSV binding (1.2 "OneRoster CSV
//! Binding", 1.1 "CSV Tables"): the normative text is not in our reference set,
//! only the facts transcribed in `../shared/reference/oneroster*.md`, so each
//! sentence says what the binding requires in our words, marked as such.

use accredit_core::{CaseMeta, Level};

/// What a rule applies to (for the skip reason when nothing in the input does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every bundle.
    Bundle,
    /// Bundles that have a `manifest.csv`.
    Manifest,
    /// Bundles whose manifest names a valid `oneroster.version`.
    Versioned,
    /// Data files of a known name.
    DataFile,
}

impl Scope {
    /// Why the rule was skipped when nothing fell under it.
    pub fn skip_reason(self) -> &'static str {
        match self {
            Scope::Bundle => "no bundle in the input",
            Scope::Manifest => "no bundle with a manifest.csv",
            Scope::Versioned => "no manifest with a valid oneroster.version (1.1 or 1.2)",
            Scope::DataFile => {
                "no data file of a known name in a bundle with a valid oneroster.version"
            }
        }
    }
}

/// A rule: case metadata plus scope.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Case metadata; the rule id is `meta.id`.
    pub meta: CaseMeta,
    /// What it applies to.
    pub scope: Scope,
}

/// `oneroster.csv.package.readable`
pub const PACKAGE_READABLE: &str = "oneroster.csv.package.readable";
/// `oneroster.csv.package.safe`
pub const PACKAGE_SAFE: &str = "oneroster.csv.package.safe";
/// `oneroster.csv.package.layout`
pub const PACKAGE_LAYOUT: &str = "oneroster.csv.package.layout";
/// `oneroster.csv.manifest.present`
pub const MANIFEST_PRESENT: &str = "oneroster.csv.manifest.present";
/// `oneroster.csv.manifest.structure`
pub const MANIFEST_STRUCTURE: &str = "oneroster.csv.manifest.structure";
/// `oneroster.csv.manifest.manifest-version`
pub const MANIFEST_VERSION: &str = "oneroster.csv.manifest.manifest-version";
/// `oneroster.csv.manifest.oneroster-version`
pub const ONEROSTER_VERSION: &str = "oneroster.csv.manifest.oneroster-version";
/// `oneroster.csv.manifest.file-modes`
pub const FILE_MODES: &str = "oneroster.csv.manifest.file-modes";
/// `oneroster.csv.manifest.files-match`
pub const FILES_MATCH: &str = "oneroster.csv.manifest.files-match";
/// `oneroster.csv.file.header`
pub const FILE_HEADER: &str = "oneroster.csv.file.header";
/// `oneroster.csv.file.has-rows`
pub const FILE_HAS_ROWS: &str = "oneroster.csv.file.has-rows";

const DOC: &str = "OneRoster 1.2 CSV Binding";
const URL: &str = "https://www.imsglobal.org/spec/oneroster/v1p2/bind/csv";

fn rule(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    requirement: &'static str,
    official: bool,
    scope: Scope,
) -> Rule {
    Rule {
        meta: CaseMeta {
            id,
            title,
            role: "document",
            spec_document: DOC,
            spec_section: section,
            spec_url: URL,
            requirement,
            level: Level::Must,
            official,
            tags: &["oneroster", "csv"],
            exclusive: false,
        },
        scope,
    }
}

/// Every rule, in report order.
pub fn rules() -> Vec<Rule> {
    vec![
        rule(
            PACKAGE_READABLE,
            "Bundle and files are readable UTF-8 RFC 4180 CSV",
            "CSV file format",
            "(paraphrase) Files are UTF-8 CSV per RFC 4180: fields containing commas or quotes are double-quoted with \"\" escaping, and no field contains a line break.",
            true,
            Scope::Bundle,
        ),
        rule(
            PACKAGE_SAFE,
            "Bundle entries stay inside the bundle and within size limits",
            "Packaging",
            "(accredit) Every zip entry name is a relative path inside the bundle, and the bundle expands to a bounded size: a zip that escapes its folder or bombs the importer is refused.",
            false,
            Scope::Bundle,
        ),
        rule(
            PACKAGE_LAYOUT,
            "Files sit at the root of the bundle",
            "Packaging",
            "(paraphrase) The CSV files, manifest.csv included, are placed at the root of the zip file, not in a folder.",
            true,
            Scope::Bundle,
        ),
        rule(
            MANIFEST_PRESENT,
            "The bundle has a manifest.csv",
            "Manifest",
            "(paraphrase) Every OneRoster CSV bundle includes the file manifest.csv.",
            true,
            Scope::Bundle,
        ),
        rule(
            MANIFEST_STRUCTURE,
            "manifest.csv is a propertyName,value table of known properties",
            "Manifest",
            "(paraphrase) manifest.csv has the header propertyName,value and one row per property; each property appears once and is one the binding defines.",
            true,
            Scope::Manifest,
        ),
        rule(
            MANIFEST_VERSION,
            "manifest.version is 1.0",
            "Manifest",
            "(paraphrase) The manifest.version property is required and set to 1.0.",
            true,
            Scope::Manifest,
        ),
        rule(
            ONEROSTER_VERSION,
            "oneroster.version is 1.1 or 1.2",
            "Manifest",
            "(paraphrase) The oneroster.version property is required and names the OneRoster version of the data: 1.1 or 1.2.",
            true,
            Scope::Manifest,
        ),
        rule(
            FILE_MODES,
            "Every file.<name> row is present and absent, bulk or delta",
            "Manifest",
            "(paraphrase) The manifest has one file.<name> row for every CSV file the version defines, with the value absent, bulk or delta.",
            true,
            Scope::Versioned,
        ),
        rule(
            FILES_MATCH,
            "Declared files are present and present files are declared",
            "Manifest",
            "(paraphrase) A file declared bulk or delta is in the bundle; a file in the bundle is declared bulk or delta (not absent, not undeclared).",
            true,
            Scope::Versioned,
        ),
        rule(
            FILE_HEADER,
            "Each file's header is exactly the binding's columns",
            "CSV file format",
            "(paraphrase) Each file starts with a header row naming the columns the binding defines for it, in order, with the exact case; extension columns (metadata.<name>) may follow them.",
            true,
            Scope::DataFile,
        ),
        rule(
            FILE_HAS_ROWS,
            "Shipped files have data rows",
            "CSV file format",
            "(paraphrase) A file with no data rows is not shipped: it is declared absent instead.",
            false,
            Scope::DataFile,
        ),
    ]
}
