//! The harness as an LTI 1.3 platform (mock LMS), for certifying tools.
//!
//! A real HTTP server on loopback with a real RSA key: it serves its JWKS, and an
//! OIDC authentication endpoint (GET and POST) that checks the tool's
//! authentication request (Security Framework §5.1.1 step 2) and answers with an
//! auto-submitting `form_post` page carrying an RS256 `id_token` and the `state`.
//!
//! Why launch plans: each certification case needs its own id_token, including
//! deliberately broken ones (no `kid`, a foreign signature, expired, a replayed
//! token). The suite registers a [`LaunchPlan`] under a fresh `login_hint` before it
//! starts the login at the tool; when the tool's authentication request comes back
//! with that `login_hint`, the platform builds exactly that token. Every token it
//! issues is kept ([`RunningPlatform::issued`]) so later steps can replay it.
//!
//! Stand-alone use (`accredit serve platform --config FILE`): [`load_config`] +
//! [`serve`]; with `default_launch = true` an unknown `login_hint` gets a valid
//! instructor launch, and `GET /` lists "launch" links that start the OIDC flow at
//! each registered tool's `login_url`.
//!
//! Deep Linking: a plan's claims may be an `LtiDeepLinkingRequest` whose
//! `deep_link_return_url` is [`RunningPlatform::deep_link_return_url`]; the tool's
//! `LtiDeepLinkingResponse` posted there is verified against the tool's JWKS
//! (`jwks_url` of its registration) and judged rule by rule
//! ([`RunningPlatform::deep_link_returns`]).
//!
//! Services: a token endpoint ([`TOKEN_PATH`], client credentials with a
//! JWT-bearer client assertion verified against the tool's JWKS) and NRPS
//! memberships ([`NRPS_PATH`], paged with `Link: rel="next"` and an opaque
//! mixed-case cursor); every request is judged and kept
//! ([`RunningPlatform::token_requests`], [`RunningPlatform::nrps_requests`]).
//! AGS 2.0 line items, scores and results per launch context, each endpoint
//! behind its scope, every request judged and kept ([`RunningPlatform::ags_requests`]).
//!
//! Reference-platform mode (for the `lti-platform` suite, which certifies an LMS
//! by playing the tool): the platform also behaves as a conformant LTI 1.3
//! platform of its own, with built-in course data (module `course`: two contexts,
//! their members, a resource link each). `GET /lti/start?client_id=..&launch=<kind>`
//! ([`RunningPlatform::launch_start_url`], kinds in [`LaunchKind`]) starts a
//! third-party-initiated login at the client's `login_url`; the tool's
//! authentication request, recognised by its `lti_message_hint`, is validated
//! strictly and refused with a local `400` page carrying the OAuth error code
//! (never a redirect); otherwise the id_token for that kind is form-posted. Its
//! Deep Linking return *enforces* the rules (400 for a bad or replayed response),
//! NRPS memberships of the built-in contexts live at
//! `/lti/courses/{ctx}/memberships` (`limit`, `role`, `rlid`, `rel="differences"`),
//! AGS at `/lti/ags/{ctx}/lineitems`. [`start_reference_platform`] starts one;
//! [`PlatformFault`]s (`faults` in [`PlatformConfig`]) inject one defect each. The
//! launch plans of the harness-driven mode are untouched by all of this.
//! [`RunningPlatform::require_login`] puts a login in front of the built-in
//! launches (a form at [`LOGIN_PAGE_PATH`], a session cookie, course pages with
//! the launch links), like a real LMS, for the suite's scripted-browser mode.

mod ags;
mod auth;
pub mod caliper;
mod config;
mod course;
mod deep_link;
mod fault;
pub mod oneroster;
mod plan;
mod reference;
mod services;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use accredit_core::evidence::{Recorder, record_layer};
use accredit_core::jose::{JoseError, JwkSet, SigningKey};

pub use ags::{
    ACTIVITY_PROGRESS, AGS_PATH, AGS_SCOPE_LINEITEM, AGS_SCOPE_LINEITEM_READONLY,
    AGS_SCOPE_RESULT_READONLY, AGS_SCOPE_SCORE, AgsEndpoint, AgsRequestSeen, GRADING_PROGRESS,
    LINEITEM_MEDIA_TYPE, LINEITEM_QUERY, LINEITEMS_MEDIA_TYPE, RESULTS_MEDIA_TYPE,
    SCORE_MEDIA_TYPE, parse_score_timestamp,
};
pub use config::{ClientRegistration, PlatformConfig, load_config};
pub use course::{CONTEXTS, COURSE_NRPS_PATH, DL_DATA, LaunchKind};
pub use deep_link::{DL, DL_CHECKS, DL_RETURN_PATH, DeepLinkReturn, RuleCheck};
pub use fault::PlatformFault;
pub use plan::{AuthRequestSeen, Issued, LaunchPlan, NonceRule, Signer};
pub use reference::{
    COURSE_PAGE_PATH, DEFAULT_DEPLOYMENT_ID, DL_REPLAY_CHECK, LOGIN_PAGE_PATH, SESSION_COOKIE,
};
pub use services::{
    NRPS_DEFAULT_PAGE, NRPS_MEDIA_TYPE, NRPS_MEMBERS, NRPS_PATH, NRPS_SCOPE, NrpsRequestSeen,
    TOKEN_CHECKS, TOKEN_PATH, TokenRequestSeen,
};

/// Path of the OIDC authentication endpoint.
pub const AUTH_PATH: &str = "/lti/auth";
/// Path of the platform's JWKS.
pub const JWKS_PATH: &str = "/lti/jwks";
/// Path that starts a stand-alone launch (`/lti/start?client_id=...`).
pub const START_PATH: &str = "/lti/start";

/// Why the platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The config file cannot be read or parsed.
    #[error("platform config {path}: {message}")]
    Config {
        /// The file.
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
    /// Key generation or loading failed.
    #[error("platform key: {0}")]
    Key(#[from] JoseError),
    /// The server failed.
    #[error("platform server: {0}")]
    Serve(std::io::Error),
}

/// The URLs a tool must be configured with to trust this platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformEndpoints {
    /// `http://addr`
    pub base_url: String,
    /// OIDC authentication endpoint.
    pub auth_url: String,
    /// JWKS URL.
    pub jwks_url: String,
}

/// The endpoints a platform listening on `listen` will have: lets a tool be
/// configured before the platform starts (the suite starts it at `platform_listen`).
/// An unspecified address (`0.0.0.0`) is written as `127.0.0.1`.
pub fn endpoints_for(listen: SocketAddr) -> PlatformEndpoints {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let base_url = format!("http://{addr}");
    PlatformEndpoints {
        auth_url: format!("{base_url}{AUTH_PATH}"),
        jwks_url: format!("{base_url}{JWKS_PATH}"),
        base_url,
    }
}

/// Reserves a free loopback port: binds `127.0.0.1:0`, reads the port, releases it.
/// Another process could take it in between; good enough for tests and the demo.
pub fn reserve_port() -> std::io::Result<SocketAddr> {
    let l = StdListener::bind("127.0.0.1:0")?;
    l.local_addr()
}

/// Shared state of a running platform.
pub(crate) struct Shared {
    pub(crate) config: PlatformConfig,
    pub(crate) key: SigningKey,
    /// Published keys: the platform key, plus any key a case publishes (rotation).
    pub(crate) jwks: Mutex<JwkSet>,
    pub(crate) endpoints: PlatformEndpoints,
    pub(crate) plans: Mutex<plan::Plans>,
    /// Tokens granted and service requests seen.
    pub(crate) services: Mutex<services::Services>,
    /// AGS line items, scores and requests per context.
    pub(crate) ags: Mutex<ags::Ags>,
    /// Fetches tools' JWKS (Deep Linking responses); bounded timeouts.
    pub(crate) http: reqwest::Client,
    /// Built-in launches and Deep Linking state (reference-platform mode).
    pub(crate) reference: Mutex<reference::Reference>,
    /// The optional login in front of built-in launches ([`RunningPlatform::require_login`]).
    pub(crate) login: Mutex<reference::LoginGate>,
}

/// A running mock platform. Dropping it stops the server.
pub struct RunningPlatform {
    addr: SocketAddr,
    endpoints: PlatformEndpoints,
    shared: Arc<Shared>,
    server: accredit_core::server::ServerHandle,
}

impl std::fmt::Debug for RunningPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningPlatform")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningPlatform {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The platform's URLs.
    pub fn endpoints(&self) -> &PlatformEndpoints {
        &self.endpoints
    }

    /// The issuer identifier (`iss`).
    pub fn issuer(&self) -> &str {
        &self.shared.config.issuer
    }

    /// The signing key (its kid is in the JWKS).
    pub fn key(&self) -> &SigningKey {
        &self.shared.key
    }

    /// The published key set, as served now.
    pub fn jwks(&self) -> JwkSet {
        plan::lock(&self.shared.jwks).clone()
    }

    /// Publishes `key`'s public JWK beside the others (key rotation: a new kid is
    /// added and the old keys stay, as the Security Framework's "Issuer Public Key Rotation" recommends).
    pub fn publish_key(&self, key: &SigningKey) -> Result<(), JoseError> {
        let jwk = key.public_jwk()?;
        let mut set = plan::lock(&self.shared.jwks);
        if set.find(key.kid()).is_none() {
            set.keys.push(jwk);
        }
        Ok(())
    }

    /// Registers the token to issue when an authentication request arrives with
    /// `login_hint`. Replaces an earlier plan for the same hint.
    pub fn plan(&self, login_hint: impl Into<String>, plan: LaunchPlan) {
        plan::lock(&self.shared.plans).insert(login_hint.into(), plan);
    }

    /// The last token issued for `login_hint`, if any.
    pub fn issued(&self, login_hint: &str) -> Option<Issued> {
        plan::lock(&self.shared.plans).issued(login_hint)
    }

    /// The Deep Linking return URL for the launch started with `login_hint`.
    pub fn deep_link_return_url(&self, login_hint: &str) -> String {
        let mut u = format!("{}{DL_RETURN_PATH}?attempt=", self.endpoints.base_url);
        u.extend(url::form_urlencoded::byte_serialize(login_hint.as_bytes()));
        u
    }

    /// Every Deep Linking response posted for the launch started with `login_hint`.
    pub fn deep_link_returns(&self, login_hint: &str) -> Vec<DeepLinkReturn> {
        plan::lock(&self.shared.plans).deep_links(login_hint)
    }

    /// The token endpoint URL (the `aud` of client assertions).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.endpoints.base_url)
    }

    /// The NRPS memberships URL for the launch started with `login_hint`.
    pub fn nrps_url(&self, login_hint: &str) -> String {
        let mut u = format!("{}{NRPS_PATH}?attempt=", self.endpoints.base_url);
        u.extend(url::form_urlencoded::byte_serialize(login_hint.as_bytes()));
        u
    }

    /// Every token request received so far, in order.
    pub fn token_requests(&self) -> Vec<TokenRequestSeen> {
        plan::lock(&self.shared.services).token_requests()
    }

    /// Every memberships request for the launch started with `login_hint`.
    pub fn nrps_requests(&self, login_hint: &str) -> Vec<NrpsRequestSeen> {
        plan::lock(&self.shared.services).nrps_requests(login_hint)
    }

    /// The AGS line-item container URL for the launch started with `login_hint`
    /// (the `lineitems` of the AGS endpoint claim).
    pub fn ags_lineitems_url(&self, login_hint: &str) -> String {
        ags::lineitems_url(&self.endpoints.base_url, login_hint)
    }

    /// Every AGS request for the launch started with `login_hint`, in order.
    pub fn ags_requests(&self, login_hint: &str) -> Vec<AgsRequestSeen> {
        plan::lock(&self.shared.ags).requests(login_hint)
    }

    /// The line items of the launch started with `login_hint`.
    pub fn ags_line_items(&self, login_hint: &str) -> Vec<serde_json::Value> {
        plan::lock(&self.shared.ags).line_items(login_hint)
    }

    /// Creates a line item in the context of `login_hint` as the platform would
    /// for a resource link with one line item (the `lineitem` of the AGS claim,
    /// AGS 3.1.1.3); returns its `id` URL (with [`LINEITEM_QUERY`]).
    pub fn ags_seed_line_item(&self, login_hint: &str, item: serde_json::Value) -> String {
        plan::lock(&self.shared.ags).seed(&self.endpoints.base_url, login_hint, item)
    }

    /// The next AGS request of that launch revokes its (valid) token and
    /// answers 401, as a platform does when a token is revoked before it expires.
    pub fn ags_revoke_first_token(&self, login_hint: &str) {
        plan::lock(&self.shared.ags).revoke_first_token(login_hint);
    }

    /// Every authentication request received for `login_hint`, with the problems found.
    pub fn auth_requests(&self, login_hint: &str) -> Vec<AuthRequestSeen> {
        plan::lock(&self.shared.plans).seen(login_hint)
    }

    /// The injected faults (empty = a conformant platform).
    pub fn faults(&self) -> &[PlatformFault] {
        &self.shared.config.faults
    }

    /// The URL that starts a built-in launch of `kind` for `client_id`
    /// (`{base}/lti/start?client_id=..&launch=<kind>`): the platform answers 302 to
    /// the client's login URL (OIDC third-party-initiated login).
    pub fn launch_start_url(&self, client_id: &str, kind: LaunchKind) -> String {
        let mut u = format!("{}{START_PATH}?client_id=", self.endpoints.base_url);
        u.extend(url::form_urlencoded::byte_serialize(client_id.as_bytes()));
        u.push_str("&launch=");
        u.push_str(kind.as_str());
        u
    }

    /// Puts a login in front of the built-in launches: their start URLs then
    /// answer 401 `login_required` without the session cookie that `POST /login`
    /// with these credentials sets (see [`LOGIN_PAGE_PATH`], [`Self::course_page_url`]).
    pub fn require_login(&self, username: &str, password: &str) {
        plan::lock(&self.shared.login).require(username, password);
    }

    /// The login page (`{base}/login`).
    pub fn login_url(&self) -> String {
        format!("{}{LOGIN_PAGE_PATH}", self.endpoints.base_url)
    }

    /// The course page holding the launch link of `kind` for `client_id`
    /// (`<a id="launch-{kind}">`, session required when [`Self::require_login`]).
    pub fn course_page_url(&self, client_id: &str, kind: LaunchKind) -> String {
        let mut u = format!(
            "{}{COURSE_PAGE_PATH}/{}?client_id=",
            self.endpoints.base_url,
            kind.as_str()
        );
        u.extend(url::form_urlencoded::byte_serialize(client_id.as_bytes()));
        u
    }

    /// The built-in NRPS memberships URL of context `ctx` (one of [`CONTEXTS`]).
    pub fn course_memberships_url(&self, ctx: &str) -> String {
        format!(
            "{}{COURSE_NRPS_PATH}/{ctx}/memberships",
            self.endpoints.base_url
        )
    }

    /// The `[lti-platform]` profile table (the `lti-platform` suite's contract)
    /// that points the suite at this platform for `client_id`: issuer, endpoints,
    /// the client's first deployment, `tool_listen`, `tool_key` (a secret
    /// reference, `file:...` or `env:...`, written as given) and one start URL per
    /// [`LaunchKind`].
    pub fn lti_platform_profile(
        &self,
        client_id: &str,
        tool_listen: SocketAddr,
        tool_key: &str,
    ) -> String {
        let q = |v: &str| toml::Value::String(v.to_string()).to_string();
        let deployment = self
            .shared
            .config
            .client(client_id)
            .and_then(|c| c.deployment_ids.first().cloned())
            .unwrap_or_else(|| DEFAULT_DEPLOYMENT_ID.to_string());
        let mut out = format!(
            "[lti-platform]\nissuer = {}\nclient_id = {}\ndeployment_id = {}\nauth_url = {}\njwks_url = {}\ntoken_url = {}\ntool_listen = {}\ntool_key = {}\n\n[lti-platform.launches]\n",
            q(self.issuer()),
            q(client_id),
            q(&deployment),
            q(&self.endpoints.auth_url),
            q(&self.endpoints.jwks_url),
            q(&self.token_url()),
            q(&tool_listen.to_string()),
            q(tool_key),
        );
        for kind in LaunchKind::ALL {
            out.push_str(&format!(
                "{} = {}\n",
                kind.as_str(),
                q(&self.launch_start_url(client_id, kind))
            ));
        }
        out
    }

    /// Every Deep Linking response posted to a built-in launch's return URL, as
    /// judged (the last check is [`DL_REPLAY_CHECK`]).
    pub fn reference_deep_link_returns(&self) -> Vec<DeepLinkReturn> {
        plan::lock(&self.shared.reference).dl_returns()
    }

    /// A human description of the endpoints (for `accredit serve platform`).
    pub fn describe(&self) -> String {
        format!(
            "mock LTI platform listening on {}\n  issuer:   {}\n  auth URL: {}\n  JWKS URL: {}\n  kid:      {}",
            self.addr,
            self.issuer(),
            self.endpoints.auth_url,
            self.endpoints.jwks_url,
            self.shared.key.kid()
        ) + &if self.faults().is_empty() {
            String::new()
        } else {
            let names: Vec<String> = self.faults().iter().map(|f| f.name()).collect();
            format!("\n  faults:   {}", names.join(", "))
        }
    }

    /// Stops the server and waits (at most 3 s) for it to finish.
    pub async fn shutdown(&self) {
        self.server.shutdown().await;
    }
}

fn router(shared: Arc<Shared>, recorder: Option<Recorder>) -> Router {
    let app = Router::new()
        .route("/", get(auth::index))
        .route(JWKS_PATH, get(auth::jwks))
        .route(AUTH_PATH, get(auth::authorize).post(auth::authorize))
        .route(START_PATH, get(auth::start_launch))
        .route(
            LOGIN_PAGE_PATH,
            get(reference::login_page).post(reference::login_submit),
        )
        .route("/course/{kind}", get(reference::course_page))
        .route(DL_RETURN_PATH, axum::routing::post(deep_link::dl_return))
        .route(TOKEN_PATH, axum::routing::post(services::token))
        .route(NRPS_PATH, get(services::memberships))
        .route(
            "/lti/courses/{ctx}/memberships",
            get(reference::memberships),
        )
        .route(
            "/lti/ags/{ctx}/lineitems",
            get(ags::container_get).post(ags::container_post),
        )
        .route(
            "/lti/ags/{ctx}/lineitems/{n}",
            get(ags::item)
                .put(ags::item)
                .delete(ags::item)
                .post(ags::item),
        )
        .route(
            "/lti/ags/{ctx}/lineitems/{n}/scores",
            axum::routing::post(ags::scores),
        )
        .route("/lti/ags/{ctx}/lineitems/{n}/results", get(ags::results))
        .with_state(shared);
    match recorder {
        Some(rec) => app.layer(axum::middleware::from_fn_with_state(rec, record_layer)),
        None => app,
    }
}

/// Starts the platform on `config.listen`. Every inbound request is recorded
/// through `recorder` when given.
pub async fn start(
    config: PlatformConfig,
    recorder: Option<Recorder>,
) -> Result<RunningPlatform, PlatformError> {
    let key = match &config.key_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| PlatformError::Config {
                path: path.display().to_string(),
                message: format!("cannot read key_file: {e}"),
            })?;
            SigningKey::from_pem(&pem, None)?
        }
        None => tokio::task::spawn_blocking(SigningKey::generate)
            .await
            .map_err(|e| JoseError::Crypto(format!("key generation task failed: {e}")))??,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| PlatformError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| PlatformError::Bind {
            addr: config.listen,
            source,
        })?;
    let endpoints = endpoints_for(addr);
    let http = accredit_core::http::with_shared_tls(
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5)),
    )
    .build()
    .map_err(|e| PlatformError::Serve(std::io::Error::other(e.to_string())))?;
    let shared = Arc::new(Shared {
        services: Mutex::new(services::Services::default()),
        ags: Mutex::new(ags::Ags::default()),
        http,
        jwks: Mutex::new(key.jwks()?),
        key,
        endpoints: endpoints.clone(),
        config,
        plans: Mutex::new(plan::Plans::default()),
        reference: Mutex::new(reference::Reference::default()),
        login: Mutex::new(reference::LoginGate::default()),
    });
    let app = router(Arc::clone(&shared), recorder);
    let server = accredit_core::server::ServerHandle::spawn(listener, app);
    Ok(RunningPlatform {
        addr,
        endpoints,
        shared,
        server,
    })
}

/// The issuer of [`start_reference_platform`].
pub const REFERENCE_ISSUER: &str = "https://lms.accredit.test";

/// Starts a conformant reference LTI 1.3 platform (plus `faults`) on a free
/// loopback port, with `tool` as its only registered client. The tool needs
/// `login_url` (built-in launches start there), its launch URL in
/// `redirect_uris`, and `jwks_url` (client assertions, Deep Linking responses).
pub async fn start_reference_platform(
    tool: ClientRegistration,
    faults: impl IntoIterator<Item = PlatformFault>,
) -> Result<RunningPlatform, PlatformError> {
    let listen: SocketAddr = (std::net::Ipv4Addr::LOCALHOST, 0).into();
    start(
        PlatformConfig::single(REFERENCE_ISSUER, listen, tool).with_faults(faults),
        None,
    )
    .await
}

/// Runs the platform until Ctrl-C (`accredit serve platform --config FILE`).
pub async fn serve(config: PlatformConfig) -> Result<(), PlatformError> {
    let running = start(config, None).await?;
    eprintln!("{}", running.describe());
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .map_err(PlatformError::Serve)?;
    running.shutdown().await;
    Ok(())
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) use accredit_core::reports::html::escape as html_escape;
