//! `oneroster-provider` cases for the rest of the OneRoster 1.2 rostering
//! surface: terms and grading periods (`oneroster.provider.sessions.*`), the
//! relation endpoints (`oneroster.provider.relations.*`: a school's courses,
//! enrollments, students, teachers and terms, a class's members within its
//! school, a course's, user's, student's, teacher's and term's classes, a
//! term's grading periods) and demographics
//! (`oneroster.provider.demographics.*`).
//!
//! Why relations are judged against the collections: the OpenAPI defines each
//! relation only by name ("the classes related to a specific user"), but the
//! data model pins it down (a class's `terms`, a user's `roles[].org`, an
//! enrollment's `user` and `class`). Reading the collections through the same
//! provider and computing the expected members client-side tells a relation
//! that filters wrongly (or not at all) from a correct one without knowing the
//! provider's data. A school's terms are judged by containment only (every term
//! its classes are scheduled in, and nothing that is not a term), because a
//! SIS may also link terms to schools directly.
//!
//! Demographics are privileged: only `roster-demographics.readonly` opens them,
//! so the scope case asks with each rostering scope alone and expects 403.
//! Every case first obtains a token, so an unreachable provider is an `error`;
//! cases that need a scope the profile lacks are then `skip`ped.

use std::collections::HashSet;

use futures::future::BoxFuture;
use serde_json::Value;

use accredit_core::{CaseCx, CaseMeta, Level, Outcome, Verdict};

use super::cases::{
    Client, Fixture, Stop, check_status_payload, enc, enrollments_where, enum_or_ext, is_date,
    ref_id, sid, snippet,
};
use super::gradebook::violations;
use super::{SCOPE_DEMOGRAPHICS, SCOPE_ROSTER, SCOPE_ROSTER_CORE};

macro_rules! ids {
    ($($name:ident = $id:literal;)*) => {
        $(#[doc = concat!("`", $id, "`")] pub const $name: &str = $id;)*
    };
}

ids! {
    SESSIONS_READ = "oneroster.provider.sessions.read";
    READ = "oneroster.provider.relations.read";
    COURSE_CLASSES = "oneroster.provider.relations.course-classes";
    SCHOOL_COURSES = "oneroster.provider.relations.school-courses";
    SCHOOL_ENROLLMENTS = "oneroster.provider.relations.school-enrollments";
    SCHOOL_USERS = "oneroster.provider.relations.school-users";
    SCHOOL_TERMS = "oneroster.provider.relations.school-terms";
    SCHOOL_CLASS_MEMBERS = "oneroster.provider.relations.school-class-members";
    USER_CLASSES = "oneroster.provider.relations.user-classes";
    TERM_CLASSES = "oneroster.provider.relations.term-classes";
    TERM_GRADING_PERIODS = "oneroster.provider.relations.term-grading-periods";
    UNKNOWN_PARENT = "oneroster.provider.relations.unknown-parent";
    PAGING = "oneroster.provider.relations.paging";
    SCOPE = "oneroster.provider.relations.auth.scope";
    SCHEMA = "oneroster.provider.relations.model.schema";
    DEMOGRAPHICS_READ = "oneroster.provider.demographics.read";
    DEMOGRAPHICS_MODEL = "oneroster.provider.demographics.model";
    DEMOGRAPHICS_SCOPE = "oneroster.provider.demographics.auth.scope";
}

const SPEC: &str = "OneRoster 1.2 Rostering Service REST Binding";
const OPENAPI: &str = "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2rostersservice_openapi3_v1p0.json";

/// Whether `id` is one of this module's cases.
pub(super) fn owns(id: &str) -> bool {
    id.starts_with("oneroster.provider.relations.")
        || id.starts_with("oneroster.provider.sessions.")
        || id.starts_with("oneroster.provider.demographics.")
}

#[allow(clippy::too_many_arguments)]
const fn meta(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    requirement: &'static str,
    level: Level,
    official: bool,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: "provider",
        spec_document: SPEC,
        spec_section: section,
        spec_url: OPENAPI,
        requirement,
        level,
        official,
        tags,
        exclusive: false,
    }
}

/// The cases of this module, in report order.
pub fn catalog() -> Vec<CaseMeta> {
    use Level::Must;
    vec![
        meta(
            SESSIONS_READ,
            "Terms and grading periods answer 200 with academicSessions envelopes",
            "getAllTerms, getTerm, getAllGradingPeriods, getGradingPeriod",
            "To read, get, a collection of terms i.e. all terms; to read, get, a collection of grading periods. The request was successfully completed and a collection (or the record) has been returned.",
            Must,
            true,
            &["oneroster", "read", "sessions"],
        ),
        meta(
            READ,
            "Every relation endpoint answers 200 with its collection envelope",
            "get*For*",
            "200: The request was successfully completed and a collection has been returned.",
            Must,
            true,
            &["oneroster", "read", "relations"],
        ),
        meta(
            COURSE_CLASSES,
            "The classes of a course are the classes whose course is that course",
            "getClassesForCourse",
            "To read, get, a collection of classes related to a specific course.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            SCHOOL_COURSES,
            "The courses of a school are the courses whose org is that school",
            "getCoursesForSchool",
            "To read, get, a collection of courses related to a specific school.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            SCHOOL_ENROLLMENTS,
            "The enrollments of a school are the enrollments whose school is that school",
            "getEnrollmentsForSchool",
            "To read, get, a collection of enrollments related to a specific school.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            SCHOOL_USERS,
            "The students (teachers) of a school are the users with that role at that school",
            "getStudentsForSchool, getTeachersForSchool",
            "To read, get, the collection of students (teachers) associated with a specific school.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            SCHOOL_TERMS,
            "The terms of a school include the terms its classes are scheduled in, and only terms",
            "getTermsForSchool",
            "To read, get, the collection of terms associated with a specific school.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            SCHOOL_CLASS_MEMBERS,
            "The enrollments, students and teachers of a class in a school are that class's",
            "getEnrollmentsForClassInSchool, getStudentsForClassInSchool, getTeachersForClassInSchool",
            "To read, get, a collection of enrollments (students, teachers) related to a specific class in a specific school.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            USER_CLASSES,
            "The classes of a user (student, teacher) are the classes the user is enrolled in",
            "getClassesForUser, getClassesForStudent, getClassesForTeacher",
            "To get the set of classes related to a specific user (student, teacher).",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            TERM_CLASSES,
            "The classes of a term are the classes whose terms include it",
            "getClassesForTerm",
            "To read, get, a collection of classes related to a specific term.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            TERM_GRADING_PERIODS,
            "The grading periods of a term are the grading periods whose parent is that term",
            "getGradingPeriodsForTerm",
            "To get the set of grading periods related to a specific term.",
            Must,
            false,
            &["oneroster", "relations"],
        ),
        meta(
            UNKNOWN_PARENT,
            "A relation under an unknown parent answers 404 unknownobject with the 1.2 status payload",
            "get*For*: 404",
            "If the specified school (class, course, user, term) cannot be identified within the service provider then a status code of 'unknownobject' must be reported.",
            Must,
            true,
            &["oneroster", "relations", "errors"],
        ),
        meta(
            PAGING,
            "A relation pages like a collection: true X-Total-Count, every record once",
            "Pagination",
            "X-Total-Count: The total number of resources that are available to be returned; limit and offset segment the response.",
            Must,
            false,
            &["oneroster", "relations", "paging"],
        ),
        meta(
            SCOPE,
            "A roster-core.readonly token is refused relations with 403",
            "Security: scopes",
            "The relation operations require roster.readonly; 403: the server refuses to take any further action i.e. 'forbidden'.",
            Must,
            true,
            &["oneroster", "relations", "auth"],
        ),
        meta(
            SCHEMA,
            "Relation, term, grading period and demographics bodies validate against the OpenAPI schemas",
            "components.schemas",
            "The response payloads are defined by the *SetDType and Single*DType schemas of the OpenAPI document.",
            Must,
            true,
            &["oneroster", "relations", "model", "schema"],
        ),
        meta(
            DEMOGRAPHICS_READ,
            "Demographics answer 200 with the `demographics` envelope",
            "getAllDemographics, getDemographics",
            "To read, get, a collection of demographics (or one demographics record).",
            Must,
            true,
            &["oneroster", "demographics", "read"],
        ),
        meta(
            DEMOGRAPHICS_MODEL,
            "Demographics carry their required fields, exact enumerations and string booleans",
            "DemographicsDType",
            "sourcedId, status and dateLastModified are required; sex 'male' | 'female' | 'unspecified' | 'other' (or `ext:`); the race and ethnicity flags the strings 'true' | 'false'; birthDate a date.",
            Must,
            true,
            &["oneroster", "demographics", "model"],
        ),
        meta(
            DEMOGRAPHICS_SCOPE,
            "Only roster-demographics.readonly opens demographics",
            "Security: scopes",
            "getAllDemographics and getDemographics require roster-demographics.readonly; access to this service is considered privileged.",
            Must,
            true,
            &["oneroster", "demographics", "auth"],
        ),
    ]
}

// ---- helpers ------------------------------------------------------------------------

/// Parents sampled per relation.
const SAMPLES: usize = 3;

/// Every record of `path` (a relation, or a collection the run does not
/// share), by offset; bounded like every walk ([`Client::walk_env`]).
async fn every(c: &Client<'_>, path: &str, env: &str) -> Result<Vec<Value>, Stop> {
    c.walk_env(path, "", env).await
}

fn ids(list: &[Value]) -> HashSet<String> {
    list.iter().map(sid).collect()
}

/// The sourcedIds of a GUIDRef list field (`terms`).
fn ref_ids(v: &Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(sid).collect())
        .unwrap_or_default()
}

/// Whether `user` has role `role` at org `org` (1.2 `roles[]`).
fn has_role_at(user: &Value, role: &str, org: &str) -> bool {
    user.get("roles")
        .and_then(Value::as_array)
        .is_some_and(|rs| {
            rs.iter().any(|r| {
                r.get("role").and_then(Value::as_str) == Some(role) && ref_id(r, "org") == org
            })
        })
}

/// The judgement of one relation: `got` must be exactly `want`.
fn exact(v: &mut Verdict, what: String, want: &HashSet<String>, got: &HashSet<String>) -> bool {
    v.require(
        format!("{what}: exactly the {} expected records", want.len()),
        want == got,
        format!(
            "{} returned, {} unexpected, {} missing",
            got.len(),
            got.difference(want).count(),
            want.difference(got).count()
        ),
    )
}

/// Walks the relation `path` and judges it [`exact`]ly against `want`. A
/// relation that has more records than a walk reads, where the expected
/// records fit in one, is wrong (in its records or in its `X-Total-Count`):
/// a failure, not a reason to skip.
async fn judge(
    c: &Client<'_>,
    v: &mut Verdict,
    path: String,
    env: &str,
    want: &HashSet<String>,
) -> Result<(), Stop> {
    match every(c, &path, env).await {
        Ok(list) => {
            exact(v, format!("/{path}"), want, &ids(&list));
            Ok(())
        }
        Err(Stop::TooLarge(_)) if want.len() <= c.fx.walk_bound() => {
            v.require(
                format!("/{path}: exactly the {} expected records", want.len()),
                false,
                format!(
                    "more than {} records (by its X-Total-Count or by walking it)",
                    c.fx.walk_bound()
                ),
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn skip(v: &mut Verdict, what: &str, why: &str) {
    v.check(what, Outcome::Skip, why);
}

fn role(e: &Value) -> &str {
    e.get("role").and_then(Value::as_str).unwrap_or_default()
}

/// Sample parents for the relation endpoints, from the collections.
#[derive(Debug, Default)]
struct Sample {
    school: Option<String>,
    class: Option<String>,
    course: Option<String>,
    term: Option<String>,
    student: Option<String>,
    teacher: Option<String>,
}

impl Sample {
    async fn load(c: &Client<'_>) -> Result<Sample, Stop> {
        let first = |list: Vec<Value>| list.first().map(sid);
        let (classes, _) = c.page("classes?limit=1", "classes").await?;
        let class = classes.first();
        let (terms, _) = c.page("terms?limit=1", "academicSessions").await?;
        let (students, _) = c.page("students?limit=1", "users").await?;
        let (teachers, _) = c.page("teachers?limit=1", "users").await?;
        // A term of /terms (a class may also be scheduled in other sessions).
        let term = first(terms);
        Ok(Sample {
            school: class.map(|k| ref_id(k, "school")),
            class: class.map(sid),
            course: class.map(|k| ref_id(k, "course")),
            term,
            student: first(students),
            teacher: first(teachers),
        })
    }

    /// `(relation path, envelope)` for every relation, with `None` where
    /// the provider has no parent to ask about.
    fn relations(&self) -> Vec<(String, Option<String>, &'static str)> {
        let p = |tpl: &str, id: &Option<String>| id.as_ref().map(|i| tpl.replace("{}", &enc(i)));
        let sc = match (&self.school, &self.class) {
            (Some(s), Some(k)) => Some(format!("schools/{}/classes/{}", enc(s), enc(k))),
            _ => None,
        };
        let mut out = vec![
            (
                "schools/{id}/classes",
                p("schools/{}/classes", &self.school),
                "classes",
            ),
            (
                "schools/{id}/courses",
                p("schools/{}/courses", &self.school),
                "courses",
            ),
            (
                "schools/{id}/enrollments",
                p("schools/{}/enrollments", &self.school),
                "enrollments",
            ),
            (
                "schools/{id}/students",
                p("schools/{}/students", &self.school),
                "users",
            ),
            (
                "schools/{id}/teachers",
                p("schools/{}/teachers", &self.school),
                "users",
            ),
            (
                "schools/{id}/terms",
                p("schools/{}/terms", &self.school),
                "academicSessions",
            ),
            (
                "classes/{id}/students",
                p("classes/{}/students", &self.class),
                "users",
            ),
            (
                "classes/{id}/teachers",
                p("classes/{}/teachers", &self.class),
                "users",
            ),
            (
                "courses/{id}/classes",
                p("courses/{}/classes", &self.course),
                "classes",
            ),
            (
                "users/{id}/classes",
                p("users/{}/classes", &self.student),
                "classes",
            ),
            (
                "students/{id}/classes",
                p("students/{}/classes", &self.student),
                "classes",
            ),
            (
                "teachers/{id}/classes",
                p("teachers/{}/classes", &self.teacher),
                "classes",
            ),
            (
                "terms/{id}/classes",
                p("terms/{}/classes", &self.term),
                "classes",
            ),
            (
                "terms/{id}/gradingPeriods",
                p("terms/{}/gradingPeriods", &self.term),
                "academicSessions",
            ),
        ];
        for (ch, env) in [
            ("enrollments", "enrollments"),
            ("students", "users"),
            ("teachers", "users"),
        ] {
            out.push((
                match ch {
                    "enrollments" => "schools/{id}/classes/{id}/enrollments",
                    "students" => "schools/{id}/classes/{id}/students",
                    _ => "schools/{id}/classes/{id}/teachers",
                },
                sc.as_ref().map(|b| format!("{b}/{ch}")),
                env,
            ));
        }
        out.into_iter()
            .map(|(name, path, env)| (name.to_string(), path, env))
            .collect()
    }
}

// ---- dispatch -----------------------------------------------------------------------

fn has(fx: &Fixture, scope: &str) -> bool {
    fx.profile.scopes.iter().any(|s| s == scope)
}

/// Runs one case of this module.
pub(super) fn run_case<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let id = cx.meta.id;
        // A token first: an unreachable provider is an error, never a skip.
        let c = match Client::new(fx, cx).await {
            Ok(c) => c,
            Err(s) => return s.into_verdict(Verdict::new()),
        };
        if id == SCHEMA
            && let Err(reason) = &fx.schemas.validators
        {
            return Verdict::skip(format!("the OpenAPI schemas are not available: {reason}"));
        }
        if matches!(id, DEMOGRAPHICS_READ | DEMOGRAPHICS_MODEL) && !has(fx, SCOPE_DEMOGRAPHICS) {
            return Verdict::skip(
                "the profile's scopes do not include roster-demographics.readonly",
            );
        }
        let mut v = Verdict::new();
        let r = match id {
            SESSIONS_READ => sessions_read(&c, &mut v).await,
            READ => read(&c, &mut v).await,
            COURSE_CLASSES => course_classes(&c, &mut v).await,
            SCHOOL_COURSES => school_courses(&c, &mut v).await,
            SCHOOL_ENROLLMENTS => school_enrollments(&c, &mut v).await,
            SCHOOL_USERS => school_users(&c, &mut v).await,
            SCHOOL_TERMS => school_terms(&c, &mut v).await,
            SCHOOL_CLASS_MEMBERS => school_class_members(&c, &mut v).await,
            USER_CLASSES => user_classes(&c, &mut v).await,
            TERM_CLASSES => term_classes(&c, &mut v).await,
            TERM_GRADING_PERIODS => term_grading_periods(&c, &mut v).await,
            UNKNOWN_PARENT => unknown_parent(&c, &mut v).await,
            PAGING => paging(&c, &mut v).await,
            SCOPE => scope(fx, cx, &mut v).await,
            SCHEMA => schema(fx, cx, &c, &mut v).await,
            DEMOGRAPHICS_READ => demographics_read(fx, cx, &c, &mut v).await,
            DEMOGRAPHICS_MODEL => demographics_model(fx, cx, &mut v).await,
            DEMOGRAPHICS_SCOPE => demographics_scope(fx, cx, &mut v).await,
            other => return Verdict::error(format!("no implementation for case {other}")),
        };
        match r {
            Ok(()) => v,
            Err(s) => s.into_verdict(v),
        }
    })
}

// ---- terms and grading periods -----------------------------------------------------------

async fn sessions_read(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let sessions = c.truth("academicSessions", "academicSessions").await?;
    let known = ids(&sessions);
    let terms = c.truth("terms", "academicSessions").await?;
    let foreign: Vec<String> = terms
        .iter()
        .map(sid)
        .filter(|t| !known.contains(t))
        .take(5)
        .collect();
    v.require(
        format!(
            "/terms: {} academic sessions of /academicSessions",
            terms.len()
        ),
        foreign.is_empty(),
        format!("not in /academicSessions: {foreign:?}"),
    );
    let periods = c.truth("gradingPeriods", "academicSessions").await?;
    let want: HashSet<String> = sessions
        .iter()
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("gradingPeriod"))
        .map(sid)
        .collect();
    exact(
        v,
        "/gradingPeriods: the academic sessions of type gradingPeriod".into(),
        &want,
        &ids(&periods),
    );
    for (path, list) in [("terms", &terms), ("gradingPeriods", &periods)] {
        let Some(first) = list.first().map(sid) else {
            skip(v, &format!("GET /{path}/{{id}}"), "the collection is empty");
            continue;
        };
        let r = c.get(&format!("{path}/{}", enc(&first))).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        v.require(
            format!("GET /{path}/{{id}}: 200 with `academicSession`"),
            r.status.as_u16() == 200 && body.get("academicSession").map(sid) == Some(first),
            format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
        );
    }
    Ok(())
}

// ---- relations ---------------------------------------------------------------------

async fn read(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let sample = Sample::load(c).await?;
    for (name, path, env) in sample.relations() {
        let Some(path) = path else {
            skip(
                v,
                &format!("GET /{name}"),
                "the provider has no parent to ask about",
            );
            continue;
        };
        let r = c.get(&format!("{path}?limit=5")).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        v.require(
            format!("GET /{name}: 200 with `{env}`"),
            r.status.as_u16() == 200 && body.get(env).is_some_and(Value::is_array),
            format!(
                "GET /{path} answered {}: {}",
                r.status.as_u16(),
                snippet(&r)
            ),
        );
    }
    Ok(())
}

async fn schools(c: &Client<'_>) -> Result<Vec<String>, Stop> {
    let (list, _) = c.page(&format!("schools?limit={SAMPLES}"), "orgs").await?;
    Ok(list.iter().map(sid).collect())
}

async fn course_classes(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let classes = c.truth("classes", "classes").await?;
    let (courses, _) = c
        .page(&format!("courses?limit={SAMPLES}"), "courses")
        .await?;
    for id in courses.iter().map(sid) {
        let want = classes
            .iter()
            .filter(|k| ref_id(k, "course") == id)
            .map(sid)
            .collect();
        judge(
            c,
            v,
            format!("courses/{}/classes", enc(&id)),
            "classes",
            &want,
        )
        .await?;
    }
    if courses.is_empty() {
        skip(v, "the provider has courses", "no courses");
    }
    Ok(())
}

async fn school_courses(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let courses = c.truth("courses", "courses").await?;
    let schools = schools(c).await?;
    for id in &schools {
        let want = courses
            .iter()
            .filter(|k| ref_id(k, "org") == *id)
            .map(sid)
            .collect();
        judge(
            c,
            v,
            format!("schools/{}/courses", enc(id)),
            "courses",
            &want,
        )
        .await?;
    }
    if schools.is_empty() {
        skip(v, "the provider has schools", "no schools");
    }
    Ok(())
}

async fn school_enrollments(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let schools = schools(c).await?;
    for id in &schools {
        let want = ids(&enrollments_where(c, "school", id).await?);
        judge(
            c,
            v,
            format!("schools/{}/enrollments", enc(id)),
            "enrollments",
            &want,
        )
        .await?;
    }
    if schools.is_empty() {
        skip(v, "the provider has schools", "no schools");
    }
    Ok(())
}

async fn school_users(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let users = c.truth("users", "users").await?;
    let schools = schools(c).await?;
    for id in &schools {
        for (path, role) in [("students", "student"), ("teachers", "teacher")] {
            let want = users
                .iter()
                .filter(|u| has_role_at(u, role, id))
                .map(sid)
                .collect();
            judge(c, v, format!("schools/{}/{path}", enc(id)), "users", &want).await?;
        }
    }
    if schools.is_empty() {
        skip(v, "the provider has schools", "no schools");
    }
    Ok(())
}

async fn school_terms(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let classes = c.truth("classes", "classes").await?;
    let terms = ids(&c.truth("terms", "academicSessions").await?);
    let schools = schools(c).await?;
    for id in &schools {
        let scheduled: HashSet<String> = classes
            .iter()
            .filter(|k| ref_id(k, "school") == *id)
            .flat_map(|k| ref_ids(k, "terms"))
            .filter(|t| terms.contains(t))
            .collect();
        let got = ids(&every(c, &format!("schools/{}/terms", enc(id)), "academicSessions").await?);
        let missing: Vec<&String> = scheduled.difference(&got).take(5).collect();
        v.require(
            format!(
                "/schools/{id}/terms: the {} terms its classes are scheduled in",
                scheduled.len()
            ),
            missing.is_empty(),
            format!("missing: {missing:?}"),
        );
        let foreign: Vec<&String> = got.difference(&terms).take(5).collect();
        v.require(
            format!("/schools/{id}/terms: only records of /terms"),
            foreign.is_empty(),
            format!("not in /terms: {foreign:?}"),
        );
    }
    if schools.is_empty() {
        skip(v, "the provider has schools", "no schools");
    }
    Ok(())
}

async fn school_class_members(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (classes, _) = c
        .page(&format!("classes?limit={SAMPLES}"), "classes")
        .await?;
    for k in &classes {
        let (class, school) = (sid(k), ref_id(k, "school"));
        let base = format!("schools/{}/classes/{}", enc(&school), enc(&class));
        let of_class = enrollments_where(c, "class", &class).await?;
        let want = ids(&of_class);
        judge(c, v, format!("{base}/enrollments"), "enrollments", &want).await?;
        for (path, r) in [("students", "student"), ("teachers", "teacher")] {
            let want = of_class
                .iter()
                .filter(|e| role(e) == r)
                .map(|e| ref_id(e, "user"))
                .collect();
            judge(c, v, format!("{base}/{path}"), "users", &want).await?;
        }
    }
    if classes.is_empty() {
        skip(v, "the provider has classes", "no classes");
    }
    Ok(())
}

/// Enrollments read to find a student and a teacher to ask about.
const USER_SAMPLE_PAGE: usize = 100;

async fn user_classes(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (first, _) = c
        .page(
            &format!("enrollments?limit={USER_SAMPLE_PAGE}"),
            "enrollments",
        )
        .await?;
    let first_with = |r: &str| {
        first
            .iter()
            .find(|e| role(e) == r)
            .map(|e| ref_id(e, "user"))
    };
    let mut asked = false;
    for (r, path) in [("student", "students"), ("teacher", "teachers")] {
        let Some(user) = first_with(r) else { continue };
        let want: HashSet<String> = enrollments_where(c, "user", &user)
            .await?
            .iter()
            .map(|e| ref_id(e, "class"))
            .collect();
        for p in ["users", path] {
            judge(
                c,
                v,
                format!("{p}/{}/classes", enc(&user)),
                "classes",
                &want,
            )
            .await?;
            asked = true;
        }
    }
    if !asked {
        skip(
            v,
            "the provider has enrollments",
            &format!("no student or teacher enrollment among the first {USER_SAMPLE_PAGE}"),
        );
    }
    Ok(())
}

async fn term_classes(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let classes = c.truth("classes", "classes").await?;
    let (terms, _) = c
        .page(&format!("terms?limit={SAMPLES}"), "academicSessions")
        .await?;
    for id in terms.iter().map(sid) {
        let want = classes
            .iter()
            .filter(|k| ref_ids(k, "terms").contains(&id))
            .map(sid)
            .collect();
        judge(
            c,
            v,
            format!("terms/{}/classes", enc(&id)),
            "classes",
            &want,
        )
        .await?;
    }
    if terms.is_empty() {
        skip(v, "the provider has terms", "no terms");
    }
    Ok(())
}

async fn term_grading_periods(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let sessions = c.truth("academicSessions", "academicSessions").await?;
    let (terms, _) = c
        .page(&format!("terms?limit={SAMPLES}"), "academicSessions")
        .await?;
    for id in terms.iter().map(sid) {
        let want = sessions
            .iter()
            .filter(|s| {
                s.get("type").and_then(Value::as_str) == Some("gradingPeriod")
                    && ref_id(s, "parent") == id
            })
            .map(sid)
            .collect();
        judge(
            c,
            v,
            format!("terms/{}/gradingPeriods", enc(&id)),
            "academicSessions",
            &want,
        )
        .await?;
    }
    if terms.is_empty() {
        skip(v, "the provider has terms", "no terms");
    }
    Ok(())
}

async fn unknown_parent(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let unknown = format!("accredit-unknown-{}", uuid::Uuid::new_v4().simple());
    let sample = Sample::load(c).await?;
    let mut paths: Vec<String> = sample
        .relations()
        .into_iter()
        .map(|(name, _, _)| name)
        .filter(|n| n.matches("{id}").count() == 1)
        .map(|n| n.replace("{id}", &unknown))
        .collect();
    // Class-in-school relations: an unknown school, then an unknown class.
    for ch in ["enrollments", "students", "teachers"] {
        if let Some(k) = &sample.class {
            paths.push(format!("schools/{unknown}/classes/{}/{ch}", enc(k)));
        }
        if let Some(s) = &sample.school {
            paths.push(format!("schools/{}/classes/{unknown}/{ch}", enc(s)));
        }
    }
    for p in paths {
        let r = c.get(&p).await?;
        check_status_payload(v, &format!("GET /{p}"), &r, 404, "unknownobject");
    }
    Ok(())
}

async fn paging(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let Some(school) = schools(c).await?.into_iter().next() else {
        skip(v, "the provider has schools", "no schools");
        return Ok(());
    };
    let path = format!("schools/{}/students", enc(&school));
    let truth: Vec<String> = every(c, &path, "users").await?.iter().map(sid).collect();
    if truth.len() < 4 {
        skip(v, &format!("/{path} pages"), "fewer than 4 students");
        return Ok(());
    }
    let (_, r) = c.page(&format!("{path}?limit=5"), "users").await?;
    let header = r.header("x-total-count").map(str::to_string);
    v.require(
        format!("/{path}?limit=5: X-Total-Count is {}", truth.len()),
        header
            .as_deref()
            .and_then(|h| h.trim().parse::<usize>().ok())
            == Some(truth.len()),
        format!("X-Total-Count: {}", header.as_deref().unwrap_or("(absent)")),
    );
    let limit = truth.len() / 4;
    let mut seen: Vec<String> = Vec::new();
    let mut offset = 0;
    while offset < truth.len() + limit {
        let (list, _) = c
            .page(&format!("{path}?limit={limit}&offset={offset}"), "users")
            .await?;
        let n = list.len();
        seen.extend(list.iter().map(sid));
        offset += limit;
        if n < limit {
            break;
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    v.require(
        format!("/{path} in pages of {limit}: no record twice"),
        unique.len() == seen.len(),
        format!("{} records, {} distinct", seen.len(), unique.len()),
    );
    let missing = truth.iter().filter(|t| !unique.contains(t)).count();
    v.require(
        format!(
            "/{path} in pages of {limit}: every one of the {}",
            truth.len()
        ),
        missing == 0,
        format!("{missing} never returned"),
    );
    Ok(())
}

async fn scope(fx: &Fixture, cx: &CaseCx, v: &mut Verdict) -> Result<(), Stop> {
    if !has(fx, SCOPE_ROSTER_CORE) {
        skip(
            v,
            "a roster-core.readonly token reads no relation",
            "the profile's scopes do not include roster-core.readonly",
        );
        return Ok(());
    }
    let core = Client::with_scopes(fx, cx, &[SCOPE_ROSTER_CORE.to_string()]).await?;
    let sample = Sample::load(&core).await?;
    for (name, path, _) in sample.relations() {
        let Some(path) = path else { continue };
        let r = core.get(&path).await?;
        let s = r.status.as_u16();
        v.require(
            format!("GET /{name} with only roster-core.readonly: answered 403"),
            s == 403,
            format!("answered {s}: {}", snippet(&r)),
        );
    }
    Ok(())
}

async fn schema(fx: &Fixture, cx: &CaseCx, c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let vals = &fx.schemas.validators;
    let sample = Sample::load(c).await?;
    let mut bodies: Vec<(String, &str)> = sample
        .relations()
        .into_iter()
        .filter_map(|(_, path, env)| {
            let dtype = match env {
                "classes" => "ClassSetDType",
                "courses" => "CourseSetDType",
                "enrollments" => "EnrollmentSetDType",
                "users" => "UserSetDType",
                _ => "AcademicSessionSetDType",
            };
            path.map(|p| (format!("{p}?limit=25"), dtype))
        })
        .collect();
    bodies.push(("terms?limit=25".into(), "AcademicSessionSetDType"));
    bodies.push(("gradingPeriods?limit=25".into(), "AcademicSessionSetDType"));
    if let Some(t) = &sample.term {
        bodies.push((format!("terms/{}", enc(t)), "SingleAcademicSessionDType"));
    }
    for (rel, dtype) in bodies {
        let r = c.get(&rel).await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        let found = violations(vals, dtype, &body);
        v.require(
            format!("GET /{rel}: a valid {dtype}"),
            r.status.as_u16() == 200 && found.is_empty(),
            format!("answered {}: {}", r.status.as_u16(), found.join("; ")),
        );
    }
    if has(fx, SCOPE_DEMOGRAPHICS) {
        let d = Client::with_scopes(fx, cx, &[SCOPE_DEMOGRAPHICS.to_string()]).await?;
        let (list, r) = d.page("demographics?limit=25", "demographics").await?;
        let body: Value = r.json().unwrap_or(Value::Null);
        let found = violations(vals, "DemographicsSetDType", &body);
        v.require(
            "GET /demographics: a valid DemographicsSetDType",
            found.is_empty(),
            found.join("; "),
        );
        if let Some(first) = list.first() {
            let r = d.get(&format!("demographics/{}", enc(&sid(first)))).await?;
            let body: Value = r.json().unwrap_or(Value::Null);
            let found = violations(vals, "SingleDemographicsDType", &body);
            v.require(
                "GET /demographics/{id}: a valid SingleDemographicsDType",
                r.status.as_u16() == 200 && found.is_empty(),
                format!("answered {}: {}", r.status.as_u16(), found.join("; ")),
            );
        }
    }
    // Without roster-demographics.readonly the demographics bodies are not
    // judged here (the demographics cases skip); the relations still are.
    Ok(())
}

// ---- demographics ------------------------------------------------------------------

async fn demographics_read(
    fx: &Fixture,
    cx: &CaseCx,
    c: &Client<'_>,
    v: &mut Verdict,
) -> Result<(), Stop> {
    let d = Client::with_scopes(fx, cx, &[SCOPE_DEMOGRAPHICS.to_string()]).await?;
    let (list, _) = d.page("demographics?limit=5", "demographics").await?;
    v.require("GET /demographics: 200 with `demographics`", true, "");
    let Some(first) = list.first().map(sid) else {
        skip(
            v,
            "GET /demographics/{id}",
            "the provider lists no demographics",
        );
        return Ok(());
    };
    let r = d.get(&format!("demographics/{}", enc(&first))).await?;
    let body: Value = r.json().unwrap_or(Value::Null);
    v.require(
        "GET /demographics/{id}: 200 with the `demographics` object",
        r.status.as_u16() == 200 && body.get("demographics").map(sid).as_ref() == Some(&first),
        format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
    );
    // The data model keys a user's demographics by the user's sourcedId.
    let mut orphans = Vec::new();
    for id in list.iter().map(sid) {
        let r = c.get(&format!("users/{}", enc(&id))).await?;
        if r.status.as_u16() != 200 {
            orphans.push(id);
        }
    }
    v.recommend(
        "each demographics sourcedId is a user's sourcedId",
        orphans.is_empty(),
        format!("no such user: {orphans:?}"),
    );
    Ok(())
}

const DEMOGRAPHICS_FIELDS: [&str; 17] = [
    "sourcedId",
    "status",
    "dateLastModified",
    "metadata",
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
];

/// The flags of `DemographicsDType` (index 6.. of the fields).
const FLAGS: std::ops::Range<usize> = 6..13;

/// Problems of one demographics record, located by its sourcedId.
fn demographics_problems(r: &Value) -> Vec<String> {
    let id = sid(r);
    let mut out = Vec::new();
    let Some(obj) = r.as_object() else {
        return vec![format!("not an object: {r}")];
    };
    for k in ["sourcedId", "status", "dateLastModified"] {
        if obj.get(k).is_none_or(Value::is_null) {
            out.push(format!("{id}: missing {k}"));
        }
    }
    for k in obj.keys() {
        if !DEMOGRAPHICS_FIELDS.contains(&k.as_str()) {
            out.push(format!("{id}: unknown property {k}"));
        }
    }
    if let Some(st) = obj.get("status")
        && !matches!(st.as_str(), Some("active" | "tobedeleted"))
    {
        out.push(format!("{id}: status = {st}"));
    }
    if let Some(d) = obj.get("dateLastModified")
        && d.as_str()
            .is_none_or(|d| chrono::DateTime::parse_from_rfc3339(d).is_err())
    {
        out.push(format!("{id}: dateLastModified {d} is not a date-time"));
    }
    if let Some(b) = obj.get("birthDate")
        && !b.as_str().is_some_and(is_date)
    {
        out.push(format!("{id}: birthDate {b} is not a date (YYYY-MM-DD)"));
    }
    if obj.contains_key("sex")
        && !(obj.get("sex").is_some_and(Value::is_string)
            && enum_or_ext(obj.get("sex"), &["male", "female", "unspecified", "other"]))
    {
        out.push(format!(
            "{id}: sex = {}",
            obj.get("sex").cloned().unwrap_or(Value::Null)
        ));
    }
    for k in &DEMOGRAPHICS_FIELDS[FLAGS] {
        if let Some(f) = obj.get(*k)
            && !matches!(f.as_str(), Some("true" | "false"))
        {
            out.push(format!(
                "{id}: {k} = {f} (must be the string \"true\" or \"false\")"
            ));
        }
    }
    for k in [
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ] {
        if let Some(f) = obj.get(k)
            && !f.is_string()
        {
            out.push(format!("{id}: {k} = {f} (not a string)"));
        }
    }
    out
}

async fn demographics_model(fx: &Fixture, cx: &CaseCx, v: &mut Verdict) -> Result<(), Stop> {
    let d = Client::with_scopes(fx, cx, &[SCOPE_DEMOGRAPHICS.to_string()]).await?;
    let (list, _) = d.page("demographics?limit=100", "demographics").await?;
    if list.is_empty() {
        skip(
            v,
            "demographics records",
            "the provider lists no demographics",
        );
        return Ok(());
    }
    let mut found: Vec<String> = list.iter().flat_map(demographics_problems).collect();
    let n = found.len();
    found.truncate(10);
    v.require(
        format!("/demographics (first {} records)", list.len()),
        n == 0,
        format!("{n} problems: {}", found.join("; ")),
    );
    Ok(())
}

async fn demographics_scope(fx: &Fixture, cx: &CaseCx, v: &mut Verdict) -> Result<(), Stop> {
    let mut asked = false;
    for (scope, name) in [
        (SCOPE_ROSTER_CORE, "roster-core.readonly"),
        (SCOPE_ROSTER, "roster.readonly"),
    ] {
        if !has(fx, scope) {
            continue;
        }
        let c = Client::with_scopes(fx, cx, &[scope.to_string()]).await?;
        let r = c.get("demographics?limit=1").await?;
        let s = r.status.as_u16();
        v.require(
            format!("GET /demographics with only {name}: answered 403"),
            s == 403,
            format!("answered {s}: {}", snippet(&r)),
        );
        asked = true;
    }
    if has(fx, SCOPE_DEMOGRAPHICS) {
        let c = Client::with_scopes(fx, cx, &[SCOPE_DEMOGRAPHICS.to_string()]).await?;
        let r = c.get("demographics?limit=1").await?;
        let s = r.status.as_u16();
        v.require(
            "GET /demographics with roster-demographics.readonly: answered 200",
            s == 200,
            format!("answered {s}: {}", snippet(&r)),
        );
        asked = true;
    }
    if !asked {
        skip(
            v,
            "demographics scopes",
            "the profile's scopes include no rostering scope",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn ok() -> Value {
        json!({"sourcedId": "u1", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z",
               "birthDate": "2010-04-02", "sex": "female", "asian": "false", "white": "true",
               "countryOfBirthCode": "US"})
    }

    fn with(k: &str, val: Value) -> Value {
        let mut r = ok();
        if let Some(o) = r.as_object_mut() {
            if val.is_null() {
                o.remove(k);
            } else {
                o.insert(k.to_string(), val);
            }
        }
        r
    }

    #[rstest]
    #[case::conformant(ok(), 0)]
    #[case::ext_sex(with("sex", json!("ext:nonbinary")), 0)]
    #[case::json_boolean(with("asian", json!(false)), 1)]
    #[case::capitalised_flag(with("white", json!("True")), 1)]
    #[case::capitalised_sex(with("sex", json!("Female")), 1)]
    #[case::date_time_birth(with("birthDate", json!("2010-04-02T00:00:00Z")), 1)]
    #[case::date_only_modified(with("dateLastModified", json!("2026-01-01")), 1)]
    #[case::missing_status(with("status", Value::Null), 1)]
    #[case::unknown_property(with("race", json!("x")), 1)]
    #[case::numeric_country(with("countryOfBirthCode", json!(840)), 1)]
    fn demographics_records_are_judged(#[case] r: Value, #[case] n: usize) {
        let p = demographics_problems(&r);
        assert_eq!(p.len(), n, "{p:?}");
    }

    #[test]
    fn flags_are_the_seven_race_and_ethnicity_fields() {
        let flags = &DEMOGRAPHICS_FIELDS[FLAGS];
        assert_eq!(flags.first(), Some(&"americanIndianOrAlaskaNative"));
        assert_eq!(flags.last(), Some(&"hispanicOrLatinoEthnicity"));
        assert_eq!(flags.len(), 7);
    }

    #[rstest]
    #[case::student_at_school("student", "s1", true)]
    #[case::teacher_role("teacher", "s1", false)]
    #[case::other_school("student", "s2", false)]
    fn roles_are_matched_by_role_and_org(
        #[case] role: &str,
        #[case] org: &str,
        #[case] want: bool,
    ) {
        let user = json!({"roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "s1"}}]});
        assert_eq!(has_role_at(&user, role, org), want);
    }

    #[rstest]
    #[case::same(&["a", "b"], &["b", "a"], true)]
    #[case::extra(&["a"], &["a", "b"], false)]
    #[case::missing(&["a", "b"], &["a"], false)]
    fn relations_must_be_exact(#[case] want: &[&str], #[case] got: &[&str], #[case] pass: bool) {
        let set = |x: &[&str]| x.iter().map(|s| (*s).to_string()).collect::<HashSet<_>>();
        let mut v = Verdict::new();
        assert_eq!(exact(&mut v, "r".into(), &set(want), &set(got)), pass);
    }

    #[test]
    fn every_relation_is_sampled_and_templated() {
        let s = Sample {
            school: Some("s".into()),
            class: Some("k".into()),
            course: Some("c".into()),
            term: Some("t".into()),
            student: Some("u".into()),
            teacher: Some("w".into()),
        };
        let rels = s.relations();
        assert_eq!(rels.len(), 17);
        assert!(rels.iter().all(|(_, p, _)| p.is_some()));
        let none = Sample::default().relations();
        assert!(none.iter().all(|(_, p, _)| p.is_none()));
    }
}
