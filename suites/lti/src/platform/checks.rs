//! Judging a captured launch: one [`Aspect`] per official test of CERT §5.1/5.2.
//!
//! Why pure functions over the captured token: each aspect must fail for its own
//! defect and only for it (a token signed RS512 fails "Signed with RSA 256" and
//! nothing else), which the fault matrix proves; pure functions also let the
//! negative tests feed crafted claim sets without a platform. Only
//! [`Aspect::Signature`] needs the network (the platform JWKS, recorded).

use openssl::hash::MessageDigest;
use openssl::sign::Verifier;
use serde_json::Value;

use accredit_core::jose::{self, JwkSet, now_secs};
use accredit_core::{CaseCx, Outcome, Verdict};

use super::fixture::{CapturedLaunch, LaunchKind, PlatformFixture};

/// The LTI claim namespace.
pub(crate) const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
/// The Deep Linking claim namespace.
pub(crate) const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";
/// The NRPS claim.
pub(crate) const NRPS_CLAIM: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
/// The AGS claim.
pub(crate) const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
/// LIS context role vocabulary.
const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership";
/// Clock-skew tolerance on `iat`/`exp`, seconds.
const LEEWAY: i64 = 60;
/// Oldest acceptable `iat` at receipt, seconds (a launch token is fresh).
const MAX_AGE: i64 = 600;

/// What an official launch test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aspect {
    /// "Payload is LTI 1.3": form_post of id_token + state to the redirect_uri,
    /// the JWT parses, the message type.
    IsLti13,
    /// "Payload Timestamps Valid".
    Timestamps,
    /// "Payload Signed with RSA 256".
    Rs256,
    /// "Payload Signature Valid".
    Signature,
    /// "Payload is Complete".
    Complete,
    /// "Payload LTI Version".
    Version,
    /// "Payload Roles Correct".
    Roles,
    /// "Payload Without PII".
    NoPii,
    /// "Payload is Free of Extra Whitespace".
    NoWhitespace,
    /// "Payload Expected Received" (human affirmation).
    ExpectedReceived,
}

/// Launches `kind` and judges `aspect` of what arrived.
pub(crate) async fn judge_launch(
    fx: &PlatformFixture,
    cx: &CaseCx,
    kind: LaunchKind,
    aspect: Aspect,
) -> Verdict {
    let launch = match fx.launch(cx, kind).await {
        Ok(l) => l,
        Err(v) => return v,
    };
    match aspect {
        Aspect::Signature => judge_signature(fx, cx, &launch).await,
        Aspect::ExpectedReceived => {
            let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
            cx.log(format!(
                "decoded id_token header:\n{}",
                pretty(&launch.header)
            ));
            cx.log(format!(
                "decoded id_token payload:\n{}",
                pretty(&launch.claims)
            ));
            let mut v = Verdict::review(format!(
                "affirm that every expected value of the {} launch was received (decoded payload in the case log)",
                kind.profile_key()
            ));
            v.check("id_token received and decoded", Outcome::Pass, "");
            v
        }
        other => judge_claims(fx.profile(), fx.redirect_uri(), &launch, other),
    }
}

/// The pure aspects (every one but `Signature` and `ExpectedReceived`).
pub(crate) fn judge_claims(
    profile: &super::LtiPlatformProfile,
    redirect_uri: &str,
    l: &CapturedLaunch,
    aspect: Aspect,
) -> Verdict {
    let mut v = Verdict::new();
    let c = &l.claims;
    match aspect {
        Aspect::IsLti13 => {
            v.require(
                "the id_token is sent by form_post (POST)",
                l.launch_method == "POST",
                format!(
                    "it arrived by {} (response_mode=form_post was requested)",
                    l.launch_method
                ),
            );
            v.require(
                "the id_token is sent to the registered redirect_uri",
                l.launch_url == redirect_uri,
                format!(
                    "sent to {}, the harness asked for {redirect_uri}",
                    l.launch_url
                ),
            );
            let state = super::fixture::param(&l.launch_params, "state");
            v.require(
                "state is echoed unaltered",
                state == Some(l.state.as_str()),
                format!("sent `{}`, got back {:?}", l.state, state),
            );
            v.require(
                "the id_token is a JWT with a JSON payload",
                c.is_object(),
                "the payload is not a JSON object",
            );
            let mt = str_claim(c, &format!("{LTI}message_type"));
            v.require(
                format!("message_type is {}", l.kind.message_type()),
                mt == Some(l.kind.message_type()),
                format!("message_type is {mt:?}"),
            );
        }
        Aspect::Timestamps => judge_timestamps(&mut v, c, now_secs()),
        Aspect::Rs256 => {
            let alg = l.header.get("alg").and_then(Value::as_str);
            v.require(
                "header alg is RS256",
                alg == Some("RS256"),
                format!("alg is {alg:?}"),
            );
        }
        Aspect::Signature | Aspect::ExpectedReceived => {
            v.check(
                "aspect judged elsewhere",
                Outcome::Error,
                "harness defect: this aspect needs the network",
            );
        }
        Aspect::Complete => judge_complete(&mut v, profile, l),
        Aspect::Version => {
            let ver = str_claim(c, &format!("{LTI}version"));
            v.require(
                "version is 1.3.0",
                ver == Some("1.3.0"),
                format!("version is {ver:?}"),
            );
        }
        Aspect::Roles => judge_roles(&mut v, c, l.kind.is_learner()),
        Aspect::NoPii => {
            let allowed_email = l.kind == LaunchKind::InstructorNoPii;
            let present: Vec<&str> = ["name", "given_name", "family_name", "email"]
                .into_iter()
                .filter(|k| !(allowed_email && *k == "email"))
                .filter(|k| c.get(*k).is_some_and(|x| !x.is_null()))
                .collect();
            v.require(
                "no PII claim (name, given_name, family_name, email)",
                present.is_empty(),
                format!("present: {}", present.join(", ")),
            );
        }
        Aspect::NoWhitespace => {
            let mut found = Vec::new();
            whitespace_values("", c, &mut found);
            v.require(
                "no value has leading or trailing whitespace",
                found.is_empty(),
                format!("{} value(s): {}", found.len(), found.join(", ")),
            );
        }
    }
    v
}

pub(crate) fn str_claim<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c.get(name).and_then(Value::as_str)
}

fn judge_timestamps(v: &mut Verdict, c: &Value, now: i64) {
    let iat = c.get("iat").and_then(Value::as_i64);
    let exp = c.get("exp").and_then(Value::as_i64);
    v.require(
        "iat is a number of seconds",
        iat.is_some(),
        format!("iat is {:?}", c.get("iat")),
    );
    v.require(
        "exp is a number of seconds",
        exp.is_some(),
        format!("exp is {:?}", c.get("exp")),
    );
    if let (Some(iat), Some(exp)) = (iat, exp) {
        v.require(
            "exp is after iat",
            exp > iat,
            format!("iat {iat}, exp {exp}"),
        );
        v.require(
            "iat is not in the future",
            iat <= now + LEEWAY,
            format!("iat is {}s ahead of the harness clock", iat - now),
        );
        v.require(
            "iat is recent",
            iat >= now - MAX_AGE,
            format!(
                "iat is {}s old at receipt (more than {MAX_AGE}s)",
                now - iat
            ),
        );
        v.require(
            "exp is not past",
            exp >= now - LEEWAY,
            format!("expired {}s before receipt", now - exp),
        );
    }
}

fn aud_contains(aud: Option<&Value>, client_id: &str) -> (bool, usize) {
    match aud {
        Some(Value::String(s)) => (s == client_id, 1),
        Some(Value::Array(a)) => (a.iter().any(|x| x.as_str() == Some(client_id)), a.len()),
        _ => (false, 0),
    }
}

fn non_empty_str(x: Option<&Value>) -> bool {
    x.and_then(Value::as_str).is_some_and(|s| !s.is_empty())
}

fn judge_complete(v: &mut Verdict, profile: &super::LtiPlatformProfile, l: &CapturedLaunch) {
    let c = &l.claims;
    let lti = |n: &str| c.get(format!("{LTI}{n}"));
    let iss = str_claim(c, "iss");
    v.require(
        "iss is the platform issuer",
        iss == Some(profile.issuer.as_str()),
        format!(
            "iss is {iss:?}, profile issuer `{}`",
            profile.issuer.as_str()
        ),
    );
    let (has_aud, n_aud) = aud_contains(c.get("aud"), &profile.client_id);
    v.require(
        "aud contains the client_id",
        has_aud,
        format!("aud is {:?}", c.get("aud")),
    );
    if n_aud > 1 {
        v.require(
            "azp is the client_id when aud has several values",
            str_claim(c, "azp") == Some(profile.client_id.as_str()),
            format!("azp is {:?}", c.get("azp")),
        );
    }
    let sub_required = l.kind != LaunchKind::DeepLinking;
    if sub_required || c.get("sub").is_some() {
        v.require(
            "sub is a non-empty string",
            non_empty_str(c.get("sub")),
            format!("sub is {:?}", c.get("sub")),
        );
    }
    for t in ["iat", "exp"] {
        v.require(
            format!("{t} is present"),
            c.get(t).is_some_and(Value::is_number),
            format!("{t} is {:?}", c.get(t)),
        );
    }
    let nonce = str_claim(c, "nonce");
    v.require(
        "nonce is the nonce the tool sent",
        nonce == Some(l.nonce.as_str()),
        format!("nonce is {nonce:?}, the tool sent `{}`", l.nonce),
    );
    v.require(
        "message_type is present",
        non_empty_str(lti("message_type")),
        "missing",
    );
    v.require(
        "version is present",
        non_empty_str(lti("version")),
        "missing",
    );
    let dep = lti("deployment_id").and_then(Value::as_str);
    v.require(
        "deployment_id is the profile's deployment_id",
        dep == Some(profile.deployment_id.as_str()),
        format!(
            "deployment_id is {dep:?}, profile `{}`",
            profile.deployment_id
        ),
    );
    if l.kind == LaunchKind::DeepLinking {
        let s = c.get(format!("{DL}deep_linking_settings"));
        v.require(
            "deep_linking_settings is present",
            s.is_some_and(Value::is_object),
            "missing or not an object",
        );
        let get = |k: &str| s.and_then(|s| s.get(k));
        v.require(
            "deep_linking_settings.deep_link_return_url is a URL",
            get("deep_link_return_url")
                .and_then(Value::as_str)
                .is_some_and(|u| url::Url::parse(u).is_ok()),
            format!("{:?}", get("deep_link_return_url")),
        );
        for k in ["accept_types", "accept_presentation_document_targets"] {
            v.require(
                format!("deep_linking_settings.{k} is a non-empty array"),
                get(k)
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string)),
                format!("{:?}", get(k)),
            );
        }
        return;
    }
    let tlu = lti("target_link_uri").and_then(Value::as_str);
    v.require(
        "target_link_uri is present",
        tlu.is_some_and(|s| !s.is_empty()),
        "missing",
    );
    if let (Some(claim), Some(login)) = (tlu, l.initiation_param("target_link_uri")) {
        v.require(
            "target_link_uri equals the login initiation's target_link_uri",
            claim == login,
            format!("claim `{claim}`, login initiation `{login}`"),
        );
    }
    v.require(
        "resource_link.id is a non-empty string",
        non_empty_str(lti("resource_link").and_then(|r| r.get("id"))),
        format!("resource_link is {:?}", lti("resource_link")),
    );
    v.require(
        "roles is an array of strings",
        lti("roles")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().all(Value::is_string)),
        format!("roles is {:?}", lti("roles")),
    );
    if let Some(ctx) = lti("context") {
        v.require(
            "context.id is a non-empty string (context present)",
            non_empty_str(ctx.get("id")),
            format!("context is {ctx}"),
        );
    }
    if l.kind == LaunchKind::Nrps {
        let n = c.get(NRPS_CLAIM);
        v.require(
            "the NRPS claim has context_memberships_url",
            non_empty_str(n.and_then(|n| n.get("context_memberships_url"))),
            format!("namesroleservice is {n:?}"),
        );
        v.require(
            "the NRPS claim's service_versions contains 2.0",
            n.and_then(|n| n.get("service_versions"))
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("2.0"))),
            format!("namesroleservice is {n:?}"),
        );
    }
    if matches!(l.kind, LaunchKind::AgsContext1 | LaunchKind::AgsContext2) {
        let a = c.get(AGS_CLAIM);
        v.require(
            "the AGS claim has a scope array",
            a.and_then(|a| a.get("scope"))
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty()),
            format!("endpoint is {a:?}"),
        );
        v.require(
            "the AGS claim has lineitems",
            non_empty_str(a.and_then(|a| a.get("lineitems"))),
            format!("endpoint is {a:?}"),
        );
    }
}

/// Whether `role` is the context role `name` (full URI, a sub-role of it, or the
/// simple name LTI 1.3 still allows for context roles).
fn is_context_role(role: &str, name: &str) -> bool {
    role == name
        || role == format!("{MEMBERSHIP}#{name}")
        || role.starts_with(&format!("{MEMBERSHIP}/{name}#"))
}

fn judge_roles(v: &mut Verdict, c: &Value, learner: bool) {
    let roles: Vec<&str> = c
        .get(format!("{LTI}roles"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let has = |n: &str| roles.iter().any(|r| is_context_role(r, n));
    let (want, not) = if learner {
        ("Learner", "Instructor")
    } else {
        ("Instructor", "Learner")
    };
    v.require(
        format!("roles include the {want} context role"),
        has(want),
        format!("roles are {roles:?}"),
    );
    v.require(
        format!("roles do not include the {not} context role"),
        !has(not),
        format!("roles are {roles:?}"),
    );
}

fn whitespace_values(path: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.trim() != s => out.push(if path.is_empty() {
            "(root)".into()
        } else {
            path.to_string()
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| whitespace_values(&format!("{path}[{i}]"), x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            if k.trim() != k {
                out.push(format!("{path}/{k:?} (name)"));
            }
            whitespace_values(&format!("{path}/{k}"), x, out)
        }),
        _ => {}
    }
}

/// Fetches the platform JWKS (recorded) and parses it.
pub(crate) async fn fetch_jwks(fx: &PlatformFixture, cx: &CaseCx) -> Result<JwkSet, Verdict> {
    let url = fx.profile().jwks_url.as_str();
    let name = "the platform JWKS is fetched";
    let resp = cx
        .http()
        .get(url)
        .await
        .map_err(|e| super::fixture::failed(name, format!("GET {url}: {e}")))?;
    if !resp.status.is_success() {
        return Err(super::fixture::failed(
            name,
            format!("GET {url} answered HTTP {}", resp.status.as_u16()),
        ));
    }
    resp.json::<JwkSet>()
        .map_err(|e| super::fixture::failed(name, format!("GET {url}: not a JWK Set: {e}")))
}

async fn judge_signature(fx: &PlatformFixture, cx: &CaseCx, l: &CapturedLaunch) -> Verdict {
    let jwks = match fetch_jwks(fx, cx).await {
        Ok(k) => k,
        Err(v) => return v,
    };
    judge_signature_with(&jwks, &l.id_token, &l.header)
}

/// The Signature aspect against a key set: kid present and published, signature
/// verifies with the header's RSA algorithm.
pub(crate) fn judge_signature_with(jwks: &JwkSet, token: &str, header: &Value) -> Verdict {
    let mut v = Verdict::new();
    let kid = header.get("kid").and_then(Value::as_str);
    if !v.require(
        "header has a kid",
        kid.is_some(),
        "no `kid` in the JOSE header",
    ) {
        return v;
    }
    let kid = kid.unwrap_or_default();
    let Some(jwk) = jwks.find(kid) else {
        v.require(
            "the kid is in the platform JWKS",
            false,
            format!(
                "kid `{kid}` is not among {:?}",
                jwks.keys
                    .iter()
                    .filter_map(|k| k.kid.as_deref())
                    .collect::<Vec<_>>()
            ),
        );
        return v;
    };
    v.require("the kid is in the platform JWKS", true, "");
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let digest = match alg {
        "RS256" => MessageDigest::sha256(),
        "RS384" => MessageDigest::sha384(),
        "RS512" => MessageDigest::sha512(),
        other => {
            v.require(
                "the signature algorithm is RSA (RS256/RS384/RS512)",
                false,
                format!("alg `{other}` cannot be verified with an RSA key"),
            );
            return v;
        }
    };
    let parts: Vec<&str> = token.trim().split('.').collect();
    let verified = match (parts.as_slice(), jwk.rsa_public_key()) {
        ([h, p, s], Ok(key)) => match jose::b64url_decode(s) {
            Ok(sig) => Verifier::new(digest, &key)
                .and_then(|mut ver| {
                    ver.update(format!("{h}.{p}").as_bytes())?;
                    ver.verify(&sig)
                })
                .unwrap_or(false),
            Err(_) => false,
        },
        (_, Err(e)) => {
            v.require(
                "the published key is usable",
                false,
                format!("key `{kid}`: {e}"),
            );
            return v;
        }
        _ => false,
    };
    v.require(
        "the signature verifies with the published key",
        verified,
        format!("the {alg} signature does not verify with key `{kid}`"),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    use accredit_core::jose::SigningKey;

    fn profile() -> super::super::LtiPlatformProfile {
        let u = |s: &str| {
            accredit_core::profile::HttpUrl(url::Url::parse(s).unwrap_or_else(|e| panic!("{e}")))
        };
        super::super::LtiPlatformProfile {
            issuer: crate::profile::Issuer("https://lms.example".into()),
            client_id: "tool-1".into(),
            deployment_id: "dep-1".into(),
            auth_url: u("http://lms/auth"),
            jwks_url: u("http://lms/jwks"),
            token_url: u("http://lms/token"),
            token_audience: None,
            tool_listen: "127.0.0.1:2".parse().unwrap_or_else(|e| panic!("{e}")),
            tool_base_url: None,
            tool_key: accredit_core::profile::Secret::from_value("env:K", "pem"),
            session_cookie: None,
            launches: Default::default(),
            browser: None,
        }
    }

    fn launch(kind: LaunchKind, claims: Value) -> CapturedLaunch {
        let now = now_secs();
        let mut base = json!({
            "iss": "https://lms.example",
            "aud": "tool-1",
            "sub": "u-1",
            "iat": now,
            "exp": now + 300,
            "nonce": "n-1",
            format!("{LTI}message_type"): kind.message_type(),
            format!("{LTI}version"): "1.3.0",
            format!("{LTI}deployment_id"): "dep-1",
            format!("{LTI}target_link_uri"): "http://tool/launch",
            format!("{LTI}resource_link"): {"id": "rl-1"},
            format!("{LTI}roles"): [format!("{MEMBERSHIP}#{}", if kind.is_learner() {"Learner"} else {"Instructor"})],
            "name": "Full Name",
            "email": "a@b.example",
        });
        if let (Some(b), Some(o)) = (base.as_object_mut(), claims.as_object()) {
            for (k, x) in o {
                if x.is_null() {
                    b.remove(k);
                } else {
                    b.insert(k.clone(), x.clone());
                }
            }
        }
        CapturedLaunch {
            kind,
            initiation: vec![("target_link_uri".into(), "http://tool/launch".into())],
            nonce: "n-1".into(),
            state: "s-1".into(),
            id_token: String::new(),
            header: json!({"alg": "RS256", "kid": "k"}),
            claims: base,
            launch_method: "POST".into(),
            launch_url: "http://tool/launch".into(),
            launch_params: vec![("state".into(), "s-1".into())],
            browser: test_browser(),
        }
    }

    fn test_browser() -> super::super::browse::Browser {
        let meta = accredit_core::CaseMeta {
            id: "t",
            title: "t",
            role: "platform",
            spec_document: "d",
            spec_section: "s",
            spec_url: "u",
            requirement: "r",
            level: accredit_core::Level::Must,
            official: false,
            tags: &[],
            exclusive: false,
        };
        let redactor = accredit_core::reports::Redactor::default();
        let cx = CaseCx::new(
            meta,
            accredit_core::evidence::EvidenceLog::new("t", redactor.clone()),
            accredit_core::evidence::EvidenceRouter::new(redactor),
            reqwest::Client::new(),
            std::time::Duration::from_secs(1),
            vec![],
        );
        let base = url::Url::parse("http://tool/").unwrap_or_else(|e| panic!("{e}"));
        super::super::browse::Browser::new(&cx, &base, None, None)
    }

    fn outcome(kind: LaunchKind, claims: Value, aspect: Aspect) -> Outcome {
        judge_claims(
            &profile(),
            "http://tool/launch",
            &launch(kind, claims),
            aspect,
        )
        .outcome()
    }

    #[rstest]
    #[case::is_lti13(Aspect::IsLti13)]
    #[case::timestamps(Aspect::Timestamps)]
    #[case::rs256(Aspect::Rs256)]
    #[case::complete(Aspect::Complete)]
    #[case::version(Aspect::Version)]
    #[case::roles(Aspect::Roles)]
    #[case::whitespace(Aspect::NoWhitespace)]
    fn a_good_launch_passes(#[case] aspect: Aspect) {
        for kind in [LaunchKind::Student, LaunchKind::Instructor] {
            assert_eq!(
                outcome(kind, json!({}), aspect),
                Outcome::Pass,
                "{kind:?} {aspect:?}"
            );
        }
    }

    #[rstest]
    #[case::message_type(json!({format!("{LTI}message_type"): "LtiDeepLinkingRequest"}), Aspect::IsLti13)]
    #[case::expired(json!({"exp": now_secs() - 3600, "iat": now_secs() - 3900}), Aspect::Timestamps)]
    #[case::iat_future(json!({"iat": now_secs() + 3600, "exp": now_secs() + 3900}), Aspect::Timestamps)]
    #[case::iat_string(json!({"iat": "now"}), Aspect::Timestamps)]
    #[case::no_nonce(json!({"nonce": null}), Aspect::Complete)]
    #[case::other_nonce(json!({"nonce": "n-2"}), Aspect::Complete)]
    #[case::aud(json!({"aud": ["other"]}), Aspect::Complete)]
    #[case::aud_no_azp(json!({"aud": ["tool-1", "other"]}), Aspect::Complete)]
    #[case::iss(json!({"iss": "https://lms.example/"}), Aspect::Complete)]
    #[case::deployment(json!({format!("{LTI}deployment_id"): "dep-2"}), Aspect::Complete)]
    #[case::resource_link(json!({format!("{LTI}resource_link"): {"title": "x"}}), Aspect::Complete)]
    #[case::target_link(json!({format!("{LTI}target_link_uri"): "http://tool/other"}), Aspect::Complete)]
    #[case::no_sub(json!({"sub": null}), Aspect::Complete)]
    #[case::version(json!({format!("{LTI}version"): "1.1"}), Aspect::Version)]
    #[case::instructor_role(json!({format!("{LTI}roles"): [format!("{MEMBERSHIP}#Learner"), format!("{MEMBERSHIP}#Instructor")]}), Aspect::Roles)]
    #[case::no_role(json!({format!("{LTI}roles"): []}), Aspect::Roles)]
    #[case::whitespace(json!({"name": " Full Name"}), Aspect::NoWhitespace)]
    #[case::nested_whitespace(json!({format!("{LTI}context"): {"id": "c ", "title": "t"}}), Aspect::NoWhitespace)]
    #[case::name_pii(json!({"email": null}), Aspect::NoPii)]
    fn each_defect_fails_its_aspect(#[case] claims: Value, #[case] aspect: Aspect) {
        assert_eq!(outcome(LaunchKind::Student, claims, aspect), Outcome::Fail);
    }

    #[test]
    fn pii_rules_follow_the_kind() {
        let no_pii = json!({"name": null, "email": null});
        assert_eq!(
            outcome(LaunchKind::StudentNoPii, no_pii, Aspect::NoPii),
            Outcome::Pass
        );
        let email_only = json!({"name": null});
        assert_eq!(
            outcome(
                LaunchKind::InstructorNoPii,
                email_only.clone(),
                Aspect::NoPii
            ),
            Outcome::Pass
        );
        assert_eq!(
            outcome(LaunchKind::StudentNoPii, email_only, Aspect::NoPii),
            Outcome::Fail
        );
        let given = json!({"name": null, "email": null, "given_name": "G"});
        assert_eq!(
            outcome(LaunchKind::InstructorNoPii, given, Aspect::NoPii),
            Outcome::Fail
        );
    }

    #[test]
    fn instructor_roles_are_judged_the_other_way_round() {
        let learner = json!({format!("{LTI}roles"): [format!("{MEMBERSHIP}#Learner")]});
        assert_eq!(
            outcome(LaunchKind::Instructor, learner, Aspect::Roles),
            Outcome::Fail
        );
        let sub_role =
            json!({format!("{LTI}roles"): [format!("{MEMBERSHIP}/Instructor#TeachingAssistant")]});
        assert_eq!(
            outcome(LaunchKind::Instructor, sub_role, Aspect::Roles),
            Outcome::Pass
        );
    }

    #[test]
    fn form_post_redirect_and_state_are_judged() {
        let p = profile();
        let mut l = launch(LaunchKind::Student, json!({}));
        l.launch_method = "GET".into();
        assert_eq!(
            judge_claims(&p, "http://tool/launch", &l, Aspect::IsLti13).outcome(),
            Outcome::Fail
        );
        let mut l = launch(LaunchKind::Student, json!({}));
        l.launch_params = vec![("state".into(), "forged".into())];
        assert_eq!(
            judge_claims(&p, "http://tool/launch", &l, Aspect::IsLti13).outcome(),
            Outcome::Fail
        );
        let l = launch(LaunchKind::Student, json!({}));
        assert_eq!(
            judge_claims(&p, "http://tool/other", &l, Aspect::IsLti13).outcome(),
            Outcome::Fail
        );
    }

    #[test]
    fn service_claims_are_required_for_their_kinds() {
        assert_eq!(
            outcome(LaunchKind::Nrps, json!({}), Aspect::Complete),
            Outcome::Fail
        );
        let nrps = json!({NRPS_CLAIM: {"context_memberships_url": "http://p/m", "service_versions": ["2.0"]}});
        assert_eq!(
            outcome(LaunchKind::Nrps, nrps, Aspect::Complete),
            Outcome::Pass
        );
        assert_eq!(
            outcome(LaunchKind::AgsContext1, json!({}), Aspect::Complete),
            Outcome::Fail
        );
        let ags = json!({AGS_CLAIM: {"scope": ["s"], "lineitems": "http://p/li"}});
        assert_eq!(
            outcome(LaunchKind::AgsContext2, ags, Aspect::Complete),
            Outcome::Pass
        );
        let dl_ok = json!({
            format!("{LTI}resource_link"): null,
            format!("{DL}deep_linking_settings"): {
                "deep_link_return_url": "http://p/dl",
                "accept_types": ["link"],
                "accept_presentation_document_targets": ["iframe"],
            }
        });
        assert_eq!(
            outcome(LaunchKind::DeepLinking, dl_ok, Aspect::Complete),
            Outcome::Pass
        );
        let dl_bad =
            json!({format!("{DL}deep_linking_settings"): {"deep_link_return_url": "http://p/dl"}});
        assert_eq!(
            outcome(LaunchKind::DeepLinking, dl_bad, Aspect::Complete),
            Outcome::Fail
        );
    }

    #[test]
    fn signature_is_verified_with_the_header_algorithm() {
        let key = SigningKey::generate().unwrap_or_else(|e| panic!("{e}"));
        let jwks = key.jwks().unwrap_or_else(|e| panic!("{e}"));
        let claims = json!({"sub": "x"});
        let good = jose::sign_rs256(&claims, &key).unwrap_or_else(|e| panic!("{e}"));
        let header = jose::rs256_header(&key);
        assert_eq!(
            judge_signature_with(&jwks, &good, &header).outcome(),
            Outcome::Pass
        );
        // Tampered payload.
        let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
        parts[1] = jose::b64url(br#"{"sub":"y"}"#);
        assert_eq!(
            judge_signature_with(&jwks, &parts.join("."), &header).outcome(),
            Outcome::Fail
        );
        // Unknown kid.
        let other = json!({"alg": "RS256", "kid": "nope"});
        assert_eq!(
            judge_signature_with(&jwks, &good, &other).outcome(),
            Outcome::Fail
        );
        // Another key under the same kid.
        let foreign = SigningKey::generate()
            .unwrap_or_else(|e| panic!("{e}"))
            .with_kid(key.kid());
        let forged = jose::sign_rs256(&claims, &foreign).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            judge_signature_with(&jwks, &forged, &header).outcome(),
            Outcome::Fail
        );
        // alg none.
        let none = jose::sign_with_alg_none(&claims).unwrap_or_else(|e| panic!("{e}"));
        let none_header = json!({"alg": "none", "kid": key.kid()});
        assert_eq!(
            judge_signature_with(&jwks, &none, &none_header).outcome(),
            Outcome::Fail
        );
    }
}
