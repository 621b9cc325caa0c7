//! The harness's *recording* LTI tool, used when accredit certifies a platform.
//!
//! Why a separate tool: the reference tool ([`crate::start`]) validates what it
//! receives and refuses bad launches, which is right for a reference
//! implementation but wrong for a certification harness. To judge a platform,
//! every case must see *exactly* what the platform sent, including tokens a strict
//! tool would have refused before anyone could look at them. So the probe never
//! judges: it records, and the `lti-platform` suite's cases judge from the record.
//!
//! Endpoints (loopback HTTP, axum; requests recorded through `record_layer` when a
//! recorder is given, except the harness's own, which the harness records itself):
//! - [`crate::LOGIN_PATH`] (GET and POST): OIDC third-party-initiated login. The
//!   initiation parameters are recorded under a fresh `state`, and the browser is
//!   sent (302) to the platform's authentication endpoint with a strict request:
//!   `scope=openid`, `response_type=id_token`, `response_mode=form_post`,
//!   `prompt=none`, the probe's `client_id`, `redirect_uri` = its launch URL,
//!   `login_hint` and `lti_message_hint` echoed unaltered, fresh `state` and `nonce`.
//! - [`crate::LAUNCH_PATH`] (POST, and GET so a platform using the wrong response
//!   mode is recorded too): the raw parameters (`id_token`, `state`...) are
//!   recorded under the state, and the page answered names the state, so the
//!   harness's browser, which reads the final page, can find its capture.
//! - [`crate::JWKS_PATH`]: the tool key's public JWK (kid = RFC 7638 thumbprint),
//!   which the platform uses to verify client assertions and Deep Linking responses.
//!
//! Cases that craft their own authentication requests (OIDC negative tests) stop
//! their browser *before* it reaches the login URL and read the initiation from
//! the redirect the platform answered: the probe need not know about them.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;

use accredit_core::evidence::{Recorder, record_layer};
use accredit_core::jose::{JoseError, JwkSet, SigningKey, random_id};

use crate::{JWKS_PATH, LAUNCH_PATH, LOGIN_PATH, ToolError, ToolUrls, html_escape, lock};

/// Bound on stored logins and launches (oldest dropped first): a long run against
/// a platform that loops must not grow without limit.
const MAX_ENTRIES: usize = 10_000;

/// The probe's configuration.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Public base URL when the platform reaches the probe through a proxy or
    /// tunnel; default `http://<bound address>`.
    pub public_base_url: Option<String>,
    /// The probe's client_id at the platform.
    pub client_id: String,
    /// The platform's OIDC authentication endpoint.
    pub auth_url: String,
    /// The probe's signing key (its public half is served at the JWKS URL).
    pub key: SigningKey,
}

/// One login initiation the probe received, and the authentication request it
/// answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeLogin {
    /// `GET` or `POST`.
    pub method: String,
    /// The initiation parameters, as received.
    pub initiation: Vec<(String, String)>,
    /// The state the probe put in its authentication request.
    pub state: String,
    /// The nonce the probe put in its authentication request.
    pub nonce: String,
    /// The full authentication request URL the browser was sent to.
    pub auth_request: String,
}

/// One request the platform's browser made to the probe's launch URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeLaunch {
    /// `POST` (form_post) or `GET` (a platform using another response mode).
    pub method: String,
    /// The request's Content-Type, if any.
    pub content_type: Option<String>,
    /// Every parameter received (form body for POST, query for GET).
    pub params: Vec<(String, String)>,
}

impl ProbeLaunch {
    /// The first value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

#[derive(Default)]
struct Records {
    logins: HashMap<String, ProbeLogin>,
    login_order: VecDeque<String>,
    launches: HashMap<String, Vec<ProbeLaunch>>,
    launch_order: VecDeque<String>,
}

struct ProbeShared {
    config: ProbeConfig,
    jwks: JwkSet,
    urls: ToolUrls,
    records: Mutex<Records>,
}

/// A running probe tool. Dropping it stops the server.
pub struct ProbeTool {
    addr: SocketAddr,
    urls: ToolUrls,
    server: accredit_core::server::ServerHandle,
    shared: Arc<ProbeShared>,
}

impl std::fmt::Debug for ProbeTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeTool")
            .field("addr", &self.addr)
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl ProbeTool {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The probe's URLs (login, launch = redirect_uri, JWKS).
    pub fn urls(&self) -> &ToolUrls {
        &self.urls
    }

    /// The client_id the probe sends in its authentication requests.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// The published key set.
    pub fn jwks(&self) -> &JwkSet {
        &self.shared.jwks
    }

    /// The login recorded under `state` (the state the probe generated).
    pub fn login(&self, state: &str) -> Option<ProbeLogin> {
        lock(&self.shared.records).logins.get(state).cloned()
    }

    /// Every launch request that carried `state`, in arrival order.
    pub fn launches(&self, state: &str) -> Vec<ProbeLaunch> {
        lock(&self.shared.records)
            .launches
            .get(state)
            .cloned()
            .unwrap_or_default()
    }

    /// Stops the server and waits (at most 3 s) for it to finish.
    pub async fn shutdown(&self) {
        self.server.shutdown().await;
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn params_of(method: &Method, query: Option<String>, body: &[u8]) -> Vec<(String, String)> {
    let bytes = if method == Method::POST {
        body.to_vec()
    } else {
        query.unwrap_or_default().into_bytes()
    };
    url::form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
             <body><h1>{t}</h1>{body}</body></html>",
            t = html_escape(title)
        ),
    )
        .into_response()
}

fn fresh_id() -> Result<String, JoseError> {
    random_id()
}

async fn login(
    State(s): State<Arc<ProbeShared>>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let initiation = params_of(&method, query, &body);
    let (state, nonce) = match (fresh_id(), fresh_id()) {
        (Ok(a), Ok(b)) => (format!("st-{a}"), format!("nc-{b}")),
        _ => {
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "accredit probe tool: no randomness",
                "<p>the probe could not generate a state</p>",
            );
        }
    };
    let mut auth = match url::Url::parse(&s.config.auth_url) {
        Ok(u) => u,
        Err(e) => {
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "accredit probe tool: bad auth_url",
                &format!("<p>{}</p>", html_escape(&e.to_string())),
            );
        }
    };
    {
        let mut q = auth.query_pairs_mut();
        q.append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("prompt", "none")
            .append_pair("client_id", &s.config.client_id)
            .append_pair("redirect_uri", &s.urls.launch_url)
            .append_pair("login_hint", param(&initiation, "login_hint").unwrap_or(""))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce);
        if let Some(mh) = param(&initiation, "lti_message_hint") {
            q.append_pair("lti_message_hint", mh);
        }
    }
    let record = ProbeLogin {
        method: method.to_string(),
        initiation,
        state: state.clone(),
        nonce,
        auth_request: auth.to_string(),
    };
    {
        let mut r = lock(&s.records);
        r.logins.insert(state.clone(), record);
        r.login_order.push_back(state);
        while r.login_order.len() > MAX_ENTRIES {
            if let Some(old) = r.login_order.pop_front() {
                r.logins.remove(&old);
            }
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, auth.to_string())]).into_response()
}

async fn launch(
    State(s): State<Arc<ProbeShared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = params_of(&method, query, &body);
    let state = param(&params, "state").unwrap_or("").to_string();
    let record = ProbeLaunch {
        method: method.to_string(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        params,
    };
    {
        let mut r = lock(&s.records);
        r.launches.entry(state.clone()).or_default().push(record);
        r.launch_order.push_back(state.clone());
        while r.launch_order.len() > MAX_ENTRIES {
            if let Some(old) = r.launch_order.pop_front() {
                r.launches.remove(&old);
            }
        }
    }
    page(
        StatusCode::OK,
        "accredit probe tool: launch received",
        &format!(
            "<p>Recorded for judging (the probe tool does not validate).</p>\
             <p>state: <code id=\"state\">{}</code></p>",
            html_escape(&state)
        ),
    )
}

async fn jwks(State(s): State<Arc<ProbeShared>>) -> Response {
    Json(s.jwks.clone()).into_response()
}

fn router(shared: Arc<ProbeShared>, recorder: Option<Recorder>) -> Router {
    let app = Router::new()
        .route(LOGIN_PATH, get(login).post(login))
        .route(LAUNCH_PATH, get(launch).post(launch))
        .route(JWKS_PATH, get(jwks))
        .with_state(shared);
    match recorder {
        Some(rec) => app.layer(axum::middleware::from_fn_with_state(rec, record_layer)),
        None => app,
    }
}

/// Starts the probe on `config.listen`. Every inbound request not made by the
/// harness itself is recorded through `recorder` when given.
pub async fn start(
    config: ProbeConfig,
    recorder: Option<Recorder>,
) -> Result<ProbeTool, ToolError> {
    url::Url::parse(&config.auth_url).map_err(|e| ToolError::Config {
        path: "(probe)".into(),
        message: format!("auth_url `{}`: {e}", config.auth_url),
    })?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ToolError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ToolError::Bind {
        addr: config.listen,
        source,
    })?;
    let base_url = match &config.public_base_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let mut a = addr;
            if a.ip().is_unspecified() {
                a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{a}")
        }
    };
    let urls = ToolUrls {
        login_url: format!("{base_url}{LOGIN_PATH}"),
        launch_url: format!("{base_url}{LAUNCH_PATH}"),
        jwks_url: format!("{base_url}{JWKS_PATH}"),
        base_url,
    };
    let shared = Arc::new(ProbeShared {
        jwks: config.key.jwks()?,
        config,
        urls: urls.clone(),
        records: Mutex::new(Records::default()),
    });
    let server =
        accredit_core::server::ServerHandle::spawn(listener, router(Arc::clone(&shared), recorder));
    Ok(ProbeTool {
        addr,
        urls,
        server,
        shared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn probe() -> ProbeTool {
        let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
        start(
            ProbeConfig {
                listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
                public_base_url: None,
                client_id: "probe-client".into(),
                auth_url: "https://lms.example/auth?x=1".into(),
                key,
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn login_answers_a_strict_auth_request_and_launch_is_recorded() {
        let p = probe().await;
        let resp = client()
            .post(&p.urls().login_url)
            .form(&[
                ("iss", "https://lms.example"),
                ("login_hint", "u 1"),
                ("lti_message_hint", "m+2"),
                ("target_link_uri", "http://x/launch"),
            ])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.status(), 302);
        let loc = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no location"));
        let u = url::Url::parse(&loc).unwrap_or_else(|e| panic!("{e}"));
        let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        let get = |n: &str| param(&q, n).map(str::to_string);
        assert_eq!(get("x").as_deref(), Some("1"), "auth_url query kept");
        assert_eq!(get("scope").as_deref(), Some("openid"));
        assert_eq!(get("response_type").as_deref(), Some("id_token"));
        assert_eq!(get("response_mode").as_deref(), Some("form_post"));
        assert_eq!(get("prompt").as_deref(), Some("none"));
        assert_eq!(get("client_id").as_deref(), Some("probe-client"));
        assert_eq!(get("login_hint").as_deref(), Some("u 1"));
        assert_eq!(get("lti_message_hint").as_deref(), Some("m+2"));
        assert_eq!(get("redirect_uri"), Some(p.urls().launch_url.clone()));
        let state = get("state").unwrap_or_else(|| panic!("no state"));
        let login = p
            .login(&state)
            .unwrap_or_else(|| panic!("login not recorded"));
        assert_eq!(login.method, "POST");
        assert_eq!(Some(login.nonce), get("nonce"));

        let page = client()
            .post(&p.urls().launch_url)
            .form(&[("id_token", "a.b.c"), ("state", state.as_str())])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.contains(&state), "{page}");
        let launches = p.launches(&state);
        assert_eq!(launches.len(), 1);
        assert_eq!(launches[0].param("id_token"), Some("a.b.c"));
        assert!(p.launches("other").is_empty());
        let jwks: JwkSet = client()
            .get(&p.urls().jwks_url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(jwks.keys.len(), 1);
        assert!(jwks.keys[0].private_members().is_empty());
        p.shutdown().await;
    }
}
