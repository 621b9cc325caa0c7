//! A OneRoster 1.2 rostering **provider** (a mock SIS): the reference the
//! `oneroster-provider` suite is proven against, and a SIS a consumer can be
//! pointed at (`accredit serve sis --bundle DIR`).
//!
//! Why a real server over a real database: the provider suite judges paging
//! (`X-Total-Count` must be the true total, pages must not overlap), filtering,
//! sorting and field selection, all of which a SIS does in its database; an
//! embedded SQLite store ([`store`]) seeded from a OneRoster 1.2 CSV bundle
//! makes the reference behave like one, so a check that passes here passes
//! for the right reason. [`Fault`]s make it wrong one defect at a time, for the
//! suite's fault matrix.
//!
//! Surface (base [`BASE_PATH`]): `GET /orgs`, `/orgs/{id}`, `/schools`,
//! `/schools/{id}`, `/academicSessions`, `/academicSessions/{id}`, `/courses`,
//! `/courses/{id}`, `/classes`, `/classes/{id}`, `/users`, `/users/{id}`,
//! `/students`, `/students/{id}`, `/teachers`, `/teachers/{id}`,
//! `/enrollments`, `/enrollments/{id}`, `/terms`, `/terms/{id}`,
//! `/gradingPeriods`, `/gradingPeriods/{id}`, `/demographics`,
//! `/demographics/{id}`, and the relations (`/schools/{id}/classes`,
//! `/schools/{id}/courses|enrollments|students|teachers|terms`,
//! `/schools/{id}/classes/{id}/enrollments|students|teachers`,
//! `/classes/{id}/students|teachers`, `/courses/{id}/classes`,
//! `/users|students|teachers/{id}/classes`, `/terms/{id}/classes`,
//! `/terms/{id}/gradingPeriods`): the 41 rostering reads; `limit`/`offset` with
//! `X-Total-Count` and an RFC 8288 `Link` header (first, prev, next, last),
//! `sort`/`orderBy`, `filter` ([`filter`]), `fields`. Security: OAuth 2 client
//! credentials at [`TOKEN_PATH`] (HTTP Basic or form credentials), bearer
//! tokens carrying 1.2 scopes; `roster-core.readonly` opens the collections
//! and single objects, `roster.readonly` also the relations, as the OpenAPI
//! says; demographics need `roster-demographics.readonly` (and nothing else
//! opens them). Errors use the 1.2 `imsx_StatusInfoDType` payload.
//!
//! Relations are SQL conditions over the child collection (a school's students
//! are the users with a `student` role at that org, a term's classes those
//! whose `terms` include it, a user's classes those the user is enrolled in),
//! so paging and `X-Total-Count` stay true for them too. Terms are the
//! academic sessions of type `term` or `semester` (a semester is the term
//! classes are scheduled in, and the generated bundles have no other kind);
//! a school's terms are the terms its classes are scheduled in. Demographics
//! come from the bundle's optional `demographics.csv`.
//!
//! Every request passes through [`accredit_core::evidence::record_layer`]
//! when a recorder is given (requests carrying the harness's own User-Agent are
//! recorded by the harness's client instead).

mod csvread;
mod filter;
mod gradebook;
mod oauth1;
pub mod observe;
mod params;
mod resources;
mod store;
mod v1p1;
mod v1p1_gradebook;

pub use v1p1::V1P1_BASE_PATH;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use accredit_core::evidence::{Recorder, record_layer};
use accredit_core::profile::Secret;

use store::{Query, Store};

pub use gradebook::{
    GRADEBOOK_PATH, GRADEBOOK_SCOPES, GradebookFault, SCOPE_ASSESSMENT, SCOPE_ASSESSMENT_CREATEPUT,
    SCOPE_ASSESSMENT_DELETE, SCOPE_GRADEBOOK, SCOPE_GRADEBOOK_CORE, SCOPE_GRADEBOOK_CREATEPOST,
    SCOPE_GRADEBOOK_CREATEPUT, SCOPE_GRADEBOOK_DELETE,
};
pub use resources::{RESOURCES_PATH, SCOPE_RESOURCE, SCOPE_RESOURCE_CORE};

/// Base path of the rostering service.
pub const BASE_PATH: &str = "/ims/oneroster/rostering/v1p2";
/// Path of the OAuth 2 token endpoint.
pub const TOKEN_PATH: &str = "/ims/oneroster/oauth2/token";
/// `roster.readonly`: every read but demographics.
pub const SCOPE_ROSTER: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly";
/// `roster-core.readonly`: the collections and single objects.
pub const SCOPE_ROSTER_CORE: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";
/// `roster-demographics.readonly`.
pub const SCOPE_DEMOGRAPHICS: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly";
/// Name written into the `recorded_by` of evidence.
pub const MOCK_NAME: &str = "mock-sis";
/// The client id of the reference SIS.
pub const DEFAULT_CLIENT_ID: &str = "accredit-consumer";
/// `limit` when none is given (the OpenAPI default).
pub const DEFAULT_LIMIT: u64 = 100;

/// A deliberate defect of the reference SIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// `X-Total-Count` is the number of records on the page, not the total.
    TotalCountIsPageSize,
    /// Pages after the first start one record early (each boundary record twice).
    OverlappingPages,
    /// `a AND b` is evaluated as `a`.
    FilterIgnoresAnd,
    /// Errors use the OneRoster 1.1 `statusInfoSet` payload.
    WrongErrorShape,
    /// Any bearer token is accepted (a missing one is still refused).
    AcceptsBadToken,
    /// Org `type` values are capitalised (`School`).
    EnumWrongCase,
    /// No `Link` header on collections.
    MissingLinkHeader,
    /// Scopes are not enforced: a core-only token reads relations.
    IgnoresScopes,
    /// An unknown filter field answers 200 with no records (like OpenCASE).
    UnknownFilterFieldIgnored,
    /// `fields` is ignored: whole records are returned.
    FieldsIgnored,
    /// `sort`/`orderBy` are ignored.
    SortIgnored,
    /// `dateLastModified` is a date without a time.
    DateWithoutTime,
    /// `enabledUser` and the demographics flags are JSON booleans, not the
    /// strings `"true"`/`"false"`.
    BooleansAsJson,
    /// `/classes/{id}/students` lists teachers too.
    ClassStudentsIncludeTeachers,
    /// `/schools/{id}/classes` lists every class.
    SchoolClassesUnfiltered,
    /// 1.1: the OAuth 1.0a signature is not checked (any signature passes).
    Oauth1SignatureUnchecked,
    /// 1.1: a replayed `oauth_nonce` is accepted.
    Oauth1NonceReplayAccepted,
    /// 1.1: a stale `oauth_timestamp` is accepted.
    Oauth1TimestampUnchecked,
    /// 1.1: `HMAC-SHA256` is refused (only `HMAC-SHA1`).
    Oauth1Sha256Unsupported,
    /// 1.1: errors use the flat 1.2 payload instead of `statusInfoSet`.
    V1p1ErrorShapeWrong,
    /// 1.1: single objects are returned bare, without their `{"user": ...}` envelope.
    V1p1EnvelopeWrong,
    /// 1.1: users keep the 1.2 `roles[]` and lack `role` and `orgs`.
    V1p1Uses1p2UserFields,
    /// 1.1 gradebook: requests are served without checking their OAuth 1.0a signature.
    V1p1GradebookUnsignedAccepted,
    /// 1.1 gradebook: PUT of a line item answers 201 but stores nothing.
    V1p1GradebookPutNotStored,
    /// 1.1 gradebook: DELETE answers 204 but the object stays readable.
    V1p1GradebookDeleteIgnored,
    /// 1.1 gradebook: results' `scoreStatus` is camel-cased (`fullyGraded`).
    V1p1GradebookScoreStatusCamelCase,
    /// 1.1 gradebook: line items are served without their `class`.
    V1p1GradebookLineItemNoClass,
    /// 1.1 gradebook: `/classes/{id}/results` lists every class's results.
    V1p1GradebookClassResultsUnscoped,
    /// 1.1 gradebook: failures use the flat 1.2 payload instead of `statusInfoSet`.
    V1p1GradebookErrorShapeWrong,
    /// 1.1 gradebook: `href`s keep pointing at the 1.2 services.
    V1p1GradebookHrefsAt1p2Base,
    /// 1.1 gradebook: `/classes/{id}/students/{id}/results` is not implemented (404).
    V1p1GradebookStudentResultsMissing,
    /// `/schools/{id}/students` lists every user with a role at the school.
    SchoolStudentsIncludeTeachers,
    /// `/terms/{id}/classes` lists every class.
    TermClassesUnfiltered,
    /// `/users/{id}/classes` lists every class of the user's schools.
    UserClassesIgnoresEnrollment,
    /// Demographics are served to `roster.readonly`/`roster-core.readonly` tokens.
    DemographicsUnscoped,
    /// A relation under an unknown parent answers 200 with no records, not 404.
    RelationUnknownParentEmpty,
    /// The course, school, class-in-school and term relations without their
    /// own fault list the whole child collection.
    RelationsIgnoreParent,
    /// `/gradingPeriods` lists every academic session.
    GradingPeriodsUnfiltered,
    /// `/demographics/{id}` uses the envelope `demographic`.
    DemographicsWrongEnvelope,
    /// Filters: `~` (contains) compares as `=` (a filter without substring matching).
    FilterContainsAsEquals,
    /// Filters: a `!=` predicate is dropped (it matches every record).
    FilterNotEqualsIgnored,
    /// `/terms/{id}/gradingPeriods` is not implemented: 404 for every term.
    TermGradingPeriodsMissing,
    /// A request without any `Authorization` header is served (a bad token is still refused).
    AcceptsMissingToken,
    /// `/enrollments/{id}` answers the bare enrollment, without its
    /// `{"enrollment": ...}` envelope.
    EnrollmentWithoutEnvelope,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 44] = [
        Fault::TotalCountIsPageSize,
        Fault::OverlappingPages,
        Fault::FilterIgnoresAnd,
        Fault::WrongErrorShape,
        Fault::AcceptsBadToken,
        Fault::EnumWrongCase,
        Fault::MissingLinkHeader,
        Fault::IgnoresScopes,
        Fault::UnknownFilterFieldIgnored,
        Fault::FieldsIgnored,
        Fault::SortIgnored,
        Fault::DateWithoutTime,
        Fault::BooleansAsJson,
        Fault::ClassStudentsIncludeTeachers,
        Fault::SchoolClassesUnfiltered,
        Fault::Oauth1SignatureUnchecked,
        Fault::Oauth1NonceReplayAccepted,
        Fault::Oauth1TimestampUnchecked,
        Fault::Oauth1Sha256Unsupported,
        Fault::V1p1ErrorShapeWrong,
        Fault::V1p1EnvelopeWrong,
        Fault::V1p1Uses1p2UserFields,
        Fault::V1p1GradebookUnsignedAccepted,
        Fault::V1p1GradebookPutNotStored,
        Fault::V1p1GradebookDeleteIgnored,
        Fault::V1p1GradebookScoreStatusCamelCase,
        Fault::V1p1GradebookLineItemNoClass,
        Fault::V1p1GradebookClassResultsUnscoped,
        Fault::V1p1GradebookErrorShapeWrong,
        Fault::V1p1GradebookHrefsAt1p2Base,
        Fault::V1p1GradebookStudentResultsMissing,
        Fault::SchoolStudentsIncludeTeachers,
        Fault::TermClassesUnfiltered,
        Fault::UserClassesIgnoresEnrollment,
        Fault::DemographicsUnscoped,
        Fault::RelationUnknownParentEmpty,
        Fault::RelationsIgnoreParent,
        Fault::GradingPeriodsUnfiltered,
        Fault::DemographicsWrongEnvelope,
        Fault::FilterContainsAsEquals,
        Fault::FilterNotEqualsIgnored,
        Fault::TermGradingPeriodsMissing,
        Fault::AcceptsMissingToken,
        Fault::EnrollmentWithoutEnvelope,
    ];
}

fn default_client_id() -> String {
    DEFAULT_CLIENT_ID.into()
}
fn default_scopes() -> Vec<String> {
    vec![
        SCOPE_ROSTER_CORE.into(),
        SCOPE_ROSTER.into(),
        SCOPE_DEMOGRAPHICS.into(),
    ]
    .into_iter()
    .chain(GRADEBOOK_SCOPES.iter().map(|s| (*s).to_string()))
    .chain([SCOPE_RESOURCE.to_string(), SCOPE_RESOURCE_CORE.to_string()])
    .collect()
}
fn default_ttl() -> u64 {
    3600
}

/// The SIS's configuration (TOML for a stand-alone SIS).
///
/// ```toml
/// listen = "127.0.0.1:9020"
/// bundle = "oneroster-1.2-sample"        # a OneRoster 1.2 CSV directory
/// client_secret = "env:SIS_CLIENT_SECRET"
/// # client_id = "accredit-consumer"
/// # scopes = [...]                        # scopes the client may be granted
/// # database = "sis.sqlite"               # default: in memory
/// # faults = ["total-count-is-page-size"]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SisConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The CSV bundle directory the store is seeded from.
    pub bundle: PathBuf,
    /// The one registered client.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// Its secret.
    pub client_secret: Secret,
    /// Scopes the client may be granted.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// SQLite file (replaced at start); in memory when absent.
    #[serde(default)]
    pub database: Option<PathBuf>,
    /// Access token lifetime.
    #[serde(default = "default_ttl")]
    pub token_ttl_secs: u64,
    /// Injected defects (empty for a conformant SIS).
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Injected gradebook/resources defects (empty for a conformant SIS).
    #[serde(default)]
    pub gradebook_faults: Vec<GradebookFault>,
}

impl SisConfig {
    /// A conformant SIS on `listen` seeded from `bundle`, with the default client
    /// id and every rostering scope.
    pub fn reference(listen: SocketAddr, bundle: &Path, client_secret: Secret) -> SisConfig {
        SisConfig {
            listen,
            bundle: bundle.to_path_buf(),
            client_id: default_client_id(),
            client_secret,
            scopes: default_scopes(),
            database: None,
            token_ttl_secs: default_ttl(),
            faults: Vec::new(),
            gradebook_faults: Vec::new(),
        }
    }
}

/// Reads a SIS config file.
pub fn load_config(path: &Path) -> Result<SisConfig, SisError> {
    let text = std::fs::read_to_string(path).map_err(|e| SisError::Config {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut cfg: SisConfig = toml::from_str(&text).map_err(|e| SisError::Config {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    if cfg.bundle.is_relative()
        && let Some(dir) = path.parent()
    {
        cfg.bundle = dir.join(&cfg.bundle);
    }
    Ok(cfg)
}

/// Why the SIS could not start.
#[derive(Debug, thiserror::Error)]
pub enum SisError {
    /// The config file cannot be read or parsed.
    #[error("SIS config {path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A bundle file cannot be read.
    #[error("SIS bundle {path}: {message}")]
    Bundle {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The database failed.
    #[error("SIS store: {0}")]
    Store(String),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server failed.
    #[error("SIS server: {0}")]
    Serve(std::io::Error),
}

// ---- collections ------------------------------------------------------------------

const ORG_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "name",
    "type",
    "identifier",
    "parent",
    "children",
];
const SESSION_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "title",
    "startDate",
    "endDate",
    "type",
    "parent",
    "children",
    "schoolYear",
];
const COURSE_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "title",
    "schoolYear",
    "courseCode",
    "grades",
    "subjects",
    "org",
    "subjectCodes",
    "resources",
];
const CLASS_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "title",
    "classCode",
    "classType",
    "location",
    "grades",
    "subjects",
    "course",
    "school",
    "terms",
    "subjectCodes",
    "periods",
    "resources",
];
const USER_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "userMasterIdentifier",
    "username",
    "userIds",
    "enabledUser",
    "givenName",
    "familyName",
    "middleName",
    "preferredFirstName",
    "preferredMiddleName",
    "preferredLastName",
    "pronouns",
    "roles",
    "userProfiles",
    "primaryOrg",
    "identifier",
    "email",
    "sms",
    "phone",
    "agents",
    "grades",
    "password",
    "resources",
];
const ENROLLMENT_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "user",
    "class",
    "school",
    "role",
    "primary",
    "beginDate",
    "endDate",
];

const DEMOGRAPHICS_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
];

/// The demographics flags, strings `"true"`/`"false"` in 1.2 JSON.
const DEMOGRAPHICS_FLAGS: [&str; 7] = [
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
];

/// The SQL condition selecting terms (see the module documentation).
const TERMS_SQL: &str = "json_extract(doc, '$.type') IN ('term', 'semester')";

/// A subset of a stored collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    All,
    Schools,
    Students,
    Teachers,
    Terms,
    GradingPeriods,
}

/// One collection endpoint.
#[derive(Debug, Clone, Copy)]
struct Coll {
    table: &'static str,
    envelope: &'static str,
    single: &'static str,
    fields: &'static [&'static str],
    view: View,
}

fn coll(path: &str) -> Option<Coll> {
    let c = |table, envelope, single, fields, view| Coll {
        table,
        envelope,
        single,
        fields,
        view,
    };
    Some(match path {
        "orgs" => c("orgs", "orgs", "org", ORG_FIELDS, View::All),
        "schools" => c("orgs", "orgs", "org", ORG_FIELDS, View::Schools),
        "academicSessions" => c(
            "academicSessions",
            "academicSessions",
            "academicSession",
            SESSION_FIELDS,
            View::All,
        ),
        "courses" => c("courses", "courses", "course", COURSE_FIELDS, View::All),
        "classes" => c("classes", "classes", "class", CLASS_FIELDS, View::All),
        "users" => c("users", "users", "user", USER_FIELDS, View::All),
        "students" => c("users", "users", "user", USER_FIELDS, View::Students),
        "teachers" => c("users", "users", "user", USER_FIELDS, View::Teachers),
        "enrollments" => c(
            "enrollments",
            "enrollments",
            "enrollment",
            ENROLLMENT_FIELDS,
            View::All,
        ),
        "terms" => c(
            "academicSessions",
            "academicSessions",
            "academicSession",
            SESSION_FIELDS,
            View::Terms,
        ),
        "gradingPeriods" => c(
            "academicSessions",
            "academicSessions",
            "academicSession",
            SESSION_FIELDS,
            View::GradingPeriods,
        ),
        // The singular envelope of DemographicsDType is `demographics` too.
        "demographics" => c(
            "demographics",
            "demographics",
            "demographics",
            DEMOGRAPHICS_FIELDS,
            View::All,
        ),
        _ => return None,
    })
}

fn view_sql(v: View) -> Option<(String, Vec<String>)> {
    let role = |r: &str| {
        (
            "EXISTS (SELECT 1 FROM json_each(doc, '$.roles') AS vr WHERE json_extract(vr.value, '$.role') = ?)"
                .to_string(),
            vec![r.to_string()],
        )
    };
    match v {
        View::All => None,
        View::Schools => Some((
            "json_extract(doc, '$.type') = ?".into(),
            vec!["school".into()],
        )),
        View::Students => Some(role("student")),
        View::Teachers => Some(role("teacher")),
        View::Terms => Some((TERMS_SQL.into(), Vec::new())),
        View::GradingPeriods => Some((
            "json_extract(doc, '$.type') = ?".into(),
            vec!["gradingPeriod".into()],
        )),
    }
}

// ---- server state ------------------------------------------------------------------

struct Grant {
    scopes: Vec<String>,
    expires: Instant,
}

struct Shared {
    config: SisConfig,
    store: Store,
    /// `http://addr`
    origin: String,
    tokens: Mutex<HashMap<String, Grant>>,
}

impl Shared {
    fn has(&self, f: Fault) -> bool {
        self.config.faults.contains(&f)
    }

    /// The filter defects this SIS's faults put into every query.
    pub(crate) fn filter_defects(&self) -> filter::Defects {
        filter::Defects {
            ignore_and: self.has(Fault::FilterIgnoresAnd),
            contains_as_equals: self.has(Fault::FilterContainsAsEquals),
            not_equals_ignored: self.has(Fault::FilterNotEqualsIgnored),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running SIS. Dropping it stops the server.
pub struct RunningSis {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: accredit_core::server::ServerHandle,
}

impl std::fmt::Debug for RunningSis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSis")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningSis {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The rostering service base URL (`http://addr/ims/oneroster/rostering/v1p2`).
    pub fn rostering_url(&self) -> String {
        format!("{}{BASE_PATH}", self.shared.origin)
    }

    /// The gradebook service base URL (`http://addr/ims/oneroster/gradebook/v1p2`).
    pub fn gradebook_url(&self) -> String {
        format!("{}{GRADEBOOK_PATH}", self.shared.origin)
    }

    /// The resources service base URL (`http://addr/ims/oneroster/resources/v1p2`).
    pub fn resources_url(&self) -> String {
        format!("{}{RESOURCES_PATH}", self.shared.origin)
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.shared.origin)
    }

    /// The registered client id.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// The scopes the client may be granted.
    pub fn scopes(&self) -> &[String] {
        &self.shared.config.scopes
    }

    /// Number of stored objects of a collection (`orgs`, `users`...).
    pub fn count(&self, collection: &str) -> Result<u64, SisError> {
        self.shared.store.count(collection)
    }

    /// A human description (for `accredit serve sis`).
    pub fn describe(&self) -> String {
        let n = |c: &str| self.count(c).unwrap_or(0);
        format!(
            "mock OneRoster 1.2 SIS listening on {}\n  rostering: {}\n  token URL: {}\n  client_id: {}\n  scopes:    {}\n  store:     {} orgs, {} academic sessions, {} courses, {} classes, {} users, {} enrollments, {} demographics",
            self.addr,
            self.rostering_url(),
            self.token_url(),
            self.client_id(),
            self.scopes().join(" "),
            n("orgs"),
            n("academicSessions"),
            n("courses"),
            n("classes"),
            n("users"),
            n("enrollments"),
            n("demographics"),
        )
    }

    /// Stops the server and waits (at most 3 s) for it to finish.
    pub async fn shutdown(&self) {
        self.server.shutdown().await;
    }
}

/// Starts the SIS on `config.listen`, seeded from `config.bundle`. Every inbound
/// request is recorded through `recorder` when given.
pub async fn start(config: SisConfig, recorder: Option<Recorder>) -> Result<RunningSis, SisError> {
    start_with(config, recorder, None).await
}

/// [`start`], with the consumer-mode [`observe::Observer`] inside the recorder.
async fn start_with(
    config: SisConfig,
    recorder: Option<Recorder>,
    observer: Option<observe::Observer>,
) -> Result<RunningSis, SisError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SisError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SisError::Bind {
        addr: config.listen,
        source,
    })?;
    let origin = crate::endpoints_for(addr).base_url;
    let base = format!("{origin}{BASE_PATH}");
    let now = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let bundle = config.bundle.clone();
    let database = config.database.clone();
    // Loading parses every CSV file and inserts every row: keep it off the
    // async workers.
    let seed_origin = origin.clone();
    let store = tokio::task::spawn_blocking(move || {
        let store = Store::load(&bundle, database.as_deref(), &base, &now)?;
        gradebook::seed(&store, &seed_origin, &now)?;
        resources::seed(&store, &now)?;
        Ok::<_, SisError>(store)
    })
    .await
    .map_err(|e| SisError::Store(format!("load task failed: {e}")))??;
    let shared = Arc::new(Shared {
        config,
        store,
        origin,
        tokens: Mutex::new(HashMap::new()),
    });
    let app = Router::new()
        .route(TOKEN_PATH, post(token))
        .route(&format!("{BASE_PATH}/{{*rest}}"), get(data))
        .route(
            &format!("{GRADEBOOK_PATH}/{{*rest}}"),
            axum::routing::any(gradebook::service),
        )
        .route(
            &format!("{RESOURCES_PATH}/{{*rest}}"),
            axum::routing::any(resources::service),
        )
        .with_state(Arc::clone(&shared))
        .merge(v1p1::routes(Arc::clone(&shared)));
    let app = match observer {
        Some(o) => observe::wrap(app, o),
        None => app,
    };
    let app = match recorder {
        Some(rec) => app.layer(axum::middleware::from_fn_with_state(rec, record_layer)),
        None => app,
    };
    let server = accredit_core::server::ServerHandle::spawn(listener, app);
    Ok(RunningSis {
        addr,
        shared,
        server,
    })
}

/// Runs the SIS until Ctrl-C (`accredit serve sis --config FILE`).
pub async fn serve(config: SisConfig) -> Result<(), SisError> {
    let running = start(config, None).await?;
    eprintln!("{}", running.describe());
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await.map_err(SisError::Serve)?;
    running.shutdown().await;
    Ok(())
}

/// Runs a conformant SIS seeded from `bundle` on `listen` until Ctrl-C
/// (`accredit serve sis --bundle DIR`). The client secret is generated and
/// printed with the other connection details: a stand-alone mock is for
/// clicking through by hand.
pub async fn serve_bundle(bundle: &Path, listen: SocketAddr) -> Result<(), SisError> {
    let secret = format!("{}", uuid::Uuid::new_v4().simple());
    let config = SisConfig::reference(listen, bundle, Secret::from_value("generated", &secret));
    let running = start(config, None).await?;
    eprintln!("{}", running.describe());
    eprintln!("  client_secret: {secret}");
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await.map_err(SisError::Serve)?;
    running.shutdown().await;
    Ok(())
}

/// Starts a SIS seeded from `bundle` on a free loopback port with `faults`
/// (empty for the conformant reference), for the demo and the tests.
pub async fn start_reference_sis_for_demo(
    bundle: &Path,
    client_secret: Secret,
    faults: Vec<Fault>,
    recorder: Option<Recorder>,
) -> Result<RunningSis, SisError> {
    let mut config =
        SisConfig::reference(SocketAddr::from(([127, 0, 0, 1], 0)), bundle, client_secret);
    config.faults = faults;
    start(config, recorder).await
}

// ---- responses ----------------------------------------------------------------------

/// A failure with the 1.2 status payload (or the 1.1 one under the fault).
fn status_error(sh: &Shared, status: StatusCode, minor: &str, description: &str) -> Response {
    let body = if sh.has(Fault::WrongErrorShape) {
        json!({"statusInfoSet": [{
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": description,
            "imsx_codeMinor": minor,
        }]})
    } else {
        json!({
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": description,
            "imsx_CodeMinor": {"imsx_codeMinorField": [{
                "imsx_codeMinorFieldName": "TargetEndSystem",
                "imsx_codeMinorFieldValue": minor,
            }]},
        })
    };
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"oneroster\""),
        );
    }
    resp
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut resp = (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

// ---- token endpoint -------------------------------------------------------------------

/// Client credentials grant (RFC 6749 §4.4) with `client_secret_basic` or
/// `client_secret_post`.
async fn token(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            let (id, secret) = s.split_once(':')?;
            let dec = |x: &str| -> String {
                url::form_urlencoded::parse(format!("v={x}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some((dec(id), dec(secret)))
        });
    let creds = basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    let Some((id, secret)) = creds else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no client credentials",
        );
    };
    if id != sh.config.client_id || secret != sh.config.client_secret.expose() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    let requested: Vec<String> = form
        .get("scope")
        .map(|s| {
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let granted: Vec<String> = if requested.is_empty() {
        sh.config.scopes.clone()
    } else {
        if let Some(bad) = requested.iter().find(|s| !sh.config.scopes.contains(s)) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &format!("scope not available to this client: {bad}"),
            );
        }
        requested
    };
    let access = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    {
        let mut tokens = lock(&sh.tokens);
        let now = Instant::now();
        tokens.retain(|_, g| g.expires > now);
        tokens.insert(
            access.clone(),
            Grant {
                scopes: granted.clone(),
                expires: now + Duration::from_secs(sh.config.token_ttl_secs),
            },
        );
    }
    let mut resp = axum::Json(json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": sh.config.token_ttl_secs,
        "scope": granted.join(" "),
    }))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The scopes of the request's bearer token; `Err` is the refusal.
#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself, built once per refused request
fn authorize(sh: &Shared, headers: &HeaderMap) -> Result<Vec<String>, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        });
    let Some(token) = token else {
        if sh.has(Fault::AcceptsMissingToken) {
            return Ok(sh.config.scopes.clone());
        }
        return Err(status_error(
            sh,
            StatusCode::UNAUTHORIZED,
            "unauthorisedrequest",
            "a bearer access token is required",
        ));
    };
    let tokens = lock(&sh.tokens);
    match tokens.get(&token) {
        Some(g) if g.expires > Instant::now() => Ok(g.scopes.clone()),
        _ if sh.has(Fault::AcceptsBadToken) => Ok(sh.config.scopes.clone()),
        _ => Err(status_error(
            sh,
            StatusCode::UNAUTHORIZED,
            "unauthorisedrequest",
            "the access token is unknown or expired",
        )),
    }
}

// ---- data endpoints ---------------------------------------------------------------------

/// What a request under [`BASE_PATH`] addresses.
enum Target {
    List(Coll, Option<(String, Vec<String>)>),
    Single(Coll, String),
    Relation {
        parent: Coll,
        parent_id: String,
        child: Coll,
        scope: Option<(String, Vec<String>)>,
    },
}

/// Users enrolled in class `class` (with `role` when given).
fn enrolled_sql(class: &str, role: Option<&str>) -> (String, Vec<String>) {
    let mut sql = "sourced_id IN (SELECT json_extract(e.doc, '$.user.sourcedId') FROM entity AS e WHERE e.collection = 'enrollments' AND json_extract(e.doc, '$.class.sourcedId') = ?".to_string();
    let mut params = vec![class.to_string()];
    if let Some(r) = role {
        sql.push_str(" AND json_extract(e.doc, '$.role') = ?");
        params.push(r.to_string());
    }
    sql.push(')');
    (sql, params)
}

/// `cond` restricted to a class `class` whose school is `school`.
fn in_school(cond: (String, Vec<String>), school: &str, class: &str) -> (String, Vec<String>) {
    let (mut sql, mut params) = cond;
    sql.push_str(" AND EXISTS (SELECT 1 FROM entity AS k WHERE k.collection = 'classes' AND k.sourced_id = ? AND json_extract(k.doc, '$.school.sourcedId') = ?)");
    params.push(class.to_string());
    params.push(school.to_string());
    (sql, params)
}

/// The SQL condition over the child collection that a relation selects.
/// `id` is the parent's sourcedId (the class for the school-class relations,
/// whose school is `school`).
fn relation_scope(
    sh: &Shared,
    parent: &str,
    id: &str,
    child: &str,
    school: Option<&str>,
) -> Option<(String, Vec<String>)> {
    let one = |sql: &str| Some((sql.to_string(), vec![id.to_string()]));
    let at_school = |role: &str| {
        Some((
            "EXISTS (SELECT 1 FROM json_each(doc, '$.roles') AS sr WHERE json_extract(sr.value, '$.role') = ? AND json_extract(sr.value, '$.org.sourcedId') = ?)".to_string(),
            vec![role.to_string(), id.to_string()],
        ))
    };
    if sh.has(Fault::RelationsIgnoreParent)
        && (school.is_some()
            || matches!(
                (parent, child),
                ("courses", "classes")
                    | ("schools", "courses" | "enrollments" | "terms")
                    | ("terms", "gradingPeriods")
            ))
    {
        return None;
    }
    let user_classes = "sourced_id IN (SELECT json_extract(e.doc, '$.class.sourcedId') FROM entity AS e WHERE e.collection = 'enrollments' AND json_extract(e.doc, '$.user.sourcedId') = ?)";
    if let Some(school) = school {
        let cond = match child {
            "enrollments" => (
                "json_extract(doc, '$.class.sourcedId') = ?".to_string(),
                vec![id.to_string()],
            ),
            "students" => enrolled_sql(id, Some("student")),
            "teachers" => enrolled_sql(id, Some("teacher")),
            _ => return None,
        };
        return Some(in_school(cond, school, id));
    }
    match (parent, child) {
        ("schools", "classes") if sh.has(Fault::SchoolClassesUnfiltered) => None,
        ("schools", "classes") => one("json_extract(doc, '$.school.sourcedId') = ?"),
        ("classes", "students") if sh.has(Fault::ClassStudentsIncludeTeachers) => {
            Some(enrolled_sql(id, None))
        }
        ("classes", "students") => Some(enrolled_sql(id, Some("student"))),
        ("classes", "teachers") => Some(enrolled_sql(id, Some("teacher"))),
        ("courses", "classes") => one("json_extract(doc, '$.course.sourcedId') = ?"),
        ("schools", "courses") => one("json_extract(doc, '$.org.sourcedId') = ?"),
        ("schools", "enrollments") => one("json_extract(doc, '$.school.sourcedId') = ?"),
        ("schools", "students") if sh.has(Fault::SchoolStudentsIncludeTeachers) => one(
            "EXISTS (SELECT 1 FROM json_each(doc, '$.roles') AS sr WHERE json_extract(sr.value, '$.org.sourcedId') = ?)",
        ),
        ("schools", "students") => at_school("student"),
        ("schools", "teachers") => at_school("teacher"),
        ("schools", "terms") => Some((
            format!(
                "{TERMS_SQL} AND sourced_id IN (SELECT json_extract(t.value, '$.sourcedId') FROM entity AS k, json_each(k.doc, '$.terms') AS t WHERE k.collection = 'classes' AND json_extract(k.doc, '$.school.sourcedId') = ?)"
            ),
            vec![id.to_string()],
        )),
        ("users", "classes") if sh.has(Fault::UserClassesIgnoresEnrollment) => one(
            "json_extract(doc, '$.school.sourcedId') IN (SELECT json_extract(ur.value, '$.org.sourcedId') FROM entity AS u, json_each(u.doc, '$.roles') AS ur WHERE u.collection = 'users' AND u.sourced_id = ?)",
        ),
        ("users" | "students" | "teachers", "classes") => one(user_classes),
        ("terms", "classes") if sh.has(Fault::TermClassesUnfiltered) => None,
        ("terms", "classes") => one(
            "EXISTS (SELECT 1 FROM json_each(doc, '$.terms') AS tt WHERE json_extract(tt.value, '$.sourcedId') = ?)",
        ),
        ("terms", "gradingPeriods") => one(
            "json_extract(doc, '$.type') = 'gradingPeriod' AND json_extract(doc, '$.parent.sourcedId') = ?",
        ),
        _ => None,
    }
}

/// Whether `(parent, child)` is a rostering relation.
fn is_relation(parent: &str, child: &str) -> bool {
    matches!(
        (parent, child),
        (
            "schools",
            "classes" | "courses" | "enrollments" | "students" | "teachers" | "terms"
        ) | ("classes", "students" | "teachers")
            | ("courses", "classes")
            | ("users" | "students" | "teachers" | "terms", "classes")
            | ("terms", "gradingPeriods")
    )
}

/// The collection a relation's members come from.
fn child_coll(child: &str) -> Option<Coll> {
    coll(match child {
        // Students and teachers of a class or school are users.
        "students" | "teachers" => "users",
        // A school's terms and a term's grading periods are academic sessions.
        "terms" | "gradingPeriods" => "academicSessions",
        other => other,
    })
}

fn target(sh: &Shared, rest: &str) -> Option<Target> {
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match segs.as_slice() {
        ["terms", _, "gradingPeriods"] if sh.has(Fault::TermGradingPeriodsMissing) => None,
        ["gradingPeriods"] if sh.has(Fault::GradingPeriodsUnfiltered) => {
            Some(Target::List(coll("gradingPeriods")?, None))
        }
        [c] => {
            let c = coll(c)?;
            Some(Target::List(c, view_sql(c.view)))
        }
        [c, id] => Some(Target::Single(coll(c)?, (*id).to_string())),
        [p, id, ch] if is_relation(p, ch) => Some(Target::Relation {
            parent: coll(p)?,
            parent_id: (*id).to_string(),
            child: child_coll(ch)?,
            scope: relation_scope(sh, p, id, ch, None),
        }),
        // The class is the parent that must exist; that it is the school's
        // is part of the condition (and checked for the 404 in `handle`).
        ["schools", school, "classes", class, ch]
            if matches!(*ch, "enrollments" | "students" | "teachers") =>
        {
            Some(Target::Relation {
                parent: coll("classes")?,
                parent_id: (*class).to_string(),
                child: child_coll(ch)?,
                scope: relation_scope(sh, "classes", class, ch, Some(school)),
            })
        }
        _ => None,
    }
}

/// For `/schools/{s}/classes/{c}/...`: whether school `s` exists and class
/// `c` is one of its classes (`true` for every other path).
fn school_class_matches(sh: &Shared, rest: &str) -> Result<bool, SisError> {
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let ["schools", school, "classes", class, _] = segs.as_slice() else {
        return Ok(true);
    };
    let of_school = (
        "json_extract(doc, '$.school.sourcedId') = ?".to_string(),
        vec![(*school).to_string()],
    );
    Ok(sh
        .store
        .get("orgs", school, view_sql(View::Schools).as_ref())?
        .is_some()
        && sh.store.get("classes", class, Some(&of_school))?.is_some())
}

/// The collection parameters of a 1.2 rostering request, with this SIS's
/// faults applied to the reference parse.
#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself, built once per refused request
fn parse_params(
    sh: &Shared,
    c: Coll,
    pairs: &[(String, String)],
) -> Result<params::Parsed, Response> {
    let rules = params::Rules {
        queryable: c.fields,
        selectable: c.fields,
        sort: params::SortRules::V1p2,
    };
    let mut p = params::parse(pairs, &rules)
        .map_err(|e| status_error(sh, StatusCode::BAD_REQUEST, e.minor(), &e.to_string()))?;
    p.query.defects = sh.filter_defects();
    if sh.has(Fault::SortIgnored) {
        p.query.sort = None;
    }
    if sh.has(Fault::FieldsIgnored) {
        p.fields = None;
    }
    if sh.has(Fault::OverlappingPages) && p.query.offset > 0 {
        p.query.offset -= 1;
    }
    Ok(p)
}

/// Applies output faults and the `fields` selection to one document.
fn render(sh: &Shared, c: Coll, mut doc: Value, fields: Option<&[String]>) -> Value {
    if let Value::Object(m) = &mut doc {
        if sh.has(Fault::EnumWrongCase)
            && c.table == "orgs"
            && let Some(Value::String(t)) = m.get_mut("type")
        {
            let mut ch = t.chars();
            if let Some(f) = ch.next() {
                *t = f.to_uppercase().chain(ch).collect();
            }
        }
        if sh.has(Fault::DateWithoutTime)
            && let Some(Value::String(d)) = m.get_mut("dateLastModified")
        {
            d.truncate(10);
        }
        if sh.has(Fault::BooleansAsJson) {
            for k in std::iter::once("enabledUser").chain(DEMOGRAPHICS_FLAGS) {
                if let Some(v) = m.get_mut(k)
                    && let Some(s) = v.as_str()
                {
                    *v = Value::Bool(s == "true");
                }
            }
        }
        if let Some(fs) = fields {
            m.retain(|k, _| fs.iter().any(|f| f == k));
        }
    }
    doc
}

fn link_header(
    sh: &Shared,
    path: &str,
    pairs: &[(String, String)],
    q: &Query,
    total: u64,
) -> String {
    let url_for = |offset: u64| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if k != "limit" && k != "offset" {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("limit", &q.limit.to_string());
        ser.append_pair("offset", &offset.to_string());
        format!("{}{path}?{}", sh.origin, ser.finish())
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / q.limit * q.limit
    };
    let mut links = vec![format!("<{}>; rel=\"first\"", url_for(0))];
    if q.offset > 0 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            url_for(q.offset.saturating_sub(q.limit))
        ));
    }
    if q.offset + q.limit < total {
        links.push(format!("<{}>; rel=\"next\"", url_for(q.offset + q.limit)));
    }
    links.push(format!("<{}>; rel=\"last\"", url_for(last)));
    links.join(", ")
}

async fn data(
    State(sh): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let granted = match authorize(&sh, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let rest = uri
        .path()
        .strip_prefix(BASE_PATH)
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string();
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let path = uri.path().to_string();
    let sh2 = Arc::clone(&sh);
    // The store is synchronous (SQLite): run the query on the blocking pool.
    let out =
        tokio::task::spawn_blocking(move || handle(&sh2, &rest, &path, &pairs, &granted)).await;
    match out {
        Ok(r) => r,
        Err(e) => status_error(
            &sh,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            &format!("query task failed: {e}"),
        ),
    }
}

fn handle(
    sh: &Shared,
    rest: &str,
    path: &str,
    pairs: &[(String, String)],
    granted: &[String],
) -> Response {
    let Some(t) = target(sh, rest) else {
        return status_error(
            sh,
            StatusCode::NOT_FOUND,
            "unknownobject",
            "no such endpoint",
        );
    };
    let needed: &[&str] = match &t {
        Target::Relation { .. } => &[SCOPE_ROSTER],
        Target::List(c, _) | Target::Single(c, _)
            if c.table == "demographics" && !sh.has(Fault::DemographicsUnscoped) =>
        {
            &[SCOPE_DEMOGRAPHICS]
        }
        Target::List(c, _) | Target::Single(c, _) if c.table == "demographics" => {
            &[SCOPE_DEMOGRAPHICS, SCOPE_ROSTER, SCOPE_ROSTER_CORE]
        }
        _ => &[SCOPE_ROSTER, SCOPE_ROSTER_CORE],
    };
    if !sh.has(Fault::IgnoresScopes) && !granted.iter().any(|g| needed.contains(&g.as_str())) {
        return status_error(
            sh,
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!(
                "this operation needs one of the scopes {}",
                needed.join(", ")
            ),
        );
    }
    let internal = |e: SisError| {
        status_error(
            sh,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            &e.to_string(),
        )
    };
    let (c, scope) = match t {
        Target::Single(c, id) => {
            let fields = match parse_params(sh, c, pairs) {
                Ok(p) => p.fields,
                Err(r) => return r,
            };
            return match sh.store.get(c.table, &id, view_sql(c.view).as_ref()) {
                Ok(Some(doc)) => {
                    let doc = render(sh, c, doc, fields.as_deref());
                    let single =
                        if c.table == "demographics" && sh.has(Fault::DemographicsWrongEnvelope) {
                            "demographic"
                        } else {
                            c.single
                        };
                    if c.table == "enrollments" && sh.has(Fault::EnrollmentWithoutEnvelope) {
                        return axum::Json(doc).into_response();
                    }
                    axum::Json(json!({ single: doc })).into_response()
                }
                Ok(None) => status_error(
                    sh,
                    StatusCode::NOT_FOUND,
                    "unknownobject",
                    &format!("no {} with sourcedId `{id}`", c.single),
                ),
                Err(e) => internal(e),
            };
        }
        Target::List(c, scope) => (c, scope),
        Target::Relation {
            parent,
            parent_id,
            child,
            scope,
        } => {
            let found = sh
                .store
                .get(parent.table, &parent_id, view_sql(parent.view).as_ref())
                .map(|d| d.is_some())
                .and_then(|f| Ok(f && school_class_matches(sh, rest)?));
            match found {
                Ok(true) => {}
                Ok(false) if sh.has(Fault::RelationUnknownParentEmpty) => {
                    let mut resp = axum::Json(json!({ child.envelope: [] })).into_response();
                    resp.headers_mut()
                        .insert("x-total-count", HeaderValue::from_static("0"));
                    return resp;
                }
                Ok(false) => {
                    return status_error(
                        sh,
                        StatusCode::NOT_FOUND,
                        "unknownobject",
                        &format!("no {} with sourcedId `{parent_id}`", parent.single),
                    );
                }
                Err(e) => return internal(e),
            }
            (child, scope)
        }
    };
    let p = match parse_params(sh, c, pairs) {
        Ok(p) => p,
        Err(r) => {
            if sh.has(Fault::UnknownFilterFieldIgnored)
                && pairs.iter().any(|(k, _)| k == "filter")
                && pairs.iter().filter(|(k, _)| k == "filter").any(|(_, f)| {
                    matches!(
                        filter::parse(f, c.fields),
                        Err(filter::FilterError::UnknownField(_))
                    )
                })
            {
                let mut resp = axum::Json(json!({ c.envelope: [] })).into_response();
                resp.headers_mut()
                    .insert("x-total-count", HeaderValue::from_static("0"));
                return resp;
            }
            return r;
        }
    };
    let mut q = p.query;
    // The view (schools, students...) or the relation narrows the set.
    q.scope = scope;
    let (docs, total) = match sh.store.list(c.table, &q) {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
    let count = if sh.has(Fault::TotalCountIsPageSize) {
        docs.len() as u64
    } else {
        total
    };
    let docs: Vec<Value> = docs
        .into_iter()
        .map(|d| render(sh, c, d, p.fields.as_deref()))
        .collect();
    let link = (!sh.has(Fault::MissingLinkHeader)).then(|| link_header(sh, path, pairs, &q, total));
    params::page(c.envelope, docs, count, link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_with_defaults_and_refuses_inline_secrets() {
        let cfg: Result<SisConfig, _> = toml::from_str(
            "listen = \"127.0.0.1:0\"\nbundle = \"b\"\nclient_secret = \"file:/dev/null\"\nfaults = [\"filter-ignores-and\"]\n",
        );
        let cfg = cfg.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.client_id, DEFAULT_CLIENT_ID);
        assert_eq!(cfg.faults, vec![Fault::FilterIgnoresAnd]);
        let inline: Result<SisConfig, _> = toml::from_str(
            "listen = \"127.0.0.1:0\"\nbundle = \"b\"\nclient_secret = \"hunter2\"\n",
        );
        assert!(inline.is_err());
    }

    const COMMON: [&str; 4] = ["sourcedId", "status", "dateLastModified", "metadata"];

    #[test]
    fn every_collection_shares_the_common_fields() {
        for c in [
            "orgs",
            "schools",
            "academicSessions",
            "courses",
            "classes",
            "users",
            "students",
            "teachers",
            "enrollments",
            "terms",
            "gradingPeriods",
            "demographics",
        ] {
            let c = coll(c).unwrap_or_else(|| panic!("{c}"));
            for f in COMMON {
                assert!(c.fields.contains(&f), "{} lacks {f}", c.envelope);
            }
        }
    }
}
