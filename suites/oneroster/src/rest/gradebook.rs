//! `oneroster-provider` cases for the OneRoster 1.2 **gradebook** service
//! (ids `oneroster.provider.gradebook.*`), plus what the gradebook and resources
//! cases share: the service clients and the OpenAPI validators.
//!
//! Why writes are opt-in: certifying PUT/POST/DELETE means creating objects in
//! a vendor's live SIS. The write cases run only with `allow_writes = true` in
//! the profile (otherwise they `skip` and say why); every object they create
//! has a fresh `accredit-<uuid>` sourcedId, and they delete what they created
//! whether or not the case passed, so a certification run leaves no junk.
//!
//! Why round-trips compare field by field: a provider may add server-managed
//! fields (`dateLastModified`) and rewrite `href`s, but every other value the
//! consumer supplied (titles, dates, numbers, the `sourcedId`/`type` of each
//! reference) must come back as sent, or grades silently change.
//!
//! Schema validation uses the official gradebook and resources OpenAPI
//! documents from the schema directory, like the rostering cases; without them
//! the schema cases `skip` and the native cases judge the same documents.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::{Value, json};

use accredit_core::http::Captured;
use accredit_core::{CaseCx, CaseMeta, Level, Outcome, SchemaFile, Verdict};
use accredit_mock_platform::oneroster as sis;

use super::cases::{
    Client, Fixture, Stop, check_status_payload, enc, enum_or_ext, is_date, lower, ref_id,
    require_filtered, sid, snippet,
};

/// Id prefix of the gradebook cases.
pub(super) const PREFIX: &str = "oneroster.provider.gradebook.";

macro_rules! ids {
    ($($name:ident = $id:literal;)*) => {
        $(#[doc = concat!("`", $id, "`")] pub const $name: &str = $id;)*
    };
}

ids! {
    COLLECTIONS = "oneroster.provider.gradebook.read.collections";
    SINGLE = "oneroster.provider.gradebook.read.single";
    CLASS_SCOPED = "oneroster.provider.gradebook.read.class-scoped";
    UNKNOWN_ID = "oneroster.provider.gradebook.read.unknown-id";
    REQUIRED = "oneroster.provider.gradebook.model.required-fields";
    ENUMS = "oneroster.provider.gradebook.model.enumerations";
    FORMATS = "oneroster.provider.gradebook.model.formats";
    SCHEMA = "oneroster.provider.gradebook.model.schema";
    REFERENCES = "oneroster.provider.gradebook.model.references";
    PAGING = "oneroster.provider.gradebook.paging";
    SCOPES = "oneroster.provider.gradebook.auth.scopes";
    PUT_LINE_ITEM = "oneroster.provider.gradebook.write.line-item-round-trip";
    PUT_RESULT = "oneroster.provider.gradebook.write.result-round-trip";
    DELETE = "oneroster.provider.gradebook.write.delete";
    POST_RESULTS = "oneroster.provider.gradebook.write.post-sourcedid-pairs";
    POST_SCOPED = "oneroster.provider.gradebook.write.post-school-and-session";
    ASSESSMENT_WRITE = "oneroster.provider.gradebook.write.assessment-round-trip";
    FILTER = "oneroster.provider.gradebook.query.filter";
    SORT = "oneroster.provider.gradebook.query.sort";
    FIELDS = "oneroster.provider.gradebook.query.fields";
}

/// The gradebook OpenAPI document, relative to the schema directory.
pub const GRADEBOOK_OPENAPI: &str =
    "oneroster-v1p2/onerosterv1p2gradebookservice_openapi3_v1p0.json";
/// The resources OpenAPI document, relative to the schema directory.
pub const RESOURCES_OPENAPI: &str =
    "oneroster-v1p2/onerosterv1p2resourcesservice_openapi3_v1p0.json";

/// The pinned gradebook OpenAPI.
pub(super) const GRADEBOOK_SCHEMA_FILE: SchemaFile = SchemaFile {
    path: GRADEBOOK_OPENAPI,
    url: "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2gradebookservice_openapi3_v1p0.json",
    sha256: "547131deef5d05b411cf49cfaea101fa91b0f9875bc45e06d48125fad3787a5f",
};
/// The pinned resources OpenAPI.
pub(super) const RESOURCES_SCHEMA_FILE: SchemaFile = SchemaFile {
    path: RESOURCES_OPENAPI,
    url: "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2resourcesservice_openapi3_v1p0.json",
    sha256: "92f9c351e774070bb8684b54251e60bc8d2496beb00f80b95ed5066081394503",
};

const SPEC: &str = "OneRoster 1.2 Gradebook Service REST Binding";
const OPENAPI: &str = "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2gradebookservice_openapi3_v1p0.json";
const BINDING: &str = "https://www.imsglobal.org/spec/oneroster/v1p2/gradebook/rest/";

#[allow(clippy::too_many_arguments)]
pub(super) const fn meta(
    spec: &'static str,
    id: &'static str,
    title: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
    level: Level,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: "provider",
        spec_document: spec,
        spec_section: section,
        spec_url: url,
        requirement,
        level,
        official: true,
        tags,
        exclusive: false,
    }
}

/// The gradebook cases, in report order.
pub fn catalog() -> Vec<CaseMeta> {
    use Level::Must;
    let m =
        |id, title, section, url, req, tags| meta(SPEC, id, title, section, url, req, Must, tags);
    vec![
        m(
            COLLECTIONS,
            "Every gradebook collection answers 200 with its envelope",
            "getAllCategories, getAllLineItems, getAllResults, getAllScoreScales, getAllAssessmentLineItems, getAllAssessmentResults",
            OPENAPI,
            "200: The request was successfully completed and a collection has been returned.",
            &["oneroster", "gradebook", "read"],
        ),
        m(
            SINGLE,
            "Single gradebook objects answer 200 with the singular envelope",
            "getCategory, getLineItem, getResult, getScoreScale, getAssessmentLineItem, getAssessmentResult",
            OPENAPI,
            "200: The request was successfully completed and the object has been returned.",
            &["oneroster", "gradebook", "read"],
        ),
        m(
            CLASS_SCOPED,
            "Class- and school-scoped reads return exactly that class's (or school's) objects",
            "getLineItemsForClass, getResultsForClass, getResultsForLineItemForClass, getResultsForStudentForClass, getCategoriesForClass, getScoreScalesForClass, getScoreScalesForSchool",
            OPENAPI,
            "To read, get, a collection of lineItems / results / categories / scoreScales related to a specific class (or school).",
            &["oneroster", "gradebook", "read"],
        ),
        m(
            UNKNOWN_ID,
            "An unknown line item answers 404 unknownobject with the 1.2 status payload",
            "getLineItem: 404",
            OPENAPI,
            "404: Either the supplied identifier is unknown in the Service Provider and so the object could not be changed or an invalid identifier was supplied i.e. 'unknownobject'.",
            &["oneroster", "gradebook", "errors"],
        ),
        m(
            REQUIRED,
            "Every gradebook record carries the fields the data model requires",
            "Data model",
            OPENAPI,
            "The `required` properties of CategoryDType, LineItemDType, ResultDType, ScoreScaleDType, AssessmentLineItemDType and AssessmentResultDType.",
            &["oneroster", "gradebook", "model"],
        ),
        m(
            ENUMS,
            "Gradebook enumerations are exact (case-sensitive) and flags are strings",
            "Data model: enumerations",
            OPENAPI,
            "status: 'active' | 'tobedeleted'; scoreStatus: 'exempt' | 'fully graded' | 'not submitted' | 'partially graded' | 'submitted' (or `ext:`); inProgress, incomplete, late, missing the strings 'true' | 'false'; each GUIDRef's type names the referenced class.",
            &["oneroster", "gradebook", "model"],
        ),
        m(
            FORMATS,
            "Gradebook dates, date-times and scores have their data-model types",
            "Data model: primitive types",
            OPENAPI,
            "dateLastModified, assignDate and dueDate are date-times; scoreDate is a date (YYYY-MM-DD); score, resultValueMin, resultValueMax and weight are numbers.",
            &["oneroster", "gradebook", "model"],
        ),
        m(
            SCHEMA,
            "Gradebook bodies validate against the official OpenAPI component schemas",
            "components.schemas",
            OPENAPI,
            "The response payloads are defined by the *SetDType and Single*DType schemas of the gradebook OpenAPI document.",
            &["oneroster", "gradebook", "model", "schema"],
        ),
        m(
            REFERENCES,
            "A line item's class and a result's line item and student resolve",
            "GUIDRefDType",
            OPENAPI,
            "href: The URI for the type of object being referenced. sourcedId: The globally unique identifier of the object being referenced.",
            &["oneroster", "gradebook", "model"],
        ),
        m(
            PAGING,
            "Gradebook collections page: X-Total-Count is the total and pages do not overlap",
            "Pagination",
            BINDING,
            "X-Total-Count: The total number of resources that are available to be returned; limit/offset select the segment.",
            &["oneroster", "gradebook", "paging"],
        ),
        m(
            SCOPES,
            "Gradebook operations enforce their scopes",
            "Security: scopes",
            OPENAPI,
            "403: the server can be reached and process the request but refuses to take any further action i.e. 'forbidden' (a rostering-only token reads no gradebook; gradebook.readonly cannot PUT or DELETE).",
            &["oneroster", "gradebook", "auth"],
        ),
        m(
            PUT_LINE_ITEM,
            "PUT creates a line item (201), GET returns it as sent, PUT again replaces it",
            "putLineItem",
            OPENAPI,
            "201: The object was successfully created/replaced; the object supplied is the one subsequently read.",
            &["oneroster", "gradebook", "write"],
        ),
        m(
            PUT_RESULT,
            "PUT creates a result (201) and GET returns its score and status as sent",
            "putResult",
            OPENAPI,
            "201: The object was successfully created/replaced; the object supplied is the one subsequently read.",
            &["oneroster", "gradebook", "write"],
        ),
        m(
            DELETE,
            "DELETE answers 204 and the object is gone (404)",
            "deleteCategory",
            OPENAPI,
            "204: The request was successfully completed and the object deleted; an unknown identifier answers 404 'unknownobject'.",
            &["oneroster", "gradebook", "write"],
        ),
        m(
            POST_RESULTS,
            "POST of results or line items answers 201 with sourcedIdPairs mapping each supplied id to an allocated one",
            "postResultsForLineItem, postLineItemsForClass",
            OPENAPI,
            "201: The objects were created; the response is the GUIDPairSetDType mapping each suppliedSourcedId to the allocatedSourcedId.",
            &["oneroster", "gradebook", "write"],
        ),
        m(
            POST_SCOPED,
            "POST of line items to a school and of results to a class's session answers 201 with sourcedIdPairs",
            "postLineItemsForSchool, postResultsForAcademicSessionForClass",
            OPENAPI,
            "201: The objects were created; the response is the GUIDPairSetDType mapping each suppliedSourcedId to the allocatedSourcedId.",
            &["oneroster", "gradebook", "write"],
        ),
        m(
            ASSESSMENT_WRITE,
            "PUT creates an assessment line item and result (201) as sent; DELETE removes them (204, then 404)",
            "putAssessmentLineItem, putAssessmentResult, deleteAssessmentResult, deleteAssessmentLineItem",
            OPENAPI,
            "201: The object was successfully created/replaced; 204: the object was deleted; an unknown identifier answers 404 'unknownobject'.",
            &["oneroster", "gradebook", "assessment", "write"],
        ),
        m(
            FILTER,
            "A filter (=, !=, ~) on a gradebook collection returns exactly the matching records; an unknown field answers 400",
            "getAllLineItems, getAllResults, getAllCategories, getAllScoreScales, getAllAssessmentLineItems, getAllAssessmentResults: filter",
            OPENAPI,
            "filter: the filtering rules to be applied when identifying the records to be supplied in the response message; 400 'invalid_filter_field' for a field the data model does not have.",
            &["oneroster", "gradebook", "query"],
        ),
        m(
            SORT,
            "sort/orderBy order gradebook collections ascending and descending",
            "getAllLineItems, getAllResults: sort, orderBy",
            OPENAPI,
            "sort: identifies the sort criteria to be used for the records in the response message; orderBy: the form of ordering ('asc' or 'desc').",
            &["oneroster", "gradebook", "query"],
        ),
        m(
            FIELDS,
            "fields selects the returned properties of gradebook records; a blank field answers 400",
            "getAll*: fields",
            OPENAPI,
            "fields: to identify the range of fields that should be supplied in the response message; 400 'invalid_selection_field' for a blank or unknown field.",
            &["oneroster", "gradebook", "query"],
        ),
    ]
    .into_iter()
    // Writes change the totals and pages the read cases judge: they run alone.
    .map(|c| CaseMeta {
        exclusive: is_write(c.id) || c.id == SCOPES,
        // Paging is the REST binding's rule, not the OpenAPI's (as in rostering).
        official: c.id != PAGING,
        ..c
    })
    .collect()
}

fn is_write(id: &str) -> bool {
    matches!(
        id,
        PUT_LINE_ITEM | PUT_RESULT | DELETE | POST_RESULTS | POST_SCOPED | ASSESSMENT_WRITE
    )
}

// ---- schemas ---------------------------------------------------------------------

type Validators = Result<HashMap<&'static str, jsonschema::Validator>, String>;

/// Validators for the gradebook and resources OpenAPI component schemas.
pub struct ServiceSchemas {
    pub(super) gradebook: Validators,
    pub(super) resources: Validators,
}

impl std::fmt::Debug for ServiceSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceSchemas")
    }
}

const GRADEBOOK_DTYPES: [&str; 13] = [
    "CategoriesSetDType",
    "SingleCategoryDType",
    "LineItemSetDType",
    "SingleLineItemDType",
    "ResultSetDType",
    "SingleResultDType",
    "ScoreScaleSetDType",
    "SingleScoreScaleDType",
    "AssessmentLineItemSetDType",
    "SingleAssessmentLineItemDType",
    "AssessmentResultSetDType",
    "SingleAssessmentResultDType",
    "GUIDPairSetDType",
];
const RESOURCES_DTYPES: [&str; 2] = ["ResourceSetDType", "SingleResourceDType"];

fn load_validators(dir: Option<&Path>, rel: &str, names: &[&'static str]) -> Validators {
    let dir = dir.ok_or("no schema directory was given (--schemas or ACCREDIT_SCHEMA_DIR)")?;
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let components = doc.get("components").cloned().unwrap_or(Value::Null);
    let mut out = HashMap::new();
    for name in names {
        let schema =
            json!({"$ref": format!("#/components/schemas/{name}"), "components": components});
        let v = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| format!("{name} in {}: {e}", path.display()))?;
        out.insert(*name, v);
    }
    Ok(out)
}

impl ServiceSchemas {
    /// Loads both OpenAPI documents from `dir`; each keeps the reason it could not.
    pub fn load(dir: Option<&Path>) -> ServiceSchemas {
        ServiceSchemas {
            gradebook: load_validators(dir, GRADEBOOK_OPENAPI, &GRADEBOOK_DTYPES),
            resources: load_validators(dir, RESOURCES_OPENAPI, &RESOURCES_DTYPES),
        }
    }
}

/// Up to 10 located violations of `name` by `body`.
pub(super) fn violations(vals: &Validators, name: &str, body: &Value) -> Vec<String> {
    let Ok(vals) = vals else { return Vec::new() };
    let Some(v) = vals.get(name) else {
        return vec![format!("no validator for {name}")];
    };
    v.iter_errors(body)
        .take(10)
        .map(|e| format!("{name} at {}: {e}", e.instance_path()))
        .collect()
}

// ---- the service client ------------------------------------------------------------

/// A OneRoster 1.2 service other than rostering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    Gradebook,
    Resources,
}

/// The base URL of `s`: the profile's, or the rostering URL with the service swapped.
pub(super) fn service_url(fx: &Fixture, s: Service) -> String {
    let (explicit, name) = match s {
        Service::Gradebook => (fx.profile.gradebook_url.as_ref(), "gradebook"),
        Service::Resources => (fx.profile.resources_url.as_ref(), "resources"),
    };
    match explicit {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => fx
            .profile
            .base_url
            .as_str()
            .trim_end_matches('/')
            .replace("/rostering/", &format!("/{name}/")),
    }
}

// Records per page and pages at most when walking a collection: the same bound
// as the rostering cases (a walk that reaches it is `Stop::TooLarge`).
use super::cases::{MAX_PAGES, WALK_LIMIT};
/// Records sampled per collection by the model cases.
const SAMPLE: usize = 25;

/// A client of one service with one token.
pub(super) struct Svc<'a> {
    pub(super) c: Client<'a>,
    pub(super) base: String,
}

impl<'a> Svc<'a> {
    pub(super) async fn connect(
        fx: &'a Fixture,
        cx: &'a CaseCx,
        s: Service,
        scopes: &[String],
    ) -> Result<Svc<'a>, Stop> {
        let c = Client::with_scopes(fx, cx, scopes).await?;
        Ok(Svc {
            c,
            base: service_url(fx, s),
        })
    }

    /// The profile's scopes (what a normal consumer of the provider gets).
    pub(super) async fn full(fx: &'a Fixture, cx: &'a CaseCx, s: Service) -> Result<Svc<'a>, Stop> {
        Svc::connect(fx, cx, s, &fx.profile.scopes).await
    }

    pub(super) fn url(&self, rel: &str) -> String {
        format!("{}/{rel}", self.base)
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.c.token)
    }

    pub(super) async fn get(&self, rel: &str) -> Result<Captured, Stop> {
        self.c.raw(&self.url(rel), Some(&self.auth())).await
    }

    /// GET an absolute URL (an `href`) with this token.
    pub(super) async fn get_abs(&self, url: &str) -> Result<Captured, Stop> {
        self.c.raw(url, Some(&self.auth())).await
    }

    async fn send(
        &self,
        method: Method,
        rel: &str,
        body: Option<&Value>,
    ) -> Result<Captured, Stop> {
        let url = self.url(rel);
        let mut b = self
            .c
            .cx
            .http()
            .inner()
            .request(method.clone(), &url)
            .header(reqwest::header::AUTHORIZATION, self.auth());
        if let Some(v) = body {
            b = b.json(v);
        }
        self.c
            .cx
            .http()
            .send(b)
            .await
            .map_err(|e| Stop::Error(format!("{method} {url}: {e}")))
    }

    /// GET a page; the records under `envelope` and the response.
    pub(super) async fn page(
        &self,
        rel: &str,
        envelope: &str,
    ) -> Result<(Vec<Value>, Captured), Stop> {
        let r = self.get(rel).await?;
        super::cases::page_of(rel, r, envelope)
    }

    /// Every record of `path`, by offset, bounded by [`MAX_PAGES`].
    pub(super) async fn all(&self, path: &str, envelope: &str) -> Result<Vec<Value>, Stop> {
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let sep = if path.contains('?') { '&' } else { '?' };
            let rel = format!("{path}{sep}limit={WALK_LIMIT}&offset={}", page * WALK_LIMIT);
            let (list, _) = self.page(&rel, envelope).await?;
            let n = list.len();
            out.extend(list);
            if n < WALK_LIMIT {
                return Ok(out);
            }
        }
        Err(Stop::TooLarge(path.to_string()))
    }
}

// ---- collections -------------------------------------------------------------------

/// A gradebook collection.
struct Coll {
    path: &'static str,
    single: &'static str,
    dtype: &'static str,
    set_dtype: &'static str,
    required: &'static [&'static str],
    assessment: bool,
}

const COLLS: [Coll; 6] = [
    Coll {
        path: "categories",
        single: "category",
        dtype: "SingleCategoryDType",
        set_dtype: "CategoriesSetDType",
        required: &["sourcedId", "status", "dateLastModified", "title"],
        assessment: false,
    },
    Coll {
        path: "lineItems",
        single: "lineItem",
        dtype: "SingleLineItemDType",
        set_dtype: "LineItemSetDType",
        required: &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "assignDate",
            "dueDate",
            "class",
            "school",
            "category",
        ],
        assessment: false,
    },
    Coll {
        path: "results",
        single: "result",
        dtype: "SingleResultDType",
        set_dtype: "ResultSetDType",
        required: &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItem",
            "student",
            "scoreStatus",
            "scoreDate",
        ],
        assessment: false,
    },
    Coll {
        path: "scoreScales",
        single: "scoreScale",
        dtype: "SingleScoreScaleDType",
        set_dtype: "ScoreScaleSetDType",
        required: &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "class",
            "scoreScaleValue",
        ],
        assessment: false,
    },
    Coll {
        path: "assessmentLineItems",
        single: "assessmentLineItem",
        dtype: "SingleAssessmentLineItemDType",
        set_dtype: "AssessmentLineItemSetDType",
        required: &["sourcedId", "status", "dateLastModified", "title"],
        assessment: true,
    },
    Coll {
        path: "assessmentResults",
        single: "assessmentResult",
        dtype: "SingleAssessmentResultDType",
        set_dtype: "AssessmentResultSetDType",
        required: &[
            "sourcedId",
            "status",
            "dateLastModified",
            "assessmentLineItem",
            "student",
            "scoreDate",
            "scoreStatus",
        ],
        assessment: true,
    },
];

/// The GUIDRef fields of gradebook objects and the `type` each must carry.
const REF_TYPES: [(&str, &str); 10] = [
    ("class", "class"),
    ("school", "org"),
    ("category", "category"),
    ("gradingPeriod", "academicSession"),
    ("academicSession", "academicSession"),
    ("scoreScale", "scoreScale"),
    ("lineItem", "lineItem"),
    ("student", "user"),
    ("course", "course"),
    ("assessmentLineItem", "assessmentLineItem"),
];

fn has(fx: &Fixture, scope: &str) -> bool {
    fx.profile.scopes.iter().any(|s| s == scope)
}

/// The collections the profile's scopes can read.
fn readable(fx: &Fixture) -> Vec<&'static Coll> {
    let gb = has(fx, sis::SCOPE_GRADEBOOK) || has(fx, sis::SCOPE_GRADEBOOK_CORE);
    let asmt = has(fx, sis::SCOPE_ASSESSMENT);
    COLLS
        .iter()
        .filter(|c| if c.assessment { asmt } else { gb })
        .collect()
}

// ---- dispatch -------------------------------------------------------------------------

/// Runs one gradebook case.
pub(super) fn run_case<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let id = cx.meta.id;
        // A token first: an unreachable provider is an error, not a skip.
        let g = match Svc::full(fx, cx, Service::Gradebook).await {
            Ok(g) => g,
            Err(s) => return s.into_verdict(Verdict::new()),
        };
        if readable(fx).is_empty() {
            return Verdict::skip(
                "the profile's scopes include no gradebook read scope (gradebook.readonly, gradebook-core.readonly or assessment.readonly)",
            );
        }
        if id == SCHEMA
            && let Err(reason) = &fx.service_schemas.gradebook
        {
            return Verdict::skip(format!(
                "the gradebook OpenAPI schemas are not available: {reason}"
            ));
        }
        if is_write(id) {
            if !fx.profile.allow_writes {
                return Verdict::skip(
                    "write cases create and delete objects in the provider; set allow_writes = true in the profile to run them",
                );
            }
            let needed: &[&str] = match id {
                ASSESSMENT_WRITE => &[
                    sis::SCOPE_ASSESSMENT,
                    sis::SCOPE_ASSESSMENT_CREATEPUT,
                    sis::SCOPE_ASSESSMENT_DELETE,
                ],
                POST_RESULTS | POST_SCOPED => &[
                    sis::SCOPE_GRADEBOOK_CREATEPOST,
                    sis::SCOPE_GRADEBOOK_CREATEPUT,
                    sis::SCOPE_GRADEBOOK_DELETE,
                ],
                _ => &[sis::SCOPE_GRADEBOOK_CREATEPUT, sis::SCOPE_GRADEBOOK_DELETE],
            };
            if let Some(missing) = needed.iter().find(|s| !has(fx, s)) {
                return Verdict::skip(format!(
                    "the profile's scopes lack {missing}, which this write case needs (it reads back and cleans up what it writes)"
                ));
            }
        }
        let mut v = Verdict::new();
        let r = match id {
            COLLECTIONS => collections(fx, &g, &mut v).await,
            SINGLE => single(fx, &g, &mut v).await,
            CLASS_SCOPED => class_scoped(fx, &g, &mut v).await,
            UNKNOWN_ID => {
                let r = g
                    .get(&format!(
                        "lineItems/accredit-unknown-{}",
                        uuid::Uuid::new_v4().simple()
                    ))
                    .await;
                r.map(|r| {
                    check_status_payload(
                        &mut v,
                        "GET /lineItems/{unknown}",
                        &r,
                        404,
                        "unknownobject",
                    )
                })
            }
            REQUIRED | ENUMS | FORMATS | SCHEMA => model(fx, &g, &mut v, id).await,
            REFERENCES => references(&g, &mut v).await,
            PAGING => paging(&g, &mut v).await,
            SCOPES => scopes(fx, cx, &g, &mut v).await,
            PUT_LINE_ITEM => with_cleanup(&g, &mut v, put_line_item).await,
            PUT_RESULT => with_cleanup(&g, &mut v, put_result).await,
            DELETE => with_cleanup(&g, &mut v, delete).await,
            POST_RESULTS => with_cleanup(&g, &mut v, post_pairs).await,
            POST_SCOPED => with_cleanup(&g, &mut v, post_scoped).await,
            ASSESSMENT_WRITE => with_cleanup(&g, &mut v, assessment_write).await,
            FILTER => filter(fx, &g, &mut v).await,
            SORT => sort(fx, &g, &mut v).await,
            FIELDS => fields(fx, &g, &mut v).await,
            other => return Verdict::error(format!("no implementation for case {other}")),
        };
        match r {
            Ok(()) => v,
            Err(s) => s.into_verdict(v),
        }
    })
}

// ---- reads ----------------------------------------------------------------------------

async fn collections(fx: &Fixture, g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for c in readable(fx) {
        match g.page(&format!("{}?limit=5", c.path), c.path).await {
            Ok((_, r)) => {
                v.require(
                    format!("GET /{} answered 200 with `{}`", c.path, c.path),
                    true,
                    "",
                );
                let total = r.header("x-total-count").map(str::to_string);
                v.require(
                    format!("GET /{}: X-Total-Count is a number", c.path),
                    total
                        .as_deref()
                        .is_some_and(|t| t.trim().parse::<u64>().is_ok()),
                    format!("X-Total-Count: {}", total.as_deref().unwrap_or("(absent)")),
                );
            }
            Err(Stop::Fail(n, d)) => {
                v.require(n, false, d);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn single(fx: &Fixture, g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let mut any = false;
    for c in readable(fx) {
        let (list, _) = g.page(&format!("{}?limit=1", c.path), c.path).await?;
        let Some(first) = list.first() else { continue };
        any = true;
        let id = sid(first);
        let r = g.get(&format!("{}/{}", c.path, enc(&id))).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        v.require(
            format!("GET /{}/{{id}} answered 200 with `{}`", c.path, c.single),
            r.status.as_u16() == 200 && body.get(c.single).map(sid) == Some(id.clone()),
            format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
        );
    }
    if !any {
        v.check(
            "the provider has gradebook objects to read",
            Outcome::Skip,
            "every readable collection is empty",
        );
    }
    Ok(())
}

fn ids(list: &[Value]) -> HashSet<String> {
    list.iter().map(sid).collect()
}

async fn class_scoped(fx: &Fixture, g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    if !has(fx, sis::SCOPE_GRADEBOOK) {
        v.check(
            "class-scoped reads need gradebook.readonly",
            Outcome::Skip,
            "the profile's scopes lack gradebook.readonly",
        );
        return Ok(());
    }
    let (items, _) = g.page("lineItems?limit=1", "lineItems").await?;
    let Some(item) = items.first() else {
        v.check(
            "the provider has a line item",
            Outcome::Skip,
            "no line items",
        );
        return Ok(());
    };
    let class = ref_id(item, "class");
    let li = sid(item);
    let k = enc(&class);
    let class_items = g
        .all(&format!("classes/{k}/lineItems"), "lineItems")
        .await?;
    let foreign: Vec<String> = class_items
        .iter()
        .filter(|x| ref_id(x, "class") != class)
        .map(sid)
        .collect();
    v.require(
        format!("/classes/{class}/lineItems: only line items of that class, including {li}"),
        foreign.is_empty() && ids(&class_items).contains(&li),
        format!(
            "{} returned; of other classes: {foreign:?}",
            class_items.len()
        ),
    );
    let item_ids = ids(&class_items);
    let results = g.all(&format!("classes/{k}/results"), "results").await?;
    let foreign: Vec<String> = results
        .iter()
        .filter(|r| !item_ids.contains(&ref_id(r, "lineItem")))
        .map(sid)
        .take(5)
        .collect();
    v.require(
        format!("/classes/{class}/results: only results of that class's line items"),
        foreign.is_empty(),
        format!("results of other line items: {foreign:?}"),
    );
    let li_results = g
        .all(
            &format!("classes/{k}/lineItems/{}/results", enc(&li)),
            "results",
        )
        .await?;
    let want: HashSet<String> = results
        .iter()
        .filter(|r| ref_id(r, "lineItem") == li)
        .map(sid)
        .collect();
    v.require(
        format!(
            "/classes/{class}/lineItems/{li}/results: the {} results of that line item",
            want.len()
        ),
        ids(&li_results) == want,
        format!(
            "{} returned, {} of other line items",
            li_results.len(),
            li_results
                .iter()
                .filter(|r| ref_id(r, "lineItem") != li)
                .count()
        ),
    );
    if let Some(student) = results.first().map(|r| ref_id(r, "student")) {
        let st = g
            .all(
                &format!("classes/{k}/students/{}/results", enc(&student)),
                "results",
            )
            .await?;
        let want: HashSet<String> = results
            .iter()
            .filter(|r| ref_id(r, "student") == student)
            .map(sid)
            .collect();
        v.require(
            format!(
                "/classes/{class}/students/{student}/results: the {} results of that student",
                want.len()
            ),
            ids(&st) == want,
            format!(
                "{} returned, {} of other students",
                st.len(),
                st.iter()
                    .filter(|r| ref_id(r, "student") != student)
                    .count()
            ),
        );
    }
    let cats = g
        .all(&format!("classes/{k}/categories"), "categories")
        .await?;
    let used: HashSet<String> = class_items.iter().map(|x| ref_id(x, "category")).collect();
    let missing: Vec<&String> = used.iter().filter(|c| !ids(&cats).contains(*c)).collect();
    v.require(
        format!("/classes/{class}/categories: includes the categories its line items use"),
        missing.is_empty(),
        format!("missing: {missing:?}"),
    );
    let scales = g
        .all(&format!("classes/{k}/scoreScales"), "scoreScales")
        .await?;
    let foreign: Vec<String> = scales
        .iter()
        .filter(|x| ref_id(x, "class") != class)
        .map(sid)
        .collect();
    v.require(
        format!("/classes/{class}/scoreScales: only score scales of that class"),
        foreign.is_empty(),
        format!("of other classes: {foreign:?}"),
    );
    let school = ref_id(item, "school");
    if !school.is_empty() {
        let (list, _) = g
            .page(
                &format!("schools/{}/scoreScales?limit=5", enc(&school)),
                "scoreScales",
            )
            .await?;
        v.require(
            format!("/schools/{school}/scoreScales answered 200 with `scoreScales`"),
            true,
            format!("{} records", list.len()),
        );
    }
    Ok(())
}

// ---- model ------------------------------------------------------------------------------

fn enum_problems(c: &Coll, r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let id = sid(r);
    let status = r.get("status").and_then(Value::as_str);
    if !matches!(status, Some("active" | "tobedeleted")) {
        out.push(format!("{id}: status = {status:?}"));
    }
    if matches!(c.path, "results" | "assessmentResults") {
        let ok = r.get("scoreStatus").is_some()
            && enum_or_ext(
                r.get("scoreStatus"),
                &[
                    "exempt",
                    "fully graded",
                    "not submitted",
                    "partially graded",
                    "submitted",
                ],
            );
        if !ok {
            out.push(format!("{id}: scoreStatus = {:?}", r.get("scoreStatus")));
        }
        for flag in ["inProgress", "incomplete", "late", "missing"] {
            if let Some(x) = r.get(flag)
                && !matches!(x.as_str(), Some("true" | "false"))
            {
                out.push(format!(
                    "{id}: {flag} = {x} (must be the string \"true\" or \"false\")"
                ));
            }
        }
    }
    for (field, kind) in REF_TYPES {
        let field = if c.path == "assessmentLineItems" && field == "assessmentLineItem" {
            "parentAssessmentLineItem"
        } else {
            field
        };
        if let Some(x) = r.get(field)
            && x.get("type").and_then(Value::as_str) != Some(kind)
        {
            out.push(format!(
                "{id}: {field}.type = {:?}, not {kind}",
                x.get("type")
            ));
        }
    }
    out
}

fn format_problems(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let id = sid(r);
    let datetime =
        |s: Option<&str>| s.is_some_and(|d| chrono::DateTime::parse_from_rfc3339(d).is_ok());
    if !datetime(r.get("dateLastModified").and_then(Value::as_str)) {
        out.push(format!(
            "{id}: dateLastModified {:?} is not a date-time",
            r.get("dateLastModified")
        ));
    }
    for k in ["assignDate", "dueDate"] {
        if let Some(d) = r.get(k)
            && !datetime(d.as_str())
        {
            out.push(format!("{id}: {k} {d} is not a date-time"));
        }
    }
    if let Some(d) = r.get("scoreDate")
        && !d.as_str().is_some_and(is_date)
    {
        out.push(format!("{id}: scoreDate {d} is not a date (YYYY-MM-DD)"));
    }
    for k in [
        "score",
        "resultValueMin",
        "resultValueMax",
        "weight",
        "scorePercentile",
    ] {
        if let Some(n) = r.get(k)
            && !n.is_number()
        {
            out.push(format!("{id}: {k} {n} is not a number"));
        }
    }
    out
}

async fn model(fx: &Fixture, g: &Svc<'_>, v: &mut Verdict, case: &str) -> Result<(), Stop> {
    for c in readable(fx) {
        let (list, resp) = g
            .page(&format!("{}?limit={SAMPLE}", c.path), c.path)
            .await?;
        let mut problems = Vec::new();
        match case {
            REQUIRED => {
                for r in &list {
                    let missing: Vec<&str> = c
                        .required
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
                .for_each(|r| problems.extend(enum_problems(c, r))),
            FORMATS => list
                .iter()
                .for_each(|r| problems.extend(format_problems(r))),
            _ => {
                let body: Value = resp.json().unwrap_or(Value::Null);
                problems.extend(violations(
                    &fx.service_schemas.gradebook,
                    c.set_dtype,
                    &body,
                ));
                if let Some(first) = list.first() {
                    let r = g.get(&format!("{}/{}", c.path, enc(&sid(first)))).await?;
                    let body: Value = r.json().unwrap_or(Value::Null);
                    problems.extend(violations(&fx.service_schemas.gradebook, c.dtype, &body));
                }
            }
        }
        problems.truncate(10);
        v.require(
            format!("/{} (first {} records)", c.path, list.len()),
            problems.is_empty(),
            problems.join("; "),
        );
    }
    Ok(())
}

async fn references(g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let mut refs: Vec<(String, Value)> = Vec::new();
    let (items, _) = g.page("lineItems?limit=2", "lineItems").await?;
    for r in &items {
        if let Some(x) = r.get("class") {
            refs.push((format!("lineItem {} class", sid(r)), x.clone()));
        }
    }
    let (results, _) = g.page("results?limit=2", "results").await?;
    for r in &results {
        for f in ["lineItem", "student"] {
            if let Some(x) = r.get(f) {
                refs.push((format!("result {} {f}", sid(r)), x.clone()));
            }
        }
    }
    if refs.is_empty() {
        v.check(
            "GUID references were found to resolve",
            Outcome::Skip,
            "no line items or results to sample",
        );
        return Ok(());
    }
    for (what, x) in refs {
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
        let r = g.get_abs(href).await?;
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

async fn paging(g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for path in ["results", "lineItems"] {
        paging_of(g, v, path).await?;
    }
    Ok(())
}

/// Pages of `path` (also its envelope): the total, then pages of about a
/// quarter of it that together hold every record exactly once.
async fn paging_of(g: &Svc<'_>, v: &mut Verdict, path: &str) -> Result<(), Stop> {
    let truth = g.all(path, path).await?;
    let (_, r) = g.page(&format!("{path}?limit=3"), path).await?;
    let header = r.header("x-total-count").map(str::to_string);
    v.require(
        format!("/{path}?limit=3: X-Total-Count is {}", truth.len()),
        header
            .as_deref()
            .and_then(|h| h.trim().parse::<usize>().ok())
            == Some(truth.len()),
        format!("X-Total-Count: {}", header.as_deref().unwrap_or("(absent)")),
    );
    let limit = (truth.len() / 4).max(2);
    let mut seen: Vec<String> = Vec::new();
    let mut offset = 0;
    for _ in 0..(truth.len() / limit + 3) {
        let (list, _) = g
            .page(&format!("{path}?limit={limit}&offset={offset}"), path)
            .await?;
        let n = list.len();
        seen.extend(list.iter().map(sid));
        offset += limit;
        if n < limit || offset >= truth.len() {
            break;
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    v.require(
        format!(
            "/{path} in pages of {limit}: every one of the {} records exactly once",
            truth.len()
        ),
        unique.len() == seen.len() && unique.len() == ids(&truth).len(),
        format!("{} returned, {} distinct", seen.len(), unique.len()),
    );
    Ok(())
}

// ---- query: filter, sort, fields ---------------------------------------------------------

/// Checks that an answer is the 1.2 `400` refusal with `minor`, for each readable
/// collection with the query `q` (the same judgement as rostering's).
async fn refused(
    fx: &Fixture,
    g: &Svc<'_>,
    v: &mut Verdict,
    q: &str,
    minor: &str,
) -> Result<(), Stop> {
    for c in readable(fx) {
        let r = g.get(&format!("{}?{q}", c.path)).await?;
        check_status_payload(v, &format!("GET /{}?{q}", c.path), &r, 400, minor);
    }
    Ok(())
}

/// Records of `all` whose `field` (a string) equals `value`, case-insensitively
/// as the REST binding's `=` compares strings.
fn matching(all: &[Value], field: &str, value: &str) -> HashSet<String> {
    let want = value.to_lowercase();
    all.iter()
        .filter(|r| lower(r, field).is_some_and(|s| s == want))
        .map(sid)
        .collect()
}

async fn filter(fx: &Fixture, g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let mut any = false;
    for c in readable(fx) {
        let all = g.all(c.path, c.path).await?;
        let Some(first) = all.first() else { continue };
        any = true;
        // `=` on the record's own id, `!=` on it (every other record), and
        // where the type has a title `=` on it and `~` (contains) on a
        // fragment of it: the operators a gradebook consumer filters with.
        let id = sid(first);
        let quote = |s: &str| s.replace('\'', "''");
        let mut tests: Vec<(String, HashSet<String>)> = vec![
            (
                format!("sourcedId='{}'", quote(&id)),
                matching(&all, "sourcedId", &id),
            ),
            (format!("sourcedId!='{}'", quote(&id)), {
                let mut rest = ids(&all);
                rest.retain(|s| !s.eq_ignore_ascii_case(&id));
                rest
            }),
        ];
        if let Some(t) = first.get("title").and_then(Value::as_str) {
            tests.push((format!("title='{}'", quote(t)), matching(&all, "title", t)));
            let part: String = t.to_lowercase().chars().skip(1).take(3).collect();
            if !part.is_empty() {
                tests.push((format!("title~'{}'", quote(&part)), {
                    all.iter()
                        .filter(|r| lower(r, "title").is_some_and(|s| s.contains(&part)))
                        .map(sid)
                        .collect()
                }));
            }
        }
        for (f, want) in tests {
            let got = ids(&g
                .all(&format!("{}?filter={}", c.path, enc(&f)), c.path)
                .await?);
            require_filtered(v, &format!("/{}?", c.path), &f, &want, &got);
        }
    }
    if !any {
        v.check(
            "the provider has gradebook objects to filter",
            Outcome::Skip,
            "every readable collection is empty",
        );
    }
    let q = format!("filter={}", enc("accreditNoSuchField='x'"));
    refused(fx, g, v, &q, "invalid_filter_field").await
}

/// The position of the first pair of `keys` out of order, if any.
fn out_of_order(keys: &[String], desc: bool) -> Option<usize> {
    keys.windows(2)
        .position(|w| if desc { w[0] < w[1] } else { w[0] > w[1] })
}

/// [`out_of_order`] in both binary and case-insensitive order (the binding
/// names no collation): `Some` only when neither order holds.
fn misordered(keys: &[String], desc: bool) -> Option<usize> {
    let folded: Vec<String> = keys.iter().map(|k| k.to_lowercase()).collect();
    out_of_order(keys, desc).filter(|_| out_of_order(&folded, desc).is_some())
}

async fn sort(fx: &Fixture, g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let colls: Vec<&Coll> = readable(fx)
        .into_iter()
        .filter(|c| matches!(c.path, "lineItems" | "results" | "assessmentResults"))
        .collect();
    for c in colls {
        let mut sorts = vec!["sourcedId"];
        if c.path == "lineItems" {
            sorts.push("dueDate");
        }
        for field in sorts {
            for dir in ["asc", "desc"] {
                let (list, _) = g
                    .page(
                        &format!("{}?sort={field}&orderBy={dir}&limit={WALK_LIMIT}", c.path),
                        c.path,
                    )
                    .await?;
                // The binding names no collation: binary or case-insensitive
                // order both pass.
                let keys: Vec<String> = list
                    .iter()
                    .map(|r| {
                        r.get(field)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect();
                let bad = misordered(&keys, dir == "desc");
                v.require(
                    format!("/{}?sort={field}&orderBy={dir}: in order", c.path),
                    bad.is_none() && !keys.is_empty(),
                    match bad {
                        Some(b) => format!("{} before {}", keys[b], keys[b + 1]),
                        None => format!("{} records", keys.len()),
                    },
                );
            }
        }
    }
    Ok(())
}

async fn fields(fx: &Fixture, g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let sel = ["sourcedId", "status"];
    for c in readable(fx) {
        let (list, _) = g
            .page(
                &format!("{}?limit=5&fields={}", c.path, sel.join(",")),
                c.path,
            )
            .await?;
        if list.is_empty() {
            continue;
        }
        let extra: HashSet<String> = list
            .iter()
            .flat_map(|r| {
                r.as_object()
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .filter(|k| !sel.contains(&k.as_str()))
                    .cloned()
            })
            .collect();
        v.require(
            format!("/{}?fields={}: only those fields", c.path, sel.join(",")),
            extra.is_empty(),
            format!("also returned: {extra:?} ({} records)", list.len()),
        );
    }
    let q = format!("fields={}", enc("sourcedId,"));
    refused(fx, g, v, &q, "invalid_selection_field").await
}

// ---- auth ------------------------------------------------------------------------------

async fn scopes(fx: &Fixture, cx: &CaseCx, g: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let roster = [super::SCOPE_ROSTER_CORE, super::SCOPE_ROSTER]
        .into_iter()
        .find(|s| has(fx, s));
    match roster {
        Some(s) => {
            let r = Svc::connect(fx, cx, Service::Gradebook, &[s.to_string()]).await?;
            let resp = r.get("lineItems?limit=1").await?;
            let code = resp.status.as_u16();
            v.require(
                "getAllLineItems with only a rostering scope: answered 403",
                code == 403,
                format!("answered {code}: {}", snippet(&resp)),
            );
        }
        None => {
            v.check(
                "a rostering-only token reads no gradebook",
                Outcome::Skip,
                "the profile has no rostering scope",
            );
        }
    }
    let can_write = fx.profile.allow_writes
        && has(fx, sis::SCOPE_GRADEBOOK)
        && has(fx, sis::SCOPE_GRADEBOOK_CREATEPUT)
        && has(fx, sis::SCOPE_GRADEBOOK_DELETE);
    if !can_write {
        // Not a skip check: the read refusal above was judged, and a skip
        // would hide it. The log says what was not tried.
        cx.log(
            "not tried: PUT/DELETE with only gradebook.readonly (needs allow_writes = true and the gradebook.readonly, createput and delete scopes, since a provider that wrongly accepts the write must be cleaned up)",
        );
        if v.checks.is_empty() {
            v.check(
                "gradebook operations enforce their scopes",
                Outcome::Skip,
                "no rostering scope to read with, and writes are not allowed",
            );
        }
        return Ok(());
    }
    let ro = Svc::connect(
        fx,
        cx,
        Service::Gradebook,
        &[sis::SCOPE_GRADEBOOK.to_string()],
    )
    .await?;
    let id = fresh("category");
    let body = json!({"category": category(&id, "accredit scope probe")});
    let resp = ro
        .send(
            Method::PUT,
            &format!("categories/{}", enc(&id)),
            Some(&body),
        )
        .await?;
    let code = resp.status.as_u16();
    v.require(
        "putCategory with only gradebook.readonly: answered 403",
        code == 403,
        format!("answered {code}: {}", snippet(&resp)),
    );
    if (200..300).contains(&code) {
        // The provider wrongly wrote: remove it.
        let _ = g
            .send(Method::DELETE, &format!("categories/{}", enc(&id)), None)
            .await;
    }
    // A real object to try to delete, created and removed with the full token.
    let id = fresh("category");
    setup_put(
        g,
        "categories",
        &id,
        json!({"category": category(&id, "accredit scope probe")}),
    )
    .await?;
    let resp = ro
        .send(Method::DELETE, &format!("categories/{}", enc(&id)), None)
        .await?;
    let code = resp.status.as_u16();
    v.require(
        "deleteCategory with only gradebook.readonly: answered 403",
        code == 403,
        format!("answered {code}: {}", snippet(&resp)),
    );
    let after = g.get(&format!("categories/{}", enc(&id))).await?;
    v.require(
        "the category refused for deletion still exists",
        after.status.as_u16() == 200,
        format!("GET answered {}", after.status.as_u16()),
    );
    let _ = g
        .send(Method::DELETE, &format!("categories/{}", enc(&id)), None)
        .await;
    Ok(())
}

// ---- writes -------------------------------------------------------------------------------

/// A fresh sourcedId for an object the harness creates.
fn fresh(kind: &str) -> String {
    format!("accredit-{kind}-{}", uuid::Uuid::new_v4().simple())
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn category(id: &str, title: &str) -> Value {
    json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": now(),
        "title": title,
        "weight": 0.25,
    })
}

/// The objects a write case created, deleted afterwards (children first).
#[derive(Default)]
struct Created(Vec<(String, String)>);

impl Created {
    fn add(&mut self, path: &str, id: &str) {
        self.0.push((path.to_string(), id.to_string()));
    }
}

type WriteFn = for<'a, 'b> fn(
    &'a Svc<'b>,
    &'a mut Verdict,
    &'a mut Created,
) -> BoxFuture<'a, Result<(), Stop>>;

/// Runs a write case, then deletes what it created whatever happened; a
/// leftover is reported as a warning (the run must not leave junk).
async fn with_cleanup(g: &Svc<'_>, v: &mut Verdict, f: WriteFn) -> Result<(), Stop> {
    let mut created = Created::default();
    let out = f(g, v, &mut created).await;
    let mut left = Vec::new();
    for (path, id) in created.0.iter().rev() {
        match g
            .send(Method::DELETE, &format!("{path}/{}", enc(id)), None)
            .await
        {
            Ok(r) if r.status.is_success() || r.status.as_u16() == 404 => {}
            Ok(r) => left.push(format!(
                "{path}/{id} (DELETE answered {})",
                r.status.as_u16()
            )),
            Err(_) => left.push(format!("{path}/{id} (DELETE failed)")),
        }
    }
    if !left.is_empty() {
        v.recommend(
            "every object the case created was deleted",
            false,
            format!("left in the provider: {}", left.join(", ")),
        );
    }
    out
}

/// A PUT the case depends on but does not judge: any 2xx, else the case errors.
async fn setup_put(g: &Svc<'_>, path: &str, id: &str, body: Value) -> Result<(), Stop> {
    let r = g
        .send(Method::PUT, &format!("{path}/{}", enc(id)), Some(&body))
        .await?;
    if r.status.is_success() {
        Ok(())
    } else {
        Err(Stop::Error(format!(
            "setting up: PUT /{path}/{id} answered {}: {}",
            r.status.as_u16(),
            snippet(&r)
        )))
    }
}

/// A class with a school and one of its students, from the gradebook's
/// line items when there are any, else from rostering.
async fn class_context(g: &Svc<'_>) -> Result<(Value, Value, Option<Value>), Stop> {
    let (items, _) = g.page("lineItems?limit=1", "lineItems").await?;
    let roster = Client::with_scopes(g.c.fx, g.c.cx, &g.c.fx.profile.scopes).await?;
    let base =
        g.c.fx
            .profile
            .base_url
            .as_str()
            .trim_end_matches('/')
            .to_string();
    let (class_ref, school_ref) = match items.first() {
        Some(li) if li.get("class").is_some() && li.get("school").is_some() => (
            li.get("class").cloned().unwrap_or(Value::Null),
            li.get("school").cloned().unwrap_or(Value::Null),
        ),
        _ => {
            let r = roster
                .raw(
                    &format!("{base}/classes?limit=1"),
                    Some(&format!("Bearer {}", roster.token)),
                )
                .await?;
            let body: Value = r.json().unwrap_or(Value::Null);
            let Some(k) = body
                .get("classes")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
            else {
                return Err(Stop::Error(
                    "the provider has no class to write a line item for".into(),
                ));
            };
            let id = sid(k);
            (
                json!({"href": format!("{base}/classes/{id}"), "sourcedId": id, "type": "class"}),
                k.get("school").cloned().unwrap_or(Value::Null),
            )
        }
    };
    let class = sid(&class_ref);
    let r = roster
        .raw(
            &format!("{base}/classes/{}/students?limit=2", enc(&class)),
            Some(&format!("Bearer {}", roster.token)),
        )
        .await?;
    let body: Value = r.json().unwrap_or(Value::Null);
    let student = body
        .get("users")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .map(|u| {
            let id = sid(u);
            json!({"href": format!("{base}/users/{id}"), "sourcedId": id, "type": "user"})
        });
    Ok((class_ref, school_ref, student))
}

fn gb_ref(g: &Svc<'_>, path: &str, kind: &str, id: &str) -> Value {
    json!({"href": g.url(&format!("{path}/{id}")), "sourcedId": id, "type": kind})
}

/// Differences between what was sent and what came back: every sent field but
/// `dateLastModified` (server-managed); references compare by sourcedId and
/// type, numbers numerically.
fn differences(sent: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(s), Some(g)) = (sent.as_object(), got.as_object()) else {
        return vec!["not an object".into()];
    };
    for (k, want) in s {
        if k == "dateLastModified" {
            continue;
        }
        let have = g.get(k);
        let same = match (want, have) {
            (Value::Object(w), Some(Value::Object(h))) if w.contains_key("sourcedId") => {
                w.get("sourcedId") == h.get("sourcedId") && w.get("type") == h.get("type")
            }
            (Value::Number(w), Some(Value::Number(h))) => {
                (w.as_f64().unwrap_or(f64::NAN) - h.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9
            }
            (w, Some(h)) => w == h,
            (_, None) => false,
        };
        if !same {
            out.push(format!(
                "{k}: sent {want}, got {}",
                have.map_or("nothing".into(), Value::to_string)
            ));
        }
    }
    out
}

/// GET `path/id` and compare its singular object with `sent`.
async fn read_back(
    g: &Svc<'_>,
    v: &mut Verdict,
    path: &str,
    single: &str,
    id: &str,
    sent: &Value,
    what: &str,
) -> Result<(), Stop> {
    let r = g.get(&format!("{path}/{}", enc(id))).await?;
    let body: Value = r.json().unwrap_or(Value::Null);
    let diffs = match body.get(single) {
        Some(obj) if r.status.as_u16() == 200 => differences(sent, obj),
        _ => vec![format!(
            "GET answered {}: {}",
            r.status.as_u16(),
            snippet(&r)
        )],
    };
    v.require(
        format!("{what}: GET /{path}/{{id}} returns it as sent"),
        diffs.is_empty(),
        diffs.join("; "),
    );
    Ok(())
}

/// PUT a new object (`{single: sent}`) to `path/id`: it must answer 201 and
/// read back as sent. A 2xx registers it for the cleanup, whatever the code.
async fn put_new(
    g: &Svc<'_>,
    v: &mut Verdict,
    created: &mut Created,
    path: &str,
    single: &str,
    id: &str,
    sent: &Value,
) -> Result<(), Stop> {
    let r = g
        .send(
            Method::PUT,
            &format!("{path}/{}", enc(id)),
            Some(&json!({ single: sent })),
        )
        .await?;
    let code = r.status.as_u16();
    if (200..300).contains(&code) {
        created.add(path, id);
    }
    v.require(
        format!("PUT /{path}/{{new id}}: answered 201"),
        code == 201,
        format!("answered {code}: {}", snippet(&r)),
    );
    read_back(
        g,
        v,
        path,
        single,
        id,
        sent,
        &format!("the created {single}"),
    )
    .await
}

fn line_item(
    g: &Svc<'_>,
    id: &str,
    cat: &str,
    class: &Value,
    school: &Value,
    title: &str,
) -> Value {
    json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": now(),
        "title": title,
        "assignDate": "2026-10-05T08:00:00.000Z",
        "dueDate": "2026-10-12T23:59:00.000Z",
        "class": class,
        "school": school,
        "category": gb_ref(g, "categories", "category", cat),
        "resultValueMin": 0.0,
        "resultValueMax": 100.0,
    })
}

/// PUT a fresh category and line item for the case; returns the line item id
/// and the context it was created in.
async fn scaffold(
    g: &Svc<'_>,
    created: &mut Created,
) -> Result<(String, Value, Option<Value>), Stop> {
    let (class, school, student) = class_context(g).await?;
    let cat = fresh("category");
    setup_put(
        g,
        "categories",
        &cat,
        json!({"category": category(&cat, "accredit test category")}),
    )
    .await?;
    created.add("categories", &cat);
    let li = fresh("lineitem");
    let body = line_item(g, &li, &cat, &class, &school, "accredit test line item");
    setup_put(g, "lineItems", &li, json!({"lineItem": body})).await?;
    created.add("lineItems", &li);
    Ok((li, class, student))
}

fn put_line_item<'a>(
    g: &'a Svc<'_>,
    v: &'a mut Verdict,
    created: &'a mut Created,
) -> BoxFuture<'a, Result<(), Stop>> {
    Box::pin(async move {
        let (class, school, _) = class_context(g).await?;
        let cat = fresh("category");
        setup_put(
            g,
            "categories",
            &cat,
            json!({"category": category(&cat, "accredit test category")}),
        )
        .await?;
        created.add("categories", &cat);
        let li = fresh("lineitem");
        let sent = line_item(
            g,
            &li,
            &cat,
            &class,
            &school,
            "accredit round-trip line item",
        );
        put_new(g, v, created, "lineItems", "lineItem", &li, &sent).await?;
        let mut changed = sent.clone();
        if let Some(m) = changed.as_object_mut() {
            m.insert(
                "title".into(),
                json!("accredit round-trip line item, renamed"),
            );
            m.insert("resultValueMax".into(), json!(50.5));
        }
        let r = g
            .send(
                Method::PUT,
                &format!("lineItems/{}", enc(&li)),
                Some(&json!({"lineItem": changed})),
            )
            .await?;
        let code = r.status.as_u16();
        v.require(
            "PUT /lineItems/{existing id}: answered 200, 201 or 204",
            matches!(code, 200 | 201 | 204),
            format!("answered {code}: {}", snippet(&r)),
        );
        read_back(
            g,
            v,
            "lineItems",
            "lineItem",
            &li,
            &changed,
            "the replaced line item",
        )
        .await
    })
}

fn put_result<'a>(
    g: &'a Svc<'_>,
    v: &'a mut Verdict,
    created: &'a mut Created,
) -> BoxFuture<'a, Result<(), Stop>> {
    Box::pin(async move {
        let (li, class, student) = scaffold(g, created).await?;
        let Some(student) = student else {
            return Err(Stop::Error(format!(
                "class {} has no students to write a result for",
                sid(&class)
            )));
        };
        let id = fresh("result");
        let sent = json!({
            "sourcedId": id,
            "status": "active",
            "dateLastModified": now(),
            "lineItem": gb_ref(g, "lineItems", "lineItem", &li),
            "student": student,
            "class": class,
            "scoreStatus": "partially graded",
            "score": 87.25,
            "textScore": "B+",
            "scoreDate": "2026-10-13",
            "comment": "accredit round-trip result",
            "late": "true",
        });
        // Registered after its line item, so deleted before it.
        put_new(g, v, created, "results", "result", &id, &sent).await
    })
}

fn delete<'a>(
    g: &'a Svc<'_>,
    v: &'a mut Verdict,
    created: &'a mut Created,
) -> BoxFuture<'a, Result<(), Stop>> {
    Box::pin(async move {
        let id = fresh("category");
        setup_put(
            g,
            "categories",
            &id,
            json!({"category": category(&id, "accredit delete probe")}),
        )
        .await?;
        created.add("categories", &id);
        let rel = format!("categories/{}", enc(&id));
        let r = g.send(Method::DELETE, &rel, None).await?;
        let code = r.status.as_u16();
        v.require(
            "DELETE /categories/{id}: answered 204",
            code == 204,
            format!("answered {code}: {}", snippet(&r)),
        );
        let r = g.get(&rel).await?;
        check_status_payload(v, "GET after DELETE", &r, 404, "unknownobject");
        let r = g.send(Method::DELETE, &rel, None).await?;
        let code = r.status.as_u16();
        v.require(
            "DELETE of the deleted category: answered 404",
            code == 404,
            format!("answered {code}: {}", snippet(&r)),
        );
        Ok(())
    })
}

/// Adds to `created` the objects of `path` whose `field` is `marker` (what a
/// POST made, found with the filter when the provider's `sourcedIdPairs`
/// cannot be trusted). Best effort: a provider whose filter fails keeps them,
/// and the cleanup check reports nothing it cannot know about. What the filter
/// returns is checked again here: a provider that ignores the filter must not
/// get every record of `path` deleted.
async fn sweep(g: &Svc<'_>, created: &mut Created, path: &str, field: &str, marker: &str) {
    let rel = format!("{path}?filter={}", enc(&format!("{field}='{marker}'")));
    if let Ok(found) = g.all(&rel, path).await {
        for x in found
            .into_iter()
            .filter(|x| x.get(field).and_then(Value::as_str) == Some(marker))
        {
            let id = sid(&x);
            if !id.is_empty() && !created.0.iter().any(|(p, i)| p == path && *i == id) {
                created.add(path, &id);
            }
        }
    }
}

/// Checks a POST's `sourcedIdPairs` against the supplied ids; the allocated ids
/// (when the pairs are usable) in supplied order.
fn pairs(v: &mut Verdict, what: &str, r: &Captured, supplied: &[String]) -> Vec<String> {
    let code = r.status.as_u16();
    if !v.require(
        format!("{what}: answered 201"),
        code == 201,
        format!("answered {code}: {}", snippet(r)),
    ) {
        return Vec::new();
    }
    let body: Value = r.json().unwrap_or(Value::Null);
    let Some(list) = body.get("sourcedIdPairs").and_then(Value::as_array) else {
        v.require(
            format!("{what}: the body has sourcedIdPairs"),
            false,
            format!("body: {}", snippet(r)),
        );
        return Vec::new();
    };
    let map: HashMap<&str, &str> = list
        .iter()
        .filter_map(|p| {
            Some((
                p.get("suppliedSourcedId")?.as_str()?,
                p.get("allocatedSourcedId")?.as_str()?,
            ))
        })
        .collect();
    let allocated: Vec<String> = supplied
        .iter()
        .filter_map(|s| map.get(s.as_str()).map(|a| (*a).to_string()))
        .filter(|a| !a.is_empty())
        .collect();
    v.require(
        format!(
            "{what}: sourcedIdPairs maps each of the {} supplied ids to an allocated id",
            supplied.len()
        ),
        allocated.len() == supplied.len() && list.len() == supplied.len(),
        format!("pairs: {}", Value::Array(list.clone())),
    );
    allocated
}

fn post_pairs<'a>(
    g: &'a Svc<'_>,
    v: &'a mut Verdict,
    created: &'a mut Created,
) -> BoxFuture<'a, Result<(), Stop>> {
    Box::pin(async move {
        let (li, class, student) = scaffold(g, created).await?;
        let Some(student) = student else {
            return Err(Stop::Error(format!(
                "class {} has no students to post results for",
                sid(&class)
            )));
        };
        let supplied = vec![fresh("supplied"), fresh("supplied")];
        // Found again by this marker if the provider does not say what it allocated.
        let marker = fresh("posted");
        let results: Vec<Value> = supplied
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({
                    "sourcedId": s,
                    "status": "active",
                    "dateLastModified": now(),
                    "lineItem": gb_ref(g, "lineItems", "lineItem", &li),
                    "student": student,
                    "scoreStatus": "fully graded",
                    "score": 70.0 + i as f64,
                    "scoreDate": "2026-10-14",
                    "comment": marker,
                })
            })
            .collect();
        let r = g
            .send(
                Method::POST,
                &format!("lineItems/{}/results", enc(&li)),
                Some(&json!({"results": results})),
            )
            .await?;
        let allocated = pairs(v, "POST /lineItems/{id}/results", &r, &supplied);
        for a in &allocated {
            created.add("results", a);
        }
        sweep(g, created, "results", "comment", &marker).await;
        for a in &allocated {
            let r = g.get(&format!("results/{}", enc(a))).await?;
            let body: Value = r.json().unwrap_or(Value::Null);
            let res = body.get("result").cloned().unwrap_or(Value::Null);
            v.require(
                format!("GET /results/{a} (allocated): a result of line item {li}"),
                r.status.as_u16() == 200 && ref_id(&res, "lineItem") == li,
                format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
            );
        }
        // Line items posted to a class.
        let (class_ref, school_ref, _) = class_context(g).await?;
        let cat = fresh("category");
        setup_put(
            g,
            "categories",
            &cat,
            json!({"category": category(&cat, "accredit test category")}),
        )
        .await?;
        created.add("categories", &cat);
        let supplied = vec![fresh("supplied")];
        let item = line_item(g, &supplied[0], &cat, &class_ref, &school_ref, &marker);
        let r = g
            .send(
                Method::POST,
                &format!("classes/{}/lineItems", enc(&sid(&class_ref))),
                Some(&json!({"lineItems": [item]})),
            )
            .await?;
        for a in pairs(v, "POST /classes/{id}/lineItems", &r, &supplied) {
            created.add("lineItems", &a);
        }
        sweep(g, created, "lineItems", "title", &marker).await;
        Ok(())
    })
}

/// The first term of `class`, read from rostering (where results are posted for).
async fn class_term(g: &Svc<'_>, class: &str) -> Result<String, Stop> {
    let roster = Client::with_scopes(g.c.fx, g.c.cx, &g.c.fx.profile.scopes).await?;
    let base = g.c.fx.profile.base_url.as_str().trim_end_matches('/');
    let r = roster
        .raw(
            &format!("{base}/classes/{}", enc(class)),
            Some(&format!("Bearer {}", roster.token)),
        )
        .await?;
    let body: Value = r.json().unwrap_or(Value::Null);
    body.pointer("/class/terms/0/sourcedId")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Stop::Error(format!(
                "class {class} has no term to post results for (GET answered {})",
                r.status.as_u16()
            ))
        })
}

/// GET each allocated id of `path` and judge its singular object with `ok`.
async fn allocated_readable(
    g: &Svc<'_>,
    v: &mut Verdict,
    path: &str,
    single: &str,
    allocated: &[String],
    what: &str,
    ok: impl Fn(&Value) -> bool,
) -> Result<(), Stop> {
    for a in allocated {
        let r = g.get(&format!("{path}/{}", enc(a))).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        let obj = body.get(single).cloned().unwrap_or(Value::Null);
        v.require(
            format!("GET /{path}/{a} (allocated): {what}"),
            r.status.as_u16() == 200 && ok(&obj),
            format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
        );
    }
    Ok(())
}

fn post_scoped<'a>(
    g: &'a Svc<'_>,
    v: &'a mut Verdict,
    created: &'a mut Created,
) -> BoxFuture<'a, Result<(), Stop>> {
    Box::pin(async move {
        let (class, school, student) = class_context(g).await?;
        let Some(student) = student else {
            return Err(Stop::Error(format!(
                "class {} has no students to post results for",
                sid(&class)
            )));
        };
        let (class_id, school_id) = (sid(&class), sid(&school));
        let term = class_term(g, &class_id).await?;
        let cat = fresh("category");
        setup_put(
            g,
            "categories",
            &cat,
            json!({"category": category(&cat, "accredit test category")}),
        )
        .await?;
        created.add("categories", &cat);
        let li = fresh("lineitem");
        let body = line_item(g, &li, &cat, &class, &school, "accredit test line item");
        setup_put(g, "lineItems", &li, json!({"lineItem": body})).await?;
        created.add("lineItems", &li);
        let marker = fresh("posted");
        // Line items posted to the school.
        let supplied = vec![fresh("supplied"), fresh("supplied")];
        let items: Vec<Value> = supplied
            .iter()
            .map(|s| line_item(g, s, &cat, &class, &school, &marker))
            .collect();
        let r = g
            .send(
                Method::POST,
                &format!("schools/{}/lineItems", enc(&school_id)),
                Some(&json!({"lineItems": items})),
            )
            .await?;
        let allocated = pairs(v, "POST /schools/{id}/lineItems", &r, &supplied);
        for a in &allocated {
            created.add("lineItems", a);
        }
        sweep(g, created, "lineItems", "title", &marker).await;
        allocated_readable(
            g,
            v,
            "lineItems",
            "lineItem",
            &allocated,
            &format!("a line item of school {school_id}"),
            |x| ref_id(x, "school") == school_id,
        )
        .await?;
        // Results posted for the class's term.
        let supplied = vec![fresh("supplied"), fresh("supplied")];
        let results: Vec<Value> = supplied
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({
                    "sourcedId": s,
                    "status": "active",
                    "dateLastModified": now(),
                    "lineItem": gb_ref(g, "lineItems", "lineItem", &li),
                    "student": student,
                    "class": class,
                    "scoreStatus": "submitted",
                    "score": 60.5 + i as f64,
                    "scoreDate": "2026-10-16",
                    "comment": marker,
                })
            })
            .collect();
        let r = g
            .send(
                Method::POST,
                &format!(
                    "classes/{}/academicSessions/{}/results",
                    enc(&class_id),
                    enc(&term)
                ),
                Some(&json!({"results": results})),
            )
            .await?;
        let allocated = pairs(
            v,
            "POST /classes/{id}/academicSessions/{id}/results",
            &r,
            &supplied,
        );
        for a in &allocated {
            created.add("results", a);
        }
        sweep(g, created, "results", "comment", &marker).await;
        allocated_readable(
            g,
            v,
            "results",
            "result",
            &allocated,
            &format!("a result of line item {li} in class {class_id}"),
            |x| ref_id(x, "lineItem") == li && ref_id(x, "class") == class_id,
        )
        .await
    })
}

fn assessment_write<'a>(
    g: &'a Svc<'_>,
    v: &'a mut Verdict,
    created: &'a mut Created,
) -> BoxFuture<'a, Result<(), Stop>> {
    Box::pin(async move {
        let (class, _, student) = class_context(g).await?;
        let Some(student) = student else {
            return Err(Stop::Error(format!(
                "class {} has no students to write an assessment result for",
                sid(&class)
            )));
        };
        let ali = fresh("assessmentlineitem");
        let sent_li = json!({
            "sourcedId": ali,
            "status": "active",
            "dateLastModified": now(),
            "title": "accredit assessment line item",
            "class": class,
            "resultValueMin": 0.0,
            "resultValueMax": 40.0,
        });
        let ar = fresh("assessmentresult");
        let sent_r = json!({
            "sourcedId": ar,
            "status": "active",
            "dateLastModified": now(),
            "assessmentLineItem": gb_ref(g, "assessmentLineItems", "assessmentLineItem", &ali),
            "student": student,
            "score": 31.5,
            "textScore": "31.5/40",
            "scoreDate": "2026-10-15",
            "scoreStatus": "fully graded",
            "comment": "accredit assessment result",
            "missing": "false",
        });
        // Created in dependency order; deleted (below, and by the cleanup) in reverse.
        let writes = [
            ("assessmentLineItems", "assessmentLineItem", &ali, &sent_li),
            ("assessmentResults", "assessmentResult", &ar, &sent_r),
        ];
        for (path, single, id, sent) in writes {
            put_new(g, v, created, path, single, id, sent).await?;
        }
        for (path, single, id, _) in writes.iter().rev() {
            let rel = format!("{path}/{}", enc(id));
            let r = g.send(Method::DELETE, &rel, None).await?;
            let code = r.status.as_u16();
            v.require(
                format!("DELETE /{path}/{{id}}: answered 204"),
                code == 204,
                format!("answered {code}: {}", snippet(&r)),
            );
            let r = g.get(&rel).await?;
            check_status_payload(
                v,
                &format!("GET the deleted {single}"),
                &r,
                404,
                "unknownobject",
            );
        }
        Ok(())
    })
}

/// A JSON object from pairs (for the tests).
#[cfg(test)]
fn obj(pairs: &[(&str, Value)]) -> Value {
    use serde_json::Map;
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert((*k).to_string(), v.clone());
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::same(obj(&[("title", json!("a")), ("score", json!(87.25))]), true)]
    #[case::rounded_score(obj(&[("title", json!("a")), ("score", json!(87.0))]), false)]
    #[case::missing_field(obj(&[("score", json!(87.25))]), false)]
    #[case::other_title(obj(&[("title", json!("A")), ("score", json!(87.25))]), false)]
    fn differences_find_what_changed(#[case] got: Value, #[case] same: bool) {
        let sent = obj(&[
            ("title", json!("a")),
            ("score", json!(87.25)),
            ("dateLastModified", json!("2026-01-01T00:00:00Z")),
        ]);
        assert_eq!(
            differences(&sent, &got).is_empty(),
            same,
            "{:?}",
            differences(&sent, &got)
        );
    }

    #[test]
    fn references_compare_by_id_and_type_not_href() {
        let sent =
            json!({"class": {"href": "http://a/classes/1", "sourcedId": "1", "type": "class"}});
        let moved = json!({"class": {"href": "http://b/x/1", "sourcedId": "1", "type": "class"}});
        assert!(differences(&sent, &moved).is_empty());
        let other =
            json!({"class": {"href": "http://a/classes/2", "sourcedId": "2", "type": "class"}});
        assert_eq!(differences(&sent, &other).len(), 1);
    }

    #[rstest]
    #[case::ok(json!({"sourcedId": "r", "status": "active", "scoreStatus": "fully graded", "late": "false", "lineItem": {"type": "lineItem"}}), 0)]
    #[case::capitalised_status(json!({"sourcedId": "r", "status": "Active", "scoreStatus": "fully graded"}), 1)]
    #[case::capitalised_score_status(json!({"sourcedId": "r", "status": "active", "scoreStatus": "Fully Graded"}), 1)]
    #[case::ext_score_status(json!({"sourcedId": "r", "status": "active", "scoreStatus": "ext:retake"}), 0)]
    #[case::boolean_flag(json!({"sourcedId": "r", "status": "active", "scoreStatus": "submitted", "late": true}), 1)]
    #[case::wrong_ref_type(json!({"sourcedId": "r", "status": "active", "scoreStatus": "submitted", "student": {"type": "student"}}), 1)]
    fn result_enumerations(#[case] r: Value, #[case] problems: usize) {
        let c = COLLS
            .iter()
            .find(|c| c.path == "results")
            .unwrap_or(&COLLS[0]);
        assert_eq!(
            enum_problems(c, &r).len(),
            problems,
            "{:?}",
            enum_problems(c, &r)
        );
    }

    #[rstest]
    #[case::ascending(&["a", "b", "b", "c"], false, None)]
    #[case::ascending_broken(&["a", "c", "b"], false, Some(1))]
    #[case::descending(&["c", "b", "a"], true, None)]
    #[case::descending_broken(&["a", "b"], true, Some(0))]
    fn sort_order_is_judged(
        #[case] keys: &[&str],
        #[case] desc: bool,
        #[case] first_bad: Option<usize>,
    ) {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_string()).collect();
        assert_eq!(out_of_order(&keys, desc), first_bad);
    }

    #[rstest]
    #[case::binary(&["B", "a"], None)]
    #[case::case_insensitive(&["a", "B"], None)]
    #[case::neither(&["b", "A", "c"], Some(0))]
    fn either_collation_is_accepted(#[case] keys: &[&str], #[case] first_bad: Option<usize>) {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_string()).collect();
        assert_eq!(misordered(&keys, false), first_bad);
    }

    #[rstest]
    #[case::same_case("Quiz 1", 1)]
    #[case::other_case("QUIZ 1", 1)]
    #[case::no_match("Quiz 2", 0)]
    fn filter_expectation_compares_strings_case_insensitively(
        #[case] value: &str,
        #[case] n: usize,
    ) {
        let all = vec![
            json!({"sourcedId": "a", "title": "Quiz 1"}),
            json!({"sourcedId": "b", "title": "Quiz 10"}),
            json!({"sourcedId": "c"}),
        ];
        assert_eq!(matching(&all, "title", value).len(), n);
    }

    #[rstest]
    #[case::ok(json!({"dateLastModified": "2026-01-01T00:00:00.000Z", "scoreDate": "2026-01-02", "score": 1.5}), 0)]
    #[case::date_only_dlm(json!({"dateLastModified": "2026-01-01", "scoreDate": "2026-01-02"}), 1)]
    #[case::datetime_score_date(json!({"dateLastModified": "2026-01-01T00:00:00Z", "scoreDate": "2026-01-02T00:00:00Z"}), 1)]
    #[case::string_score(json!({"dateLastModified": "2026-01-01T00:00:00Z", "score": "87"}), 1)]
    #[case::bad_due_date(json!({"dateLastModified": "2026-01-01T00:00:00Z", "dueDate": "tomorrow"}), 1)]
    fn formats(#[case] r: Value, #[case] problems: usize) {
        assert_eq!(
            format_problems(&r).len(),
            problems,
            "{:?}",
            format_problems(&r)
        );
    }
}
