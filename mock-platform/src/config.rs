//! Platform configuration: issuer, listen address, registered tools.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::PlatformError;
use crate::fault::PlatformFault;

/// The mock platform's configuration (TOML for `accredit serve platform`).
///
/// ```toml
/// issuer = "https://platform.example"
/// listen = "127.0.0.1:9001"
/// default_launch = true          # unknown login_hint → a valid instructor launch
///
/// [[clients]]
/// client_id = "tool-1"
/// redirect_uris = ["http://127.0.0.1:9002/lti/launch"]
/// deployment_ids = ["deployment-1"]
/// login_url = "http://127.0.0.1:9002/lti/login"          # for the launch links on `/`
/// target_link_uri = "http://127.0.0.1:9002/lti/launch"
/// jwks_url = "http://127.0.0.1:9002/lti/jwks"            # client assertions, Deep Linking
/// ```
///
/// `faults = ["no-kid", "token-aud-unchecked"]` injects [`PlatformFault`]s.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// The issuer identifier put in `iss` (compared exactly by tools).
    pub issuer: String,
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Registered tools.
    #[serde(default)]
    pub clients: Vec<ClientRegistration>,
    /// Issue a valid instructor launch for a `login_hint` nobody planned
    /// (stand-alone use). When false, such requests get a 400.
    #[serde(default)]
    pub default_launch: bool,
    /// PEM file of the RSA signing key; a fresh key is generated when absent.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Deliberate defects of the reference-platform mode (`faults = ["no-kid"]`);
    /// empty = a conformant platform. See [`PlatformFault`].
    #[serde(default)]
    pub faults: Vec<PlatformFault>,
}

/// A tool registered with the platform.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRegistration {
    /// The OAuth client_id of the tool.
    pub client_id: String,
    /// Redirect URIs the tool may ask the id_token to be posted to (exact match).
    pub redirect_uris: Vec<String>,
    /// Deployment ids of the tool on this platform.
    #[serde(default)]
    pub deployment_ids: Vec<String>,
    /// The tool's OIDC login initiation URL (stand-alone launch links only).
    #[serde(default)]
    pub login_url: Option<String>,
    /// The resource to launch (stand-alone launch links only); defaults to the
    /// first redirect URI.
    #[serde(default)]
    pub target_link_uri: Option<String>,
    /// The tool's JWKS URL: verifies the tool's own JWTs (Deep Linking responses).
    #[serde(default)]
    pub jwks_url: Option<String>,
}

impl PlatformConfig {
    /// A config for tests and suites: one client, no default launches.
    pub fn single(
        issuer: impl Into<String>,
        listen: SocketAddr,
        client: ClientRegistration,
    ) -> PlatformConfig {
        PlatformConfig {
            issuer: issuer.into(),
            listen,
            clients: vec![client],
            default_launch: false,
            key_file: None,
            faults: Vec::new(),
        }
    }

    /// The same config with `faults` injected (replacing any set before).
    pub fn with_faults(
        mut self,
        faults: impl IntoIterator<Item = PlatformFault>,
    ) -> PlatformConfig {
        self.faults = faults.into_iter().collect();
        self
    }

    /// Whether `fault` is injected.
    pub fn has(&self, fault: PlatformFault) -> bool {
        self.faults.contains(&fault)
    }

    /// The registration of `client_id`.
    pub fn client(&self, client_id: &str) -> Option<&ClientRegistration> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }
}

/// Reads a platform config file.
pub fn load_config(path: &Path) -> Result<PlatformConfig, PlatformError> {
    let err = |message: String| PlatformError::Config {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_unknown_keys_are_refused() {
        let ok: Result<PlatformConfig, _> = toml::from_str(
            "issuer = \"https://p.example\"\nlisten = \"127.0.0.1:0\"\n[[clients]]\nclient_id = \"c\"\nredirect_uris = [\"http://t/launch\"]\n",
        );
        let cfg = ok.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.client("c").map(|c| c.redirect_uris.len()), Some(1));
        let bad: Result<PlatformConfig, _> =
            toml::from_str("issuer = \"x\"\nlisten = \"127.0.0.1:0\"\nissuerr = \"y\"\n");
        assert!(bad.is_err());
    }
}
