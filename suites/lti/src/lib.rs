//! LTI Advantage 1.3 certification suites.
//!
//! [`LtiToolSuite`] (`lti-tool`) certifies a *tool*: the harness plays the
//! platform ([`accredit_mock_platform`], started at the profile's
//! `platform_listen`) and the user's browser ([`ua::UserAgent`]), and every case is
//! a full OIDC launch (login initiation → authentication request → `form_post` →
//! launch) whose id_token the case crafts: valid launches must be accepted, known-bad
//! ones refused. This first slice covers the valid instructor and student
//! launches (CERT §6.1.2/6.1.3, first row each), all twelve known-bad payloads of
//! CERT §6.1.1, and the harness extensions (HX, `official = false`) of the
//! tool side: foreign signature, `alg: none`, HS256 key confusion, `aud`/`azp`,
//! wrong and trailing-slash `iss`, nonce replay and binding, forged `state`,
//! unknown deployment, clock skew within and beyond a small leeway, key rotation
//! and a `target_link_uri` with a query string. Deep Linking, NRPS and AGS are not
//! covered yet.
//!
//! With `--browser` ([`browser`]), the launches a real user makes (the valid
//! instructor and student launches, the Deep Linking request) run in headless
//! Chromium, the tool framed in a platform page on another site, so SameSite and
//! third-party-cookie failures show; every other case keeps the HTTP user agent.
//!
//! For the CLI and the demo:
//! - [`LtiToolSuite`]: register it with the other suites.
//! - [`demo_profile`]: writes the `[lti-tool]` profile for a tool registered with
//!   the harness (pair it with `accredit_mock_tool::start_reference_tool_for_demo`
//!   and [`reserve_port`] for `platform_listen`).

pub mod ags;
pub mod browser;
pub mod cases;
pub(crate) mod chromium_log;
pub mod flow;
pub mod html;
pub mod launch_variants;
pub mod payloads;
pub mod platform;
pub mod profile;
pub mod ua;

use futures::FutureExt;
use futures::future::BoxFuture;

use accredit_core::evidence::Recorder;
use accredit_core::{CaseMeta, CaseTable, Suite, SuiteError, SuiteKind, SuiteRun, SuiteStart};
use accredit_mock_platform::{ClientRegistration, PlatformConfig};

pub use accredit_mock_platform::{endpoints_for, reserve_port};
pub use platform::{LtiPlatformSuite, PLATFORM_SUITE_ID};
pub use profile::{LtiToolProfile, demo_profile, demo_profile_with_jwks};

/// Suite id and profile table name.
pub const TOOL_SUITE_ID: &str = "lti-tool";

/// LTI Advantage 1.3 tool certification (`lti-tool`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LtiToolSuite;

impl Suite for LtiToolSuite {
    fn id(&self) -> &'static str {
        TOOL_SUITE_ID
    }

    fn title(&self) -> &'static str {
        "LTI Advantage 1.3: tool certification"
    }

    fn kind(&self) -> SuiteKind {
        SuiteKind::Live
    }

    fn catalog(&self) -> Vec<CaseMeta> {
        cases::cases().into_iter().map(|c| c.meta).collect()
    }

    fn profile_template(&self) -> String {
        profile::TEMPLATE.to_string()
    }

    fn start<'a>(
        &'a self,
        start: SuiteStart<'a>,
    ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>> {
        async move {
            let doc = start.profile.ok_or_else(|| {
                SuiteError::Usage("the lti-tool suite needs a candidate profile".into())
            })?;
            let profile: LtiToolProfile = doc.require_section(TOOL_SUITE_ID)?;
            let config = PlatformConfig::single(
                profile.issuer.as_str(),
                profile.platform_listen,
                ClientRegistration {
                    client_id: profile.client_id.clone(),
                    redirect_uris: profile.redirect_uris(),
                    deployment_ids: vec![profile.deployment_id.clone()],
                    login_url: Some(profile.login_url.as_str().to_string()),
                    target_link_uri: Some(profile.launch_url.as_str().to_string()),
                    jwks_url: profile.jwks_url.as_ref().map(|u| u.as_str().to_string()),
                },
            );
            let recorder = Recorder {
                mock: "mock-platform",
                router: start.router.clone(),
            };
            let platform = accredit_mock_platform::start(config, Some(recorder))
                .await
                .map_err(|e| {
                    SuiteError::Harness(format!(
                        "cannot start the mock platform at platform_listen = {}: {e}",
                        profile.platform_listen
                    ))
                })?;
            tracing::info!(addr = %platform.addr(), "mock platform started for lti-tool");
            let browser = match start.browser {
                Some(settings) => match browser::BrowserDriver::start(settings).await {
                    Ok(b) => Some(b),
                    Err(e) => {
                        platform.shutdown().await;
                        // Missing executables are the user's to fix (exit 2); a
                        // chromedriver that will not start is the harness's (exit 3).
                        return Err(match e {
                            browser::BrowserError::Unavailable(problem) => {
                                SuiteError::Usage(problem)
                            }
                            other => SuiteError::Harness(format!("--browser: {other}")),
                        });
                    }
                },
                None => None,
            };
            let fixture = flow::Fixture {
                profile,
                platform,
                browser,
            };
            let table = CaseTable::new(fixture, &cases::cases()).on_shutdown(|fx| {
                async move {
                    fx.platform.shutdown().await;
                    if let Some(b) = &fx.browser {
                        b.shutdown().await;
                    }
                }
                .boxed()
            });
            Ok(Box::new(table) as Box<dyn SuiteRun>)
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_clean() {
        assert_eq!(
            accredit_core::catalog::lint(&LtiToolSuite, "lti.tool."),
            Vec::<String>::new()
        );
    }

    #[test]
    fn template_parses_as_a_profile() {
        let doc = accredit_core::profile::ProfileDoc::parse(
            "template.toml",
            &LtiToolSuite.profile_template(),
            &[TOOL_SUITE_ID],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let p: LtiToolProfile = doc
            .require_section(TOOL_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.redirect_uris(), vec![p.launch_url.as_str().to_string()]);
    }

    #[test]
    fn demo_profile_round_trips() {
        let text = demo_profile(
            "Ref \"tool\"",
            "http://127.0.0.1:1/lti/login",
            "http://127.0.0.1:1/lti/launch",
            "c",
            "d",
            "https://p.example",
            "127.0.0.1:2".parse().unwrap_or_else(|e| panic!("{e}")),
            Some("LTI launch accepted"),
        );
        let doc = accredit_core::profile::ProfileDoc::parse("demo", &text, &[TOOL_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.candidate().name, "Ref \"tool\"");
        let p: LtiToolProfile = doc
            .require_section(TOOL_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.success_marker.as_deref(), Some("LTI launch accepted"));
    }

    #[test]
    fn profile_errors_name_the_key() {
        let text = "[candidate]\nname = \"x\"\n[lti-tool]\nlogin_url = \"http://a/l\"\nlaunch_url = \"http://a/x\"\nclient_id = \"c\"\ndeployment_id = \"d\"\nissuer = \"https://p?x=1\"\nplatform_listen = \"127.0.0.1:1\"\n";
        let doc = accredit_core::profile::ProfileDoc::parse("p.toml", text, &[TOOL_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let err = doc
            .require_section::<LtiToolProfile>(TOOL_SUITE_ID)
            .err()
            .unwrap_or_else(|| panic!("issuer with a query must be refused"));
        assert_eq!(err.key, "issuer", "{err}");
        assert_eq!(err.line, 8, "{err}");
    }
}
