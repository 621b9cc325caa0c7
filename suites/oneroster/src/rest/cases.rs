//! The `oneroster-provider` catalog and case functions.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use serde_json::{Value, json};

use accredit_core::http::Captured;
use accredit_core::{CaseCx, CaseMeta, Level, Outcome, Verdict};

use super::{ProviderProfile, ROSTERING_OPENAPI, SCOPE_DEMOGRAPHICS, SCOPE_ROSTER_CORE, TokenAuth};

/// What the cases share.
#[derive(Debug)]
pub struct Fixture {
    pub(super) profile: ProviderProfile,
    pub(super) schemas: Schemas,
    /// The gradebook and resources OpenAPI validators.
    pub(super) service_schemas: super::gradebook::ServiceSchemas,
    /// The rostering collections this run has walked ([`Client::truth`]).
    pub(super) truths: Truths,
}

/// The whole rostering collections a run has walked, shared by the cases that
/// judge against them.
///
/// Why: a dozen cases compare what the provider answers (a filter, a page
/// walk, a relation) with the whole collection it comes from. Walking
/// `/users` again in each of them made the suite scale with the district
/// times the number of such cases (46 s at 100k users). Rostering data does
/// not change during a run (the suite writes only gradebook objects), so each
/// collection is walked once, by the first case that needs it; that walk's
/// exchanges are in that case's evidence, and every other case that uses it
/// says so in its log. Running a single case (`--case`) walks in that case.
#[derive(Default)]
pub(super) struct Truths {
    cells: Mutex<HashMap<&'static str, Arc<tokio::sync::OnceCell<Walked>>>>,
}

impl std::fmt::Debug for Truths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Truths")
    }
}

/// One shared walk: its records (or why it did not complete) and the case
/// whose evidence holds it.
struct Walked {
    records: Result<Arc<Vec<Value>>, Stop>,
    by: &'static str,
}

// ---- catalog ---------------------------------------------------------------------

macro_rules! ids {
    ($($name:ident = $id:literal;)*) => {
        $(#[doc = concat!("`", $id, "`")] pub const $name: &str = $id;)*
    };
}

ids! {
    AUTH_TOKEN = "oneroster.rest.auth.token";
    AUTH_NO_TOKEN = "oneroster.rest.auth.no-token";
    AUTH_BAD_TOKEN = "oneroster.rest.auth.bad-token";
    AUTH_SCOPE = "oneroster.rest.auth.scope";
    COLLECTIONS = "oneroster.rest.read.collections";
    SINGLE = "oneroster.rest.read.single";
    UNKNOWN_ID = "oneroster.rest.read.unknown-id";
    REQUIRED = "oneroster.rest.model.required-fields";
    ENUMS = "oneroster.rest.model.enumerations";
    FORMATS = "oneroster.rest.model.formats";
    REFERENCES = "oneroster.rest.model.references";
    SCHEMA = "oneroster.rest.model.schema";
    TOTAL = "oneroster.rest.paging.total-count";
    WALK = "oneroster.rest.paging.walk";
    LINK = "oneroster.rest.paging.link";
    FILTER_OPS = "oneroster.rest.filter.operators";
    FILTER_LOGICAL = "oneroster.rest.filter.logical";
    FILTER_UNKNOWN = "oneroster.rest.filter.unknown-field";
    FIELDS = "oneroster.rest.fields.selection";
    FIELDS_BLANK = "oneroster.rest.fields.blank";
    SORT = "oneroster.rest.sort";
    SCHOOL_CLASSES = "oneroster.rest.cross.school-classes";
    CLASS_STUDENTS = "oneroster.rest.cross.class-students";
}

const SPEC: &str = "OneRoster 1.2 Rostering Service REST Binding";
const OPENAPI: &str = "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2rostersservice_openapi3_v1p0.json";
const BINDING: &str = "https://www.imsglobal.org/spec/oneroster/v1p2/rostering/rest/";

#[allow(clippy::too_many_arguments)]
const fn meta(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
    level: Level,
    official: bool,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: "provider",
        spec_document: SPEC,
        spec_section: section,
        spec_url: url,
        requirement,
        level,
        official,
        tags,
        exclusive: false,
    }
}

/// Every case of `oneroster-provider`, in report order.
pub fn catalog() -> Vec<CaseMeta> {
    use Level::{Must, Should};
    vec![
        meta(
            AUTH_TOKEN,
            "The token endpoint issues a bearer token for client credentials",
            "Security: OAuth2CC",
            OPENAPI,
            "OAuth 2 Client Credentials (as per the requirements in the IMS Security Framework) is to be used.",
            Must,
            true,
            &["oneroster", "auth"],
        ),
        meta(
            AUTH_NO_TOKEN,
            "A request without an access token is refused with 401",
            "Security: OAuth2CC",
            OPENAPI,
            "401: The request was not correctly authorised i.e. 'unauthorisedrequest'.",
            Must,
            true,
            &["oneroster", "auth"],
        ),
        meta(
            AUTH_BAD_TOKEN,
            "A request with an unknown access token is refused with 401",
            "Security: OAuth2CC",
            OPENAPI,
            "401: The request was not correctly authorised i.e. 'unauthorisedrequest'.",
            Must,
            true,
            &["oneroster", "auth"],
        ),
        meta(
            AUTH_SCOPE,
            "A token without the operation's scope is refused with 403",
            "Security: scopes",
            OPENAPI,
            "403: This is used to indicate that the server can be reached and process the request but refuses to take any further action i.e. 'forbidden'.",
            Must,
            true,
            &["oneroster", "auth"],
        ),
        meta(
            COLLECTIONS,
            "Every collection endpoint answers 200 with its envelope",
            "getAll*",
            OPENAPI,
            "The request was successfully completed and a collection has been returned.",
            Must,
            true,
            &["oneroster", "read"],
        ),
        meta(
            SINGLE,
            "Single-object endpoints answer 200 with the singular envelope",
            "get*",
            OPENAPI,
            "The request was successfully completed and the object has been returned.",
            Must,
            true,
            &["oneroster", "read"],
        ),
        meta(
            UNKNOWN_ID,
            "An unknown sourcedId answers 404 unknownobject with the 1.2 status payload",
            "get*: 404",
            OPENAPI,
            "404: Either the supplied identifier is unknown in the Service Provider and so the object could not be changed or an invalid identifier was supplied i.e. 'unknownobject'.",
            Must,
            true,
            &["oneroster", "read", "errors"],
        ),
        meta(
            REQUIRED,
            "Every record carries the fields the data model requires",
            "Data model",
            OPENAPI,
            "The `required` properties of UserDType, OrgDType, ClassDType, CourseDType, EnrollmentDType and AcademicSessionDType.",
            Must,
            true,
            &["oneroster", "model"],
        ),
        meta(
            ENUMS,
            "Enumerated values are exact (case-sensitive) and booleans are strings",
            "Data model: enumerations",
            OPENAPI,
            "status: 'active' | 'tobedeleted'; org type, classType, academic session type, enrollment role, roleType, role, GUIDRef type from their enumerations (or `ext:`); enabledUser and primary the strings 'true' | 'false'.",
            Must,
            true,
            &["oneroster", "model"],
        ),
        meta(
            FORMATS,
            "Dates and date-times are formatted as the data model says",
            "Data model: primitive types",
            OPENAPI,
            "dateLastModified is a date-time (ISO 8601 with time and zone); startDate, endDate and beginDate are dates (YYYY-MM-DD); schoolYear is a year (YYYY).",
            Must,
            true,
            &["oneroster", "model"],
        ),
        meta(
            REFERENCES,
            "GUID references resolve to the objects they name",
            "GUIDRefDType",
            OPENAPI,
            "href: The URI for the type of object being referenced. sourcedId: The globally unique identifier of the object being referenced.",
            Must,
            true,
            &["oneroster", "model"],
        ),
        meta(
            SCHEMA,
            "Response bodies validate against the official OpenAPI component schemas",
            "components.schemas",
            OPENAPI,
            "The response payloads are defined by the *SetDType and Single*DType schemas of the OpenAPI document.",
            Must,
            true,
            &["oneroster", "model", "schema"],
        ),
        meta(
            TOTAL,
            "X-Total-Count is the total number of records, not the page size",
            "Pagination",
            BINDING,
            "X-Total-Count: The total number of resources that are available to be returned.",
            Must,
            false,
            &["oneroster", "paging"],
        ),
        meta(
            WALK,
            "Walking every page with limit/offset yields each record exactly once",
            "Pagination",
            BINDING,
            "limit: the maximum number of records to be contained in the response; offset: the number of the first record to be supplied in the segmented response message.",
            Must,
            false,
            &["oneroster", "paging"],
        ),
        meta(
            LINK,
            "Collections carry an RFC 8288 Link header with next/prev/first/last",
            "Pagination: links",
            BINDING,
            "The links first, last, next and prev get the corresponding set of resources.",
            Should,
            false,
            &["oneroster", "paging"],
        ),
        meta(
            FILTER_OPS,
            "Each filter operator selects exactly the matching records",
            "Filtering",
            BINDING,
            "Predicates =, !=, >, >=, <, <= and ~ (contains); values are in single quotes and compared case-insensitively.",
            Must,
            false,
            &["oneroster", "filter"],
        ),
        meta(
            FILTER_LOGICAL,
            "AND and OR combine two predicates",
            "Filtering",
            BINDING,
            "filter=<field><pred><value> <AND|OR> <field><pred><value>.",
            Must,
            false,
            &["oneroster", "filter"],
        ),
        meta(
            FILTER_UNKNOWN,
            "An unknown filter field answers 400 invalid_filter_field",
            "Filtering",
            BINDING,
            "If the field does not exist the response is no data, with the status 'failure', severity 'error' and code minor 'invalid_filter_field' (HTTP 400).",
            Must,
            false,
            &["oneroster", "filter", "errors"],
        ),
        meta(
            FIELDS,
            "fields returns only the selected fields",
            "Field selection",
            BINDING,
            "fields: To identify the range of fields that should be supplied in the response message.",
            Must,
            false,
            &["oneroster", "fields"],
        ),
        meta(
            FIELDS_BLANK,
            "A blank fields parameter answers 400 invalid_selection_field",
            "Field selection",
            BINDING,
            "400: An invalid selection field was supplied and data filtering on the selection criteria was not possible i.e. 'invalid_selection_field'.",
            Must,
            false,
            &["oneroster", "fields", "errors"],
        ),
        meta(
            SORT,
            "sort and orderBy order the records",
            "Sorting",
            BINDING,
            "sort: the sort criteria to be used for the records; orderBy: ascending (asc) or descending (desc).",
            Must,
            false,
            &["oneroster", "sort"],
        ),
        meta(
            SCHOOL_CLASSES,
            "The classes of a school are the classes whose school is that school",
            "getClassesForSchool",
            OPENAPI,
            "To read, get, a collection of classes related to a specific school.",
            Must,
            false,
            &["oneroster", "cross"],
        ),
        meta(
            CLASS_STUDENTS,
            "The students of a class are the users enrolled in it as students",
            "getStudentsForClass",
            OPENAPI,
            "To read, get, a collection of students related to a specific class.",
            Must,
            false,
            &["oneroster", "cross"],
        ),
    ]
    .into_iter()
    .chain(super::gradebook::catalog())
    .chain(super::resources::catalog())
    .chain(super::relations::catalog())
    .collect()
}

// ---- schemas ---------------------------------------------------------------------

/// Validators for the OpenAPI component schemas, when the schema directory has them.
pub struct Schemas {
    pub(super) validators: Result<HashMap<&'static str, jsonschema::Validator>, String>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schemas")
    }
}

const DTYPES: [&str; 14] = [
    "OrgSetDType",
    "SingleOrgDType",
    "AcademicSessionSetDType",
    "SingleAcademicSessionDType",
    "CourseSetDType",
    "SingleCourseDType",
    "ClassSetDType",
    "SingleClassDType",
    "UserSetDType",
    "SingleUserDType",
    "EnrollmentSetDType",
    "SingleEnrollmentDType",
    "DemographicsSetDType",
    "SingleDemographicsDType",
];

impl Schemas {
    /// Loads the rostering OpenAPI from `dir`; the reason when it cannot.
    pub fn load(dir: Option<&Path>) -> Schemas {
        let validators = (|| {
            let dir =
                dir.ok_or("no schema directory was given (--schemas or ACCREDIT_SCHEMA_DIR)")?;
            let path = dir.join(ROSTERING_OPENAPI);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
            let components = doc.get("components").cloned().unwrap_or(Value::Null);
            let mut out = HashMap::new();
            for name in DTYPES {
                let schema = json!({"$ref": format!("#/components/schemas/{name}"), "components": components});
                let v = jsonschema::options()
                    .should_validate_formats(true)
                    .build(&schema)
                    .map_err(|e| format!("{name} in {}: {e}", path.display()))?;
                out.insert(name, v);
            }
            Ok::<_, String>(out)
        })();
        Schemas { validators }
    }
}

// ---- HTTP helpers -------------------------------------------------------------------

/// A collection endpoint: path, envelope key, singular key, schema prefix.
struct Endpoint {
    path: &'static str,
    envelope: &'static str,
    single: &'static str,
    dtype: &'static str,
}

const ENDPOINTS: [Endpoint; 9] = [
    Endpoint {
        path: "orgs",
        envelope: "orgs",
        single: "org",
        dtype: "Org",
    },
    Endpoint {
        path: "schools",
        envelope: "orgs",
        single: "org",
        dtype: "Org",
    },
    Endpoint {
        path: "academicSessions",
        envelope: "academicSessions",
        single: "academicSession",
        dtype: "AcademicSession",
    },
    Endpoint {
        path: "courses",
        envelope: "courses",
        single: "course",
        dtype: "Course",
    },
    Endpoint {
        path: "classes",
        envelope: "classes",
        single: "class",
        dtype: "Class",
    },
    Endpoint {
        path: "users",
        envelope: "users",
        single: "user",
        dtype: "User",
    },
    Endpoint {
        path: "students",
        envelope: "users",
        single: "user",
        dtype: "User",
    },
    Endpoint {
        path: "teachers",
        envelope: "users",
        single: "user",
        dtype: "User",
    },
    Endpoint {
        path: "enrollments",
        envelope: "enrollments",
        single: "enrollment",
        dtype: "Enrollment",
    },
];

fn endpoint(path: &str) -> &'static Endpoint {
    ENDPOINTS
        .iter()
        .find(|e| e.path == path)
        .unwrap_or(&ENDPOINTS[0])
}

/// Records fetched per page when walking a whole collection.
pub(super) const WALK_LIMIT: usize = 1000;
/// Pages walked at most by the walkers that are not bounded by the profile's
/// `max_walk_records` (the gradebook's, whose collections are per class).
pub(super) const MAX_PAGES: usize = 250;

impl Fixture {
    /// The most records a whole-collection walk reads (the profile's
    /// `max_walk_records`). A walk that would read more is never judged as
    /// if it were complete: it is [`Stop::TooLarge`].
    pub(super) fn walk_bound(&self) -> usize {
        self.profile.max_walk_records.max(1)
    }
}

pub(super) struct Client<'a> {
    pub(super) fx: &'a Fixture,
    pub(super) cx: &'a CaseCx,
    pub(super) token: String,
}

/// A problem that stops a case: an error (could not run) or a failure.
#[derive(Debug, Clone)]
pub(super) enum Stop {
    Error(String),
    Fail(String, String),
    /// A whole-collection walk would read more than the bound: what it read
    /// is not the whole collection, so nothing may be compared with it.
    TooLarge(String),
    /// The case cannot judge this provider (the reason says why): `skip`.
    Skip(String),
}

impl Stop {
    pub(super) fn into_verdict(self, mut v: Verdict) -> Verdict {
        match self {
            Stop::Error(e) => {
                v.check("the provider answered", Outcome::Error, e);
            }
            Stop::TooLarge(path) => {
                return Verdict::skip(format!(
                    "{path} has more records than the harness reads in one walk (the profile's max_walk_records); this case compares a whole collection and cannot judge a partial one"
                ));
            }
            Stop::Skip(why) => return Verdict::skip(why),
            Stop::Fail(name, detail) => {
                v.require(name, false, detail);
            }
        }
        v
    }
}

/// The records of a collection page answered to `GET rel`: 200, JSON, and the
/// `envelope` array; the rostering and gradebook clients share it.
pub(super) fn page_of(
    rel: &str,
    r: Captured,
    envelope: &str,
) -> Result<(Vec<Value>, Captured), Stop> {
    if r.status.as_u16() != 200 {
        return Err(Stop::Fail(
            format!("GET {rel} answered 200"),
            format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
        ));
    }
    let body: Value = r
        .json()
        .map_err(|e| Stop::Fail(format!("GET {rel} answered JSON"), e.to_string()))?;
    let list = body
        .get(envelope)
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| {
            Stop::Fail(
                format!("GET {rel} has the `{envelope}` envelope"),
                format!("body: {}", snippet(&r)),
            )
        })?;
    Ok((list, r))
}

pub(super) fn snippet(r: &Captured) -> String {
    let t = r.text();
    let cut: String = t.trim().chars().take(160).collect();
    if cut.is_empty() {
        "empty body".into()
    } else {
        cut
    }
}

/// Obtains a token with `scopes` (client_secret_basic).
async fn token(
    fx: &Fixture,
    cx: &CaseCx,
    scopes: &[String],
) -> Result<(Captured, Option<String>), Stop> {
    let mut form = vec![
        ("grant_type", "client_credentials".to_string()),
        ("scope", scopes.join(" ")),
    ];
    let mut b = cx.http().inner().post(fx.profile.token_url.as_str());
    match fx.profile.token_auth {
        TokenAuth::ClientSecretBasic => {
            b = b.basic_auth(
                &fx.profile.client_id,
                Some(fx.profile.client_secret.expose()),
            );
        }
        TokenAuth::ClientSecretPost => {
            form.push(("client_id", fx.profile.client_id.clone()));
            form.push((
                "client_secret",
                fx.profile.client_secret.expose().to_string(),
            ));
        }
    }
    let b = b.form(&form);
    let r = cx
        .http()
        .send(b)
        .await
        .map_err(|e| Stop::Error(format!("token request: {e}")))?;
    let tok = r.json::<Value>().ok().and_then(|v| {
        v.get("access_token")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    if let Some(t) = &tok {
        cx.evidence.redactor().add_secret(t.clone());
    }
    Ok((r, tok))
}

impl<'a> Client<'a> {
    pub(super) async fn new(fx: &'a Fixture, cx: &'a CaseCx) -> Result<Client<'a>, Stop> {
        Client::with_scopes(fx, cx, &fx.profile.scopes).await
    }

    pub(super) async fn with_scopes(
        fx: &'a Fixture,
        cx: &'a CaseCx,
        scopes: &[String],
    ) -> Result<Client<'a>, Stop> {
        let (r, tok) = token(fx, cx, scopes).await?;
        match tok {
            Some(token) if r.status.is_success() => Ok(Client { fx, cx, token }),
            _ => Err(Stop::Error(format!(
                "no access token from {} (status {}): {}",
                fx.profile.token_url.as_str(),
                r.status.as_u16(),
                snippet(&r)
            ))),
        }
    }

    fn url(&self, rel: &str) -> String {
        format!(
            "{}/{}",
            self.fx.profile.base_url.as_str().trim_end_matches('/'),
            rel
        )
    }

    pub(super) async fn raw(&self, url: &str, auth: Option<&str>) -> Result<Captured, Stop> {
        let mut b = self.cx.http().inner().get(url);
        if let Some(a) = auth {
            b = b.header(reqwest::header::AUTHORIZATION, a);
        }
        self.cx
            .http()
            .send(b)
            .await
            .map_err(|e| Stop::Error(format!("GET {url}: {e}")))
    }

    /// GET `rel` (path and query under the base URL) with the token.
    pub(super) async fn get(&self, rel: &str) -> Result<Captured, Stop> {
        self.raw(&self.url(rel), Some(&format!("Bearer {}", self.token)))
            .await
    }

    /// GET a collection page; the records and the response.
    pub(super) async fn page(
        &self,
        rel: &str,
        envelope: &str,
    ) -> Result<(Vec<Value>, Captured), Stop> {
        let r = self.get(rel).await?;
        page_of(rel, r, envelope)
    }

    /// Every record of `path` (with `query`), by offset ([`Client::walk_env`]).
    async fn all(&self, path: &str, query: &str) -> Result<Vec<Value>, Stop> {
        let env = endpoint(path.rsplit('/').next().unwrap_or(path)).envelope;
        let env = if path.ends_with("/students") || path.ends_with("/teachers") {
            "users"
        } else {
            env
        };
        self.walk_env(path, query, env).await
    }

    /// Every record of `path` (with `query`) in the `env` envelope, by
    /// offset. A walk that would read more than [`Fixture::walk_bound`]
    /// records is [`Stop::TooLarge`]: found out on the first page when its
    /// `X-Total-Count` says so (a lying header only makes the case skip, and
    /// the total-count case judges the header), otherwise on passing the bound.
    pub(super) async fn walk_env(
        &self,
        path: &str,
        query: &str,
        env: &str,
    ) -> Result<Vec<Value>, Stop> {
        let bound = self.fx.walk_bound();
        let mut out = Vec::new();
        for page in 0.. {
            let rel = format!(
                "{path}?{}limit={WALK_LIMIT}&offset={}",
                if query.is_empty() {
                    String::new()
                } else {
                    format!("{query}&")
                },
                page * WALK_LIMIT
            );
            let (list, r) = self.page(&rel, env).await?;
            if page == 0 && total_of(&r).is_some_and(|t| t > bound) {
                return Err(Stop::TooLarge(path.to_string()));
            }
            let n = list.len();
            out.extend(list);
            if out.len() > bound {
                break;
            }
            if n < WALK_LIMIT {
                return Ok(out);
            }
        }
        Err(Stop::TooLarge(path.to_string()))
    }

    /// Every record of the rostering collection `path` (envelope `env`),
    /// walked once per run ([`Truths`]). The first case to ask walks (and
    /// records the exchanges); later cases log where the walk is recorded. A
    /// walk that did not complete is an `error` for the cases that depend on
    /// it (they never saw the failing exchange), except
    /// [`Stop::TooLarge`], which stays a reason to skip or to judge otherwise.
    pub(super) async fn truth(
        &self,
        path: &'static str,
        env: &'static str,
    ) -> Result<Arc<Vec<Value>>, Stop> {
        let cell = {
            let mut cells = self
                .fx
                .truths
                .cells
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            cells.entry(path).or_default().clone()
        };
        let walked = cell
            .get_or_init(|| async {
                Walked {
                    records: self.walk_env(path, "", env).await.map(Arc::new),
                    by: self.cx.meta.id,
                }
            })
            .await;
        if walked.by == self.cx.meta.id {
            return walked.records.clone();
        }
        match &walked.records {
            Ok(records) => {
                self.cx.log(format!(
                    "expected values computed from this run's walk of /{path} ({} records, pages of {WALK_LIMIT}); its exchanges are recorded in the evidence of case {}",
                    records.len(),
                    walked.by
                ));
                Ok(records.clone())
            }
            Err(Stop::TooLarge(p)) => Err(Stop::TooLarge(p.clone())),
            Err(Stop::Error(e) | Stop::Fail(_, e) | Stop::Skip(e)) => Err(Stop::Error(format!(
                "this run's walk of /{path} (recorded in case {}) did not complete: {e}",
                walked.by
            ))),
        }
    }
}

/// The `X-Total-Count` of a response, when it is a number.
pub(super) fn total_of(r: &Captured) -> Option<usize> {
    r.header("x-total-count")
        .and_then(|h| h.trim().parse::<usize>().ok())
}

pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(super) fn sid(v: &Value) -> String {
    v.get("sourcedId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub(super) fn ref_id(v: &Value, field: &str) -> String {
    v.get(field).map(sid).unwrap_or_default()
}

/// Checks an error response: the status and the 1.2 `imsx_StatusInfoDType` with `minor`.
pub(super) fn check_status_payload(
    v: &mut Verdict,
    what: &str,
    r: &Captured,
    want: u16,
    minor: &str,
) {
    let s = r.status.as_u16();
    if !v.require(
        format!("{what}: answered {want}"),
        s == want,
        format!("answered {s}: {}", snippet(r)),
    ) {
        return;
    }
    let body: Value = r.json().unwrap_or(Value::Null);
    let major = body.get("imsx_codeMajor").and_then(Value::as_str);
    let severity = body.get("imsx_severity").and_then(Value::as_str);
    let minors: Vec<&str> = body
        .pointer("/imsx_CodeMinor/imsx_codeMinorField")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("imsx_codeMinorFieldValue").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    v.require(
        format!("{what}: the 1.2 status payload (failure/error, imsx_CodeMinor {minor})"),
        major == Some("failure") && severity == Some("error") && minors.contains(&minor),
        format!("body: {}", snippet(r)),
    );
}

// ---- dispatch -------------------------------------------------------------------

/// Runs one case.
pub fn run_case<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let id = cx.meta.id;
        if id.starts_with(super::gradebook::PREFIX) {
            return super::gradebook::run_case(fx, cx).await;
        }
        if id.starts_with(super::resources::PREFIX) {
            return super::resources::run_case(fx, cx).await;
        }
        if super::relations::owns(id) {
            return super::relations::run_case(fx, cx).await;
        }
        if id == AUTH_TOKEN {
            return auth_token(fx, cx).await;
        }
        if id == SCHEMA
            && let Err(reason) = &fx.schemas.validators
        {
            return Verdict::skip(format!("the OpenAPI schemas are not available: {reason}"));
        }
        if id == AUTH_SCOPE {
            return match auth_scope(fx, cx).await {
                Ok(v) => v,
                Err(s) => s.into_verdict(Verdict::new()),
            };
        }
        let c = match Client::new(fx, cx).await {
            Ok(c) => c,
            Err(s) => return s.into_verdict(Verdict::new()),
        };
        let mut v = Verdict::new();
        let r = match id {
            AUTH_NO_TOKEN => auth_refused(&c, &mut v, None).await,
            AUTH_BAD_TOKEN => {
                auth_refused(
                    &c,
                    &mut v,
                    Some(format!("Bearer {}", uuid::Uuid::new_v4().simple())),
                )
                .await
            }
            COLLECTIONS => collections(&c, &mut v).await,
            SINGLE => single(&c, &mut v).await,
            UNKNOWN_ID => unknown_id(&c, &mut v).await,
            REQUIRED | ENUMS | FORMATS | SCHEMA => model(&c, &mut v, id).await,
            REFERENCES => references(&c, &mut v).await,
            TOTAL => total(&c, &mut v).await,
            WALK => walk(&c, &mut v).await,
            LINK => link(&c, &mut v).await,
            FILTER_OPS => filter_ops(&c, &mut v).await,
            FILTER_LOGICAL => filter_logical(&c, &mut v).await,
            FILTER_UNKNOWN => {
                let r = c
                    .get(&format!("users?filter={}", enc("accreditNoSuchField='x'")))
                    .await;
                r.map(|r| {
                    check_status_payload(
                        &mut v,
                        "filter on an unknown field",
                        &r,
                        400,
                        "invalid_filter_field",
                    )
                })
            }
            FIELDS => fields(&c, &mut v).await,
            FIELDS_BLANK => {
                let r = c.get("users?fields=").await;
                r.map(|r| {
                    check_status_payload(&mut v, "fields=", &r, 400, "invalid_selection_field")
                })
            }
            SORT => sort(&c, &mut v).await,
            SCHOOL_CLASSES => school_classes(&c, &mut v).await,
            CLASS_STUDENTS => class_students(&c, &mut v).await,
            other => return Verdict::error(format!("no implementation for case {other}")),
        };
        match r {
            Ok(()) => v,
            Err(s) => s.into_verdict(v),
        }
    })
}

// ---- auth -------------------------------------------------------------------------

async fn auth_token(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let (r, tok) = match token(fx, cx, &fx.profile.scopes).await {
        Ok(x) => x,
        Err(s) => return s.into_verdict(v),
    };
    let s = r.status.as_u16();
    if !v.require(
        "the token request answered 200",
        s == 200,
        format!("answered {s}: {}", snippet(&r)),
    ) {
        return v;
    }
    let body: Value = r.json().unwrap_or(Value::Null);
    v.require(
        "access_token is a non-empty string",
        tok.is_some_and(|t| !t.is_empty()),
        format!(
            "body keys: {:?}",
            body.as_object().map(|o| o.keys().collect::<Vec<_>>())
        ),
    );
    let tt = body
        .get("token_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    v.require(
        "token_type is bearer",
        tt.eq_ignore_ascii_case("bearer"),
        format!("token_type `{tt}`"),
    );
    v.recommend(
        "expires_in is given",
        body.get("expires_in").is_some_and(Value::is_number),
        "no numeric expires_in",
    );
    v
}

async fn auth_refused(c: &Client<'_>, v: &mut Verdict, auth: Option<String>) -> Result<(), Stop> {
    let url = c.url("orgs");
    let r = c.raw(&url, auth.as_deref()).await?;
    let s = r.status.as_u16();
    let what = if auth.is_some() {
        "an access token the provider never issued"
    } else {
        "no Authorization header"
    };
    v.require(
        format!("{what}: answered 401"),
        s == 401,
        format!("answered {s}: {}", snippet(&r)),
    );
    Ok(())
}

async fn auth_scope(fx: &Fixture, cx: &CaseCx) -> Result<Verdict, Stop> {
    let has = |s: &str| fx.profile.scopes.iter().any(|x| x == s);
    let mut v = Verdict::new();
    if has(SCOPE_ROSTER_CORE) {
        // roster-core.readonly opens the collections, not the relations.
        let c = Client::with_scopes(fx, cx, &[SCOPE_ROSTER_CORE.to_string()]).await?;
        let (schools, _) = c.page("schools?limit=1", "orgs").await?;
        let Some(school) = schools.first() else {
            return Ok(Verdict::skip(
                "the provider has no school to ask for classes of",
            ));
        };
        let r = c
            .get(&format!("schools/{}/classes", enc(&sid(school))))
            .await?;
        let s = r.status.as_u16();
        v.require(
            "getClassesForSchool with only roster-core.readonly: answered 403",
            s == 403,
            format!("answered {s}: {}", snippet(&r)),
        );
    } else if has(SCOPE_DEMOGRAPHICS) {
        let c = Client::with_scopes(fx, cx, &[SCOPE_DEMOGRAPHICS.to_string()]).await?;
        let r = c.get("orgs").await?;
        let s = r.status.as_u16();
        v.require(
            "getAllOrgs with only roster-demographics.readonly: answered 403",
            s == 403,
            format!("answered {s}: {}", snippet(&r)),
        );
    } else {
        return Ok(Verdict::skip(
            "the profile's scopes include neither roster-core.readonly nor roster-demographics.readonly, so no token lacks a needed scope",
        ));
    }
    Ok(v)
}

// ---- reads --------------------------------------------------------------------------

async fn collections(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for e in &ENDPOINTS {
        match c.page(e.path, e.envelope).await {
            Ok((list, _)) => {
                v.require(
                    format!("GET /{} answered 200 with `{}`", e.path, e.envelope),
                    true,
                    "",
                );
                if e.path == "schools" {
                    let bad: Vec<String> = list
                        .iter()
                        .filter(|o| o.get("type").and_then(Value::as_str) != Some("school"))
                        .map(sid)
                        .collect();
                    v.require(
                        "/schools lists only orgs of type school",
                        bad.is_empty(),
                        format!("not schools: {bad:?}"),
                    );
                }
            }
            Err(Stop::Fail(n, d)) => {
                v.require(n, false, d);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn single(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for e in ENDPOINTS
        .iter()
        .filter(|e| !matches!(e.path, "schools" | "students" | "teachers"))
    {
        let (list, _) = c.page(&format!("{}?limit=1", e.path), e.envelope).await?;
        let Some(first) = list.first() else { continue };
        let id = sid(first);
        let r = c.get(&format!("{}/{}", e.path, enc(&id))).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        v.require(
            format!("GET /{}/{{id}} answered 200 with `{}`", e.path, e.single),
            r.status.as_u16() == 200 && body.get(e.single).map(sid) == Some(id.clone()),
            format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
        );
    }
    Ok(())
}

async fn unknown_id(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let r = c
        .get(&format!(
            "users/accredit-unknown-{}",
            uuid::Uuid::new_v4().simple()
        ))
        .await?;
    check_status_payload(v, "GET /users/{unknown}", &r, 404, "unknownobject");
    Ok(())
}

// ---- model --------------------------------------------------------------------------

fn required(envelope: &str) -> &'static [&'static str] {
    match envelope {
        "orgs" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "name",
            "type",
            "identifier",
        ],
        "academicSessions" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "startDate",
            "endDate",
            "type",
            "schoolYear",
        ],
        "courses" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "courseCode",
        ],
        "classes" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "course",
            "school",
            "terms",
        ],
        "users" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "givenName",
            "familyName",
            "roles",
        ],
        _ => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "user",
            "class",
            "school",
            "role",
        ],
    }
}

pub(super) fn enum_or_ext(value: Option<&Value>, allowed: &[&str]) -> bool {
    match value.and_then(Value::as_str) {
        Some(s) => {
            allowed.contains(&s)
                || s.strip_prefix("ext:").is_some_and(|r| {
                    !r.is_empty()
                        && r.chars()
                            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
                })
        }
        None => value.is_none(),
    }
}

/// Enumeration problems of one record.
fn enum_problems(env: &str, r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut want = |ok: bool, what: &str, val: Option<&Value>| {
        if !ok {
            out.push(format!(
                "{}: {what} = {}",
                sid(r),
                val.map_or("missing".into(), Value::to_string)
            ));
        }
    };
    want(
        enum_or_ext(r.get("status"), &["active", "tobedeleted"])
            && r.get("status")
                .is_some_and(|s| !s.as_str().unwrap_or("").starts_with("ext:")),
        "status",
        r.get("status"),
    );
    let refs: &[(&str, &str)] = match env {
        "orgs" => {
            want(
                enum_or_ext(
                    r.get("type"),
                    &[
                        "department",
                        "district",
                        "local",
                        "national",
                        "school",
                        "state",
                    ],
                ),
                "type",
                r.get("type"),
            );
            &[("parent", "org")]
        }
        "academicSessions" => {
            want(
                enum_or_ext(
                    r.get("type"),
                    &["gradingPeriod", "semester", "schoolYear", "term"],
                ),
                "type",
                r.get("type"),
            );
            &[("parent", "academicSession")]
        }
        "courses" => &[("schoolYear", "academicSession"), ("org", "org")],
        "classes" => {
            want(
                enum_or_ext(r.get("classType"), &["homeroom", "scheduled"]),
                "classType",
                r.get("classType"),
            );
            &[("course", "course"), ("school", "org")]
        }
        "users" => {
            let eu = r.get("enabledUser");
            want(
                eu.is_some_and(|x| matches!(x.as_str(), Some("true" | "false"))),
                "enabledUser",
                eu,
            );
            for role in r
                .get("roles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                want(
                    enum_or_ext(role.get("roleType"), &["primary", "secondary"])
                        && role.get("roleType").is_some(),
                    "roles[].roleType",
                    role.get("roleType"),
                );
                want(
                    enum_or_ext(
                        role.get("role"),
                        &[
                            "aide",
                            "counselor",
                            "districtAdministrator",
                            "guardian",
                            "parent",
                            "principal",
                            "proctor",
                            "relative",
                            "siteAdministrator",
                            "student",
                            "systemAdministrator",
                            "teacher",
                        ],
                    ),
                    "roles[].role",
                    role.get("role"),
                );
                want(
                    role.pointer("/org/type").and_then(Value::as_str) == Some("org"),
                    "roles[].org.type",
                    role.pointer("/org/type"),
                );
            }
            &[("primaryOrg", "org")]
        }
        _ => {
            want(
                enum_or_ext(
                    r.get("role"),
                    &["administrator", "proctor", "student", "teacher"],
                ),
                "role",
                r.get("role"),
            );
            if let Some(p) = r.get("primary") {
                want(
                    matches!(p.as_str(), Some("true" | "false")),
                    "primary",
                    Some(p),
                );
            }
            &[("user", "user"), ("class", "class"), ("school", "org")]
        }
    };
    for (field, kind) in refs {
        if let Some(x) = r.get(*field) {
            want(
                x.get("type").and_then(Value::as_str) == Some(kind),
                &format!("{field}.type"),
                x.get("type"),
            );
        }
    }
    out
}

pub(super) fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn format_problems(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let id = sid(r);
    match r.get("dateLastModified").and_then(Value::as_str) {
        Some(d) if chrono::DateTime::parse_from_rfc3339(d).is_ok() => {}
        other => out.push(format!(
            "{id}: dateLastModified {other:?} is not a date-time"
        )),
    }
    let mut dates: Vec<(&str, &Value)> = ["startDate", "endDate", "beginDate"]
        .iter()
        .filter_map(|k| r.get(*k).map(|v| (*k, v)))
        .collect();
    for role in r
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        dates.extend(
            ["beginDate", "endDate"]
                .iter()
                .filter_map(|k| role.get(*k).map(|v| (*k, v))),
        );
    }
    for (k, d) in dates {
        if !d.as_str().is_some_and(is_date) {
            out.push(format!("{id}: {k} {d} is not a date (YYYY-MM-DD)"));
        }
    }
    if let Some(y) = r.get("schoolYear").and_then(Value::as_str)
        && !(y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()))
    {
        out.push(format!("{id}: schoolYear `{y}` is not a year (YYYY)"));
    }
    out
}

const SAMPLE: usize = 25;

async fn model(c: &Client<'_>, v: &mut Verdict, id: &str) -> Result<(), Stop> {
    for e in ENDPOINTS
        .iter()
        .filter(|e| !matches!(e.path, "schools" | "students" | "teachers"))
    {
        let rel = format!("{}?limit={SAMPLE}", e.path);
        let (list, resp) = c.page(&rel, e.envelope).await?;
        let mut problems = Vec::new();
        match id {
            REQUIRED => {
                for r in &list {
                    let missing: Vec<&str> = required(e.envelope)
                        .iter()
                        .copied()
                        .filter(|k| r.get(*k).is_none_or(Value::is_null))
                        .collect();
                    if !missing.is_empty() {
                        problems.push(format!("{}: missing {}", sid(r), missing.join(", ")));
                    }
                }
            }
            ENUMS => list
                .iter()
                .for_each(|r| problems.extend(enum_problems(e.envelope, r))),
            FORMATS => list
                .iter()
                .for_each(|r| problems.extend(format_problems(r))),
            _ => {
                if let Ok(vals) = &c.fx.schemas.validators {
                    let body: Value = resp.json().unwrap_or(Value::Null);
                    let set = format!("{}SetDType", e.dtype);
                    if let Some(val) = vals.get(set.as_str()) {
                        problems.extend(
                            val.iter_errors(&body)
                                .take(10)
                                .map(|err| format!("{set} at {}: {err}", err.instance_path())),
                        );
                    }
                    if let Some(first) = list.first() {
                        let r = c.get(&format!("{}/{}", e.path, enc(&sid(first)))).await?;
                        let body: Value = r.json().unwrap_or(Value::Null);
                        let single = format!("Single{}DType", e.dtype);
                        if let Some(val) = vals.get(single.as_str()) {
                            problems.extend(
                                val.iter_errors(&body).take(10).map(|err| {
                                    format!("{single} at {}: {err}", err.instance_path())
                                }),
                            );
                        }
                    }
                }
            }
        }
        problems.truncate(10);
        v.require(
            format!("/{} (first {} records)", e.path, list.len()),
            problems.is_empty(),
            problems.join("; "),
        );
    }
    Ok(())
}

async fn references(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let mut refs: Vec<(String, Value)> = Vec::new();
    for (path, env, fields) in [
        ("classes", "classes", &["course", "school"][..]),
        (
            "enrollments",
            "enrollments",
            &["user", "class", "school"][..],
        ),
        ("users", "users", &["primaryOrg"][..]),
    ] {
        let (list, _) = c.page(&format!("{path}?limit=2"), env).await?;
        for r in &list {
            for f in fields {
                if let Some(x) = r.get(*f) {
                    refs.push((format!("{path} {} {f}", sid(r)), x.clone()));
                }
            }
        }
    }
    if refs.is_empty() {
        v.check(
            "GUID references were found to resolve",
            Outcome::Skip,
            "no references in the sampled records",
        );
        return Ok(());
    }
    for (what, x) in refs.into_iter().take(12) {
        let href = x.get("href").and_then(Value::as_str).unwrap_or_default();
        let target = x
            .get("sourcedId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !v.require(
            format!("{what}: href is an absolute URL"),
            url::Url::parse(href).is_ok(),
            format!("href `{href}`"),
        ) {
            continue;
        }
        let r = c.raw(href, Some(&format!("Bearer {}", c.token))).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        let found = body.as_object().and_then(|o| o.values().next()).map(sid);
        v.require(
            format!("{what}: GET href returns {target}"),
            r.status.as_u16() == 200 && found.as_deref() == Some(target),
            format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
        );
    }
    Ok(())
}

// ---- paging -------------------------------------------------------------------------

async fn total(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for (path, env) in [("users", "users"), ("enrollments", "enrollments")] {
        let (_, r) = c.page(&format!("{path}?limit=5"), env).await?;
        let header = r.header("x-total-count").map(str::to_string);
        let claimed = total_of(&r);
        match c.truth(path, env).await {
            Ok(all) => {
                v.require(
                    format!("/{path}?limit=5: X-Total-Count is {}", all.len()),
                    claimed == Some(all.len()),
                    format!("X-Total-Count: {}", header.as_deref().unwrap_or("(absent)")),
                );
            }
            Err(Stop::TooLarge(_)) => edge_probe(c, v, path, env, claimed, header).await?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Judges `X-Total-Count` of a collection too large to walk by the records at
/// its edge: a true total `n` has a record at offset `n - 1` and none at `n`.
async fn edge_probe(
    c: &Client<'_>,
    v: &mut Verdict,
    path: &str,
    env: &str,
    claimed: Option<usize>,
    header: Option<String>,
) -> Result<(), Stop> {
    let Some(n) = claimed.filter(|n| *n > 0) else {
        v.require(
            format!("/{path}?limit=5: X-Total-Count is the number of records"),
            false,
            format!("X-Total-Count: {}", header.as_deref().unwrap_or("(absent)")),
        );
        return Ok(());
    };
    c.cx.log(format!(
        "/{path} is larger than a walk reads; X-Total-Count {n} is judged by the records at offsets {} and {n}",
        n - 1
    ));
    let (last, _) = c
        .page(&format!("{path}?limit=1&offset={}", n - 1), env)
        .await?;
    let (past, _) = c.page(&format!("{path}?limit=1&offset={n}"), env).await?;
    v.require(
        format!(
            "/{path}: X-Total-Count {n} is where the records end (one at offset {}, none at {n})",
            n - 1
        ),
        last.len() == 1 && past.is_empty(),
        format!(
            "{} record(s) at offset {}, {} at offset {n}",
            last.len(),
            n - 1,
            past.len()
        ),
    );
    Ok(())
}

/// The largest page the paging cases ask for (a quarter or a third of the
/// collection on a small SIS, so they see several pages; on a district, pages
/// of this size keep each response well under the harness's response limit).
const PAGING_LIMIT_MAX: usize = 750;

/// Records the second, misaligned walk covers at most (all of them on a small
/// SIS; on a district, the first ten thousand, which crosses a dozen page
/// boundaries of each size).
const WALK_WINDOW: usize = 10_000;

/// Two walks in pages of different sizes: the run's walk in pages of
/// [`WALK_LIMIT`] must hold no record twice, and a second walk in pages of
/// a quarter of the collection (at most [`PAGING_LIMIT_MAX`]) over the first
/// [`WALK_WINDOW`] records must give exactly those records, once each: an
/// off-by-one at page boundaries, or an order that is not stable between
/// requests, shows up as a repeat or a gap where the boundaries differ.
async fn walk(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let truth: Vec<String> = c.truth("users", "users").await?.iter().map(sid).collect();
    let repeated = repeats(&truth);
    v.require(
        format!("pages of {WALK_LIMIT}: no record twice"),
        repeated.is_empty(),
        format!("repeated: {repeated:?}"),
    );
    let window = truth.len().min(WALK_WINDOW);
    let limit = (truth.len() / 4).clamp(2, PAGING_LIMIT_MAX);
    let mut seen: Vec<String> = Vec::new();
    let mut offset = 0;
    for _ in 0..(window / limit + 3) {
        let (list, _) = c
            .page(&format!("users?limit={limit}&offset={offset}"), "users")
            .await?;
        v.require(
            format!("offset {offset}: at most {limit} records"),
            list.len() <= limit,
            format!("{} records", list.len()),
        );
        let n = list.len();
        seen.extend(list.iter().map(sid));
        offset += limit;
        if n < limit || offset >= window {
            break;
        }
    }
    let repeated = repeats(&seen);
    v.require(
        format!("pages of {limit}: no record twice"),
        repeated.is_empty(),
        format!("repeated: {repeated:?}"),
    );
    let got: HashSet<&str> = seen.iter().map(String::as_str).collect();
    let missing: Vec<&String> = truth[..window]
        .iter()
        .filter(|t| !got.contains(t.as_str()))
        .take(5)
        .collect();
    let what = if window == truth.len() {
        format!("every one of the {} users", truth.len())
    } else {
        format!(
            "every one of the first {window} of the {} users",
            truth.len()
        )
    };
    v.require(
        format!("pages of {limit}: {what}"),
        missing.is_empty(),
        format!("never returned: {missing:?}"),
    );
    Ok(())
}

/// Up to five ids that occur more than once in `ids`.
fn repeats(ids: &[String]) -> Vec<&str> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in ids {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    let mut out: Vec<&str> = counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect();
    out.sort_unstable();
    out.truncate(5);
    out
}

/// `rel` → URL of an RFC 8288 `Link` header.
fn links(h: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for part in h.split(',') {
        let mut it = part.split(';');
        let Some(u) = it.next() else { continue };
        let u = u
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        for p in it {
            if let Some(rel) = p.trim().strip_prefix("rel=") {
                for r in rel.trim_matches('"').split(' ') {
                    out.insert(r.to_string(), u.clone());
                }
            }
        }
    }
    out
}

/// Pages followed by `next` at most (every page on a small SIS); on a
/// district the `last` link is then judged by the records it gives.
const LINK_PAGES: usize = 12;

async fn link(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let all = c.truth("users", "users").await?;
    let truth = all.len();
    let limit = (truth / 3).clamp(2, PAGING_LIMIT_MAX);
    let (_, r) = c.page(&format!("users?limit={limit}"), "users").await?;
    let Some(h) = r.header("link").map(str::to_string) else {
        v.recommend("the first page has a Link header", false, "no Link header");
        return Ok(());
    };
    let first_links = links(&h);
    let needs_next = truth > limit;
    v.recommend(
        "the first page links rel=\"next\"",
        !needs_next || first_links.contains_key("next"),
        format!("Link: {h}"),
    );
    v.recommend(
        "the first page links rel=\"first\" and rel=\"last\"",
        first_links.contains_key("first") && first_links.contains_key("last"),
        format!("Link: {h}"),
    );
    // Following next to the end (or for LINK_PAGES pages) yields the records
    // in order.
    let mut seen = HashSet::new();
    let mut next = Some(c.url(&format!("users?limit={limit}")));
    let mut pages = 0;
    while let Some(u) = next.take() {
        pages += 1;
        if pages > truth / limit + 3 {
            v.recommend("following next ends", false, "more pages than records");
            break;
        }
        let r = c.raw(&u, Some(&format!("Bearer {}", c.token))).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        for x in body
            .get("users")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            seen.insert(sid(x));
        }
        let l = r.header("link").map(links).unwrap_or_default();
        if pages == 2 {
            v.recommend(
                "the second page links rel=\"prev\"",
                l.contains_key("prev"),
                "no prev link",
            );
        }
        next = l.get("next").cloned();
        if pages == LINK_PAGES && next.is_some() {
            break;
        }
    }
    if next.is_none() {
        v.recommend(
            format!("following next reaches all {truth} users"),
            seen.len() == truth,
            format!("{} distinct users", seen.len()),
        );
        return Ok(());
    }
    // A district: the pages followed are the first records, and `last`
    // gives the last ones.
    let covered = (pages * limit).min(truth);
    let first: HashSet<String> = all[..covered].iter().map(sid).collect();
    v.recommend(
        format!("following next {pages} times gives the first {covered} users"),
        seen == first,
        format!(
            "{} distinct users, {} of them among the first {covered}",
            seen.len(),
            seen.intersection(&first).count()
        ),
    );
    let Some(last) = first_links.get("last") else {
        return Ok(());
    };
    let r = c.raw(last, Some(&format!("Bearer {}", c.token))).await?;
    let body: Value = r.json().unwrap_or(Value::Null);
    let got: Vec<String> = body
        .get("users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(sid)
        .collect();
    let tail: HashSet<String> = all[truth.saturating_sub(limit)..].iter().map(sid).collect();
    v.recommend(
        "rel=\"last\" gives the last users",
        got.last()
            .is_some_and(|l| all.last().is_some_and(|t| sid(t) == *l))
            && got.iter().all(|g| tail.contains(g)),
        format!(
            "{} users, the last {}",
            got.len(),
            got.last().map_or("(none)", String::as_str)
        ),
    );
    Ok(())
}

/// A client-side predicate over a record (the expected result of a filter).
type RecordPred = Box<dyn Fn(&Value) -> bool + Send + Sync>;
/// A client-side predicate over a lower-cased sourcedId.
type IdPred = Box<dyn Fn(&str) -> bool + Send + Sync>;

// ---- filter -------------------------------------------------------------------------

pub(super) fn lower(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_lowercase)
}

/// The judgement of a filter: `filter` on `what` must return exactly `want`
/// (the check names the filter and the count; the detail how many came back,
/// how many of them do not match, and how many matching ones are missing).
pub(super) fn require_filtered(
    v: &mut Verdict,
    what: &str,
    filter: &str,
    want: &HashSet<String>,
    got: &HashSet<String>,
) -> bool {
    let extra = got.difference(want).count();
    let missing = want.difference(got).count();
    v.require(
        format!(
            "{what}filter={filter}: exactly the {} matching records",
            want.len()
        ),
        extra == 0 && missing == 0,
        format!(
            "{} returned, {extra} not matching, {missing} matching missing",
            got.len()
        ),
    )
}

/// The sourcedId at fraction `num / den` of the sorted ids (the pivots of the
/// range filters sit near the ends, so each answer is a tenth of the users and
/// a district's filter cases read tens of pages, not hundreds).
fn quantile(ids: &[String], num: usize, den: usize) -> Option<String> {
    ids.get((ids.len() * num / den).min(ids.len().saturating_sub(1)))
        .cloned()
}

async fn filter_ops(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let all = c.truth("users", "users").await?;
    let mut ids: Vec<String> = all.iter().map(sid).collect();
    ids.sort_by_key(|s| s.to_lowercase());
    let (Some(low), Some(pivot)) = (quantile(&ids, 1, 10), quantile(&ids, 9, 10)) else {
        v.check(
            "the provider has users to filter",
            Outcome::Skip,
            "no users",
        );
        return Ok(());
    };
    let p = pivot.to_lowercase();
    let l = low.to_lowercase();
    let named = all.iter().find(|u| {
        u.get("familyName")
            .and_then(Value::as_str)
            .is_some_and(|n| n.is_ascii() && n.len() >= 3)
    });
    let mut tests: Vec<(String, RecordPred)> = vec![
        (
            format!("sourcedId>'{pivot}'"),
            Box::new({
                let p = p.clone();
                move |u: &Value| lower(u, "sourcedId").is_some_and(|s| s > p)
            }),
        ),
        (
            format!("sourcedId>='{pivot}'"),
            Box::new({
                let p = p.clone();
                move |u: &Value| lower(u, "sourcedId").is_some_and(|s| s >= p)
            }),
        ),
        (
            format!("sourcedId<'{low}'"),
            Box::new({
                let l = l.clone();
                move |u: &Value| lower(u, "sourcedId").is_some_and(|s| s < l)
            }),
        ),
        (
            format!("sourcedId<='{low}'"),
            Box::new({
                let l = l.clone();
                move |u: &Value| lower(u, "sourcedId").is_some_and(|s| s <= l)
            }),
        ),
    ];
    if let Some(n) = named
        .and_then(|u| u.get("familyName"))
        .and_then(Value::as_str)
    {
        let exact = n.to_lowercase();
        let part: String = exact.chars().skip(1).take(2).collect();
        let quote = |s: &str| s.replace('\'', "''");
        tests.insert(
            0,
            (
                format!("familyName='{}'", quote(&n.to_uppercase())),
                Box::new({
                    let e = exact.clone();
                    move |u: &Value| lower(u, "familyName").is_some_and(|s| s == e)
                }),
            ),
        );
        tests.push((
            format!("familyName~'{}'", quote(&part)),
            Box::new(move |u: &Value| lower(u, "familyName").is_some_and(|s| s.contains(&part))),
        ));
    }
    for (f, pred) in tests {
        let want: HashSet<String> = all.iter().filter(|u| pred(u)).map(sid).collect();
        let got: HashSet<String> = c
            .all("users", &format!("filter={}", enc(&f)))
            .await?
            .iter()
            .map(sid)
            .collect();
        require_filtered(v, "/users?", &f, &want, &got);
    }
    not_equals(c, v).await
}

/// `!=` matches all but a few records, so it is judged on `/courses` (a
/// tenth of the users' size in a district) rather than on `/users`.
async fn not_equals(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let courses = c.truth("courses", "courses").await?;
    let Some(pivot) = courses.get(courses.len() / 2).map(sid) else {
        v.check(
            "the provider has courses to filter",
            Outcome::Skip,
            "no courses",
        );
        return Ok(());
    };
    let p = pivot.to_lowercase();
    let f = format!("sourcedId!='{}'", pivot.replace('\'', "''"));
    let want: HashSet<String> = courses
        .iter()
        .filter(|k| lower(k, "sourcedId").is_some_and(|s| s != p))
        .map(sid)
        .collect();
    let got: HashSet<String> = c
        .all("courses", &format!("filter={}", enc(&f)))
        .await?
        .iter()
        .map(sid)
        .collect();
    require_filtered(v, "/courses?", &f, &want, &got);
    Ok(())
}

async fn filter_logical(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let all = c.truth("users", "users").await?;
    let mut ids: Vec<String> = all.iter().map(sid).collect();
    ids.sort_by_key(|s| s.to_lowercase());
    if ids.len() < 4 {
        v.check(
            "the provider has users to filter",
            Outcome::Skip,
            "fewer than 4 users",
        );
        return Ok(());
    }
    // A tenth of the users in the middle (AND) and a twentieth at each end
    // (OR), so that neither answer is most of a district.
    let q = |n| quantile(&ids, n, 20).unwrap_or_default();
    let (mid_lo, mid_hi, lo, hi) = (q(9), q(11), q(1), q(19));
    let (ml, mh) = (mid_lo.to_lowercase(), mid_hi.to_lowercase());
    let (l, h) = (lo.to_lowercase(), hi.to_lowercase());
    let cases: [(String, IdPred); 2] = [
        (
            format!("sourcedId>='{mid_lo}' AND sourcedId<='{mid_hi}'"),
            Box::new(move |s: &str| s >= ml.as_str() && s <= mh.as_str()),
        ),
        (
            format!("sourcedId<'{lo}' OR sourcedId>'{hi}'"),
            Box::new(move |s: &str| s < l.as_str() || s > h.as_str()),
        ),
    ];
    for (f, pred) in cases {
        let want: HashSet<String> = ids
            .iter()
            .filter(|s| pred(&s.to_lowercase()))
            .cloned()
            .collect();
        let got: HashSet<String> = c
            .all("users", &format!("filter={}", enc(&f)))
            .await?
            .iter()
            .map(sid)
            .collect();
        require_filtered(v, "/users?", &f, &want, &got);
    }
    Ok(())
}

// ---- fields, sort -----------------------------------------------------------------

async fn fields(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for (path, env, sel) in [
        ("users", "users", ["sourcedId", "familyName"]),
        ("classes", "classes", ["sourcedId", "title"]),
    ] {
        let (list, _) = c
            .page(&format!("{path}?limit=5&fields={}", sel.join(",")), env)
            .await?;
        let extra: Vec<String> = list
            .iter()
            .flat_map(|r| {
                r.as_object()
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .filter(|k| !sel.contains(&k.as_str()))
                    .cloned()
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        v.require(
            format!("/{path}?fields={}: only those fields", sel.join(",")),
            extra.is_empty() && !list.is_empty(),
            format!("also returned: {extra:?} ({} records)", list.len()),
        );
    }
    Ok(())
}

async fn sort(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for dir in ["asc", "desc"] {
        let (list, _) = c
            .page(
                &format!("users?sort=sourcedId&orderBy={dir}&limit={WALK_LIMIT}"),
                "users",
            )
            .await?;
        let keys: Vec<String> = list.iter().map(|u| sid(u).to_lowercase()).collect();
        let bad = keys.windows(2).position(|w| {
            if dir == "asc" {
                w[0] > w[1]
            } else {
                w[0] < w[1]
            }
        });
        v.require(
            format!("sort=sourcedId&orderBy={dir}: in order"),
            bad.is_none() && !keys.is_empty(),
            format!("out of order at position {}", bad.map_or(0, |b| b + 1)),
        );
    }
    Ok(())
}

// ---- cross-endpoint ------------------------------------------------------------------

async fn school_classes(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let classes = c.truth("classes", "classes").await?;
    let (schools, _) = c.page("schools?limit=3", "orgs").await?;
    for s in &schools {
        let id = sid(s);
        let want: HashSet<String> = classes
            .iter()
            .filter(|k| ref_id(k, "school") == id)
            .map(sid)
            .collect();
        let got: HashSet<String> = c
            .all(&format!("schools/{}/classes", enc(&id)), "")
            .await?
            .iter()
            .map(sid)
            .collect();
        v.require(
            format!(
                "/schools/{id}/classes: the {} classes of that school",
                want.len()
            ),
            want == got,
            format!(
                "{} returned, {} not of the school, {} missing",
                got.len(),
                got.difference(&want).count(),
                want.difference(&got).count()
            ),
        );
    }
    if schools.is_empty() {
        v.check("the provider has schools", Outcome::Skip, "no schools");
    }
    Ok(())
}

async fn class_students(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (classes, _) = c.page("classes?limit=3", "classes").await?;
    for k in &classes {
        let id = sid(k);
        let want: HashSet<String> = enrollments_where(c, "class", &id)
            .await?
            .iter()
            .filter(|e| e.get("role").and_then(Value::as_str) == Some("student"))
            .map(|e| ref_id(e, "user"))
            .collect();
        let got: HashSet<String> = c
            .all(&format!("classes/{}/students", enc(&id)), "")
            .await?
            .iter()
            .map(sid)
            .collect();
        v.require(
            format!(
                "/classes/{id}/students: the {} students enrolled",
                want.len()
            ),
            want == got,
            format!(
                "{} returned, {} not enrolled as students, {} missing",
                got.len(),
                got.difference(&want).count(),
                want.difference(&got).count()
            ),
        );
    }
    if classes.is_empty() {
        v.check("the provider has classes", Outcome::Skip, "no classes");
    }
    Ok(())
}

/// The enrollments whose `field` (`class`, `user` or `school`) is `id`.
///
/// From this run's walk of `/enrollments` when the district is small enough to
/// walk; otherwise (a district has ten enrollments per user) read with
/// `filter=<field>.sourcedId='<id>'`, the binding's dot notation for a nested
/// field, and accepted only if every record it returns matches. A provider
/// that refuses that filter leaves the case unable to judge: `skip`, with
/// the reason.
pub(super) async fn enrollments_where(
    c: &Client<'_>,
    field: &str,
    id: &str,
) -> Result<Vec<Value>, Stop> {
    match c.truth("enrollments", "enrollments").await {
        Ok(all) => Ok(all
            .iter()
            .filter(|e| ref_id(e, field) == id)
            .cloned()
            .collect()),
        Err(Stop::TooLarge(_)) => {
            let f = format!("{field}.sourcedId='{}'", id.replace('\'', "''"));
            let list = match c
                .walk_env("enrollments", &format!("filter={}", enc(&f)), "enrollments")
                .await
            {
                Ok(list) => list,
                Err(Stop::Fail(_, detail)) => {
                    return Err(Stop::Skip(format!(
                        "/enrollments has more records than a walk reads, and the expected values need filter={f}, which the provider did not answer: {detail}"
                    )));
                }
                Err(e) => return Err(e),
            };
            let foreign = list.iter().filter(|e| ref_id(e, field) != id).count();
            if foreign > 0 {
                return Err(Stop::Skip(format!(
                    "/enrollments has more records than a walk reads, and filter={f} returned {foreign} enrollment(s) of another {field}: the expected values cannot be computed"
                )));
            }
            c.cx.log(format!(
                "/enrollments is larger than a walk reads; the expected values come from filter={f} ({} records)",
                list.len()
            ));
            Ok(list)
        }
        Err(e) => Err(e),
    }
}
