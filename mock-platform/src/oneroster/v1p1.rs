//! The OneRoster **1.1** rostering surface of the mock SIS, at
//! [`V1P1_BASE_PATH`], secured with OAuth 1.0a request signing ([`oauth1`]).
//!
//! Why a second surface over the same store rather than a second SIS: a
//! district's data does not change with the binding version, only its
//! representation does, and a provider suite that certifies 1.1 must be proven
//! against a reference whose paging, filtering and totals are as real as the
//! 1.2 one's. So the 1.1 endpoints run the same SQLite queries and map each
//! 1.2 document to its 1.1 form on the way out: a user's `roles[]` becomes the
//! single-valued `role` (the primary role, 1.2-only roles folded onto the 1.1
//! vocabulary) plus `orgs[]`; the 1.2-only user fields are dropped; `href`s
//! point at the 1.1 base. Errors use the 1.1 `statusInfoSet` payload.
//!
//! Credentials: the 1.1 consumer key and secret are the SIS's client id and
//! secret (one registered consumer), and both `HMAC-SHA1` and `HMAC-SHA256`
//! are accepted (the 1.1 errata). The `Oauth1*` and `V1p1*` [`Fault`]s make
//! this surface wrong one defect at a time.
//!
//! The 1.1 gradebook (categories, line items, results, with PUT and DELETE)
//! shares this router, its signature check and its nonce memory; its
//! endpoints are in [`super::v1p1_gradebook`].
//!
//! [`oauth1`]: super::oauth1

use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::{Map, Value, json};

use super::oauth1::{self, Lax, SignedRequest, Verifier};
use super::v1p1_gradebook;
use super::{BASE_PATH, Coll, Fault, RunningSis, Shared, SisError, params, target};
use super::{Target, view_sql};

/// Base path of the OneRoster 1.1 service.
pub const V1P1_BASE_PATH: &str = "/ims/oneroster/v1p1";

impl RunningSis {
    /// The OneRoster 1.1 service base URL (`http://addr/ims/oneroster/v1p1`),
    /// signed with OAuth 1.0a using the client id and secret as consumer key
    /// and secret.
    pub fn v1p1_url(&self) -> String {
        format!("{}{V1P1_BASE_PATH}", self.shared.origin)
    }
}

/// 1.1 user fields (the 1.2-only ones are dropped on output).
const USER_FIELDS_1P1: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "username",
    "userIds",
    "enabledUser",
    "givenName",
    "familyName",
    "middleName",
    "role",
    "identifier",
    "email",
    "sms",
    "phone",
    "agents",
    "orgs",
    "grades",
    "password",
];

/// The 1.1 property names of a collection.
fn fields_1p1(c: Coll) -> &'static [&'static str] {
    if c.table == "users" {
        USER_FIELDS_1P1
    } else {
        c.fields
    }
}

/// Properties a 1.1 filter may name: the 1.1 fields that are stored as they
/// are (a 1.1 user's derived `role` and `orgs` are not filterable here).
fn filterable(c: Coll) -> Vec<&'static str> {
    fields_1p1(c)
        .iter()
        .copied()
        .filter(|f| c.table != "users" || !matches!(*f, "role" | "orgs"))
        .collect()
}

struct V1p1 {
    sh: Arc<Shared>,
    verifier: Verifier,
}

/// The 1.1 routes, with their own state (the nonce memory).
pub(super) fn routes(sh: Arc<Shared>) -> Router {
    let lax = Lax {
        signature: sh.has(Fault::Oauth1SignatureUnchecked),
        nonce: sh.has(Fault::Oauth1NonceReplayAccepted),
        timestamp: sh.has(Fault::Oauth1TimestampUnchecked),
        no_sha256: sh.has(Fault::Oauth1Sha256Unsupported),
    };
    let verifier = Verifier::new(
        sh.config.client_id.clone(),
        sh.config.client_secret.expose().to_string(),
        lax,
    );
    let st = Arc::new(V1p1 { sh, verifier });
    Router::new()
        // Every method: the gradebook takes PUT and DELETE too.
        .route(&format!("{V1P1_BASE_PATH}/{{*rest}}"), any(data))
        .with_state(st)
}

/// A failure with the 1.1 `statusInfoSet` payload (or the flat 1.2 one under
/// [`Fault::V1p1ErrorShapeWrong`]).
pub(super) fn status_error(
    sh: &Shared,
    status: StatusCode,
    minor: &str,
    description: &str,
) -> Response {
    let info = json!({
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {"imsx_codeMinorField": [{
            "imsx_codeMinorFieldName": "TargetEndSystem",
            "imsx_codeMinorFieldValue": minor,
        }]},
    });
    let body = if sh.has(Fault::V1p1ErrorShapeWrong) {
        info
    } else {
        json!({ "statusInfoSet": [info] })
    };
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("OAuth realm=\"oneroster\""),
        );
    }
    resp
}

async fn data(
    State(st): State<Arc<V1p1>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let sh = Arc::clone(&st.sh);
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let req = SignedRequest {
        method: method.as_str(),
        base_uri: oauth1::base_uri("http", host, uri.path()),
        query: pairs.clone(),
        form: Vec::new(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
        now: chrono::Utc::now().timestamp(),
    };
    let rest = uri
        .path()
        .strip_prefix(V1P1_BASE_PATH)
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string();
    let gradebook = v1p1_gradebook::is_gradebook(&rest);
    if let Err(e) = st.verifier.verify(&req)
        && !(gradebook && sh.has(Fault::V1p1GradebookUnsignedAccepted))
    {
        return status_error(
            &sh,
            StatusCode::UNAUTHORIZED,
            "unauthorisedrequest",
            &e.to_string(),
        );
    }
    // The OAuth parameters may ride in the query (RFC 5849 §3.5.3): not data parameters.
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| !k.starts_with("oauth_"))
        .collect();
    let path = uri.path().to_string();
    let sh2 = Arc::clone(&sh);
    let out = tokio::task::spawn_blocking(move || {
        if gradebook {
            v1p1_gradebook::handle(&sh2, method.as_str(), &rest, &path, &pairs, &body)
        } else if method == Method::GET || method == Method::HEAD {
            handle(&sh2, &rest, &path, &pairs)
        } else {
            status_error(
                &sh2,
                StatusCode::METHOD_NOT_ALLOWED,
                "invaliddata",
                &format!("{method} is not an operation of this endpoint"),
            )
        }
    })
    .await;
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

/// The collection parameters of a 1.1 rostering request: the 1.1 sort rules,
/// filters and sorts on [`filterable`], selections on [`fields_1p1`].
#[allow(clippy::result_large_err)] // the error is the HTTP refusal itself
fn parse_params(
    sh: &Shared,
    c: Coll,
    pairs: &[(String, String)],
) -> Result<params::Parsed, Response> {
    let rules = params::Rules {
        queryable: &filterable(c),
        selectable: fields_1p1(c),
        sort: params::SortRules::V1p1,
    };
    let mut p = params::parse(pairs, &rules)
        .map_err(|e| status_error(sh, StatusCode::BAD_REQUEST, e.minor(), &e.to_string()))?;
    p.query.defects = sh.filter_defects();
    Ok(p)
}

/// A 1.2 user role on the 1.1 vocabulary.
fn role_1p1(role: &str) -> &str {
    match role {
        "districtAdministrator" | "siteAdministrator" | "systemAdministrator" | "principal" => {
            "administrator"
        }
        "counselor" => "aide",
        other => other,
    }
}

/// Points every `href` at the 1.1 base.
pub(super) fn rebase(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(s) if k == "href" && s.contains(from) => {
                        *s = s.replacen(from, to, 1);
                    }
                    _ => rebase(x, from, to),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rebase(x, from, to)),
        _ => {}
    }
}

/// Maps one stored (1.2) document to its 1.1 representation.
fn to_1p1(sh: &Shared, c: Coll, doc: Value, fields: Option<&[String]>) -> Value {
    // The 1.2 output faults (enum case, dates, booleans) apply here too.
    let mut doc = super::render(sh, c, doc, None);
    rebase(&mut doc, BASE_PATH, V1P1_BASE_PATH);
    if let Value::Object(m) = &mut doc {
        if c.table == "users" && !sh.has(Fault::V1p1Uses1p2UserFields) {
            user_to_1p1(m);
        }
        if let Some(fs) = fields {
            m.retain(|k, _| fs.iter().any(|f| f == k));
        }
    }
    doc
}

fn user_to_1p1(m: &mut Map<String, Value>) {
    let roles: Vec<Value> = m
        .remove("roles")
        .and_then(|r| match r {
            Value::Array(a) => Some(a),
            _ => None,
        })
        .unwrap_or_default();
    let primary = roles
        .iter()
        .find(|r| r.get("roleType").and_then(Value::as_str) == Some("primary"))
        .or_else(|| roles.first());
    if let Some(role) = primary.and_then(|r| r.get("role")).and_then(Value::as_str) {
        m.insert("role".into(), Value::String(role_1p1(role).to_string()));
    }
    let mut orgs: Vec<Value> = Vec::new();
    for org in roles.iter().filter_map(|r| r.get("org")) {
        if !orgs.contains(org) {
            orgs.push(org.clone());
        }
    }
    m.insert("orgs".into(), Value::Array(orgs));
    m.retain(|k, _| USER_FIELDS_1P1.contains(&k.as_str()));
}

fn handle(sh: &Shared, rest: &str, path: &str, pairs: &[(String, String)]) -> Response {
    let Some(t) = target(sh, rest) else {
        return status_error(
            sh,
            StatusCode::NOT_FOUND,
            "unknownobject",
            "no such endpoint",
        );
    };
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
                    let doc = to_1p1(sh, c, doc, fields.as_deref());
                    if sh.has(Fault::V1p1EnvelopeWrong) {
                        axum::Json(doc).into_response()
                    } else {
                        axum::Json(json!({ c.single: doc })).into_response()
                    }
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
            match sh
                .store
                .get(parent.table, &parent_id, view_sql(parent.view).as_ref())
            {
                Ok(Some(_)) => {}
                Ok(None) => {
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
        Err(r) => return r,
    };
    let mut q = p.query;
    q.scope = scope;
    let (docs, total) = match sh.store.list(c.table, &q) {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
    let docs: Vec<Value> = docs
        .into_iter()
        .map(|d| to_1p1(sh, c, d, p.fields.as_deref()))
        .collect();
    let count = if sh.has(Fault::TotalCountIsPageSize) {
        docs.len() as u64
    } else {
        total
    };
    let link =
        (!sh.has(Fault::MissingLinkHeader)).then(|| super::link_header(sh, path, pairs, &q, total));
    params::page(c.envelope, docs, count, link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_1p2_user_maps_to_the_1p1_shape() {
        let mut m = json!({
            "sourcedId": "u1",
            "roles": [
                {"roleType": "secondary", "role": "teacher", "org": {"sourcedId": "o2"}},
                {"roleType": "primary", "role": "districtAdministrator", "org": {"sourcedId": "o1"}},
            ],
            "pronouns": "they",
            "primaryOrg": {"sourcedId": "o1"},
            "givenName": "A",
        });
        let Value::Object(map) = &mut m else {
            panic!("object")
        };
        user_to_1p1(map);
        assert_eq!(
            m,
            json!({
                "sourcedId": "u1",
                "role": "administrator",
                "orgs": [{"sourcedId": "o2"}, {"sourcedId": "o1"}],
                "givenName": "A",
            })
        );
    }

    #[test]
    fn hrefs_are_rebased() {
        let mut v = json!({"org": {"href": "http://h/ims/oneroster/rostering/v1p2/orgs/1"}, "title": "/ims/oneroster/rostering/v1p2"});
        rebase(&mut v, BASE_PATH, V1P1_BASE_PATH);
        assert_eq!(
            v,
            json!({"org": {"href": "http://h/ims/oneroster/v1p1/orgs/1"}, "title": "/ims/oneroster/rostering/v1p2"})
        );
    }
}
