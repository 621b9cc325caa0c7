//! The `[lti-tool]` profile table: how to reach the candidate tool, and where the
//! harness's mock platform must listen so the tool's registration points at it.

use std::net::SocketAddr;

use serde::Deserialize;

use accredit_core::profile::HttpUrl;

/// A platform issuer identifier, kept exactly as written (tools compare `iss`
/// byte for byte, so it is never normalised). Must be an absolute http(s) URL
/// without query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(pub String);

impl Issuer {
    /// As written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Issuer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Issuer, D::Error> {
        let s = String::deserialize(d)?;
        let u = url::Url::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("`{s}` is not an absolute URL: {e}")))?;
        if u.scheme() != "https" && u.scheme() != "http" {
            return Err(serde::de::Error::custom(format!(
                "`{s}` must be an https (or, for local testing, http) URL"
            )));
        }
        if u.query().is_some() || u.fragment().is_some() {
            return Err(serde::de::Error::custom(format!(
                "`{s}`: an issuer has no query or fragment (Security Framework, ID Token `iss`)"
            )));
        }
        Ok(Issuer(s))
    }
}

/// The `[lti-tool]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LtiToolProfile {
    /// The tool's OIDC login initiation URL.
    pub login_url: HttpUrl,
    /// The launch URL sent as `target_link_uri` (and the default redirect URI).
    pub launch_url: HttpUrl,
    /// Redirect URIs registered for the tool; default: `[launch_url]`.
    #[serde(default)]
    pub redirect_uris: Vec<HttpUrl>,
    /// The tool's client_id at the harness platform.
    pub client_id: String,
    /// The deployment id the tool knows.
    pub deployment_id: String,
    /// The platform issuer the tool has registered.
    pub issuer: Issuer,
    /// Where the harness's mock platform listens (the tool was configured with
    /// `http://<platform_listen>/lti/auth` and `/lti/jwks`).
    pub platform_listen: SocketAddr,
    /// Text that appears on the tool's page after an accepted launch.
    #[serde(default)]
    pub success_marker: Option<String>,
    /// The tool's JWKS URL: verifies the tool's Deep Linking responses. Without
    /// it the Deep Linking response case is skipped.
    #[serde(default)]
    pub jwks_url: Option<HttpUrl>,
    /// The `target_link_uri` of Deep Linking launches; default: `launch_url`.
    #[serde(default)]
    pub deep_link_url: Option<HttpUrl>,
    /// A URL that makes the tool perform its NRPS/AGS calls, requested after the
    /// launch with the launch's cookies; default: the tool calls on launch.
    #[serde(default)]
    pub services_trigger_url: Option<HttpUrl>,
    /// A Deep Linking `target_link_uri` at which the tool answers as if the user
    /// had cancelled its selection (a harness cannot press a picker's cancel
    /// button, so the tool documents a launch target that does). Without it the
    /// cancel case (`lti.tool.dl.cancel`) is left for human review.
    #[serde(default)]
    pub dl_cancel_url: Option<HttpUrl>,
}

impl LtiToolProfile {
    /// Registered redirect URIs (the launch URL when none are listed).
    pub fn redirect_uris(&self) -> Vec<String> {
        if self.redirect_uris.is_empty() {
            vec![self.launch_url.as_str().to_string()]
        } else {
            self.redirect_uris
                .iter()
                .map(|u| u.as_str().to_string())
                .collect()
        }
    }
}

/// The commented template written by `accredit init lti-tool`.
pub const TEMPLATE: &str = r#"# accredit candidate profile: LTI Advantage 1.3 tool certification.
# The harness plays the LTI platform (LMS) and the user's browser; your tool is
# the candidate. Register the harness as a platform in your tool first:
#   issuer (iss)         = the `issuer` below, exactly as written
#   client_id            = the `client_id` below
#   deployment id        = the `deployment_id` below
#   OIDC auth endpoint   = http://<platform_listen>/lti/auth
#   JWKS URL             = http://<platform_listen>/lti/jwks
#   token endpoint       = http://<platform_listen>/lti/token   (NRPS)
# The harness generates a fresh RSA key per run; its kid changes, so your tool
# must fetch the JWKS (and re-fetch it on an unknown kid).

[candidate]
name = "My LTI tool"
# version = "1.0.0"
# vendor = "Example Inc."

[lti-tool]
# The tool's OIDC third-party login initiation URL (GET and POST are both used).
login_url = "https://tool.example/lti/login"
# The launch URL: sent as target_link_uri, and the default redirect URI.
launch_url = "https://tool.example/lti/launch"
# Redirect URIs registered for the tool, if the tool posts the id_token elsewhere.
# redirect_uris = ["https://tool.example/lti/launch"]
# The tool's client_id at the harness platform.
client_id = "accredit-tool-1"
# The deployment id the tool has registered.
deployment_id = "deployment-1"
# The platform issuer the tool has registered (compared byte for byte: mind the
# trailing slash).
issuer = "https://accredit.platform.example"
# Where the harness's mock platform listens (your tool calls it here).
platform_listen = "127.0.0.1:9001"
# Text your tool shows after an accepted launch; when set, a 2xx page without it
# counts as "not accepted".
# success_marker = "Welcome"
# The tool's JWKS URL (verifies its Deep Linking responses; without it the Deep
# Linking response case is skipped).
# jwks_url = "https://tool.example/lti/jwks"
# Where Deep Linking requests are launched (target_link_uri); default: launch_url.
# deep_link_url = "https://tool.example/lti/launch"
# A URL that makes your tool perform its service calls (NRPS memberships, AGS
# line items and scores). The NRPS and AGS cases GET it after the launch, in the
# same browser session (with the tool's cookies). Omit it if your tool makes
# its service calls during the launch itself.
# services_trigger_url = "https://tool.example/lti/sync"
# A Deep Linking launch URL (target_link_uri) at which your tool behaves as if
# the user pressed "cancel" in its picker: it must still post a response with no
# content items to deep_link_return_url (Deep Linking 2.0 §2.3). Without it the
# cancel case is left for human review.
# dl_cancel_url = "https://tool.example/lti/launch?dl_action=cancel"
"#;

/// The `[lti-tool]` profile text for a tool registered with the given values
/// (used by `accredit demo` with the reference tool).
#[allow(clippy::too_many_arguments)]
pub fn demo_profile(
    candidate_name: &str,
    login_url: &str,
    launch_url: &str,
    client_id: &str,
    deployment_id: &str,
    issuer: &str,
    platform_listen: SocketAddr,
    success_marker: Option<&str>,
) -> String {
    let q = toml_string;
    let mut out = format!(
        "# Generated by accredit for a demo run.\n[candidate]\nname = {}\n\n[lti-tool]\nlogin_url = {}\nlaunch_url = {}\nclient_id = {}\ndeployment_id = {}\nissuer = {}\nplatform_listen = {}\n",
        q(candidate_name),
        q(login_url),
        q(launch_url),
        q(client_id),
        q(deployment_id),
        q(issuer),
        q(&platform_listen.to_string()),
    );
    if let Some(m) = success_marker {
        out.push_str(&format!("success_marker = {}\n", q(m)));
    }
    out
}

/// [`demo_profile`] plus the tool's JWKS URL, which enables the Deep Linking
/// response case, and the Deep Linking cancel URL of the reference tool's
/// convention: `launch_url` with [`accredit_mock_tool::DL_CANCEL_QUERY`] (the
/// `[lti-tool]` table is the last one of the text).
#[allow(clippy::too_many_arguments)]
pub fn demo_profile_with_jwks(
    candidate_name: &str,
    login_url: &str,
    launch_url: &str,
    client_id: &str,
    deployment_id: &str,
    issuer: &str,
    platform_listen: SocketAddr,
    success_marker: Option<&str>,
    jwks_url: &str,
) -> String {
    let mut out = demo_profile(
        candidate_name,
        login_url,
        launch_url,
        client_id,
        deployment_id,
        issuer,
        platform_listen,
        success_marker,
    );
    out.push_str(&format!("jwks_url = {}\n", toml_string(jwks_url)));
    if let Some(cancel) = dl_cancel_url(launch_url) {
        out.push_str(&format!("dl_cancel_url = {}\n", toml_string(&cancel)));
    }
    out
}

/// `launch_url` with the reference tool's cancel parameter appended
/// ([`accredit_mock_tool::DL_CANCEL_QUERY`]); `None` when it is not a URL.
pub fn dl_cancel_url(launch_url: &str) -> Option<String> {
    let (name, value) = accredit_mock_tool::DL_CANCEL_QUERY.split_once('=')?;
    let mut u = url::Url::parse(launch_url).ok()?;
    u.query_pairs_mut().append_pair(name, value);
    Some(u.to_string())
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
