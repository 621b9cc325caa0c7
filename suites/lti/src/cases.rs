//! The lti-tool cases: metadata as data, one async function each.
//!
//! Ids follow `lti.tool.<area>.<what>`; the catalog row each case comes from
//! (lti-catalog.md) is named in its doc comment. Official cases come from the
//! LTI Advantage Conformance Certification Guide §6 (and, for the optional
//! launch of a returned Deep Linking item, the official validator's test list);
//! `lti.tool.sec.*`, `lti.tool.oidc.*` and the other `official = false` cases
//! are harness extensions (HX, lti-catalog.md §3) drawn from Security
//! Framework, LTI Core, Deep Linking and OIDC Core requirements. A SHOULD case
//! warns instead of failing, so a report never calls best practice a violation.

use futures::FutureExt;
use serde_json::{Value, json};

use accredit_core::jose::{Jwk, RSA_PRIVATE_MEMBERS, SigningKey, rs256_header};
use accredit_core::{Case, CaseCx, CaseMeta, Level, Verdict};
use accredit_mock_platform::{
    DL_CHECKS, DL_RETURN_PATH, DeepLinkReturn, LaunchPlan, NRPS_MEDIA_TYPE, NRPS_MEMBERS,
    NonceRule, NrpsRequestSeen, Signer,
};

use accredit_core::Outcome;
use accredit_core::jose::now_secs;

use crate::flow::{
    Attempt, Fixture, LaunchRun, LoginMethod, browse_login, judge_refusal, judge_refusal_as,
    require_accepted, run_launch, run_user_launch, snippet,
};
use crate::payloads::{DL, LTI, Persona, deep_linking_request, resource_link_launch, set};
use crate::ua::UserAgent;

const ROLE: &str = "tool";
const CERT: &str = "LTI Advantage Conformance Certification Guide 1.3";
const SEC: &str = "1EdTech Security Framework 1.0";

/// T-CORE-I-01 "Valid Instructor Launch".
pub const LAUNCH_INSTRUCTOR: CaseMeta = CaseMeta {
    id: "lti.tool.core.launch.instructor",
    title: "Valid Instructor Launch (OIDC login initiated by GET)",
    role: ROLE,
    spec_document: CERT,
    spec_section: "6.1.2 Valid Teacher Launches",
    spec_url: "https://www.imsglobal.org/spec/lti/v1p3/cert/#valid-teacher-launches",
    requirement: "Valid Instructor Launch: Launch LTI 1.3 Message as Instructor. We will make an OIDC call to your initialization endpoint, and your \"launch URL\" or \"deep link launch URL\" will be the target_link_uri in that packet. You MUST then return the OIDC response with the redirect uri being equal to one of the redirect uri values that you placed in the setup.",
    level: Level::Must,
    official: true,
    tags: &["core", "launch"],
    exclusive: false,
};

/// T-CORE-S-01 "Valid Student Launch".
pub const LAUNCH_STUDENT: CaseMeta = CaseMeta {
    id: "lti.tool.core.launch.student",
    title: "Valid Student Launch (OIDC login initiated by POST)",
    role: ROLE,
    spec_document: CERT,
    spec_section: "6.1.3 Valid Student Launches",
    spec_url: "https://www.imsglobal.org/spec/lti/v1p3/cert/#valid-student-launches",
    requirement: "Valid Student Launch: Launch LTI 1.3 Message as Student. The redirect may be a form POST or a GET - a Tool must support either case.",
    level: Level::Must,
    official: true,
    tags: &["core", "launch"],
    exclusive: false,
};

/// T-CORE-BAD-01 "No KID Sent in JWT header".
pub const BAD_NO_KID: CaseMeta = CaseMeta {
    id: "lti.tool.core.bad.no-kid",
    title: "No KID Sent in JWT header",
    role: ROLE,
    spec_document: CERT,
    spec_section: "6.1.1 Known \"Bad\" Payloads",
    spec_url: "https://www.imsglobal.org/spec/lti/v1p3/cert/#known-bad-payloads",
    requirement: "No KID Sent in JWT header: The KID is missing from the header of the JWT (preventing the verification of the signing of the JWT). Security Framework, Key Set URL: The Issuer of a JWT identifies the key a receiver uses to validate the JWT signature by using the kid JWT header Claim.",
    level: Level::Must,
    official: true,
    tags: &["core", "bad-payload", "security"],
    exclusive: false,
};

/// T-CORE-BAD-02 "Incorrect KID in JWT header".
pub const BAD_INCORRECT_KID: CaseMeta = CaseMeta {
    id: "lti.tool.core.bad.incorrect-kid",
    title: "Incorrect KID in JWT header",
    role: ROLE,
    spec_document: CERT,
    spec_section: "6.1.1 Known \"Bad\" Payloads",
    spec_url: "https://www.imsglobal.org/spec/lti/v1p3/cert/#known-bad-payloads",
    requirement: "Incorrect KID in JWT header: The KID provided is incorrect (and signing verification is impossible)",
    level: Level::Must,
    official: true,
    tags: &["core", "bad-payload", "security"],
    exclusive: false,
};

/// T-CORE-BAD-07 "Timestamps Incorrect".
pub const BAD_TIMESTAMPS: CaseMeta = CaseMeta {
    id: "lti.tool.core.bad.timestamps",
    title: "Timestamps Incorrect (expired id_token)",
    role: ROLE,
    spec_document: CERT,
    spec_section: "6.1.1 Known \"Bad\" Payloads",
    spec_url: "https://www.imsglobal.org/spec/lti/v1p3/cert/#known-bad-payloads",
    requirement: "Timestamps Incorrect: JWT iat and exp timestamp Values are Invalid. Security Framework, Authentication Response Validation: The current time MUST be before the time represented by the exp Claim;",
    level: Level::Must,
    official: true,
    tags: &["core", "bad-payload", "security"],
    exclusive: false,
};

/// A known-bad payload of CERT §6.1.1.
const fn known_bad(id: &'static str, title: &'static str, requirement: &'static str) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: ROLE,
        spec_document: CERT,
        spec_section: "6.1.1 Known \"Bad\" Payloads",
        spec_url: "https://www.imsglobal.org/spec/lti/v1p3/cert/#known-bad-payloads",
        requirement,
        level: Level::Must,
        official: true,
        tags: &["core", "bad-payload"],
        exclusive: false,
    }
}

/// T-CORE-BAD-03 "Wrong LTI Version".
pub const BAD_WRONG_VERSION: CaseMeta = known_bad(
    "lti.tool.core.bad.wrong-version",
    "Wrong LTI Version",
    "Wrong LTI Version: The LTI version claim contains the wrong version. LTI Core 5.3.2: For conformance with this specification, the claim must have the value 1.3.0.",
);

/// T-CORE-BAD-04 "No LTI Version".
pub const BAD_NO_VERSION: CaseMeta = known_bad(
    "lti.tool.core.bad.no-version",
    "No LTI Version",
    "No LTI Version: The LTI version claim is missing. LTI Core 5.3: LTI resource link launch request messages MUST contain all the claims included in this section.",
);

/// T-CORE-BAD-05 "Invalid LTI message".
pub const BAD_NOT_LTI: CaseMeta = known_bad(
    "lti.tool.core.bad.not-lti",
    "Invalid LTI message",
    "Invalid LTI message: The provided JSON is NOT a 1.3 JWT launch",
);

/// T-CORE-BAD-06 "Missing LTI Claims".
pub const BAD_MISSING_CLAIMS: CaseMeta = known_bad(
    "lti.tool.core.bad.missing-claims",
    "Missing LTI Claims",
    "Missing LTI Claims: The provided 1.3 JWT launch is missing one or more required claims. LTI Core 5.3: LTI resource link launch request messages MUST contain all the claims included in this section.",
);

/// T-CORE-BAD-08 "messsage_type Claim Missing" (spelled so in CERT).
pub const BAD_NO_MESSAGE_TYPE: CaseMeta = known_bad(
    "lti.tool.core.bad.no-message-type",
    "message_type Claim Missing",
    "messsage_type Claim Missing: The Required message_type Claim Not Present",
);

/// T-CORE-BAD-09 "role Claim Missing".
pub const BAD_NO_ROLES: CaseMeta = known_bad(
    "lti.tool.core.bad.no-roles",
    "role Claim Missing",
    "role Claim Missing: The Required role Claim Not Present",
);

/// T-CORE-BAD-10 "deployment_id Claim Missing".
pub const BAD_NO_DEPLOYMENT: CaseMeta = known_bad(
    "lti.tool.core.bad.no-deployment-id",
    "deployment_id Claim Missing",
    "deployment_id Claim Missing: The Required deployment_id Claim Not Present",
);

/// T-CORE-BAD-11 "resource_link_id Claim Missing".
pub const BAD_NO_RESOURCE_LINK: CaseMeta = known_bad(
    "lti.tool.core.bad.no-resource-link",
    "resource_link_id Claim Missing",
    "resource_link_id Claim Missing: The Required resource_link_id Claim Not Present",
);

/// T-CORE-BAD-12 "user Claim Missing" (sent as an empty `sub`, as the official
/// suite does; an absent `sub` is an anonymous launch, LTI Core 5.3.6.1).
pub const BAD_EMPTY_SUB: CaseMeta = known_bad(
    "lti.tool.core.bad.empty-sub",
    "user Claim Missing (empty sub)",
    "user Claim Missing: The Required sub Claim Not Present",
);

/// HX-SEC-06 bad signature (another key, the trusted kid).
pub const SEC_BAD_SIGNATURE: CaseMeta = CaseMeta {
    id: "lti.tool.sec.bad-signature",
    title: "id_token signed by another key under the platform's kid",
    role: ROLE,
    spec_document: SEC,
    spec_section: "5.1.3 Authentication Response Validation, item 1",
    spec_url: "https://www.imsglobal.org/spec/security/v1p0/#authentication-response-validation",
    requirement: "The Tool MUST Validate the signature of the ID Token according to JSON Web Signature [RFC7515], Section 5.2 using the Public Key from the Platform;",
    level: Level::Must,
    official: false,
    tags: &["security", "extension"],
    exclusive: false,
};

/// HX-SEC-09 (with HX-SEC-08): a replayed id_token in a new login.
pub const SEC_NONCE_REPLAY: CaseMeta = CaseMeta {
    id: "lti.tool.sec.nonce-replay",
    title: "id_token replayed in a new login (nonce reuse)",
    role: ROLE,
    spec_document: SEC,
    spec_section: "5.1.1.2 Authentication Request (nonce); 5.1.3 Authentication Response Validation, item 9",
    spec_url: "https://www.imsglobal.org/spec/security/v1p0/#authentication-response-validation",
    requirement: "nonce REQUIRED. String value used to associate a Client session with an ID Token, and to mitigate replay attacks. The value is passed through unmodified from the Authentication Request to the ID Token. The ID Token MUST contain a nonce Claim. The Tool SHOULD verify that it has not yet received this nonce value (within a Tool-defined time window), in order to help prevent replay attacks.",
    level: Level::Must,
    official: false,
    tags: &["security", "extension"],
    exclusive: false,
};

/// A harness extension (HX) case: an accredit addition beyond the 1EdTech list.
#[allow(clippy::too_many_arguments)]
const fn hx(
    id: &'static str,
    title: &'static str,
    spec_document: &'static str,
    spec_section: &'static str,
    spec_url: &'static str,
    requirement: &'static str,
    level: Level,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: ROLE,
        spec_document,
        spec_section,
        spec_url,
        requirement,
        level,
        official: false,
        tags,
        exclusive: false,
    }
}

const CORE: &str = "LTI Core 1.3";
const OIDC: &str = "OpenID Connect Core 1.0";
const SEC_VALIDATION: &str =
    "https://www.imsglobal.org/spec/security/v1p0/#authentication-response-validation";
const SEC_AUD_3: &str = "5.1.3 Authentication Response Validation, item 3";
const AUD_RULE: &str = "The Tool MUST validate that the aud (audience) Claim contains its client_id value registered as an audience with the Issuer identified by the iss (Issuer) Claim. The aud (audience) Claim MAY contain an array with more than one element. The Tool MUST reject the ID Token if it does not list the client_id as a valid audience, or if it contains additional audiences not trusted by the Tool. The request message will be rejected with a HTTP code of 401;";
const ISS_RULE: &str = "The Issuer Identifier for the Platform MUST exactly match the value of the iss (Issuer) Claim (therefore the Tool MUST previously have been made aware of this identifier).";
const ALG_RULE: &str = "The alg value SHOULD be the default of RS256 or the algorithm sent by the Tool in the id_token_signed_response_alg parameter during its registration. Use of algorithms other than RS256 SHOULD be used only when agreed between Platform and Tool. CERT 4.2: The use of Symmetric Cryptosystems SHALL NOT be considered legal and use of them is expressly forbidden.";
const EXP_RULE: &str = "Expiration time on or after which the Tool MUST NOT accept the ID Token for processing. When processing this parameter, the Tool MUST verify that the time expressed in this Claim occurs after the current date/time. Implementers MAY provide for some small leeway, usually no more than a few minutes, to account for clock skew.";

/// HX-SEC-01: `aud` array holding the client_id, with `azp` = client_id.
pub const SEC_AUD_ARRAY_AZP: CaseMeta = hx(
    "lti.tool.sec.aud.array-with-azp",
    "aud is an array holding the client_id, azp is the client_id (accept)",
    SEC,
    "5.1.3 Authentication Response Validation, items 3-5",
    SEC_VALIDATION,
    "The aud (audience) Claim MAY contain an array with more than one element. If the ID Token contains multiple audiences, the Tool SHOULD verify that an azp Claim is present; If an azp (authorized party) Claim is present, the Tool SHOULD verify that its client_id is the Claim's value;",
    Level::Should,
    &["security", "extension", "aud"],
);

/// HX-SEC-03: `aud` holds an extra, untrusted audience and there is no `azp`.
pub const SEC_AUD_UNTRUSTED: CaseMeta = hx(
    "lti.tool.sec.aud.untrusted-no-azp",
    "aud holds an extra untrusted audience and no azp (reject)",
    SEC,
    SEC_AUD_3,
    SEC_VALIDATION,
    AUD_RULE,
    Level::Must,
    &["security", "extension", "aud"],
);

/// HX-SEC-02: `azp` names another client.
pub const SEC_AZP_MISMATCH: CaseMeta = hx(
    "lti.tool.sec.aud.azp-mismatch",
    "aud array with azp naming another client (reject)",
    SEC,
    "5.1.3 Authentication Response Validation, item 5",
    SEC_VALIDATION,
    "If an azp (authorized party) Claim is present, the Tool SHOULD verify that its client_id is the Claim's value;",
    Level::Should,
    &["security", "extension", "aud"],
);

/// HX-SEC-04: `aud` is another client.
pub const SEC_AUD_WRONG: CaseMeta = hx(
    "lti.tool.sec.aud.wrong",
    "aud is another client's id (reject)",
    SEC,
    SEC_AUD_3,
    SEC_VALIDATION,
    AUD_RULE,
    Level::Must,
    &["security", "extension", "aud"],
);

/// HX-SEC-05: another issuer.
pub const SEC_ISS_WRONG: CaseMeta = hx(
    "lti.tool.sec.iss.wrong",
    "iss is not the registered issuer (reject)",
    SEC,
    "5.1.3 Authentication Response Validation, item 2",
    SEC_VALIDATION,
    ISS_RULE,
    Level::Must,
    &["security", "extension", "iss"],
);

/// HX-SEC-05: the registered issuer plus a trailing slash.
pub const SEC_ISS_SLASH: CaseMeta = hx(
    "lti.tool.sec.iss.trailing-slash",
    "iss is the registered issuer with a trailing slash (reject: exact match)",
    SEC,
    "5.1.3 Authentication Response Validation, item 2",
    SEC_VALIDATION,
    ISS_RULE,
    Level::Must,
    &["security", "extension", "iss"],
);

/// HX-SEC-07: `alg: none`.
pub const SEC_ALG_NONE: CaseMeta = hx(
    "lti.tool.sec.alg-none",
    "unsigned id_token (alg none, the platform's kid)",
    SEC,
    "5.1.3 Authentication Response Validation, items 1 and 6; 5.4 Message Signing",
    SEC_VALIDATION,
    "The Tool MUST Validate the signature of the ID Token according to JSON Web Signature [RFC7515], Section 5.2 using the Public Key from the Platform; Message Tool JWTs MUST NOT use none as the alg value.",
    Level::Must,
    &["security", "extension", "alg"],
);

/// HX-SEC-07: HS256 keyed with the platform's public key.
pub const SEC_ALG_HS256: CaseMeta = hx(
    "lti.tool.sec.alg-hs256-key-confusion",
    "HS256 id_token keyed with the platform's public key (alg confusion)",
    SEC,
    "5.1.3 Authentication Response Validation, item 6; CERT 4.2",
    SEC_VALIDATION,
    ALG_RULE,
    Level::Must,
    &["security", "extension", "alg"],
);

/// HX-SEC-08: the id_token's nonce is one the tool issued for another login.
pub const SEC_NONCE_UNBOUND: CaseMeta = hx(
    "lti.tool.sec.nonce-unbound",
    "id_token nonce is the tool's nonce of another login in the same browser (reject)",
    OIDC,
    "3.1.3.7 ID Token Validation, item 11 (SEC 5.1.1.2 nonce; 5.1.3 item 9)",
    "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
    "If a nonce value was sent in the Authentication Request, a nonce Claim MUST be present and its value checked to verify that it is the same value as the one that was sent in the Authentication Request. SEC: The value is passed through unmodified from the Authentication Request to the ID Token.",
    Level::Must,
    &["security", "extension", "nonce"],
);

/// HX-SEC-10: the platform posts back a state the tool never issued.
pub const SEC_STATE_MISMATCH: CaseMeta = hx(
    "lti.tool.sec.state-mismatch",
    "state posted back is not the one the tool sent (reject)",
    SEC,
    "5.1.1.3 Step 3: Authentication Response; 5.1.1.4 Step 4: Resource is displayed",
    "https://www.imsglobal.org/spec/security/v1p0/#step-4-resource-is-displayed",
    "The tool, after decoding and validating the id_token and verified the state matches the current state attached to the browser session, will display the resource. (state: Opaque value for the platform to maintain state between the request and callback and provide Cross-Site Request Forgery (CSRF) mitigation.)",
    Level::Must,
    &["security", "extension", "state"],
);

/// HX-SEC-11: a deployment_id the tool never registered.
pub const SEC_UNKNOWN_DEPLOYMENT: CaseMeta = hx(
    "lti.tool.sec.unknown-deployment",
    "deployment_id never registered with the tool (reject)",
    CORE,
    "3.1.3 Tool deployment; 5.3.3 Deployment ID claim",
    "https://www.imsglobal.org/spec/lti/v1p3/#tool-deployment",
    "When a user deploys a tool within their tool platform, the platform MUST generate an immutable deployment_id identifier to identify the integration. Every message between the platform and tool MUST include the deployment_id in addition to the client_id.",
    Level::Should,
    &["security", "extension", "deployment"],
);

/// HX-SEC-12: iat a few seconds in the future (clock skew within a small leeway).
pub const SEC_SKEW_WITHIN: CaseMeta = hx(
    "lti.tool.sec.clock-skew.within-leeway",
    "iat 5 s in the future: small clock skew (accept)",
    SEC,
    "5.1.2 ID Token (exp, iat)",
    "https://www.imsglobal.org/spec/security/v1p0/#id-token",
    EXP_RULE,
    Level::Should,
    &["security", "extension", "time"],
);

/// HX-SEC-12: expired ten minutes ago, beyond any reasonable leeway.
pub const SEC_SKEW_BEYOND: CaseMeta = hx(
    "lti.tool.sec.clock-skew.beyond-leeway",
    "exp 10 minutes in the past: beyond a small leeway (reject)",
    SEC,
    "5.1.2 ID Token (exp)",
    "https://www.imsglobal.org/spec/security/v1p0/#id-token",
    EXP_RULE,
    Level::Must,
    &["security", "extension", "time"],
);

/// HX-SEC-13: the platform rotates its key mid-run.
pub const SEC_KID_ROTATION: CaseMeta = hx(
    "lti.tool.sec.kid-rotation",
    "platform rotates its key: new kid after a first launch (tool re-fetches the JWKS)",
    SEC,
    "6.4 Issuer Public Key Rotation",
    "https://www.imsglobal.org/spec/security/v1p0/#issuer-public-key-rotation",
    "When the Issuer rotates its public key, the Issuer MUST add it to the JSON Key Set under a new kid. Other parties can then download a new version of the JSON Key Set.",
    Level::Should,
    &["security", "extension", "jwks"],
);

/// HX-OIDC-T-03: target_link_uri carrying a query string.
pub const OIDC_TARGET_QUERY: CaseMeta = hx(
    "lti.tool.oidc.target-link-uri-query",
    "target_link_uri with a query string (accept; the claim matches the login parameter)",
    CORE,
    "5.3.4 Target link URI",
    "https://www.imsglobal.org/spec/lti/v1p3/#target-link-uri",
    "The required https://purl.imsglobal.org/spec/lti/claim/target_link_uri MUST be the same value as the target_link_uri passed by the platform in the OIDC third party initiated login request. A Tool should rely on this claim rather than the initial target_link_uri to do the final redirection, since the login initiation request is unsigned.",
    Level::Must,
    &["oidc", "extension"],
);

const DL_SECTION: &str = "6.2 Deep Linking Message testing";
const DL_URL: &str = "https://www.imsglobal.org/spec/lti/v1p3/cert/#deep-linking-message-testing";

/// T-DL-01/02 "Send the Request Payload", "Receive the Response Payload".
pub const DL_REQUEST: CaseMeta = CaseMeta {
    id: "lti.tool.dl.request",
    title: "Deep Linking request accepted and a response posted to deep_link_return_url",
    role: ROLE,
    spec_document: CERT,
    spec_section: DL_SECTION,
    spec_url: DL_URL,
    requirement: "Send the Request Payload: Send Deep Linking Request Payload to the Tool. Receive the Response Payload: Verify Deep Linking Response Payload was Received. DL 2.3: the tool redirects the user back to the platform's deep_link_return_url with an auto-submitted form POST carrying the JWT.",
    level: Level::Must,
    official: true,
    tags: &["deep-linking"],
    exclusive: false,
};

/// T-DL-03..06 "Response Format Valid", "Response Timestamps Valid", "Signature
/// Valid", "Required Claims Verified".
pub const DL_RESPONSE: CaseMeta = CaseMeta {
    id: "lti.tool.dl.response",
    title: "Deep Linking response: format, timestamps, signature and required claims",
    role: ROLE,
    spec_document: CERT,
    spec_section: DL_SECTION,
    spec_url: DL_URL,
    requirement: "Response Format Valid: Verify Response is Deep Linking Response. Response Timestamps Valid. Signature Valid: Deep Linking - Verify JWT Signature. Required Claims Verified: Deep Linking - Verify Required Claims Present. DL 4.5: iss = client_id, aud = platform issuer, nonce, message_type LtiDeepLinkingResponse, version 1.3.0, deployment_id, data (required if present in the request).",
    level: Level::Must,
    official: true,
    tags: &["deep-linking", "security"],
    exclusive: false,
};

const DL_SPEC: &str = "LTI Deep Linking 2.0";

/// T-DL-08 (OPTIONAL) "Core Launch of Passed LTI Link" (the official
/// validator's UI, lti-catalog.md §1c): the platform launches the
/// `ltiResourceLink` item the tool returned, with the item's `url` as
/// `target_link_uri` and its `custom` map as the custom claim; the tool must
/// accept the launch of its own link. What the tool then does with the custom
/// parameters is not observable from outside, so acceptance is the verdict.
/// Skipped when the tool returned no `ltiResourceLink` (nothing to launch) or
/// the profile has no `jwks_url` (the response cannot be verified, and a
/// platform creates no link from an unverified response).
pub const DL_LAUNCH_ITEM: CaseMeta = CaseMeta {
    id: "lti.tool.dl.launch-returned-link",
    title: "Core Launch of Passed LTI Link (optional): the returned ltiResourceLink launches",
    role: ROLE,
    spec_document: DL_SPEC,
    spec_section: "3.2 LTI Resource Link (CERT 6.2, validator test \"Core Launch of Passed LTI Link\")",
    spec_url: "https://www.imsglobal.org/spec/lti-dl/v2p0#lti-resource-link",
    requirement: "Core Launch of Passed LTI Link (optional): launch the LTI link the tool passed back. url: If a platform receives a url then it MUST use this url as the target_link_uri in the LtiResourceLinkRequest payload. custom: A map of key/value custom parameters. Those parameters MUST be included in the LtiResourceLinkRequest payload.",
    level: Level::May,
    official: true,
    tags: &["deep-linking", "launch", "optional"],
    exclusive: false,
};

/// HX-DL-T-02: a Deep Linking request with `accept_types = ["link"]` and
/// `accept_multiple = false`; the response may hold only `link` items, at most
/// one. Design: the platform's own content-items rule
/// (`accredit_mock_platform::DL_CHECKS`, last entry: types, multiplicity and
/// each type's required members) is one check; the two constraints under test
/// are also checked by name from the response's claims, so the report says
/// which one broke. A response with no items honours both trivially but
/// exercises neither: `review`, never `pass`. A tool that shows a picker
/// instead of answering is left for review as in `lti.tool.dl.request`. A tool
/// that refuses the request (pylti1p3 refuses any request whose accept_types
/// lack `ltiResourceLink`) returns nothing unaccepted but strands the user on
/// an error page: `warn` (DL §2.3, return to the platform even with no item).
pub const DL_ACCEPT_TYPES: CaseMeta = hx(
    "lti.tool.dl.accept-types",
    "Deep Linking: only accepted types (link), and one item when accept_multiple is false",
    DL_SPEC,
    "4.4.1 Deep linking settings (accept_types, accept_multiple)",
    "https://www.imsglobal.org/spec/lti-dl/v2p0#deep-linking-settings",
    "accept_types (required): An array of types accepted, e.g., [\"link\", \"ltiResourceLink\"]. accept_multiple (optional): Boolean - Whether the platform allows multiple content items to be submitted in a single response.",
    Level::Must,
    &["deep-linking", "extension"],
);

/// HX-DL-T-01: the user cancels the selection; the tool still posts a response,
/// with no content items (Deep Linking 2.0 §2.3, a SHOULD: warns).
///
/// Design: a harness cannot press "cancel" in a tool's picker, and no standard
/// says how to. The profile's `dl_cancel_url` names a Deep Linking
/// `target_link_uri` the tool documents as behaving like its cancel button (the
/// reference tool: its launch URL with `dl_action=cancel`,
/// `accredit_mock_tool::DL_CANCEL_QUERY`). Without it, the case still sends a
/// Deep Linking request (so the evidence holds the tool's picker page) and is
/// `review`, with the reason: never `pass`.
pub const DL_CANCEL: CaseMeta = hx(
    "lti.tool.dl.cancel",
    "Deep Linking: a cancelled selection still posts a response, with no items",
    DL_SPEC,
    "2.3 Redirection back to the platform",
    "https://www.imsglobal.org/spec/lti-dl/v2p0#redirection-back-to-the-platform",
    "By best practice, a tool SHOULD always ensure to redirect the user's browser back to this endpoint, even if the user selects or creates no items. The tool passes back to the platform details of any selected or created items in a JSON array (this array could be empty, if no item was selected or created).",
    Level::Should,
    &["deep-linking", "extension"],
);

/// HX-SEC-14: the tool's key set, fetched from the profile's `jwks_url` (skipped
/// without one). Every key: `kid` (unique), `kty` RSA, `n` and `e`; no private
/// member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`); `alg` RS256 is advised
/// (warns when absent or different), since the Security Framework mandates
/// RS256 as the minimum for RSA keys but not the member.
pub const SEC_JWKS: CaseMeta = hx(
    "lti.tool.sec.jwks",
    "The tool's JWKS: RSA public keys only, each with a unique kid, n and e",
    SEC,
    "6.2 JSON Web Key; 6.3 Key Set URL",
    "https://www.imsglobal.org/spec/security/v1p0/#h_key-set-url",
    "When using RSA keys, they MUST include the n (modulus) and e (exponent) as defined in [RFC7518]. The supplier of the key set URL MUST use the kid parameter to identify the keys. Even when there is only one key in a key-set a kid MUST be supplied. The Issuer MUST NOT reuse the kid identifier to identify different public keys of the same type (kty). (RSA Key: they MUST use SHA-256 (RS256) as a minimum; a published key set carries public keys only, RFC 7517.)",
    Level::Must,
    &["security", "extension", "jwks"],
);

/// T-NRPS-01..05 (CERT §6.3): the tool calls NRPS after an instructor launch.
pub const NRPS_MEMBERSHIPS: CaseMeta = CaseMeta {
    id: "lti.tool.nrps.memberships",
    title: "NRPS: the tool gets a token and requests the memberships after a launch",
    role: ROLE,
    spec_document: CERT,
    spec_section: "6.3 Names and Role Provisioning Services Testing",
    spec_url: "https://www.imsglobal.org/spec/lti/v1p3/cert/#names-and-role-provisioning-services-testing",
    requirement: "The Tool is required to acquire an OAuth2 token from the IMS Global testing OAuth2 server and then do the GET to the known service instantiation URL communicated in the testing setup. Received Request; Verify JSON Header; Verify Bearer Token; Verify Bearer Scope. SEC 4.1.1: the JWT MUST contain iss, sub (the client_id), aud (the token endpoint), iat, exp and jti.",
    level: Level::Must,
    official: true,
    tags: &["nrps", "services"],
    // The token request carries no per-launch key: nothing may run beside it.
    exclusive: true,
};

/// HX-NRPS-T-01: the tool follows `Link: rel="next"` verbatim to the last page.
pub const NRPS_PAGING: CaseMeta = CaseMeta {
    id: "lti.tool.nrps.paging",
    title: "NRPS: the tool follows Link rel=\"next\" verbatim through every page",
    role: ROLE,
    spec_document: "LTI Names and Role Provisioning Services 2.0",
    spec_section: "2.4 Limit query parameter",
    spec_url: "https://www.imsglobal.org/spec/lti-nrps/v2p0#limit-query-parameter",
    requirement: "The platform may limit the number of members returned in a response. In that case the response MUST include a link header with rel=\"next\" to the next page. A tool retrieves the full membership by following the next page links (RFC 8288: the link target is used as given).",
    level: Level::Must,
    official: false,
    tags: &["nrps", "services", "extension"],
    exclusive: true,
};

/// Every case, in report order.
pub fn cases() -> Vec<Case<Fixture>> {
    let mut all: Vec<Case<Fixture>> = vec![
        Case {
            meta: LAUNCH_INSTRUCTOR,
            run: |fx, cx| valid_launch(fx, cx, Persona::Instructor, LoginMethod::Get).boxed(),
        },
        Case {
            meta: LAUNCH_STUDENT,
            run: |fx, cx| valid_launch(fx, cx, Persona::Learner, LoginMethod::Post).boxed(),
        },
        Case {
            meta: BAD_NO_KID,
            run: |fx, cx| {
                bad_payload(fx, cx, "an id_token without kid", |fx, claims| {
                    let mut header = rs256_header(fx.platform.key());
                    set(&mut header, "kid", Value::Null);
                    Ok(LaunchPlan::signed(claims).with_header(header))
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_INCORRECT_KID,
            run: |fx, cx| {
                bad_payload(
                    fx,
                    cx,
                    "an id_token whose kid is not in the JWKS",
                    |fx, claims| {
                        let mut header = rs256_header(fx.platform.key());
                        set(&mut header, "kid", json!("accredit-unpublished-kid-0001"));
                        Ok(LaunchPlan::signed(claims).with_header(header))
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: BAD_TIMESTAMPS,
            run: |fx, cx| {
                bad_payload(
                    fx,
                    cx,
                    "an expired id_token (iat 11111, exp 22222)",
                    |_, mut claims| {
                        set(&mut claims, "iat", json!(11111));
                        set(&mut claims, "exp", json!(22222));
                        Ok(LaunchPlan::signed(claims))
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: BAD_WRONG_VERSION,
            run: |fx, cx| {
                bad_claims(fx, cx, "an id_token whose LTI version is 11.3", |c| {
                    set(c, &format!("{LTI}version"), json!("11.3"));
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_NO_VERSION,
            run: |fx, cx| {
                bad_claims(fx, cx, "an id_token without the version claim", |c| {
                    set(c, &format!("{LTI}version"), Value::Null);
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_NOT_LTI,
            run: |fx, cx| {
                bad_payload(fx, cx, "a signed JWT that is not an LTI message", |_, _| {
                    // The whole body is replaced, and the header is empty (no alg, no kid).
                    let mut plan =
                        LaunchPlan::signed(json!({"name": "accredit-not-an-lti-launch"}))
                            .with_header(json!({}));
                    plan.nonce = NonceRule::AsGiven;
                    Ok(plan)
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_MISSING_CLAIMS,
            run: |fx, cx| {
                bad_claims(
                    fx,
                    cx,
                    "an id_token without message_type, version and roles",
                    |c| {
                        for n in ["message_type", "version", "roles"] {
                            set(c, &format!("{LTI}{n}"), Value::Null);
                        }
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: BAD_NO_MESSAGE_TYPE,
            run: |fx, cx| {
                bad_claims(fx, cx, "an id_token without message_type", |c| {
                    set(c, &format!("{LTI}message_type"), Value::Null);
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_NO_ROLES,
            run: |fx, cx| {
                bad_claims(fx, cx, "an id_token without the roles claim", |c| {
                    set(c, &format!("{LTI}roles"), Value::Null);
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_NO_DEPLOYMENT,
            run: |fx, cx| {
                bad_claims(fx, cx, "an id_token without deployment_id", |c| {
                    set(c, &format!("{LTI}deployment_id"), Value::Null);
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_NO_RESOURCE_LINK,
            run: |fx, cx| {
                bad_claims(fx, cx, "an id_token without the resource_link claim", |c| {
                    set(c, &format!("{LTI}resource_link"), Value::Null);
                })
                .boxed()
            },
        },
        Case {
            meta: BAD_EMPTY_SUB,
            run: |fx, cx| {
                bad_claims(fx, cx, "an id_token whose sub is empty", |c| {
                    set(c, "sub", json!(""));
                })
                .boxed()
            },
        },
        Case {
            meta: SEC_BAD_SIGNATURE,
            run: |fx, cx| {
                bad_payload(
                    fx,
                    cx,
                    "an id_token with a signature from another key",
                    |fx, claims| {
                        let foreign = SigningKey::generate()
                            .map_err(|e| format!("could not generate the foreign key: {e}"))?
                            .with_kid(fx.platform.key().kid());
                        Ok(LaunchPlan::signed(claims).signed_by(Signer::Key(foreign)))
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_NONCE_REPLAY,
            run: |fx, cx| nonce_replay(fx, cx).boxed(),
        },
        Case {
            meta: SEC_AUD_ARRAY_AZP,
            run: |fx, cx| {
                accept_claims(fx, cx, Level::Should, |fx, c| {
                    set(c, "aud", json!([fx.profile.client_id, OTHER_AUD]));
                    set(c, "azp", json!(fx.profile.client_id));
                })
                .boxed()
            },
        },
        Case {
            meta: SEC_AUD_UNTRUSTED,
            run: |fx, cx| {
                refuse_claims(
                    fx,
                    cx,
                    Outcome::Fail,
                    "aud [client_id, an untrusted audience] without azp",
                    |fx, c| {
                        set(c, "aud", json!([fx.profile.client_id, OTHER_AUD]));
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_AZP_MISMATCH,
            run: |fx, cx| {
                refuse_claims(
                    fx,
                    cx,
                    Outcome::Warn,
                    "aud [another client, client_id] with azp = the other client",
                    |fx, c| {
                        set(c, "aud", json!([OTHER_AUD, fx.profile.client_id]));
                        set(c, "azp", json!(OTHER_AUD));
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_AUD_WRONG,
            run: |fx, cx| {
                refuse_claims(
                    fx,
                    cx,
                    Outcome::Fail,
                    "an id_token whose aud is another client",
                    |_, c| {
                        set(c, "aud", json!(OTHER_AUD));
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_ISS_WRONG,
            run: |fx, cx| {
                refuse_claims(
                    fx,
                    cx,
                    Outcome::Fail,
                    "an id_token from another issuer",
                    |_, c| {
                        set(c, "iss", json!("https://other-platform.accredit.test"));
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_ISS_SLASH,
            run: |fx, cx| {
                refuse_claims(
                    fx,
                    cx,
                    Outcome::Fail,
                    "an id_token whose iss has an extra trailing slash",
                    |fx, c| {
                        set(c, "iss", json!(format!("{}/", fx.profile.issuer.as_str())));
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_ALG_NONE,
            run: |fx, cx| {
                bad_payload(fx, cx, "an unsigned id_token (alg none)", |_, claims| {
                    Ok(LaunchPlan::signed(claims).signed_by(Signer::Unsigned))
                })
                .boxed()
            },
        },
        Case {
            meta: SEC_ALG_HS256,
            run: |fx, cx| {
                bad_payload(
                    fx,
                    cx,
                    "an HS256 id_token keyed with the platform's public key PEM",
                    |fx, claims| {
                        let pem = fx.platform.key().public_pem().map_err(|e| {
                            format!("could not export the platform public key: {e}")
                        })?;
                        Ok(LaunchPlan::signed(claims).signed_by(Signer::Hs256(pem)))
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_NONCE_UNBOUND,
            run: |fx, cx| nonce_unbound(fx, cx).boxed(),
        },
        Case {
            meta: SEC_STATE_MISMATCH,
            run: |fx, cx| {
                bad_payload(
                    fx,
                    cx,
                    "a launch whose state the tool never issued",
                    |_, claims| {
                        let forged =
                            format!("accredit-forged-state-{}", uuid::Uuid::new_v4().simple());
                        Ok(LaunchPlan::signed(claims).with_state(forged))
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_UNKNOWN_DEPLOYMENT,
            run: |fx, cx| {
                refuse_claims(
                    fx,
                    cx,
                    Outcome::Warn,
                    "an id_token with an unregistered deployment_id",
                    |_, c| {
                        set(
                            c,
                            &format!("{LTI}deployment_id"),
                            json!("accredit-unregistered-deployment"),
                        );
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_SKEW_WITHIN,
            run: |fx, cx| {
                accept_claims(fx, cx, Level::Should, |_, c| {
                    let now = now_secs();
                    set(c, "iat", json!(now + 5));
                    set(c, "exp", json!(now + 300));
                })
                .boxed()
            },
        },
        Case {
            meta: SEC_SKEW_BEYOND,
            run: |fx, cx| {
                refuse_claims(
                    fx,
                    cx,
                    Outcome::Fail,
                    "an id_token that expired 10 minutes ago",
                    |_, c| {
                        let now = now_secs();
                        set(c, "iat", json!(now - 900));
                        set(c, "exp", json!(now - 600));
                    },
                )
                .boxed()
            },
        },
        Case {
            meta: SEC_KID_ROTATION,
            run: |fx, cx| kid_rotation(fx, cx).boxed(),
        },
        Case {
            meta: SEC_JWKS,
            run: |fx, cx| tool_jwks(fx, cx).boxed(),
        },
        Case {
            meta: OIDC_TARGET_QUERY,
            run: |fx, cx| target_with_query(fx, cx).boxed(),
        },
        Case {
            meta: DL_REQUEST,
            run: |fx, cx| dl_request(fx, cx).boxed(),
        },
        Case {
            meta: DL_RESPONSE,
            run: |fx, cx| dl_response(fx, cx).boxed(),
        },
        Case {
            meta: DL_LAUNCH_ITEM,
            run: |fx, cx| dl_launch_item(fx, cx).boxed(),
        },
        Case {
            meta: DL_ACCEPT_TYPES,
            run: |fx, cx| dl_accept_types(fx, cx).boxed(),
        },
        Case {
            meta: DL_CANCEL,
            run: |fx, cx| dl_cancel(fx, cx).boxed(),
        },
        Case {
            meta: NRPS_MEMBERSHIPS,
            run: |fx, cx| nrps_memberships(fx, cx).boxed(),
        },
        Case {
            meta: NRPS_PAGING,
            run: |fx, cx| nrps_paging(fx, cx).boxed(),
        },
    ]
    .into_iter()
    .chain(crate::ags::cases())
    .collect();
    // The official role and PII variants follow the two plain valid launches.
    let at = 2.min(all.len());
    all.splice(at..at, crate::launch_variants::cases());
    all
}

fn marker(fx: &Fixture) -> Option<&str> {
    fx.profile.success_marker.as_deref()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Records one check per authentication-request parameter (Security Framework
/// §5.1.1.2). Returns false when the browser never reached the platform.
fn check_auth_request(v: &mut Verdict, fx: &Fixture, attempt: &Attempt, run: &LaunchRun) -> bool {
    let reached = run.auth.is_some();
    let why = run
        .undelivered_reason(&fx.platform, &attempt.login_hint)
        .filter(|_| !reached)
        .unwrap_or_default();
    if !v.require(
        "login initiation redirects the browser to the platform's authentication endpoint",
        reached,
        why,
    ) {
        return false;
    }
    let params = run.auth_params().unwrap_or_default();
    let exact = |v: &mut Verdict, name: &str, want: &str, what: &str| {
        let got = param(&params, name);
        v.require(
            format!("auth request: {name} {what}"),
            got == Some(want),
            match got {
                Some(g) => format!("expected `{want}`, got `{g}`"),
                None => format!("`{name}` missing (expected `{want}`)"),
            },
        );
    };
    let scope_ok = param(&params, "scope").is_some_and(|s| s.split(' ').any(|x| x == "openid"));
    v.require(
        "auth request: scope contains openid",
        scope_ok,
        format!("scope is {:?}", param(&params, "scope")),
    );
    exact(v, "response_type", "id_token", "= id_token");
    exact(v, "response_mode", "form_post", "= form_post");
    exact(v, "prompt", "none", "= none");
    exact(
        v,
        "client_id",
        &fx.profile.client_id,
        "is the tool's client_id",
    );
    let registered = fx.profile.redirect_uris();
    let redirect = param(&params, "redirect_uri");
    v.require(
        "auth request: redirect_uri is a registered redirect URI",
        redirect.is_some_and(|r| registered.iter().any(|x| x == r)),
        format!("redirect_uri {redirect:?}, registered {registered:?}"),
    );
    exact(v, "login_hint", &attempt.login_hint, "echoed unaltered");
    exact(
        v,
        "lti_message_hint",
        &attempt.message_hint,
        "echoed unaltered",
    );
    for name in ["state", "nonce"] {
        v.require(
            format!("auth request: {name} present"),
            param(&params, name).is_some_and(|s| !s.is_empty()),
            format!("`{name}` missing or empty"),
        );
    }
    true
}

fn new_ua(fx: &Fixture, cx: &CaseCx) -> Result<UserAgent, Verdict> {
    let ua = UserAgent::for_case(cx).map_err(|e| Verdict::error(e.to_string()))?;
    Ok(match url::Url::parse(&fx.platform.endpoints().base_url) {
        Ok(base) => ua.with_mock_origin(&base),
        Err(_) => ua,
    })
}

/// A valid launch: every auth-request parameter, the platform's acceptance, and
/// the tool's acceptance are separate checks.
async fn valid_launch(fx: &Fixture, cx: &CaseCx, persona: Persona, method: LoginMethod) -> Verdict {
    valid_launch_with(fx, cx, persona, method, |_| {}).await
}

/// A valid launch whose claims are first edited by `edit` (the official
/// role and PII variants): the tool must accept it like the plain one.
pub(crate) async fn valid_launch_with(
    fx: &Fixture,
    cx: &CaseCx,
    persona: Persona,
    method: LoginMethod,
    edit: fn(&mut Value),
) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let attempt = Attempt::new(cx);
    let mut claims = resource_link_launch(&fx.profile, persona, &attempt.tag);
    edit(&mut claims);
    let run = match run_user_launch(fx, cx, &ua, &attempt, LaunchPlan::signed(claims), method).await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    let mut v = Verdict::new();
    if !check_auth_request(&mut v, fx, &attempt, &run) {
        return v;
    }
    let delivered = run.delivered.is_some();
    let why = run
        .undelivered_reason(&fx.platform, &attempt.login_hint)
        .unwrap_or_default();
    if v.require(
        "the platform accepted the authentication request and posted the id_token",
        delivered,
        why,
    ) {
        require_accepted(&mut v, &run, marker(fx));
    }
    v
}

type PlanFn = fn(&Fixture, Value) -> Result<LaunchPlan, String>;

/// A known-bad launch: delivered through the full OIDC flow, must be refused.
async fn bad_payload(fx: &Fixture, cx: &CaseCx, what: &str, plan: PlanFn) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let attempt = Attempt::new(cx);
    let claims = resource_link_launch(&fx.profile, Persona::Learner, &attempt.tag);
    let plan = match plan(fx, claims) {
        Ok(p) => p,
        Err(e) => return Verdict::error(e),
    };
    deliver_bad(fx, cx, &ua, &attempt, plan, what).await
}

/// A known-bad launch made by editing the claims of a valid learner launch
/// (signed normally by the platform).
async fn bad_claims(fx: &Fixture, cx: &CaseCx, what: &str, edit: fn(&mut Value)) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let attempt = Attempt::new(cx);
    let mut claims = resource_link_launch(&fx.profile, Persona::Learner, &attempt.tag);
    edit(&mut claims);
    deliver_bad(fx, cx, &ua, &attempt, LaunchPlan::signed(claims), what).await
}

async fn deliver_bad(
    fx: &Fixture,
    cx: &CaseCx,
    ua: &UserAgent,
    attempt: &Attempt,
    plan: LaunchPlan,
    what: &str,
) -> Verdict {
    let run = match run_launch(fx, cx, ua, attempt, plan, LoginMethod::Get).await {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    if let Some(why) = run.undelivered_reason(&fx.platform, &attempt.login_hint) {
        return Verdict::error(format!(
            "precondition failed, {what} could not be delivered: {why}"
        ));
    }
    let mut v = Verdict::new();
    judge_refusal(&mut v, &run, marker(fx), what);
    v
}

/// HX-SEC-09: a valid launch, then a new login whose id_token is the first one
/// replayed (so its nonce is neither the new login's nor unused).
async fn nonce_replay(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let first = Attempt::new(cx);
    let claims = resource_link_launch(&fx.profile, Persona::Instructor, &first.tag);
    let run1 = match run_launch(
        fx,
        cx,
        &ua,
        &first,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    let mut pre = Verdict::new();
    if !require_accepted(&mut pre, &run1, marker(fx)) {
        return Verdict::error(format!(
            "precondition failed: the first, valid launch was not accepted ({}), so a replay cannot be tested",
            pre.message()
        ));
    }
    let Some(issued) = fx.platform.issued(&first.login_hint) else {
        return Verdict::error(
            "precondition failed: the platform issued no id_token for the first launch",
        );
    };
    cx.log("first launch accepted; replaying its id_token in a new login");
    let second = Attempt::new(cx);
    let run2 = match run_launch(
        fx,
        cx,
        &ua,
        &second,
        LaunchPlan::replaying(issued.id_token),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    if let Some(why) = run2.undelivered_reason(&fx.platform, &second.login_hint) {
        return Verdict::error(format!(
            "precondition failed, the replayed id_token could not be delivered: {why}"
        ));
    }
    let mut v = Verdict::new();
    v.check("the first, valid launch was accepted", Outcome::Pass, "");
    judge_refusal(
        &mut v,
        &run2,
        marker(fx),
        "the replayed id_token (nonce already used, not bound to this login)",
    );
    v
}

/// An audience that is not the tool's.
const OTHER_AUD: &str = "accredit-some-other-client";

type ClaimsEdit = fn(&Fixture, &mut Value);

/// Judges acceptance of a launch that must be accepted: `require` for a MUST,
/// `recommend` (warn) for a SHOULD.
fn judge_acceptance(v: &mut Verdict, run: &LaunchRun, marker: Option<&str>, level: Level) {
    if level == Level::Must {
        require_accepted(v, run, marker);
        return;
    }
    let mut strict = Verdict::new();
    if !require_accepted(&mut strict, run, marker) {
        v.recommend("valid launch accepted", false, strict.message());
    } else {
        v.recommend("valid launch accepted", true, "");
    }
}

/// A valid learner launch whose claims `edit` changes in a way the tool must accept.
async fn accept_claims(fx: &Fixture, cx: &CaseCx, level: Level, edit: ClaimsEdit) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let attempt = Attempt::new(cx);
    let mut claims = resource_link_launch(&fx.profile, Persona::Learner, &attempt.tag);
    edit(fx, &mut claims);
    let run = match run_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    if let Some(why) = run.undelivered_reason(&fx.platform, &attempt.login_hint) {
        return Verdict::error(format!(
            "precondition failed, the launch could not be delivered: {why}"
        ));
    }
    let mut v = Verdict::new();
    judge_acceptance(&mut v, &run, marker(fx), level);
    v
}

/// A launch whose claims `edit` breaks; acceptance counts as `accepted`
/// (`Fail` for a MUST, `Warn` for a SHOULD).
async fn refuse_claims(
    fx: &Fixture,
    cx: &CaseCx,
    accepted: Outcome,
    what: &str,
    edit: ClaimsEdit,
) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let attempt = Attempt::new(cx);
    let mut claims = resource_link_launch(&fx.profile, Persona::Learner, &attempt.tag);
    edit(fx, &mut claims);
    let run = match run_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    if let Some(why) = run.undelivered_reason(&fx.platform, &attempt.login_hint) {
        return Verdict::error(format!(
            "precondition failed, {what} could not be delivered: {why}"
        ));
    }
    let mut v = Verdict::new();
    judge_refusal_as(&mut v, &run, marker(fx), what, accepted);
    v
}

/// HX-SEC-08: a login the platform does not complete (its state and nonce stay
/// pending in the tool and in the browser), then a second login whose id_token
/// carries the *first* login's nonce. Only a tool that binds the nonce to the
/// login (not merely "a nonce I issued") refuses it.
async fn nonce_unbound(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let first = Attempt::new(cx);
    // No launch is planned for this login_hint: the platform answers the
    // authentication request with an error page and issues nothing.
    let run1 = match browse_login(fx, cx, &ua, &first, LoginMethod::Get).await {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    let nonce1 = fx
        .platform
        .auth_requests(&first.login_hint)
        .last()
        .and_then(|seen| param(&seen.params, "nonce").map(str::to_string));
    let Some(nonce1) = nonce1.filter(|n| !n.is_empty()) else {
        return Verdict::error(format!(
            "precondition failed: the first login sent no nonce to the platform ({})",
            run1.undelivered_reason(&fx.platform, &first.login_hint)
                .unwrap_or_default()
        ));
    };
    cx.log("first login left pending; its nonce goes into the second login's id_token");
    let second = Attempt::new(cx);
    let claims = resource_link_launch(&fx.profile, Persona::Learner, &second.tag);
    let run2 = match run_launch(
        fx,
        cx,
        &ua,
        &second,
        LaunchPlan::signed(claims).with_nonce(nonce1.clone()),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    if let Some(why) = run2.undelivered_reason(&fx.platform, &second.login_hint) {
        return Verdict::error(format!(
            "precondition failed, the launch could not be delivered: {why}"
        ));
    }
    let nonce2 = fx
        .platform
        .auth_requests(&second.login_hint)
        .last()
        .and_then(|seen| param(&seen.params, "nonce").map(str::to_string))
        .unwrap_or_default();
    let mut v = Verdict::new();
    if !v.require(
        "the two logins used different nonces",
        nonce2 != nonce1,
        format!("both logins sent nonce `{nonce1}`: the tool reuses nonces"),
    ) {
        return v;
    }
    judge_refusal(
        &mut v,
        &run2,
        marker(fx),
        "an id_token carrying the nonce of another, unfinished login",
    );
    v
}

/// HX-SEC-13: a first valid launch (the tool now holds the JWKS), then the
/// platform publishes a new key and signs the next launch with it.
async fn kid_rotation(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let first = Attempt::new(cx);
    let claims = resource_link_launch(&fx.profile, Persona::Instructor, &first.tag);
    let run1 = match run_launch(
        fx,
        cx,
        &ua,
        &first,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    let mut pre = Verdict::new();
    if !require_accepted(&mut pre, &run1, marker(fx)) {
        return Verdict::error(format!(
            "precondition failed: the first launch, signed with the current key, was not accepted ({})",
            pre.message()
        ));
    }
    let rotated = match SigningKey::generate_with_random_kid() {
        Ok(k) => k,
        Err(e) => return Verdict::error(format!("could not generate the rotated key: {e}")),
    };
    if let Err(e) = fx.platform.publish_key(&rotated) {
        return Verdict::error(format!("could not publish the rotated key: {e}"));
    }
    cx.log(format!(
        "platform published a new key (kid {}) beside the old one; the next launch is signed with it",
        rotated.kid()
    ));
    let second = Attempt::new(cx);
    let claims = resource_link_launch(&fx.profile, Persona::Instructor, &second.tag);
    let run2 = match run_launch(
        fx,
        cx,
        &ua,
        &second,
        LaunchPlan::signed(claims).signed_by(Signer::Key(rotated)),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    if let Some(why) = run2.undelivered_reason(&fx.platform, &second.login_hint) {
        return Verdict::error(format!(
            "precondition failed, the launch could not be delivered: {why}"
        ));
    }
    let mut v = Verdict::new();
    v.check(
        "the launch signed with the old key was accepted",
        Outcome::Pass,
        "",
    );
    judge_acceptance(&mut v, &run2, marker(fx), Level::Should);
    v
}

/// HX-OIDC-T-03: the login's target_link_uri carries a query string; the signed
/// claim carries the same value.
async fn target_with_query(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let mut attempt = Attempt::new(cx);
    let mut target = match url::Url::parse(fx.profile.launch_url.as_str()) {
        Ok(u) => u,
        Err(e) => return Verdict::error(format!("the launch URL is not a URL: {e}")),
    };
    target
        .query_pairs_mut()
        .append_pair("accredit_unit", "week-3")
        .append_pair("accredit_tag", &attempt.tag);
    let target = target.to_string();
    attempt.target_link_uri = Some(target.clone());
    let mut claims = resource_link_launch(&fx.profile, Persona::Learner, &attempt.tag);
    set(&mut claims, &format!("{LTI}target_link_uri"), json!(target));
    let run = match run_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Post,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    let mut v = Verdict::new();
    if !check_auth_request(&mut v, fx, &attempt, &run) {
        return v;
    }
    let why = run
        .undelivered_reason(&fx.platform, &attempt.login_hint)
        .unwrap_or_default();
    if v.require(
        "the platform accepted the authentication request and posted the id_token",
        run.delivered.is_some(),
        why,
    ) {
        require_accepted(&mut v, &run, marker(fx));
    }
    v
}

/// One Deep Linking launch and where (if anywhere) its response came back.
struct DlRun {
    attempt: Attempt,
    run: LaunchRun,
    /// Index of the hop that posted `JWT` to the platform's return endpoint.
    returned: Option<usize>,
}

/// What a Deep Linking case changes in the standard request.
#[derive(Debug, Default)]
struct DlOptions {
    /// The `target_link_uri` (login parameter and claim); `None` = the
    /// profile's `deep_link_url`, else its `launch_url`.
    target: Option<String>,
    /// Members of `deep_linking_settings` to replace.
    settings: Vec<(&'static str, Value)>,
}

async fn deep_link_launch(fx: &Fixture, cx: &CaseCx) -> Result<DlRun, Verdict> {
    deep_link_launch_with(fx, cx, DlOptions::default()).await
}

async fn deep_link_launch_with(
    fx: &Fixture,
    cx: &CaseCx,
    opts: DlOptions,
) -> Result<DlRun, Verdict> {
    let ua = new_ua(fx, cx)?;
    let mut attempt = Attempt::new(cx);
    attempt.target_link_uri = opts.target.clone().or_else(|| {
        fx.profile
            .deep_link_url
            .as_ref()
            .map(|u| u.as_str().to_string())
    });
    let data = format!("accredit-dl-data-{}", attempt.tag);
    cx.correlate(data.clone());
    let return_url = fx.platform.deep_link_return_url(&attempt.login_hint);
    let mut claims = deep_linking_request(&fx.profile, &attempt.tag, &return_url, &data);
    if let Some(target) = &opts.target {
        set(&mut claims, &format!("{LTI}target_link_uri"), json!(target));
    }
    if let Some(settings) = claims
        .get_mut(format!("{DL}deep_linking_settings"))
        .and_then(Value::as_object_mut)
    {
        for (name, value) in opts.settings {
            settings.insert(name.to_string(), value);
        }
    }
    let run = run_user_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    .map_err(Verdict::error)?;
    if let Some(why) = run.undelivered_reason(&fx.platform, &attempt.login_hint) {
        return Err(Verdict::error(format!(
            "precondition failed, the Deep Linking request could not be delivered: {why}"
        )));
    }
    let port = fx.platform.addr().port();
    let returned = run.delivered.and_then(|d| {
        run.journey
            .hops
            .iter()
            .enumerate()
            .skip(d + 1)
            .find_map(|(i, h)| {
                (h.nav.method == reqwest::Method::POST
                    && h.nav.url.port_or_known_default() == Some(port)
                    && h.nav.url.path() == DL_RETURN_PATH)
                    .then_some(i)
            })
    });
    Ok(DlRun {
        attempt,
        run,
        returned,
    })
}

/// T-DL-01/02: the tool accepts the request and returns to the platform.
async fn dl_request(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let dl = match deep_link_launch(fx, cx).await {
        Ok(d) => d,
        Err(v) => return v,
    };
    let mut v = Verdict::new();
    let launch_hop = dl.run.delivered.and_then(|i| dl.run.journey.hops.get(i));
    let status = launch_hop.map(|h| h.status).unwrap_or_default();
    let detail = launch_hop
        .map(|h| format!("HTTP {status}: {}", snippet(&h.response.text())))
        .unwrap_or_default();
    if !v.require(
        "the tool accepted the Deep Linking request",
        (200..400).contains(&status),
        detail,
    ) {
        return v;
    }
    let Some(i) = dl.returned else {
        // A selection UI the harness cannot operate: a human must judge.
        return Verdict::review(format!(
            "the tool answered the Deep Linking request with a page (HTTP {status}) and did not post a response to deep_link_return_url; if it shows a selection UI, complete it by hand and judge the evidence"
        ));
    };
    let posted_jwt = dl
        .run
        .journey
        .hops
        .get(i)
        .is_some_and(|h| h.nav.form.iter().any(|(k, v)| k == "JWT" && !v.is_empty()));
    v.require(
        "the response was posted to deep_link_return_url (query kept) with a JWT form field",
        posted_jwt
            && !fx
                .platform
                .deep_link_returns(&dl.attempt.login_hint)
                .is_empty(),
        "the POST to the return URL carried no `JWT` field, or lost the return URL's query",
    );
    v
}

/// T-DL-03..06: every rule the platform applied to the response, one check each.
async fn dl_response(fx: &Fixture, cx: &CaseCx) -> Verdict {
    if fx.profile.jwks_url.is_none() {
        return Verdict::skip(
            "the profile has no `jwks_url`: the Deep Linking response signature cannot be verified",
        );
    }
    let dl = match deep_link_launch(fx, cx).await {
        Ok(d) => d,
        Err(v) => return v,
    };
    let Some(judged) = fx
        .platform
        .deep_link_returns(&dl.attempt.login_hint)
        .into_iter()
        .last()
    else {
        return Verdict::error(
            "precondition failed: the tool posted no Deep Linking response (see lti.tool.dl.request)",
        );
    };
    let mut v = Verdict::new();
    for c in judged.checks {
        v.require(c.name, c.ok, c.detail);
    }
    v
}

impl DlRun {
    /// The status of the tool's answer to the Deep Linking request, and that
    /// answer in short (empty when the request never reached the tool).
    fn answer(&self) -> (u16, String) {
        let hop = self
            .run
            .delivered
            .and_then(|i| self.run.journey.hops.get(i));
        let status = hop.map(|h| h.status).unwrap_or_default();
        let detail = hop
            .map(|h| format!("HTTP {status}: {}", snippet(&h.response.text())))
            .unwrap_or_default();
        (status, detail)
    }

    /// `error` unless the tool accepted the Deep Linking request (refusing a
    /// valid one is `lti.tool.dl.request`'s finding, not this case's).
    fn require_accepted(&self) -> Result<(), Verdict> {
        let (status, detail) = self.answer();
        if (200..400).contains(&status) {
            Ok(())
        } else {
            Err(Verdict::error(format!(
                "precondition failed: the tool did not accept the Deep Linking request ({detail}); see lti.tool.dl.request"
            )))
        }
    }

    /// The last response the platform received for this request, as judged.
    fn response(&self, fx: &Fixture) -> Option<DeepLinkReturn> {
        fx.platform
            .deep_link_returns(&self.attempt.login_hint)
            .into_iter()
            .last()
    }
}

/// The `content_items` claim of a judged response: `Ok(None)` when absent or
/// null, `Err` with a description when it is not an array.
fn content_items(judged: &DeepLinkReturn) -> Result<Option<Vec<Value>>, String> {
    match judged
        .claims
        .as_ref()
        .and_then(|c| c.get(format!("{DL}content_items")))
    {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(format!(
            "content_items is not an array: {}",
            snippet(&other.to_string())
        )),
    }
}

/// T-DL-08 (optional): launch the `ltiResourceLink` the tool returned.
async fn dl_launch_item(fx: &Fixture, cx: &CaseCx) -> Verdict {
    if fx.profile.jwks_url.is_none() {
        return Verdict::skip(
            "the profile has no `jwks_url`: the Deep Linking response cannot be verified, and a platform creates no link from an unverified response",
        );
    }
    let dl = match deep_link_launch(fx, cx).await {
        Ok(d) => d,
        Err(v) => return v,
    };
    if let Err(v) = dl.require_accepted() {
        return v;
    }
    let Some(judged) = dl.response(fx) else {
        return Verdict::error(
            "precondition failed: the tool posted no Deep Linking response (see lti.tool.dl.request)",
        );
    };
    if !judged.valid() {
        let failed: Vec<&str> = judged
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect();
        return Verdict::error(format!(
            "precondition failed: the platform refused the Deep Linking response ({}); see lti.tool.dl.response",
            failed.join("; ")
        ));
    }
    let items = content_items(&judged).ok().flatten().unwrap_or_default();
    let Some(item) = items
        .iter()
        .find(|i| i.get("type").and_then(Value::as_str) == Some("ltiResourceLink"))
    else {
        return Verdict::skip(format!(
            "the tool returned no ltiResourceLink item ({} item(s)): there is no link to launch (optional test)",
            items.len()
        ));
    };
    let mut v = Verdict::new();
    // DL 3.2: without `url` the platform launches the tool's default URL.
    let target = match item.get("url") {
        None | Some(Value::Null) => Some(fx.profile.launch_url.as_str().to_string()),
        Some(Value::String(u)) if url::Url::parse(u).is_ok() => Some(u.clone()),
        Some(_) => None,
    };
    let Some(target) = target else {
        v.require(
            "the item's url is an absolute URL",
            false,
            format!(
                "url is {}",
                snippet(&item.get("url").map(Value::to_string).unwrap_or_default())
            ),
        );
        return v;
    };
    let custom = item.get("custom").filter(|c| !c.is_null());
    if let Some(custom) = custom {
        let strings = custom
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string));
        if !v.require(
            "the item's custom is a map of strings",
            strings,
            format!(
                "custom is {} (DL 3.2: map values must be strings)",
                snippet(&custom.to_string())
            ),
        ) {
            return v;
        }
    }
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let mut attempt = Attempt::new(cx);
    attempt.target_link_uri = Some(target.clone());
    let mut claims = resource_link_launch(&fx.profile, Persona::Instructor, &attempt.tag);
    set(&mut claims, &format!("{LTI}target_link_uri"), json!(target));
    if let Some(custom) = custom {
        set(&mut claims, &format!("{LTI}custom"), custom.clone());
    }
    if let (Some(title), Some(link)) = (
        item.get("title").and_then(Value::as_str),
        claims
            .get_mut(format!("{LTI}resource_link"))
            .and_then(Value::as_object_mut),
    ) {
        link.insert("title".into(), json!(title));
    }
    cx.log(format!(
        "launching the returned ltiResourceLink: target_link_uri {target}, custom {}",
        custom
            .map(Value::to_string)
            .unwrap_or_else(|| "(none)".into())
    ));
    let run = match run_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    let why = run
        .undelivered_reason(&fx.platform, &attempt.login_hint)
        .unwrap_or_default();
    if v.require(
        "the launch of the returned link reached the tool (its url as target_link_uri)",
        run.delivered.is_some(),
        why,
    ) {
        require_accepted(&mut v, &run, marker(fx));
    }
    v
}

/// HX-DL-T-02: accept_types = ["link"], accept_multiple = false.
async fn dl_accept_types(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let opts = DlOptions {
        target: None,
        settings: vec![
            ("accept_types", json!(["link"])),
            ("accept_multiple", json!(false)),
        ],
    };
    let dl = match deep_link_launch_with(fx, cx, opts).await {
        Ok(d) => d,
        Err(v) => return v,
    };
    let (status, detail) = dl.answer();
    if !(200..400).contains(&status) {
        // Nothing unaccepted came back, but the user is left on an error page
        // in the platform's frame instead of being returned to it.
        let mut v = Verdict::new();
        v.recommend(
            "the tool returned to the platform rather than refusing the request",
            false,
            format!(
                "the tool refused a valid Deep Linking request accepting only `link` items ({detail}); DL 2.3: a tool SHOULD redirect back to deep_link_return_url even when it selects no item (an empty content_items, with errormsg to explain)"
            ),
        );
        return v;
    }
    let Some(judged) = dl.response(fx) else {
        let (_, detail) = dl.answer();
        return Verdict::review(format!(
            "the tool answered the Deep Linking request for `link` items only ({detail}) and posted no response; if it shows a selection UI, select several items by hand and check that at most one item, of type `link`, comes back"
        ));
    };
    let mut v = Verdict::new();
    let items = match content_items(&judged) {
        Ok(items) => items.unwrap_or_default(),
        Err(why) => {
            v.require("content_items is an array", false, why);
            return v;
        }
    };
    if items.is_empty() {
        return Verdict::review(
            "the tool returned no item for accept_types [\"link\"], accept_multiple false: both constraints hold trivially and neither was exercised; if the tool offers web links, select several by hand and judge the response",
        );
    }
    let types: Vec<String> = items
        .iter()
        .map(|i| {
            i.get("type")
                .and_then(Value::as_str)
                .unwrap_or("(no type)")
                .to_string()
        })
        .collect();
    v.require(
        "every item is of an accepted type (accept_types = [\"link\"])",
        types.iter().all(|t| t == "link"),
        format!("item types: {}", types.join(", ")),
    );
    v.require(
        "at most one item (accept_multiple = false)",
        items.len() <= 1,
        format!("{} items", items.len()),
    );
    if let Some(rule) = judged.checks.iter().find(|c| c.name == DL_CHECKS[9]) {
        v.require(
            format!("platform rule: {}", rule.name),
            rule.ok,
            rule.detail.clone(),
        );
    }
    v
}

/// HX-DL-T-01: a cancelled selection (the profile's `dl_cancel_url`).
async fn dl_cancel(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let cancel = fx
        .profile
        .dl_cancel_url
        .as_ref()
        .map(|u| u.as_str().to_string());
    let configured = cancel.is_some();
    let dl = match deep_link_launch_with(
        fx,
        cx,
        DlOptions {
            target: cancel,
            settings: vec![],
        },
    )
    .await
    {
        Ok(d) => d,
        Err(v) => return v,
    };
    if let Err(v) = dl.require_accepted() {
        return v;
    }
    let (_, detail) = dl.answer();
    if !configured {
        return Verdict::review(format!(
            "the profile has no `dl_cancel_url`, and there is no standard way for a harness to press a picker's cancel button; the Deep Linking request was answered ({detail}): cancel the selection by hand and check that the tool still posts a response with no content items to deep_link_return_url"
        ));
    }
    let mut v = Verdict::new();
    let Some(judged) = dl.response(fx) else {
        v.recommend(
            "a response was posted to deep_link_return_url after the cancelled selection",
            false,
            format!(
                "the tool answered the launch at dl_cancel_url ({detail}) and posted nothing: the platform cannot close the frame or window it opened"
            ),
        );
        return v;
    };
    v.recommend(
        "a response was posted to deep_link_return_url after the cancelled selection",
        true,
        "",
    );
    let empty = match content_items(&judged) {
        Ok(items) => items.is_none_or(|i| i.is_empty()),
        Err(_) => false,
    };
    let got = judged
        .claims
        .as_ref()
        .and_then(|c| c.get(format!("{DL}content_items")))
        .map(Value::to_string)
        .unwrap_or_default();
    v.recommend(
        "the response selects nothing (content_items empty or absent)",
        empty,
        format!(
            "content_items is {} after a cancelled selection (is dl_cancel_url the tool's cancel target?)",
            snippet(&got)
        ),
    );
    v
}

/// HX-SEC-14: the tool's key set, rule by rule; each rule names the keys that
/// break it.
async fn tool_jwks(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let Some(url) = fx.profile.jwks_url.as_ref() else {
        return Verdict::skip("the profile has no `jwks_url`: there is no key set to judge");
    };
    let resp = match cx.http().get(url.as_str()).await {
        Ok(r) => r,
        Err(e) => {
            return Verdict::error(format!("could not reach the tool's JWKS URL {url}: {e}"));
        }
    };
    judge_jwks(resp.status.as_u16(), &resp.body)
}

/// The HX-SEC-14 rules over a key set response (status and body), one check
/// each; kept apart from the fetch so each rule's failure is unit-tested.
fn judge_jwks(status: u16, body: &[u8]) -> Verdict {
    let text = || snippet(&String::from_utf8_lossy(body));
    let mut v = Verdict::new();
    if !v.require(
        "the JWKS URL answers 2xx",
        (200..300).contains(&status),
        format!("HTTP {status}: {}", text()),
    ) {
        return v;
    }
    let doc: Value = match serde_json::from_slice(body) {
        Ok(d) => d,
        Err(e) => {
            v.require("the body is JSON", false, format!("{e}: {}", text()));
            return v;
        }
    };
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        v.require(
            "the body is a JWK Set: {\"keys\": [...]}",
            false,
            format!("no `keys` array in {}", snippet(&doc.to_string())),
        );
        return v;
    };
    if !v.require(
        "the JWK Set holds at least one key",
        !keys.is_empty(),
        "`keys` is empty",
    ) {
        return v;
    }
    let member = |k: &Value, name: &str| -> Option<String> {
        k.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut no_kid = Vec::new();
    let mut not_rsa = Vec::new();
    let mut unusable = Vec::new();
    let mut private = Vec::new();
    let mut not_rs256 = Vec::new();
    let mut kids: Vec<(String, String)> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let kid = member(k, "kid");
        let name = match &kid {
            Some(kid) => format!("key {i} (kid {kid})"),
            None => format!("key {i}"),
        };
        if !k.is_object() {
            not_rsa.push(format!("{name} is not a JSON object"));
            continue;
        }
        match kid {
            Some(kid) => kids.push((kid, member(k, "kty").unwrap_or_default())),
            None => no_kid.push(name.clone()),
        }
        let kty = member(k, "kty");
        if kty.as_deref() != Some("RSA") {
            not_rsa.push(format!("{name}: kty {kty:?}"));
        } else {
            let usable = serde_json::from_value::<Jwk>(k.clone())
                .map_err(|e| e.to_string())
                .and_then(|j| j.rsa_public_key().map(|_| ()).map_err(|e| e.to_string()));
            if let Err(e) = usable {
                unusable.push(format!("{name}: {e}"));
            }
        }
        let leaked: Vec<&str> = RSA_PRIVATE_MEMBERS
            .iter()
            .copied()
            .filter(|m| k.get(*m).is_some())
            .collect();
        if !leaked.is_empty() {
            private.push(format!("{name}: {}", leaked.join(", ")));
        }
        let alg = member(k, "alg");
        if alg.as_deref() != Some("RS256") {
            not_rs256.push(format!("{name}: alg {alg:?}"));
        }
    }
    let mut reused = Vec::new();
    for (i, (kid, kty)) in kids.iter().enumerate() {
        if kids
            .iter()
            .skip(i + 1)
            .any(|(other, other_kty)| other == kid && other_kty == kty)
            && !reused.contains(kid)
        {
            reused.push(kid.clone());
        }
    }
    v.require(
        "every key has a kid",
        no_kid.is_empty(),
        format!("without kid: {}", no_kid.join("; ")),
    );
    v.require(
        "no kid identifies two keys of the same kty",
        reused.is_empty(),
        format!("reused kid: {}", reused.join(", ")),
    );
    v.require(
        "every key is an RSA key (kty RSA)",
        not_rsa.is_empty(),
        not_rsa.join("; "),
    );
    v.require(
        "every RSA key has n and e forming a usable public key",
        unusable.is_empty(),
        unusable.join("; "),
    );
    v.require(
        "no key publishes private members (d, p, q, dp, dq, qi, oth)",
        private.is_empty(),
        format!(
            "private key material published, anyone can sign as the tool: {}",
            private.join("; ")
        ),
    );
    v.recommend(
        "every key declares alg RS256",
        not_rs256.is_empty(),
        not_rs256.join("; "),
    );
    v
}

const NRPS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
/// How long a tool may take, after the launch, to finish its NRPS calls.
const NRPS_SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

/// One instructor launch carrying the NRPS claim, then (bounded) waiting for the
/// tool's memberships requests to reach the last page or stop coming.
struct NrpsRun {
    run: LaunchRun,
    requests: Vec<NrpsRequestSeen>,
    tokens: Vec<accredit_mock_platform::TokenRequestSeen>,
}

async fn nrps_launch(fx: &Fixture, cx: &CaseCx) -> Result<NrpsRun, Verdict> {
    let ua = new_ua(fx, cx)?;
    let attempt = Attempt::new(cx);
    // Exclusive case: the tool's token requests carry its client_id and nothing
    // per launch, so the case claims the client_id while it runs alone.
    cx.correlate(fx.profile.client_id.clone());
    let tokens_before = fx.platform.token_requests().len();
    let mut claims = resource_link_launch(&fx.profile, Persona::Instructor, &attempt.tag);
    set(
        &mut claims,
        NRPS_CLAIM,
        json!({
            "context_memberships_url": fx.platform.nrps_url(&attempt.login_hint),
            "service_versions": ["2.0"],
        }),
    );
    let run = run_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    .map_err(Verdict::error)?;
    let mut pre = Verdict::new();
    if !require_accepted(&mut pre, &run, marker(fx)) {
        return Err(Verdict::error(format!(
            "precondition failed: the launch carrying the NRPS claim was not accepted ({})",
            pre.message()
        )));
    }
    crate::flow::trigger_services(fx, cx, &ua)
        .await
        .map_err(|e| Verdict::error(format!("precondition failed: {e}")))?;
    let deadline = tokio::time::Instant::now()
        + NRPS_SETTLE.min(
            cx.remaining()
                .saturating_sub(std::time::Duration::from_millis(500)),
        );
    let mut last_count = usize::MAX;
    let mut stable_since = tokio::time::Instant::now();
    loop {
        let requests = fx.platform.nrps_requests(&attempt.login_hint);
        let done = requests.iter().any(|r| r.last && r.status == 200)
            || requests.iter().any(|r| r.status != 200);
        if requests.len() != last_count {
            last_count = requests.len();
            stable_since = tokio::time::Instant::now();
        }
        let quiet =
            !requests.is_empty() && stable_since.elapsed() > std::time::Duration::from_secs(1);
        if done || quiet || tokio::time::Instant::now() >= deadline {
            let tokens = fx
                .platform
                .token_requests()
                .into_iter()
                .skip(tokens_before)
                .collect();
            return Ok(NrpsRun {
                run,
                requests,
                tokens,
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// CERT §6.3: token request rules, then the first memberships request's header,
/// bearer token and scope.
async fn nrps_memberships(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let nr = match nrps_launch(fx, cx).await {
        Ok(n) => n,
        Err(v) => return v,
    };
    let mut v = Verdict::new();
    v.check(
        "the launch carrying the NRPS claim was accepted",
        Outcome::Pass,
        "",
    );
    let Some(token) = nr.tokens.last() else {
        v.require(
            "Received Request: the tool requested an access token at the token endpoint",
            false,
            format!(
                "no token request within {NRPS_SETTLE:?} of the launch; the tool's page: {}",
                nr.run
                    .last()
                    .map(|h| snippet(&h.response.text()))
                    .unwrap_or_default()
            ),
        );
        return v;
    };
    for c in &token.checks {
        v.require(format!("token request: {}", c.name), c.ok, c.detail.clone());
    }
    let Some(first) = nr.requests.first() else {
        v.require(
            "Received Request: the tool requested the memberships",
            false,
            format!("no memberships request within {NRPS_SETTLE:?} of the launch"),
        );
        return v;
    };
    v.require(
        "Received Request: the tool requested the memberships",
        true,
        "",
    );
    v.require(
        format!("Verify JSON Header: Accept is {NRPS_MEDIA_TYPE}"),
        first
            .accept
            .as_deref()
            .is_some_and(|a| a.split(',').any(|x| x.trim().starts_with(NRPS_MEDIA_TYPE))),
        format!("Accept is {:?}", first.accept),
    );
    v.require(
        "Verify Bearer Token: a token issued by the platform's token endpoint",
        first.token_valid,
        "the bearer token was not issued by the platform, or expired",
    );
    v.require(
        "Verify Bearer Scope: the token was granted contextmembership.readonly",
        first.scope_ok,
        "the token lacks the NRPS scope",
    );
    v
}

/// HX-NRPS-T-01: every page, each `next` URL followed exactly as given.
async fn nrps_paging(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let nr = match nrps_launch(fx, cx).await {
        Ok(n) => n,
        Err(v) => return v,
    };
    if nr.requests.is_empty() {
        return Verdict::error(
            "precondition failed: the tool made no memberships request (see lti.tool.nrps.memberships)",
        );
    }
    let mut v = Verdict::new();
    let bad: Vec<String> = nr
        .requests
        .iter()
        .filter(|r| r.page.is_none())
        .map(|r| format!("cursor {:?}", r.cursor.as_deref().unwrap_or_default()))
        .collect();
    v.require(
        "every next-page URL was requested exactly as the Link header gave it",
        bad.is_empty(),
        format!("unknown cursors (URL rewritten?): {}", bad.join(", ")),
    );
    let pages = NRPS_MEMBERS.div_ceil(accredit_mock_platform::NRPS_DEFAULT_PAGE);
    v.require(
        "the tool fetched every page up to the last",
        nr.requests.iter().any(|r| r.last && r.status == 200),
        format!(
            "{} request(s), the last page never fetched ({pages} pages at the default size)",
            nr.requests.len()
        ),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// A valid key set: one fresh RSA public key (kid, kty, n, e, alg, use).
    fn valid_set() -> Value {
        let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
        serde_json::to_value(key.jwks().unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn js(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The set with member `name` of the first key replaced (`Null` removes it).
    fn edit(mut set: Value, name: &str, value: Value) -> Vec<u8> {
        if let Some(key) = set
            .get_mut("keys")
            .and_then(|k| k.get_mut(0))
            .and_then(Value::as_object_mut)
        {
            if value.is_null() {
                key.remove(name);
            } else {
                key.insert(name.into(), value);
            }
        }
        js(set)
    }

    #[rstest]
    #[case::valid(200, |s| js(s), Outcome::Pass, "")]
    #[case::http_error(404, |s| js(s), Outcome::Fail, "the JWKS URL answers 2xx")]
    #[case::not_json(200, |_| b"<html>keys</html>".to_vec(), Outcome::Fail, "the body is JSON")]
    #[case::bare_key(200, |s: Value| js(s["keys"][0].clone()), Outcome::Fail, "the body is a JWK Set")]
    #[case::no_keys(200, |_| js(json!({"keys": []})), Outcome::Fail, "at least one key")]
    #[case::no_kid(200, |s| edit(s, "kid", Value::Null), Outcome::Fail, "every key has a kid")]
    #[case::empty_kid(200, |s| edit(s, "kid", json!("")), Outcome::Fail, "every key has a kid")]
    #[case::not_rsa(200, |s| edit(s, "kty", json!("EC")), Outcome::Fail, "RSA key")]
    #[case::no_modulus(200, |s| edit(s, "n", Value::Null), Outcome::Fail, "n and e")]
    #[case::bad_exponent(200, |s| edit(s, "e", json!("!!")), Outcome::Fail, "n and e")]
    #[case::private_d(200, |s| edit(s, "d", json!("AQAB")), Outcome::Fail, "private members")]
    #[case::private_qi(200, |s| edit(s, "qi", json!("AQAB")), Outcome::Fail, "private members")]
    #[case::no_alg(200, |s| edit(s, "alg", Value::Null), Outcome::Warn, "alg RS256")]
    #[case::other_alg(200, |s| edit(s, "alg", json!("RS512")), Outcome::Warn, "alg RS256")]
    fn jwks_rules(
        #[case] status: u16,
        #[case] body: fn(Value) -> Vec<u8>,
        #[case] want: Outcome,
        #[case] failing: &str,
    ) {
        let v = judge_jwks(status, &body(valid_set()));
        assert_eq!(v.outcome(), want, "{v:#?}");
        let first_bad = v.checks.iter().find(|c| c.outcome != Outcome::Pass);
        match first_bad {
            None => assert!(failing.is_empty(), "{v:#?}"),
            Some(c) => assert!(c.name.contains(failing), "{} in {v:#?}", c.name),
        }
    }

    #[test]
    fn a_kid_reused_for_two_rsa_keys_fails() {
        let a = valid_set();
        let b = valid_set();
        let kid = a["keys"][0]["kid"].clone();
        let mut second = b["keys"][0].clone();
        second["kid"] = kid;
        let set = json!({"keys": [a["keys"][0].clone(), second]});
        let v = judge_jwks(200, &js(set));
        assert_eq!(v.outcome(), Outcome::Fail, "{v:#?}");
        assert!(
            v.checks
                .iter()
                .any(|c| c.outcome == Outcome::Fail && c.name.contains("no kid identifies two")),
            "{v:#?}"
        );
    }
}
