//! The lti-platform service cases: the OAuth 2.0 token endpoint, Names and Role
//! Provisioning Services (NRPS 2.0) and, in [`ags`], Assignment and Grade
//! Services (AGS 2.0), official (CERT §5.3/§5.4) and harness extensions.
//!
//! Why these cases: once a launch has handed the tool its service URLs, the
//! platform is an OAuth 2.0 resource server and every interop failure seen in
//! the field is in how it guards and shapes those resources: assertions it
//! should refuse (wrong `aud`, foreign `iss`, replayed `jti`, `alg: none`),
//! scopes it grants or does not enforce, `Link` paging a tool cannot walk,
//! filters it ignores. CERT §5.3/§5.4 only prescribe the happy path; the
//! Security Framework, NRPS and AGS MUSTs behind them are harness extensions
//! (`official = false`).
//!
//! How: the harness plays the tool. Service URLs always come from the claims of
//! a real launch (never from the profile), every request goes through
//! `cx.http()` so it is evidence, and every case does its own setup (launch,
//! tokens, its own line items with unique labels) so cases are independent and
//! run in parallel. A setup step that fails fails the case with a check named
//! `setup: ...`, since the platform could not do what the step needed.
//! Candidate bodies and headers are parsed defensively: a malformed `Link`
//! header is a finding, never a panic.

#[path = "services_ags.rs"]
mod ags;

use std::collections::BTreeSet;

use futures::FutureExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, LINK};
use serde_json::{Value, json};
use url::Url;

use accredit_core::http::{Captured, HttpError};
use accredit_core::{Case, CaseCx, CaseMeta, Level, Outcome, Verdict};
use accredit_mock_platform::{NRPS_MEDIA_TYPE, NRPS_SCOPE};

use super::checks::{Aspect, judge_launch};
use super::fixture::{LaunchKind, PlatformFixture};

pub(crate) const ROLE: &str = "platform";
pub(crate) const CERT: &str = "LTI Advantage Conformance Certification Guide 1.3";
const CERT_NRPS: &str = "5.3 Names and Role Provisioning Services Testing";
const CERT_NRPS_URL: &str =
    "https://www.imsglobal.org/spec/lti/v1p3/cert/#names-and-role-provisioning-services-testing";
const NRPS: &str = "LTI Names and Role Provisioning Services 2.0";
const SEC: &str = "1EdTech Security Framework 1.0";
const SEC_CC: &str = "4.1 Using OAuth 2.0 Client-Credentials Grant";
const SEC_CC_URL: &str =
    "https://www.imsglobal.org/spec/security/v1p0/#using-oauth-2-0-client-credentials-grant";
const SEC_JWT: &str = "4.1.1 Using JSON Web Tokens with OAuth 2.0 Client-Credentials Grant";
const SEC_JWT_URL: &str = "https://www.imsglobal.org/spec/security/v1p0/#using-json-web-tokens-with-oauth-2-0-client-credentials-grant";
/// The NRPS launch claim.
pub(crate) const NRPS_CLAIM: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
/// The LIS Learner context role.
pub(crate) const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
/// A scope no platform grants: asked for next to a real one.
const UNKNOWN_SCOPE: &str = "https://accredit.invalid/scope/not-a-real-scope";
/// Most pages a membership walk follows before calling the paging broken.
const MAX_PAGES: usize = 500;
/// How much of a candidate body a message quotes.
const SNIPPET: usize = 300;

/// Builds a case's metadata (every field is plain data).
#[allow(clippy::too_many_arguments)]
pub(crate) const fn meta(
    id: &'static str,
    title: &'static str,
    spec: (&'static str, &'static str, &'static str),
    requirement: &'static str,
    level: Level,
    official: bool,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: ROLE,
        spec_document: spec.0,
        spec_section: spec.1,
        spec_url: spec.2,
        requirement,
        level,
        official,
        tags,
        exclusive: false,
    }
}

const CERT_5_3: (&str, &str, &str) = (CERT, CERT_NRPS, CERT_NRPS_URL);
const SEC_4_1: (&str, &str, &str) = (SEC, SEC_CC, SEC_CC_URL);
const SEC_4_1_1: (&str, &str, &str) = (SEC, SEC_JWT, SEC_JWT_URL);

/// P-NRPS-01: the NRPS launch's signature.
pub(crate) const NRPS_LAUNCH_SIGNATURE: CaseMeta = meta(
    "lti.platform.nrps.launch.signature",
    "NRPS launch: the kid is in the platform JWKS and its key verifies the signature",
    CERT_5_3,
    "Payload Signature Valid: The KID in the JWT Header corresponds to the correct Public Key on the Well-Known URL and the Public Key for this KID correctly verifies the JWT Signature.",
    Level::Must,
    true,
    &["nrps", "core"],
);
/// P-NRPS-02: the NRPS launch's timestamps.
pub(crate) const NRPS_LAUNCH_TIMESTAMPS: CaseMeta = meta(
    "lti.platform.nrps.launch.timestamps",
    "NRPS launch: iat and exp are valid",
    CERT_5_3,
    "Payload Timestamps Valid: The iat and exp Timestamps are valid.",
    Level::Must,
    true,
    &["nrps", "core"],
);
/// P-NRPS-03: the NRPS launch is an LTI 1.3 launch.
pub(crate) const NRPS_LAUNCH_IS_LTI13: CaseMeta = meta(
    "lti.platform.nrps.launch.is-lti13",
    "NRPS launch: the payload is an LTI 1.3 core launch",
    CERT_5_3,
    "Payload is LTI 1.3: Tests that JWT received conforms to format of 1.3 Core Launch JWT.",
    Level::Must,
    true,
    &["nrps", "core"],
);
/// P-NRPS-04: the NRPS launch is complete, NRPS claim included.
pub(crate) const NRPS_LAUNCH_COMPLETE: CaseMeta = meta(
    "lti.platform.nrps.launch.complete",
    "NRPS launch: every required claim and the NRPS claim are present",
    CERT_5_3,
    "Payload is Complete: All Required 1.3 Core Launch Claims are present in addition to the required Names and Role Claim.",
    Level::Must,
    true,
    &["nrps", "core"],
);
/// P-NRPS-05: a token for the NRPS scope.
pub(crate) const NRPS_TOKEN: CaseMeta = meta(
    "lti.platform.nrps.token",
    "NRPS: the token endpoint grants a bearer token for the membership scope",
    CERT_5_3,
    "Generate OAuth2 Call: Test Generates OAuth2 call utilizing the Private Key provided for the Tool, and submits to the OAuth2 server with the correct role parameter - expecting a Bearer Token response.",
    Level::Must,
    true,
    &["nrps", "token"],
);
/// P-NRPS-06: the memberships call.
pub(crate) const NRPS_CALL: CaseMeta = meta(
    "lti.platform.nrps.call",
    "NRPS: GET context_memberships_url answers 200 with a membership container",
    CERT_5_3,
    "Do Names and Roles Call: Test uses Bearer Token just received to make GET to URL for Names and Roles for this Context - expecting a Names and Roles response (application/vnd.ims.lti-nrps.v2.membershipcontainer+json).",
    Level::Must,
    true,
    &["nrps"],
);
/// P-NRPS-07: the membership payload.
pub(crate) const NRPS_PAYLOAD: CaseMeta = meta(
    "lti.platform.nrps.payload",
    "NRPS: the container has id, context.id and members with user_id and roles",
    CERT_5_3,
    "Names and Roles Payload: Test confirms Payload type complete and formatted correctly for Names and Role. NRPS: at a minimum, the member must contain user_id and roles; a context parameter must be present that must contain id; each membership has a status of either Active or Inactive.",
    Level::Must,
    true,
    &["nrps"],
);
/// P-NRPS-08: the response headers, for a human.
pub(crate) const NRPS_HEADERS: CaseMeta = meta(
    "lti.platform.nrps.headers",
    "NRPS: the response headers (Link rel=next / differences) are shown for confirmation",
    CERT_5_3,
    "Verify Names and Roles Headers: Test Parses the Headers in the NRPS Response and displays what (if any) were Found. You MUST verify that what is found is what the GET return sent in the headers.",
    Level::Must,
    true,
    &["nrps"],
);
/// HX-NRPS-P-01: paging.
pub(crate) const NRPS_PAGING: CaseMeta = meta(
    "lti.platform.nrps.paging",
    "NRPS: with limit=2, Link rel=\"next\" pages through every member exactly once",
    (
        NRPS,
        "2.3.2 Limit query parameter",
        "https://www.imsglobal.org/spec/lti-nrps/v2p0#limit-query-parameter",
    ),
    "If the response from a Platform does not comprise all of the members a rel=\"next\" header link will be included to indicate how to request the next set of members. The absence of a rel=\"next\" header link indicates that no more members are available. See [RFC8288].",
    Level::Must,
    false,
    &["nrps", "extension"],
);
/// HX-NRPS-P-02: the role filter.
pub(crate) const NRPS_ROLE_FILTER: CaseMeta = meta(
    "lti.platform.nrps.role-filter",
    "NRPS: role=Learner returns exactly the members holding the Learner role",
    (
        NRPS,
        "2.3.1 Role query parameter",
        "https://www.imsglobal.org/spec/lti-nrps/v2p0#role-query-parameter",
    ),
    "By default all the current memberships will be returned; this may be limited to only those memberships with a specified role by passing its URI in a query parameter named 'role'. Since this is a context-level role, the parameter could be simplified to 'role=Learner'.",
    Level::Must,
    false,
    &["nrps", "extension"],
);
/// HX-NRPS-P-03: membership differences.
pub(crate) const NRPS_DIFFERENCES: CaseMeta = meta(
    "lti.platform.nrps.differences",
    "NRPS: an offered rel=\"differences\" link returns a membership container",
    (
        NRPS,
        "2.3.3 Membership differences",
        "https://www.imsglobal.org/spec/lti-nrps/v2p0#membership-differences",
    ),
    "A response may include a rel=\"differences\" header link. When present, this URL should be complete and opaque; it specifies a differences URL which the service user may use to obtain a report of all the differences in the membership.",
    Level::Should,
    false,
    &["nrps", "extension"],
);
/// HX-TOK-P-01: assertion aud.
pub(crate) const TOKEN_AUD: CaseMeta = meta(
    "lti.platform.token.aud",
    "Token: a client assertion for another audience is refused",
    SEC_4_1_1,
    "The authorization server MUST reject any JWT that does not contain its own identity as the intended audience.",
    Level::Must,
    false,
    &["token", "security", "extension"],
);
/// HX-TOK-P-02: assertion iss/sub.
pub(crate) const TOKEN_ISS_SUB: CaseMeta = meta(
    "lti.platform.token.iss-sub",
    "Token: a client assertion whose iss/sub is not the registered client_id is refused",
    SEC_4_1_1,
    "The authorization server decodes the JWT and MUST validate the values for the iss, sub, exp, aud and jti claims, followed by verifying the signature. LTI Core 6.2: iss and sub are the tool's client_id.",
    Level::Must,
    false,
    &["token", "security", "extension"],
);
/// HX-TOK-P-03: jti replay.
pub(crate) const TOKEN_JTI_REPLAY: CaseMeta = meta(
    "lti.platform.token.jti-replay",
    "Token: the same client assertion (same jti) is refused the second time",
    SEC_4_1_1,
    "The authorization server MUST validate the values for the iss, sub, exp, aud and jti claims. jti: a unique identifier for the token; the exp timestamp SHOULD also indicate when the jti value expires and could be re-used.",
    Level::Must,
    false,
    &["token", "security", "extension"],
);
/// HX-TOK-P-04a: expired assertion.
pub(crate) const TOKEN_EXPIRED: CaseMeta = meta(
    "lti.platform.token.expired",
    "Token: an expired client assertion is refused",
    SEC_4_1_1,
    "The exp Claim MUST be an absolute expiry time for the message. The authorization server MUST validate the values for the iss, sub, exp, aud and jti claims.",
    Level::Must,
    false,
    &["token", "security", "extension"],
);
/// HX-TOK-P-04b: unsigned assertion.
pub(crate) const TOKEN_ALG_NONE: CaseMeta = meta(
    "lti.platform.token.alg-none",
    "Token: an unsigned (alg: none) client assertion is refused",
    SEC_4_1_1,
    "The Consumer MUST generate a third, signature element by applying the algorithm to the contents of both the header and payload elements; the authorization server validates the claims followed by verifying the signature. Message Signing: the 'none' algorithm MUST NOT be used.",
    Level::Must,
    false,
    &["token", "security", "extension"],
);
/// HX-TOK-P-05: scope subset.
pub(crate) const TOKEN_SCOPE_SUBSET: CaseMeta = meta(
    "lti.platform.token.scope-subset",
    "Token: an unknown scope is not granted (subset in `scope`, or invalid_scope)",
    SEC_4_1,
    "The authorization server is responsible for validating the scopes identified in the request and the response MUST include a scope parameter which confirms this list or comprises a subset of the services requested. The Authorization Server may refuse to provide an access token and so MUST return an error response.",
    Level::Must,
    false,
    &["token", "security", "extension"],
);
/// HX-TOK-P-06: token response shape.
pub(crate) const TOKEN_LIFETIME: CaseMeta = meta(
    "lti.platform.token.lifetime",
    "Token: the response has token_type bearer, expires_in and scope",
    SEC_4_1,
    "If the authorization service successfully grants this request, it responds with an HTTP 200 OK response containing the access token and its expiry lifetime (1EdTech recommends a default expiry lifetime of 3600 seconds) and confirms the set of scopes supported by this access token. The token MUST ONLY contain ASCII characters and SHOULD be at least 15 characters in length.",
    Level::Must,
    false,
    &["token", "security", "extension"],
);
/// HX-SVC-P-01: scopes enforced per endpoint.
pub(crate) const SVC_SCOPE_ENFORCEMENT: CaseMeta = meta(
    "lti.platform.svc.scope-enforcement",
    "Services: a result.readonly token can neither create a line item nor post a score",
    (
        "LTI Assignment and Grade Services 2.0",
        "3.2 Line item service scope; 3.4.2 Score service scope",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#line-item-service-scope-and-allowed-http-methods",
    ),
    "Scope https://purl.imsglobal.org/spec/lti-ags/scope/lineitem allows lineitems: GET, POST; scope https://purl.imsglobal.org/spec/lti-ags/scope/score allows line item URL/scores: POST. A token granted only result.readonly has neither (RFC 6750 §3.1: insufficient_scope, 403; or 401).",
    Level::Must,
    false,
    &["svc", "ags", "security", "extension"],
);
/// HX-SVC-P-02: a bearer the platform never issued.
pub(crate) const SVC_BAD_BEARER: CaseMeta = meta(
    "lti.platform.svc.bad-bearer",
    "Services: a bearer token the platform never issued is answered 401",
    SEC_4_1,
    "Authentication and Authorization requires the use of OAuth 2.0 bearer tokens. RFC 6750 §3.1: invalid_token - the access token provided is expired, revoked, malformed, or invalid; the resource server SHOULD respond with the HTTP 401 (Unauthorized) status code.",
    Level::Must,
    false,
    &["svc", "nrps", "ags", "security", "extension"],
);

/// The service cases, in report order (chained into the catalog by `platform`).
pub(crate) fn cases() -> Vec<Case<PlatformFixture>> {
    let mut out = vec![
        Case {
            meta: NRPS_LAUNCH_SIGNATURE,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::Nrps, Aspect::Signature).boxed(),
        },
        Case {
            meta: NRPS_LAUNCH_TIMESTAMPS,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::Nrps, Aspect::Timestamps).boxed(),
        },
        Case {
            meta: NRPS_LAUNCH_IS_LTI13,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::Nrps, Aspect::IsLti13).boxed(),
        },
        Case {
            meta: NRPS_LAUNCH_COMPLETE,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::Nrps, Aspect::Complete).boxed(),
        },
        Case {
            meta: NRPS_TOKEN,
            run: |fx, cx| token_grant_case(fx, cx, NRPS_SCOPE).boxed(),
        },
        Case {
            meta: NRPS_CALL,
            run: |fx, cx| nrps_call(fx, cx).boxed(),
        },
        Case {
            meta: NRPS_PAYLOAD,
            run: |fx, cx| nrps_payload(fx, cx).boxed(),
        },
        Case {
            meta: NRPS_HEADERS,
            run: |fx, cx| nrps_headers(fx, cx).boxed(),
        },
        Case {
            meta: NRPS_PAGING,
            run: |fx, cx| nrps_paging(fx, cx).boxed(),
        },
        Case {
            meta: NRPS_ROLE_FILTER,
            run: |fx, cx| nrps_role_filter(fx, cx).boxed(),
        },
        Case {
            meta: NRPS_DIFFERENCES,
            run: |fx, cx| nrps_differences(fx, cx).boxed(),
        },
    ];
    out.extend(ags::cases());
    out.extend(vec![
        Case {
            meta: TOKEN_AUD,
            run: |fx, cx| token_aud(fx, cx).boxed(),
        },
        Case {
            meta: TOKEN_ISS_SUB,
            run: |fx, cx| token_iss_sub(fx, cx).boxed(),
        },
        Case {
            meta: TOKEN_JTI_REPLAY,
            run: |fx, cx| token_jti_replay(fx, cx).boxed(),
        },
        Case {
            meta: TOKEN_EXPIRED,
            run: |fx, cx| token_expired(fx, cx).boxed(),
        },
        Case {
            meta: TOKEN_ALG_NONE,
            run: |fx, cx| token_alg_none(fx, cx).boxed(),
        },
        Case {
            meta: TOKEN_SCOPE_SUBSET,
            run: |fx, cx| token_scope_subset(fx, cx).boxed(),
        },
        Case {
            meta: TOKEN_LIFETIME,
            run: |fx, cx| token_lifetime(fx, cx).boxed(),
        },
        Case {
            meta: SVC_SCOPE_ENFORCEMENT,
            run: |fx, cx| ags::scope_enforcement(fx, cx).boxed(),
        },
        Case {
            meta: SVC_BAD_BEARER,
            run: |fx, cx| svc_bad_bearer(fx, cx).boxed(),
        },
    ]);
    out
}

// ---------------------------------------------------------------------------
// Pure helpers (unit-tested below).
// ---------------------------------------------------------------------------

/// At most [`SNIPPET`] characters of a body, for messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        return "(empty body)".into();
    }
    // One implementation for the suite: whitespace collapsed, binary bodies named
    // rather than pasted.
    super::browse::snippet(&text, SNIPPET)
}

/// Whether a `Content-Type` value names `expected` (parameters and case ignored).
pub(crate) fn media_type_is(content_type: Option<&str>, expected: &str) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(expected))
}

/// One link of an RFC 8288 `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// The target, as written between `<` and `>` (not resolved).
    pub target: String,
    /// The `rel` values, lower-cased (a `rel` may hold several, space-separated).
    pub rels: Vec<String>,
}

/// Why a `Link` header could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LinkError {
    /// A link value did not start with `<target>`.
    #[error("expected `<` starting a link target at byte {at} of `{header}`")]
    NoTarget {
        /// Byte offset.
        at: usize,
        /// The header value.
        header: String,
    },
    /// A `<` without its `>`.
    #[error("link target not closed by `>` in `{header}`")]
    UnclosedTarget {
        /// The header value.
        header: String,
    },
    /// A quoted parameter value without its closing quote.
    #[error("unterminated quoted parameter value in `{header}`")]
    UnclosedQuote {
        /// The header value.
        header: String,
    },
    /// Something other than `;` or `,` after a link.
    #[error("unexpected `{found}` at byte {at} of `{header}` (expected `;` or `,`)")]
    Unexpected {
        /// The character found.
        found: char,
        /// Byte offset.
        at: usize,
        /// The header value.
        header: String,
    },
    /// A link with no `rel` parameter.
    #[error("link <{target}> has no rel parameter")]
    NoRel {
        /// The target.
        target: String,
    },
    /// A header value that is not visible ASCII/UTF-8.
    #[error("Link header value is not valid text")]
    NotText,
}

/// Parses one `Link` header value (RFC 8288 §3): `<target>; rel="next", <..>; ...`.
/// Commas and semicolons inside `<...>` or quoted strings are data. Never panics.
pub(crate) fn parse_link_header(value: &str) -> Result<Vec<Link>, LinkError> {
    let chars: Vec<(usize, char)> = value.char_indices().collect();
    let header = || value.to_string();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].1.is_whitespace() {
            *i += 1;
        }
    };
    loop {
        // Skip separators and empty list elements (RFC 9110 §5.6.1).
        while i < chars.len() && (chars[i].1.is_whitespace() || chars[i].1 == ',') {
            i += 1;
        }
        if i >= chars.len() {
            return Ok(out);
        }
        if chars[i].1 != '<' {
            return Err(LinkError::NoTarget {
                at: chars[i].0,
                header: header(),
            });
        }
        i += 1;
        let mut target = String::new();
        loop {
            match chars.get(i) {
                None => return Err(LinkError::UnclosedTarget { header: header() }),
                Some((_, '>')) => {
                    i += 1;
                    break;
                }
                Some((_, c)) => {
                    target.push(*c);
                    i += 1;
                }
            }
        }
        let mut rels = Vec::new();
        let mut has_rel = false;
        loop {
            skip_ws(&mut i);
            match chars.get(i) {
                None => break,
                Some((_, ',')) => break,
                Some((_, ';')) => i += 1,
                Some((at, c)) => {
                    return Err(LinkError::Unexpected {
                        found: *c,
                        at: *at,
                        header: header(),
                    });
                }
            }
            skip_ws(&mut i);
            let mut name = String::new();
            while let Some((_, c)) = chars.get(i) {
                if *c == '=' || *c == ';' || *c == ',' || c.is_whitespace() {
                    break;
                }
                name.push(c.to_ascii_lowercase());
                i += 1;
            }
            skip_ws(&mut i);
            let mut val = String::new();
            if let Some((_, '=')) = chars.get(i) {
                i += 1;
                skip_ws(&mut i);
                if let Some((_, '"')) = chars.get(i) {
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => return Err(LinkError::UnclosedQuote { header: header() }),
                            Some((_, '\\')) => {
                                if let Some((_, c)) = chars.get(i + 1) {
                                    val.push(*c);
                                }
                                i += 2;
                            }
                            Some((_, '"')) => {
                                i += 1;
                                break;
                            }
                            Some((_, c)) => {
                                val.push(*c);
                                i += 1;
                            }
                        }
                    }
                } else {
                    while let Some((_, c)) = chars.get(i) {
                        if *c == ';' || *c == ',' || c.is_whitespace() {
                            break;
                        }
                        val.push(*c);
                        i += 1;
                    }
                }
            }
            // RFC 8288 §3.3: only the first `rel` counts.
            if name == "rel" && !has_rel {
                has_rel = true;
                rels = val
                    .split_whitespace()
                    .map(|r| r.to_ascii_lowercase())
                    .collect();
            }
        }
        if !has_rel {
            return Err(LinkError::NoRel { target });
        }
        out.push(Link { target, rels });
    }
}

/// Every link of every `Link` header of a response.
pub(crate) fn links_of(headers: &HeaderMap) -> Result<Vec<Link>, LinkError> {
    let mut out = Vec::new();
    for v in headers.get_all(LINK) {
        let text = v.to_str().map_err(|_| LinkError::NotText)?;
        out.extend(parse_link_header(text)?);
    }
    Ok(out)
}

/// The target of the first link with relation `rel`, resolved against `base`.
pub(crate) fn rel_url(links: &[Link], rel: &str, base: &Url) -> Option<Result<Url, String>> {
    links
        .iter()
        .find(|l| l.rels.iter().any(|r| r == rel))
        .map(|l| {
            base.join(&l.target)
                .map_err(|e| format!("rel=\"{rel}\" target `{}` is not a URL: {e}", l.target))
        })
}

/// `url` with extra query parameters appended (its own query kept).
pub(crate) fn with_query(url: &Url, extra: &[(&str, &str)]) -> Url {
    let mut u = url.clone();
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    u
}

/// Problems of a membership container body (NRPS 2.0 §2.1/§2.2/§2.3); empty
/// when it is well-formed. `allow_deleted`: a differences report may carry
/// `Deleted` members; a normal request must not.
pub(crate) fn membership_problems(body: &Value, allow_deleted: bool) -> Vec<String> {
    let mut p = Vec::new();
    let Some(obj) = body.as_object() else {
        return vec![format!(
            "the body is not a JSON object (got {})",
            kind_of(body)
        )];
    };
    if obj
        .get("id")
        .and_then(Value::as_str)
        .is_none_or(|s| s.trim().is_empty())
    {
        p.push("`id` (the container URL) is missing or not a non-empty string".into());
    }
    match obj.get("context") {
        Some(Value::Object(c))
            if c.get("id")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()) => {}
        Some(Value::Object(_)) => p.push("`context.id` is missing or not a string".into()),
        _ => p.push("`context` is missing or not an object (it must contain `id`)".into()),
    }
    let Some(members) = obj.get("members").and_then(Value::as_array) else {
        p.push("`members` is missing or not an array".into());
        return p;
    };
    let statuses: &[&str] = if allow_deleted {
        &["Active", "Inactive", "Deleted"]
    } else {
        &["Active", "Inactive"]
    };
    let mut bad = 0usize;
    for (i, m) in members.iter().enumerate() {
        let mut issues = Vec::new();
        if m.get("user_id")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            issues.push("no `user_id` string".to_string());
        }
        match m.get("roles").and_then(Value::as_array) {
            Some(r) if r.iter().all(Value::is_string) => {}
            Some(_) => issues.push("`roles` holds a non-string".into()),
            None => issues.push("no `roles` array".into()),
        }
        match m.get("status") {
            None => {}
            Some(Value::String(s)) if statuses.contains(&s.as_str()) => {}
            Some(other) => issues.push(format!(
                "`status` is {other} (expected one of {})",
                statuses.join(", ")
            )),
        }
        if !issues.is_empty() {
            bad += 1;
            if bad <= 5 {
                let who = m
                    .get("user_id")
                    .and_then(Value::as_str)
                    .map(|u| format!(" (user_id `{u}`)"))
                    .unwrap_or_default();
                p.push(format!("members[{i}]{who}: {}", issues.join("; ")));
            }
        }
    }
    if bad > 5 {
        p.push(format!("... and {} more member(s) with problems", bad - 5));
    }
    p
}

/// A JSON value's kind, for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether a member holds the context role `short` (`Learner`): the LIS
/// membership URI, the short form, or a sub-role URI ending in `#short`.
pub(crate) fn has_context_role(member: &Value, short: &str) -> bool {
    member
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|r| {
            r == short
                || r.strip_prefix("http://purl.imsglobal.org/vocab/lis/v2/membership")
                    .and_then(|rest| rest.rsplit_once('#'))
                    .is_some_and(|(_, s)| s == short)
        })
}

/// A user id of a member, or `""`.
pub(crate) fn user_id(member: &Value) -> &str {
    member
        .get("user_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A successful token response, as far as the harness needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grant {
    /// `access_token`.
    pub access_token: String,
    /// `token_type`, when present.
    pub token_type: Option<String>,
    /// `expires_in`, when present.
    pub expires_in: Option<Value>,
    /// `scope`, when present.
    pub scope: Option<String>,
}

/// Parses a token response the harness expects to succeed.
pub(crate) fn parse_grant(status: u16, body: &[u8]) -> Result<Grant, String> {
    if status != 200 {
        return Err(format!(
            "answered HTTP {status}, expected 200: {}",
            snippet(body)
        ));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "answered 200 but the body is not JSON ({e}): {}",
            snippet(body)
        )
    })?;
    let access_token = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            format!(
                "answered 200 without an `access_token` string: {}",
                snippet(body)
            )
        })?
        .to_string();
    Ok(Grant {
        access_token,
        token_type: v
            .get("token_type")
            .and_then(Value::as_str)
            .map(String::from),
        expires_in: v.get("expires_in").cloned(),
        scope: v.get("scope").and_then(Value::as_str).map(String::from),
    })
}

/// [`parse_grant`], registering the token with the run's redactor (bearer
/// tokens are secrets: they never reach the bundle).
fn grant_of(cx: &CaseCx, status: u16, body: &[u8]) -> Result<Grant, String> {
    let grant = parse_grant(status, body)?;
    cx.evidence.redactor().add_secret(&grant.access_token);
    Ok(grant)
}

/// Judges a grant for `requested` scopes: `token_type` bearer, `scope` present,
/// listing the requested scopes or a subset, and nothing else.
pub(crate) fn judge_grant_scopes(v: &mut Verdict, grant: &Grant, requested: &[&str]) {
    let tt = grant.token_type.as_deref();
    v.require(
        "token_type is bearer",
        tt.is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        format!("the token response has token_type {tt:?}; a bearer token (RFC 6750) is required"),
    );
    let Some(scope) = &grant.scope else {
        v.require(
            "the token response includes scope",
            false,
            "the token response has no `scope`: SEC 4.1 says the response MUST include a scope parameter confirming the granted scopes",
        );
        return;
    };
    let granted: BTreeSet<&str> = scope.split_whitespace().collect();
    let extra: Vec<&str> = granted
        .iter()
        .filter(|s| !requested.contains(s))
        .copied()
        .collect();
    v.require(
        "the granted scope is the requested list or a subset",
        extra.is_empty(),
        format!(
            "requested `{}` but the token was granted `{scope}`: the extra scope(s) {extra:?} were never asked for",
            requested.join(" ")
        ),
    );
    let missing: Vec<&str> = requested
        .iter()
        .filter(|s| !granted.contains(*s))
        .copied()
        .collect();
    v.require(
        "the requested scope is granted",
        missing.is_empty(),
        format!("requested `{}` but `scope` is `{scope}` (missing {missing:?}): the tool cannot call the service", requested.join(" ")),
    );
}

/// Judges the answer to a token request the platform must refuse: 400 (or 401,
/// RFC 6749 §5.2 `invalid_client`) passes; an issued token fails; any other
/// refusal (other 4xx, 5xx, 3xx) is a `warn` (refused, but not as SEC 4.1 says).
pub(crate) fn judge_refusal(v: &mut Verdict, what: &str, status: u16, body: &[u8]) {
    let name = format!("the token endpoint refuses {what}");
    if (200..300).contains(&status) {
        let issued = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|b| b.get("access_token").cloned())
            .is_some();
        v.require(
            name,
            false,
            if issued {
                format!("it issued an access token (HTTP {status}) for {what}; the authorization server MUST reject it with HTTP 400")
            } else {
                format!("it answered HTTP {status} for {what}; a refusal MUST be an HTTP 400 error response: {}", snippet(body))
            },
        );
        return;
    }
    if status == 400 || status == 401 {
        v.require(name, true, "");
        let error = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|b| b.get("error").and_then(Value::as_str).map(String::from));
        v.recommend(
            "the refusal is an OAuth error response",
            error.is_some(),
            format!(
                "HTTP {status} without a JSON `error` member (RFC 6749 §5.2): {}",
                snippet(body)
            ),
        );
        return;
    }
    if (300..400).contains(&status) {
        // A token endpoint is called by a client, not a browser: a redirect is
        // neither a token nor an error response the client can act on.
        v.require(
            name,
            false,
            format!("it answered a redirect (HTTP {status}) for {what}; a refusal MUST be an HTTP 400 error response (SEC 4.1, RFC 6749 §5.2): {}", snippet(body)),
        );
        return;
    }
    v.check(
        name,
        Outcome::Warn,
        format!("no token was issued, but the refusal is HTTP {status}; SEC 4.1 requires an HTTP 400 error response (RFC 6749 §5.2): {}", snippet(body)),
    );
}

/// A compact JWS with `alg: none` and an empty signature (built by hand: the
/// signing code refuses to produce one).
pub(crate) fn unsigned_jwt(claims: &Value) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = json!({"alg": "none", "typ": "JWT"});
    format!(
        "{}.{}.",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    )
}

// ---------------------------------------------------------------------------
// Steps shared by the cases (HTTP; they record into the verdict).
// ---------------------------------------------------------------------------

/// Folds a setup step's failure into `v` as one `setup: {step}` check.
pub(crate) fn absorb(v: &mut Verdict, step: &str, failed: Verdict) {
    v.check(format!("setup: {step}"), failed.outcome(), failed.message());
}

/// A failing check for a request that got no response.
pub(crate) fn transport(v: &mut Verdict, request: &str, e: &HttpError) {
    v.require(
        format!("{request} answered"),
        false,
        format!("{request} failed: {e}"),
    );
}

/// `GET url` with a bearer token and an `Accept` header.
pub(crate) async fn get_bearer(
    cx: &CaseCx,
    url: &str,
    token: &str,
    accept: &str,
) -> Result<Captured, HttpError> {
    let http = cx.http();
    http.send(
        http.inner()
            .get(url)
            .header(ACCEPT, accept)
            .bearer_auth(token),
    )
    .await
}

/// A GET a case depends on: `request` (how the evidence names it) with the
/// bearer `token` and `Accept: accept`, whose 200 is the check `ok` (`via`
/// names the token in the detail, e.g. `" with the NRPS token"`). `None`
/// when it did not answer 200; the verdict then says why.
#[allow(clippy::too_many_arguments)] // one call names the whole step
pub(crate) async fn get_ok(
    cx: &CaseCx,
    v: &mut Verdict,
    url: &str,
    token: &str,
    accept: &str,
    request: &str,
    ok: impl Into<String>,
    via: &str,
) -> Option<Captured> {
    let resp = match get_bearer(cx, url, token, accept).await {
        Ok(r) => r,
        Err(e) => {
            transport(v, request, &e);
            return None;
        }
    };
    let status = resp.status.as_u16();
    v.require(
        ok,
        status == 200,
        format!(
            "{request}{via} answered HTTP {status}: {}",
            snippet(&resp.body)
        ),
    )
    .then_some(resp)
}

/// Requires `resp` to carry the media type `media` (the check `name`).
pub(crate) fn require_media_type(
    v: &mut Verdict,
    resp: &Captured,
    name: &str,
    media: &str,
    request: &str,
) -> bool {
    let ct = resp.header("content-type");
    v.require(
        name,
        media_type_is(ct, media),
        format!("{request} answered Content-Type {ct:?}; expected `{media}`"),
    )
}

/// `POST url` with a bearer token and a JSON body of media type `content_type`.
pub(crate) async fn post_bearer(
    cx: &CaseCx,
    url: &str,
    token: &str,
    content_type: &str,
    accept: Option<&str>,
    body: &Value,
) -> Result<Captured, HttpError> {
    let http = cx.http();
    let mut b = http
        .inner()
        .post(url)
        .header(CONTENT_TYPE, content_type)
        .bearer_auth(token)
        .body(body.to_string());
    if let Some(a) = accept {
        b = b.header(ACCEPT, a);
    }
    http.send(b).await
}

/// Launches `kind` and returns the (decoded) id_token claims; on failure `v`
/// becomes the launch's verdict (skip when the profile lacks the launch).
pub(crate) async fn launch_claims(
    fx: &PlatformFixture,
    cx: &CaseCx,
    kind: LaunchKind,
    v: &mut Verdict,
) -> Option<Value> {
    match fx.launch(cx, kind).await {
        Ok(l) => Some(l.claims),
        Err(e) => {
            *v = e;
            None
        }
    }
}

/// A token for `scopes`, or `None` with a failing setup check in `v`.
pub(crate) async fn setup_token(
    fx: &PlatformFixture,
    cx: &CaseCx,
    scopes: &[&str],
    v: &mut Verdict,
) -> Option<String> {
    match fx.access_token(cx, scopes).await {
        Ok(t) => Some(t),
        Err(e) => {
            absorb(v, &format!("access token for `{}`", scopes.join(" ")), e);
            None
        }
    }
}

/// The NRPS `context_memberships_url` of the Nrps launch.
async fn nrps_url(fx: &PlatformFixture, cx: &CaseCx, v: &mut Verdict) -> Option<Url> {
    let claims = launch_claims(fx, cx, LaunchKind::Nrps, v).await?;
    let raw = claims
        .get(NRPS_CLAIM)
        .and_then(|c| c.get("context_memberships_url"))
        .and_then(Value::as_str);
    let Some(raw) = raw else {
        v.require(
            "setup: the nrps launch carries the NRPS claim",
            false,
            format!("the id_token of the `nrps` launch has no `{NRPS_CLAIM}` claim with a `context_memberships_url` string, so there is no memberships URL to call"),
        );
        return None;
    };
    match Url::parse(raw) {
        Ok(u) => Some(u),
        Err(e) => {
            v.require(
                "setup: context_memberships_url is a URL",
                false,
                format!("context_memberships_url `{raw}` is not an absolute URL: {e}"),
            );
            None
        }
    }
}

/// Launch + NRPS-scoped token: what every memberships case starts with.
async fn nrps_setup(fx: &PlatformFixture, cx: &CaseCx, v: &mut Verdict) -> Option<(Url, String)> {
    let url = nrps_url(fx, cx, v).await?;
    let token = setup_token(fx, cx, &[NRPS_SCOPE], v).await?;
    Some((url, token))
}

/// One memberships page as fetched.
struct Page {
    resp: Captured,
    body: Value,
    links: Vec<Link>,
}

/// GETs one memberships page; `None` with a failing check unless it is a 200
/// with a JSON object and a parseable `Link` header.
async fn fetch_page(
    cx: &CaseCx,
    url: &Url,
    token: &str,
    what: &str,
    v: &mut Verdict,
) -> Option<Page> {
    let request = format!("GET {url} ({what})");
    let resp = match get_bearer(cx, url.as_str(), token, NRPS_MEDIA_TYPE).await {
        Ok(r) => r,
        Err(e) => {
            transport(v, &request, &e);
            return None;
        }
    };
    if resp.status.as_u16() != 200 {
        v.require(
            format!("{what} answers 200"),
            false,
            format!(
                "{request} answered HTTP {}: {}",
                resp.status.as_u16(),
                snippet(&resp.body)
            ),
        );
        return None;
    }
    let body: Value = match resp.json() {
        Ok(b) => b,
        Err(e) => {
            v.require(
                format!("{what} is JSON"),
                false,
                format!(
                    "{request}: the body is not JSON ({e}): {}",
                    snippet(&resp.body)
                ),
            );
            return None;
        }
    };
    let links = match links_of(&resp.headers) {
        Ok(l) => l,
        Err(e) => {
            v.require(
                format!("{what}: the Link header is well-formed (RFC 8288)"),
                false,
                format!("{request}: {e}"),
            );
            return None;
        }
    };
    Some(Page { resp, body, links })
}

/// A full walk of a memberships URL, following `rel="next"`.
struct Walk {
    /// Every member, in the order served.
    members: Vec<Value>,
    /// Members per page.
    page_sizes: Vec<usize>,
}

async fn walk(cx: &CaseCx, start: &Url, token: &str, what: &str, v: &mut Verdict) -> Option<Walk> {
    let mut url = start.clone();
    let mut seen = BTreeSet::new();
    let mut out = Walk {
        members: Vec::new(),
        page_sizes: Vec::new(),
    };
    for n in 1..=MAX_PAGES {
        seen.insert(url.to_string());
        let page = fetch_page(cx, &url, token, &format!("{what}, page {n}"), v).await?;
        let members = page
            .body
            .get("members")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        out.page_sizes.push(members.len());
        out.members.extend(members);
        match rel_url(&page.links, "next", &page.resp.url) {
            None => return Some(out),
            Some(Err(e)) => {
                v.require(format!("{what}: rel=\"next\" is a URL"), false, e);
                return None;
            }
            Some(Ok(next)) => {
                if seen.contains(next.as_str()) {
                    v.require(
                        format!("{what}: paging terminates"),
                        false,
                        format!("page {n} links rel=\"next\" to `{next}`, a page already visited: the walk would never end"),
                    );
                    return None;
                }
                url = next;
            }
        }
    }
    v.require(
        format!("{what}: paging terminates"),
        false,
        format!("still a rel=\"next\" link after {MAX_PAGES} pages from `{start}`"),
    );
    None
}

// ---------------------------------------------------------------------------
// NRPS cases.
// ---------------------------------------------------------------------------

async fn nrps_call(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((url, token)) = nrps_setup(fx, cx, &mut v).await else {
        return v;
    };
    let request = format!("GET {url} (Accept: {NRPS_MEDIA_TYPE})");
    let Some(resp) = get_ok(
        cx,
        &mut v,
        url.as_str(),
        &token,
        NRPS_MEDIA_TYPE,
        &request,
        "the memberships call answers 200",
        " with the NRPS token",
    )
    .await
    else {
        return v;
    };
    require_media_type(
        &mut v,
        &resp,
        "Content-Type is the membership container media type",
        NRPS_MEDIA_TYPE,
        &request,
    );
    let body = resp.json::<Value>();
    v.require(
        "the body is a JSON object with members",
        matches!(&body, Ok(b) if b.get("members").is_some_and(Value::is_array)),
        format!(
            "{request}: the body is not a membership container: {}",
            snippet(&resp.body)
        ),
    );
    v
}

async fn nrps_payload(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((url, token)) = nrps_setup(fx, cx, &mut v).await else {
        return v;
    };
    let Some(page) = fetch_page(cx, &url, &token, "memberships", &mut v).await else {
        return v;
    };
    let problems = membership_problems(&page.body, false);
    v.require(
        "the membership container is complete",
        problems.is_empty(),
        format!("GET {url}: {}", problems.join("; ")),
    );
    let n = page
        .body
        .get("members")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    v.require(
        "the context has members",
        n > 0,
        format!("GET {url} returned an empty `members` array: the nrps launch's context must have members to certify NRPS"),
    );
    v
}

async fn nrps_headers(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((url, token)) = nrps_setup(fx, cx, &mut v).await else {
        return v;
    };
    // A small page, so a platform that pages shows its `Link` header here (and a
    // malformed one fails `fetch_page`'s RFC 8288 check instead of going unseen).
    let url = with_query(&url, &[("limit", "2")]);
    let Some(page) = fetch_page(cx, &url, &token, "memberships", &mut v).await else {
        return v;
    };
    // `fetch_page` parsed every `Link` value: reaching here means it held.
    v.require("the Link header is well-formed (RFC 8288)", true, "");
    let mut shown = Vec::new();
    for name in ["content-type", "link", "cache-control"] {
        for value in page.resp.headers.get_all(name) {
            shown.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
    }
    let rels: Vec<String> = page
        .links
        .iter()
        .map(|l| format!("rel=\"{}\" → {}", l.rels.join(" "), l.target))
        .collect();
    v.outcome = Some(Outcome::Review);
    v.message = format!(
        "Confirm these are the headers the platform sent for GET {url} (exchange #{}): [{}]; links found: [{}]",
        page.resp.seq,
        shown.join(" | "),
        if rels.is_empty() {
            "none".to_string()
        } else {
            rels.join(", ")
        }
    );
    v
}

async fn nrps_paging(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((url, token)) = nrps_setup(fx, cx, &mut v).await else {
        return v;
    };
    let Some(all) = walk(
        cx,
        &with_query(&url, &[("limit", "1000")]),
        &token,
        "limit=1000",
        &mut v,
    )
    .await
    else {
        return v;
    };
    let everyone: BTreeSet<&str> = all.members.iter().map(user_id).collect();
    if everyone.len() <= 2 {
        return Verdict::skip(format!(
            "the nrps context has {} member(s); paging with limit=2 needs at least 3 (CERT counts a skipped test as failed: enrol more members)",
            everyone.len()
        ));
    }
    let Some(paged) = walk(
        cx,
        &with_query(&url, &[("limit", "2")]),
        &token,
        "limit=2",
        &mut v,
    )
    .await
    else {
        return v;
    };
    let ids: Vec<&str> = paged.members.iter().map(user_id).collect();
    let got: BTreeSet<&str> = ids.iter().copied().collect();
    v.require(
        "limit=2: the first page links rel=\"next\"",
        paged.page_sizes.len() > 1 || paged.page_sizes.first().copied().unwrap_or(0) >= everyone.len(),
        format!(
            "GET {url} with limit=2 returned {} member(s) of {} and no Link rel=\"next\": the rest cannot be reached",
            paged.page_sizes.first().copied().unwrap_or(0),
            everyone.len()
        ),
    );
    let missing: Vec<&str> = everyone.difference(&got).copied().collect();
    let extra: Vec<&str> = got.difference(&everyone).copied().collect();
    v.require(
        "walking rel=\"next\" yields every member",
        missing.is_empty() && extra.is_empty(),
        format!(
            "walking limit=2 pages ({:?} members per page) missed {missing:?} and added {extra:?} compared with the unpaged list of {} members",
            paged.page_sizes,
            everyone.len()
        ),
    );
    v.require(
        "no member is served twice",
        ids.len() == got.len(),
        format!(
            "walking limit=2 pages served {} members but only {} distinct user_ids: a page repeats members",
            ids.len(),
            got.len()
        ),
    );
    v.recommend(
        "limit=2 is honoured",
        paged.page_sizes.iter().all(|n| *n <= 2),
        format!(
            "pages held {:?} members with limit=2 (allowed: the platform MAY return more, but then limit does nothing)",
            paged.page_sizes
        ),
    );
    v
}

async fn nrps_role_filter(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((url, token)) = nrps_setup(fx, cx, &mut v).await else {
        return v;
    };
    let Some(all) = walk(cx, &url, &token, "unfiltered", &mut v).await else {
        return v;
    };
    let learners: BTreeSet<&str> = all
        .members
        .iter()
        .filter(|m| has_context_role(m, "Learner"))
        .map(user_id)
        .collect();
    let others = all
        .members
        .iter()
        .filter(|m| !has_context_role(m, "Learner"))
        .count();
    if learners.is_empty() || others == 0 {
        return Verdict::skip(format!(
            "the nrps context has {} learner(s) and {others} other member(s); the role filter can only be told apart from no filter with both (CERT counts a skipped test as failed)",
            learners.len()
        ));
    }
    for (role, required) in [(LEARNER, true), ("Learner", false)] {
        let what = format!("role={role}");
        let Some(f) = walk(
            cx,
            &with_query(&url, &[("role", role)]),
            &token,
            &what,
            &mut v,
        )
        .await
        else {
            return v;
        };
        let wrong: Vec<&str> = f
            .members
            .iter()
            .filter(|m| !has_context_role(m, "Learner"))
            .map(user_id)
            .collect();
        let got: BTreeSet<&str> = f.members.iter().map(user_id).collect();
        let missing: Vec<&str> = learners.difference(&got).copied().collect();
        let ok = wrong.is_empty() && missing.is_empty();
        let detail = format!(
            "GET {url} with {what} returned non-learners {wrong:?} and missed learners {missing:?} (unfiltered: {} learner(s), {others} other member(s))",
            learners.len()
        );
        if required {
            v.require(format!("{what} returns exactly the learners"), ok, detail);
        } else {
            v.recommend(
                format!("{what} (short context role) returns exactly the learners"),
                ok,
                detail,
            );
        }
    }
    v
}

async fn nrps_differences(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((url, token)) = nrps_setup(fx, cx, &mut v).await else {
        return v;
    };
    let Some(page) = fetch_page(cx, &url, &token, "memberships", &mut v).await else {
        return v;
    };
    let diff = match rel_url(&page.links, "differences", &page.resp.url) {
        None => {
            return Verdict::skip(format!(
                "GET {url} offers no Link rel=\"differences\" (optional in NRPS 2.0), so there is nothing to follow"
            ));
        }
        Some(Err(e)) => {
            v.require("rel=\"differences\" is a URL", false, e);
            return v;
        }
        Some(Ok(u)) => u,
    };
    let request = format!("GET {diff} (the rel=\"differences\" link)");
    let Some(resp) = get_ok(
        cx,
        &mut v,
        diff.as_str(),
        &token,
        NRPS_MEDIA_TYPE,
        &request,
        "the differences URL answers 200",
        "",
    )
    .await
    else {
        return v;
    };
    // The media type is `nrps.call`'s to judge: one defect, one failing case.
    match resp.json::<Value>() {
        Ok(body) => {
            let problems = membership_problems(&body, true);
            v.require(
                "the differences report is a well-formed membership container",
                problems.is_empty(),
                format!("{request}: {}", problems.join("; ")),
            );
        }
        Err(e) => {
            v.require(
                "the differences report is JSON",
                false,
                format!("{request}: not JSON ({e}): {}", snippet(&resp.body)),
            );
        }
    }
    v
}

// ---------------------------------------------------------------------------
// Token endpoint cases.
// ---------------------------------------------------------------------------

/// Official token step: a valid assertion for `scope` alone yields a bearer
/// token whose `scope` confirms it.
pub(crate) async fn token_grant_case(fx: &PlatformFixture, cx: &CaseCx, scope: &str) -> Verdict {
    let mut v = Verdict::new();
    let assertion = match fx.sign_jwt(&json!({}), &fx.assertion_claims()) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let resp = match fx.token_request(cx, &assertion, scope).await {
        Ok(r) => r,
        Err(e) => {
            transport(
                &mut v,
                &format!("POST token endpoint (scope `{scope}`)"),
                &e,
            );
            return v;
        }
    };
    match grant_of(cx, resp.status.as_u16(), &resp.body) {
        Ok(grant) => {
            v.require("a bearer token is granted", true, "");
            judge_grant_scopes(&mut v, &grant, &[scope]);
        }
        Err(e) => {
            v.require(
                "a bearer token is granted",
                false,
                format!("the token request for `{scope}` (client_credentials, signed RS256 client assertion) {e}"),
            );
        }
    }
    v
}

/// Sends `assertion` for the NRPS scope and judges the refusal.
///
/// A refusal proves something only if the endpoint issues tokens at all: after
/// a refusal, a control request with a fresh valid assertion must get a token,
/// otherwise the case is an `error` (a token endpoint that refuses everything
/// must not pass the negative cases).
async fn refused(fx: &PlatformFixture, cx: &CaseCx, assertion: &str, what: &str, v: &mut Verdict) {
    match fx.token_request(cx, assertion, NRPS_SCOPE).await {
        Ok(r) => judge_refusal(v, what, r.status.as_u16(), &r.body),
        Err(e) => {
            transport(v, &format!("POST token endpoint with {what}"), &e);
            return;
        }
    }
    if v.outcome() == Outcome::Fail {
        return;
    }
    if let Err(control) = fx.access_token(cx, &[NRPS_SCOPE]).await {
        *v = Verdict::error(format!(
            "control request failed, so the refusal of {what} proves nothing: the token endpoint does not issue a token for a valid client assertion either ({})",
            control.message()
        ));
    }
}

/// Signs `claims` with the tool key, then expects a refusal.
async fn refused_signed(fx: &PlatformFixture, cx: &CaseCx, claims: Value, what: &str) -> Verdict {
    let mut v = Verdict::new();
    let assertion = match fx.sign_jwt(&json!({}), &claims) {
        Ok(a) => a,
        Err(e) => return e,
    };
    refused(fx, cx, &assertion, what, &mut v).await;
    v
}

async fn token_aud(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut claims = fx.assertion_claims();
    claims["aud"] = json!("https://accredit.invalid/another-authorization-server/token");
    refused_signed(
        fx,
        cx,
        claims,
        "a client assertion whose aud is https://accredit.invalid/another-authorization-server/token",
    )
    .await
}

async fn token_iss_sub(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut claims = fx.assertion_claims();
    claims["iss"] = json!("accredit-unregistered-client");
    claims["sub"] = json!("accredit-unregistered-client");
    refused_signed(
        fx,
        cx,
        claims,
        "a client assertion with iss = sub = `accredit-unregistered-client` (signed with the registered tool key)",
    )
    .await
}

async fn token_expired(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut claims = fx.assertion_claims();
    let now = accredit_core::jose::now_secs();
    claims["iat"] = json!(now - 900);
    claims["exp"] = json!(now - 600);
    refused_signed(
        fx,
        cx,
        claims,
        "a client assertion that expired 10 minutes ago",
    )
    .await
}

async fn token_alg_none(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let assertion = unsigned_jwt(&fx.assertion_claims());
    refused(
        fx,
        cx,
        &assertion,
        "an unsigned client assertion (alg: none)",
        &mut v,
    )
    .await;
    v
}

async fn token_jti_replay(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let assertion = match fx.sign_jwt(&json!({}), &fx.assertion_claims()) {
        Ok(a) => a,
        Err(e) => return e,
    };
    match fx.token_request(cx, &assertion, NRPS_SCOPE).await {
        Ok(r) => {
            if let Err(e) = grant_of(cx, r.status.as_u16(), &r.body) {
                v.require(
                    "setup: the first use of the assertion is granted",
                    false,
                    format!("the first token request with a fresh, valid assertion {e}; replay cannot be judged"),
                );
                return v;
            }
            v.require("setup: the first use of the assertion is granted", true, "");
        }
        Err(e) => {
            transport(
                &mut v,
                "POST token endpoint (first use of the assertion)",
                &e,
            );
            return v;
        }
    }
    refused(
        fx,
        cx,
        &assertion,
        "the same client assertion (same jti) a second time",
        &mut v,
    )
    .await;
    v
}

async fn token_scope_subset(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let assertion = match fx.sign_jwt(&json!({}), &fx.assertion_claims()) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let scope = format!("{NRPS_SCOPE} {UNKNOWN_SCOPE}");
    let resp = match fx.token_request(cx, &assertion, &scope).await {
        Ok(r) => r,
        Err(e) => {
            transport(&mut v, "POST token endpoint (known + unknown scope)", &e);
            return v;
        }
    };
    let status = resp.status.as_u16();
    if status == 400 {
        let error = resp
            .json::<Value>()
            .ok()
            .and_then(|b| b.get("error").and_then(Value::as_str).map(String::from));
        v.require("the unknown scope is not granted (refused)", true, "");
        v.recommend(
            "the refusal is invalid_scope",
            error.as_deref() == Some("invalid_scope"),
            format!("refused with error {error:?}; RFC 6749 §5.2 names this `invalid_scope`"),
        );
        // As in `refused`: a refusal counts only if a valid request is granted.
        if let Err(control) = fx.access_token(cx, &[NRPS_SCOPE]).await {
            return Verdict::error(format!(
                "control request failed, so refusing `{scope}` proves nothing: the token endpoint does not grant the NRPS scope alone either ({})",
                control.message()
            ));
        }
        return v;
    }
    match grant_of(cx, status, &resp.body) {
        Ok(grant) => match &grant.scope {
            None => {
                v.require(
                    "the token response includes scope",
                    false,
                    format!("asked for `{scope}` and got a token with no `scope`: the response MUST include scope so the tool knows the unknown scope was not granted"),
                );
            }
            Some(s) => {
                v.require(
                    "the unknown scope is not granted",
                    !s.split_whitespace().any(|x| x == UNKNOWN_SCOPE),
                    format!("asked for `{scope}` and the token was granted `{s}`, including a scope that does not exist"),
                );
                v.require(
                    "only requested scopes are granted",
                    s.split_whitespace()
                        .all(|x| x == NRPS_SCOPE || x == UNKNOWN_SCOPE),
                    format!("asked for `{scope}` and the token was granted `{s}`: more than asked"),
                );
            }
        },
        Err(e) => {
            v.check(
                "the unknown scope is not granted",
                if (400..500).contains(&status) {
                    Outcome::Warn
                } else {
                    Outcome::Fail
                },
                format!("asked for `{scope}`: expected 200 with a subset scope or 400 invalid_scope, but it {e}"),
            );
        }
    }
    v
}

async fn token_lifetime(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let assertion = match fx.sign_jwt(&json!({}), &fx.assertion_claims()) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let resp = match fx.token_request(cx, &assertion, NRPS_SCOPE).await {
        Ok(r) => r,
        Err(e) => {
            transport(&mut v, "POST token endpoint", &e);
            return v;
        }
    };
    let grant = match grant_of(cx, resp.status.as_u16(), &resp.body) {
        Ok(g) => g,
        Err(e) => {
            v.require(
                "a bearer token is granted",
                false,
                format!("the token request {e}"),
            );
            return v;
        }
    };
    judge_lifetime(&mut v, &grant);
    v
}

/// The token response's shape: `expires_in`, `token_type`, `scope`, the token's characters.
pub(crate) fn judge_lifetime(v: &mut Verdict, grant: &Grant) {
    let secs = grant.expires_in.as_ref().and_then(Value::as_f64);
    v.require(
        "expires_in is present and positive",
        secs.is_some_and(|s| s > 0.0),
        format!(
            "the token response has expires_in {}: the tool cannot know when to renew (SEC 4.1: the response contains the token's expiry lifetime)",
            grant
                .expires_in
                .as_ref()
                .map_or("absent".to_string(), Value::to_string)
        ),
    );
    if let Some(s) = secs.filter(|s| *s > 0.0) {
        v.recommend(
            "expires_in is at most 3600 s",
            s <= 3600.0,
            format!("expires_in is {s} s; 1EdTech recommends 3600 s (longer-lived bearer tokens widen the replay window)"),
        );
    }
    let tt = grant.token_type.as_deref();
    v.require(
        "token_type is bearer",
        tt.is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        format!("token_type is {tt:?}; expected `bearer`"),
    );
    v.require(
        "scope is present",
        grant.scope.as_deref().is_some_and(|s| !s.trim().is_empty()),
        "the token response has no `scope`: it MUST confirm the granted scopes",
    );
    let t = &grant.access_token;
    // SEC 4.1 writes 0x20-0x7A, but RFC 6750's b64token allows `~` (0x7E) and
    // real platforms use it: printable ASCII is what a tool can send back.
    v.require(
        "the token is printable ASCII",
        t.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        "the access token has characters outside printable ASCII (0x20-0x7E): SEC 4.1 says it MUST ONLY contain ASCII characters",
    );
    v.recommend(
        "the token is at least 15 characters",
        t.len() >= 15,
        format!(
            "the access token is {} characters long; SEC recommends at least 15",
            t.len()
        ),
    );
}

// ---------------------------------------------------------------------------
// Service security.
// ---------------------------------------------------------------------------

/// Judges the answer to a service request with a bearer the platform never issued.
pub(crate) fn judge_bad_bearer(v: &mut Verdict, request: &str, status: u16, body: &[u8]) {
    let name = format!("{request} with an unknown bearer is refused");
    match status {
        401 => {
            v.require(name, true, "");
        }
        200..=299 => {
            v.require(
                name,
                false,
                format!("{request} with `Authorization: Bearer <a token never issued>` answered HTTP {status}: the service is unprotected"),
            );
        }
        403 => {
            v.check(
                name,
                Outcome::Warn,
                format!("{request} answered 403; an invalid token is 401 invalid_token (RFC 6750 §3.1), 403 is for a valid token lacking scope"),
            );
        }
        other => {
            v.check(
                name,
                Outcome::Warn,
                format!("{request} answered HTTP {other} (expected 401 invalid_token, RFC 6750 §3.1): {}", snippet(body)),
            );
        }
    }
}

async fn svc_bad_bearer(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let garbage = format!("accredit-never-issued-{}", uuid::Uuid::new_v4().simple());
    let Some(url) = nrps_url(fx, cx, &mut v).await else {
        return v;
    };
    let request = format!("GET {url}");
    match get_bearer(cx, url.as_str(), &garbage, NRPS_MEDIA_TYPE).await {
        Ok(r) => judge_bad_bearer(&mut v, &request, r.status.as_u16(), &r.body),
        Err(e) => transport(&mut v, &request, &e),
    }
    ags::bad_bearer(fx, cx, &garbage, &mut v).await;
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn link(target: &str, rels: &[&str]) -> Link {
        Link {
            target: target.into(),
            rels: rels.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[rstest]
    #[case::single("<https://a/m?p=2>; rel=\"next\"", vec![link("https://a/m?p=2", &["next"])])]
    #[case::two_links(
        "<https://a/m?p=2>; rel=\"next\", <https://a/m?since=1>; rel=\"differences\"",
        vec![link("https://a/m?p=2", &["next"]), link("https://a/m?since=1", &["differences"])]
    )]
    #[case::unquoted_and_case("<https://a/x>;REL=Next", vec![link("https://a/x", &["next"])])]
    #[case::comma_in_target("<https://a/x?a=1,2>; rel=\"next\"", vec![link("https://a/x?a=1,2", &["next"])])]
    #[case::several_rels_and_params(
        "<https://a/x>; title=\"a, b; c\"; rel=\"next last\"",
        vec![link("https://a/x", &["next", "last"])]
    )]
    #[case::relative("</m?p=3>; rel=next", vec![link("/m?p=3", &["next"])])]
    #[case::empty("", vec![])]
    #[case::empty_elements(" , <https://a/x>; rel=\"next\" ,", vec![link("https://a/x", &["next"])])]
    #[case::first_rel_wins("<https://a/x>; rel=next; rel=prev", vec![link("https://a/x", &["next"])])]
    fn link_headers_parse(#[case] header: &str, #[case] expected: Vec<Link>) {
        assert_eq!(parse_link_header(header), Ok(expected));
    }

    #[rstest]
    #[case::no_brackets("https://a/x; rel=\"next\"")]
    #[case::unclosed_target("<https://a/x; rel=\"next\"")]
    #[case::unclosed_quote("<https://a/x>; rel=\"next")]
    #[case::garbage_after_target("<https://a/x> rel=\"next\"")]
    #[case::no_rel("<https://a/x>; title=\"t\"")]
    #[case::escaped_quote_unclosed("<https://a/x>; rel=\"next\\\"")]
    fn malformed_link_headers_are_errors(#[case] header: &str) {
        assert!(parse_link_header(header).is_err(), "{header}");
    }

    #[test]
    fn rel_url_resolves_relative_targets() {
        let base = Url::parse("https://lms.example/ctx/1/members?limit=2")
            .unwrap_or_else(|e| panic!("{e}"));
        let links = parse_link_header("</ctx/1/members?limit=2&page=2>; rel=\"next\"")
            .unwrap_or_else(|e| panic!("{e}"));
        let next = rel_url(&links, "next", &base)
            .and_then(Result::ok)
            .map(|u| u.to_string());
        assert_eq!(
            next.as_deref(),
            Some("https://lms.example/ctx/1/members?limit=2&page=2")
        );
        assert!(rel_url(&links, "differences", &base).is_none());
    }

    #[rstest]
    #[case::exact(Some(NRPS_MEDIA_TYPE), true)]
    #[case::params_and_case(
        Some("Application/VND.ims.lti-nrps.v2.membershipcontainer+json; charset=utf-8"),
        true
    )]
    #[case::plain_json(Some("application/json"), false)]
    #[case::absent(None, false)]
    fn media_types(#[case] ct: Option<&str>, #[case] ok: bool) {
        assert_eq!(media_type_is(ct, NRPS_MEDIA_TYPE), ok);
    }

    fn container() -> Value {
        json!({
            "id": "https://lms.example/ctx/1/members",
            "context": {"id": "ctx-1"},
            "members": [
                {"user_id": "u1", "roles": [LEARNER], "status": "Active"},
                {"user_id": "u2", "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], "status": "Inactive"},
                {"user_id": "u3", "roles": []}
            ]
        })
    }

    #[test]
    fn a_good_container_has_no_problems() {
        assert_eq!(
            membership_problems(&container(), false),
            Vec::<String>::new()
        );
    }

    #[rstest]
    #[case::no_id("/id", Value::Null, "`id`")]
    #[case::no_context("/context", Value::Null, "`context`")]
    #[case::no_context_id("/context/id", json!(7), "`context.id`")]
    #[case::no_members("/members", json!({}), "`members`")]
    #[case::member_without_user("/members/0/user_id", Value::Null, "no `user_id`")]
    #[case::member_without_roles("/members/1/roles", json!("Learner"), "no `roles`")]
    #[case::bad_status("/members/0/status", json!("Deleted"), "`status`")]
    fn container_problems_are_found(
        #[case] pointer: &str,
        #[case] value: Value,
        #[case] expect: &str,
    ) {
        let mut body = container();
        if let Some(slot) = body.pointer_mut(pointer) {
            *slot = value;
        }
        let problems = membership_problems(&body, false);
        assert!(problems.iter().any(|p| p.contains(expect)), "{problems:?}");
    }

    #[test]
    fn deleted_is_allowed_in_differences_only() {
        let mut body = container();
        if let Some(s) = body.pointer_mut("/members/0/status") {
            *s = json!("Deleted");
        }
        assert!(membership_problems(&body, true).is_empty());
        assert!(!membership_problems(&body, false).is_empty());
        assert!(!membership_problems(&json!([]), false).is_empty());
    }

    #[rstest]
    #[case::uri(json!({"roles": [LEARNER]}), true)]
    #[case::short(json!({"roles": ["Learner"]}), true)]
    #[case::sub_role(json!({"roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#Learner"]}), true)]
    #[case::instructor(json!({"roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]}), false)]
    #[case::institution(json!({"roles": ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Learner"]}), false)]
    #[case::no_roles(json!({}), false)]
    fn learner_roles(#[case] member: Value, #[case] learner: bool) {
        assert_eq!(has_context_role(&member, "Learner"), learner);
    }

    fn outcome_of(f: impl FnOnce(&mut Verdict)) -> Outcome {
        let mut v = Verdict::new();
        f(&mut v);
        v.outcome()
    }

    #[rstest]
    #[case::issued(200, r#"{"access_token":"x"}"#, Outcome::Fail)]
    #[case::ok_without_token(200, "{}", Outcome::Fail)]
    #[case::bad_request(400, r#"{"error":"invalid_client"}"#, Outcome::Pass)]
    #[case::unauthorized(401, r#"{"error":"invalid_client"}"#, Outcome::Pass)]
    #[case::bare_400(400, "no", Outcome::Warn)]
    #[case::forbidden(403, "{}", Outcome::Warn)]
    #[case::crash(500, "boom", Outcome::Warn)]
    fn refusals(#[case] status: u16, #[case] body: &str, #[case] expected: Outcome) {
        assert_eq!(
            outcome_of(|v| judge_refusal(v, "x", status, body.as_bytes())),
            expected
        );
    }

    #[rstest]
    #[case::exact(
        r#"{"access_token":"abcdefghijklmnop","token_type":"Bearer","scope":"s1"}"#,
        Outcome::Pass
    )]
    #[case::extra_scope(
        r#"{"access_token":"abcdefghijklmnop","token_type":"bearer","scope":"s1 s2"}"#,
        Outcome::Fail
    )]
    #[case::missing_scope(
        r#"{"access_token":"abcdefghijklmnop","token_type":"bearer","scope":"s2"}"#,
        Outcome::Fail
    )]
    #[case::no_scope(
        r#"{"access_token":"abcdefghijklmnop","token_type":"bearer"}"#,
        Outcome::Fail
    )]
    #[case::mac(
        r#"{"access_token":"abcdefghijklmnop","token_type":"mac","scope":"s1"}"#,
        Outcome::Fail
    )]
    fn grant_scopes(#[case] body: &str, #[case] expected: Outcome) {
        let grant = parse_grant(200, body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcome_of(|v| judge_grant_scopes(v, &grant, &["s1"])),
            expected
        );
    }

    #[rstest]
    #[case::not_200(500, "{}")]
    #[case::not_json(200, "<html>")]
    #[case::no_token(200, r#"{"token_type":"bearer"}"#)]
    #[case::empty_token(200, r#"{"access_token":""}"#)]
    fn grants_that_are_not(#[case] status: u16, #[case] body: &str) {
        assert!(parse_grant(status, body.as_bytes()).is_err());
    }

    #[rstest]
    #[case::good(r#"{"access_token":"accredit-at-0123456789","token_type":"bearer","expires_in":3600,"scope":"s"}"#, Outcome::Pass)]
    #[case::no_expires_in(
        r#"{"access_token":"accredit-at-0123456789","token_type":"bearer","scope":"s"}"#,
        Outcome::Fail
    )]
    #[case::zero_expires_in(r#"{"access_token":"accredit-at-0123456789","token_type":"bearer","expires_in":0,"scope":"s"}"#, Outcome::Fail)]
    #[case::long_lived(r#"{"access_token":"accredit-at-0123456789","token_type":"bearer","expires_in":86400,"scope":"s"}"#, Outcome::Warn)]
    #[case::short_token(
        r#"{"access_token":"abc","token_type":"bearer","expires_in":3600,"scope":"s"}"#,
        Outcome::Warn
    )]
    #[case::non_ascii(r#"{"access_token":"accredit-at-0123456789é","token_type":"bearer","expires_in":3600,"scope":"s"}"#, Outcome::Fail)]
    fn lifetimes(#[case] body: &str, #[case] expected: Outcome) {
        let grant = parse_grant(200, body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcome_of(|v| judge_lifetime(v, &grant)), expected);
    }

    #[rstest]
    #[case::unauthorized(401, Outcome::Pass)]
    #[case::served(200, Outcome::Fail)]
    #[case::forbidden(403, Outcome::Warn)]
    #[case::crash(500, Outcome::Warn)]
    fn bad_bearers(#[case] status: u16, #[case] expected: Outcome) {
        assert_eq!(
            outcome_of(|v| judge_bad_bearer(v, "GET x", status, b"")),
            expected
        );
    }

    #[test]
    fn unsigned_jwts_have_alg_none_and_no_signature() {
        let jwt = unsigned_jwt(&json!({"iss": "c"}));
        assert!(jwt.ends_with('.'));
        let decoded =
            accredit_core::jose::decode_unverified(&jwt).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded.header["alg"], "none");
        assert_eq!(decoded.claims["iss"], "c");
    }

    #[test]
    fn with_query_keeps_the_existing_query() {
        let u = Url::parse("https://a/m?ctx=1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            with_query(&u, &[("limit", "2")]).as_str(),
            "https://a/m?ctx=1&limit=2"
        );
    }

    #[test]
    fn snippets_are_bounded_and_char_safe() {
        let long = "é".repeat(1000);
        let s = snippet(long.as_bytes());
        assert!(s.chars().count() <= SNIPPET + 1);
        assert_eq!(snippet(b"  "), "(empty body)");
    }
}
