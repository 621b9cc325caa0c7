//! `lti-platform`: LTI Advantage 1.3 certification of a *platform* (an LMS).
//!
//! The harness plays the LTI tool ([`accredit_mock_tool::probe`], listening at the
//! profile's `tool_listen`) and the user's browser. Every case starts its own
//! launch at a vendor-configured URL (see [`profile`]), follows the platform's
//! OIDC third-party-initiated login to the harness tool, which answers with a
//! strict authentication request and records the id_token the platform posts
//! back; the case then judges one thing about it. Official cases follow CERT §5
//! (core payloads, Deep Linking, NRPS, AGS); `official = false` cases are harness
//! extensions drawn from the Security Framework, OIDC, Deep Linking, NRPS and AGS
//! MUSTs (lti-catalog.md §3).
//!
//! Modules: [`profile`] (the `[lti-platform]` table), `fixture` (launches,
//! tokens, signing), `browse` (the browser), `checks` (judging a launch), `core`
//! (official launch cases), `oidc` (authentication-endpoint and JWKS extensions),
//! `dl` (Deep Linking responses), `services` (NRPS, AGS, token endpoint),
//! `scripted` (launches started by a scripted login and click in Chromium, for
//! LMSs without launch-start URLs; they need `--browser`).

mod browse;
mod checks;
mod core;
mod dl;
mod fixture;
mod oidc;
pub mod profile;
mod scripted;
mod services;

use futures::FutureExt;
use futures::future::BoxFuture;

use accredit_core::evidence::Recorder;
use accredit_core::jose::SigningKey;
use accredit_core::{
    Case, CaseMeta, CaseTable, Suite, SuiteError, SuiteKind, SuiteRun, SuiteStart,
};
use accredit_mock_tool::probe::{self, ProbeConfig};

use crate::browser::{BrowserDriver, BrowserError};

pub use profile::{LtiPlatformProfile, demo_profile};

use fixture::PlatformFixture;

/// Suite id and profile table name.
pub const PLATFORM_SUITE_ID: &str = "lti-platform";

/// LTI Advantage 1.3 platform certification (`lti-platform`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LtiPlatformSuite;

fn all_cases() -> Vec<Case<PlatformFixture>> {
    let mut all = core::cases();
    all.extend(dl::cases());
    all.extend(oidc::cases());
    all.extend(services::cases());
    all
}

/// A fresh RSA key for the harness tool, as PKCS#8 PEM (write it to the file the
/// profile's `tool_key = "file:..."` names).
pub fn generate_tool_key_pem() -> Result<Vec<u8>, accredit_core::jose::JoseError> {
    SigningKey::generate()?.to_pem()
}

impl Suite for LtiPlatformSuite {
    fn id(&self) -> &'static str {
        PLATFORM_SUITE_ID
    }

    fn title(&self) -> &'static str {
        "LTI Advantage 1.3: platform certification"
    }

    fn kind(&self) -> SuiteKind {
        SuiteKind::Live
    }

    fn catalog(&self) -> Vec<CaseMeta> {
        all_cases().into_iter().map(|c| c.meta).collect()
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
                SuiteError::Usage("the lti-platform suite needs a candidate profile".into())
            })?;
            let profile: LtiPlatformProfile = doc.require_section(PLATFORM_SUITE_ID)?;
            let key =
                SigningKey::from_pem(profile.tool_key.expose().as_bytes(), None).map_err(|e| {
                    SuiteError::Usage(format!(
                        "{}: [lti-platform] tool_key ({}): not a usable RSA private key PEM: {e}",
                        doc.path(),
                        profile.tool_key.reference()
                    ))
                })?;
            // Usage problems first, before anything listens: scripted launches
            // need Chromium, so a scripted profile without --browser is refused
            // (rather than erroring every launch case), whatever the state of
            // tool_listen.
            if profile.needs_browser() && start.browser.is_none() {
                return Err(SuiteError::Usage(format!(
                    "{}: [lti-platform.browser.launches] scripts launches in a browser: run with --browser (headless Chromium and chromedriver)",
                    doc.path()
                )));
            }
            let config = ProbeConfig {
                listen: profile.tool_listen,
                public_base_url: profile
                    .tool_base_url
                    .as_ref()
                    .map(|u| u.as_str().to_string()),
                client_id: profile.client_id.clone(),
                auth_url: profile.auth_url.as_str().to_string(),
                key: key.clone(),
            };
            let recorder = Recorder {
                mock: "harness-tool",
                router: start.router.clone(),
            };
            let probe = probe::start(config, Some(recorder)).await.map_err(|e| {
                SuiteError::Harness(format!(
                    "cannot start the harness tool at tool_listen = {}: {e}",
                    profile.tool_listen
                ))
            })?;
            let tool_base = url::Url::parse(&probe.urls().base_url).map_err(|e| {
                SuiteError::Usage(format!(
                    "harness tool base URL `{}`: {e}",
                    probe.urls().base_url
                ))
            })?;
            tracing::info!(addr = %probe.addr(), "harness tool started for lti-platform");
            // Like the tool side, a Chromium that is missing is the user's to
            // fix (exit 2), a chromedriver that will not start is the
            // harness's (exit 3).
            let driver = match start.browser.filter(|_| profile.needs_browser()) {
                Some(settings) => {
                    if let Some(script) = &profile.browser {
                        start.redactor.add_secret(script.username.expose());
                        start.redactor.add_secret(script.password.expose());
                    }
                    match BrowserDriver::start(settings).await {
                        Ok(d) => Some(d),
                        Err(e) => {
                            probe.shutdown().await;
                            return Err(match e {
                                BrowserError::Unavailable(problem) => SuiteError::Usage(problem),
                                other => SuiteError::Harness(format!("--browser: {other}")),
                            });
                        }
                    }
                }
                None => None,
            };
            let fixture = PlatformFixture {
                profile,
                probe,
                key,
                tool_base,
                driver,
            };
            let table = CaseTable::new(fixture, &all_cases()).on_shutdown(|fx| {
                async move {
                    fx.probe.shutdown().await;
                    if let Some(d) = &fx.driver {
                        d.shutdown().await;
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
            accredit_core::catalog::lint(&LtiPlatformSuite, "lti.platform."),
            Vec::<String>::new()
        );
    }

    #[test]
    fn template_parses_as_a_profile() {
        // The template names `file:accredit-tool.pem`, which does not exist here:
        // swap in an env reference that does.
        let text = LtiPlatformSuite
            .profile_template()
            .replace("file:accredit-tool.pem", "env:PATH");
        let doc =
            accredit_core::profile::ProfileDoc::parse("template.toml", &text, &[PLATFORM_SUITE_ID])
                .unwrap_or_else(|e| panic!("{e}"));
        let p: LtiPlatformProfile = doc
            .require_section(PLATFORM_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.token_audience(), "https://lms.example/lti/token");
        for kind in fixture::LaunchKind::ALL {
            assert!(p.launches.get(kind).is_some(), "{kind:?}");
        }
    }

    #[test]
    fn demo_profile_round_trips() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let key = dir.path().join("k.pem");
        std::fs::write(
            &key,
            generate_tool_key_pem().unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let text = demo_profile(
            "Ref \"LMS\"",
            "http://127.0.0.1:9/",
            "https://lms.example",
            "tool 1",
            "d",
            "127.0.0.1:2".parse().unwrap_or_else(|e| panic!("{e}")),
            &key,
        );
        let doc = accredit_core::profile::ProfileDoc::parse("demo", &text, &[PLATFORM_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let p: LtiPlatformProfile = doc
            .require_section(PLATFORM_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.token_url.as_str(), "http://127.0.0.1:9/lti/token");
        assert_eq!(
            p.launches
                .get(fixture::LaunchKind::AgsContext2)
                .map(|u| u.as_str()),
            Some("http://127.0.0.1:9/lti/start?client_id=tool+1&launch=ags_context_2")
        );
        assert!(SigningKey::from_pem(p.tool_key.expose().as_bytes(), None).is_ok());
    }

    /// The template with its commented `[lti-platform.browser]` example enabled.
    fn template_with_browser() -> String {
        let mut out = String::new();
        let mut in_browser = false;
        for line in LtiPlatformSuite.profile_template().lines() {
            if line == "# [lti-platform.browser]" {
                in_browser = true;
            }
            let line = match line.strip_prefix("# ") {
                Some(rest) if in_browser => rest,
                _ => line,
            };
            out.push_str(line);
            out.push('\n');
        }
        out.replace("file:accredit-tool.pem", "env:PATH")
            .replace("env:LMS_USER", "env:PATH")
            .replace("env:LMS_PASSWORD", "env:PATH")
    }

    #[test]
    fn the_template_browser_example_parses() {
        let text = template_with_browser();
        let doc =
            accredit_core::profile::ProfileDoc::parse("template.toml", &text, &[PLATFORM_SUITE_ID])
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let p: LtiPlatformProfile = doc
            .require_section(PLATFORM_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(p.needs_browser());
        let (script, student) = p
            .scripted(fixture::LaunchKind::Student)
            .unwrap_or_else(|| panic!("student is scripted"));
        assert_eq!(script.username_selector.as_str(), "#username");
        assert_eq!(
            script.logged_in_selector.as_ref().map(|s| s.as_str()),
            Some("#dashboard")
        );
        assert_eq!(student.click.as_str(), "a#accredit-tool");
        assert!(p.scripted(fixture::LaunchKind::DeepLinking).is_some());
        assert!(p.scripted(fixture::LaunchKind::Instructor).is_none());
        // Without the table nothing needs a browser.
        let plain = LtiPlatformSuite
            .profile_template()
            .replace("file:accredit-tool.pem", "env:PATH");
        let doc = accredit_core::profile::ProfileDoc::parse("t.toml", &plain, &[PLATFORM_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let p: LtiPlatformProfile = doc
            .require_section(PLATFORM_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.needs_browser());
    }

    #[rstest::rstest]
    #[case::empty_selector(
        "submit_selector = \"button[type=submit]\"",
        "submit_selector = \"  \"",
        "submit_selector"
    )]
    #[case::inline_password("password = \"env:PATH\"", "password = \"hunter2\"", "password")]
    #[case::unknown_kind("student = {", "teacher = {", "teacher")]
    #[case::no_click("click = \"a#accredit-tool\"", "clack = \"a#accredit-tool\"", "clack")]
    fn browser_table_errors_name_the_key_and_line(
        #[case] from: &str,
        #[case] to: &str,
        #[case] key: &str,
    ) {
        let good = template_with_browser();
        assert!(good.contains(from), "{from}");
        let text = good.replacen(from, to, 1);
        let line = text
            .lines()
            .position(|l| l.contains(to))
            .unwrap_or_else(|| panic!("{to}"))
            + 1;
        let doc = accredit_core::profile::ProfileDoc::parse("p.toml", &text, &[PLATFORM_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let err = doc
            .require_section::<LtiPlatformProfile>(PLATFORM_SUITE_ID)
            .err()
            .unwrap_or_else(|| panic!("`{to}` must be refused"));
        let msg = err.to_string();
        assert!(msg.contains("p.toml"), "{msg}");
        assert!(msg.contains(key), "{msg}");
        assert_eq!(err.line, line, "{msg}");
    }

    #[test]
    fn profile_errors_name_the_key_and_line() {
        let text = "[candidate]\nname = \"x\"\n[lti-platform]\nissuer = \"https://lms\"\nclient_id = \"c\"\ndeployment_id = \"d\"\nauth_url = \"https://lms/auth\"\njwks_url = \"https://lms/jwks\"\ntoken_url = \"https://lms/token\"\ntool_listen = \"127.0.0.1:1\"\ntool_key = \"env:PATH\"\n[lti-platform.launches]\nstudent = \"https://lms/s\"\nteacher = \"https://lms/t\"\n";
        let doc = accredit_core::profile::ProfileDoc::parse("p.toml", text, &[PLATFORM_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let err = doc
            .require_section::<LtiPlatformProfile>(PLATFORM_SUITE_ID)
            .err()
            .unwrap_or_else(|| panic!("an unknown launch kind must be refused"));
        assert!(err.to_string().contains("teacher"), "{err}");
        assert_eq!(err.line, 14, "{err}");
        let inline_key = text
            .replace("env:PATH", "-----BEGIN PRIVATE KEY-----")
            .replace("teacher = \"https://lms/t\"\n", "");
        let doc =
            accredit_core::profile::ProfileDoc::parse("p.toml", &inline_key, &[PLATFORM_SUITE_ID])
                .unwrap_or_else(|e| panic!("{e}"));
        let err = doc
            .require_section::<LtiPlatformProfile>(PLATFORM_SUITE_ID)
            .err()
            .unwrap_or_else(|| panic!("an inline key must be refused"));
        assert_eq!(err.key, "tool_key", "{err}");
    }
}
