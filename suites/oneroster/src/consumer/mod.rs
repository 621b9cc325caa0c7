//! The `oneroster-consumer` suite: the harness plays the SIS (the OneRoster
//! 1.2 or 1.1 rostering provider) and certifies the candidate **consumer**
//! that reads from it (and, for 1.2, optionally writes gradebook data to it).
//!
//! Versions (`version` in the profile): a 1.2 consumer gets a token at the
//! token endpoint and reads `/ims/oneroster/rostering/v1p2` with bearer
//! tokens; a 1.1 consumer signs every request to `/ims/oneroster/v1p1` with
//! OAuth 1.0a (RFC 5849; the client id and secret are its consumer key and
//! secret). Both surfaces run over the same store and the same injected
//! conditions, so paging, filter, retry and tolerance are judged alike; the
//! auth cases are per version, and a case that does not apply to the
//! profile's version is `skip` with the reason.
//!
//! How a run goes (the design of `caliper-sensor`): `start()` seeds the mock
//! SIS of `mock-platform` (a generated 1.2 bundle, or the profile's `bundle`)
//! and opens it at the profile's `sis_listen` in *consumer mode*
//! ([`accredit_mock_platform::oneroster::observe`]): every request is
//! observed, and the conditions a real SIS imposes are injected on purpose
//! ([`conditions`]): a maximum page size (`max_page_size`, default
//! [`DEFAULT_MAX_PAGE_SIZE`]) so every collection spans several pages; the
//! first request to `users` answered `429` with `Retry-After:
//! 1`; the first request to `classes` answered `503`; `academicSessions` in
//! a permanent outage (`503` every time); extension metadata and an unknown
//! `x-` member on even pages; optional fields absent on odd pages.
//!
//! The first case that needs data *collects*, once for the whole run: it
//! starts the consumer (`POST trigger_url`, or runs `trigger_command`, or, with
//! neither, waits for the consumer to come), waits for the trigger to finish
//! (bounded by `collect_seconds`), then until the SIS has been quiet for
//! `settle_ms`. Each case then judges its share of the same observations and
//! copies the exchanges it judged into its own evidence.
//!
//! Why collect once: a consumer syncs when it decides; its requests cannot be
//! attributed to a case by a correlation key, and one sync exercises every
//! behaviour. A behaviour the consumer never exercised is `skip` (with the
//! reason), or `fail` when the profile's `expects` says it should have been;
//! never `pass`.

pub mod cases;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Deserialize;

use accredit_core::evidence::{EvidenceLog, EvidenceRouter, Recorder};
use accredit_core::http::RecordingClient;
use accredit_core::profile::{HttpUrl, Secret};
use accredit_core::reports::{Exchange, Redactor};
use accredit_core::{
    Case, CaseMeta, CaseTable, Suite, SuiteError, SuiteKind, SuiteRun, SuiteStart,
};
use accredit_mock_platform::oneroster::observe::{
    Conditions, Injection, Observed, Observer, REQUEST_SEQ_HEADER, start_observed,
};
use accredit_mock_platform::oneroster::{self as sis, RunningSis, SisConfig};
use accredit_mock_tool::oneroster::{self as reference, ConsumerConfig, ConsumerFault};

pub use cases::catalog as consumer_catalog;

/// Suite id and profile table name.
pub const CONSUMER_SUITE_ID: &str = "oneroster-consumer";
/// Default server maximum page size.
pub const DEFAULT_MAX_PAGE_SIZE: u64 = 4;
/// Users in the generated bundle (8 pages of users, 3 of classes at 4 a page).
pub const GENERATED_USERS: u64 = 30;
/// The collection answered 429 on its first request.
pub const THROTTLED: &str = "users";
/// The `Retry-After` of that 429, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;
/// The collection answered 503 (no `Retry-After`) on its first request.
pub const UNAVAILABLE: &str = "classes";
/// The collection in a permanent outage.
pub const OUTAGE: &str = "academicSessions";
/// Margin added to the collection window for the per-case timeout check.
const MARGIN: Duration = Duration::from_secs(5);

/// The OneRoster version the consumer is certified for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Version {
    /// OneRoster 1.2 (OAuth 2 client credentials, bearer tokens).
    #[default]
    #[serde(rename = "1.2")]
    V1p2,
    /// OneRoster 1.1 (OAuth 1.0a request signing, HMAC-SHA1 or HMAC-SHA256).
    #[serde(rename = "1.1")]
    V1p1,
}

impl Version {
    /// The profile spelling (`"1.2"`, `"1.1"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1p2 => "1.2",
            Version::V1p1 => "1.1",
        }
    }
}

fn default_client_id() -> String {
    sis::DEFAULT_CLIENT_ID.into()
}
fn default_collect() -> u64 {
    60
}
fn default_settle() -> u64 {
    2000
}
fn default_true() -> bool {
    true
}
fn default_page() -> u64 {
    DEFAULT_MAX_PAGE_SIZE
}

/// Behaviours (not collections) that `expects` may name.
pub const BEHAVIOURS: &[&str] = &["filter", "writes"];

/// The `[oneroster-consumer]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerProfile {
    /// Where the mock SIS listens; the consumer is configured with
    /// `http://<sis_listen>` (1.2: token URL `/ims/oneroster/oauth2/token`,
    /// rostering base `/ims/oneroster/rostering/v1p2`; 1.1: base
    /// `/ims/oneroster/v1p1`, OAuth 1.0a with the client id and secret as
    /// consumer key and secret).
    pub sis_listen: SocketAddr,
    /// The client id the consumer was given.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// The client secret the consumer was given (`env:NAME` / `file:PATH`).
    pub client_secret: Secret,
    /// OneRoster version (`"1.2"` or `"1.1"`).
    #[serde(default)]
    pub version: Version,
    /// A URL the harness `POST`s to start a sync.
    #[serde(default)]
    pub trigger_url: Option<HttpUrl>,
    /// A command the harness runs to start a sync (program and arguments).
    #[serde(default)]
    pub trigger_command: Option<Vec<String>>,
    /// Longest wait for the sync, in seconds.
    #[serde(default = "default_collect")]
    pub collect_seconds: u64,
    /// Quiet time after which the consumer is considered done, in ms (longer
    /// than its longest pause: `Retry-After` is 1 s).
    #[serde(default = "default_settle")]
    pub settle_ms: u64,
    /// Server maximum page size.
    #[serde(default = "default_page")]
    pub max_page_size: u64,
    /// Inject the 429, the 503 and the outage (default true). Off for a
    /// consumer known not to retry, so its paging can still be judged; the
    /// retry cases are then `skip`.
    #[serde(default = "default_true")]
    pub test_retries: bool,
    /// The SIS data: a OneRoster 1.2 CSV directory (default: generated).
    #[serde(default)]
    pub bundle: Option<PathBuf>,
    /// What the consumer is expected to do: rostering collections it reads to
    /// the end (`users`, `classes`...), `filter` (it sends filters), `writes`
    /// (it writes gradebook data).
    #[serde(default)]
    pub expects: Vec<String>,
}

impl ConsumerProfile {
    /// Whether `what` is in `expects`.
    pub fn expects(&self, what: &str) -> bool {
        self.expects.iter().any(|e| e == what)
    }

    /// The expected collections (every `expects` entry but the behaviours).
    pub fn expected_collections(&self) -> Vec<&str> {
        self.expects
            .iter()
            .map(String::as_str)
            .filter(|e| !BEHAVIOURS.contains(e))
            .collect()
    }
}

/// The commented template written by `accredit init oneroster-consumer`.
pub const CONSUMER_TEMPLATE: &str = r#"# accredit candidate profile: OneRoster 1.2 consumer certification.
# The harness plays the SIS (OneRoster 1.2 rostering provider); your consumer is
# the candidate. Configure it with:
#   token URL:      http://<sis_listen>/ims/oneroster/oauth2/token
#   rostering base: http://<sis_listen>/ims/oneroster/rostering/v1p2
#   gradebook base: http://<sis_listen>/ims/oneroster/gradebook/v1p2
# and the client id and secret below. A OneRoster 1.1 consumer (version = "1.1")
# uses the base http://<sis_listen>/ims/oneroster/v1p1 instead, signing every
# request with OAuth 1.0a (HMAC-SHA1 or HMAC-SHA256): client id = consumer key,
# client secret = consumer secret; no token URL, no gradebook.
# The SIS caps pages at max_page_size,
# answers the first request to /users with 429 (Retry-After: 1), the first to
# /classes with 503, and /academicSessions with 503 every time.

[candidate]
name = "My OneRoster consumer"
# version = "1.0.0"

[oneroster-consumer]
sis_listen = "127.0.0.1:9030"
client_id = "accredit-consumer"
# The secret your consumer was given (a reference, never the value).
client_secret = "env:ONEROSTER_CONSUMER_SECRET"
version = "1.2"
# How the harness starts a sync: a URL it POSTs to, or a command it runs.
# With neither, start the sync yourself while the harness waits.
# trigger_url = "http://127.0.0.1:9031/sync"
# trigger_command = ["./my-consumer", "sync"]
# Longest wait for the sync, and the quiet time that ends it.
collect_seconds = 60
settle_ms = 2000
max_page_size = 4
# Inject the 429, the 503 and the outage (false: the retry cases are skipped).
# test_retries = true
# bundle = "my-oneroster-1.2-csv-dir"    # default: a generated district
# Collections your consumer reads to the end, and behaviours it has:
# "filter" (it sends filters), "writes" (it writes gradebook data).
expects = ["users", "classes", "enrollments", "academicSessions", "filter"]
"#;

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How a demo profile starts the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// `POST` to this URL.
    Url(String),
    /// Run this command.
    Command(Vec<String>),
    /// Wait for the consumer.
    Manual,
}

/// The `[oneroster-consumer]` profile text for a consumer configured with these values.
#[allow(clippy::too_many_arguments)]
pub fn consumer_demo_profile(
    candidate_name: &str,
    sis_listen: SocketAddr,
    client_id: &str,
    secret_ref: &str,
    trigger: &Trigger,
    collect_seconds: u64,
    settle_ms: u64,
    expects: &[&str],
) -> String {
    let q = toml_string;
    let mut out = format!(
        "# Generated by accredit for a demo run.\n[candidate]\nname = {}\n\n[{CONSUMER_SUITE_ID}]\nsis_listen = {}\nclient_id = {}\nclient_secret = {}\ncollect_seconds = {collect_seconds}\nsettle_ms = {settle_ms}\nexpects = [{}]\n",
        q(candidate_name),
        q(&sis_listen.to_string()),
        q(client_id),
        q(secret_ref),
        expects.iter().map(|e| q(e)).collect::<Vec<_>>().join(", "),
    );
    match trigger {
        Trigger::Url(u) => out.push_str(&format!("trigger_url = {}\n", q(u))),
        Trigger::Command(c) => out.push_str(&format!(
            "trigger_command = [{}]\n",
            c.iter().map(|a| q(a)).collect::<Vec<_>>().join(", ")
        )),
        Trigger::Manual => {}
    }
    out
}

/// The conditions the SIS imposes on the consumer.
pub fn conditions(profile: &ConsumerProfile) -> Conditions {
    if !profile.test_retries {
        return Conditions {
            max_page_size: Some(profile.max_page_size.max(1)),
            extension_fields: true,
            strip_optional: true,
            accept_writes: true,
            ..Conditions::default()
        };
    }
    Conditions {
        max_page_size: Some(profile.max_page_size.max(1)),
        inject: vec![
            Injection {
                collection: THROTTLED.into(),
                nth: 1,
                status: 429,
                retry_after: Some(RETRY_AFTER_SECS),
            },
            Injection {
                collection: UNAVAILABLE.into(),
                nth: 1,
                status: 503,
                retry_after: None,
            },
        ],
        outage: Some(OUTAGE.into()),
        extension_fields: true,
        strip_optional: true,
        accept_writes: true,
    }
}

/// The reference consumer and the SIS profile it is certified with.
#[derive(Debug)]
pub struct ReferenceConsumer {
    /// The running consumer (its trigger URL is in the profile).
    pub consumer: reference::RunningConsumer,
    /// The `[oneroster-consumer]` profile text.
    pub profile: String,
    /// The client secret (also in a file under the work directory).
    pub client_secret: String,
}

/// Collections the reference consumer reads (and the demo profile expects).
pub const REFERENCE_COLLECTIONS: [&str; 5] = [
    "users",
    "classes",
    "enrollments",
    "academicSessions",
    "orgs",
];

/// Starts the reference consumer (with `faults`) configured for a SIS at a
/// free loopback port, and writes its secret under `work_dir`: the demo and
/// the self-tests run the suite with the returned profile (OneRoster 1.2).
pub async fn start_reference_consumer(
    work_dir: &Path,
    faults: Vec<ConsumerFault>,
) -> Result<ReferenceConsumer, SuiteError> {
    start_reference_consumer_for(work_dir, Version::V1p2, faults).await
}

/// [`start_reference_consumer`] for a OneRoster `version`: for 1.1 the
/// reference signs with OAuth 1.0a HMAC-SHA256 and writes nothing, and the
/// profile says `version = "1.1"` and expects no writes.
pub async fn start_reference_consumer_for(
    work_dir: &Path,
    version: Version,
    faults: Vec<ConsumerFault>,
) -> Result<ReferenceConsumer, SuiteError> {
    let v1p1 = version == Version::V1p1;
    let harness = |what: &str, e: &dyn std::fmt::Display| {
        SuiteError::Harness(format!("reference consumer: {what}: {e}"))
    };
    let sis_listen =
        accredit_mock_platform::reserve_port().map_err(|e| harness("reserve a port", &e))?;
    let secret = format!("{}", uuid::Uuid::new_v4().simple());
    let secret_file = work_dir.join("consumer-client-secret");
    std::fs::write(&secret_file, &secret).map_err(|e| harness("cannot write the secret", &e))?;
    let reference_ref = format!("file:{}", secret_file.display());
    let consumer = reference::start(ConsumerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        sis_origin: format!("http://{sis_listen}"),
        client_id: sis::DEFAULT_CLIENT_ID.into(),
        client_secret: Secret::from_value(reference_ref.clone(), secret.clone()),
        collections: REFERENCE_COLLECTIONS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        write: !v1p1,
        faults,
        oauth1: v1p1.then_some(accredit_core::oauth1::SignatureMethod::HmacSha256),
    })
    .await
    .map_err(|e| harness("cannot start", &e))?;
    let mut expects: Vec<&str> = REFERENCE_COLLECTIONS.to_vec();
    expects.push("filter");
    if !v1p1 {
        expects.push("writes");
    }
    let mut profile = consumer_demo_profile(
        "accredit reference consumer",
        sis_listen,
        sis::DEFAULT_CLIENT_ID,
        &reference_ref,
        &Trigger::Url(consumer.trigger_url().to_string()),
        30,
        300,
        &expects,
    );
    if v1p1 {
        // The table is the profile's last: the line joins it.
        profile.push_str("version = \"1.1\"\n");
    }
    Ok(ReferenceConsumer {
        consumer,
        profile,
        client_secret: secret,
    })
}

// ---- the suite ------------------------------------------------------------------

/// OneRoster 1.2 / 1.1 consumer certification (`oneroster-consumer`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OneRosterConsumerSuite;

impl Suite for OneRosterConsumerSuite {
    fn id(&self) -> &'static str {
        CONSUMER_SUITE_ID
    }

    fn title(&self) -> &'static str {
        "OneRoster 1.2 / 1.1 REST: consumer certification (auth, paging, filters, retries, tolerance, writes)"
    }

    fn kind(&self) -> SuiteKind {
        SuiteKind::Live
    }

    fn catalog(&self) -> Vec<CaseMeta> {
        cases::catalog()
    }

    fn profile_template(&self) -> String {
        CONSUMER_TEMPLATE.to_string()
    }

    fn start<'a>(
        &'a self,
        start: SuiteStart<'a>,
    ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>> {
        Box::pin(async move {
            let doc = start.profile.ok_or_else(|| {
                SuiteError::Usage("the oneroster-consumer suite needs a candidate profile".into())
            })?;
            let profile: ConsumerProfile = doc.require_section(CONSUMER_SUITE_ID)?;
            if profile.trigger_url.is_some() && profile.trigger_command.is_some() {
                return Err(SuiteError::Usage(format!(
                    "[{CONSUMER_SUITE_ID}] give trigger_url or trigger_command, not both"
                )));
            }
            if profile.trigger_command.as_ref().is_some_and(Vec::is_empty) {
                return Err(SuiteError::Usage(format!(
                    "[{CONSUMER_SUITE_ID}] trigger_command is empty: give the program and its arguments"
                )));
            }
            start.redactor.add_secret(profile.client_secret.expose());
            let needed = Duration::from_secs(profile.collect_seconds)
                + Duration::from_millis(profile.settle_ms)
                + MARGIN;
            if needed >= start.case_timeout {
                return Err(SuiteError::Usage(format!(
                    "[{CONSUMER_SUITE_ID}] collect_seconds = {} and settle_ms = {} need a per-case timeout over {} s (--timeout is {} s): lower them or raise --timeout",
                    profile.collect_seconds,
                    profile.settle_ms,
                    needed.as_secs() + 1,
                    start.case_timeout.as_secs()
                )));
            }
            let fixture =
                ConsumerFixture::start(profile, &start.redactor, doc.http_headers()).await?;
            let table: Vec<Case<ConsumerFixture>> = cases::catalog()
                .into_iter()
                .map(|meta| Case {
                    meta,
                    run: cases::run_case,
                })
                .collect();
            let run: Box<dyn SuiteRun> = Box::new(
                CaseTable::new(fixture, &table)
                    .on_shutdown(|fx| Box::pin(async move { fx.shutdown().await })),
            );
            Ok(run)
        })
    }
}

/// The running SIS, the profile, and the collection (made once).
pub struct ConsumerFixture {
    /// The profile.
    pub profile: ConsumerProfile,
    sis: RunningSis,
    observer: Observer,
    inbound: EvidenceRouter,
    client: RecordingClient,
    trigger_log: EvidenceLog,
    generated: Option<PathBuf>,
    collected: tokio::sync::OnceCell<Arc<Collected>>,
}

impl std::fmt::Debug for ConsumerFixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerFixture")
            .field("sis", &self.sis)
            .finish_non_exhaustive()
    }
}

impl ConsumerFixture {
    /// Seeds and starts the SIS at `profile.sis_listen` in consumer mode.
    pub async fn start(
        profile: ConsumerProfile,
        redactor: &Redactor,
        candidate_headers: &[(String, String)],
    ) -> Result<ConsumerFixture, SuiteError> {
        let harness = |what: &str, e: &dyn std::fmt::Display| {
            SuiteError::Harness(format!("mock SIS: {what}: {e}"))
        };
        let (bundle, generated) = match &profile.bundle {
            Some(b) => (b.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "accredit-consumer-sis-{}",
                    uuid::Uuid::new_v4().simple()
                ));
                let mut cfg =
                    crate::generate::Config::new(crate::tables::Version::V1p2, GENERATED_USERS);
                cfg.seed = 0xc0_5eed;
                crate::generate::generate_dir(&cfg, &dir)
                    .map_err(|e| harness("cannot generate the bundle", &e))?;
                (dir.clone(), Some(dir))
            }
        };
        let mut config =
            SisConfig::reference(profile.sis_listen, &bundle, profile.client_secret.clone());
        config.client_id = profile.client_id.clone();
        let inbound = EvidenceRouter::new(redactor.clone());
        let recorder = Recorder {
            mock: sis::MOCK_NAME,
            router: inbound.clone(),
        };
        // The observer re-signs the 1.1 requests it pages down (see observe).
        let observer = Observer::with_oauth1(
            conditions(&profile),
            &profile.client_id,
            profile.client_secret.expose(),
        );
        let running = start_observed(config, observer.clone(), Some(recorder))
            .await
            .map_err(|e| harness("cannot start", &e))?;
        let base = accredit_core::http::base_client()
            .map_err(|e| SuiteError::Harness(format!("HTTP client: {e}")))?;
        let trigger_log = EvidenceLog::new("oneroster.consumer.trigger", redactor.clone());
        let client = RecordingClient::new(base, trigger_log.clone())
            .with_candidate_headers(candidate_headers.to_vec());
        Ok(ConsumerFixture {
            profile,
            sis: running,
            observer,
            inbound,
            client,
            trigger_log,
            generated,
            collected: tokio::sync::OnceCell::new(),
        })
    }

    /// The service base URL the consumer must use (1.2 rostering or 1.1).
    pub fn base_url(&self) -> String {
        match self.profile.version {
            Version::V1p2 => self.sis.rostering_url(),
            Version::V1p1 => self.sis.v1p1_url(),
        }
    }

    /// The SIS origin the consumer must use.
    pub fn sis_origin(&self) -> String {
        format!("http://{}", self.sis.addr())
    }

    async fn shutdown(&self) {
        self.sis.shutdown().await;
        if let Some(dir) = &self.generated {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    async fn collected(&self) -> Arc<Collected> {
        self.collected
            .get_or_init(|| async { Arc::new(self.collect().await) })
            .await
            .clone()
    }

    async fn collect(&self) -> Collected {
        let t0 = Instant::now();
        let wait = Duration::from_secs(self.profile.collect_seconds);
        let deadline = t0 + wait;
        let settle = Duration::from_millis(self.profile.settle_ms);
        let mut log = vec![format!(
            "mock SIS (OneRoster {}) listening at {} (max page size {}); waiting up to {} s for the consumer",
            self.profile.version.as_str(),
            self.base_url(),
            self.profile.max_page_size,
            wait.as_secs()
        )];
        let trigger = if let Some(url) = &self.profile.trigger_url {
            let send = self
                .client
                .send(self.client.inner().post(url.as_str()).body(""));
            let outcome = match tokio::time::timeout(wait, send).await {
                Ok(Ok(c)) => Ok(format!("answered {}", c.status.as_u16())),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no answer within {} s", wait.as_secs())),
            };
            log.push(format!("trigger POST {url}: {outcome:?}"));
            Some(outcome)
        } else if let Some(cmd) = &self.profile.trigger_command {
            let outcome = run_command(cmd, wait).await;
            log.push(format!("trigger command {cmd:?}: {outcome:?}"));
            Some(outcome)
        } else {
            None
        };
        let mut last_count = self.observer.request_count();
        let mut last_change = Instant::now();
        loop {
            let now = Instant::now();
            let count = self.observer.request_count();
            if count != last_count {
                last_count = count;
                last_change = now;
            }
            let idle = self.observer.in_flight() == 0;
            let quiet = now.duration_since(last_change) >= settle;
            let started = count > 0 || trigger.is_some();
            if idle && quiet && started {
                break;
            }
            if now >= deadline && (idle || now >= deadline + settle) {
                log.push(format!("stopped waiting after {} s", wait.as_secs()));
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let requests = self.observer.requests();
        log.push(format!(
            "{} request(s) received in {} ms",
            requests.len(),
            t0.elapsed().as_millis()
        ));
        let exchanges = self
            .inbound
            .unattributed()
            .exchanges
            .into_iter()
            .filter_map(|ex| {
                let seq = ex.response.as_ref().and_then(|r| {
                    r.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(REQUEST_SEQ_HEADER))
                        .and_then(|h| h.value.parse::<usize>().ok())
                })?;
                Some((seq, ex))
            })
            .collect();
        Collected {
            requests,
            exchanges,
            trigger_exchanges: self.trigger_log.snapshot().exchanges,
            trigger,
            log,
        }
    }
}

/// Runs `cmd` to completion (killed after `wait`); its output goes nowhere
/// (the SIS observes what matters).
async fn run_command(cmd: &[String], wait: Duration) -> Result<String, String> {
    let Some((program, args)) = cmd.split_first() else {
        return Err("empty command".into());
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    match tokio::time::timeout(wait, child.wait_with_output()).await {
        Ok(Ok(out)) => {
            let tail: String = String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .join(" | ");
            Ok(format!("exited with {} {tail}", out.status))
        }
        Ok(Err(e)) => Err(format!("waiting for {program}: {e}")),
        Err(_) => Err(format!(
            "{program} still running after {} s: killed",
            wait.as_secs()
        )),
    }
}

/// What the consumer did, observed once.
#[derive(Debug, Default)]
pub struct Collected {
    /// Every request, in arrival order.
    pub requests: Vec<Observed>,
    /// Evidence per request seq.
    pub exchanges: std::collections::HashMap<usize, Exchange>,
    /// The harness's trigger request(s).
    pub trigger_exchanges: Vec<Exchange>,
    /// How the trigger went; `None` without a trigger.
    pub trigger: Option<Result<String, String>>,
    /// Collection log lines.
    pub log: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_lints_clean() {
        let problems = accredit_core::catalog::lint(&OneRosterConsumerSuite, "oneroster.consumer.");
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn the_template_and_demo_profile_parse() {
        let text = consumer_demo_profile(
            "ref",
            SocketAddr::from(([127, 0, 0, 1], 9)),
            "c",
            "file:/dev/null",
            &Trigger::Command(vec!["true".into()]),
            5,
            100,
            &["users", "filter"],
        );
        let doc = accredit_core::profile::ProfileDoc::parse("p", &text, &[CONSUMER_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let p: ConsumerProfile = doc
            .require_section(CONSUMER_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.expected_collections(), vec!["users"]);
        assert!(p.expects("filter") && p.test_retries);
        assert_eq!(p.version, Version::V1p2);
        // 1.1 is accepted; any other version is refused.
        let v11 = text.replace("collect_seconds", "version = \"1.1\"\ncollect_seconds");
        let doc = accredit_core::profile::ProfileDoc::parse("p", &v11, &[CONSUMER_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let p: ConsumerProfile = doc
            .require_section(CONSUMER_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.version, Version::V1p1);
        let v10 = text.replace("collect_seconds", "version = \"1.0\"\ncollect_seconds");
        let doc = accredit_core::profile::ProfileDoc::parse("p", &v10, &[CONSUMER_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            doc.require_section::<ConsumerProfile>(CONSUMER_SUITE_ID)
                .is_err()
        );
        // The template parses once its secret reference resolves.
        let template = CONSUMER_TEMPLATE.replace("env:ONEROSTER_CONSUMER_SECRET", "file:/dev/null");
        let doc = accredit_core::profile::ProfileDoc::parse("t", &template, &[CONSUMER_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let p: ConsumerProfile = doc
            .require_section(CONSUMER_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(p.expects("filter"));
    }
}
