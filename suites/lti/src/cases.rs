//! The lti-tool cases: metadata as data, one async function each.
//!
//! Ids follow `lti.tool.<area>.<what>`; the catalog row each case comes from
//! (lti-catalog.md) is named in its doc comment. Official cases come from the
//! LTI Advantage Conformance Certification Guide §6.1; `lti.tool.sec.*` cases are
//! harness extensions (HX) drawn from Security Framework MUSTs.

use futures::FutureExt;
use serde_json::{Value, json};

use accredit_core::jose::{SigningKey, rs256_header};
use accredit_core::{Case, CaseCx, CaseMeta, Level, Verdict};
use accredit_mock_platform::{LaunchPlan, NonceRule, Signer};

use crate::flow::{
    Attempt, Fixture, LaunchRun, LoginMethod, judge_refusal, require_accepted, run_launch,
};
use crate::payloads::{LTI, Persona, resource_link_launch, set};
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

/// Every case, in report order.
pub fn cases() -> Vec<Case<Fixture>> {
    vec![
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
    ]
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
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let attempt = Attempt::new(cx);
    let claims = resource_link_launch(&fx.profile, persona, &attempt.tag);
    let run = match run_launch(fx, cx, &ua, &attempt, LaunchPlan::signed(claims), method).await {
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
    v.check(
        "the first, valid launch was accepted",
        accredit_core::Outcome::Pass,
        "",
    );
    judge_refusal(
        &mut v,
        &run2,
        marker(fx),
        "the replayed id_token (nonce already used, not bound to this login)",
    );
    v
}
