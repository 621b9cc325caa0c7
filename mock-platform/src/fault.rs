//! Injectable platform defects for the reference-platform mode.
//!
//! Why: a certification suite is only as good as the failures it can see. Each
//! [`PlatformFault`] makes the reference platform break exactly one rule, and its
//! doc names the `lti-platform` case id(s) that must then fail, so the suite's
//! fault matrix can prove every case can fail (and that each fault is caught by
//! the case meant for it, not by accident elsewhere).
//!
//! Faults apply to the built-in (stand-alone) flows and to the shared service
//! endpoints (token, NRPS, AGS); the harness-driven launch plans used by the
//! `lti-tool` suite ignore them. A platform with no fault is conformant.

use serde::{Deserialize, Serialize};

/// One deliberate platform defect (`faults = ["no-kid", ...]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlatformFault {
    /// id_tokens have no `kid` header. Fails `lti.platform.core.*.signature`,
    /// `lti.platform.dl.request.signature`, `lti.platform.nrps.launch.signature`,
    /// `lti.platform.ags.launch1.signature`, `lti.platform.ags.launch2.signature`.
    NoKid,
    /// id_tokens are signed RS512 (still verifiable with the RSA key). Fails only
    /// `lti.platform.core.*.rs256` and `lti.platform.dl.request.rs256`.
    SignsRs512,
    /// id_tokens are already expired. Fails `lti.platform.core.*.timestamps`,
    /// `lti.platform.dl.request.timestamps`, `lti.platform.nrps.launch.timestamps`.
    ExpiredIdToken,
    /// The version claim is `1.2.0`. Fails `lti.platform.core.*.version`,
    /// `lti.platform.dl.request.version`.
    WrongVersion,
    /// Learner launches carry the Instructor role. Fails
    /// `lti.platform.core.student.roles`, `lti.platform.core.student-no-pii.roles`.
    StudentGetsInstructorRole,
    /// The no-PII launches carry name, given_name, family_name and email. Fails
    /// `lti.platform.core.student-no-pii.no-pii`,
    /// `lti.platform.core.instructor-no-pii.no-pii`.
    PiiInNoPiiLaunch,
    /// The context title ends with a space. Fails `lti.platform.core.*.no-whitespace`.
    TrailingWhitespace,
    /// Resource link launches have no `resource_link` claim. Fails
    /// `lti.platform.core.*.complete`, `lti.platform.nrps.launch.complete`,
    /// `lti.platform.ags.launch1.complete`, `lti.platform.ags.launch2.complete`.
    MissingResourceLink,
    /// The id_token's nonce is not the auth request's. Fails
    /// `lti.platform.core.*.complete` (and every `.complete` case).
    NonceNotEchoed,
    /// The Deep Linking settings lack `accept_presentation_document_targets`.
    /// Fails `lti.platform.dl.request.complete`.
    DlSettingsIncomplete,
    /// An id_token is posted to any redirect_uri. Fails
    /// `lti.platform.oidc.unregistered-redirect-uri`.
    AcceptsUnregisteredRedirectUri,
    /// `response_type` is not checked. Fails `lti.platform.oidc.response-type`.
    IgnoresResponseType,
    /// `scope` is not checked. Fails `lti.platform.oidc.scope`.
    IgnoresScope,
    /// `prompt` is not checked. Fails `lti.platform.oidc.prompt`.
    IgnoresPrompt,
    /// The `login_hint` is not compared with the one bound to the
    /// `lti_message_hint`. Fails `lti.platform.oidc.login-hint-mismatch`.
    IgnoresLoginHint,
    /// An auth request without `nonce` gets an id_token (without nonce). Fails
    /// `lti.platform.oidc.nonce-missing`.
    NonceOptional,
    /// An unregistered `client_id` gets an id_token. Fails
    /// `lti.platform.oidc.unknown-client`.
    AcceptsUnknownClient,
    /// The deployment_id claim differs from the login's `lti_deployment_id`.
    /// Fails `lti.platform.oidc.deployment-id` (and the `.complete` cases).
    DeploymentIdMismatch,
    /// The JWKS publishes the private members (`d`, `p`, `q`...). Fails
    /// `lti.platform.jwks`.
    JwksLeaksPrivateKey,
    /// The token endpoint does not check the assertion's `aud`. Fails
    /// `lti.platform.token.aud`.
    TokenAudUnchecked,
    /// The token endpoint does not check `iss` = `sub` = client_id. Fails
    /// `lti.platform.token.iss-sub`.
    TokenIssSubUnchecked,
    /// A replayed `jti` gets a token. Fails `lti.platform.token.jti-replay`.
    TokenJtiReplayAccepted,
    /// An expired assertion gets a token. Fails `lti.platform.token.expired`.
    TokenExpiredAccepted,
    /// An `alg: none` assertion gets a token. Fails `lti.platform.token.alg-none`.
    TokenAlgNoneAccepted,
    /// Unknown scopes are granted and echoed. Fails `lti.platform.token.scope-subset`.
    TokenGrantsUnknownScope,
    /// The token response has no `expires_in`. Fails `lti.platform.token.lifetime`.
    TokenNoExpiresIn,
    /// Service endpoints ignore the token's scopes. Fails
    /// `lti.platform.svc.scope-enforcement`.
    ScopesNotEnforced,
    /// Service endpoints accept any bearer token. Fails `lti.platform.svc.bad-bearer`.
    AcceptsBadBearer,
    /// Memberships pages carry no `Link` header. Fails `lti.platform.nrps.paging`.
    NrpsNoLinkHeader,
    /// The memberships `role` filter is ignored. Fails `lti.platform.nrps.role-filter`.
    NrpsRoleFilterIgnored,
    /// The `rel="differences"` link answers 404. Fails `lti.platform.nrps.differences`.
    NrpsDifferencesBroken,
    /// Memberships are served as `application/json`. Fails `lti.platform.nrps.call`.
    NrpsWrongMediaType,
    /// The line-item container is a JSON object, not an array. Fails
    /// `lti.platform.ags.container-array`.
    AgsContainerNotArray,
    /// Container filters are ignored. Fails `lti.platform.ags.filters`.
    AgsFiltersIgnored,
    /// Line items without label or with `scoreMaximum` ≤ 0 are created. Fails
    /// `lti.platform.ags.lineitem-validation`.
    AgsNoLineItemValidation,
    /// `resourceId` and `tag` are dropped from created line items. Fails
    /// `lti.platform.ags.resource-id-tag`.
    AgsDropsResourceIdTag,
    /// An older score overwrites a newer one. Fails `lti.platform.ags.score-ordering`.
    AgsIgnoresScoreTimestamp,
    /// A score above `scoreMaximum` gets 400. Fails
    /// `lti.platform.ags.score-above-maximum`.
    AgsRejectsScoreAboveMaximum,
    /// Both contexts share one line-item store. Fails
    /// `lti.platform.ags.results-lineitem-1` (and the container checks per context).
    AgsContextsMixed,
    /// Results carry `resultMaximum` 0. Fails `lti.platform.ags.results`.
    AgsResultMaximumZero,
    /// A Deep Linking response with a wrong `aud` (or `iss`) is accepted. Fails
    /// `lti.platform.dl.aud-iss`.
    DlAcceptsWrongAud,
    /// A Deep Linking response without the request's `data` is accepted. Fails
    /// `lti.platform.dl.data`.
    DlAcceptsMissingData,
    /// A Deep Linking response with a wrong deployment_id or version is accepted.
    /// Fails `lti.platform.dl.deployment-version`.
    DlAcceptsWrongDeployment,
    /// The same Deep Linking response (same nonce) is accepted twice. Fails
    /// `lti.platform.dl.replay`.
    DlAcceptsReplay,
    /// An expired Deep Linking response is accepted. Fails `lti.platform.dl.expired`.
    DlAcceptsExpired,
    /// Content items outside `accept_types` are accepted. Fails
    /// `lti.platform.dl.accept-types`.
    DlAcceptsUnacceptedTypes,
    /// Every Deep Linking response is refused, valid ones included. Fails
    /// `lti.platform.dl.response.accepted`.
    DlRejectsValidResponse,
}

impl PlatformFault {
    /// Every fault, in declaration order (for fault matrices).
    pub const ALL: [PlatformFault; 47] = [
        PlatformFault::NoKid,
        PlatformFault::SignsRs512,
        PlatformFault::ExpiredIdToken,
        PlatformFault::WrongVersion,
        PlatformFault::StudentGetsInstructorRole,
        PlatformFault::PiiInNoPiiLaunch,
        PlatformFault::TrailingWhitespace,
        PlatformFault::MissingResourceLink,
        PlatformFault::NonceNotEchoed,
        PlatformFault::DlSettingsIncomplete,
        PlatformFault::AcceptsUnregisteredRedirectUri,
        PlatformFault::IgnoresResponseType,
        PlatformFault::IgnoresScope,
        PlatformFault::IgnoresPrompt,
        PlatformFault::IgnoresLoginHint,
        PlatformFault::NonceOptional,
        PlatformFault::AcceptsUnknownClient,
        PlatformFault::DeploymentIdMismatch,
        PlatformFault::JwksLeaksPrivateKey,
        PlatformFault::TokenAudUnchecked,
        PlatformFault::TokenIssSubUnchecked,
        PlatformFault::TokenJtiReplayAccepted,
        PlatformFault::TokenExpiredAccepted,
        PlatformFault::TokenAlgNoneAccepted,
        PlatformFault::TokenGrantsUnknownScope,
        PlatformFault::TokenNoExpiresIn,
        PlatformFault::ScopesNotEnforced,
        PlatformFault::AcceptsBadBearer,
        PlatformFault::NrpsNoLinkHeader,
        PlatformFault::NrpsRoleFilterIgnored,
        PlatformFault::NrpsDifferencesBroken,
        PlatformFault::NrpsWrongMediaType,
        PlatformFault::AgsContainerNotArray,
        PlatformFault::AgsFiltersIgnored,
        PlatformFault::AgsNoLineItemValidation,
        PlatformFault::AgsDropsResourceIdTag,
        PlatformFault::AgsIgnoresScoreTimestamp,
        PlatformFault::AgsRejectsScoreAboveMaximum,
        PlatformFault::AgsContextsMixed,
        PlatformFault::AgsResultMaximumZero,
        PlatformFault::DlAcceptsWrongAud,
        PlatformFault::DlAcceptsMissingData,
        PlatformFault::DlAcceptsWrongDeployment,
        PlatformFault::DlAcceptsReplay,
        PlatformFault::DlAcceptsExpired,
        PlatformFault::DlAcceptsUnacceptedTypes,
        PlatformFault::DlRejectsValidResponse,
    ];

    /// The kebab-case name used in config files (`no-kid`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }
}

/// Every service scope the platform grants: what a forged bearer token is taken
/// to hold under [`PlatformFault::AcceptsBadBearer`] (tokens the platform issued
/// keep their own scopes, so the fault fails the bad-bearer case and no other).
pub(crate) fn every_service_scope() -> Vec<String> {
    [
        crate::services::NRPS_SCOPE,
        crate::ags::AGS_SCOPE_LINEITEM,
        crate::ags::AGS_SCOPE_LINEITEM_READONLY,
        crate::ags::AGS_SCOPE_SCORE,
        crate::ags::AGS_SCOPE_RESULT_READONLY,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case_and_unique() {
        let names: std::collections::HashSet<String> =
            PlatformFault::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), PlatformFault::ALL.len());
        assert_eq!(PlatformFault::NoKid.name(), "no-kid");
        assert_eq!(PlatformFault::SignsRs512.name(), "signs-rs512");
    }
}
