//! The reference LTI 1.3 tool: a real tool the harness certifies against itself.
//!
//! Why it exists: the `lti-tool` suite must be proven on a tool that does
//! everything right (every case passes) and on the same tool with one defect
//! injected ([`Fault`]: exactly the cases aimed at that defect fail). It also plays
//! the tool when the harness certifies platforms (later), and the candidate in
//! `accredit demo`.
//!
//! Endpoints (loopback HTTP, axum):
//! - [`LOGIN_PATH`] (GET and POST): OIDC third-party-initiated login. Checks `iss`,
//!   `client_id` and `lti_deployment_id` against the registration, stores a fresh
//!   `state` + `nonce` server-side *and* sets the state in a cookie, then redirects
//!   (302) to the platform's authentication endpoint.
//! - [`LAUNCH_PATH`] (POST `id_token` + `state`): validates the state (cookie and
//!   server side, single use), the id_token (RS256 only, `kid` required, platform
//!   JWKS fetched and cached, re-fetched once on an unknown kid), `iss`, `aud`/`azp`,
//!   `exp`/`iat` with a small leeway, the nonce (bound to the state, never
//!   replayed), the deployment and the LTI claims. Success: 200 with
//!   [`SUCCESS_MARKER`]; failure: 400/401/403 with the reason.
//!   A valid `LtiDeepLinkingRequest` is answered with an auto-submitting form
//!   that posts an RS256 `LtiDeepLinkingResponse` (`JWT`) to the request's
//!   `deep_link_return_url`: one `ltiResourceLink` item, `data` echoed.
//!   A launch carrying the NRPS claim makes the tool fetch every memberships
//!   page (client-credentials token with a JWT-bearer assertion) before it
//!   renders the page, which shows the member count.
//!   A launch carrying the AGS endpoint claim makes the tool find or create its
//!   line item, post the learner's score and read the results (see `ags`).
//! - [`JWKS_PATH`]: the tool's own public key (verifies its Deep Linking
//!   responses and client assertions).
//!
//! Cookie choice: in a secure context the state cookie is `SameSite=None; Secure;
//! Partitioned` (the platform's form_post is a cross-site POST, which drops Lax
//! cookies; in a platform's iframe the whole launch is cross-site, and browsers
//! that block third-party cookies, as Chromium does by default, keep only
//! partitioned ones: CHIPS, keyed by the platform page's site). Secure contexts are https
//! and http on loopback (`localhost`, `127.0.0.1`: browsers keep `Secure` cookies
//! there). Over other plain http, `Secure` cookies are not sent back and browsers
//! refuse `SameSite=None` without `Secure`, so the cookie is `SameSite=Lax`: this
//! works only when platform and tool are same-site and the launch is top-level.

mod ags;
pub mod caliper;
mod config;
mod launch;
pub mod oneroster;
pub mod probe;
mod services;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};

use accredit_core::evidence::{Recorder, record_layer};
use accredit_core::jose::{JoseError, JwkSet, SigningKey};

pub use config::{Fault, Registration, ToolConfig, load_config};
pub use launch::DL_CANCEL_QUERY;

/// OIDC login initiation path.
pub const LOGIN_PATH: &str = "/lti/login";
/// Launch (redirect_uri and target_link_uri) path.
pub const LAUNCH_PATH: &str = "/lti/launch";
/// The tool's JWKS path.
pub const JWKS_PATH: &str = "/lti/jwks";
/// Text on every accepted launch page.
pub const SUCCESS_MARKER: &str = "LTI launch accepted";

/// Why the tool could not start.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The config is unreadable or invalid.
    #[error("tool config {path}: {message}")]
    Config {
        /// The file (or `(inline)`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Key generation failed.
    #[error("tool key: {0}")]
    Key(#[from] JoseError),
    /// The HTTP client for the platform JWKS could not be built.
    #[error("tool HTTP client: {0}")]
    Client(String),
    /// The server failed.
    #[error("tool server: {0}")]
    Serve(std::io::Error),
}

/// The tool's URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolUrls {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base_url: String,
    /// OIDC login initiation URL.
    pub login_url: String,
    /// Launch URL: the redirect_uri and the target_link_uri.
    pub launch_url: String,
    /// The tool's JWKS URL.
    pub jwks_url: String,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A login waiting for its launch.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) nonce: String,
    pub(crate) target_link_uri: String,
    pub(crate) created: Instant,
}

pub(crate) struct Shared {
    pub(crate) config: ToolConfig,
    pub(crate) jwks: JwkSet,
    /// Signs the tool's own JWTs (Deep Linking responses).
    pub(crate) key: SigningKey,
    pub(crate) urls: ToolUrls,
    pub(crate) secure_cookies: bool,
    pub(crate) pending: Mutex<HashMap<String, Pending>>,
    pub(crate) used_nonces: Mutex<HashMap<String, Instant>>,
    pub(crate) platform_keys: Mutex<Option<(JwkSet, Instant)>>,
    pub(crate) http: reqwest::Client,
}

impl Shared {
    pub(crate) fn has(&self, f: Fault) -> bool {
        self.config.faults.contains(&f)
    }
}

/// A running reference tool. Dropping it stops the server.
pub struct RunningTool {
    addr: SocketAddr,
    urls: ToolUrls,
    server: accredit_core::server::ServerHandle,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RunningTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningTool")
            .field("addr", &self.addr)
            .field("faults", &self.shared.config.faults)
            .finish_non_exhaustive()
    }
}

impl RunningTool {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The tool's URLs.
    pub fn urls(&self) -> &ToolUrls {
        &self.urls
    }

    /// The registration the tool runs with.
    pub fn registration(&self) -> &Registration {
        &self.shared.config.registration
    }

    /// The tool's public key set.
    pub fn jwks(&self) -> &JwkSet {
        &self.shared.jwks
    }

    /// A human description (for `accredit serve tool`).
    pub fn describe(&self) -> String {
        let r = self.registration();
        format!(
            "reference LTI tool listening on {}\n  login URL:  {}\n  launch URL: {} (redirect_uri and target_link_uri)\n  JWKS URL:   {}\n  client_id:  {}\n  deployments: {}\n  trusts issuer {} (auth {}, JWKS {})\n  faults: {:?}",
            self.addr,
            self.urls.login_url,
            self.urls.launch_url,
            self.urls.jwks_url,
            r.client_id,
            r.deployment_ids.join(", "),
            r.issuer,
            r.auth_url,
            r.jwks_url,
            self.shared.config.faults
        )
    }

    /// Stops the server and waits (at most 3 s) for it to finish.
    pub async fn shutdown(&self) {
        self.server.shutdown().await;
    }
}

fn router(shared: Arc<Shared>, recorder: Option<Recorder>) -> Router {
    let app = Router::new()
        .route("/", get(launch::index))
        .route(LOGIN_PATH, get(launch::login).post(launch::login))
        .route(LAUNCH_PATH, post(launch::launch))
        .route(JWKS_PATH, get(launch::jwks))
        .with_state(shared);
    match recorder {
        Some(rec) => app.layer(axum::middleware::from_fn_with_state(rec, record_layer)),
        None => app,
    }
}

/// Starts the tool on `config.listen` (`127.0.0.1:0` picks a free port). Every
/// inbound request is recorded through `recorder` when given.
pub async fn start(
    config: ToolConfig,
    recorder: Option<Recorder>,
) -> Result<RunningTool, ToolError> {
    config.validate()?;
    let key = tokio::task::spawn_blocking(SigningKey::generate)
        .await
        .map_err(|e| JoseError::Crypto(format!("key generation task failed: {e}")))??;
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
    let base_url = match &config.public_url {
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
    let http = accredit_core::http::with_shared_tls(
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5)),
    )
    .build()
    .map_err(|e| ToolError::Client(e.to_string()))?;
    let shared = Arc::new(Shared {
        secure_cookies: !config.lax_state_cookie && secure_context(&urls.base_url),
        jwks: key.jwks()?,
        key,
        urls: urls.clone(),
        config,
        pending: Mutex::new(HashMap::new()),
        used_nonces: Mutex::new(HashMap::new()),
        platform_keys: Mutex::new(None),
        http,
    });
    let app = router(Arc::clone(&shared), recorder);
    let server = accredit_core::server::ServerHandle::spawn(listener, app);
    Ok(RunningTool {
        addr,
        urls,
        server,
        shared,
    })
}

/// Runs the tool until Ctrl-C (`accredit serve tool --config FILE`).
pub async fn serve(config: ToolConfig) -> Result<(), ToolError> {
    let running = start(config, None).await?;
    eprintln!("{}", running.describe());
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await.map_err(ToolError::Serve)?;
    running.shutdown().await;
    Ok(())
}

/// What a candidate profile needs to know about a started reference tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRegistration {
    /// OIDC login initiation URL.
    pub login_url: String,
    /// Launch URL (target_link_uri and redirect_uri).
    pub launch_url: String,
    /// The tool's client_id.
    pub client_id: String,
    /// The tool's deployment id.
    pub deployment_id: String,
    /// The platform issuer the tool trusts.
    pub issuer: String,
}

/// client_id used by [`start_reference_tool_for_demo`].
pub const DEMO_CLIENT_ID: &str = "accredit-reference-tool";
/// deployment id used by [`start_reference_tool_for_demo`].
pub const DEMO_DEPLOYMENT_ID: &str = "accredit-deployment-1";

/// Starts the reference tool on a free loopback port, registered with the
/// platform `issuer` whose authentication endpoint and JWKS are `auth_url` and
/// `jwks_url` (for the harness's mock platform: `accredit_mock_platform::endpoints_for(addr)`),
/// with `faults` injected (empty for a correct tool).
///
/// Returns the running tool and the values an `[lti-tool]` profile needs; the
/// suite crate's `demo_profile` writes that profile.
pub async fn start_reference_tool_for_demo(
    issuer: &str,
    auth_url: &str,
    jwks_url: &str,
    faults: Vec<Fault>,
    recorder: Option<Recorder>,
) -> Result<(RunningTool, DemoRegistration), ToolError> {
    let mut config = ToolConfig::reference(issuer, auth_url, jwks_url);
    config.faults = faults;
    let tool = start(config, recorder).await?;
    let reg = DemoRegistration {
        login_url: tool.urls.login_url.clone(),
        launch_url: tool.urls.launch_url.clone(),
        client_id: DEMO_CLIENT_ID.into(),
        deployment_id: DEMO_DEPLOYMENT_ID.into(),
        issuer: issuer.into(),
    };
    Ok((tool, reg))
}

/// Whether browsers treat `base_url` as a secure context, where they keep
/// `Secure` cookies: https, or http on a loopback host (`localhost`, 127.0.0.0/8,
/// `[::1]`), which Chromium and Firefox treat as potentially trustworthy.
fn secure_context(base_url: &str) -> bool {
    let Ok(u) = url::Url::parse(base_url) else {
        return false;
    };
    u.scheme() == "https"
        || match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) use accredit_core::reports::html::escape as html_escape;
