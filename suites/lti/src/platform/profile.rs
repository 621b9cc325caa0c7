//! The `[lti-platform]` profile table: how the harness reaches the candidate LMS,
//! and how the LMS reaches the harness's tool.
//!
//! Why the launches are URLs: a platform starts every LTI launch itself (OIDC
//! third-party-initiated login), usually when a user clicks a link in a course.
//! The harness cannot click, so the vendor configures one URL per launch kind
//! that, when fetched (with an optional session cookie), answers with the
//! redirect or auto-submitting form a browser would follow to the tool's login URL.
//!
//! Why a second, scripted-browser mode (`[lti-platform.browser]`): many LMSs have
//! no such bare URL; a launch only starts from a link (often built by JavaScript)
//! in a course page behind their login form. For those, the profile names the
//! login form's selectors, the credentials (secrets) and, per launch kind, a page
//! and the element to click; the harness does it in headless Chromium (`--browser`,
//! see `scripted`). A kind with a browser entry is launched that way even when it
//! also has a URL; the others keep the URL mode.

use std::net::SocketAddr;

use serde::Deserialize;

use accredit_core::profile::{HttpUrl, Secret};

use super::fixture::LaunchKind;
use crate::profile::Issuer;

/// The `[lti-platform.launches]` table: one launch-start URL per launch kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Launches {
    /// Full-PII student resource link launch.
    #[serde(default)]
    pub student: Option<HttpUrl>,
    /// Student launch without PII.
    #[serde(default)]
    pub student_no_pii: Option<HttpUrl>,
    /// Full-PII instructor resource link launch.
    #[serde(default)]
    pub instructor: Option<HttpUrl>,
    /// Instructor launch without PII (email allowed).
    #[serde(default)]
    pub instructor_no_pii: Option<HttpUrl>,
    /// An `LtiDeepLinkingRequest`.
    #[serde(default)]
    pub deep_linking: Option<HttpUrl>,
    /// An instructor launch carrying the NRPS claim.
    #[serde(default)]
    pub nrps: Option<HttpUrl>,
    /// A student launch with the AGS claim, in a first context.
    #[serde(default)]
    pub ags_context_1: Option<HttpUrl>,
    /// A student launch with the AGS claim, in a second, different context.
    #[serde(default)]
    pub ags_context_2: Option<HttpUrl>,
}

impl Launches {
    /// The URL configured for `kind`.
    pub(crate) fn get(&self, kind: LaunchKind) -> Option<&HttpUrl> {
        match kind {
            LaunchKind::Student => self.student.as_ref(),
            LaunchKind::StudentNoPii => self.student_no_pii.as_ref(),
            LaunchKind::Instructor => self.instructor.as_ref(),
            LaunchKind::InstructorNoPii => self.instructor_no_pii.as_ref(),
            LaunchKind::DeepLinking => self.deep_linking.as_ref(),
            LaunchKind::Nrps => self.nrps.as_ref(),
            LaunchKind::AgsContext1 => self.ags_context_1.as_ref(),
            LaunchKind::AgsContext2 => self.ags_context_2.as_ref(),
        }
    }
}

/// A CSS selector from the profile (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CssSelector(pub String);

impl CssSelector {
    /// As written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for CssSelector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CssSelector, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(serde::de::Error::custom(
                "a CSS selector must not be empty (e.g. \"#username\")",
            ));
        }
        Ok(CssSelector(s))
    }
}

/// One scripted launch: after logging in, open `page` and click `click`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedLaunch {
    /// The platform page holding the launch link or button.
    pub page: HttpUrl,
    /// The element to click (CSS); the launch must run in that tab (the page
    /// itself or an iframe in it), not in a new window.
    pub click: CssSelector,
}

/// The `[lti-platform.browser.launches]` table: one scripted launch per kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedLaunches {
    /// Full-PII student resource link launch.
    #[serde(default)]
    pub student: Option<ScriptedLaunch>,
    /// Student launch without PII.
    #[serde(default)]
    pub student_no_pii: Option<ScriptedLaunch>,
    /// Full-PII instructor resource link launch.
    #[serde(default)]
    pub instructor: Option<ScriptedLaunch>,
    /// Instructor launch without PII (email allowed).
    #[serde(default)]
    pub instructor_no_pii: Option<ScriptedLaunch>,
    /// An `LtiDeepLinkingRequest`.
    #[serde(default)]
    pub deep_linking: Option<ScriptedLaunch>,
    /// An instructor launch carrying the NRPS claim.
    #[serde(default)]
    pub nrps: Option<ScriptedLaunch>,
    /// A student launch with the AGS claim, in a first context.
    #[serde(default)]
    pub ags_context_1: Option<ScriptedLaunch>,
    /// A student launch with the AGS claim, in a second, different context.
    #[serde(default)]
    pub ags_context_2: Option<ScriptedLaunch>,
}

impl ScriptedLaunches {
    /// The scripted launch configured for `kind`.
    pub(crate) fn get(&self, kind: LaunchKind) -> Option<&ScriptedLaunch> {
        match kind {
            LaunchKind::Student => self.student.as_ref(),
            LaunchKind::StudentNoPii => self.student_no_pii.as_ref(),
            LaunchKind::Instructor => self.instructor.as_ref(),
            LaunchKind::InstructorNoPii => self.instructor_no_pii.as_ref(),
            LaunchKind::DeepLinking => self.deep_linking.as_ref(),
            LaunchKind::Nrps => self.nrps.as_ref(),
            LaunchKind::AgsContext1 => self.ags_context_1.as_ref(),
            LaunchKind::AgsContext2 => self.ags_context_2.as_ref(),
        }
    }

    /// Whether any kind is scripted.
    pub fn any(&self) -> bool {
        LaunchKind::ALL.iter().any(|k| self.get(*k).is_some())
    }
}

/// The `[lti-platform.browser]` table: a scripted login, then per launch kind a
/// page to open and an element to click, in headless Chromium.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserScript {
    /// The platform's login page.
    pub login_url: HttpUrl,
    /// The user name typed into `username_selector` (`env:`/`file:`).
    pub username: Secret,
    /// The password typed into `password_selector` (`env:`/`file:`).
    pub password: Secret,
    /// The user name field (CSS).
    pub username_selector: CssSelector,
    /// The password field (CSS).
    pub password_selector: CssSelector,
    /// The button that submits the login form (CSS).
    pub submit_selector: CssSelector,
    /// An element only a logged-in page has (CSS): proves the login worked.
    /// Without it, the login is judged only by the click target being found.
    #[serde(default)]
    pub logged_in_selector: Option<CssSelector>,
    /// Scripted launches.
    #[serde(default)]
    pub launches: ScriptedLaunches,
}

/// The `[lti-platform]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LtiPlatformProfile {
    /// The platform issuer (`iss`), compared exactly.
    pub issuer: Issuer,
    /// The harness tool's client_id at the platform (unique to the harness).
    pub client_id: String,
    /// The deployment id of the harness tool.
    pub deployment_id: String,
    /// The platform's OIDC authentication endpoint.
    pub auth_url: HttpUrl,
    /// The platform's JWKS URL.
    pub jwks_url: HttpUrl,
    /// The platform's OAuth 2 token endpoint.
    pub token_url: HttpUrl,
    /// The `aud` of client assertions; default: `token_url`.
    #[serde(default)]
    pub token_audience: Option<String>,
    /// Where the harness tool listens.
    pub tool_listen: SocketAddr,
    /// The public base URL of the harness tool when it is reached through a proxy
    /// or a tunnel; default `http://<tool_listen>`.
    #[serde(default)]
    pub tool_base_url: Option<HttpUrl>,
    /// The harness tool's RSA private key (PEM), as an `env:`/`file:` reference.
    pub tool_key: Secret,
    /// A `Cookie` header value sent with launch-start requests (a logged-in session).
    #[serde(default)]
    pub session_cookie: Option<Secret>,
    /// Launch-start URLs.
    #[serde(default)]
    pub launches: Launches,
    /// Scripted-browser launches (need `--browser`).
    #[serde(default)]
    pub browser: Option<BrowserScript>,
}

impl LtiPlatformProfile {
    /// The scripted launch of `kind`, if that kind runs in the browser.
    pub(crate) fn scripted(&self, kind: LaunchKind) -> Option<(&BrowserScript, &ScriptedLaunch)> {
        let script = self.browser.as_ref()?;
        script.launches.get(kind).map(|l| (script, l))
    }

    /// Whether any launch runs in the browser (the run then needs `--browser`).
    pub fn needs_browser(&self) -> bool {
        self.browser.as_ref().is_some_and(|b| b.launches.any())
    }

    /// The `aud` of client assertions.
    pub fn token_audience(&self) -> &str {
        self.token_audience
            .as_deref()
            .unwrap_or(self.token_url.as_str())
    }
}

/// The commented template written by `accredit init lti-platform`.
pub const TEMPLATE: &str = r##"# accredit candidate profile: LTI Advantage 1.3 platform certification.
# The harness plays the LTI *tool* (and the user's browser); your LMS is the
# candidate. Register the harness as a tool in your LMS first:
#   client_id          = the `client_id` below (unique to the harness)
#   deployment id      = the `deployment_id` below
#   login URL          = http://<tool_listen>/lti/login   (OIDC initiation)
#   redirect URI       = http://<tool_listen>/lti/launch  (launches and Deep Linking)
#   target link URI    = http://<tool_listen>/lti/launch
#   JWKS URL           = http://<tool_listen>/lti/jwks    (client assertions,
#                        Deep Linking responses), or the public half of tool_key
#   services           = NRPS and AGS (all four scopes), Deep Linking enabled
# (use tool_base_url instead of http://<tool_listen> when the LMS reaches the
# harness through a proxy or a tunnel).

[candidate]
name = "My LMS"
# version = "1.0.0"
# vendor = "Example Inc."

[lti-platform]
# The platform issuer, exactly as it appears in `iss` (mind the trailing slash).
issuer = "https://lms.example"
# The harness tool's client_id at the platform.
client_id = "accredit-tool"
# The harness tool's deployment id.
deployment_id = "deployment-1"
# OIDC authentication endpoint, JWKS and OAuth 2 token endpoint of the platform.
auth_url = "https://lms.example/lti/auth"
jwks_url = "https://lms.example/lti/jwks"
token_url = "https://lms.example/lti/token"
# The `aud` of the harness's client assertions; default: token_url.
# token_audience = "https://lms.example/lti/token"
# Where the harness tool listens.
tool_listen = "127.0.0.1:8791"
# Public base URL of the harness tool, if the LMS reaches it through a proxy.
# tool_base_url = "https://tunnel.example"
# The harness tool's RSA private key (PEM). Its public half is served at the
# tool's JWKS URL with kid = its RFC 7638 thumbprint.
tool_key = "file:accredit-tool.pem"
# A Cookie header sent with the launch-start requests below (a logged-in session).
# session_cookie = "env:LMS_SESSION"

[lti-platform.launches]
# URLs the harness GETs to make the platform start each launch: the platform
# answers with a redirect or an auto-submitting form to the tool's login URL.
# A launch left out makes the cases that need it `skip` (and the official
# certification counts a skipped test as failed).
student = "https://lms.example/lti/start?client_id=accredit-tool&launch=student"
student_no_pii = "https://lms.example/lti/start?client_id=accredit-tool&launch=student_no_pii"
instructor = "https://lms.example/lti/start?client_id=accredit-tool&launch=instructor"
instructor_no_pii = "https://lms.example/lti/start?client_id=accredit-tool&launch=instructor_no_pii"
# An LtiDeepLinkingRequest.
deep_linking = "https://lms.example/lti/start?client_id=accredit-tool&launch=deep_linking"
# An instructor launch carrying the NRPS claim (may equal `instructor`).
nrps = "https://lms.example/lti/start?client_id=accredit-tool&launch=nrps"
# Student launches with the AGS claim, in two DIFFERENT contexts.
ags_context_1 = "https://lms.example/lti/start?client_id=accredit-tool&launch=ags_context_1"
ags_context_2 = "https://lms.example/lti/start?client_id=accredit-tool&launch=ags_context_2"

# Scripted-browser launches, for an LMS without launch-start URLs: the harness
# logs in and clicks the launch link in headless Chromium (run with --browser).
# It logs in once per case (a fresh browser profile each time, so cases stay
# independent and parallel-safe, and each case's log shows its own login).
# A kind listed here runs in the browser even if it also has a URL above.
# [lti-platform.browser]
# login_url = "https://lms.example/login"
# username = "env:LMS_USER"              # secrets: env:NAME or file:PATH only
# password = "env:LMS_PASSWORD"
# username_selector = "#username"        # CSS selectors of the login form
# password_selector = "#password"
# submit_selector = "button[type=submit]"
# logged_in_selector = "#dashboard"      # optional: proves the login worked
# [lti-platform.browser.launches]
# # Per launch kind: the page to open after login and the element to click.
# # The launch must run in that tab (the page or an iframe in it), not a popup.
# student = { page = "https://lms.example/course/1", click = "a#accredit-tool" }
# deep_linking = { page = "https://lms.example/course/1/edit", click = "#add-accredit-content" }
"##;

/// The profile text for the reference platform (`accredit_mock_platform`) whose
/// base URL is `platform_base_url` (e.g. `http://127.0.0.1:9001`): its endpoints are
/// `/lti/auth`, `/lti/jwks`, `/lti/token`, and every launch kind starts at
/// `/lti/start?client_id=..&launch=<kind>`. `tool_key_file` holds the harness
/// tool's PEM key (see [`super::generate_tool_key_pem`]).
#[allow(clippy::too_many_arguments)]
pub fn demo_profile(
    candidate_name: &str,
    platform_base_url: &str,
    issuer: &str,
    client_id: &str,
    deployment_id: &str,
    tool_listen: SocketAddr,
    tool_key_file: &std::path::Path,
) -> String {
    let q = toml_string;
    let base = platform_base_url.trim_end_matches('/');
    let cid: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let mut out = format!(
        "# Generated by accredit for a demo run.\n[candidate]\nname = {}\n\n[lti-platform]\nissuer = {}\nclient_id = {}\ndeployment_id = {}\nauth_url = {}\njwks_url = {}\ntoken_url = {}\ntool_listen = {}\ntool_key = {}\n\n[lti-platform.launches]\n",
        q(candidate_name),
        q(issuer),
        q(client_id),
        q(deployment_id),
        q(&format!("{base}/lti/auth")),
        q(&format!("{base}/lti/jwks")),
        q(&format!("{base}/lti/token")),
        q(&tool_listen.to_string()),
        q(&format!("file:{}", tool_key_file.display())),
    );
    for kind in LaunchKind::ALL {
        let name = kind.profile_key();
        out.push_str(&format!(
            "{name} = {}\n",
            q(&format!("{base}/lti/start?client_id={cid}&launch={name}"))
        ));
    }
    out
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
