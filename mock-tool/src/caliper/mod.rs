//! The reference Caliper 1.2 **sensor**: the candidate the `caliper-sensor` suite
//! is proven against, and the sensor in `accredit demo`.
//!
//! Why it exists: a sensor suite is only trustworthy if a sensor that does
//! everything right passes every case and the same sensor with one injected
//! [`Fault`] fails exactly the cases aimed at that defect.
//!
//! Behaviour: when triggered (`POST` [`TRIGGER_PATH`], or [`RunningSensor::emit`])
//! it sends one envelope per Caliper 1.2 metric profile ([`PROFILES`]) to its
//! configured endpoint: `POST`, `Content-Type: application/json`,
//! `Authorization: Bearer <token>`, the events the certification guide requires
//! for each profile with fresh `urn:uuid` ids and millisecond UTC timestamps. The
//! trigger answers once every envelope has been sent, with the endpoint's status
//! for each (so a harness knows when emission is over).

mod events;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use accredit_core::evidence::{Recorder, record_layer};
use accredit_core::profile::Secret;

pub use events::{CONTEXT, PROFILES};

/// The path that makes the sensor emit.
pub const TRIGGER_PATH: &str = "/caliper/trigger";
/// The sensor's `sensor` identifier (an IRI, as the specification recommends).
pub const SENSOR_ID: &str = "https://lms.northwind.example/sensors/accredit-reference";
/// The User-Agent of the sensor's requests (not the harness's `accredit/`).
pub const USER_AGENT: &str = concat!("accredit-reference-sensor/", env!("CARGO_PKG_VERSION"));

/// A deliberate defect of the reference sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// `sendTime` without milliseconds (`2026-11-02T09:30:00Z`).
    SendTimeWithoutMillis,
    /// The AssessmentEvent that should be `Started` says `Viewed`.
    ActionNotAllowed,
    /// No `Authorization` header.
    NoAuthorization,
    /// `Content-Type: text/plain`.
    WrongContentType,
    /// Event ids are bare UUIDs, not `urn:uuid:` URNs.
    EventIdNotUrnUuid,
    /// Envelopes are sent with `PUT`.
    WrongMethod,
    /// The AssessmentEvent `Submitted` (required for the Assessment Profile) is never sent.
    OmitRequiredEvent,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 7] = [
        Fault::SendTimeWithoutMillis,
        Fault::ActionNotAllowed,
        Fault::NoAuthorization,
        Fault::WrongContentType,
        Fault::EventIdNotUrnUuid,
        Fault::WrongMethod,
        Fault::OmitRequiredEvent,
    ];
}

/// The sensor's configuration (TOML for a stand-alone sensor).
///
/// ```toml
/// listen = "127.0.0.1:9011"                     # where the trigger listens
/// endpoint_url = "http://127.0.0.1:9010/caliper"
/// token = "env:CALIPER_TOKEN"
/// # faults = ["wrong-content-type"]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfig {
    /// Where the trigger endpoint listens (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The Caliper endpoint to send envelopes to.
    pub endpoint_url: String,
    /// The bearer token for the endpoint.
    pub token: Secret,
    /// Injected defects (empty for a conformant sensor).
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// Why the sensor could not start or send.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// The config is unreadable or invalid.
    #[error("caliper sensor config {path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The listen address cannot be bound.
    #[error("caliper sensor cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The HTTP client could not be built.
    #[error("caliper sensor HTTP client: {0}")]
    Client(String),
    /// The server failed.
    #[error("caliper sensor server: {0}")]
    Serve(std::io::Error),
}

/// Reads a sensor config file.
pub fn load_config(path: &std::path::Path) -> Result<SensorConfig, SensorError> {
    let err = |message: String| SensorError::Config {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| err(e.to_string()))
}

/// What happened to one envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// The profile whose events it carried.
    pub profile: String,
    /// Events in it.
    pub events: usize,
    /// The endpoint's status.
    pub status: Option<u16>,
    /// The transport error, when there was no response.
    pub error: Option<String>,
}

struct Shared {
    config: SensorConfig,
    http: reqwest::Client,
    /// One emission at a time, so a trigger's answer means "all sent".
    emitting: tokio::sync::Mutex<()>,
}

impl Shared {
    async fn emit(&self) -> Vec<Sent> {
        let _one = self.emitting.lock().await;
        let faults = &self.config.faults;
        let b = events::Builder::new(faults);
        let mut out = Vec::new();
        for profile in PROFILES {
            let data = b.events(profile);
            let n = data.len();
            let body = b.envelope(SENSOR_ID, data).to_string();
            let method = if faults.contains(&Fault::WrongMethod) {
                reqwest::Method::PUT
            } else {
                reqwest::Method::POST
            };
            let ct = if faults.contains(&Fault::WrongContentType) {
                "text/plain"
            } else {
                "application/json"
            };
            let mut req = self
                .http
                .request(method, &self.config.endpoint_url)
                .header(http::header::CONTENT_TYPE, ct)
                .body(body);
            if !faults.contains(&Fault::NoAuthorization) {
                req = req.bearer_auth(self.config.token.expose());
            }
            let (status, error) = match req.send().await {
                Ok(r) => (Some(r.status().as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            out.push(Sent {
                profile: profile.to_string(),
                events: n,
                status,
                error,
            });
        }
        out
    }
}

/// A running reference sensor. Dropping it stops the trigger server.
pub struct RunningSensor {
    addr: SocketAddr,
    trigger_url: String,
    shared: Arc<Shared>,
    server: accredit_core::server::ServerHandle,
}

impl std::fmt::Debug for RunningSensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSensor")
            .field("addr", &self.addr)
            .field("faults", &self.shared.config.faults)
            .finish_non_exhaustive()
    }
}

impl RunningSensor {
    /// The trigger server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `POST` here to make the sensor emit.
    pub fn trigger_url(&self) -> &str {
        &self.trigger_url
    }

    /// Sends one envelope per profile now and returns what happened.
    pub async fn emit(&self) -> Vec<Sent> {
        self.shared.emit().await
    }

    /// A human description (for a stand-alone sensor).
    pub fn describe(&self) -> String {
        format!(
            "reference Caliper sensor\n  trigger:  POST {}\n  endpoint: {}\n  token:    {}\n  profiles: {}\n  faults:   {:?}",
            self.trigger_url,
            self.shared.config.endpoint_url,
            self.shared.config.token.reference(),
            PROFILES.join(", "),
            self.shared.config.faults
        )
    }

    /// Stops the trigger server and waits (at most 3 s) for it to finish.
    pub async fn shutdown(&self) {
        self.server.shutdown().await;
    }
}

async fn trigger(State(shared): State<Arc<Shared>>) -> Response {
    let sent = shared.emit().await;
    let status = if sent.iter().any(|s| s.status.is_none()) {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::OK
    };
    (status, axum::Json(serde_json::json!({ "sent": sent }))).into_response()
}

async fn index(State(shared): State<Arc<Shared>>) -> String {
    format!(
        "accredit reference Caliper sensor: POST {TRIGGER_PATH} to send one envelope per profile to {}\n",
        shared.config.endpoint_url
    )
}

/// Starts the sensor's trigger server on `config.listen`. Inbound requests are
/// recorded through `recorder` when given.
pub async fn start(
    config: SensorConfig,
    recorder: Option<Recorder>,
) -> Result<RunningSensor, SensorError> {
    let http = accredit_core::http::with_shared_tls(
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .user_agent(USER_AGENT),
    )
    .build()
    .map_err(|e| SensorError::Client(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SensorError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SensorError::Bind {
        addr: config.listen,
        source,
    })?;
    let mut shown = addr;
    if shown.ip().is_unspecified() {
        shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let trigger_url = format!("http://{shown}{TRIGGER_PATH}");
    let shared = Arc::new(Shared {
        config,
        http,
        emitting: tokio::sync::Mutex::new(()),
    });
    let app = Router::new()
        .route("/", get(index))
        .route(TRIGGER_PATH, post(trigger))
        .with_state(Arc::clone(&shared));
    let app = match recorder {
        Some(rec) => app.layer(axum::middleware::from_fn_with_state(rec, record_layer)),
        None => app,
    };
    let server = accredit_core::server::ServerHandle::spawn(listener, app);
    Ok(RunningSensor {
        addr,
        trigger_url,
        shared,
        server,
    })
}

/// Runs the sensor's trigger server until Ctrl-C (a stand-alone reference sensor).
pub async fn serve(config: SensorConfig) -> Result<(), SensorError> {
    let running = start(config, None).await?;
    eprintln!("{}", running.describe());
    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await.map_err(SensorError::Serve)?;
    running.shutdown().await;
    Ok(())
}

/// Starts the reference sensor (trigger on a free loopback port) sending to
/// `endpoint_url` with `token`, with `faults` injected (empty for a conformant
/// sensor). The suite crate's `sensor_demo_profile` writes the matching
/// `[caliper-sensor]` table (its `trigger_url` is [`RunningSensor::trigger_url`]).
pub async fn start_reference_sensor_for_demo(
    endpoint_url: &str,
    token: Secret,
    faults: Vec<Fault>,
    recorder: Option<Recorder>,
) -> Result<RunningSensor, SensorError> {
    let config = SensorConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        endpoint_url: endpoint_url.to_string(),
        token,
        faults,
    };
    start(config, recorder).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_and_faults_are_kebab_case() {
        let cfg: Result<SensorConfig, _> = toml::from_str(
            "listen = \"127.0.0.1:0\"\nendpoint_url = \"http://127.0.0.1:1/caliper\"\ntoken = \"file:/dev/null\"\nfaults = [\"wrong-content-type\", \"omit-required-event\"]\n",
        );
        let cfg = cfg.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cfg.faults,
            vec![Fault::WrongContentType, Fault::OmitRequiredEvent]
        );
    }

    #[test]
    fn every_profile_has_events_and_faults_change_only_their_target() {
        let clean = events::Builder::new(&[]);
        for p in PROFILES {
            assert!(!clean.events(p).is_empty(), "{p}");
        }
        let omit = events::Builder::new(&[Fault::OmitRequiredEvent]);
        assert_eq!(
            omit.events("AssessmentProfile").len() + 1,
            clean.events("AssessmentProfile").len()
        );
        let bad_id = events::Builder::new(&[Fault::EventIdNotUrnUuid]);
        let id = bad_id.events("SessionProfile")[0]["id"].clone();
        assert!(!id.as_str().unwrap_or_default().starts_with("urn:uuid:"));
        let env = events::Builder::new(&[Fault::SendTimeWithoutMillis]).envelope(SENSOR_ID, vec![]);
        assert_eq!(env["sendTime"].as_str().map(str::len), Some(20));
    }
}
