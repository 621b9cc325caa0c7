//! The reference SIS's OneRoster 1.2 **gradebook** service (base
//! [`GRADEBOOK_PATH`]): all 35 operations of the 1.2 gradebook OpenAPI, over the
//! same SQLite store as rostering.
//!
//! Why here and why this way: the provider suite certifies gradebook writes
//! (PUT create-or-replace, DELETE, server-allocated POSTs answering
//! `sourcedIdPairs`) and reads (paging, filter, sort, fields) the way it
//! certifies rostering, so the reference must really store what it is given
//! and really query it: a round-trip that passes here passes because the data
//! went into SQLite and came back. The gradebook is seeded from the rostering
//! data (classes, their terms, schools and enrolled students), so every GUID
//! reference a seeded line item or result carries resolves.
//!
//! Faults for the suite's matrix are [`GradebookFault`]s, a separate list from
//! the rostering [`super::Fault`]s so that each matrix judges its own cases:
//! the gradebook and resources endpoints do not inherit rostering faults (their
//! errors always use the 1.2 status payload), and rostering endpoints ignore
//! gradebook faults.
//!
//! Scopes (the 1.2 OpenAPI's `OAuth2CC` scheme): reads of a whole collection or
//! one object need `gradebook.readonly` or `gradebook-core.readonly`, the
//! class- and school-scoped reads `gradebook.readonly`; PUT needs
//! `gradebook.createput`, DELETE `gradebook.delete`, the POSTs
//! `gradebook.createpost`; the assessment collections use the `assessment.*`
//! scopes the same way.

use std::sync::Arc;

use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::store::{Query, Store};
use super::{Shared, SisError, authorize, link_header, params};

/// Base path of the gradebook service.
pub const GRADEBOOK_PATH: &str = "/ims/oneroster/gradebook/v1p2";
/// `gradebook.readonly`: every gradebook read.
pub const SCOPE_GRADEBOOK: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly";
/// `gradebook-core.readonly`: whole collections and single objects.
pub const SCOPE_GRADEBOOK_CORE: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook-core.readonly";
/// `gradebook.createput`: PUT with a client-supplied sourcedId.
pub const SCOPE_GRADEBOOK_CREATEPUT: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput";
/// `gradebook.createpost`: POST where the server allocates sourcedIds.
pub const SCOPE_GRADEBOOK_CREATEPOST: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createpost";
/// `gradebook.delete`.
pub const SCOPE_GRADEBOOK_DELETE: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.delete";
/// `assessment.readonly`.
pub const SCOPE_ASSESSMENT: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/assessment.readonly";
/// `assessment.createput`.
pub const SCOPE_ASSESSMENT_CREATEPUT: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/assessment.createput";
/// `assessment.delete`.
pub const SCOPE_ASSESSMENT_DELETE: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/assessment.delete";

/// Every gradebook and assessment scope.
pub const GRADEBOOK_SCOPES: [&str; 8] = [
    SCOPE_GRADEBOOK,
    SCOPE_GRADEBOOK_CORE,
    SCOPE_GRADEBOOK_CREATEPUT,
    SCOPE_GRADEBOOK_CREATEPOST,
    SCOPE_GRADEBOOK_DELETE,
    SCOPE_ASSESSMENT,
    SCOPE_ASSESSMENT_CREATEPUT,
    SCOPE_ASSESSMENT_DELETE,
];

/// A deliberate defect of the reference SIS's gradebook or resources service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GradebookFault {
    /// A PUT that creates an object answers 200 instead of 201.
    PutReturnsWrongStatus,
    /// The server-allocating POSTs answer 201 without `sourcedIdPairs`.
    PostNoSourcedIdPairs,
    /// DELETE answers 204 but the object stays.
    DeleteIgnored,
    /// Gradebook scopes are not enforced: any valid token reads and writes.
    GradebookScopesIgnored,
    /// A PUT result's `score` is stored rounded to an integer.
    ResultScoreNotKept,
    /// Resource collections use the envelope `resource` instead of `resources`.
    ResourcesWrongEnvelope,
    /// PUT of an assessment line item or result answers 201 but stores nothing.
    AssessmentPutNotStored,
    /// Gradebook collections ignore a `filter` on a known field (all records come back).
    GradebookFilterIgnored,
    /// Gradebook collections ignore `sort`/`orderBy` (storage order comes back).
    GradebookSortIgnored,
    /// Gradebook collections ignore `fields` (whole records come back).
    GradebookFieldsIgnored,
    /// `/lineItems` pages overlap: every page after the first starts one record early.
    LineItemsPagingOverlaps,
    /// `POST /schools/{id}/lineItems` and `POST /classes/{id}/academicSessions/{id}/results`
    /// are not implemented (404).
    ScopedPostsMissing,
}

impl GradebookFault {
    /// Every gradebook/resources fault.
    pub const ALL: [GradebookFault; 12] = [
        GradebookFault::PutReturnsWrongStatus,
        GradebookFault::PostNoSourcedIdPairs,
        GradebookFault::DeleteIgnored,
        GradebookFault::GradebookScopesIgnored,
        GradebookFault::ResultScoreNotKept,
        GradebookFault::ResourcesWrongEnvelope,
        GradebookFault::AssessmentPutNotStored,
        GradebookFault::GradebookFilterIgnored,
        GradebookFault::GradebookSortIgnored,
        GradebookFault::GradebookFieldsIgnored,
        GradebookFault::LineItemsPagingOverlaps,
        GradebookFault::ScopedPostsMissing,
    ];
}

impl Shared {
    pub(super) fn has_gb(&self, f: GradebookFault) -> bool {
        self.config.gradebook_faults.contains(&f)
    }
}

// ---- collections ------------------------------------------------------------------

/// One gradebook or resources collection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Kind {
    pub(super) table: &'static str,
    pub(super) envelope: &'static str,
    pub(super) single: &'static str,
    pub(super) fields: &'static [&'static str],
    pub(super) required: &'static [&'static str],
    /// Read scopes for the collection and single object (any of).
    pub(super) read: &'static [&'static str],
    pub(super) put: &'static str,
    pub(super) delete: &'static str,
}

const COMMON: [&str; 4] = ["sourcedId", "status", "dateLastModified", "metadata"];
const CORE_READ: &[&str] = &[SCOPE_GRADEBOOK, SCOPE_GRADEBOOK_CORE];

const CATEGORIES: Kind = Kind {
    table: "categories",
    envelope: "categories",
    single: "category",
    fields: &[
        COMMON[0], COMMON[1], COMMON[2], COMMON[3], "title", "weight",
    ],
    required: &["sourcedId", "status", "dateLastModified", "title"],
    read: CORE_READ,
    put: SCOPE_GRADEBOOK_CREATEPUT,
    delete: SCOPE_GRADEBOOK_DELETE,
};
const LINE_ITEMS: Kind = Kind {
    table: "lineItems",
    envelope: "lineItems",
    single: "lineItem",
    fields: &[
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        "title",
        "assignDate",
        "dueDate",
        "class",
        "school",
        "category",
        "gradingPeriod",
        "academicSession",
        "scoreScale",
        "resultValueMin",
        "resultValueMax",
        "learningObjectiveSet",
    ],
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
    read: CORE_READ,
    put: SCOPE_GRADEBOOK_CREATEPUT,
    delete: SCOPE_GRADEBOOK_DELETE,
};
const RESULTS: Kind = Kind {
    table: "results",
    envelope: "results",
    single: "result",
    fields: &[
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        "lineItem",
        "student",
        "class",
        "scoreScale",
        "scoreStatus",
        "score",
        "textScore",
        "scoreDate",
        "comment",
        "learningObjectiveSet",
        "inProgress",
        "incomplete",
        "late",
        "missing",
    ],
    required: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "lineItem",
        "student",
        "scoreStatus",
        "scoreDate",
    ],
    read: CORE_READ,
    put: SCOPE_GRADEBOOK_CREATEPUT,
    delete: SCOPE_GRADEBOOK_DELETE,
};
const SCORE_SCALES: Kind = Kind {
    table: "scoreScales",
    envelope: "scoreScales",
    single: "scoreScale",
    fields: &[
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        "title",
        "type",
        "course",
        "class",
        "scoreScaleValue",
    ],
    required: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "class",
        "scoreScaleValue",
    ],
    read: CORE_READ,
    put: SCOPE_GRADEBOOK_CREATEPUT,
    delete: SCOPE_GRADEBOOK_DELETE,
};
const ASSESSMENT_LINE_ITEMS: Kind = Kind {
    table: "assessmentLineItems",
    envelope: "assessmentLineItems",
    single: "assessmentLineItem",
    fields: &[
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        "title",
        "class",
        "parentAssessmentLineItem",
        "scoreScale",
        "resultValueMin",
        "resultValueMax",
        "learningObjectiveSet",
    ],
    required: &["sourcedId", "status", "dateLastModified", "title"],
    read: &[SCOPE_ASSESSMENT],
    put: SCOPE_ASSESSMENT_CREATEPUT,
    delete: SCOPE_ASSESSMENT_DELETE,
};
const ASSESSMENT_RESULTS: Kind = Kind {
    table: "assessmentResults",
    envelope: "assessmentResults",
    single: "assessmentResult",
    fields: &[
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        "assessmentLineItem",
        "student",
        "score",
        "textScore",
        "scoreDate",
        "scoreScale",
        "scorePercentile",
        "scoreStatus",
        "comment",
        "learningObjectiveSet",
        "inProgress",
        "incomplete",
        "late",
        "missing",
    ],
    required: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "assessmentLineItem",
        "student",
        "scoreDate",
        "scoreStatus",
    ],
    read: &[SCOPE_ASSESSMENT],
    put: SCOPE_ASSESSMENT_CREATEPUT,
    delete: SCOPE_ASSESSMENT_DELETE,
};

fn kind(path: &str) -> Option<Kind> {
    Some(match path {
        "categories" => CATEGORIES,
        "lineItems" => LINE_ITEMS,
        "results" => RESULTS,
        "scoreScales" => SCORE_SCALES,
        "assessmentLineItems" => ASSESSMENT_LINE_ITEMS,
        "assessmentResults" => ASSESSMENT_RESULTS,
        _ => return None,
    })
}

// ---- shared response helpers (also used by `resources`) ------------------------------

/// A failure with the 1.2 `imsx_StatusInfoDType` payload. Not
/// [`super::status_error`]: rostering's `WrongErrorShape` fault must not leak
/// into this service's matrix.
pub(super) fn fail(status: StatusCode, minor: &str, description: &str) -> Response {
    let body = json!({
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {"imsx_codeMinorField": [{
            "imsx_codeMinorFieldName": "TargetEndSystem",
            "imsx_codeMinorFieldValue": minor,
        }]},
    });
    (status, axum::Json(body)).into_response()
}

fn internal(e: &SisError) -> Response {
    fail(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_server_error",
        &e.to_string(),
    )
}

fn forbidden(needed: &[&str]) -> Response {
    fail(
        StatusCode::FORBIDDEN,
        "forbidden",
        &format!(
            "this operation needs one of the scopes {}",
            needed.join(", ")
        ),
    )
}

fn not_found(what: &str, id: &str) -> Response {
    fail(
        StatusCode::NOT_FOUND,
        "unknownobject",
        &format!("no {what} with sourcedId `{id}`"),
    )
}

/// `true` when `granted` holds one of `needed` (or scopes are ignored by a fault).
pub(super) fn allowed(sh: &Shared, granted: &[String], needed: &[&str]) -> bool {
    sh.has_gb(GradebookFault::GradebookScopesIgnored)
        || granted.iter().any(|g| needed.contains(&g.as_str()))
}

/// The query of a collection request: paging, filter, sort, field selection,
/// parsed like rostering's 1.2 (without rostering's faults).
#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself
pub(super) fn parse_query(k: Kind, pairs: &[(String, String)]) -> Result<params::Parsed, Response> {
    let rules = params::Rules {
        queryable: k.fields,
        selectable: k.fields,
        sort: params::SortRules::V1p2,
    };
    params::parse(pairs, &rules)
        .map_err(|e| fail(StatusCode::BAD_REQUEST, e.minor(), &e.to_string()))
}

fn select(mut doc: Value, fields: Option<&[String]>) -> Value {
    if let (Value::Object(m), Some(fs)) = (&mut doc, fields) {
        m.retain(|k, _| fs.iter().any(|f| f == k));
    }
    doc
}

/// A collection page with `X-Total-Count` and `Link`, under `envelope`.
pub(super) fn list_response(
    sh: &Shared,
    k: Kind,
    envelope: &str,
    scope: Option<(String, Vec<String>)>,
    path: &str,
    pairs: &[(String, String)],
) -> Response {
    let (mut q, mut fields) = match parse_query(k, pairs) {
        Ok(p) => (p.query, p.fields),
        Err(r) => return r,
    };
    q.scope = scope;
    // One filter implementation serves the whole SIS: the filter operator
    // faults reach the gradebook too.
    q.defects = sh.filter_defects();
    if k.table != "resources" {
        if sh.has_gb(GradebookFault::GradebookFilterIgnored) {
            q.filter = None;
        }
        if sh.has_gb(GradebookFault::GradebookSortIgnored) {
            q.sort = None;
        }
        if sh.has_gb(GradebookFault::GradebookFieldsIgnored) {
            fields = None;
        }
    }
    if k.table == "lineItems" && sh.has_gb(GradebookFault::LineItemsPagingOverlaps) {
        q.offset = q.offset.saturating_sub(1);
    }
    let (docs, total) = match sh.store.list(k.table, &q) {
        Ok(x) => x,
        Err(e) => return internal(&e),
    };
    let docs: Vec<Value> = docs
        .into_iter()
        .map(|d| select(d, fields.as_deref()))
        .collect();
    let link = link_header(sh, path, pairs, &q, total);
    params::page(envelope, docs, total, Some(link))
}

/// One object under its singular envelope, or 404.
pub(super) fn single_response(
    sh: &Shared,
    k: Kind,
    id: &str,
    pairs: &[(String, String)],
) -> Response {
    let fields = match parse_query(k, pairs) {
        Ok(p) => p.fields,
        Err(r) => return r,
    };
    match sh.store.get(k.table, id, None) {
        Ok(Some(doc)) => {
            axum::Json(json!({ k.single: select(doc, fields.as_deref()) })).into_response()
        }
        Ok(None) => not_found(k.single, id),
        Err(e) => internal(&e),
    }
}

/// 404 unless `table` holds `id`.
#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself
pub(super) fn must_exist(sh: &Shared, table: &str, what: &str, id: &str) -> Result<(), Response> {
    match sh.store.get(table, id, None) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(not_found(what, id)),
        Err(e) => Err(internal(&e)),
    }
}

pub(super) fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

pub(super) fn request_parts(
    uri: &http::Uri,
    base: &str,
    raw: Option<String>,
) -> (String, Vec<(String, String)>) {
    let rest = uri
        .path()
        .strip_prefix(base)
        .unwrap_or_default()
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string();
    let pairs = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    (rest, pairs)
}

// ---- the service -----------------------------------------------------------------------

/// Every gradebook request (`GET`, `PUT`, `POST`, `DELETE` under [`GRADEBOOK_PATH`]).
pub(super) async fn service(
    State(sh): State<Arc<Shared>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let granted = match authorize(&sh, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (rest, pairs) = request_parts(&uri, GRADEBOOK_PATH, raw);
    let path = uri.path().to_string();
    let sh2 = Arc::clone(&sh);
    // The store is synchronous (SQLite): run on the blocking pool.
    let out = tokio::task::spawn_blocking(move || {
        handle(&sh2, &method, &rest, &path, &pairs, &granted, &body)
    })
    .await;
    out.unwrap_or_else(|e| {
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            &format!("request task failed: {e}"),
        )
    })
}

fn eq_ref(field: &str) -> String {
    format!("json_extract(doc, '$.{field}.sourcedId') = ?")
}

fn handle(
    sh: &Shared,
    method: &Method,
    rest: &str,
    path: &str,
    pairs: &[(String, String)],
    granted: &[String],
    body: &[u8],
) -> Response {
    let segs: Vec<&str> = rest.split('/').collect();
    let unknown = || fail(StatusCode::NOT_FOUND, "unknownobject", "no such endpoint");
    let need = |needed: &[&str]| -> Option<Response> {
        (!allowed(sh, granted, needed)).then(|| forbidden(needed))
    };
    match (method.as_str(), segs.as_slice()) {
        ("GET", [c]) => {
            let Some(k) = kind(c) else { return unknown() };
            if let Some(r) = need(k.read) {
                return r;
            }
            list_response(sh, k, k.envelope, None, path, pairs)
        }
        ("GET", [c, id]) => {
            let Some(k) = kind(c) else { return unknown() };
            if let Some(r) = need(k.read) {
                return r;
            }
            single_response(sh, k, id, pairs)
        }
        ("PUT", [c, id]) => {
            let Some(k) = kind(c) else { return unknown() };
            if let Some(r) = need(&[k.put]) {
                return r;
            }
            put(sh, k, id, body)
        }
        ("DELETE", [c, id]) => {
            let Some(k) = kind(c) else { return unknown() };
            if let Some(r) = need(&[k.delete]) {
                return r;
            }
            if sh.has_gb(GradebookFault::DeleteIgnored) {
                return match sh.store.get(k.table, id, None) {
                    Ok(Some(_)) => StatusCode::NO_CONTENT.into_response(),
                    Ok(None) => not_found(k.single, id),
                    Err(e) => internal(&e),
                };
            }
            match sh.store.delete(k.table, id) {
                Ok(true) => StatusCode::NO_CONTENT.into_response(),
                Ok(false) => not_found(k.single, id),
                Err(e) => internal(&e),
            }
        }
        ("GET", ["classes", class, rel]) => {
            if let Some(r) = need(&[SCOPE_GRADEBOOK]) {
                return r;
            }
            let (k, scope) = match *rel {
                "lineItems" => (LINE_ITEMS, eq_ref("class")),
                "results" => (RESULTS, eq_ref("class")),
                "scoreScales" => (SCORE_SCALES, eq_ref("class")),
                // The categories a class uses: those of its line items.
                "categories" => (
                    CATEGORIES,
                    "sourced_id IN (SELECT json_extract(l.doc, '$.category.sourcedId') FROM entity AS l WHERE l.collection = 'lineItems' AND json_extract(l.doc, '$.class.sourcedId') = ?)".to_string(),
                ),
                _ => return unknown(),
            };
            if let Err(r) = must_exist(sh, "classes", "class", class) {
                return r;
            }
            list_response(
                sh,
                k,
                k.envelope,
                Some((scope, vec![(*class).to_string()])),
                path,
                pairs,
            )
        }
        ("GET", ["classes", class, mid, mid_id, "results"])
            if matches!(*mid, "lineItems" | "students") =>
        {
            if let Some(r) = need(&[SCOPE_GRADEBOOK]) {
                return r;
            }
            if let Err(r) = must_exist(sh, "classes", "class", class) {
                return r;
            }
            let (table, what, field) = if *mid == "lineItems" {
                ("lineItems", "lineItem", "lineItem")
            } else {
                ("users", "student", "student")
            };
            if let Err(r) = must_exist(sh, table, what, mid_id) {
                return r;
            }
            let scope = format!("{} AND {}", eq_ref("class"), eq_ref(field));
            list_response(
                sh,
                RESULTS,
                RESULTS.envelope,
                Some((scope, vec![(*class).to_string(), (*mid_id).to_string()])),
                path,
                pairs,
            )
        }
        ("GET", ["schools", school, "scoreScales"]) => {
            if let Some(r) = need(&[SCOPE_GRADEBOOK]) {
                return r;
            }
            if let Err(r) = must_exist(sh, "orgs", "school", school) {
                return r;
            }
            let scope = "json_extract(doc, '$.class.sourcedId') IN (SELECT c.sourced_id FROM entity AS c WHERE c.collection = 'classes' AND json_extract(c.doc, '$.school.sourcedId') = ?)".to_string();
            list_response(
                sh,
                SCORE_SCALES,
                SCORE_SCALES.envelope,
                Some((scope, vec![(*school).to_string()])),
                path,
                pairs,
            )
        }
        (
            "POST",
            ["schools", _, "lineItems"] | ["classes", _, "academicSessions", _, "results"],
        ) if sh.has_gb(GradebookFault::ScopedPostsMissing) => unknown(),
        ("POST", ["classes", class, "lineItems"]) => post(
            sh,
            granted,
            LINE_ITEMS,
            Parent {
                service: "rostering",
                path: "classes",
                kind: "class",
                id: class,
                field: "class",
            },
            body,
        ),
        ("POST", ["schools", school, "lineItems"]) => post(
            sh,
            granted,
            LINE_ITEMS,
            Parent {
                service: "rostering",
                path: "orgs",
                kind: "org",
                id: school,
                field: "school",
            },
            body,
        ),
        ("POST", ["lineItems", li, "results"]) => post(
            sh,
            granted,
            RESULTS,
            Parent {
                service: "gradebook",
                path: "lineItems",
                kind: "lineItem",
                id: li,
                field: "lineItem",
            },
            body,
        ),
        ("POST", ["classes", class, "academicSessions", session, "results"]) => {
            if let Err(r) = must_exist(sh, "academicSessions", "academicSession", session) {
                return r;
            }
            post(
                sh,
                granted,
                RESULTS,
                Parent {
                    service: "rostering",
                    path: "classes",
                    kind: "class",
                    id: class,
                    field: "class",
                },
                body,
            )
        }
        _ => unknown(),
    }
}

/// A GUIDRef to an object of this SIS.
fn sh_ref(sh: &Shared, service: &str, path: &str, kind: &str, id: &str) -> Value {
    json!({
        "href": format!("{}/ims/oneroster/{service}/v1p2/{path}/{id}", sh.origin),
        "sourcedId": id,
        "type": kind,
    })
}

/// The object of a write body, checked: a JSON object with the required
/// fields (the server sets `sourcedId` and `dateLastModified` itself).
#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself
fn checked_object(k: Kind, v: &Value) -> Result<Map<String, Value>, Response> {
    let Some(m) = v.as_object() else {
        return Err(fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invaliddata",
            &format!("a {} must be a JSON object", k.single),
        ));
    };
    let missing: Vec<&str> = k
        .required
        .iter()
        .copied()
        .filter(|f| !matches!(*f, "sourcedId" | "dateLastModified" | "status"))
        .filter(|f| m.get(*f).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        return Err(fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invaliddata",
            &format!("{} lacks {}", k.single, missing.join(", ")),
        ));
    }
    if let Some(u) = m.keys().find(|f| !k.fields.contains(&f.as_str())) {
        return Err(fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invaliddata",
            &format!("{} has no property `{u}`", k.single),
        ));
    }
    Ok(m.clone())
}

fn finish(sh: &Shared, k: Kind, id: &str, mut m: Map<String, Value>) -> Value {
    m.insert("sourcedId".into(), json!(id));
    m.entry("status").or_insert_with(|| json!("active"));
    m.insert("dateLastModified".into(), json!(now()));
    if k.table == "results"
        && sh.has_gb(GradebookFault::ResultScoreNotKept)
        && let Some(s) = m.get("score").and_then(Value::as_f64)
    {
        m.insert("score".into(), json!(s.round()));
    }
    Value::Object(m)
}

/// PUT: create (201) or replace (200) the object at `id`.
fn put(sh: &Shared, k: Kind, id: &str, body: &[u8]) -> Response {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return fail(
                StatusCode::BAD_REQUEST,
                "invaliddata",
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let Some(obj) = v.get(k.single) else {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invaliddata",
            &format!("the body must be {{\"{}\": {{...}}}}", k.single),
        );
    };
    let m = match checked_object(k, obj) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Some(s) = m.get("sourcedId").and_then(Value::as_str)
        && s != id
    {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invaliddata",
            &format!("the body's sourcedId `{s}` is not the path's `{id}`"),
        );
    }
    let doc = finish(sh, k, id, m);
    if k.table.starts_with("assessment") && sh.has_gb(GradebookFault::AssessmentPutNotStored) {
        return StatusCode::CREATED.into_response();
    }
    match sh.store.upsert(k.table, id, &doc) {
        Ok(true) if sh.has_gb(GradebookFault::PutReturnsWrongStatus) => {
            StatusCode::OK.into_response()
        }
        Ok(true) => StatusCode::CREATED.into_response(),
        Ok(false) => StatusCode::OK.into_response(),
        Err(e) => internal(&e),
    }
}

/// The object a POSTed set belongs to, and the field of each posted object
/// that the path binds to it (`class` of `/classes/{id}/lineItems`).
struct Parent<'a> {
    service: &'a str,
    path: &'a str,
    kind: &'a str,
    id: &'a str,
    field: &'a str,
}

/// POST a set: the server allocates every sourcedId and answers the
/// `sourcedIdPairs` (supplied → allocated), in the order supplied.
fn post(sh: &Shared, granted: &[String], k: Kind, parent: Parent<'_>, body: &[u8]) -> Response {
    if !allowed(sh, granted, &[SCOPE_GRADEBOOK_CREATEPOST]) {
        return forbidden(&[SCOPE_GRADEBOOK_CREATEPOST]);
    }
    if let Err(r) = must_exist(sh, parent.path, parent.field, parent.id) {
        return r;
    }
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return fail(
                StatusCode::BAD_REQUEST,
                "invaliddata",
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let Some(items) = v.get(k.envelope).and_then(Value::as_array) else {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invaliddata",
            &format!("the body must be {{\"{}\": [...]}}", k.envelope),
        );
    };
    let mut docs = Vec::new();
    for item in items {
        let mut m = match item.as_object() {
            Some(m) => m.clone(),
            None => {
                return fail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invaliddata",
                    &format!("every {} must be a JSON object", k.single),
                );
            }
        };
        m.insert(
            parent.field.into(),
            sh_ref(sh, parent.service, parent.path, parent.kind, parent.id),
        );
        let m = match checked_object(k, &Value::Object(m)) {
            Ok(m) => m,
            Err(r) => return r,
        };
        let supplied = m
            .get("sourcedId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let allocated = format!("{}-{}", k.single, uuid::Uuid::new_v4());
        docs.push((supplied, allocated.clone(), finish(sh, k, &allocated, m)));
    }
    let mut pairs = Vec::new();
    for (supplied, allocated, doc) in docs {
        if let Err(e) = sh.store.upsert(k.table, &allocated, &doc) {
            return internal(&e);
        }
        pairs.push(json!({"suppliedSourcedId": supplied, "allocatedSourcedId": allocated}));
    }
    let body = if sh.has_gb(GradebookFault::PostNoSourcedIdPairs) {
        json!({})
    } else {
        json!({ "sourcedIdPairs": pairs })
    };
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

// ---- seed ------------------------------------------------------------------------------

/// Classes that get a gradebook (the first ones in file order).
const GRADED_CLASSES: u64 = 8;

fn all(store: &Store, table: &str, limit: u64) -> Result<Vec<Value>, SisError> {
    let q = Query {
        limit,
        ..Query::default()
    };
    Ok(store.list(table, &q)?.0)
}

fn id_of(v: &Value) -> String {
    v.get("sourcedId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn ref_id(v: &Value, field: &str) -> String {
    v.get(field).map(id_of).unwrap_or_default()
}

/// The students enrolled in class `class`, from the stored enrollments, in
/// enrollment order. One indexed query per graded class: reading every
/// enrollment of a district (a million documents at 100k users) to keep eight
/// classes' students was most of the seed's time and memory.
pub(super) fn class_students(store: &Store, class: &str) -> Result<Vec<String>, SisError> {
    let q = Query {
        scope: Some((
            "json_extract(doc, '$.class.sourcedId') = ? AND json_extract(doc, '$.role') = ?"
                .to_string(),
            vec![class.to_string(), "student".to_string()],
        )),
        limit: u64::MAX / 2,
        ..Query::default()
    };
    Ok(store
        .list("enrollments", &q)?
        .0
        .iter()
        .map(|e| ref_id(e, "user"))
        .collect())
}

/// Seeds categories, score scales, line items, results and assessment
/// objects from the stored rostering data; `origin` is `http://addr`.
pub(super) fn seed(store: &Store, origin: &str, now: &str) -> Result<(), SisError> {
    let r = |service: &str, path: &str, kind: &str, id: &str| {
        json!({
            "href": format!("{origin}/ims/oneroster/{service}/v1p2/{path}/{id}"),
            "sourcedId": id,
            "type": kind,
        })
    };
    let head = |id: &str| {
        let mut m = Map::new();
        m.insert("sourcedId".into(), json!(id));
        m.insert("status".into(), json!("active"));
        m.insert("dateLastModified".into(), json!(now));
        m
    };
    let categories = [
        ("homework", "Homework", 0.3),
        ("quizzes", "Quizzes", 0.2),
        ("tests", "Tests", 0.5),
    ];
    for (id, title, weight) in categories {
        let mut m = head(&format!("category-{id}"));
        m.insert("title".into(), json!(title));
        m.insert("weight".into(), json!(weight));
        store.upsert("categories", &format!("category-{id}"), &Value::Object(m))?;
    }
    let mut n: u64 = 0;
    for class in all(store, "classes", GRADED_CLASSES)? {
        let cid = id_of(&class);
        let class_ref = r("rostering", "classes", "class", &cid);
        let school = ref_id(&class, "school");
        let ss_id = format!("scale-{cid}");
        let mut ss = head(&ss_id);
        ss.insert("title".into(), json!(format!("Letter grades, {cid}")));
        ss.insert("type".into(), json!("letter"));
        let course = ref_id(&class, "course");
        if !course.is_empty() {
            ss.insert(
                "course".into(),
                r("rostering", "courses", "course", &course),
            );
        }
        ss.insert("class".into(), class_ref.clone());
        ss.insert(
            "scoreScaleValue".into(),
            json!([
                {"itemValueLHS": "90-100", "itemValueRHS": "A"},
                {"itemValueLHS": "80-89", "itemValueRHS": "B"},
                {"itemValueLHS": "70-79", "itemValueRHS": "C"},
                {"itemValueLHS": "0-69", "itemValueRHS": "F"},
            ]),
        );
        store.upsert("scoreScales", &ss_id, &Value::Object(ss))?;
        let term = class
            .get("terms")
            .and_then(Value::as_array)
            .and_then(|t| t.first())
            .map(id_of);
        let kids = class_students(store, &cid)?;
        for (i, (cat, _, _)) in categories.iter().take(2).enumerate() {
            let li_id = format!("lineitem-{cid}-{}", i + 1);
            let mut li = head(&li_id);
            li.insert(
                "title".into(),
                json!(format!("Assignment {} ({cid})", i + 1)),
            );
            li.insert(
                "assignDate".into(),
                json!(format!("2026-09-{:02}T08:00:00.000Z", 7 + i * 7)),
            );
            li.insert(
                "dueDate".into(),
                json!(format!("2026-09-{:02}T23:59:00.000Z", 14 + i * 7)),
            );
            li.insert("class".into(), class_ref.clone());
            li.insert("school".into(), r("rostering", "orgs", "org", &school));
            li.insert(
                "category".into(),
                r(
                    "gradebook",
                    "categories",
                    "category",
                    &format!("category-{cat}"),
                ),
            );
            if let Some(t) = &term {
                li.insert(
                    "academicSession".into(),
                    r("rostering", "academicSessions", "academicSession", t),
                );
            }
            li.insert(
                "scoreScale".into(),
                r("gradebook", "scoreScales", "scoreScale", &ss_id),
            );
            li.insert("resultValueMin".into(), json!(0.0));
            li.insert("resultValueMax".into(), json!(100.0));
            store.upsert("lineItems", &li_id, &Value::Object(li))?;
            for s in &kids {
                n += 1;
                let res_id = format!("result-{li_id}-{s}");
                let mut res = head(&res_id);
                res.insert(
                    "lineItem".into(),
                    r("gradebook", "lineItems", "lineItem", &li_id),
                );
                res.insert("student".into(), r("rostering", "users", "user", s));
                res.insert("class".into(), class_ref.clone());
                res.insert("scoreStatus".into(), json!("fully graded"));
                res.insert("score".into(), json!(55.0 + (n * 37 % 90) as f64 / 2.0));
                res.insert(
                    "scoreDate".into(),
                    json!(format!("2026-09-{:02}", 15 + i * 7)),
                );
                res.insert("inProgress".into(), json!("false"));
                res.insert(
                    "late".into(),
                    json!(if n.is_multiple_of(7) { "true" } else { "false" }),
                );
                store.upsert("results", &res_id, &Value::Object(res))?;
            }
        }
        let ali_id = format!("assessment-{cid}");
        let mut ali = head(&ali_id);
        ali.insert(
            "title".into(),
            json!(format!("Benchmark assessment ({cid})")),
        );
        ali.insert("class".into(), class_ref.clone());
        ali.insert(
            "scoreScale".into(),
            r("gradebook", "scoreScales", "scoreScale", &ss_id),
        );
        ali.insert("resultValueMin".into(), json!(0.0));
        ali.insert("resultValueMax".into(), json!(100.0));
        store.upsert("assessmentLineItems", &ali_id, &Value::Object(ali))?;
        for s in &kids {
            n += 1;
            let ar_id = format!("assessment-result-{cid}-{s}");
            let mut ar = head(&ar_id);
            ar.insert(
                "assessmentLineItem".into(),
                r(
                    "gradebook",
                    "assessmentLineItems",
                    "assessmentLineItem",
                    &ali_id,
                ),
            );
            ar.insert("student".into(), r("rostering", "users", "user", s));
            ar.insert("score".into(), json!(50.0 + (n * 53 % 100) as f64 / 2.0));
            ar.insert("scoreDate".into(), json!("2026-10-01"));
            ar.insert("scoreStatus".into(), json!("fully graded"));
            store.upsert("assessmentResults", &ar_id, &Value::Object(ar))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn every_kind_has_the_common_fields_and_its_required_ones() {
        for k in [
            CATEGORIES,
            LINE_ITEMS,
            RESULTS,
            SCORE_SCALES,
            ASSESSMENT_LINE_ITEMS,
            ASSESSMENT_RESULTS,
        ] {
            for f in COMMON.iter().chain(k.required) {
                assert!(k.fields.contains(f), "{} lacks {f}", k.table);
            }
            assert_eq!(kind(k.table).map(|x| x.single), Some(k.single));
        }
        assert!(kind("orgs").is_none());
    }

    #[rstest]
    #[case::complete(json!({"title": "t"}), None)]
    #[case::missing_title(json!({"weight": 1.0}), Some(StatusCode::UNPROCESSABLE_ENTITY))]
    #[case::unknown_property(json!({"title": "t", "colour": "red"}), Some(StatusCode::UNPROCESSABLE_ENTITY))]
    #[case::not_an_object(json!(["title"]), Some(StatusCode::UNPROCESSABLE_ENTITY))]
    fn write_bodies_are_checked(#[case] body: Value, #[case] refused: Option<StatusCode>) {
        let got = checked_object(CATEGORIES, &body).err().map(|r| r.status());
        assert_eq!(got, refused);
    }

    #[rstest]
    #[case::limit_zero("limit", "0")]
    #[case::offset_negative("offset", "-1")]
    #[case::unknown_filter_field("filter", "colour='red'")]
    #[case::blank_fields("fields", "title,")]
    #[case::unknown_selection("fields", "colour")]
    #[case::bad_order("orderBy", "up")]
    fn bad_queries_answer_400(#[case] key: &str, #[case] value: &str) {
        let pairs = vec![(key.to_string(), value.to_string())];
        let got = parse_query(LINE_ITEMS, &pairs).err().map(|r| r.status());
        assert_eq!(got, Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn config_takes_gradebook_faults() {
        let cfg: Result<super::super::SisConfig, _> = toml::from_str(
            "listen = \"127.0.0.1:0\"\nbundle = \"b\"\nclient_secret = \"file:/dev/null\"\ngradebook_faults = [\"delete-ignored\", \"resources-wrong-envelope\"]\n",
        );
        let cfg = cfg.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cfg.gradebook_faults,
            vec![
                GradebookFault::DeleteIgnored,
                GradebookFault::ResourcesWrongEnvelope
            ]
        );
        assert!(cfg.faults.is_empty());
        for s in GRADEBOOK_SCOPES {
            assert!(cfg.scopes.iter().any(|x| x == s), "default scopes lack {s}");
        }
    }
}
