//! The `caliper-sensor` suite: the harness plays the Caliper **endpoint** and
//! certifies the candidate **sensor** that sends envelopes to it.
//!
//! How a run goes: `start()` opens the reference endpoint of `mock-platform` at
//! the profile's `endpoint_listen`, accepting the profile's bearer token. The
//! first case that needs data *collects*, once for the whole run: it requests
//! the sensor's `trigger_url` (when given), then waits until the sensor has gone
//! quiet (or `wait_seconds` passed). Every case then judges that same set of
//! requests: the transport cases each HTTP request (§5.4), the rule cases run the
//! artifact suite's validator ([`crate::validate_value`]) over every envelope
//! received, and the profile-coverage cases build the certification guide's
//! per-profile table of event types and actions seen, valid or not.
//!
//! Why collect once: a sensor emits when *it* decides; the requests cannot be
//! attributed to a case by a correlation key. Each case copies the exchanges it
//! judged into its own evidence, so every verdict still points at its proof.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::Value;

use accredit_core::evidence::{EvidenceLog, EvidenceRouter, Recorder};
use accredit_core::http::RecordingClient;
use accredit_core::profile::{HttpUrl, Secret};
use accredit_core::reports::{Exchange, Finding, Redactor};
use accredit_core::{
    Case, CaseCx, CaseMeta, CaseTable, Level, Outcome, Suite, SuiteError, SuiteKind, SuiteRun,
    SuiteStart, Verdict,
};
use accredit_mock_platform::caliper::{
    self as endpoint, AuthSeen, EndpointConfig, REQUEST_ID_HEADER, Received, RunningEndpoint,
};

use crate::coverage::{self, EventSeen, PROFILE_CERTS, ProfileCert};
use crate::rules::{self, Scope};
use crate::suite::{ContextState, NO_SCHEMA_DIR};
use crate::validate::{Validation, validate_value};

/// Suite id and profile table name.
pub const SENSOR_SUITE_ID: &str = "caliper-sensor";

/// How long a sensor's request body may take to arrive (then 408, recorded).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// Quiet time after which a sensor is considered done.
const SETTLE: Duration = Duration::from_millis(500);
/// Exchanges copied into one case's evidence at most.
const EVIDENCE_CAP: usize = 50;

/// A profile term from `[caliper-sensor] profiles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileTerm(pub &'static str);

impl<'de> Deserialize<'de> for ProfileTerm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ProfileTerm, D::Error> {
        let s = String::deserialize(d)?;
        coverage::cert_of(&s)
            .map(|c| ProfileTerm(c.term))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{s}` is not a Caliper 1.2 metric profile ({})",
                    PROFILE_CERTS
                        .iter()
                        .map(|c| c.term)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

fn default_wait() -> u64 {
    30
}

/// The `[caliper-sensor]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaliperSensorProfile {
    /// Where the harness's endpoint listens; the sensor is configured to send to
    /// `http://<endpoint_listen>/caliper` (any path is accepted).
    pub endpoint_listen: SocketAddr,
    /// The bearer token the sensor is configured with (`env:NAME` / `file:PATH`).
    pub token: Secret,
    /// A URL the harness `POST`s to make the sensor emit; without it the harness
    /// waits for the sensor to send on its own.
    #[serde(default)]
    pub trigger_url: Option<HttpUrl>,
    /// Longest wait for envelopes, in seconds (default 30).
    #[serde(default = "default_wait")]
    pub wait_seconds: u64,
    /// The metric profiles the sensor claims (e.g. `["SessionProfile"]`).
    #[serde(default)]
    pub profiles: Vec<ProfileTerm>,
}

/// The commented template written by `accredit init caliper-sensor`.
pub const SENSOR_TEMPLATE: &str = r#"# accredit candidate profile: Caliper Analytics 1.2 sensor certification.
# The harness plays the Caliper endpoint; your sensor is the candidate. Configure
# your sensor to send to  http://<endpoint_listen>/caliper  (any path is accepted)
# with  Authorization: Bearer <token>.

[candidate]
name = "My Caliper sensor"
# version = "1.0.0"

[caliper-sensor]
# Where the harness's endpoint listens.
endpoint_listen = "127.0.0.1:9010"
# The bearer token your sensor sends (a reference, never the value).
token = "env:CALIPER_SENSOR_TOKEN"
# A URL the harness POSTs to make your sensor emit (optional). Without it, make
# your sensor send while the harness waits.
# trigger_url = "http://127.0.0.1:9011/caliper/trigger"
# Longest wait for envelopes, in seconds.
wait_seconds = 30
# The metric profiles you certify: each needs its required events, valid.
profiles = ["SessionProfile", "AssessmentProfile"]
"#;

/// The `[caliper-sensor]` profile text for a sensor configured with these values.
pub fn sensor_demo_profile(
    candidate_name: &str,
    endpoint_listen: SocketAddr,
    token_ref: &str,
    trigger_url: Option<&str>,
    profiles: &[&str],
    wait_seconds: u64,
) -> String {
    let q = crate::demo::toml_string;
    let mut out = format!(
        "# Generated by accredit for a demo run.\n[candidate]\nname = {}\n\n[{SENSOR_SUITE_ID}]\nendpoint_listen = {}\ntoken = {}\nwait_seconds = {wait_seconds}\nprofiles = [{}]\n",
        q(candidate_name),
        q(&endpoint_listen.to_string()),
        q(token_ref),
        profiles.iter().map(|p| q(p)).collect::<Vec<_>>().join(", "),
    );
    if let Some(t) = trigger_url {
        out.push_str(&format!("trigger_url = {}\n", q(t)));
    }
    out
}

// ---- catalog --------------------------------------------------------------------

/// `caliper.sensor.envelopes-received`
pub const RECEIVED: &str = "caliper.sensor.envelopes-received";
/// `caliper.sensor.http.method-post`
pub const METHOD_POST: &str = "caliper.sensor.http.method-post";
/// `caliper.sensor.http.host`
pub const HOST: &str = "caliper.sensor.http.host";
/// `caliper.sensor.http.content-type`
pub const CONTENT_TYPE: &str = "caliper.sensor.http.content-type";
/// `caliper.sensor.http.authorization`
pub const AUTHORIZATION: &str = "caliper.sensor.http.authorization";
/// `caliper.sensor.http.single-envelope`
pub const SINGLE_ENVELOPE: &str = "caliper.sensor.http.single-envelope";

/// `(artifact rule, sensor case)`: the validator's rules applied to what a sensor sent.
pub const RULE_CASES: &[(&str, &str)] = &[
    (
        rules::ENVELOPE_REQUIRED,
        "caliper.sensor.envelope.required-properties",
    ),
    (
        rules::ENVELOPE_NO_CUSTOM,
        "caliper.sensor.envelope.no-custom-properties",
    ),
    (rules::ENVELOPE_SENSOR, "caliper.sensor.envelope.sensor-iri"),
    (
        rules::ENVELOPE_SEND_TIME,
        "caliper.sensor.envelope.send-time-format",
    ),
    (
        rules::ENVELOPE_DATA_VERSION,
        "caliper.sensor.envelope.data-version",
    ),
    (rules::ENVELOPE_DATA, "caliper.sensor.envelope.data"),
    (rules::DESCRIBE_CONTEXT, "caliper.sensor.describe.context"),
    (
        rules::EVENT_REQUIRED,
        "caliper.sensor.event.required-properties",
    ),
    (rules::EVENT_ID, "caliper.sensor.event.id-urn-uuid"),
    (rules::EVENT_TYPE, "caliper.sensor.event.type-known"),
    (rules::EVENT_ACTION, "caliper.sensor.event.action-allowed"),
    (rules::EVENT_TIME, "caliper.sensor.event.event-time-format"),
    (rules::EVENT_PROFILE, "caliper.sensor.event.profile-known"),
    (
        rules::EVENT_ENTITY_REF,
        "caliper.sensor.event.entity-reference",
    ),
    (rules::EVENT_RANGE, "caliper.sensor.event.property-range"),
    (rules::ENTITY_RANGE, "caliper.sensor.entity.property-range"),
    (
        rules::ENTITY_REQUIRED,
        "caliper.sensor.entity.required-properties",
    ),
    (rules::ENTITY_TYPE, "caliper.sensor.entity.type-known"),
    (rules::ENTITY_ID, "caliper.sensor.entity.id-iri"),
    (rules::EXTENSIONS_OBJECT, "caliper.sensor.extensions.object"),
    (
        rules::TERM_DEFINED,
        "caliper.sensor.term.defined-in-context",
    ),
    (rules::TERM_DATATYPE, "caliper.sensor.term.datatype"),
];

const SPEC: &str = "Caliper Analytics 1.2";
const GUIDE: &str = "Caliper Analytics 1.2 Sensor Certification Guide";

const fn transport(
    id: &'static str,
    title: &'static str,
    doc: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: "sensor",
        spec_document: doc,
        spec_section: section,
        spec_url: url,
        requirement,
        level: Level::Must,
        official: true,
        tags: &["caliper", "sensor", "transport"],
        exclusive: false,
    }
}

fn transport_cases() -> Vec<CaseMeta> {
    vec![
        transport(
            RECEIVED,
            "The sensor transmits envelopes to the endpoint",
            SPEC,
            "5.4",
            "https://www.imsglobal.org/spec/caliper/v1p2#httpRequest",
            "A Caliper Sensor MUST be capable of transmitting Caliper data successfully to a Caliper Endpoint.",
        ),
        transport(
            METHOD_POST,
            "Envelopes are sent with POST",
            SPEC,
            "5.4",
            "https://www.imsglobal.org/spec/caliper/v1p2#httpRequest",
            "Messages MUST be sent using the POST request method.",
        ),
        transport(
            HOST,
            "Requests set the Host header",
            SPEC,
            "5.4",
            "https://www.imsglobal.org/spec/caliper/v1p2#httpRequest",
            "The HTTP `Host` and `Content-Type` request header fields MUST be set.",
        ),
        transport(
            CONTENT_TYPE,
            "Requests set Content-Type: application/json",
            SPEC,
            "5.4",
            "https://www.imsglobal.org/spec/caliper/v1p2#httpRequest",
            "The HTTP `Host` and `Content-Type` request header fields MUST be set.  [Content-Type:] Set the string value to the IANA media type \"application/json\".",
        ),
        transport(
            AUTHORIZATION,
            "Requests carry Authorization: Bearer with the provided token",
            GUIDE,
            "Transport Conformance",
            "https://www.imsglobal.org/spec/caliper/v1p2/cert#transportConformance",
            "For certification purposes, the Sensor MUST also support message authentication using the `Authorization` request header, setting the value to the provided bearer token.",
        ),
        transport(
            SINGLE_ENVELOPE,
            "Each request is one JSON envelope",
            SPEC,
            "5.4",
            "https://www.imsglobal.org/spec/caliper/v1p2#httpRequest",
            "Each message request MUST consist of a single JSON representation of a Caliper Envelope.",
        ),
    ]
}

fn rule_cases() -> Vec<(CaseMeta, &'static str, Scope)> {
    let by_id: HashMap<&str, rules::Rule> =
        rules::rules().into_iter().map(|r| (r.meta.id, r)).collect();
    RULE_CASES
        .iter()
        .filter_map(|(rule, case)| {
            let r = by_id.get(rule)?;
            let mut meta = r.meta.clone();
            meta.id = case;
            meta.role = "sensor";
            meta.tags = &["caliper", "sensor", "payload"];
            Some((meta, *rule, r.scope))
        })
        .collect()
}

fn coverage_meta(c: &ProfileCert) -> CaseMeta {
    CaseMeta {
        id: c.case_id,
        title: c.title,
        role: "sensor",
        spec_document: GUIDE,
        spec_section: c.section,
        spec_url: c.url,
        requirement: "Each Caliper profile is also a unit of certification for Caliper Sensor implementations.  [The profile's Event Conformance Table marks the events and actions a Sensor must send, valid, to certify it: Required.]",
        level: Level::Must,
        official: true,
        tags: &["caliper", "sensor", "profile-coverage"],
        exclusive: false,
    }
}

/// Every case of `caliper-sensor`, in report order.
pub fn sensor_catalog() -> Vec<CaseMeta> {
    let mut out = transport_cases();
    out.extend(rule_cases().into_iter().map(|(m, _, _)| m));
    out.extend(PROFILE_CERTS.iter().map(coverage_meta));
    out
}

// ---- the suite ------------------------------------------------------------------

/// Caliper sensor certification (`caliper-sensor`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CaliperSensorSuite;

impl Suite for CaliperSensorSuite {
    fn id(&self) -> &'static str {
        SENSOR_SUITE_ID
    }

    fn title(&self) -> &'static str {
        "Caliper Analytics 1.2: sensor certification"
    }

    fn kind(&self) -> SuiteKind {
        SuiteKind::Live
    }

    fn catalog(&self) -> Vec<CaseMeta> {
        sensor_catalog()
    }

    fn profile_template(&self) -> String {
        SENSOR_TEMPLATE.to_string()
    }

    fn start<'a>(
        &'a self,
        start: SuiteStart<'a>,
    ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>> {
        Box::pin(async move {
            let doc = start.profile.ok_or_else(|| {
                SuiteError::Usage("the caliper-sensor suite needs a candidate profile".into())
            })?;
            let profile: CaliperSensorProfile = doc.require_section(SENSOR_SUITE_ID)?;
            start.redactor.add_secret(profile.token.expose());
            let needed = Duration::from_secs(profile.wait_seconds) + BODY_TIMEOUT + SETTLE;
            if needed >= start.case_timeout {
                return Err(SuiteError::Usage(format!(
                    "[{SENSOR_SUITE_ID}] wait_seconds = {} needs a per-case timeout over {} s (--timeout is {} s): lower wait_seconds or raise --timeout",
                    profile.wait_seconds,
                    needed.as_secs() + 1,
                    start.case_timeout.as_secs()
                )));
            }
            let fixture = SensorFixture::start(
                profile,
                start.schema_dir,
                &start.redactor,
                doc.http_headers(),
            )
            .await?;
            let run: Box<dyn SuiteRun> = Box::new(
                CaseTable::new(fixture, &sensor_cases())
                    .on_shutdown(|fx| Box::pin(async move { fx.endpoint.shutdown().await })),
            );
            Ok(run)
        })
    }

    fn schema_files(&self) -> Vec<accredit_core::SchemaFile> {
        crate::suite::SCHEMA_FILES.to_vec()
    }
}

/// The running endpoint, the profile, and the collection (made once).
pub struct SensorFixture {
    profile: CaliperSensorProfile,
    endpoint: RunningEndpoint,
    /// The endpoint's own evidence router: every exchange, for copying into cases.
    inbound: EvidenceRouter,
    contexts: ContextState,
    client: RecordingClient,
    trigger_log: EvidenceLog,
    collected: tokio::sync::OnceCell<Arc<Collected>>,
    rule_of: HashMap<&'static str, (&'static str, Scope)>,
}

impl SensorFixture {
    /// Starts the endpoint at `profile.endpoint_listen`.
    pub async fn start(
        profile: CaliperSensorProfile,
        schema_dir: Option<&std::path::Path>,
        redactor: &Redactor,
        candidate_headers: &[(String, String)],
    ) -> Result<SensorFixture, SuiteError> {
        let inbound = EvidenceRouter::new(redactor.clone());
        let mut config = EndpointConfig::reference(profile.endpoint_listen, profile.token.clone());
        config.body_timeout_ms = BODY_TIMEOUT.as_millis() as u64;
        let recorder = Recorder {
            mock: endpoint::MOCK_NAME,
            router: inbound.clone(),
        };
        let running = endpoint::start(config, Some(recorder))
            .await
            .map_err(|e| SuiteError::Harness(e.to_string()))?;
        let base = accredit_core::http::base_client()
            .map_err(|e| SuiteError::Harness(format!("HTTP client: {e}")))?;
        let trigger_log = EvidenceLog::new("caliper.sensor.trigger", redactor.clone());
        let client = RecordingClient::new(base, trigger_log.clone())
            .with_candidate_headers(candidate_headers.to_vec());
        Ok(SensorFixture {
            profile,
            endpoint: running,
            inbound,
            contexts: ContextState::load(schema_dir),
            client,
            trigger_log,
            collected: tokio::sync::OnceCell::new(),
            rule_of: rule_cases()
                .into_iter()
                .map(|(m, rule, scope)| (m.id, (rule, scope)))
                .collect(),
        })
    }

    /// The endpoint URL the sensor must send to.
    pub fn endpoint_url(&self) -> &str {
        self.endpoint.url()
    }

    async fn collected(&self) -> Arc<Collected> {
        self.collected
            .get_or_init(|| async { Arc::new(self.collect().await) })
            .await
            .clone()
    }

    async fn collect(&self) -> Collected {
        let t0 = Instant::now();
        let wait = Duration::from_secs(self.profile.wait_seconds);
        let mut log = vec![format!(
            "endpoint {} listening; waiting up to {} s for envelopes",
            self.endpoint.url(),
            wait.as_secs()
        )];
        let trigger = match &self.profile.trigger_url {
            Some(url) => {
                let r = self
                    .client
                    .send(self.client.inner().post(url.as_str()).body(""))
                    .await;
                let outcome = r.map(|c| c.status.as_u16()).map_err(|e| e.to_string());
                log.push(format!("trigger POST {url}: {outcome:?}"));
                Some(outcome)
            }
            None => None,
        };
        let deadline = t0 + wait;
        let mut last_count = self.endpoint.request_count();
        let mut last_change = Instant::now();
        loop {
            let now = Instant::now();
            let count = self.endpoint.request_count();
            if count != last_count {
                last_count = count;
                last_change = now;
            }
            let idle = self.endpoint.in_flight() == 0;
            let quiet = now.duration_since(last_change) >= SETTLE;
            let started = count > 0 || trigger.is_some();
            if idle && quiet && started {
                break;
            }
            // Past the deadline, only a body still arriving is waited for (it ends
            // within BODY_TIMEOUT with a recorded 408).
            if now >= deadline && (idle || now >= deadline + BODY_TIMEOUT + SETTLE) {
                log.push(format!("stopped waiting after {} s", wait.as_secs()));
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let requests = self.endpoint.received();
        log.push(format!(
            "{} request(s) received in {} ms",
            requests.len(),
            t0.elapsed().as_millis()
        ));
        let exchanges: HashMap<usize, Exchange> = self
            .inbound
            .unattributed()
            .exchanges
            .into_iter()
            .filter_map(|ex| {
                let seq = ex.response.as_ref().and_then(|r| {
                    r.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(REQUEST_ID_HEADER))
                        .and_then(|h| h.value.parse::<usize>().ok())
                })?;
                Some((seq, ex))
            })
            .collect();
        Collected::judge(
            requests,
            exchanges,
            self.trigger_log.snapshot().exchanges,
            trigger,
            log,
            self.contexts.contexts(),
        )
    }
}

/// What the sensor sent, judged once.
#[derive(Debug, Default)]
pub struct Collected {
    /// Every request, in arrival order.
    pub requests: Vec<Received>,
    /// Evidence per request seq.
    pub exchanges: HashMap<usize, Exchange>,
    /// The harness's trigger request(s).
    pub trigger_exchanges: Vec<Exchange>,
    /// The trigger's status, or why it failed; `None` without a trigger.
    pub trigger: Option<Result<u16, String>>,
    /// Collection log lines.
    pub log: Vec<String>,
    /// Findings of the artifact rules over every envelope.
    pub validation: Validation,
    /// `single-envelope` findings.
    pub envelope_findings: Vec<Finding>,
    /// Every event inside an envelope.
    pub events: Vec<EventSeen>,
    /// Document name → request seq.
    pub docs: HashMap<String, usize>,
}

/// The name of a request in findings.
pub fn document_name(r: &Received) -> String {
    format!("request #{} ({} {})", r.seq, r.method, r.path)
}

impl Collected {
    /// Judges `requests` (pure, apart from the contexts).
    pub fn judge(
        requests: Vec<Received>,
        exchanges: HashMap<usize, Exchange>,
        trigger_exchanges: Vec<Exchange>,
        trigger: Option<Result<u16, String>>,
        log: Vec<String>,
        contexts: Option<&crate::Contexts>,
    ) -> Collected {
        let mut c = Collected {
            exchanges,
            trigger_exchanges,
            trigger,
            log,
            ..Collected::default()
        };
        for r in &requests {
            let doc = document_name(r);
            c.docs.insert(doc.clone(), r.seq);
            if r.method.eq_ignore_ascii_case("GET") {
                continue; // a configuration request (§6.2), not a message
            }
            let Some(value) = c.parse(r, &doc) else {
                continue;
            };
            let v = validate_value(&doc, &value, contexts);
            c.events.extend(events_of(&doc, &value, &v));
            c.validation.merge(v);
        }
        c.requests = requests;
        c
    }

    fn bad(&mut self, doc: &str, location: &str, message: String) {
        self.envelope_findings.push(Finding {
            document: doc.to_string(),
            location: location.to_string(),
            rule: SINGLE_ENVELOPE.to_string(),
            outcome: Outcome::Fail,
            message,
        });
    }

    /// The request body as one JSON value, or a single-envelope finding.
    fn parse(&mut self, r: &Received, doc: &str) -> Option<Value> {
        if let Some(why) = &r.refused {
            self.bad(doc, "", format!("{why} (answered {})", r.status));
            return None;
        }
        if r.body.is_empty() {
            self.bad(doc, "", "empty request body: no envelope".into());
            return None;
        }
        let text = match std::str::from_utf8(&r.body) {
            Ok(t) => t,
            Err(e) => {
                self.bad(
                    doc,
                    "",
                    format!(
                        "body is not valid UTF-8 (first invalid byte at offset {})",
                        e.valid_up_to()
                    ),
                );
                return None;
            }
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let msg = e.to_string();
                let why = if msg.starts_with("recursion limit exceeded") {
                    "JSON nested too deeply (over 128 levels)".to_string()
                } else {
                    format!("body is not JSON: {msg}")
                };
                self.bad(doc, &format!("{}:{}", e.line(), e.column()), why);
                return None;
            }
        };
        match &value {
            Value::Object(o)
                if !o.contains_key("type")
                    && endpoint::ENVELOPE_KEYS.iter().any(|k| o.contains_key(*k)) => {}
            Value::Array(_) => self.bad(
                doc,
                "",
                "body is a JSON array; each request must be one envelope".into(),
            ),
            Value::Object(_) => self.bad(
                doc,
                "",
                "body is an event or entity sent without an enclosing envelope".into(),
            ),
            other => self.bad(
                doc,
                "",
                format!("body is a JSON {}, not an envelope object", kind(other)),
            ),
        }
        Some(value)
    }

    /// Copies the exchanges of `seqs` (at most [`EVIDENCE_CAP`]) and the trigger
    /// into `cx`'s evidence.
    fn attach(&self, cx: &CaseCx, seqs: impl IntoIterator<Item = usize>) {
        for ex in &self.trigger_exchanges {
            cx.evidence.push(ex.clone());
        }
        let mut seqs: Vec<usize> = seqs.into_iter().collect();
        seqs.sort_unstable();
        seqs.dedup();
        let total = seqs.len();
        for seq in seqs.into_iter().take(EVIDENCE_CAP) {
            if let Some(ex) = self.exchanges.get(&seq) {
                cx.evidence.push(ex.clone());
            }
        }
        if total > EVIDENCE_CAP {
            cx.log(format!(
                "{} more request(s) judged; their exchanges are not repeated here",
                total - EVIDENCE_CAP
            ));
        }
        for line in &self.log {
            cx.log(line.clone());
        }
    }

    fn seqs_of(&self, findings: &[Finding]) -> Vec<usize> {
        findings
            .iter()
            .filter_map(|f| self.docs.get(&f.document).copied())
            .collect()
    }

    fn sample(&self) -> Vec<usize> {
        self.requests.iter().take(5).map(|r| r.seq).collect()
    }

    fn messages(&self) -> impl Iterator<Item = &Received> {
        self.requests
            .iter()
            .filter(|r| !r.method.eq_ignore_ascii_case("GET"))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Events in the `data` of an envelope, each marked valid when no rule failed
/// at or under its pointer.
fn events_of(doc: &str, value: &Value, v: &Validation) -> Vec<EventSeen> {
    let Some(data) = value.get("data").and_then(Value::as_array) else {
        return Vec::new();
    };
    data.iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let o = item.as_object()?;
            let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
            if !(ty == "Event" || ty.ends_with("Event") || o.contains_key("action")) {
                return None;
            }
            let pointer = format!("/data/{i}");
            let under = format!("{pointer}/");
            let valid = !v.failures().any(|f| {
                f.document == doc && (f.location == pointer || f.location.starts_with(&under))
            });
            Some(EventSeen {
                document: doc.to_string(),
                pointer,
                ty: ty.to_string(),
                action: o
                    .get("action")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                profile: o.get("profile").and_then(Value::as_str).map(str::to_string),
                valid,
            })
        })
        .collect()
}

// ---- cases ----------------------------------------------------------------------

fn sensor_cases() -> Vec<Case<SensorFixture>> {
    sensor_catalog()
        .into_iter()
        .map(|meta| Case {
            meta,
            run: run_case,
        })
        .collect()
}

fn run_case<'a>(fx: &'a SensorFixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let c = fx.collected().await;
        let id = cx.meta.id;
        if let Some(cert) = PROFILE_CERTS.iter().find(|p| p.case_id == id) {
            return profile_coverage(fx, &c, cx, cert);
        }
        if let Some((rule, scope)) = fx.rule_of.get(id) {
            return rule_case(fx, &c, cx, rule, *scope);
        }
        match id {
            RECEIVED => received(fx, &c, cx),
            METHOD_POST | HOST | CONTENT_TYPE | AUTHORIZATION => per_request(fx, &c, cx),
            SINGLE_ENVELOPE => single_envelope(&c, cx),
            other => Verdict::error(format!("no implementation for case {other}")),
        }
    })
}

fn received(fx: &SensorFixture, c: &Collected, cx: &CaseCx) -> Verdict {
    c.attach(cx, c.sample());
    let mut v = Verdict::new();
    if let Some(t) = &c.trigger {
        match t {
            Ok(s) => v.require(
                "the trigger URL answered 2xx",
                (200..300).contains(s),
                format!("trigger answered {s}"),
            ),
            Err(e) => v.require("the trigger URL answered 2xx", false, e.clone()),
        };
    }
    let n = c.messages().count();
    v.require(
        "at least one message reached the endpoint",
        n > 0,
        format!(
            "no request reached {} within {} s",
            fx.endpoint_url(),
            fx.profile.wait_seconds
        ),
    );
    if n > 0 {
        let accepted = c
            .messages()
            .filter(|r| (200..300).contains(&r.status))
            .count();
        v.check(
            "messages received",
            Outcome::Pass,
            format!(
                "{n} message(s), {accepted} accepted by the endpoint (2xx), {} event(s)",
                c.events.len()
            ),
        );
    }
    v
}

fn per_request(fx: &SensorFixture, c: &Collected, cx: &CaseCx) -> Verdict {
    let id = cx.meta.id;
    let judged: Vec<&Received> = match id {
        METHOD_POST => c.requests.iter().collect(),
        _ => c.messages().collect(),
    };
    if judged.is_empty() {
        c.attach(cx, []);
        return Verdict::skip("no request was received");
    }
    let mut v = Verdict::new();
    for r in &judged {
        let problem = match id {
            METHOD_POST => (!matches!(r.method.as_str(), "POST" | "GET")).then(|| {
                format!(
                    "sent with {}; messages must be POSTed (GET is only for the configuration)",
                    r.method
                )
            }),
            HOST => r
                .header("host")
                .is_none_or(|h| h.trim().is_empty())
                .then(|| "no Host header".to_string()),
            CONTENT_TYPE => match r.header("content-type") {
                None => Some("no Content-Type header".into()),
                Some(ct) if is_json(ct) => None,
                Some(ct) => Some(format!("Content-Type is `{ct}`, not application/json")),
            },
            _ => match &r.auth {
                AuthSeen::Bearer => None,
                AuthSeen::Missing => Some("no Authorization header".into()),
                AuthSeen::OtherScheme(s) => {
                    Some(format!("Authorization uses the `{s}` scheme, not Bearer"))
                }
                AuthSeen::WrongToken => Some(format!(
                    "the bearer token is not the one the profile provides ({})",
                    fx.profile.token.reference()
                )),
                AuthSeen::Unreadable => Some("the Authorization header is not text".into()),
            },
        };
        if let Some(message) = problem {
            v.finding(Finding {
                document: document_name(r),
                location: match id {
                    METHOD_POST => "method".into(),
                    HOST => "header:host".into(),
                    CONTENT_TYPE => "header:content-type".into(),
                    _ => "header:authorization".into(),
                },
                rule: id.to_string(),
                outcome: Outcome::Fail,
                message,
            });
        }
    }
    let bad = v.findings.len();
    v.check(
        format!(
            "{} of {} request(s) conform",
            judged.len() - bad,
            judged.len()
        ),
        if bad == 0 {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        "",
    );
    let seqs = if bad == 0 {
        c.sample()
    } else {
        c.seqs_of(&v.findings)
    };
    c.attach(cx, seqs);
    v
}

fn is_json(ct: &str) -> bool {
    ct.split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"))
}

fn single_envelope(c: &Collected, cx: &CaseCx) -> Verdict {
    let n = c.messages().count();
    if n == 0 {
        c.attach(cx, []);
        return Verdict::skip("no message was received");
    }
    let mut v = Verdict::new();
    for f in &c.envelope_findings {
        v.finding(f.clone());
    }
    let bad = v.findings.len();
    v.check(
        format!("{} of {n} message(s) are one JSON envelope", n - bad),
        if bad == 0 {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        "",
    );
    let seqs = if bad == 0 {
        c.sample()
    } else {
        c.seqs_of(&v.findings)
    };
    c.attach(cx, seqs);
    v
}

fn rule_case(fx: &SensorFixture, c: &Collected, cx: &CaseCx, rule: &str, scope: Scope) -> Verdict {
    if scope == Scope::Context {
        match &fx.contexts {
            ContextState::NotGiven => {
                c.attach(cx, []);
                return Verdict::skip(NO_SCHEMA_DIR);
            }
            ContextState::Failed(why) => {
                c.attach(cx, []);
                return Verdict::error(why.clone());
            }
            ContextState::Loaded(_) => {}
        }
    }
    let mut v = c.validation.verdict(rule, skip_reason(scope));
    for f in &mut v.findings {
        f.rule = cx.meta.id.to_string();
    }
    let seqs = if v.findings.is_empty() {
        c.sample()
    } else {
        c.seqs_of(&v.findings)
    };
    c.attach(cx, seqs);
    v
}

fn skip_reason(scope: Scope) -> &'static str {
    match scope {
        Scope::Document | Scope::Envelope => "no envelope was received",
        Scope::Event => "no event was received",
        Scope::Entity => "no entity was received",
        Scope::Describe => "no event or entity describe was received",
        Scope::Extensions => "no `extensions` property was received",
        Scope::Context => "no event or entity was received to check against the contexts",
    }
}

fn profile_coverage(fx: &SensorFixture, c: &Collected, cx: &CaseCx, cert: &ProfileCert) -> Verdict {
    let table = coverage::table(cert, &c.events);
    let rendered = coverage::render(&table);
    let seqs: Vec<usize> = c
        .events
        .iter()
        .filter(|e| e.belongs_to(cert))
        .filter_map(|e| c.docs.get(&e.document).copied())
        .collect();
    c.attach(cx, seqs);
    cx.log(format!("{}: {rendered}", cert.term));
    if !fx.profile.profiles.iter().any(|p| p.0 == cert.term) {
        let why = format!(
            "not claimed: add \"{}\" to [caliper-sensor] profiles to certify it (seen: {rendered})",
            cert.term
        );
        return Verdict::skip(why);
    }
    let mut v = Verdict::new();
    let valid = table.values().map(|(_, ok)| ok).sum::<usize>();
    v.require(
        format!("at least one valid {} event received", cert.term),
        valid > 0,
        format!("seen: {rendered}"),
    );
    for group in cert.required {
        v.require(
            format!("required: {}", coverage::group_label(group)),
            coverage::group_met(cert, group, &c.events),
            format!("no valid event of this row; seen: {rendered}"),
        );
    }
    v.check("coverage table", Outcome::Pass, rendered);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_lints_clean() {
        let problems = accredit_core::catalog::lint(&CaliperSensorSuite, "caliper.sensor.");
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(
            sensor_catalog().len(),
            6 + RULE_CASES.len() + PROFILE_CERTS.len()
        );
        assert_eq!(rule_cases().len(), RULE_CASES.len(), "every rule id exists");
    }

    #[test]
    fn the_template_and_demo_profile_parse() {
        let text = sensor_demo_profile(
            "ref",
            "127.0.0.1:9".parse().unwrap_or_else(|e| panic!("{e}")),
            "file:/dev/null",
            Some("http://127.0.0.1:1/caliper/trigger"),
            &["SessionProfile"],
            5,
        );
        let doc = accredit_core::profile::ProfileDoc::parse("p", &text, &[SENSOR_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let p: CaliperSensorProfile = doc
            .require_section(SENSOR_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.profiles, vec![ProfileTerm("SessionProfile")]);
        let bad = text.replace("SessionProfile", "SessionProfil");
        let doc = accredit_core::profile::ProfileDoc::parse("p", &bad, &[SENSOR_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let e = doc
            .require_section::<CaliperSensorProfile>(SENSOR_SUITE_ID)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("not a Caliper 1.2 metric profile"), "{e}");
        assert!(SENSOR_TEMPLATE.contains("[caliper-sensor]"));
    }
}
