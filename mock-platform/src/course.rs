//! Built-in course data of the reference platform, and the id_tokens of its
//! self-initiated launches.
//!
//! Why built-in data: certifying a *platform* (the `lti-platform` suite) needs a
//! platform to certify in tests and in the demo. The reference platform starts
//! its own launches (`GET /lti/start?client_id=..&launch=<kind>`), so it must know
//! who is launching, from which course, with which services: two contexts with
//! their members (instructors, learners, one Inactive each, one Deleted member
//! reported only through NRPS differences), one resource link per context, and
//! the NRPS and AGS endpoints of that context. The data is invented here; names
//! are fictional.
//!
//! Every claim an id_token carries is built by [`claims`] from a [`LaunchKind`]
//! and the launch's binding ([`LaunchBinding`]); the claim-level
//! [`PlatformFault`]s are applied here, the header-level ones in [`sign`].

use serde_json::{Value, json};

use accredit_core::jose::{self, JoseError, SigningKey};

use crate::PlatformConfig;
use crate::ags::{
    AGS_PATH, AGS_SCOPE_LINEITEM, AGS_SCOPE_LINEITEM_READONLY, AGS_SCOPE_RESULT_READONLY,
    AGS_SCOPE_SCORE,
};
use crate::deep_link::DL;
use crate::fault::PlatformFault;

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const NRPS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
/// Path template of the built-in NRPS memberships (`/lti/courses/{ctx}/memberships`).
pub const COURSE_NRPS_PATH: &str = "/lti/courses";
/// The opaque `data` the Deep Linking request carries (the response must echo it).
pub const DL_DATA: &str = "dl-opaque-Vq7x";
/// The two built-in contexts.
pub const CONTEXTS: [&str; 2] = ["context-1", "context-2"];

/// The launches the reference platform can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LaunchKind {
    /// Learner, full PII, context 1.
    Student,
    /// Learner without name or email, context 1.
    StudentNoPii,
    /// Instructor, full PII, context 1.
    Instructor,
    /// Instructor without names (email kept, as CERT §5.1.4 allows), context 1.
    InstructorNoPii,
    /// An `LtiDeepLinkingRequest` by the instructor of context 1.
    DeepLinking,
    /// Instructor launch carrying the NRPS claim (every resource link launch does).
    Nrps,
    /// Learner launch in context 1 with the AGS claim.
    AgsContext1,
    /// The same learner in context 2.
    AgsContext2,
}

impl LaunchKind {
    /// Every kind.
    pub const ALL: [LaunchKind; 8] = [
        LaunchKind::Student,
        LaunchKind::StudentNoPii,
        LaunchKind::Instructor,
        LaunchKind::InstructorNoPii,
        LaunchKind::DeepLinking,
        LaunchKind::Nrps,
        LaunchKind::AgsContext1,
        LaunchKind::AgsContext2,
    ];

    /// The `launch` query value (`student_no_pii`), also the profile key.
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchKind::Student => "student",
            LaunchKind::StudentNoPii => "student_no_pii",
            LaunchKind::Instructor => "instructor",
            LaunchKind::InstructorNoPii => "instructor_no_pii",
            LaunchKind::DeepLinking => "deep_linking",
            LaunchKind::Nrps => "nrps",
            LaunchKind::AgsContext1 => "ags_context_1",
            LaunchKind::AgsContext2 => "ags_context_2",
        }
    }

    /// Parses a `launch` query value.
    pub fn parse(s: &str) -> Option<LaunchKind> {
        LaunchKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The context the launch happens in.
    pub fn context(self) -> &'static str {
        match self {
            LaunchKind::AgsContext2 => CONTEXTS[1],
            _ => CONTEXTS[0],
        }
    }

    /// Whether the launching user is a learner.
    pub fn learner(self) -> bool {
        matches!(
            self,
            LaunchKind::Student
                | LaunchKind::StudentNoPii
                | LaunchKind::AgsContext1
                | LaunchKind::AgsContext2
        )
    }

    fn user(self) -> &'static Person {
        let id = match self {
            LaunchKind::StudentNoPii => "user-mei-tanaka",
            k if k.learner() => "user-tomas-lindqvist",
            _ => "user-ada-okafor",
        };
        PEOPLE.iter().find(|p| p.id == id).unwrap_or(&PEOPLE[0])
    }
}

/// A person of the built-in courses.
#[derive(Debug)]
pub(crate) struct Person {
    pub(crate) id: &'static str,
    pub(crate) given: &'static str,
    pub(crate) family: &'static str,
}

const PEOPLE: [Person; 11] = [
    Person {
        id: "user-ada-okafor",
        given: "Ada",
        family: "Okafor",
    },
    Person {
        id: "user-tomas-lindqvist",
        given: "Tomas",
        family: "Lindqvist",
    },
    Person {
        id: "user-mei-tanaka",
        given: "Mei",
        family: "Tanaka",
    },
    Person {
        id: "user-lucia-ortega",
        given: "Lucía",
        family: "Ortega",
    },
    Person {
        id: "user-kofi-mensah",
        given: "Kofi",
        family: "Mensah",
    },
    Person {
        id: "user-priya-raman",
        given: "Priya",
        family: "Raman",
    },
    Person {
        id: "user-jonas-weber",
        given: "Jonas",
        family: "Weber",
    },
    Person {
        id: "user-amara-diallo",
        given: "Amara",
        family: "Diallo",
    },
    Person {
        id: "user-sven-berg",
        given: "Sven",
        family: "Berg",
    },
    Person {
        id: "user-noor-haddad",
        given: "Noor",
        family: "Haddad",
    },
    Person {
        id: "user-ivan-petrov",
        given: "Ivan",
        family: "Petrov",
    },
];

fn person(id: &str) -> Option<&'static Person> {
    PEOPLE.iter().find(|p| p.id == id)
}

/// One member of a context: user id, short role name, status.
type Seat = (&'static str, &'static str, &'static str);

const CONTEXT_1: [Seat; 6] = [
    ("user-ada-okafor", "Instructor", "Active"),
    ("user-tomas-lindqvist", "Learner", "Active"),
    ("user-mei-tanaka", "Learner", "Active"),
    ("user-lucia-ortega", "Learner", "Active"),
    ("user-kofi-mensah", "Learner", "Inactive"),
    ("user-priya-raman", "Mentor", "Active"),
];
const CONTEXT_2: [Seat; 6] = [
    ("user-jonas-weber", "Instructor", "Active"),
    ("user-ada-okafor", "Instructor", "Active"),
    ("user-tomas-lindqvist", "Learner", "Active"),
    ("user-amara-diallo", "Learner", "Active"),
    ("user-sven-berg", "Learner", "Active"),
    ("user-noor-haddad", "Learner", "Inactive"),
];
/// Removed from both contexts: reported only by NRPS differences.
const DELETED: Seat = ("user-ivan-petrov", "Learner", "Deleted");

/// Title, label of a context.
pub(crate) fn context_info(ctx: &str) -> Option<(&'static str, &'static str)> {
    match ctx {
        "context-1" => Some(("Plant Biology", "BIOL 201")),
        "context-2" => Some(("Marine Ecology", "MARS 110")),
        _ => None,
    }
}

/// The resource link of a context.
pub(crate) fn resource_link_of(ctx: &str) -> String {
    format!("rl-{ctx}")
}

fn member_json(seat: &Seat) -> Value {
    let (id, role, status) = *seat;
    let p = person(id);
    json!({
        "status": status,
        "user_id": id,
        "name": p.map(|p| format!("{} {}", p.given, p.family)),
        "given_name": p.map(|p| p.given),
        "family_name": p.map(|p| p.family),
        "email": p.map(|p| format!("{}.{}@lms.accredit.test", p.given.to_lowercase(), p.family.to_lowercase())),
        "roles": [format!("{MEMBERSHIP}{role}")],
    })
}

/// The members of `ctx`, in a stable order; `None` for an unknown context.
pub(crate) fn members(ctx: &str) -> Option<Vec<Value>> {
    let seats: &[Seat] = match ctx {
        "context-1" => &CONTEXT_1,
        "context-2" => &CONTEXT_2,
        _ => return None,
    };
    Some(seats.iter().map(member_json).collect())
}

/// What changed in `ctx` since the snapshot the differences link names: the
/// Inactive member and the Deleted one.
pub(crate) fn differences(ctx: &str) -> Option<Vec<Value>> {
    let mut out: Vec<Value> = members(ctx)?
        .into_iter()
        .filter(|m| m["status"] == "Inactive")
        .collect();
    out.push(member_json(&DELETED));
    Some(out)
}

/// What one launch is bound to (decided at initiation, used at authentication).
#[derive(Debug, Clone)]
pub(crate) struct LaunchBinding {
    pub(crate) kind: LaunchKind,
    pub(crate) login_hint: String,
    pub(crate) client_id: String,
    pub(crate) deployment_id: String,
    pub(crate) target_link_uri: String,
    /// The Deep Linking return URL (Deep Linking launches).
    pub(crate) dl_return_url: String,
}

/// The id_token claims of a launch of `b.kind` for the auth request's `nonce`
/// (`None` = the request had none: the claim is left out) and `aud`.
pub(crate) fn claims(
    config: &PlatformConfig,
    base_url: &str,
    b: &LaunchBinding,
    aud: &str,
    nonce: Option<&str>,
) -> Value {
    let has = |f| config.has(f);
    let now = jose::now_secs();
    let (iat, exp) = if has(PlatformFault::ExpiredIdToken) {
        (now - 900, now - 600)
    } else {
        (now, now + 300)
    };
    let kind = b.kind;
    let ctx = kind.context();
    let user = kind.user();
    let role = if kind.learner() && !has(PlatformFault::StudentGetsInstructorRole) {
        "Learner"
    } else {
        "Instructor"
    };
    let (title, label) = context_info(ctx).unwrap_or(("", ""));
    let title = if has(PlatformFault::TrailingWhitespace) {
        format!("{title} ")
    } else {
        title.to_string()
    };
    let deployment = if has(PlatformFault::DeploymentIdMismatch) {
        format!("{}-other", b.deployment_id)
    } else {
        b.deployment_id.clone()
    };
    let version = if has(PlatformFault::WrongVersion) {
        "1.2.0"
    } else {
        "1.3.0"
    };
    let mut c = json!({
        "iss": config.issuer,
        "aud": aud,
        "sub": user.id,
        "iat": iat,
        "exp": exp,
        format!("{LTI}version"): version,
        format!("{LTI}deployment_id"): deployment,
        format!("{LTI}target_link_uri"): b.target_link_uri,
        format!("{LTI}roles"): [format!("{MEMBERSHIP}{role}")],
        format!("{LTI}context"): {
            "id": ctx,
            "label": label,
            "title": title,
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        format!("{LTI}tool_platform"): {
            "guid": "accredit-reference-platform",
            "name": "accredit reference platform",
            "product_family_code": "accredit",
            "version": env!("CARGO_PKG_VERSION"),
        },
        format!("{LTI}launch_presentation"): {"document_target": "iframe", "locale": "en-US"},
    });
    let Some(obj) = c.as_object_mut() else {
        return c;
    };
    match (nonce, has(PlatformFault::NonceNotEchoed)) {
        (Some(_), true) => {
            obj.insert(
                "nonce".into(),
                Value::String(format!("not-your-nonce-{}", uuid::Uuid::new_v4().simple())),
            );
        }
        (Some(n), false) => {
            obj.insert("nonce".into(), Value::String(n.to_string()));
        }
        (None, _) => {}
    }
    let pii = match kind {
        LaunchKind::StudentNoPii | LaunchKind::InstructorNoPii => {
            has(PlatformFault::PiiInNoPiiLaunch)
        }
        _ => true,
    };
    let email = format!(
        "{}.{}@lms.accredit.test",
        user.given.to_lowercase(),
        user.family.to_lowercase()
    );
    if pii {
        obj.insert(
            "name".into(),
            json!(format!("{} {}", user.given, user.family)),
        );
        obj.insert("given_name".into(), json!(user.given));
        obj.insert("family_name".into(), json!(user.family));
        obj.insert("email".into(), json!(email));
    } else if kind == LaunchKind::InstructorNoPii {
        obj.insert("email".into(), json!(email));
    }
    if kind == LaunchKind::DeepLinking {
        obj.insert(format!("{LTI}message_type"), json!("LtiDeepLinkingRequest"));
        let mut settings = json!({
            "deep_link_return_url": b.dl_return_url,
            "accept_types": ["link", "ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": true,
            "auto_create": true,
            "title": "Add content from the tool",
            "data": DL_DATA,
        });
        if has(PlatformFault::DlSettingsIncomplete)
            && let Some(s) = settings.as_object_mut()
        {
            s.remove("accept_presentation_document_targets");
        }
        obj.insert(format!("{DL}deep_linking_settings"), settings);
        return c;
    }
    obj.insert(
        format!("{LTI}message_type"),
        json!("LtiResourceLinkRequest"),
    );
    if !has(PlatformFault::MissingResourceLink) {
        obj.insert(
            format!("{LTI}resource_link"),
            json!({"id": resource_link_of(ctx), "title": format!("{} reading", context_info(ctx).map(|c| c.0).unwrap_or_default())}),
        );
    }
    obj.insert(
        NRPS_CLAIM.into(),
        json!({
            "context_memberships_url": format!("{base_url}{COURSE_NRPS_PATH}/{ctx}/memberships"),
            "service_versions": ["2.0"],
        }),
    );
    obj.insert(
        AGS_CLAIM.into(),
        json!({
            "scope": [AGS_SCOPE_LINEITEM, AGS_SCOPE_LINEITEM_READONLY, AGS_SCOPE_RESULT_READONLY, AGS_SCOPE_SCORE],
            "lineitems": format!("{base_url}{AGS_PATH}/{ctx}/lineitems"),
        }),
    );
    c
}

/// Signs a built-in id_token: RS256 with the kid, unless a header fault says
/// otherwise (no kid; RS512).
pub(crate) fn sign(
    config: &PlatformConfig,
    claims: &Value,
    key: &SigningKey,
) -> Result<String, JoseError> {
    let mut header = jose::rs256_header(key);
    if config.has(PlatformFault::NoKid)
        && let Some(h) = header.as_object_mut()
    {
        h.remove("kid");
    }
    if !config.has(PlatformFault::SignsRs512) {
        return jose::sign(&header, claims, key);
    }
    if let Some(h) = header.as_object_mut() {
        h.insert("alg".into(), json!("RS512"));
    }
    let part = |v: &Value| {
        serde_json::to_vec(v)
            .map(|b| jose::b64url(&b))
            .map_err(|e| JoseError::Malformed(e.to_string()))
    };
    let input = format!("{}.{}", part(&header)?, part(claims)?);
    let crypto = |e: openssl::error::ErrorStack| JoseError::Crypto(e.to_string());
    let pkey = openssl::pkey::PKey::private_key_from_pem(&key.to_pem()?).map_err(crypto)?;
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha512(), &pkey)
        .map_err(crypto)?;
    signer.update(input.as_bytes()).map_err(crypto)?;
    let sig = signer.sign_to_vec().map_err(crypto)?;
    Ok(format!("{input}.{}", jose::b64url(&sig)))
}

/// The private RSA members of `key` as JWK members (the `JwksLeaksPrivateKey`
/// fault publishes them).
pub(crate) fn private_members(key: &SigningKey) -> Vec<(String, Value)> {
    let Ok(pem) = key.to_pem() else {
        return Vec::new();
    };
    let Ok(rsa) = openssl::rsa::Rsa::private_key_from_pem(&pem) else {
        return Vec::new();
    };
    let b = |n: Option<&openssl::bn::BigNumRef>| n.map(|n| jose::b64url(&n.to_vec()));
    [
        ("d", Some(rsa.d())),
        ("p", rsa.p()),
        ("q", rsa.q()),
        ("dp", rsa.dmp1()),
        ("dq", rsa.dmq1()),
        ("qi", rsa.iqmp()),
    ]
    .into_iter()
    .filter_map(|(name, n)| b(n).map(|v| (name.to_string(), Value::String(v))))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_context_has_five_members_or_more_and_one_inactive() {
        for ctx in CONTEXTS {
            let m = members(ctx).unwrap_or_default();
            assert!(m.len() >= 5, "{ctx}");
            assert_eq!(m.iter().filter(|m| m["status"] == "Inactive").count(), 1);
            assert!(m.iter().any(|m| {
                m["roles"][0]
                    .as_str()
                    .is_some_and(|r| r.ends_with("#Instructor"))
            }));
            assert!(m.iter().any(|m| {
                m["roles"][0]
                    .as_str()
                    .is_some_and(|r| r.ends_with("#Learner"))
            }));
        }
        assert!(members("context-3").is_none());
    }

    #[test]
    fn kinds_round_trip() {
        for k in LaunchKind::ALL {
            assert_eq!(LaunchKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(LaunchKind::parse("admin"), None);
    }
}
