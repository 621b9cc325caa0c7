//! Tool configuration and fault injection.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

use crate::{DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID, ToolError};

/// A deliberate defect, to prove that the suite catches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Selects the key by kid but ignores a signature that does not verify.
    SkipSignatureCheck,
    /// Does not check `exp`.
    AcceptExpired,
    /// Neither binds the nonce to the state nor checks it for replay.
    IgnoreNonce,
    /// Refuses every launch with 403.
    RefuseAllLaunches,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 4] = [
        Fault::SkipSignatureCheck,
        Fault::AcceptExpired,
        Fault::IgnoreNonce,
        Fault::RefuseAllLaunches,
    ];
}

/// The tool's registration with one platform.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The platform issuer (`iss`), matched exactly.
    pub issuer: String,
    /// The tool's client_id at that platform.
    pub client_id: String,
    /// Deployment ids the tool accepts.
    pub deployment_ids: Vec<String>,
    /// The platform's OIDC authentication endpoint.
    pub auth_url: String,
    /// The platform's JWKS URL.
    pub jwks_url: String,
}

fn default_leeway() -> i64 {
    10
}

/// The reference tool's configuration (TOML for `accredit serve tool`).
///
/// ```toml
/// listen = "127.0.0.1:9002"
/// # public_url = "https://tool.example"   # when behind a proxy; default http://<listen>
/// # faults = ["ignore-nonce"]             # fault injection
///
/// [registration]
/// issuer = "https://platform.example"
/// client_id = "tool-1"
/// deployment_ids = ["deployment-1"]
/// auth_url = "http://127.0.0.1:9001/lti/auth"
/// jwks_url = "http://127.0.0.1:9001/lti/jwks"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Base URL browsers use; default `http://<bound address>`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The platform registration.
    pub registration: Registration,
    /// Injected faults.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Clock-skew leeway in seconds for `exp` and `iat` (kept small: seconds).
    #[serde(default = "default_leeway")]
    pub leeway_secs: i64,
}

impl ToolConfig {
    /// A correct tool on a free loopback port, registered as
    /// [`DEMO_CLIENT_ID`]/[`DEMO_DEPLOYMENT_ID`] with the given platform.
    pub fn reference(issuer: &str, auth_url: &str, jwks_url: &str) -> ToolConfig {
        ToolConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            registration: Registration {
                issuer: issuer.into(),
                client_id: DEMO_CLIENT_ID.into(),
                deployment_ids: vec![DEMO_DEPLOYMENT_ID.into()],
                auth_url: auth_url.into(),
                jwks_url: jwks_url.into(),
            },
            faults: vec![],
            leeway_secs: default_leeway(),
        }
    }

    /// Checks the URLs and values.
    pub fn validate(&self) -> Result<(), ToolError> {
        let err = |message: String| ToolError::Config {
            path: "(config)".into(),
            message,
        };
        for (name, u) in [
            ("registration.auth_url", &self.registration.auth_url),
            ("registration.jwks_url", &self.registration.jwks_url),
        ] {
            url::Url::parse(u).map_err(|e| err(format!("{name} `{u}`: {e}")))?;
        }
        if let Some(u) = &self.public_url {
            url::Url::parse(u).map_err(|e| err(format!("public_url `{u}`: {e}")))?;
        }
        if self.registration.client_id.is_empty() || self.registration.deployment_ids.is_empty() {
            return Err(err(
                "registration needs a client_id and at least one deployment id".into(),
            ));
        }
        if !(0..=300).contains(&self.leeway_secs) {
            return Err(err("leeway_secs must be between 0 and 300".into()));
        }
        Ok(())
    }
}

/// Reads a tool config file.
pub fn load_config(path: &Path) -> Result<ToolConfig, ToolError> {
    let err = |message: String| ToolError::Config {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let cfg: ToolConfig = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    cfg.validate().map_err(|e| err(e.to_string()))?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_with_faults() {
        let text = "listen = \"127.0.0.1:0\"\nfaults = [\"ignore-nonce\", \"accept-expired\"]\n\
                    [registration]\nissuer = \"https://p\"\nclient_id = \"c\"\ndeployment_ids = [\"d\"]\n\
                    auth_url = \"http://127.0.0.1:1/lti/auth\"\njwks_url = \"http://127.0.0.1:1/lti/jwks\"\n";
        let cfg: ToolConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.faults, vec![Fault::IgnoreNonce, Fault::AcceptExpired]);
        assert_eq!(cfg.leeway_secs, 10);
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn unknown_fault_is_refused() {
        let text = "listen = \"127.0.0.1:0\"\nfaults = [\"be-evil\"]\n[registration]\nissuer = \"i\"\n\
                    client_id = \"c\"\ndeployment_ids = [\"d\"]\nauth_url = \"http://a\"\njwks_url = \"http://a\"\n";
        assert!(toml::from_str::<ToolConfig>(text).is_err());
    }
}
