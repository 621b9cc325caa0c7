//! The reference SIS's OneRoster 1.2 **resources** service (base
//! [`RESOURCES_PATH`]): the five read operations of the 1.2 resources OpenAPI.
//!
//! Why links are stored apart from the resources: `ResourceDType` has no
//! property naming the class or course a resource belongs to (and is
//! `additionalProperties: false`), yet `getResourcesForClass`,
//! `getResourcesForCourse` and `getResourcesForUser` must answer by those
//! relations. The store keeps one `resourceLinks` row per (resource, class or
//! course), never served, and the relation endpoints select through it in SQL,
//! so paging and counts stay true. A user's resources are those linked to the
//! classes the user is enrolled in and to those classes' courses.
//!
//! Scopes: `resource.readonly` opens everything, `resource-core.readonly` the
//! collection and single objects only.

use std::sync::Arc;

use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::gradebook::{
    GradebookFault, Kind, fail, list_response, must_exist, request_parts, single_response,
};
use super::store::{Query, Store};
use super::{Shared, SisError, authorize};

/// Base path of the resources service.
pub const RESOURCES_PATH: &str = "/ims/oneroster/resources/v1p2";
/// `resource.readonly`: every resources read.
pub const SCOPE_RESOURCE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/resource.readonly";
/// `resource-core.readonly`: the collection and single objects.
pub const SCOPE_RESOURCE_CORE: &str =
    "https://purl.imsglobal.org/spec/or/v1p2/scope/resource-core.readonly";

const RESOURCES: Kind = Kind {
    table: "resources",
    envelope: "resources",
    single: "resource",
    fields: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "title",
        "roles",
        "importance",
        "vendorResourceId",
        "vendorId",
        "applicationId",
    ],
    required: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "vendorResourceId",
    ],
    read: &[SCOPE_RESOURCE, SCOPE_RESOURCE_CORE],
    // The resources service has no writes.
    put: "",
    delete: "",
};

/// Every resources request (`GET` under [`RESOURCES_PATH`]).
pub(super) async fn service(
    State(sh): State<Arc<Shared>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let granted = match authorize(&sh, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (rest, pairs) = request_parts(&uri, RESOURCES_PATH, raw);
    let path = uri.path().to_string();
    let sh2 = Arc::clone(&sh);
    let out = tokio::task::spawn_blocking(move || {
        if method != Method::GET {
            return fail(
                StatusCode::METHOD_NOT_ALLOWED,
                "unsupported",
                "the resources service is read-only",
            );
        }
        handle(&sh2, &rest, &path, &pairs, &granted)
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

const LINKED: &str = "sourced_id IN (SELECT json_extract(l.doc, '$.resource') FROM entity AS l WHERE l.collection = 'resourceLinks' AND json_extract(l.doc, '$.kind') = ? AND json_extract(l.doc, '$.target') = ?)";
const USER_CLASSES: &str = "SELECT json_extract(e.doc, '$.class.sourcedId') FROM entity AS e WHERE e.collection = 'enrollments' AND json_extract(e.doc, '$.user.sourcedId') = ?";

fn handle(
    sh: &Shared,
    rest: &str,
    path: &str,
    pairs: &[(String, String)],
    granted: &[String],
) -> Response {
    let segs: Vec<&str> = rest.split('/').collect();
    let envelope = if sh.has_gb(GradebookFault::ResourcesWrongEnvelope) {
        "resource"
    } else {
        RESOURCES.envelope
    };
    let needed: &[&str] = match segs.as_slice() {
        ["resources"] | ["resources", _] => RESOURCES.read,
        _ => &[SCOPE_RESOURCE],
    };
    // Not `gradebook::allowed`: `GradebookScopesIgnored` is a gradebook fault.
    if !granted.iter().any(|g| needed.contains(&g.as_str())) {
        return fail(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!(
                "this operation needs one of the scopes {}",
                needed.join(", ")
            ),
        );
    }
    let (scope, params) = match segs.as_slice() {
        ["resources"] => return list_response(sh, RESOURCES, envelope, None, path, pairs),
        ["resources", id] => return single_response(sh, RESOURCES, id, pairs),
        ["classes", id, "resources"] => {
            if let Err(r) = must_exist(sh, "classes", "class", id) {
                return r;
            }
            (
                LINKED.to_string(),
                vec!["class".to_string(), (*id).to_string()],
            )
        }
        ["courses", id, "resources"] => {
            if let Err(r) = must_exist(sh, "courses", "course", id) {
                return r;
            }
            (
                LINKED.to_string(),
                vec!["course".to_string(), (*id).to_string()],
            )
        }
        ["users", id, "resources"] => {
            if let Err(r) = must_exist(sh, "users", "user", id) {
                return r;
            }
            (
                format!(
                    "sourced_id IN (SELECT json_extract(l.doc, '$.resource') FROM entity AS l WHERE l.collection = 'resourceLinks' AND ((json_extract(l.doc, '$.kind') = 'class' AND json_extract(l.doc, '$.target') IN ({USER_CLASSES})) OR (json_extract(l.doc, '$.kind') = 'course' AND json_extract(l.doc, '$.target') IN (SELECT json_extract(c.doc, '$.course.sourcedId') FROM entity AS c WHERE c.collection = 'classes' AND c.sourced_id IN ({USER_CLASSES})))))"
                ),
                vec![(*id).to_string(), (*id).to_string()],
            )
        }
        _ => return fail(StatusCode::NOT_FOUND, "unknownobject", "no such endpoint"),
    };
    list_response(sh, RESOURCES, envelope, Some((scope, params)), path, pairs)
}

/// Classes that get a resource of their own (the first ones in file order).
const CLASSES_WITH_RESOURCES: u64 = 8;

/// Seeds one resource per course and one per early class, with their links.
pub(super) fn seed(store: &Store, now: &str) -> Result<(), SisError> {
    let add = |id: String, title: String, link: (&str, String)| -> Result<(), SisError> {
        let mut m = Map::new();
        m.insert("sourcedId".into(), json!(id));
        m.insert("status".into(), json!("active"));
        m.insert("dateLastModified".into(), json!(now));
        m.insert("title".into(), json!(title));
        m.insert("roles".into(), json!(["student", "teacher"]));
        m.insert(
            "importance".into(),
            json!(if link.0 == "course" {
                "primary"
            } else {
                "secondary"
            }),
        );
        m.insert("vendorResourceId".into(), json!(format!("vr-{id}")));
        m.insert("vendorId".into(), json!("accredit-reference-publisher"));
        m.insert("applicationId".into(), json!("accredit-reader"));
        store.upsert("resources", &id, &Value::Object(m))?;
        store.upsert(
            "resourceLinks",
            &format!("{}-{}", link.0, id),
            &json!({"resource": id, "kind": link.0, "target": link.1}),
        )?;
        Ok(())
    };
    let q = |limit| Query {
        limit,
        ..Query::default()
    };
    for c in store.list("courses", &q(u64::MAX / 2))?.0 {
        let cid = c
            .get("sourcedId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        add(
            format!("resource-course-{cid}"),
            format!("Course textbook ({cid})"),
            ("course", cid),
        )?;
    }
    for c in store.list("classes", &q(CLASSES_WITH_RESOURCES))?.0 {
        let cid = c
            .get("sourcedId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        add(
            format!("resource-class-{cid}"),
            format!("Class reading list ({cid})"),
            ("class", cid),
        )?;
    }
    Ok(())
}
