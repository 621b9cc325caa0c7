//! id_token payloads the mock platform sends. Our own data; the claim names and
//! required values come from LTI Core 1.3 §5.3–5.4 and the Security Framework.

use serde_json::{Value, json};

use accredit_core::jose::now_secs;

use crate::profile::LtiToolProfile;

/// Prefix of the LTI claim names.
pub const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";

/// LIS membership role of Instructor.
pub const ROLE_INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
/// LIS membership role of Learner.
pub const ROLE_LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";

/// Who launches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persona {
    /// A teacher, full PII.
    Instructor,
    /// A student, full PII.
    Learner,
}

/// A valid `LtiResourceLinkRequest` for the profile's tool (the platform fills in
/// the nonce). `tag` makes the resource link id unique per case.
pub fn resource_link_launch(p: &LtiToolProfile, persona: Persona, tag: &str) -> Value {
    let now = now_secs();
    let (sub, given, family, role) = match persona {
        Persona::Instructor => (
            "accredit-user-instructor-7",
            "Ada",
            "Okafor",
            ROLE_INSTRUCTOR,
        ),
        Persona::Learner => (
            "accredit-user-learner-42",
            "Tomas",
            "Lindqvist",
            ROLE_LEARNER,
        ),
    };
    json!({
        "iss": p.issuer.as_str(),
        "aud": p.client_id,
        "sub": sub,
        "iat": now,
        "exp": now + 300,
        "given_name": given,
        "family_name": family,
        "name": format!("{given} {family}"),
        "email": format!("{}.{}@school.accredit.test", given.to_lowercase(), family.to_lowercase()),
        "locale": "en-GB",
        format!("{LTI}message_type"): "LtiResourceLinkRequest",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): p.deployment_id,
        format!("{LTI}target_link_uri"): p.launch_url.as_str(),
        format!("{LTI}roles"): [role],
        format!("{LTI}resource_link"): {
            "id": format!("accredit-link-{tag}"),
            "title": "Week 3: photosynthesis quiz",
            "description": "A resource link created by the accredit harness",
        },
        format!("{LTI}context"): {
            "id": "accredit-course-biol-201",
            "label": "BIOL 201",
            "title": "Plant Biology",
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"],
        },
        format!("{LTI}tool_platform"): {
            "guid": "accredit-mock-platform",
            "name": "accredit mock platform",
            "product_family_code": "accredit",
            "version": accredit_core::HARNESS_VERSION,
        },
        format!("{LTI}launch_presentation"): {
            "document_target": "iframe",
            "locale": "en-GB",
        },
    })
}

/// Sets (or, with `Value::Null`, removes) a claim.
pub fn set(claims: &mut Value, name: &str, value: Value) {
    if let Some(obj) = claims.as_object_mut() {
        if value.is_null() {
            obj.remove(name);
        } else {
            obj.insert(name.to_string(), value);
        }
    }
}

/// The AGS endpoint claim (AGS 2.0 §3.1).
pub const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

/// Prefix of the Deep Linking 2.0 claim names.
pub const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";

/// A valid `LtiDeepLinkingRequest` (Deep Linking 2.0 §4.4; the settings of the
/// official suite's request) for an instructor: no resource_link, settings
/// returning to `return_url` with `data` to be echoed.
pub fn deep_linking_request(p: &LtiToolProfile, tag: &str, return_url: &str, data: &str) -> Value {
    let mut claims = resource_link_launch(p, Persona::Instructor, tag);
    let target = p
        .deep_link_url
        .as_ref()
        .map(|u| u.as_str())
        .unwrap_or(p.launch_url.as_str());
    set(&mut claims, &format!("{LTI}resource_link"), Value::Null);
    set(
        &mut claims,
        &format!("{LTI}message_type"),
        json!("LtiDeepLinkingRequest"),
    );
    set(&mut claims, &format!("{LTI}target_link_uri"), json!(target));
    set(
        &mut claims,
        &format!("{DL}deep_linking_settings"),
        json!({
            "deep_link_return_url": return_url,
            "accept_types": ["link", "file", "html", "ltiResourceLink"],
            "accept_media_types": "image/*,text/html",
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": true,
            "auto_create": true,
            "title": "accredit deep linking",
            "text": "Pick an activity for Week 3",
            "data": data,
        }),
    );
    claims
}
