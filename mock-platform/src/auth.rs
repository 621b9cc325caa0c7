//! HTTP handlers: JWKS, OIDC authentication endpoint, stand-alone launch start.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use crate::plan::{self, AuthRequestSeen, Issued, LaunchPlan};
use crate::{ClientRegistration, PlatformConfig, Shared, html_escape};

/// Claim names used by the default launch.
const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

pub(crate) async fn index(State(s): State<Arc<Shared>>) -> Response {
    let mut links = String::new();
    for c in &s.config.clients {
        if c.login_url.is_some() {
            for role in ["instructor", "learner"] {
                let href = format!(
                    "{}?client_id={}&role={role}",
                    crate::START_PATH,
                    url::form_urlencoded::byte_serialize(c.client_id.as_bytes())
                        .collect::<String>()
                );
                links.push_str(&format!(
                    "<li><a href=\"{}\">Launch {} as {role}</a></li>\n",
                    html_escape(&href),
                    html_escape(&c.client_id)
                ));
            }
            for kind in crate::LaunchKind::ALL {
                let href = format!(
                    "{}?client_id={}&launch={}",
                    crate::START_PATH,
                    url::form_urlencoded::byte_serialize(c.client_id.as_bytes())
                        .collect::<String>(),
                    kind.as_str()
                );
                links.push_str(&format!(
                    "<li><a href=\"{}\">Built-in launch of {}: {}</a></li>\n",
                    html_escape(&href),
                    html_escape(&c.client_id),
                    kind.as_str()
                ));
            }
        }
    }
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>accredit mock platform</title></head><body>\
         <h1>accredit mock LTI platform</h1><p>issuer: <code>{}</code></p>\
         <p>OIDC auth URL: <code>{}</code><br>JWKS URL: <code>{}</code></p><ul>{links}</ul></body></html>",
        html_escape(&s.config.issuer),
        html_escape(&s.endpoints.auth_url),
        html_escape(&s.endpoints.jwks_url),
    );
    html(StatusCode::OK, body)
}

pub(crate) async fn jwks(State(s): State<Arc<Shared>>) -> Response {
    let mut set = plan::lock(&s.jwks).clone();
    if s.config.has(crate::PlatformFault::JwksLeaksPrivateKey) {
        let leaked = crate::course::private_members(&s.key);
        for jwk in set
            .keys
            .iter_mut()
            .filter(|k| k.kid.as_deref() == Some(s.key.kid()))
        {
            jwk.extra.extend(leaked.iter().cloned());
        }
    }
    ([(header::CACHE_CONTROL, "max-age=300")], Json(set)).into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn parse_params(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Two URLs are the same redirect URI: exact string, or equal once parsed (only
/// normalisation such as an empty path written `/` differs).
pub(crate) fn same_uri(a: &str, b: &str) -> bool {
    a == b || matches!((url::Url::parse(a), url::Url::parse(b)), (Ok(x), Ok(y)) if x == y)
}

/// Checks an authentication request (Security Framework 1.0 §5.1.1.2 and
/// OIDC Core 3.1.2.1). Returns every problem found.
pub(crate) fn validate(
    params: &[(String, String)],
    config: &PlatformConfig,
    plan: Option<&LaunchPlan>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    for w in names.windows(2) {
        if w[0] == w[1] {
            problems.push(format!("parameter `{}` is repeated", w[0]));
        }
    }
    let expect = |name: &str, want: &str, problems: &mut Vec<String>| match param(params, name) {
        None => problems.push(format!("`{name}` is missing (must be `{want}`)")),
        Some(v) if v != want => problems.push(format!("`{name}` is `{v}`, must be `{want}`")),
        Some(_) => {}
    };
    match param(params, "scope") {
        None => problems.push("`scope` is missing (must contain `openid`)".into()),
        Some(v) if !v.split(' ').any(|s| s == "openid") => {
            problems.push(format!("`scope` is `{v}`, must contain `openid`"))
        }
        Some(_) => {}
    }
    expect("response_type", "id_token", &mut problems);
    expect("response_mode", "form_post", &mut problems);
    expect("prompt", "none", &mut problems);
    let client = match param(params, "client_id") {
        None => {
            problems.push("`client_id` is missing".into());
            None
        }
        Some(id) => {
            let c = config.client(id);
            if c.is_none() {
                problems.push(format!("`client_id` `{id}` is not registered"));
            }
            c
        }
    };
    match (param(params, "redirect_uri"), client) {
        (None, _) => problems.push("`redirect_uri` is missing".into()),
        (Some(uri), Some(c)) if !c.redirect_uris.iter().any(|r| same_uri(r, uri)) => {
            problems.push(format!(
                "`redirect_uri` `{uri}` is not registered for client `{}` (registered: {})",
                c.client_id,
                c.redirect_uris.join(", ")
            ))
        }
        _ => {}
    }
    for name in ["login_hint", "nonce", "state"] {
        if param(params, name).is_none_or(str::is_empty) {
            problems.push(format!("`{name}` is missing or empty"));
        }
    }
    if let Some(want) = plan.and_then(|p| p.lti_message_hint.as_deref()) {
        match param(params, "lti_message_hint") {
            None => problems.push("`lti_message_hint` was not echoed".into()),
            Some(v) if v != want => problems.push(format!(
                "`lti_message_hint` altered: sent `{want}`, got back `{v}`"
            )),
            Some(_) => {}
        }
    }
    problems
}

fn error_response(headers: &HeaderMap, status: StatusCode, problems: &[String]) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let description = problems.join("; ");
    if wants_html {
        let items: String = problems
            .iter()
            .map(|p| format!("<li>{}</li>", html_escape(p)))
            .collect();
        html(
            status,
            format!(
                "<!DOCTYPE html><html><head><title>invalid_request</title></head><body>\
                 <h1>Authentication request refused</h1><p>invalid_request</p><ul>{items}</ul></body></html>"
            ),
        )
    } else {
        (
            status,
            Json(json!({"error": "invalid_request", "error_description": description, "problems": problems})),
        )
            .into_response()
    }
}

/// The auto-submitting `form_post` page (OAuth 2.0 Form Post Response Mode).
pub(crate) fn form_post_page(redirect_uri: &str, id_token: &str, state: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Submit this form</title></head>\n\
         <body onload=\"javascript:document.forms[0].submit()\">\n\
         <form method=\"post\" action=\"{}\">\n\
         <input type=\"hidden\" name=\"id_token\" value=\"{}\"/>\n\
         <input type=\"hidden\" name=\"state\" value=\"{}\"/>\n\
         <noscript><button type=\"submit\">Continue</button></noscript>\n\
         </form></body></html>\n",
        html_escape(redirect_uri),
        html_escape(id_token),
        html_escape(state)
    )
}

pub(crate) async fn authorize(
    State(s): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = if method == Method::POST {
        parse_params(&body)
    } else {
        parse_params(query.unwrap_or_default().as_bytes())
    };
    if let Some(mh) = param(&params, "lti_message_hint")
        && plan::lock(&s.reference).is_builtin(mh)
    {
        return crate::reference::authorize(&s, method.as_str(), &headers, &params, mh);
    }
    let hint = param(&params, "login_hint").unwrap_or_default().to_string();
    let planned = plan::lock(&s.plans).get(&hint);
    let plan = match planned {
        Some(p) => Some(p),
        None if s.config.default_launch => param(&params, "client_id")
            .and_then(|id| s.config.client(id))
            .map(|c| LaunchPlan::signed(default_claims(&s.config, c, "instructor", &hint))),
        None => None,
    };
    let mut problems = validate(&params, &s.config, plan.as_ref());
    if plan.is_none() && !hint.is_empty() {
        problems.push(format!(
            "no launch is planned for `login_hint` `{hint}` (the login was not started by this platform, or the hint was altered)"
        ));
    }
    plan::lock(&s.plans).record_seen(
        &hint,
        AuthRequestSeen {
            method: method.to_string(),
            params: params.clone(),
            problems: problems.clone(),
        },
    );
    let Some(plan) = plan.filter(|_| problems.is_empty()) else {
        return error_response(&headers, StatusCode::BAD_REQUEST, &problems);
    };
    let nonce = param(&params, "nonce").unwrap_or_default();
    let state = plan
        .state
        .as_deref()
        .unwrap_or_else(|| param(&params, "state").unwrap_or_default());
    let redirect_uri = param(&params, "redirect_uri").unwrap_or_default();
    let id_token = match plan.token(nonce, &s.key) {
        Ok(t) => t,
        Err(e) => {
            return error_response(
                &headers,
                StatusCode::INTERNAL_SERVER_ERROR,
                &[format!("the platform could not sign the id_token: {e}")],
            );
        }
    };
    plan::lock(&s.plans).record_issued(
        &hint,
        Issued {
            id_token: id_token.clone(),
            state: state.to_string(),
            nonce: nonce.to_string(),
            redirect_uri: redirect_uri.to_string(),
        },
    );
    html(
        StatusCode::OK,
        form_post_page(redirect_uri, &id_token, state),
    )
}

#[derive(serde::Deserialize)]
pub(crate) struct StartQuery {
    client_id: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    launch: Option<String>,
}

/// `GET /lti/start?client_id=..&role=instructor|learner`: plans a valid launch
/// and redirects the browser to the tool's login initiation URL. With
/// `launch=<kind>` it starts a built-in launch of the reference platform instead
/// ([`crate::reference::start`]).
pub(crate) async fn start_launch(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(client) = s.config.client(&q.client_id) else {
        return error_response(
            &headers,
            StatusCode::BAD_REQUEST,
            &[format!("client `{}` is not registered", q.client_id)],
        );
    };
    if let Some(kind) = q.launch.as_deref() {
        if !crate::reference::may_start(&s, &headers) {
            return crate::reference::login_required(&headers);
        }
        return crate::reference::start(&s, &headers, client, kind);
    }
    let Some(login_url) = client.login_url.as_deref() else {
        return error_response(
            &headers,
            StatusCode::BAD_REQUEST,
            &[format!("client `{}` has no login_url", q.client_id)],
        );
    };
    let role = q.role.as_deref().unwrap_or("instructor");
    let hint = format!("lh-{}", uuid::Uuid::new_v4().simple());
    let message_hint = format!("mh-{}", uuid::Uuid::new_v4().simple());
    let claims = default_claims(&s.config, client, role, &hint);
    plan::lock(&s.plans).insert(
        hint.clone(),
        LaunchPlan::signed(claims).expecting_message_hint(message_hint.clone()),
    );
    let mut url = match url::Url::parse(login_url) {
        Ok(u) => u,
        Err(e) => {
            return error_response(
                &headers,
                StatusCode::BAD_REQUEST,
                &[format!("login_url `{login_url}` is not a URL: {e}")],
            );
        }
    };
    url.query_pairs_mut()
        .append_pair("iss", &s.config.issuer)
        .append_pair("login_hint", &hint)
        .append_pair("target_link_uri", &target_of(client))
        .append_pair("lti_message_hint", &message_hint)
        .append_pair("client_id", &client.client_id);
    if let Some(d) = client.deployment_ids.first() {
        url.query_pairs_mut().append_pair("lti_deployment_id", d);
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

pub(crate) fn target_of(client: &ClientRegistration) -> String {
    client
        .target_link_uri
        .clone()
        .or_else(|| client.redirect_uris.first().cloned())
        .unwrap_or_default()
}

/// A valid resource link launch for stand-alone use.
fn default_claims(
    config: &PlatformConfig,
    client: &ClientRegistration,
    role: &str,
    hint: &str,
) -> Value {
    let now = accredit_core::jose::now_secs();
    let role_uri = if role.eq_ignore_ascii_case("learner") {
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    } else {
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    };
    json!({
        "iss": config.issuer,
        "aud": client.client_id,
        "sub": format!("standalone-{role}"),
        "iat": now,
        "exp": now + 300,
        "name": format!("Stand-alone {role}"),
        format!("{LTI}message_type"): "LtiResourceLinkRequest",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): client.deployment_ids.first().cloned().unwrap_or_default(),
        format!("{LTI}target_link_uri"): target_of(client),
        format!("{LTI}roles"): [role_uri],
        format!("{LTI}resource_link"): {"id": format!("rl-{}", hint.get(3..11).unwrap_or("0"))},
        format!("{LTI}context"): {"id": "standalone-context", "title": "Stand-alone course"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::net::SocketAddr;

    fn config() -> PlatformConfig {
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"));
        PlatformConfig::single(
            "https://p.example",
            listen,
            ClientRegistration {
                client_id: "c1".into(),
                redirect_uris: vec!["http://tool/launch".into()],
                deployment_ids: vec!["d1".into()],
                login_url: None,
                target_link_uri: None,
                jwks_url: None,
            },
        )
    }

    fn good() -> Vec<(String, String)> {
        [
            ("scope", "openid"),
            ("response_type", "id_token"),
            ("response_mode", "form_post"),
            ("prompt", "none"),
            ("client_id", "c1"),
            ("redirect_uri", "http://tool/launch"),
            ("login_hint", "lh-1"),
            ("lti_message_hint", "mh-1"),
            ("state", "s"),
            ("nonce", "n"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn with(name: &str, value: Option<&str>) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = good().into_iter().filter(|(k, _)| k != name).collect();
        if let Some(v) = value {
            p.push((name.into(), v.into()));
        }
        p
    }

    #[test]
    fn a_good_request_has_no_problem() {
        let plan = LaunchPlan::signed(json!({})).expecting_message_hint("mh-1");
        assert!(validate(&good(), &config(), Some(&plan)).is_empty());
    }

    #[rstest]
    #[case::scope(with("scope", Some("profile")), "scope")]
    #[case::no_scope(with("scope", None), "scope")]
    #[case::response_type(with("response_type", Some("code")), "response_type")]
    #[case::response_mode(with("response_mode", None), "response_mode")]
    #[case::prompt(with("prompt", Some("login")), "prompt")]
    #[case::client(with("client_id", Some("other")), "client_id")]
    #[case::redirect(
        with("redirect_uri", Some("https://attacker.example/")),
        "redirect_uri"
    )]
    #[case::nonce(with("nonce", None), "nonce")]
    #[case::state(with("state", Some("")), "state")]
    #[case::message_hint(with("lti_message_hint", Some("mh-2")), "lti_message_hint")]
    fn each_problem_is_named(#[case] params: Vec<(String, String)>, #[case] name: &str) {
        let plan = LaunchPlan::signed(json!({})).expecting_message_hint("mh-1");
        let problems = validate(&params, &config(), Some(&plan));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains(name), "{problems:?}");
    }

    #[test]
    fn form_post_page_escapes_values() {
        let page = form_post_page("http://t/l?a=1&b=\"2\"", "x.y.z", "s<1>");
        assert!(page.contains("action=\"http://t/l?a=1&amp;b=&quot;2&quot;\""));
        assert!(page.contains("value=\"s&lt;1&gt;\""));
    }
}
