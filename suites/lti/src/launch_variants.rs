//! The official valid-launch variants (certification guide §6.1.2 and §6.1.3,
//! T-CORE-I-02..09 and T-CORE-S-02..10): the same launch with other role
//! vocabularies and less personal data. A tool MUST accept every one of them.
//!
//! They exist because real tools break on exactly these: a tool that only knows
//! the full `membership#Instructor` URI refuses `["Instructor"]`; one that keys
//! accounts on `email` refuses an anonymous-PII launch; one that assumes a
//! `context` crashes without it. Each variant is one claim edit of the plain
//! valid launch, judged by the same code (auth request shape, platform
//! acceptance, tool acceptance), so a failure here isolates the variant.

use futures::FutureExt;
use serde_json::{Value, json};

use accredit_core::{Case, CaseMeta, Level};

use crate::cases::valid_launch_with;
use crate::flow::{Fixture, LoginMethod};
use crate::payloads::{LTI, Persona, set};

const CERT: &str = "LTI Advantage Conformance Certification Guide 1.3";
const TEACHER_URL: &str = "https://www.imsglobal.org/spec/lti/v1p3/cert/#valid-teacher-launches";
const STUDENT_URL: &str = "https://www.imsglobal.org/spec/lti/v1p3/cert/#valid-student-launches";
const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
const INSTITUTION: &str = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#";

fn roles(claims: &mut Value, roles: Value) {
    set(claims, &format!("{LTI}roles"), roles);
}

fn drop_names(claims: &mut Value) {
    for c in ["name", "given_name", "family_name", "middle_name"] {
        set(claims, c, Value::Null);
    }
}

fn instructor_roles(c: &mut Value) {
    roles(
        c,
        json!([
            format!("{MEMBERSHIP}Instructor"),
            format!("{INSTITUTION}Staff"),
            format!("{INSTITUTION}Other")
        ]),
    );
}
fn learner_roles(c: &mut Value) {
    roles(
        c,
        json!([
            format!("{MEMBERSHIP}Learner"),
            format!("{INSTITUTION}Student"),
            format!("{INSTITUTION}Mentor")
        ]),
    );
}
fn instructor_short_role(c: &mut Value) {
    roles(c, json!(["Instructor"]));
}
fn learner_short_role(c: &mut Value) {
    roles(c, json!(["Learner"]));
}
fn instructor_unknown_role(c: &mut Value) {
    roles(
        c,
        json!(["http://purl.imsglobal.org/vocab/lis/v2/unknown/unknown#Helper"]),
    );
}
fn learner_unknown_role(c: &mut Value) {
    roles(
        c,
        json!([
            format!("{MEMBERSHIP}Learner"),
            "http://purl.imsglobal.org/vocab/lis/v2/uknownrole/unknown#Unknown"
        ]),
    );
}
fn no_role(c: &mut Value) {
    roles(c, json!([""]));
}
fn email_only(c: &mut Value) {
    drop_names(c);
}
fn names_only(c: &mut Value) {
    set(c, "email", Value::Null);
}
fn no_pii(c: &mut Value) {
    drop_names(c);
    set(c, "email", Value::Null);
}
fn email_without_context(c: &mut Value) {
    drop_names(c);
    set(c, &format!("{LTI}context"), Value::Null);
}

const fn meta(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: "tool",
        spec_document: CERT,
        spec_section: section,
        spec_url: url,
        requirement,
        level: Level::Must,
        official: true,
        tags: &["core", "launch", "variant"],
        exclusive: false,
    }
}

const I: &str = "6.1.2 Valid Teacher Launches";
const S: &str = "6.1.3 Valid Student Launches";

macro_rules! variants {
    ($( $name:ident => ($id:literal, $title:literal, $section:ident, $url:ident, $persona:expr, $edit:path, $req:literal) ),* $(,)?) => {
        $(
            const $name: CaseMeta = meta($id, $title, $section, $url, $req);
        )*
        /// The variant cases, in the certification guide's order.
        pub fn cases() -> Vec<Case<Fixture>> {
            vec![
                $(
                    Case {
                        meta: $name,
                        run: |fx, cx| valid_launch_with(fx, cx, $persona, LoginMethod::Get, $edit).boxed(),
                    },
                )*
            ]
        }
    };
}

variants! {
    I02 => ("lti.tool.core.launch.instructor.roles", "Valid Instructor Launch with Roles", I, TEACHER_URL, Persona::Instructor, instructor_roles,
        "Valid Instructor Launch with Roles: the roles claim holds membership#Instructor with the institution roles Staff and Other; the tool MUST accept the launch (CERT 6.1.2; LTI Core A.2)."),
    I03 => ("lti.tool.core.launch.instructor.short-role", "Valid Instructor Launch Short Role", I, TEACHER_URL, Persona::Instructor, instructor_short_role,
        "Valid Instructor Launch Short Role: roles = [\"Instructor\"] (the deprecated short form); the tool MUST accept the launch (CERT 6.1.2; LTI Core 5.3.7)."),
    I04 => ("lti.tool.core.launch.instructor.unknown-role", "Valid Instructor Launch Unknown Role", I, TEACHER_URL, Persona::Instructor, instructor_unknown_role,
        "Valid Instructor Launch Unknown Role: roles holds only an unknown role URI; tools must ignore roles they do not understand and MUST accept the launch (CERT 6.1.2; LTI Core 4.3)."),
    I05 => ("lti.tool.core.launch.instructor.no-role", "Valid Instructor Launch No Role", I, TEACHER_URL, Persona::Instructor, no_role,
        "Valid Instructor Launch No Role: roles = [\"\"] (an array holding one empty string); the tool MUST accept the launch (CERT 6.1.2; LTI Core 5.3.7.1)."),
    I06 => ("lti.tool.core.launch.instructor.email-only", "Valid Instructor Launch Email Only", I, TEACHER_URL, Persona::Instructor, email_only,
        "Valid Instructor Launch Email Only: name, given_name, family_name and middle_name are absent, email is present; the tool MUST accept the launch (CERT 6.1.2)."),
    I07 => ("lti.tool.core.launch.instructor.names-only", "Valid Instructor Launch Names Only", I, TEACHER_URL, Persona::Instructor, names_only,
        "Valid Instructor Launch Names Only: email is absent; the tool MUST accept the launch (CERT 6.1.2)."),
    I08 => ("lti.tool.core.launch.instructor.no-pii", "Valid Instructor No PII", I, TEACHER_URL, Persona::Instructor, no_pii,
        "Valid Instructor No PII: every name and email claim is absent; the tool MUST accept the launch (CERT 6.1.2)."),
    I09 => ("lti.tool.core.launch.instructor.email-without-context", "Valid Instructor Email Without Context", I, TEACHER_URL, Persona::Instructor, email_without_context,
        "Valid Instructor Email Without Context: the context claim (OPTIONAL in LTI Core 5.4.1) and the name claims are absent; the tool MUST accept the launch (CERT 6.1.2)."),
    S02 => ("lti.tool.core.launch.student.roles", "Valid Student Launch with Roles", S, STUDENT_URL, Persona::Learner, learner_roles,
        "Valid Student Launch with Roles: the roles claim holds membership#Learner with the institution roles Student and Mentor; the tool MUST accept the launch (CERT 6.1.3; LTI Core A.2)."),
    S03 => ("lti.tool.core.launch.student.short-role", "Valid Student Launch Short Role", S, STUDENT_URL, Persona::Learner, learner_short_role,
        "Valid Student Launch Short Role: roles = [\"Learner\"]; the tool MUST accept the launch (CERT 6.1.3; LTI Core 5.3.7)."),
    S04 => ("lti.tool.core.launch.student.unknown-role", "Valid Student Launch Unknown Role", S, STUDENT_URL, Persona::Learner, learner_unknown_role,
        "Valid Student Launch Unknown Role: roles holds membership#Learner and an unknown role URI, which the tool must ignore; the tool MUST accept the launch (CERT 6.1.3; LTI Core 4.3)."),
    S05 => ("lti.tool.core.launch.student.no-role", "Valid Student Launch No Role", S, STUDENT_URL, Persona::Learner, no_role,
        "Valid Student Launch No Role: roles = [\"\"]; the tool MUST accept the launch (CERT 6.1.3; LTI Core 5.3.7.1)."),
    S06 => ("lti.tool.core.launch.student.email-only", "Valid Student Launch Email Only", S, STUDENT_URL, Persona::Learner, email_only,
        "Valid Student Launch Email Only: the name claims are absent, email is present; the tool MUST accept the launch (CERT 6.1.3)."),
    S07 => ("lti.tool.core.launch.student.names-only", "Valid Student Launch Names Only", S, STUDENT_URL, Persona::Learner, names_only,
        "Valid Student Launch Names Only: email is absent; the tool MUST accept the launch (CERT 6.1.3)."),
    S08 => ("lti.tool.core.launch.student.no-pii", "Valid Student No PII", S, STUDENT_URL, Persona::Learner, no_pii,
        "Valid Student No PII: every name and email claim is absent; the tool MUST accept the launch (CERT 6.1.3)."),
    S09 => ("lti.tool.core.launch.student.email-without-context", "Valid Student Email Without Context", S, STUDENT_URL, Persona::Learner, email_without_context,
        "Valid Student Email Without Context: the context claim and the name claims are absent; the tool MUST accept the launch (CERT 6.1.3)."),
    S10 => ("lti.tool.core.launch.student.resource-link-only", "Launch Student Only Resource Link", S, STUDENT_URL, Persona::Learner, no_pii,
        "Launch Student Only Resource Link: a learner launch carrying the resource link but no personal data, as the validator's UI lists it; the tool MUST accept the launch (CERT 6.1.3)."),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payloads::resource_link_launch;

    #[test]
    fn seventeen_official_variants() {
        let cs = cases();
        assert_eq!(cs.len(), 17);
        assert!(
            cs.iter()
                .all(|c| c.meta.official && c.meta.level == Level::Must)
        );
    }

    #[test]
    fn edits_do_what_they_say() {
        let text = crate::profile::demo_profile(
            "t",
            "http://127.0.0.1:1/login",
            "http://127.0.0.1:1/launch",
            "client",
            "deployment",
            "https://platform.example",
            std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
            None,
        );
        let doc =
            accredit_core::profile::ProfileDoc::parse("t.toml", &text, &[crate::TOOL_SUITE_ID])
                .unwrap_or_else(|e| panic!("{e}"));
        let profile: crate::profile::LtiToolProfile = doc
            .require_section(crate::TOOL_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        let base = resource_link_launch(&profile, Persona::Instructor, "t");
        let mut c = base.clone();
        no_pii(&mut c);
        assert!(
            c.get("email").is_none() && c.get("name").is_none() && c.get("given_name").is_none()
        );
        let mut c = base.clone();
        email_without_context(&mut c);
        assert!(c.get(format!("{LTI}context")).is_none() && c.get("email").is_some());
        let mut c = base;
        no_role(&mut c);
        assert_eq!(c[format!("{LTI}roles")], json!([""]));
    }
}
