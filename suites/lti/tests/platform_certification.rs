//! The lti-platform suite against the reference platform (mock-platform's
//! reference mode): a conformant platform passes every case (the human
//! affirmations are `review`), and each injected [`PlatformFault`] fails exactly
//! the cases aimed at it.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use accredit_core::profile::ProfileDoc;
use accredit_core::runner::{self, OneShot, RunRecord, RunnerOptions};
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::{
    ClientRegistration, PlatformFault, REFERENCE_ISSUER, RunningPlatform, start_reference_platform,
};
use accredit_suite_lti::platform::{demo_profile, generate_tool_key_pem};
use accredit_suite_lti::{LtiPlatformSuite, reserve_port};
use rstest::rstest;

const TIMEOUT: Duration = Duration::from_secs(30);
const CLIENT_ID: &str = "accredit-tool";
const DEPLOYMENT_ID: &str = "deployment-1";

/// Cases whose verdict on a conformant platform is `review` (human affirmation).
const REVIEW: &[&str] = &[
    "lti.platform.core.student.expected-received",
    "lti.platform.core.student-no-pii.expected-received",
    "lti.platform.core.instructor.expected-received",
    "lti.platform.core.instructor-no-pii.expected-received",
    "lti.platform.dl.response.link-shown",
    "lti.platform.nrps.headers",
    "lti.platform.ags.gradebook",
];

/// A reference platform with `faults`, and the profile that certifies it.
struct Setup {
    platform: RunningPlatform,
    profile: String,
    _key_dir: tempfile::TempDir,
}

async fn setup(faults: Vec<PlatformFault>) -> Setup {
    let tool_listen: SocketAddr = reserve_port().unwrap_or_else(|e| panic!("reserve port: {e}"));
    let tool = format!("http://{tool_listen}");
    let platform = start_reference_platform(
        ClientRegistration {
            client_id: CLIENT_ID.into(),
            redirect_uris: vec![format!("{tool}/lti/launch")],
            deployment_ids: vec![DEPLOYMENT_ID.into()],
            login_url: Some(format!("{tool}/lti/login")),
            target_link_uri: Some(format!("{tool}/lti/launch")),
            jwks_url: Some(format!("{tool}/lti/jwks")),
        },
        faults,
    )
    .await
    .unwrap_or_else(|e| panic!("start reference platform: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key_path = dir.path().join("accredit-tool.pem");
    let pem = generate_tool_key_pem().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&key_path, pem).unwrap_or_else(|e| panic!("{e}"));
    let profile = demo_profile(
        "accredit reference platform",
        &platform.endpoints().base_url,
        REFERENCE_ISSUER,
        CLIENT_ID,
        DEPLOYMENT_ID,
        tool_listen,
        &key_path,
    );
    Setup {
        platform,
        profile,
        _key_dir: dir,
    }
}

async fn run_suite(profile: &str) -> RunRecord {
    let suite = LtiPlatformSuite;
    let doc = ProfileDoc::parse("platform-profile.toml", profile, &[suite.id()])
        .unwrap_or_else(|e| panic!("profile: {e}\n{profile}"));
    let opts = RunnerOptions {
        jobs: 4,
        case_timeout: TIMEOUT,
        ..RunnerOptions::default()
    };
    runner::run_suite(
        &suite,
        OneShot {
            profile: Some(&doc),
            ..OneShot::default()
        },
        &opts,
    )
    .await
    .unwrap_or_else(|e| panic!("suite start: {e}"))
}

fn dump(record: &RunRecord) -> String {
    record
        .results
        .iter()
        .map(|c| {
            format!(
                "{} {} ({} ms) — {}",
                c.outcome, c.id, c.duration_ms, c.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Ids whose outcome is neither `pass` nor the expected `review`.
fn failing(record: &RunRecord) -> BTreeSet<String> {
    record
        .results
        .iter()
        .filter(|c| {
            !(c.outcome == Outcome::Pass
                || (c.outcome == Outcome::Review && REVIEW.contains(&c.id.as_str())))
        })
        .map(|c| c.id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reference_platform_passes_every_case() {
    let s = setup(vec![]).await;
    let record = run_suite(&s.profile).await;
    s.platform.shutdown().await;
    eprintln!("{}", dump(&record));
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(record.results.len(), LtiPlatformSuite.catalog().len());
    assert_eq!(failing(&record), BTreeSet::new(), "{}", dump(&record));
    for id in REVIEW {
        let case = record.results.iter().find(|c| c.id == *id);
        assert_eq!(
            case.map(|c| c.outcome),
            Some(Outcome::Review),
            "{id}\n{}",
            dump(&record)
        );
    }
    // Every hop of a launch is evidence: the launch start, the login at the
    // harness tool, the platform's auth endpoint and the form_post.
    let ev = record
        .evidence
        .iter()
        .find(|e| e.case_id == "lti.platform.core.student.is-lti13")
        .unwrap_or_else(|| panic!("no evidence"));
    let urls: Vec<&str> = ev
        .exchanges
        .iter()
        .map(|x| x.request.url.as_str())
        .collect();
    for part in ["/lti/start", "/lti/login", "/lti/auth", "/lti/launch"] {
        assert!(
            urls.iter().any(|u| u.contains(part)),
            "{part} missing in {urls:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_launch_url_skips_its_cases() {
    let s = setup(vec![]).await;
    let profile: String = s
        .profile
        .lines()
        .filter(|l| !l.starts_with("deep_linking ="))
        .map(|l| format!("{l}\n"))
        .collect();
    let record = run_suite(&profile).await;
    s.platform.shutdown().await;
    let skipped: BTreeSet<&str> = record
        .results
        .iter()
        .filter(|c| c.outcome == Outcome::Skip)
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        skipped.contains("lti.platform.dl.request.complete")
            && skipped.contains("lti.platform.dl.response.accepted"),
        "{}",
        dump(&record)
    );
    let msg = record
        .results
        .iter()
        .find(|c| c.id == "lti.platform.dl.request.complete")
        .map(|c| c.message.clone())
        .unwrap_or_default();
    assert!(
        msg.contains("launches.deep_linking") && msg.contains("failed"),
        "{msg}"
    );
    assert!(
        skipped.iter().all(|id| id.starts_with("lti.platform.dl.")),
        "{skipped:?}"
    );
}

const CORE_KINDS: [&str; 4] = [
    "student",
    "student-no-pii",
    "instructor",
    "instructor-no-pii",
];

fn core(aspect: &str) -> Vec<String> {
    CORE_KINDS
        .iter()
        .map(|k| format!("lti.platform.core.{k}.{aspect}"))
        .collect()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn plus(mut a: Vec<String>, b: &[&str]) -> Vec<String> {
    a.extend(ids(b));
    a
}

#[rstest]
// ---- launch, OIDC, Deep Linking and JWKS rows ----
#[case::no_kid(PlatformFault::NoKid, plus(core("signature"), &[
    "lti.platform.dl.request.signature",
    "lti.platform.nrps.launch.signature",
    "lti.platform.ags.launch1.signature",
    "lti.platform.ags.launch2.signature",
]))]
#[case::rs512(PlatformFault::SignsRs512, plus(core("rs256"), &["lti.platform.dl.request.rs256"]))]
#[case::expired_id_token(PlatformFault::ExpiredIdToken, plus(core("timestamps"), &[
    "lti.platform.dl.request.timestamps",
    "lti.platform.nrps.launch.timestamps",
]))]
#[case::wrong_version(PlatformFault::WrongVersion, plus(core("version"), &["lti.platform.dl.request.version"]))]
#[case::student_instructor_role(PlatformFault::StudentGetsInstructorRole, ids(&[
    "lti.platform.core.student.roles",
    "lti.platform.core.student-no-pii.roles",
]))]
#[case::pii(PlatformFault::PiiInNoPiiLaunch, ids(&[
    "lti.platform.core.student-no-pii.no-pii",
    "lti.platform.core.instructor-no-pii.no-pii",
]))]
#[case::whitespace(PlatformFault::TrailingWhitespace, core("no-whitespace"))]
#[case::missing_resource_link(PlatformFault::MissingResourceLink, plus(core("complete"), &[
    "lti.platform.nrps.launch.complete",
    "lti.platform.ags.launch1.complete",
    "lti.platform.ags.launch2.complete",
]))]
#[case::nonce_not_echoed(PlatformFault::NonceNotEchoed, plus(core("complete"), &[
    "lti.platform.dl.request.complete",
    "lti.platform.nrps.launch.complete",
    "lti.platform.ags.launch1.complete",
    "lti.platform.ags.launch2.complete",
]))]
#[case::dl_settings(PlatformFault::DlSettingsIncomplete, ids(&["lti.platform.dl.request.complete"]))]
#[case::unregistered_redirect(PlatformFault::AcceptsUnregisteredRedirectUri, ids(&["lti.platform.oidc.unregistered-redirect-uri"]))]
#[case::response_type(PlatformFault::IgnoresResponseType, ids(&["lti.platform.oidc.response-type"]))]
#[case::scope(PlatformFault::IgnoresScope, ids(&["lti.platform.oidc.scope"]))]
#[case::prompt(PlatformFault::IgnoresPrompt, ids(&["lti.platform.oidc.prompt"]))]
#[case::login_hint(PlatformFault::IgnoresLoginHint, ids(&["lti.platform.oidc.login-hint-mismatch"]))]
#[case::nonce_optional(PlatformFault::NonceOptional, ids(&["lti.platform.oidc.nonce-missing"]))]
#[case::unknown_client(PlatformFault::AcceptsUnknownClient, ids(&["lti.platform.oidc.unknown-client"]))]
#[case::deployment_mismatch(PlatformFault::DeploymentIdMismatch, plus(core("complete"), &[
    "lti.platform.oidc.deployment-id",
    "lti.platform.dl.request.complete",
    "lti.platform.nrps.launch.complete",
    "lti.platform.ags.launch1.complete",
    "lti.platform.ags.launch2.complete",
]))]
#[case::jwks_private(PlatformFault::JwksLeaksPrivateKey, ids(&["lti.platform.jwks"]))]
#[case::dl_wrong_aud(PlatformFault::DlAcceptsWrongAud, ids(&["lti.platform.dl.aud-iss"]))]
#[case::dl_missing_data(PlatformFault::DlAcceptsMissingData, ids(&["lti.platform.dl.data"]))]
#[case::dl_wrong_deployment(PlatformFault::DlAcceptsWrongDeployment, ids(&["lti.platform.dl.deployment-version"]))]
#[case::dl_replay(PlatformFault::DlAcceptsReplay, ids(&["lti.platform.dl.replay"]))]
#[case::dl_expired(PlatformFault::DlAcceptsExpired, ids(&["lti.platform.dl.expired"]))]
#[case::dl_accept_types(PlatformFault::DlAcceptsUnacceptedTypes, ids(&["lti.platform.dl.accept-types"]))]
#[case::dl_rejects_valid(PlatformFault::DlRejectsValidResponse, ids(&[
    "lti.platform.dl.response.accepted",
    "lti.platform.dl.response.link-shown",
    "lti.platform.dl.replay",
]))]
// ---- NRPS / AGS / token / service rows (services engineer): add them here ----
#[case::token_aud(PlatformFault::TokenAudUnchecked, ids(&["lti.platform.token.aud"]))]
#[case::token_iss_sub(PlatformFault::TokenIssSubUnchecked, ids(&["lti.platform.token.iss-sub"]))]
#[case::token_jti_replay(PlatformFault::TokenJtiReplayAccepted, ids(&["lti.platform.token.jti-replay"]))]
#[case::token_expired(PlatformFault::TokenExpiredAccepted, ids(&["lti.platform.token.expired"]))]
#[case::token_alg_none(PlatformFault::TokenAlgNoneAccepted, ids(&["lti.platform.token.alg-none"]))]
#[case::token_unknown_scope(PlatformFault::TokenGrantsUnknownScope, ids(&["lti.platform.token.scope-subset"]))]
#[case::token_no_expires_in(PlatformFault::TokenNoExpiresIn, ids(&["lti.platform.token.lifetime"]))]
#[case::scopes_not_enforced(PlatformFault::ScopesNotEnforced, ids(&["lti.platform.svc.scope-enforcement"]))]
// A platform that accepts any bearer also lets a result.readonly token write.
#[case::bad_bearer(PlatformFault::AcceptsBadBearer, ids(&[
    "lti.platform.svc.bad-bearer",
]))]
#[case::nrps_no_link(PlatformFault::NrpsNoLinkHeader, ids(&["lti.platform.nrps.paging"]))]
#[case::nrps_role_filter(PlatformFault::NrpsRoleFilterIgnored, ids(&["lti.platform.nrps.role-filter"]))]
#[case::nrps_differences(PlatformFault::NrpsDifferencesBroken, ids(&["lti.platform.nrps.differences"]))]
#[case::nrps_media_type(PlatformFault::NrpsWrongMediaType, ids(&["lti.platform.nrps.call"]))]
#[case::ags_not_array(PlatformFault::AgsContainerNotArray, ids(&["lti.platform.ags.container-array"]))]
#[case::ags_filters(PlatformFault::AgsFiltersIgnored, ids(&["lti.platform.ags.filters"]))]
#[case::ags_validation(PlatformFault::AgsNoLineItemValidation, ids(&["lti.platform.ags.lineitem-validation"]))]
#[case::ags_resource_id_tag(PlatformFault::AgsDropsResourceIdTag, ids(&["lti.platform.ags.resource-id-tag"]))]
#[case::ags_score_ordering(PlatformFault::AgsIgnoresScoreTimestamp, ids(&["lti.platform.ags.score-ordering"]))]
#[case::ags_above_maximum(PlatformFault::AgsRejectsScoreAboveMaximum, ids(&["lti.platform.ags.score-above-maximum"]))]
#[case::ags_contexts_mixed(PlatformFault::AgsContextsMixed, ids(&["lti.platform.ags.results-lineitem-1"]))]
#[case::ags_result_maximum(PlatformFault::AgsResultMaximumZero, ids(&["lti.platform.ags.results"]))]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_fault_fails_exactly_its_cases(
    #[case] fault: PlatformFault,
    #[case] expected: Vec<String>,
) {
    let s = setup(vec![fault]).await;
    let record = run_suite(&s.profile).await;
    s.platform.shutdown().await;
    let expected: BTreeSet<String> = expected.into_iter().collect();
    assert_eq!(failing(&record), expected, "{fault:?}\n{}", dump(&record));
    for c in record.results.iter().filter(|c| expected.contains(&c.id)) {
        assert_eq!(
            c.outcome,
            Outcome::Fail,
            "{fault:?}: {} {}",
            c.id,
            c.message
        );
    }
}
