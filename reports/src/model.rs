//! The report data model: what `report.json` and `evidence/*.json` contain.
//!
//! These types *are* the versioned output format (in the spirit of
//! nextest-metadata): the runner in `accredit-core` fills them, the renderers in
//! this crate read them, and `reports/schema/report.schema.json` documents them.
//! Any change that removes or renames a field bumps [`REPORT_FORMAT_VERSION`]'s
//! major number; adding an optional field bumps the minor number.

use serde::{Deserialize, Serialize};

/// Version of the `report.json` format, also written into every report.
pub const REPORT_FORMAT_VERSION: &str = "1.0.0";

/// The outcome of one case.
///
/// See the README's "Outcomes" section for the user-facing definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The candidate did what the requirement asks.
    Pass,
    /// The candidate violated a MUST (or the check aimed at a MUST failed).
    Fail,
    /// A SHOULD was violated, or the candidate refused correctly but in the wrong way
    /// (for example a 5xx page instead of a 4xx refusal).
    Warn,
    /// The case did not apply or was not selected; always carries a reason.
    /// Counts as a failure under `--certification`.
    Skip,
    /// Needs a human to judge the attached evidence; never counted as a pass.
    Review,
    /// The case could not run: candidate unreachable, misconfigured, timed out, or a
    /// harness fault. Not a verdict on the candidate's conformance.
    Error,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Warn,
        Outcome::Skip,
        Outcome::Review,
        Outcome::Error,
    ];

    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Warn => "warn",
            Outcome::Skip => "skip",
            Outcome::Review => "review",
            Outcome::Error => "error",
        }
    }

    /// Severity rank used to combine several check results into one outcome:
    /// the worst wins. `Error` outranks `Fail` because a case that could not run
    /// has no verdict at all.
    pub fn severity(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Skip => 1,
            Outcome::Warn => 2,
            Outcome::Review => 3,
            Outcome::Fail => 4,
            Outcome::Error => 5,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Requirement level of the normative sentence a case checks (RFC 2119 keywords).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// An absolute requirement.
    Must,
    /// A recommendation; violations are `warn`, not `fail`.
    Should,
    /// Optional behaviour; checked only when the candidate claims it.
    May,
}

impl Level {
    /// The uppercase keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a requirement is written down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRef {
    /// Short document name, e.g. `LTI Core 1.3`.
    pub document: String,
    /// Section number or anchor, e.g. `5.1.2`.
    pub section: String,
    /// Public URL of the section.
    pub url: String,
}

/// The full report (`report.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_FORMAT_VERSION`] of the writer.
    pub format_version: String,
    /// Unique id of this run.
    pub run_id: String,
    /// Which harness produced the report.
    pub harness: HarnessInfo,
    /// SHA-256 over the canonical catalog of every case that was selected
    /// (ids, levels, spec references, normative sentences): two reports with the
    /// same hash judged against the same rules.
    pub catalog_hash: String,
    /// What was tested.
    pub candidate: CandidateInfo,
    /// Suites that were run, in run order.
    pub suites: Vec<SuiteInfo>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: String,
    /// `false` when the run was aborted (Ctrl-C, a fatal harness error) before
    /// every selected case finished.
    pub complete: bool,
    /// Why the run is incomplete, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete_reason: Option<String>,
    /// Whether `--certification` was set (skips count as failures).
    pub certification: bool,
    /// Every finished case, in stable catalog order (suite order, then case order).
    pub cases: Vec<CaseResult>,
    /// Ids of selected cases that never finished (only when `complete` is false).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_run: Vec<String>,
    /// Counts per outcome.
    pub summary: Summary,
}

/// Identification of the harness build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarnessInfo {
    /// Always `accredit`.
    pub name: String,
    /// Crate version of the harness.
    pub version: String,
}

/// Description of the candidate, from the profile's `[candidate]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CandidateInfo {
    /// Product name.
    pub name: String,
    /// Product version, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Vendor, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Free text, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Path of the profile file the run used, or a note that it was generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// A suite that took part in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteInfo {
    /// Suite id, e.g. `lti-tool`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// Number of cases selected from this suite.
    pub cases: usize,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Stable namespaced id, e.g. `lti.tool.core.launch.valid`.
    pub id: String,
    /// Suite the case belongs to.
    pub suite: String,
    /// Human title.
    pub title: String,
    /// Role under test, e.g. `tool`, `platform`, `sensor`, `document`.
    pub role: String,
    /// Verdict.
    pub outcome: Outcome,
    /// One-line explanation of the verdict (why it failed, why it was skipped...).
    pub message: String,
    /// Where the requirement is written.
    pub spec: SpecRef,
    /// The normative sentence the case checks, verbatim where possible.
    pub requirement: String,
    /// MUST / SHOULD / MAY.
    pub level: Level,
    /// Part of the official 1EdTech certification (true) or an accredit extension.
    pub official: bool,
    /// Free-form tags and certification profiles.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Wall time of the case in milliseconds.
    pub duration_ms: u64,
    /// The individual conditions the case evaluated, in order.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Findings located in documents (artifact suites).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Relative paths (with optional JSON-pointer fragment) of the evidence files
    /// for this case inside the bundle, e.g. `evidence/lti.tool.core.launch.valid.json`.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// One evaluated condition inside a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked, e.g. `launch page answered 2xx`.
    pub name: String,
    /// Result of this condition alone.
    pub outcome: Outcome,
    /// Detail: expected vs actual.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// A located problem in a validated document (CSV file, Caliper envelope, package).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Document name (file path, `-` for standard input, or an HTTP request id).
    pub document: String,
    /// Location inside the document: a JSON pointer (`/data/0/action`) or
    /// `line:column` for text formats.
    pub location: String,
    /// Rule (case) id that produced the finding.
    pub rule: String,
    /// `fail` or `warn`.
    pub outcome: Outcome,
    /// What is wrong, with the offending value.
    pub message: String,
}

/// Counts per outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Number of finished cases.
    pub total: usize,
    /// `pass` count.
    pub pass: usize,
    /// `fail` count.
    pub fail: usize,
    /// `warn` count.
    pub warn: usize,
    /// `skip` count.
    pub skip: usize,
    /// `review` count.
    pub review: usize,
    /// `error` count.
    pub error: usize,
    /// Selected cases that never finished.
    pub not_run: usize,
}

impl Summary {
    /// Counts the outcomes of `cases`.
    pub fn of(cases: &[CaseResult], not_run: usize) -> Summary {
        let mut s = Summary {
            not_run,
            ..Summary::default()
        };
        for c in cases {
            s.total += 1;
            *s.slot(c.outcome) += 1;
        }
        s
    }

    fn slot(&mut self, o: Outcome) -> &mut usize {
        match o {
            Outcome::Pass => &mut self.pass,
            Outcome::Fail => &mut self.fail,
            Outcome::Warn => &mut self.warn,
            Outcome::Skip => &mut self.skip,
            Outcome::Review => &mut self.review,
            Outcome::Error => &mut self.error,
        }
    }

    /// The count for one outcome.
    pub fn count(&self, o: Outcome) -> usize {
        match o {
            Outcome::Pass => self.pass,
            Outcome::Fail => self.fail,
            Outcome::Warn => self.warn,
            Outcome::Skip => self.skip,
            Outcome::Review => self.review,
            Outcome::Error => self.error,
        }
    }
}

impl Report {
    /// The exit-code gate over this report; see [`Gate`].
    pub fn gate(&self) -> Gate {
        if !self.complete {
            return Gate::Incomplete;
        }
        let s = &self.summary;
        let strict_extra = if self.certification {
            s.skip + s.review
        } else {
            0
        };
        if s.fail + s.error + strict_extra > 0 {
            return Gate::Failed;
        }
        Gate::Passed
    }
}

/// The verdict of a whole run, mapped to exit codes by the CLI (0, 1, 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Every finished case is `pass` or `warn`; `skip` and `review` are allowed
    /// except under `--certification`.
    Passed,
    /// At least one `fail` or `error`; under `--certification` also any `skip`
    /// or `review` (a certificate cannot rest on an unchecked requirement).
    Failed,
    /// The run was aborted before every selected case finished.
    Incomplete,
}

/// Everything recorded for one case: the file `evidence/<case-id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CaseEvidence {
    /// Case id.
    pub case_id: String,
    /// Every HTTP exchange, in the order it started.
    pub exchanges: Vec<Exchange>,
    /// Free-form log lines the case wrote (steps taken, values derived).
    #[serde(default)]
    pub log: Vec<LogLine>,
}

/// A timestamped log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Milliseconds since the case started.
    pub at_ms: u64,
    /// The text.
    pub text: String,
}

/// Who sent a recorded request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The harness (acting as user agent, platform, tool or consumer) called the candidate.
    HarnessToCandidate,
    /// The candidate called one of the harness's mock servers.
    CandidateToMock,
    /// The harness called its own mock (for example following a redirect to the mock platform).
    HarnessToMock,
}

/// One HTTP request and its response (or the error that prevented one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// Sequence number within the case.
    pub seq: u32,
    /// Who called whom.
    pub direction: Direction,
    /// Which mock recorded it (for `candidate_to_mock`), e.g. `mock-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Milliseconds until the response head and body were complete.
    pub duration_ms: u64,
    /// The request.
    pub request: HttpRequest,
    /// The response, when one came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    /// Transport error (connection refused, timeout, reset...) when no response came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// JWTs found anywhere in the exchange, decoded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jwts: Vec<DecodedJwt>,
}

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Method.
    pub method: String,
    /// Absolute URL (query included).
    pub url: String,
    /// Headers in order, values redacted where secret.
    pub headers: Vec<Header>,
    /// Body, size-capped.
    pub body: Body,
}

/// A recorded response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers in order, values redacted where secret.
    pub headers: Vec<Header>,
    /// Body, size-capped.
    pub body: Body,
}

/// One header line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Name, lowercase.
    pub name: String,
    /// Value (lossy UTF-8), or `[redacted]`.
    pub value: String,
}

/// A captured body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Body {
    /// Full size in bytes as sent on the wire (before capping).
    pub size: u64,
    /// Whether `text`/`base64` hold less than `size` bytes.
    pub truncated: bool,
    /// Body as UTF-8 text, when it was valid UTF-8 (up to the cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Body as base64, when it was not UTF-8 (up to the cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
}

/// A JWT found in an exchange, decoded next to its raw form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodedJwt {
    /// Where it was found, e.g. `request.form.id_token`, `request.header.authorization`.
    pub found_in: String,
    /// The compact serialization (signature kept: it is not a secret and a reviewer
    /// may want to re-verify it).
    pub raw: String,
    /// Decoded JOSE header.
    pub header: serde_json::Value,
    /// Decoded claims.
    pub claims: serde_json::Value,
}

/// One entry of `accredit list --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// Stable case id.
    pub id: String,
    /// Suite id.
    pub suite: String,
    /// Human title.
    pub title: String,
    /// Role under test.
    pub role: String,
    /// MUST / SHOULD / MAY.
    pub level: Level,
    /// Official 1EdTech certification case (true) or accredit extension (false).
    pub official: bool,
    /// Where the requirement is written.
    pub spec: SpecRef,
    /// The normative sentence.
    pub requirement: String,
    /// Tags and profiles.
    pub tags: Vec<String>,
}
