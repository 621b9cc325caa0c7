//! `accredit demo`: every suite against the bundled reference implementations.
//!
//! This is the main job in miniature and the README's first command: it must
//! work on a fresh machine with nothing configured. Live suites get a reference
//! candidate started on a free loopback port and a generated profile (written
//! next to the bundles, as a worked example of a real profile); artifact suites
//! validate our own sample documents. Every bundle is a normal run: same
//! pipeline, same report, same history.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use accredit_core::Suite;
use accredit_core::profile::ProfileDoc;
use accredit_core::runner::RunnerOptions;

use crate::pipeline::{self, RunOutput, RunRequest};
use crate::{CliError, Exit};

/// Demo options.
pub struct DemoOpts {
    /// Output root: one bundle per suite below it.
    pub out: PathBuf,
    /// Cases run at once.
    pub jobs: usize,
    /// Signing key for every bundle.
    pub sign: Option<PathBuf>,
    /// Skip the history database.
    pub no_history: bool,
    /// History database.
    pub history_db: Option<PathBuf>,
    /// Schema directory.
    pub schemas: Option<PathBuf>,
}

/// The issuer the demo's mock platform uses.
const DEMO_ISSUER: &str = "https://platform.accredit.example";

fn request(
    o: &DemoOpts,
    suite: Arc<dyn Suite>,
    profile: Option<ProfileDoc>,
    inputs: Vec<PathBuf>,
) -> RunRequest {
    let name = suite.id().to_string();
    request_named(o, &name, suite, profile, inputs)
}

/// [`request`] writing its bundle to `out/<name>` (a suite the demo runs twice).
fn request_named(
    o: &DemoOpts,
    name: &str,
    suite: Arc<dyn Suite>,
    profile: Option<ProfileDoc>,
    inputs: Vec<PathBuf>,
) -> RunRequest {
    RunRequest {
        out: o.out.join(name),
        runner: RunnerOptions {
            jobs: o.jobs.max(1),
            case_timeout: Duration::from_secs(30),
            candidate_headers: Vec::new(),
        },
        suites: vec![suite],
        profile,
        inputs,
        candidate: None,
        certification: false,
        case_patterns: Vec::new(),
        sign: o.sign.clone(),
        baseline: None,
        schemas: crate::schemas::resolve(o.schemas.clone()),
        history: if o.no_history {
            None
        } else {
            Some(crate::history::db_path(o.history_db.clone()))
        },
        quiet: false,
        browser: None,
    }
}

/// Runs the demo.
pub async fn run(o: DemoOpts) -> Result<Exit, CliError> {
    std::fs::create_dir_all(&o.out)
        .with_context(|| format!("creating {}", o.out.display()))
        .map_err(CliError::harness)?;
    if crate::schemas::resolve(o.schemas.clone()).is_none() {
        eprintln!(
            "note: no schema directory (--schemas, ACCREDIT_SCHEMA_DIR, or `accredit schemas fetch`): \
             rules that need the official schema and context files will be skipped, not passed"
        );
    }
    let mut results: Vec<RunOutput> = Vec::new();
    for suite in crate::registry::all() {
        eprintln!("\n== {} — {}", suite.id(), suite.title());
        let out = match suite.id() {
            // Both OneRoster versions against one SIS: two bundles.
            "oneroster-provider" => {
                let (v1p2, v1p1) = oneroster_provider(&o, suite).await?;
                results.push(v1p2);
                v1p1
            }
            accredit_suite_lti::TOOL_SUITE_ID => lti_tool(&o, suite).await?,
            accredit_suite_lti::PLATFORM_SUITE_ID => lti_platform(&o, suite).await?,
            "caliper" => caliper(&o, suite).await?,
            accredit_suite_caliper::SENSOR_SUITE_ID => caliper_sensor(&o, suite).await?,
            accredit_suite_caliper::ENDPOINT_SUITE_ID => caliper_endpoint(&o, suite).await?,
            "oneroster-csv" => oneroster_csv(&o, suite).await?,
            accredit_suite_oneroster::CONSUMER_SUITE_ID => oneroster_consumer(&o, suite).await?,
            other => {
                return Err(CliError::harness(anyhow::anyhow!(
                    "the demo has no reference candidate for suite `{other}` (add one in harness/cli/src/demo.rs)"
                )));
            }
        };
        results.push(out);
    }

    println!(
        "\naccredit demo: {} runs of {} suites against the bundled reference implementations",
        results.len(),
        crate::registry::all().len()
    );
    let mut exit = Exit::Passed;
    for r in &results {
        let s = &r.report.summary;
        println!(
            "  {:<22} {:>3} cases  {:>3} pass {:>3} fail {:>3} warn {:>3} skip {:>3} review {:>3} error   {}",
            r.out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "?".into()),
            s.total,
            s.pass,
            s.fail,
            s.warn,
            s.skip,
            s.review,
            s.error,
            std::fs::canonicalize(r.out.join("report.html"))
                .unwrap_or_else(|_| r.out.join("report.html"))
                .display()
        );
        exit = worst(exit, r.exit);
    }
    Ok(exit)
}

fn worst(a: Exit, b: Exit) -> Exit {
    if (b as u8) > (a as u8) { b } else { a }
}

/// `lti-tool`: the reference tool (mock-tool), registered with the mock platform
/// the suite will start.
async fn lti_tool(o: &DemoOpts, suite: Arc<dyn Suite>) -> Result<RunOutput, CliError> {
    let platform_addr = accredit_suite_lti::reserve_port()
        .context("reserving a loopback port for the mock platform")
        .map_err(CliError::harness)?;
    let endpoints = accredit_suite_lti::endpoints_for(platform_addr);
    let (tool, reg) = accredit_mock_tool::start_reference_tool_for_demo(
        DEMO_ISSUER,
        &endpoints.auth_url,
        &endpoints.jwks_url,
        Vec::new(),
        None,
    )
    .await
    .context("starting the reference LTI tool")
    .map_err(CliError::harness)?;
    let text = accredit_suite_lti::demo_profile_with_jwks(
        "accredit reference tool",
        &reg.login_url,
        &reg.launch_url,
        &reg.client_id,
        &reg.deployment_id,
        &reg.issuer,
        platform_addr,
        Some(accredit_mock_tool::SUCCESS_MARKER),
        &tool.urls().jwks_url,
    );
    let path = o.out.join("lti-tool.profile.toml");
    std::fs::write(&path, &text)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(CliError::harness)?;
    let profile = ProfileDoc::parse(&path.display().to_string(), &text, &crate::registry::ids())
        .map_err(CliError::harness)?;
    let result = pipeline::execute(request(o, suite, Some(profile), Vec::new())).await;
    tool.shutdown().await;
    result
}

/// `lti-platform`: the reference platform (mock-platform's reference mode) with
/// the harness tool registered at a reserved loopback port; the tool's RSA key is
/// generated fresh and written under `out/secrets/` (the profile names the file).
async fn lti_platform(o: &DemoOpts, suite: Arc<dyn Suite>) -> Result<RunOutput, CliError> {
    const CLIENT_ID: &str = "accredit-tool";
    const DEPLOYMENT_ID: &str = "deployment-1";
    let tool_listen = accredit_suite_lti::reserve_port()
        .context("reserving a loopback port for the harness tool")
        .map_err(CliError::harness)?;
    let tool = format!("http://{tool_listen}");
    let platform = accredit_mock_platform::start_reference_platform(
        accredit_mock_platform::ClientRegistration {
            client_id: CLIENT_ID.into(),
            redirect_uris: vec![format!("{tool}/lti/launch")],
            deployment_ids: vec![DEPLOYMENT_ID.into()],
            login_url: Some(format!("{tool}/lti/login")),
            target_link_uri: Some(format!("{tool}/lti/launch")),
            jwks_url: Some(format!("{tool}/lti/jwks")),
        },
        Vec::new(),
    )
    .await
    .context("starting the reference LTI platform")
    .map_err(CliError::harness)?;
    let dir = o.out.join("secrets");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating {}", dir.display()))
        .map_err(CliError::harness)?;
    let key_path = dir.join("lti-platform-tool-key.pem");
    let pem = accredit_suite_lti::platform::generate_tool_key_pem()
        .context("generating the harness tool's RSA key")
        .map_err(CliError::harness)?;
    write_private(&key_path, &pem)?;
    let key_path = std::path::absolute(&key_path).unwrap_or(key_path);
    let text = accredit_suite_lti::platform::demo_profile(
        "accredit reference platform",
        &platform.endpoints().base_url,
        accredit_mock_platform::REFERENCE_ISSUER,
        CLIENT_ID,
        DEPLOYMENT_ID,
        tool_listen,
        &key_path,
    );
    let profile = demo_profile_doc(o, accredit_suite_lti::PLATFORM_SUITE_ID, &text)?;
    let result = pipeline::execute(request(o, suite, Some(profile), Vec::new())).await;
    platform.shutdown().await;
    result
}

/// Writes a private file (mode 0600 on Unix).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(CliError::harness)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))
            .map_err(CliError::harness)?;
    }
    Ok(())
}

/// `oneroster-consumer`: the reference consumer (mock-tool) syncing from the mock
/// SIS the suite starts in consumer mode; the suite triggers it. Collection ends
/// when the SIS has been quiet for `settle_ms`, within `collect_seconds`, so the
/// per-case timeout must exceed that window.
async fn oneroster_consumer(o: &DemoOpts, suite: Arc<dyn Suite>) -> Result<RunOutput, CliError> {
    let dir = o.out.join("secrets");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating {}", dir.display()))
        .map_err(CliError::harness)?;
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let reference = accredit_suite_oneroster::start_reference_consumer(&dir, Vec::new())
        .await
        .context("starting the reference OneRoster consumer")
        .map_err(CliError::harness)?;
    let profile = demo_profile_doc(
        o,
        accredit_suite_oneroster::CONSUMER_SUITE_ID,
        &reference.profile,
    )?;
    let mut req = request(o, suite, Some(profile), Vec::new());
    req.runner.case_timeout = Duration::from_secs(60);
    let result = pipeline::execute(req).await;
    reference.consumer.shutdown().await;
    result
}

/// `caliper`: our own sample envelope.
async fn caliper(o: &DemoOpts, suite: Arc<dyn Suite>) -> Result<RunOutput, CliError> {
    let inputs = o.out.join("inputs");
    std::fs::create_dir_all(&inputs)
        .with_context(|| format!("creating {}", inputs.display()))
        .map_err(CliError::harness)?;
    let path = inputs.join("caliper-sample-envelope.json");
    let bytes = serde_json::to_vec_pretty(&accredit_suite_caliper::sample_envelope())
        .map_err(CliError::harness)?;
    std::fs::write(&path, bytes)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(CliError::harness)?;
    pipeline::execute(request(o, suite, None, vec![path])).await
}

/// `oneroster-csv`: our own sample bundles, 1.1 and 1.2.
async fn oneroster_csv(o: &DemoOpts, suite: Arc<dyn Suite>) -> Result<RunOutput, CliError> {
    use accredit_suite_oneroster::tables::Version;
    let inputs = o.out.join("inputs");
    let mut paths = Vec::new();
    for v in [Version::V1p1, Version::V1p2] {
        let p = accredit_suite_oneroster::write_sample_bundle(&inputs, v)
            .with_context(|| {
                format!(
                    "writing the sample OneRoster bundle under {}",
                    inputs.display()
                )
            })
            .map_err(CliError::harness)?;
        paths.push(p);
    }
    pipeline::execute(request(o, suite, None, paths)).await
}

/// Writes a fresh demo bearer token under `out/secrets/` and returns the secret
/// and its profile reference (`file:...`): profiles never hold secrets inline.
fn demo_token(
    o: &DemoOpts,
    name: &str,
) -> Result<(accredit_core::profile::Secret, String), CliError> {
    let dir = o.out.join("secrets");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating {}", dir.display()))
        .map_err(CliError::harness)?;
    let token = accredit_suite_caliper::generate_token();
    let reference = accredit_suite_caliper::write_token_file(&dir, name, &token)
        .with_context(|| format!("writing the demo token under {}", dir.display()))
        .map_err(CliError::harness)?;
    Ok((
        accredit_core::profile::Secret::from_value(reference.clone(), token),
        reference,
    ))
}

/// Writes a generated profile next to the bundles and parses it like a user's.
fn demo_profile_doc(o: &DemoOpts, suite_id: &str, text: &str) -> Result<ProfileDoc, CliError> {
    let path = o.out.join(format!("{suite_id}.profile.toml"));
    std::fs::write(&path, text)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(CliError::harness)?;
    ProfileDoc::parse(&path.display().to_string(), text, &crate::registry::ids())
        .map_err(CliError::harness)
}

/// `caliper-sensor`: the reference sensor (mock-tool) sending to the endpoint the
/// suite starts; the suite triggers it.
async fn caliper_sensor(o: &DemoOpts, suite: Arc<dyn Suite>) -> Result<RunOutput, CliError> {
    let listen = accredit_mock_platform::reserve_port()
        .context("reserving a loopback port for the Caliper endpoint")
        .map_err(CliError::harness)?;
    let (token, token_ref) = demo_token(o, "caliper-sensor.token")?;
    let sensor = accredit_mock_tool::caliper::start_reference_sensor_for_demo(
        &format!("http://{listen}/caliper"),
        token,
        Vec::new(),
        None,
    )
    .await
    .context("starting the reference Caliper sensor")
    .map_err(CliError::harness)?;
    let text = accredit_suite_caliper::sensor_demo_profile(
        "accredit reference Caliper sensor",
        listen,
        &token_ref,
        Some(sensor.trigger_url()),
        &accredit_mock_tool::caliper::PROFILES,
        10,
    );
    let profile = demo_profile_doc(o, suite.id(), &text)?;
    let result = pipeline::execute(request(o, suite, Some(profile), Vec::new())).await;
    sensor.shutdown().await;
    result
}

/// `caliper-endpoint`: the reference endpoint (mock-platform).
async fn caliper_endpoint(o: &DemoOpts, suite: Arc<dyn Suite>) -> Result<RunOutput, CliError> {
    let (token, token_ref) = demo_token(o, "caliper-endpoint.token")?;
    let endpoint =
        accredit_mock_platform::caliper::start_reference_endpoint_for_demo(token, Vec::new(), None)
            .await
            .context("starting the reference Caliper endpoint")
            .map_err(CliError::harness)?;
    let text = accredit_suite_caliper::endpoint_demo_profile(
        "accredit reference Caliper endpoint",
        endpoint.url(),
        &token_ref,
        &[
            "http://purl.imsglobal.org/ctx/caliper/v1p1",
            "http://purl.imsglobal.org/ctx/caliper/v1p2",
        ],
    );
    let profile = demo_profile_doc(o, suite.id(), &text)?;
    let result = pipeline::execute(request(o, suite, Some(profile), Vec::new())).await;
    endpoint.shutdown().await;
    result
}

/// `oneroster-provider`: the mock SIS (SQLite) seeded from a generated bundle,
/// certified as a OneRoster 1.2 provider and then, through its 1.1 surface
/// (OAuth 1.0a), as a 1.1 provider (bundle `oneroster-provider-1.1`).
async fn oneroster_provider(
    o: &DemoOpts,
    suite: Arc<dyn Suite>,
) -> Result<(RunOutput, RunOutput), CliError> {
    let work = o.out.join("inputs").join("oneroster-sis");
    std::fs::create_dir_all(&work)
        .with_context(|| format!("creating {}", work.display()))
        .map_err(CliError::harness)?;
    let reference = accredit_suite_oneroster::start_reference_sis(&work, Vec::new())
        .await
        .map_err(|e| CliError::harness(anyhow::anyhow!("starting the reference SIS: {e}")))?;
    let runs = async {
        let profile = demo_profile_doc(o, suite.id(), &reference.profile)?;
        let v1p2 = pipeline::execute(request(o, suite.clone(), Some(profile), Vec::new())).await?;
        eprintln!("\n== {} (OneRoster 1.1)", suite.id());
        let name = format!("{}-1.1", suite.id());
        let text = accredit_suite_oneroster::rest::v1p1::v1p1_demo_profile(&reference);
        let profile = demo_profile_doc(o, &name, &text)?;
        let v1p1 =
            pipeline::execute(request_named(o, &name, suite, Some(profile), Vec::new())).await?;
        Ok((v1p2, v1p1))
    }
    .await;
    reference.sis.shutdown().await;
    runs
}
