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
    /// Data rows holding a value of the rule's kind.
    Value,
    /// Rows of files declared bulk.
    Bulk,
    /// Rows of files declared delta.
    Delta,
    /// References from a bulk file to a file shipped in bulk.
    Reference,
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
            Scope::Value => "no data row held a value of this kind",
            Scope::Bulk => "no data file declared bulk",
            Scope::Delta => "no data file declared delta",
            Scope::Reference => {
                "no reference from a bulk file to a file shipped in bulk (references into delta or absent files may point to records sent earlier)"
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

/// `oneroster.csv.package.line-length`
pub const LINE_LENGTH: &str = "oneroster.csv.package.line-length";
/// `oneroster.csv.row.field-count`
pub const FIELD_COUNT: &str = "oneroster.csv.row.field-count";
/// `oneroster.csv.value.required`
pub const REQUIRED: &str = "oneroster.csv.value.required";
/// `oneroster.csv.value.sourced-id`
pub const SOURCED_ID: &str = "oneroster.csv.value.sourced-id";
/// `oneroster.csv.value.date`
pub const DATE: &str = "oneroster.csv.value.date";
/// `oneroster.csv.value.datetime`
pub const DATETIME: &str = "oneroster.csv.value.datetime";
/// `oneroster.csv.value.year`
pub const YEAR: &str = "oneroster.csv.value.year";
/// `oneroster.csv.value.boolean`
pub const BOOLEAN: &str = "oneroster.csv.value.boolean";
/// `oneroster.csv.value.number`
pub const NUMBER: &str = "oneroster.csv.value.number";
/// `oneroster.csv.value.enum`
pub const ENUM: &str = "oneroster.csv.value.enum";
/// `oneroster.csv.value.list`
pub const LIST: &str = "oneroster.csv.value.list";
/// `oneroster.csv.lifecycle.bulk-blank`
pub const BULK_BLANK: &str = "oneroster.csv.lifecycle.bulk-blank";
/// `oneroster.csv.lifecycle.delta-filled`
pub const DELTA_FILLED: &str = "oneroster.csv.lifecycle.delta-filled";
/// `oneroster.csv.lifecycle.status`
pub const STATUS: &str = "oneroster.csv.lifecycle.status";
/// `oneroster.csv.identity.unique`
pub const UNIQUE: &str = "oneroster.csv.identity.unique";
/// `oneroster.csv.reference.resolves`
pub const RESOLVES: &str = "oneroster.csv.reference.resolves";
/// `oneroster.csv.reference.target-type`
pub const TARGET_TYPE: &str = "oneroster.csv.reference.target-type";

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
        rule(
            LINE_LENGTH,
            "No line is longer than the reader's cap",
            "CSV file format",
            "(accredit) A record is one line of at most 1 MiB (the cap is configurable); a longer line is reported and skipped without being buffered, so a hostile file cannot exhaust memory.",
            false,
            Scope::DataFile,
        ),
        rule(
            FIELD_COUNT,
            "Every row has as many fields as the header",
            "CSV file format",
            "(paraphrase) Each record has the same number of fields as the header row (RFC 4180 §2.4: each line should contain the same number of fields throughout the file).",
            true,
            Scope::DataFile,
        ),
        rule(
            REQUIRED,
            "Required fields have a value",
            "CSV tables",
            "(paraphrase) A field the CSV tables mark required is not blank in any data row.",
            true,
            Scope::DataFile,
        ),
        rule(
            SOURCED_ID,
            "sourcedIds are GUID strings",
            "Data types: GUID",
            "(paraphrase) A sourcedId, and every reference to one, is a GUID string: 1 to 255 characters from [0-9A-Za-z./@_-] (the character set the LongsightGroup reference reader enforces).",
            true,
            Scope::DataFile,
        ),
        rule(
            DATE,
            "Dates are YYYY-MM-DD calendar dates",
            "Data types: date",
            "(paraphrase) A date field holds an ISO 8601 calendar date in the form YYYY-MM-DD.",
            true,
            Scope::Value,
        ),
        rule(
            DATETIME,
            "dateLastModified is an ISO 8601 date-time with a time zone",
            "Data types: datetime",
            "(paraphrase) dateLastModified holds an ISO 8601 date-time, YYYY-MM-DDTHH:MM:SS.sssZ (seconds fraction optional; a UTC offset is accepted in place of Z); a date alone or a time without a zone is not one.",
            true,
            Scope::Value,
        ),
        rule(
            YEAR,
            "Years are YYYY",
            "Data types: year",
            "(paraphrase) A year field (schoolYear) holds a four-digit year, YYYY.",
            true,
            Scope::Value,
        ),
        rule(
            BOOLEAN,
            "Booleans are the tokens true and false",
            "Data types: boolean",
            "(paraphrase) A boolean field holds `true` or `false`, lower case (values are case-sensitive).",
            true,
            Scope::Value,
        ),
        rule(
            NUMBER,
            "Numbers are decimal numbers",
            "Data types: float, integer",
            "(paraphrase) A float field holds a decimal number (e.g. 12, -3.5, 1e3) and an integer field an integer.",
            true,
            Scope::Value,
        ),
        rule(
            ENUM,
            "Enumerated fields hold a defined token, case-sensitively",
            "Enumerations",
            "(paraphrase) An enumerated field holds one of the tokens the binding lists for it, with the exact case; where the vocabulary is extensible, an extension token of the form ext:<name> is also allowed. A blank optional enumeration is allowed.",
            true,
            Scope::Value,
        ),
        rule(
            LIST,
            "Lists are comma-separated items without blanks",
            "Data types: lists",
            "(paraphrase) A list field holds comma-separated items inside one quoted field, with no empty item; userIds items are {type:identifier} and scoreScaleValue items {lhs:rhs}.",
            true,
            Scope::Value,
        ),
        rule(
            BULK_BLANK,
            "Bulk rows leave status and dateLastModified blank",
            "Bulk and delta",
            "(paraphrase) In a file declared bulk, the status and dateLastModified fields of every row are blank: the file is a complete snapshot.",
            true,
            Scope::Bulk,
        ),
        rule(
            DELTA_FILLED,
            "Delta rows fill status and dateLastModified",
            "Bulk and delta",
            "(paraphrase) In a file declared delta, every row has a status and a dateLastModified.",
            true,
            Scope::Delta,
        ),
        rule(
            STATUS,
            "status is active or tobedeleted",
            "Bulk and delta",
            "(paraphrase) A filled status is `active` or `tobedeleted` (case-sensitive); `tobedeleted` is the only way to delete a record in delta mode.",
            true,
            Scope::Delta,
        ),
        rule(
            UNIQUE,
            "sourcedIds are unique within a file",
            "Data types: GUID",
            "(paraphrase) A sourcedId identifies one record: it appears once in its file.",
            true,
            Scope::DataFile,
        ),
        rule(
            RESOLVES,
            "References resolve to records in the bundle",
            "Referential integrity",
            "(paraphrase) A sourcedId reference (e.g. enrollments.userSourcedId, classes.courseSourcedId, users.orgSourcedIds) names a record of the referenced file. Checked where both files are bulk; in delta a reference may point to a record sent earlier.",
            true,
            Scope::Reference,
        ),
        rule(
            TARGET_TYPE,
            "References to schools and school years name records of that type",
            "Referential integrity",
            "(paraphrase) classes.schoolSourcedId and enrollments.schoolSourcedId reference an org of type school (or an extension type ext:<name>), and courses.schoolYearSourcedId an academic session of type schoolYear.",
            true,
            Scope::Reference,
        ),
    ]
}
