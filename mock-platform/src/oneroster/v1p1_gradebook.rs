//! The OneRoster **1.1 gradebook** of the mock SIS: categories, line items
//! and results under the one 1.1 service ([`V1P1_BASE_PATH`]), signed with
//! OAuth 1.0a like the rest of that surface.
//!
//! Why over the 1.2 gradebook's documents rather than a table of its own: a
//! district keeps one gradebook whichever binding a consumer speaks, so a
//! grade a 1.1 consumer PUTs must be what a 1.2 consumer then reads, and the
//! other way round. The 1.1 endpoints therefore read and write the very
//! documents the 1.2 gradebook ([`super::gradebook`]) keeps, and only the
//! representation changes at the edge:
//!
//! * out (1.2 → 1.1, [`to_1p1`]): a line item's `academicSession` becomes its
//!   `gradingPeriod`; the 1.2-only properties (`school`, `scoreScale`,
//!   `learningObjectiveSet`, a category's `weight`, a result's `class`,
//!   `textScore` and the `inProgress`/`incomplete`/`late`/`missing` flags) are
//!   dropped; a result's `scoreStatus` is put on the closed 1.1 vocabulary
//!   ([`score_status_1p1`]: a 1.2 `ext:` value is derived from the flags); every
//!   `href` points at the 1.1 base.
//! * in (1.1 → 1.2, [`lift`] then [`complete_1p2`]): references are rebuilt as
//!   1.2 GUIDRefs (hrefs at the 1.2 services), `gradingPeriod` is stored as
//!   `academicSession`, the 1.2-required line item `school` is the class's
//!   school and a result's `class` is its line item's class (so the 1.2
//!   class-scoped reads find what 1.1 wrote). On a replace the stored 1.2-only
//!   properties are kept: a 1.1 consumer cannot see them, so its PUT cannot
//!   mean to erase them.
//!
//! PUT answers 201 when it creates and 200 when it replaces, as the 1.2
//! gradebook does (the 1.2 OpenAPI declares only 201; Google's conformance
//! notebook expects 200 on a replace, and the suite accepts either on a
//! replace). DELETE answers 204. Failures use the 1.1 `statusInfoSet` payload
//! ([`super::v1p1::status_error`]). 1.1 has no POST, no score scales and no
//! assessment profile: those paths are unknown endpoints (404).
//!
//! Class-scoped results are found through the line items: a result belongs to
//! the class of its line item (a 1.2 result's own `class` is optional).
//!
//! The `V1p1Gradebook*` [`Fault`]s break this surface one defect at a time;
//! the rostering output faults do not apply here.

use serde_json::{Map, Value, json};

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::v1p1::{V1P1_BASE_PATH, rebase, status_error};
use super::{BASE_PATH, Fault, Shared, SisError, link_header, params};

/// The 1.2 gradebook base, whose hrefs the 1.1 surface rewrites.
const GRADEBOOK_1P2: &str = "/ims/oneroster/gradebook/v1p2";

/// One 1.1 gradebook collection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Kind1p1 {
    table: &'static str,
    envelope: &'static str,
    single: &'static str,
    /// The 1.1 properties, in the information model's order.
    fields: &'static [&'static str],
    /// Properties a PUT body must carry (the server sets `sourcedId`,
    /// `status` and `dateLastModified` when absent).
    required: &'static [&'static str],
    /// Stored 1.2-only properties a 1.1 replace keeps.
    only_1p2: &'static [&'static str],
}

const CATEGORIES: Kind1p1 = Kind1p1 {
    table: "categories",
    envelope: "categories",
    single: "category",
    fields: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "title",
    ],
    required: &["title"],
    only_1p2: &["weight"],
};

const LINE_ITEMS: Kind1p1 = Kind1p1 {
    table: "lineItems",
    envelope: "lineItems",
    single: "lineItem",
    fields: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "title",
        "description",
        "assignDate",
        "dueDate",
        "class",
        "category",
        "gradingPeriod",
        "resultValueMin",
        "resultValueMax",
    ],
    required: &[
        "title",
        "assignDate",
        "dueDate",
        "class",
        "category",
        "gradingPeriod",
    ],
    only_1p2: &["school", "scoreScale", "learningObjectiveSet"],
};

const RESULTS: Kind1p1 = Kind1p1 {
    table: "results",
    envelope: "results",
    single: "result",
    fields: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "lineItem",
        "student",
        "scoreStatus",
        "score",
        "scoreDate",
        "comment",
    ],
    required: &["lineItem", "student", "scoreStatus", "score", "scoreDate"],
    only_1p2: &[
        "scoreScale",
        "textScore",
        "learningObjectiveSet",
        "inProgress",
        "incomplete",
        "late",
        "missing",
    ],
};

/// The 1.1 `scoreStatus` vocabulary (closed: 1.1 has no `ext:` values here).
pub(super) const SCORE_STATUS_1P1: [&str; 5] = [
    "exempt",
    "fully graded",
    "not submitted",
    "partially graded",
    "submitted",
];

fn kind(segment: &str) -> Option<Kind1p1> {
    Some(match segment {
        "categories" => CATEGORIES,
        "lineItems" => LINE_ITEMS,
        "results" => RESULTS,
        _ => return None,
    })
}

/// Whether `rest` (the path under the 1.1 base) is a gradebook path: the
/// three collections and their objects, and the class-scoped gradebook reads.
/// `classes/{id}/students` is rostering; `classes/{c}/students/{s}/results`
/// is gradebook.
pub(super) fn is_gradebook(rest: &str) -> bool {
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match segs.as_slice() {
        [c] | [c, _] => kind(c).is_some(),
        ["classes", _, "lineItems" | "results"] => true,
        ["classes", _, "lineItems" | "students", _, "results"] => true,
        _ => false,
    }
}

// ---- 1.2 -> 1.1 -----------------------------------------------------------------------

fn flag(m: &Map<String, Value>, k: &str) -> bool {
    m.get(k).and_then(Value::as_str) == Some("true")
}

/// A stored (1.2) result's `scoreStatus` on the 1.1 vocabulary: a 1.1 value
/// stays; a 1.2 `ext:` value (or none) is derived from the 1.2 flags:
/// `missing` → `not submitted`, `inProgress`/`incomplete` → `partially
/// graded`, a score → `fully graded`, otherwise `submitted`.
pub(super) fn score_status_1p1(m: &Map<String, Value>) -> &'static str {
    if let Some(s) = m.get("scoreStatus").and_then(Value::as_str)
        && let Some(known) = SCORE_STATUS_1P1.iter().find(|x| **x == s)
    {
        return known;
    }
    if flag(m, "missing") {
        "not submitted"
    } else if flag(m, "inProgress") || flag(m, "incomplete") {
        "partially graded"
    } else if m.get("score").is_some_and(Value::is_number) {
        "fully graded"
    } else {
        "submitted"
    }
}

/// `fully graded` → `fullyGraded` (the [`Fault::V1p1GradebookScoreStatusCamelCase`] defect).
fn camel(s: &str) -> String {
    let mut out = String::new();
    for (i, w) in s.split(' ').enumerate() {
        if i == 0 {
            out.push_str(w);
            continue;
        }
        let mut ch = w.chars();
        if let Some(f) = ch.next() {
            out.extend(f.to_uppercase());
            out.push_str(ch.as_str());
        }
    }
    out
}

/// Maps one stored (1.2) document of `table` to its 1.1 form: the pure part
/// of the mapping (no faults, no field selection).
pub(super) fn to_1p1(table: &str, mut doc: Value) -> Value {
    rebase(&mut doc, BASE_PATH, V1P1_BASE_PATH);
    rebase(&mut doc, GRADEBOOK_1P2, V1P1_BASE_PATH);
    let Some(k) = kind(table) else { return doc };
    if let Value::Object(m) = &mut doc {
        match table {
            "lineItems" => {
                if let Some(session) = m.remove("academicSession") {
                    m.insert("gradingPeriod".into(), session);
                }
            }
            "results" => {
                let s = score_status_1p1(m);
                m.insert("scoreStatus".into(), json!(s));
            }
            _ => {}
        }
        m.retain(|f, _| k.fields.contains(&f.as_str()));
    }
    doc
}

/// [`to_1p1`] plus this surface's output faults and the `fields` selection.
fn render(sh: &Shared, k: Kind1p1, doc: Value, fields: Option<&[String]>) -> Value {
    let mut doc = if sh.has(Fault::V1p1GradebookHrefsAt1p2Base) {
        // The mapping without the href rewrite.
        let mut out = to_1p1(k.table, doc.clone());
        restore_hrefs(&mut out, &doc);
        out
    } else {
        to_1p1(k.table, doc)
    };
    if let Value::Object(m) = &mut doc {
        if k.table == "lineItems" && sh.has(Fault::V1p1GradebookLineItemNoClass) {
            m.remove("class");
        }
        if k.table == "results"
            && sh.has(Fault::V1p1GradebookScoreStatusCamelCase)
            && let Some(Value::String(s)) = m.get_mut("scoreStatus")
        {
            *s = camel(s);
        }
        if let Some(fs) = fields {
            m.retain(|f, _| fs.iter().any(|x| x == f));
        }
    }
    doc
}

/// Puts back the stored hrefs of each top-level reference (the
/// [`Fault::V1p1GradebookHrefsAt1p2Base`] defect).
fn restore_hrefs(out: &mut Value, stored: &Value) {
    let Value::Object(m) = out else { return };
    for (f, v) in m.iter_mut() {
        let key = if f == "gradingPeriod" {
            "academicSession"
        } else {
            f.as_str()
        };
        if let (Some(Value::Object(r)), Some(href)) = (
            Some(v),
            stored.get(key).and_then(|r| r.get("href")).cloned(),
        ) && r.contains_key("href")
        {
            r.insert("href".into(), href);
        }
    }
}

// ---- 1.1 -> 1.2 -----------------------------------------------------------------------

/// Why a 1.1 write body cannot be stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum LiftError {
    /// The object is not a JSON object.
    #[error("a {0} must be a JSON object")]
    NotAnObject(&'static str),
    /// Required properties are missing.
    #[error("{0} lacks {1}")]
    Missing(&'static str, String),
    /// A property that 1.1 does not define.
    #[error("{0} has no 1.1 property `{1}`")]
    Unknown(&'static str, String),
    /// A reference without a string `sourcedId`.
    #[error("{0}.{1} must be a GUIDRef with a string sourcedId")]
    BadRef(&'static str, String),
    /// A `scoreStatus` outside the 1.1 vocabulary.
    #[error(
        "scoreStatus `{0}` is not one of exempt, fully graded, not submitted, partially graded, submitted"
    )]
    ScoreStatus(String),
    /// A `score` that is not a number.
    #[error("score must be a number, got {0}")]
    Score(String),
}

/// The 1.2 service path, collection and GUIDRef type of a 1.1 reference property.
fn ref_target(field: &str) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    // (stored property, service, collection, type)
    Some(match field {
        "class" => ("class", "rostering", "classes", "class"),
        "category" => ("category", "gradebook", "categories", "category"),
        "gradingPeriod" => (
            "academicSession",
            "rostering",
            "academicSessions",
            "academicSession",
        ),
        "lineItem" => ("lineItem", "gradebook", "lineItems", "lineItem"),
        "student" => ("student", "rostering", "users", "user"),
        _ => return None,
    })
}

/// A GUIDRef to an object of this SIS at its 1.2 service.
fn ref_1p2(origin: &str, service: &str, path: &str, kind: &str, id: &str) -> Value {
    json!({
        "href": format!("{origin}/ims/oneroster/{service}/v1p2/{path}/{id}"),
        "sourcedId": id,
        "type": kind,
    })
}

/// The pure part of a 1.1 → 1.2 write: checks the 1.1 object of `table`
/// and returns its 1.2 document (references rebuilt at the 1.2 services,
/// `gradingPeriod` stored as `academicSession`).
pub(super) fn lift(
    table: &str,
    obj: &Value,
    origin: &str,
) -> Result<Map<String, Value>, LiftError> {
    let Some(k) = kind(table) else {
        return Err(LiftError::NotAnObject("gradebook object"));
    };
    let Some(m) = obj.as_object() else {
        return Err(LiftError::NotAnObject(k.single));
    };
    let missing: Vec<&str> = k
        .required
        .iter()
        .copied()
        .filter(|f| m.get(*f).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        return Err(LiftError::Missing(k.single, missing.join(", ")));
    }
    if let Some(u) = m.keys().find(|f| !k.fields.contains(&f.as_str())) {
        return Err(LiftError::Unknown(k.single, u.clone()));
    }
    let mut out = Map::new();
    for (f, v) in m {
        if let Some((stored, service, path, ty)) = ref_target(f) {
            let Some(id) = v.get("sourcedId").and_then(Value::as_str) else {
                return Err(LiftError::BadRef(k.single, f.clone()));
            };
            out.insert(stored.into(), ref_1p2(origin, service, path, ty, id));
        } else {
            out.insert(f.clone(), v.clone());
        }
    }
    if table == "results" {
        let s = out.get("scoreStatus").and_then(Value::as_str);
        if !s.is_some_and(|s| SCORE_STATUS_1P1.contains(&s)) {
            return Err(LiftError::ScoreStatus(
                out.get("scoreStatus")
                    .map(Value::to_string)
                    .unwrap_or_default(),
            ));
        }
        if let Some(s) = out.get("score")
            && !s.is_number()
        {
            return Err(LiftError::Score(s.to_string()));
        }
    }
    Ok(out)
}

/// The impure part of a write: the derived 1.2 references (a line item's
/// `school` from its class, a result's `class` from its line item) and the
/// stored 1.2-only properties a replace keeps.
fn complete_1p2(
    sh: &Shared,
    k: Kind1p1,
    m: &mut Map<String, Value>,
    existing: Option<&Value>,
) -> Result<(), SisError> {
    let sid = |v: Option<&Value>| {
        v.and_then(|r| r.get("sourcedId"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match k.table {
        "lineItems" => {
            if let Some(class) = sid(m.get("class"))
                && let Some(c) = sh.store.get("classes", &class, None)?
                && let Some(school) = sid(c.get("school"))
            {
                m.insert(
                    "school".into(),
                    ref_1p2(&sh.origin, "rostering", "orgs", "org", &school),
                );
            }
        }
        "results" => {
            if let Some(li) = sid(m.get("lineItem"))
                && let Some(l) = sh.store.get("lineItems", &li, None)?
                && let Some(class) = sid(l.get("class"))
            {
                m.insert(
                    "class".into(),
                    ref_1p2(&sh.origin, "rostering", "classes", "class", &class),
                );
            }
        }
        _ => {}
    }
    if let Some(Value::Object(old)) = existing {
        for f in k.only_1p2 {
            if !m.contains_key(*f)
                && let Some(v) = old.get(*f)
            {
                m.insert((*f).to_string(), v.clone());
            }
        }
    }
    Ok(())
}

// ---- the endpoints ------------------------------------------------------------------------

/// A failure of this surface: the 1.1 `statusInfoSet` payload (or the flat
/// 1.2 one under [`Fault::V1p1GradebookErrorShapeWrong`]).
fn fail(sh: &Shared, status: StatusCode, minor: &str, description: &str) -> Response {
    if sh.has(Fault::V1p1GradebookErrorShapeWrong) {
        return super::gradebook::fail(status, minor, description);
    }
    status_error(sh, status, minor, description)
}

fn internal(sh: &Shared, e: &SisError) -> Response {
    fail(
        sh,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_server_error",
        &e.to_string(),
    )
}

fn not_found(sh: &Shared, what: &str, id: &str) -> Response {
    fail(
        sh,
        StatusCode::NOT_FOUND,
        "unknownobject",
        &format!("no {what} with sourcedId `{id}`"),
    )
}

/// Properties a 1.1 filter or sort may name: the 1.1 properties stored under
/// the same name (`gradingPeriod` is stored as `academicSession`).
fn queryable(k: Kind1p1) -> Vec<&'static str> {
    k.fields
        .iter()
        .copied()
        .filter(|f| *f != "gradingPeriod")
        .collect()
}

/// The 1.1 collection parameters: paging, filter, sort, field selection;
/// the 1.1 sort rules, filters and sorts on [`queryable`], selections on
/// every 1.1 property.
#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself
fn parse_query(
    sh: &Shared,
    k: Kind1p1,
    pairs: &[(String, String)],
) -> Result<params::Parsed, Response> {
    let rules = params::Rules {
        queryable: &queryable(k),
        selectable: k.fields,
        sort: params::SortRules::V1p1,
    };
    params::parse(pairs, &rules)
        .map_err(|e| fail(sh, StatusCode::BAD_REQUEST, e.minor(), &e.to_string()))
}

fn list(
    sh: &Shared,
    k: Kind1p1,
    scope: Option<(String, Vec<String>)>,
    path: &str,
    pairs: &[(String, String)],
) -> Response {
    let (mut q, fields) = match parse_query(sh, k, pairs) {
        Ok(p) => (p.query, p.fields),
        Err(r) => return r,
    };
    q.scope = scope;
    let (docs, total) = match sh.store.list(k.table, &q) {
        Ok(x) => x,
        Err(e) => return internal(sh, &e),
    };
    let docs: Vec<Value> = docs
        .into_iter()
        .map(|d| render(sh, k, d, fields.as_deref()))
        .collect();
    let link = link_header(sh, path, pairs, &q, total);
    params::page(k.envelope, docs, total, Some(link))
}

fn single(sh: &Shared, k: Kind1p1, id: &str, pairs: &[(String, String)]) -> Response {
    let fields = match parse_query(sh, k, pairs) {
        Ok(p) => p.fields,
        Err(r) => return r,
    };
    match sh.store.get(k.table, id, None) {
        Ok(Some(doc)) => {
            axum::Json(json!({ k.single: render(sh, k, doc, fields.as_deref()) })).into_response()
        }
        Ok(None) => not_found(sh, k.single, id),
        Err(e) => internal(sh, &e),
    }
}

#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself
fn must_exist(sh: &Shared, table: &str, what: &str, id: &str) -> Result<(), Response> {
    match sh.store.get(table, id, None) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(not_found(sh, what, id)),
        Err(e) => Err(internal(sh, &e)),
    }
}

/// PUT: create (201) or replace (200) the object at `id`.
fn put(sh: &Shared, k: Kind1p1, id: &str, body: &[u8]) -> Response {
    let invalid = |d: &str| fail(sh, StatusCode::UNPROCESSABLE_ENTITY, "invaliddata", d);
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return fail(
                sh,
                StatusCode::BAD_REQUEST,
                "invaliddata",
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let Some(obj) = v.get(k.single) else {
        return invalid(&format!("the body must be {{\"{}\": {{...}}}}", k.single));
    };
    let mut m = match lift(k.table, obj, &sh.origin) {
        Ok(m) => m,
        Err(e) => return invalid(&e.to_string()),
    };
    if let Some(s) = m.get("sourcedId").and_then(Value::as_str)
        && s != id
    {
        return invalid(&format!(
            "the body's sourcedId `{s}` is not the path's `{id}`"
        ));
    }
    let existing = match sh.store.get(k.table, id, None) {
        Ok(x) => x,
        Err(e) => return internal(sh, &e),
    };
    if let Err(e) = complete_1p2(sh, k, &mut m, existing.as_ref()) {
        return internal(sh, &e);
    }
    m.insert("sourcedId".into(), json!(id));
    m.entry("status").or_insert_with(|| json!("active"));
    m.insert("dateLastModified".into(), json!(super::gradebook::now()));
    if k.table == "lineItems" && sh.has(Fault::V1p1GradebookPutNotStored) {
        return StatusCode::CREATED.into_response();
    }
    match sh.store.upsert(k.table, id, &Value::Object(m)) {
        Ok(true) => StatusCode::CREATED.into_response(),
        Ok(false) => StatusCode::OK.into_response(),
        Err(e) => internal(sh, &e),
    }
}

fn delete(sh: &Shared, k: Kind1p1, id: &str) -> Response {
    if sh.has(Fault::V1p1GradebookDeleteIgnored) {
        return match sh.store.get(k.table, id, None) {
            Ok(Some(_)) => StatusCode::NO_CONTENT.into_response(),
            Ok(None) => not_found(sh, k.single, id),
            Err(e) => internal(sh, &e),
        };
    }
    match sh.store.delete(k.table, id) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found(sh, k.single, id),
        Err(e) => internal(sh, &e),
    }
}

fn eq_ref(field: &str) -> String {
    format!("json_extract(doc, '$.{field}.sourcedId') = ?")
}

/// Results whose line item belongs to the class bound to the next `?`.
const RESULT_IN_CLASS: &str = "json_extract(doc, '$.lineItem.sourcedId') IN (SELECT l.sourced_id FROM entity AS l WHERE l.collection = 'lineItems' AND json_extract(l.doc, '$.class.sourcedId') = ?)";

/// Every 1.1 gradebook request, once its signature is verified: `rest` is
/// the path under the 1.1 base, `path` the whole path (for `Link`).
pub(super) fn handle(
    sh: &Shared,
    method: &str,
    rest: &str,
    path: &str,
    pairs: &[(String, String)],
    body: &[u8],
) -> Response {
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    // HEAD is a GET whose body the server drops.
    let method = if method == "HEAD" { "GET" } else { method };
    let unknown = || {
        fail(
            sh,
            StatusCode::NOT_FOUND,
            "unknownobject",
            "no such endpoint",
        )
    };
    match (method, segs.as_slice()) {
        ("GET", [c]) => match kind(c) {
            Some(k) => list(sh, k, None, path, pairs),
            None => unknown(),
        },
        ("GET", [c, id]) => match kind(c) {
            Some(k) => single(sh, k, id, pairs),
            None => unknown(),
        },
        ("PUT", [c, id]) => match kind(c) {
            Some(k) => put(sh, k, id, body),
            None => unknown(),
        },
        ("DELETE", [c, id]) => match kind(c) {
            Some(k) => delete(sh, k, id),
            None => unknown(),
        },
        ("GET", ["classes", class, rel]) => {
            if let Err(r) = must_exist(sh, "classes", "class", class) {
                return r;
            }
            let (k, scope) = match *rel {
                "lineItems" => (LINE_ITEMS, Some(eq_ref("class"))),
                "results" if sh.has(Fault::V1p1GradebookClassResultsUnscoped) => (RESULTS, None),
                "results" => (RESULTS, Some(RESULT_IN_CLASS.to_string())),
                _ => return unknown(),
            };
            let scope = scope.map(|s| (s, vec![(*class).to_string()]));
            list(sh, k, scope, path, pairs)
        }
        ("GET", ["classes", _, "students", _, "results"])
            if sh.has(Fault::V1p1GradebookStudentResultsMissing) =>
        {
            unknown()
        }
        ("GET", ["classes", class, mid, mid_id, "results"])
            if matches!(*mid, "lineItems" | "students") =>
        {
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
            let scope = format!("{RESULT_IN_CLASS} AND {}", eq_ref(field));
            list(
                sh,
                RESULTS,
                Some((scope, vec![(*class).to_string(), (*mid_id).to_string()])),
                path,
                pairs,
            )
        }
        _ => unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const ORIGIN: &str = "http://h";

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn a_1p2_line_item_maps_to_the_1p1_shape() {
        let stored = json!({
            "sourcedId": "li1", "status": "active", "dateLastModified": "2026-09-01T00:00:00.000Z",
            "title": "Essay", "assignDate": "2026-09-07T08:00:00.000Z", "dueDate": "2026-09-14T23:59:00.000Z",
            "class": {"href": "http://h/ims/oneroster/rostering/v1p2/classes/c1", "sourcedId": "c1", "type": "class"},
            "school": {"href": "http://h/ims/oneroster/rostering/v1p2/orgs/s1", "sourcedId": "s1", "type": "org"},
            "category": {"href": "http://h/ims/oneroster/gradebook/v1p2/categories/k1", "sourcedId": "k1", "type": "category"},
            "academicSession": {"href": "http://h/ims/oneroster/rostering/v1p2/academicSessions/t1", "sourcedId": "t1", "type": "academicSession"},
            "scoreScale": {"href": "http://h/ims/oneroster/gradebook/v1p2/scoreScales/x", "sourcedId": "x", "type": "scoreScale"},
            "resultValueMin": 0.0, "resultValueMax": 100.0,
        });
        assert_eq!(
            to_1p1("lineItems", stored),
            json!({
                "sourcedId": "li1", "status": "active", "dateLastModified": "2026-09-01T00:00:00.000Z",
                "title": "Essay", "assignDate": "2026-09-07T08:00:00.000Z", "dueDate": "2026-09-14T23:59:00.000Z",
                "class": {"href": "http://h/ims/oneroster/v1p1/classes/c1", "sourcedId": "c1", "type": "class"},
                "category": {"href": "http://h/ims/oneroster/v1p1/categories/k1", "sourcedId": "k1", "type": "category"},
                "gradingPeriod": {"href": "http://h/ims/oneroster/v1p1/academicSessions/t1", "sourcedId": "t1", "type": "academicSession"},
                "resultValueMin": 0.0, "resultValueMax": 100.0,
            })
        );
    }

    #[test]
    fn a_1p2_result_and_category_lose_their_1p2_only_fields() {
        let r = to_1p1(
            "results",
            json!({"sourcedId": "r", "lineItem": {"sourcedId": "l"}, "class": {"sourcedId": "c"},
                   "scoreStatus": "fully graded", "score": 80.5, "textScore": "B", "late": "true"}),
        );
        assert_eq!(
            r,
            json!({"sourcedId": "r", "lineItem": {"sourcedId": "l"}, "scoreStatus": "fully graded", "score": 80.5})
        );
        let c = to_1p1(
            "categories",
            json!({"sourcedId": "k", "title": "Tests", "weight": 0.5}),
        );
        assert_eq!(c, json!({"sourcedId": "k", "title": "Tests"}));
    }

    #[rstest]
    #[case::kept_1p1(json!({"scoreStatus": "exempt"}), "exempt")]
    #[case::kept_spaces(json!({"scoreStatus": "partially graded", "missing": "true"}), "partially graded")]
    #[case::ext_missing(json!({"scoreStatus": "ext:late", "missing": "true"}), "not submitted")]
    #[case::ext_in_progress(json!({"scoreStatus": "ext:draft", "inProgress": "true"}), "partially graded")]
    #[case::ext_incomplete(json!({"scoreStatus": "ext:x", "incomplete": "true", "score": 3}), "partially graded")]
    #[case::ext_scored(json!({"scoreStatus": "ext:x", "score": 3.5}), "fully graded")]
    #[case::ext_unscored(json!({"scoreStatus": "ext:x"}), "submitted")]
    #[case::wrong_case(json!({"scoreStatus": "Fully Graded", "score": 1}), "fully graded")]
    fn score_status_lands_on_the_1p1_vocabulary(#[case] doc: Value, #[case] want: &str) {
        assert_eq!(score_status_1p1(&obj(doc)), want);
    }

    #[rstest]
    #[case("fully graded", "fullyGraded")]
    #[case("exempt", "exempt")]
    #[case("not submitted", "notSubmitted")]
    fn camel_case_is_the_fault_form(#[case] from: &str, #[case] to: &str) {
        assert_eq!(camel(from), to);
    }

    #[test]
    fn a_1p1_line_item_lifts_to_1p2() {
        let body = json!({
            "title": "Essay", "assignDate": "2026-09-07T08:00:00Z", "dueDate": "2026-09-14T08:00:00Z",
            "class": {"href": "http://elsewhere/ims/oneroster/v1p1/classes/c1", "sourcedId": "c1", "type": "class"},
            "category": {"sourcedId": "k1"},
            "gradingPeriod": {"sourcedId": "t1", "type": "academicSession"},
            "resultValueMax": 10,
        });
        let m = lift("lineItems", &body, ORIGIN).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Value::Object(m),
            json!({
                "title": "Essay", "assignDate": "2026-09-07T08:00:00Z", "dueDate": "2026-09-14T08:00:00Z",
                "class": {"href": "http://h/ims/oneroster/rostering/v1p2/classes/c1", "sourcedId": "c1", "type": "class"},
                "category": {"href": "http://h/ims/oneroster/gradebook/v1p2/categories/k1", "sourcedId": "k1", "type": "category"},
                "academicSession": {"href": "http://h/ims/oneroster/rostering/v1p2/academicSessions/t1", "sourcedId": "t1", "type": "academicSession"},
                "resultValueMax": 10,
            })
        );
    }

    #[test]
    fn a_lifted_result_maps_back_to_what_was_written() {
        let body = json!({
            "lineItem": {"href": "http://h/ims/oneroster/v1p1/lineItems/l1", "sourcedId": "l1", "type": "lineItem"},
            "student": {"href": "http://h/ims/oneroster/v1p1/users/u1", "sourcedId": "u1", "type": "user"},
            "scoreStatus": "submitted", "score": 7.25, "scoreDate": "2026-10-01", "comment": "ok",
        });
        let m = lift("results", &body, ORIGIN).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(to_1p1("results", Value::Object(m)), body);
    }

    #[rstest]
    #[case::not_an_object("categories", json!(["t"]), LiftError::NotAnObject("category"))]
    #[case::missing("categories", json!({"weight": 1}), LiftError::Missing("category", "title".into()))]
    #[case::unknown_1p2_field("categories", json!({"title": "t", "weight": 1}), LiftError::Unknown("category", "weight".into()))]
    #[case::academic_session_is_1p2("lineItems", json!({"title": "t", "assignDate": "a", "dueDate": "d", "class": {"sourcedId": "c"}, "category": {"sourcedId": "k"}, "gradingPeriod": {"sourcedId": "g"}, "academicSession": {"sourcedId": "g"}}), LiftError::Unknown("lineItem", "academicSession".into()))]
    #[case::bad_ref("lineItems", json!({"title": "t", "assignDate": "a", "dueDate": "d", "class": "c", "category": {"sourcedId": "k"}, "gradingPeriod": {"sourcedId": "g"}}), LiftError::BadRef("lineItem", "class".into()))]
    #[case::ext_status("results", json!({"lineItem": {"sourcedId": "l"}, "student": {"sourcedId": "u"}, "scoreStatus": "ext:late", "score": 1, "scoreDate": "2026-01-01"}), LiftError::ScoreStatus("\"ext:late\"".into()))]
    #[case::string_score("results", json!({"lineItem": {"sourcedId": "l"}, "student": {"sourcedId": "u"}, "scoreStatus": "exempt", "score": "1", "scoreDate": "2026-01-01"}), LiftError::Score("\"1\"".into()))]
    fn bad_1p1_bodies_are_refused(
        #[case] table: &str,
        #[case] body: Value,
        #[case] want: LiftError,
    ) {
        assert_eq!(lift(table, &body, ORIGIN), Err(want));
    }

    #[rstest]
    #[case("lineItems", true)]
    #[case("results/r1", true)]
    #[case("categories/", true)]
    #[case("classes/c1/lineItems", true)]
    #[case("classes/c1/results", true)]
    #[case("classes/c1/lineItems/l1/results", true)]
    #[case("classes/c1/students/u1/results", true)]
    #[case("classes/c1/students", false)]
    #[case("users", false)]
    #[case("scoreScales", false)]
    #[case("classes/c1/categories", false)]
    fn gradebook_paths_are_told_from_rostering(#[case] rest: &str, #[case] want: bool) {
        assert_eq!(is_gradebook(rest), want);
    }

    #[test]
    fn the_fault_keeps_the_stored_hrefs() {
        let stored = json!({"sourcedId": "li", "academicSession": {"href": "http://h/ims/oneroster/rostering/v1p2/academicSessions/t", "sourcedId": "t"}});
        let mut out = to_1p1("lineItems", stored.clone());
        restore_hrefs(&mut out, &stored);
        assert_eq!(
            out.pointer("/gradingPeriod/href"),
            Some(&json!(
                "http://h/ims/oneroster/rostering/v1p2/academicSessions/t"
            ))
        );
    }
}
