//! `oneroster-provider` cases for the OneRoster 1.2 **resources** service
//! (ids `oneroster.provider.resources.*`): the five read operations, the
//! `ResourceDType` model and the `resource.readonly` / `resource-core.readonly`
//! scopes.
//!
//! Why the relation endpoints are judged by containment: a resource of a class,
//! course or user must be a resource the provider lists at all, and the class
//! and course come from the provider's own rostering, so the checks need no
//! knowledge of how the vendor links resources.

use futures::future::BoxFuture;
use serde_json::Value;

use accredit_core::{CaseCx, CaseMeta, Level, Outcome, Verdict};
use accredit_mock_platform::oneroster as sis;

use super::cases::{Fixture, Stop, enc, enum_or_ext, ref_id, sid, snippet};
use super::gradebook::{Service, Svc, meta, violations};

/// Id prefix of the resources cases.
pub(super) const PREFIX: &str = "oneroster.provider.resources.";

/// `oneroster.provider.resources.read`
pub const READ: &str = "oneroster.provider.resources.read";
/// `oneroster.provider.resources.model`
pub const MODEL: &str = "oneroster.provider.resources.model";
/// `oneroster.provider.resources.model.schema`
pub const SCHEMA: &str = "oneroster.provider.resources.model.schema";
/// `oneroster.provider.resources.auth.scope`
pub const SCOPE: &str = "oneroster.provider.resources.auth.scope";

const SPEC: &str = "OneRoster 1.2 Resources Service REST Binding";
const OPENAPI: &str = "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2resourcesservice_openapi3_v1p0.json";

/// The resources cases, in report order.
pub fn catalog() -> Vec<CaseMeta> {
    use Level::Must;
    vec![
        meta(
            SPEC,
            READ,
            "The five resources reads answer 200 with their envelopes",
            "getAllResources, getResource, getResourcesForClass, getResourcesForCourse, getResourcesForUser",
            OPENAPI,
            "200: The request was successfully completed and a collection (or the object) has been returned.",
            Must,
            &["oneroster", "resources", "read"],
        ),
        meta(
            SPEC,
            MODEL,
            "Resources carry their required fields and exact enumerations",
            "ResourceDType",
            OPENAPI,
            "sourcedId, status, dateLastModified and vendorResourceId are required; status 'active' | 'tobedeleted'; importance 'primary' | 'secondary'; roles from the role enumeration (or `ext:`).",
            Must,
            &["oneroster", "resources", "model"],
        ),
        meta(
            SPEC,
            SCHEMA,
            "Resources bodies validate against the official OpenAPI component schemas",
            "components.schemas",
            OPENAPI,
            "The response payloads are defined by ResourceSetDType and SingleResourceDType.",
            Must,
            &["oneroster", "resources", "model", "schema"],
        ),
        meta(
            SPEC,
            SCOPE,
            "A token without a resource scope is refused with 403",
            "Security: scopes",
            OPENAPI,
            "403: the server can be reached and process the request but refuses to take any further action i.e. 'forbidden'.",
            Must,
            &["oneroster", "resources", "auth"],
        ),
    ]
}

fn readable(fx: &Fixture) -> bool {
    fx.profile
        .scopes
        .iter()
        .any(|s| s == sis::SCOPE_RESOURCE || s == sis::SCOPE_RESOURCE_CORE)
}

/// Runs one resources case.
pub(super) fn run_case<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let id = cx.meta.id;
        let s = match Svc::full(fx, cx, Service::Resources).await {
            Ok(s) => s,
            Err(e) => return e.into_verdict(Verdict::new()),
        };
        if !readable(fx) {
            return Verdict::skip(
                "the profile's scopes include neither resource.readonly nor resource-core.readonly",
            );
        }
        if id == SCHEMA
            && let Err(reason) = &fx.service_schemas.resources
        {
            return Verdict::skip(format!(
                "the resources OpenAPI schemas are not available: {reason}"
            ));
        }
        let mut v = Verdict::new();
        let r = match id {
            READ => read(fx, &s, &mut v).await,
            MODEL | SCHEMA => model(fx, &s, &mut v, id).await,
            SCOPE => scope(fx, cx, &mut v).await,
            other => return Verdict::error(format!("no implementation for case {other}")),
        };
        match r {
            Ok(()) => v,
            Err(e) => e.into_verdict(v),
        }
    })
}

async fn read(fx: &Fixture, s: &Svc<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (list, _) = s.page("resources?limit=5", "resources").await?;
    v.require("GET /resources answered 200 with `resources`", true, "");
    if let Some(first) = list.first() {
        let id = sid(first);
        let r = s.get(&format!("resources/{}", enc(&id))).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        v.require(
            "GET /resources/{id} answered 200 with `resource`",
            r.status.as_u16() == 200 && body.get("resource").map(sid) == Some(id),
            format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
        );
    }
    if !fx.profile.scopes.iter().any(|x| x == sis::SCOPE_RESOURCE) {
        v.check(
            "the class, course and user resources",
            Outcome::Skip,
            "those operations need resource.readonly, which the profile's scopes lack",
        );
        return Ok(());
    }
    let all: std::collections::HashSet<String> = s
        .all("resources", "resources")
        .await?
        .iter()
        .map(sid)
        .collect();
    // A class, its course and one of its students, from rostering.
    let roster = super::cases::Client::with_scopes(fx, s.c.cx, &fx.profile.scopes).await?;
    let base = fx
        .profile
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let bearer = format!("Bearer {}", roster.token);
    let r = roster
        .raw(&format!("{base}/classes?limit=1"), Some(&bearer))
        .await?;
    let body: Value = r.json().unwrap_or(Value::Null);
    let Some(class) = body
        .get("classes")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
    else {
        v.check(
            "the class, course and user resources",
            Outcome::Skip,
            "the provider lists no class",
        );
        return Ok(());
    };
    let class_id = sid(&class);
    let r = roster
        .raw(
            &format!("{base}/classes/{}/students?limit=1", enc(&class_id)),
            Some(&bearer),
        )
        .await?;
    let body: Value = r.json().unwrap_or(Value::Null);
    let student = body
        .get("users")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .map(sid);
    let mut rels = vec![
        format!("classes/{}/resources", enc(&class_id)),
        format!("courses/{}/resources", enc(&ref_id(&class, "course"))),
    ];
    if let Some(u) = student {
        rels.push(format!("users/{}/resources", enc(&u)));
    }
    for rel in rels {
        match s.all(&rel, "resources").await {
            Ok(list) => {
                let unknown: Vec<String> =
                    list.iter().map(sid).filter(|x| !all.contains(x)).collect();
                v.require(
                    format!("GET /{rel}: 200 with `resources`, each one of /resources"),
                    unknown.is_empty(),
                    format!("not in /resources: {unknown:?}"),
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

fn problems(r: &Value) -> Vec<String> {
    let id = sid(r);
    let mut out = Vec::new();
    for k in [
        "sourcedId",
        "status",
        "dateLastModified",
        "vendorResourceId",
    ] {
        if r.get(k).is_none_or(Value::is_null) {
            out.push(format!("{id}: missing {k}"));
        }
    }
    if let Some(st) = r.get("status")
        && !matches!(st.as_str(), Some("active" | "tobedeleted"))
    {
        out.push(format!("{id}: status = {st}"));
    }
    if let Some(d) = r.get("dateLastModified")
        && d.as_str()
            .is_none_or(|d| chrono::DateTime::parse_from_rfc3339(d).is_err())
    {
        out.push(format!("{id}: dateLastModified {d} is not a date-time"));
    }
    if let Some(i) = r.get("importance")
        && !matches!(i.as_str(), Some("primary" | "secondary"))
    {
        out.push(format!("{id}: importance = {i}"));
    }
    match r.get("roles") {
        None => {}
        Some(Value::Array(roles)) => {
            for role in roles {
                if !enum_or_ext(
                    Some(role),
                    &[
                        "administrator",
                        "aide",
                        "guardian",
                        "parent",
                        "proctor",
                        "relative",
                        "student",
                        "teacher",
                    ],
                ) || !role.is_string()
                {
                    out.push(format!("{id}: roles[] = {role}"));
                }
            }
        }
        Some(other) => out.push(format!("{id}: roles = {other} (not an array)")),
    }
    out
}

async fn model(fx: &Fixture, s: &Svc<'_>, v: &mut Verdict, case: &str) -> Result<(), Stop> {
    let (list, resp) = s.page("resources?limit=25", "resources").await?;
    let mut found = Vec::new();
    if case == MODEL {
        list.iter().for_each(|r| found.extend(problems(r)));
    } else {
        let body: Value = resp.json().unwrap_or(Value::Null);
        found.extend(violations(
            &fx.service_schemas.resources,
            "ResourceSetDType",
            &body,
        ));
        if let Some(first) = list.first() {
            let r = s.get(&format!("resources/{}", enc(&sid(first)))).await?;
            let body: Value = r.json().unwrap_or(Value::Null);
            found.extend(violations(
                &fx.service_schemas.resources,
                "SingleResourceDType",
                &body,
            ));
        }
    }
    found.truncate(10);
    v.require(
        format!("/resources (first {} records)", list.len()),
        found.is_empty(),
        found.join("; "),
    );
    Ok(())
}

async fn scope(fx: &Fixture, cx: &CaseCx, v: &mut Verdict) -> Result<(), Stop> {
    let Some(other) = [super::SCOPE_ROSTER_CORE, super::SCOPE_ROSTER]
        .into_iter()
        .find(|s| fx.profile.scopes.iter().any(|x| x == s))
    else {
        v.check(
            "a rostering-only token reads no resources",
            Outcome::Skip,
            "the profile has no rostering scope",
        );
        return Ok(());
    };
    let s = Svc::connect(fx, cx, Service::Resources, &[other.to_string()]).await?;
    let r = s.get("resources?limit=1").await?;
    let code = r.status.as_u16();
    v.require(
        "getAllResources with only a rostering scope: answered 403",
        code == 403,
        format!("answered {code}: {}", snippet(&r)),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::ok(json!({"sourcedId": "r", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z", "vendorResourceId": "v", "roles": ["student", "ext:mentor"], "importance": "primary"}), 0)]
    #[case::no_vendor_id(json!({"sourcedId": "r", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z"}), 1)]
    #[case::capitalised_importance(json!({"sourcedId": "r", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z", "vendorResourceId": "v", "importance": "Primary"}), 1)]
    #[case::unknown_role(json!({"sourcedId": "r", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z", "vendorResourceId": "v", "roles": ["Student"]}), 1)]
    #[case::roles_not_array(json!({"sourcedId": "r", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z", "vendorResourceId": "v", "roles": "student"}), 1)]
    #[case::date_only(json!({"sourcedId": "r", "status": "active", "dateLastModified": "2026-01-01", "vendorResourceId": "v"}), 1)]
    fn resource_problems(#[case] r: Value, #[case] n: usize) {
        assert_eq!(problems(&r).len(), n, "{:?}", problems(&r));
    }
}
