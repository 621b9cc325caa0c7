//! The official launch cases of the `lti-platform` suite: LTI Core (CERT §5.1,
//! four launches × their payload tests) and the Deep Linking request (CERT §5.2,
//! P-DL-01..06). Each case makes its own launch and judges one [`Aspect`] of it.
//!
//! Why one case per (launch, test) rather than one per launch: the certification
//! guide lists each payload test separately and a report must say which one
//! failed; the fault matrix proves that a defect fails its test and no other.

use futures::FutureExt;

use accredit_core::{Case, CaseMeta, Level};

use super::checks::{Aspect, judge_launch};
use super::fixture::{LaunchKind, PlatformFixture};

pub(crate) const ROLE: &str = "platform";
pub(crate) const CERT: &str = "LTI Advantage Conformance Certification Guide 1.3";

const R_IS_LTI13: &str = "Payload is LTI 1.3: Tests that JWT received conforms to format of 1.3 Core Launch JWT. Security Framework 5.1.1.3: the Platform sends the id_token and state to the Tool's registered redirect_uri using the form_post response mode.";
const R_TIMESTAMPS: &str = "Payload Timestamps Valid: The iat and exp Timestamps are valid";
const R_RS256: &str =
    "Payload Signed with RSA 256: Header for JWT confirmed that signing done is RSA 256";
const R_SIGNATURE: &str = "Payload Signature Valid: The KID in the JWT Header corresponds to the correct Public Key on the Well-Known URL and the Public Key for this KID correctly verifies the JWT Signature";
const R_COMPLETE: &str = "Payload is Complete: All Required 1.3 Core Launch Claims are present (LTI Core 5.3: iss, aud, sub, exp, iat, nonce, message_type, version, deployment_id, target_link_uri, resource_link.id, roles).";
const R_VERSION: &str = "Payload LTI Version: Required LTI Version Claim is set correctly to 1.3.0";
const R_ROLES_LEARNER: &str = "Payload Roles Correct: The Roles in the JWT are those of the Learner/Student and not an Instructor";
const R_ROLES_INSTRUCTOR: &str =
    "Payload Roles Correct: The Roles in the JWT are those of the Instructor and not a Student";
const R_NO_PII: &str = "Payload Without PII: No Personal Identifying Information is present in the claims provided in the JWT for PII";
const R_NO_PII_INSTRUCTOR: &str = "Payload Without PII: No Personal Identifying Information is present in the claims provided in the JWT for PII. Note that email address is allowed in this payload.";
const R_WHITESPACE: &str = "Payload is Free of Extra Whitespace: There MUST NOT be extra Whitespace before or after any values in the JWT";
const R_EXPECTED: &str =
    "Payload Expected Received: You MUST Affirm that All Expected Values in the JWT were received";

const DL_TAGS: &[&str] = &["deep-linking", "launch"];
const DL_SECTION: &str = "5.2 Deep Linking Message testing";
const DL_URL: &str = "https://www.imsglobal.org/spec/lti/v1p3/cert/#deep-linking-message-testing";

/// An official case of CERT §5.
pub(crate) const fn official(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: ROLE,
        spec_document: CERT,
        spec_section: section,
        spec_url: url,
        requirement,
        level: Level::Must,
        official: true,
        tags,
        exclusive: false,
    }
}

macro_rules! launch_case {
    ($id:expr, $title:expr, $section:expr, $url:expr, $req:expr, $tags:expr, $kind:expr, $aspect:expr) => {
        Case {
            meta: official($id, $title, $section, $url, $req, $tags),
            run: |fx, cx| judge_launch(fx, cx, $kind, $aspect).boxed(),
        }
    };
}

/// The nine (or ten, with the PII test) payload tests of one core launch.
macro_rules! core_launch {
    ($k:literal, $name:literal, $kind:expr, $section:literal, $url:literal, $roles:expr) => {
        vec![
            launch_case!(
                concat!("lti.platform.core.", $k, ".is-lti13"),
                concat!($name, ": Payload is LTI 1.3"),
                $section,
                $url,
                R_IS_LTI13,
                &["core", "launch"],
                $kind,
                Aspect::IsLti13
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".timestamps"),
                concat!($name, ": Payload Timestamps Valid"),
                $section,
                $url,
                R_TIMESTAMPS,
                &["core", "launch"],
                $kind,
                Aspect::Timestamps
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".rs256"),
                concat!($name, ": Payload Signed with RSA 256"),
                $section,
                $url,
                R_RS256,
                &["core", "launch", "security"],
                $kind,
                Aspect::Rs256
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".signature"),
                concat!($name, ": Payload Signature Valid"),
                $section,
                $url,
                R_SIGNATURE,
                &["core", "launch", "security"],
                $kind,
                Aspect::Signature
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".complete"),
                concat!($name, ": Payload is Complete"),
                $section,
                $url,
                R_COMPLETE,
                &["core", "launch"],
                $kind,
                Aspect::Complete
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".version"),
                concat!($name, ": Payload LTI Version"),
                $section,
                $url,
                R_VERSION,
                &["core", "launch"],
                $kind,
                Aspect::Version
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".roles"),
                concat!($name, ": Payload Roles Correct"),
                $section,
                $url,
                $roles,
                &["core", "launch"],
                $kind,
                Aspect::Roles
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".no-whitespace"),
                concat!($name, ": Payload is Free of Extra Whitespace"),
                $section,
                $url,
                R_WHITESPACE,
                &["core", "launch"],
                $kind,
                Aspect::NoWhitespace
            ),
            launch_case!(
                concat!("lti.platform.core.", $k, ".expected-received"),
                concat!($name, ": Payload Expected Received"),
                $section,
                $url,
                R_EXPECTED,
                &["core", "launch", "review"],
                $kind,
                Aspect::ExpectedReceived
            ),
        ]
    };
}

/// The core and Deep Linking request cases, in catalog order.
pub(crate) fn cases() -> Vec<Case<PlatformFixture>> {
    let mut all: Vec<Case<PlatformFixture>> = Vec::new();
    all.extend(core_launch!(
        "student",
        "Full Student Payload",
        LaunchKind::Student,
        "5.1.1 Full Student Payload testing",
        "https://www.imsglobal.org/spec/lti/v1p3/cert/#full-student-payload-testing",
        R_ROLES_LEARNER
    ));
    all.extend(core_launch!(
        "student-no-pii",
        "Student Payload without PII",
        LaunchKind::StudentNoPii,
        "5.1.2 Student Payload without PII testing",
        "https://www.imsglobal.org/spec/lti/v1p3/cert/#student-payload-without-pii-testing",
        R_ROLES_LEARNER
    ));
    all.push(launch_case!(
        "lti.platform.core.student-no-pii.no-pii",
        "Student Payload without PII: Payload Without PII",
        "5.1.2 Student Payload without PII testing",
        "https://www.imsglobal.org/spec/lti/v1p3/cert/#student-payload-without-pii-testing",
        R_NO_PII,
        &["core", "launch", "privacy"],
        LaunchKind::StudentNoPii,
        Aspect::NoPii
    ));
    all.extend(core_launch!(
        "instructor",
        "Full Instructor Payload",
        LaunchKind::Instructor,
        "5.1.3 Full Instructor Payload testing",
        "https://www.imsglobal.org/spec/lti/v1p3/cert/#full-instructor-payload-testing",
        R_ROLES_INSTRUCTOR
    ));
    all.extend(core_launch!(
        "instructor-no-pii",
        "Instructor Payload without PII",
        LaunchKind::InstructorNoPii,
        "5.1.4 Teacher/Instructor Payload without PII testing",
        "https://www.imsglobal.org/spec/lti/v1p3/cert/#teacher-instructor-payload-without-pii-testing",
        R_ROLES_INSTRUCTOR
    ));
    all.push(launch_case!(
        "lti.platform.core.instructor-no-pii.no-pii",
        "Instructor Payload without PII: Payload Without PII (email allowed)",
        "5.1.4 Teacher/Instructor Payload without PII testing",
        "https://www.imsglobal.org/spec/lti/v1p3/cert/#teacher-instructor-payload-without-pii-testing",
        R_NO_PII_INSTRUCTOR,
        &["core", "launch", "privacy"],
        LaunchKind::InstructorNoPii,
        Aspect::NoPii
    ));
    all.extend([
        launch_case!("lti.platform.dl.request.is-lti13", "Deep Linking request: Payload is LTI 1.3", DL_SECTION, DL_URL, "Payload is LTI 1.3: Tests that JWT received conforms to format of 1.3 Deep Linking JWT", DL_TAGS, LaunchKind::DeepLinking, Aspect::IsLti13),
        launch_case!("lti.platform.dl.request.timestamps", "Deep Linking request: Payload Timestamps Valid", DL_SECTION, DL_URL, R_TIMESTAMPS, DL_TAGS, LaunchKind::DeepLinking, Aspect::Timestamps),
        launch_case!("lti.platform.dl.request.rs256", "Deep Linking request: Payload Signed with RSA 256", DL_SECTION, DL_URL, R_RS256, DL_TAGS, LaunchKind::DeepLinking, Aspect::Rs256),
        launch_case!("lti.platform.dl.request.signature", "Deep Linking request: Payload Signature Valid", DL_SECTION, DL_URL, R_SIGNATURE, DL_TAGS, LaunchKind::DeepLinking, Aspect::Signature),
        launch_case!("lti.platform.dl.request.complete", "Deep Linking request: Payload is Complete", DL_SECTION, DL_URL, "Payload is Complete: All Required 1.3 Deep Linking Claims are present. Deep Linking 4.4: message_type, version, deployment_id and deep_linking_settings (deep_link_return_url, accept_types, accept_presentation_document_targets) are REQUIRED.", DL_TAGS, LaunchKind::DeepLinking, Aspect::Complete),
        launch_case!("lti.platform.dl.request.version", "Deep Linking request: Payload LTI Version", DL_SECTION, DL_URL, R_VERSION, DL_TAGS, LaunchKind::DeepLinking, Aspect::Version),
    ]);
    all
}
