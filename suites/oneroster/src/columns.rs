//! The type and requiredness of every column of every OneRoster CSV file, per
//! version: what the value rules check a field against.
//!
//! Why a second table beside [`crate::tables`]: the header table is the exact
//! spelling (what `file.header` compares), this one is the meaning of each
//! column. Both are transcribed from the 1.1 and 1.2 CSV tables (facts in
//! `../shared/reference/oneroster-csv-tables.md`); a unit test keeps the column
//! names of the two tables identical. Where the reference marks `enum+ext`, a
//! value may also be an extension token `ext:<name>`; we follow that marking
//! for both versions.

use crate::tables::Version;

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// This file's own sourcedId (a GUID).
    Id,
    /// `status`: blank in bulk, `active|tobedeleted` in delta.
    Status,
    /// `dateLastModified`: blank in bulk, a datetime in delta.
    Modified,
    /// Free text.
    Text,
    /// One of the tokens (case-sensitive); `true`: or `ext:<name>`.
    Enum(&'static [&'static str], bool),
    /// A quoted comma-separated list of enum tokens.
    EnumList(&'static [&'static str], bool),
    /// `true|false`.
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY`.
    Year,
    /// A decimal number.
    Float,
    /// An integer.
    Int,
    /// The sourcedId of a record in another (or the same) file.
    Ref(Target),
    /// A list of such sourcedIds.
    RefList(Target),
    /// A list of strings.
    Strings,
    /// A list of `{type:identifier}` items.
    UserIds,
    /// A list of `{lhs:rhs}` items.
    Pairs,
}

/// What a reference must point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The file holding the target records.
    pub file: &'static str,
    /// A constraint on the target's type.
    pub kind: TargetKind,
}

/// A constraint on a reference's target record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Any record of the file.
    Any,
    /// An org of type `school`.
    School,
    /// An academic session of type `schoolYear`.
    SchoolYear,
}

/// One column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    /// Header name.
    pub name: &'static str,
    /// Whether a value is required (lifecycle columns: see [`Ty::Status`]).
    pub required: bool,
    /// Value type.
    pub ty: Ty,
}

const fn r(name: &'static str, ty: Ty) -> Col {
    Col {
        name,
        required: true,
        ty,
    }
}

const fn o(name: &'static str, ty: Ty) -> Col {
    Col {
        name,
        required: false,
        ty,
    }
}

const fn to(file: &'static str) -> Target {
    Target {
        file,
        kind: TargetKind::Any,
    }
}

/// The values of `status` in delta rows.
pub const STATUS: &[&str] = &["active", "tobedeleted"];
const BOOL: &[&str] = &["true", "false"];
const SESSION_TYPE: &[&str] = &["gradingPeriod", "semester", "schoolYear", "term"];
const ORG_TYPE: &[&str] = &[
    "department",
    "school",
    "district",
    "local",
    "state",
    "national",
];
const CLASS_TYPE: &[&str] = &["homeroom", "scheduled"];
const ROLE_1P1: &[&str] = &[
    "administrator",
    "aide",
    "guardian",
    "parent",
    "proctor",
    "relative",
    "student",
    "teacher",
];
const ROLE_1P2: &[&str] = &[
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
];
const ENROLL_ROLE_1P2: &[&str] = &["administrator", "proctor", "student", "teacher"];
const ROLE_TYPE: &[&str] = &["primary", "secondary"];
const SEX_1P1: &[&str] = &["male", "female"];
const SEX_1P2: &[&str] = &["male", "female", "unspecified", "other"];
const SCORE_STATUS: &[&str] = &[
    "exempt",
    "fully graded",
    "not submitted",
    "partially graded",
    "submitted",
];
const LO_SOURCE: &[&str] = &["case", "unknown"];

const ID: Col = r("sourcedId", Ty::Id);
const STATUS_COL: Col = o("status", Ty::Status);
const MODIFIED: Col = o("dateLastModified", Ty::Modified);

const ACADEMIC_SESSIONS: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("title", Ty::Text),
    r("type", Ty::Enum(SESSION_TYPE, true)),
    r("startDate", Ty::Date),
    r("endDate", Ty::Date),
    o("parentSourcedId", Ty::Ref(to("academicSessions.csv"))),
    r("schoolYear", Ty::Year),
];

const ORGS: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("name", Ty::Text),
    r("type", Ty::Enum(ORG_TYPE, true)),
    o("identifier", Ty::Text),
    o("parentSourcedId", Ty::Ref(to("orgs.csv"))),
];

const COURSES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    o(
        "schoolYearSourcedId",
        Ty::Ref(Target {
            file: "academicSessions.csv",
            kind: TargetKind::SchoolYear,
        }),
    ),
    r("title", Ty::Text),
    o("courseCode", Ty::Text),
    o("grades", Ty::Strings),
    r("orgSourcedId", Ty::Ref(to("orgs.csv"))),
    o("subjects", Ty::Strings),
    o("subjectCodes", Ty::Strings),
];

const SCHOOL: Target = Target {
    file: "orgs.csv",
    kind: TargetKind::School,
};

const CLASSES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("title", Ty::Text),
    o("grades", Ty::Strings),
    r("courseSourcedId", Ty::Ref(to("courses.csv"))),
    o("classCode", Ty::Text),
    r("classType", Ty::Enum(CLASS_TYPE, true)),
    o("location", Ty::Text),
    r("schoolSourcedId", Ty::Ref(SCHOOL)),
    r("termSourcedIds", Ty::RefList(to("academicSessions.csv"))),
    o("subjects", Ty::Strings),
    o("subjectCodes", Ty::Strings),
    o("periods", Ty::Strings),
];

const CLASS_RESOURCES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    o("title", Ty::Text),
    r("classSourcedId", Ty::Ref(to("classes.csv"))),
    r("resourceSourcedId", Ty::Ref(to("resources.csv"))),
];

const COURSE_RESOURCES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    o("title", Ty::Text),
    r("courseSourcedId", Ty::Ref(to("courses.csv"))),
    r("resourceSourcedId", Ty::Ref(to("resources.csv"))),
];

const fn demographics(sex: Ty) -> [Col; 16] {
    [
        r("sourcedId", Ty::Ref(to("users.csv"))),
        STATUS_COL,
        MODIFIED,
        o("birthDate", Ty::Date),
        o("sex", sex),
        o("americanIndianOrAlaskaNative", Ty::Enum(BOOL, false)),
        o("asian", Ty::Enum(BOOL, false)),
        o("blackOrAfricanAmerican", Ty::Enum(BOOL, false)),
        o(
            "nativeHawaiianOrOtherPacificIslander",
            Ty::Enum(BOOL, false),
        ),
        o("white", Ty::Enum(BOOL, false)),
        o("demographicRaceTwoOrMoreRaces", Ty::Enum(BOOL, false)),
        o("hispanicOrLatinoEthnicity", Ty::Enum(BOOL, false)),
        o("countryOfBirthCode", Ty::Text),
        o("stateOfBirthAbbreviation", Ty::Text),
        o("cityOfBirth", Ty::Text),
        o("publicSchoolResidenceStatus", Ty::Text),
    ]
}

const DEMOGRAPHICS_1P1: &[Col] = &demographics(Ty::Enum(SEX_1P1, false));
const DEMOGRAPHICS_1P2: &[Col] = &demographics(Ty::Enum(SEX_1P2, true));

const fn enrollments(role: Ty) -> [Col; 10] {
    [
        ID,
        STATUS_COL,
        MODIFIED,
        r("classSourcedId", Ty::Ref(to("classes.csv"))),
        r("schoolSourcedId", Ty::Ref(SCHOOL)),
        r("userSourcedId", Ty::Ref(to("users.csv"))),
        r("role", role),
        o("primary", Ty::Bool),
        o("beginDate", Ty::Date),
        o("endDate", Ty::Date),
    ]
}

const ENROLLMENTS_1P1: &[Col] = &enrollments(Ty::Enum(ROLE_1P1, false));
const ENROLLMENTS_1P2: &[Col] = &enrollments(Ty::Enum(ENROLL_ROLE_1P2, true));

const fn resources(roles: Ty) -> [Col; 9] {
    [
        ID,
        STATUS_COL,
        MODIFIED,
        r("vendorResourceId", Ty::Text),
        o("title", Ty::Text),
        o("roles", roles),
        o("importance", Ty::Enum(ROLE_TYPE, false)),
        o("vendorId", Ty::Text),
        o("applicationId", Ty::Text),
    ]
}

const RESOURCES_1P1: &[Col] = &resources(Ty::EnumList(ROLE_1P1, false));
const RESOURCES_1P2: &[Col] = &resources(Ty::EnumList(ROLE_1P1, true));

const CATEGORIES_1P1: &[Col] = &[ID, STATUS_COL, MODIFIED, r("title", Ty::Text)];
const CATEGORIES_1P2: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("title", Ty::Text),
    o("weight", Ty::Int),
];

const LINE_ITEMS_1P1: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("title", Ty::Text),
    o("description", Ty::Text),
    r("assignDate", Ty::Date),
    r("dueDate", Ty::Date),
    r("classSourcedId", Ty::Ref(to("classes.csv"))),
    r("categorySourcedId", Ty::Ref(to("categories.csv"))),
    r(
        "gradingPeriodSourcedId",
        Ty::Ref(to("academicSessions.csv")),
    ),
    r("resultValueMin", Ty::Float),
    r("resultValueMax", Ty::Float),
];

const LINE_ITEMS_1P2: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("title", Ty::Text),
    o("description", Ty::Text),
    r("assignDate", Ty::Date),
    r("dueDate", Ty::Date),
    r("classSourcedId", Ty::Ref(to("classes.csv"))),
    r("categorySourcedId", Ty::Ref(to("categories.csv"))),
    r(
        "academicSessionSourcedId",
        Ty::Ref(to("academicSessions.csv")),
    ),
    o("resultValueMin", Ty::Float),
    o("resultValueMax", Ty::Float),
    r("schoolSourcedId", Ty::Ref(to("orgs.csv"))),
];

const RESULTS_1P1: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("lineItemSourcedId", Ty::Ref(to("lineItems.csv"))),
    r("studentSourcedId", Ty::Ref(to("users.csv"))),
    r("scoreStatus", Ty::Enum(SCORE_STATUS, false)),
    r("score", Ty::Float),
    r("scoreDate", Ty::Date),
    o("comment", Ty::Text),
];

const RESULTS_1P2: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("lineItemSourcedId", Ty::Ref(to("lineItems.csv"))),
    r("studentSourcedId", Ty::Ref(to("users.csv"))),
    r("scoreStatus", Ty::Enum(SCORE_STATUS, true)),
    o("score", Ty::Float),
    r("scoreDate", Ty::Date),
    o("comment", Ty::Text),
    o("textScore", Ty::Text),
    o("classSourcedId", Ty::Ref(to("classes.csv"))),
    o("inProgress", Ty::Bool),
    o("incomplete", Ty::Bool),
    o("late", Ty::Bool),
    o("missing", Ty::Bool),
];

const USERS_1P1: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("enabledUser", Ty::Bool),
    r("orgSourcedIds", Ty::RefList(to("orgs.csv"))),
    r("role", Ty::Enum(ROLE_1P1, false)),
    r("username", Ty::Text),
    o("userIds", Ty::UserIds),
    r("givenName", Ty::Text),
    r("familyName", Ty::Text),
    o("middleName", Ty::Text),
    o("identifier", Ty::Text),
    o("email", Ty::Text),
    o("sms", Ty::Text),
    o("phone", Ty::Text),
    o("agentSourcedIds", Ty::RefList(to("users.csv"))),
    o("grades", Ty::Strings),
    o("password", Ty::Text),
];

const USERS_1P2: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("enabledUser", Ty::Bool),
    r("username", Ty::Text),
    o("userIds", Ty::UserIds),
    r("givenName", Ty::Text),
    r("familyName", Ty::Text),
    o("middleName", Ty::Text),
    o("identifier", Ty::Text),
    o("email", Ty::Text),
    o("sms", Ty::Text),
    o("phone", Ty::Text),
    o("agentSourcedIds", Ty::RefList(to("users.csv"))),
    o("grades", Ty::Strings),
    o("password", Ty::Text),
    o("userMasterIdentifier", Ty::Text),
    o("preferredGivenName", Ty::Text),
    o("preferredMiddleName", Ty::Text),
    o("preferredFamilyName", Ty::Text),
    o("primaryOrgSourcedId", Ty::Ref(to("orgs.csv"))),
    o("pronouns", Ty::Text),
];

const ROLES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("userSourcedId", Ty::Ref(to("users.csv"))),
    r("roleType", Ty::Enum(ROLE_TYPE, false)),
    r("role", Ty::Enum(ROLE_1P2, true)),
    o("beginDate", Ty::Date),
    o("endDate", Ty::Date),
    r("orgSourcedId", Ty::Ref(to("orgs.csv"))),
    o("userProfileSourcedId", Ty::Ref(to("userProfiles.csv"))),
];

const USER_PROFILES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("userSourcedId", Ty::Ref(to("users.csv"))),
    r("profileType", Ty::Text),
    r("vendorId", Ty::Text),
    o("applicationId", Ty::Text),
    o("description", Ty::Text),
    r("credentialType", Ty::Text),
    r("username", Ty::Text),
    o("password", Ty::Text),
];

const SCORE_SCALES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("title", Ty::Text),
    r("type", Ty::Text),
    r("orgSourcedId", Ty::Ref(to("orgs.csv"))),
    r("courseSourcedId", Ty::Ref(to("courses.csv"))),
    r("classSourcedId", Ty::Ref(to("classes.csv"))),
    r("scoreScaleValue", Ty::Pairs),
];

const LINE_ITEM_LOS: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("lineItemSourcedId", Ty::Ref(to("lineItems.csv"))),
    r("source", Ty::Enum(LO_SOURCE, false)),
    r("learningObjectiveId", Ty::Text),
];

const LINE_ITEM_SCORE_SCALES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    o("title", Ty::Text),
    r("lineItemSourcedId", Ty::Ref(to("lineItems.csv"))),
    r("scoreScaleSourcedId", Ty::Ref(to("scoreScales.csv"))),
];

const RESULT_LOS: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("resultSourcedId", Ty::Ref(to("results.csv"))),
    r("source", Ty::Enum(LO_SOURCE, false)),
    r("learningObjectiveId", Ty::Text),
    o("score", Ty::Float),
    o("textScore", Ty::Text),
];

const RESULT_SCORE_SCALES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    o("title", Ty::Text),
    r("resultSourcedId", Ty::Ref(to("results.csv"))),
    r("scoreScaleSourcedId", Ty::Ref(to("scoreScales.csv"))),
];

const USER_RESOURCES: &[Col] = &[
    ID,
    STATUS_COL,
    MODIFIED,
    r("userSourcedId", Ty::Ref(to("users.csv"))),
    o("orgSourcedId", Ty::Ref(to("orgs.csv"))),
    o("classSourcedId", Ty::Ref(to("classes.csv"))),
    r("resourceSourcedId", Ty::Ref(to("resources.csv"))),
];

/// The columns of `file` in `version`, if the version defines the file.
pub fn columns(version: Version, file: &str) -> Option<&'static [Col]> {
    let shared = match file {
        "academicSessions.csv" => Some(ACADEMIC_SESSIONS),
        "orgs.csv" => Some(ORGS),
        "courses.csv" => Some(COURSES),
        "classes.csv" => Some(CLASSES),
        "classResources.csv" => Some(CLASS_RESOURCES),
        "courseResources.csv" => Some(COURSE_RESOURCES),
        _ => None,
    };
    if shared.is_some() {
        return shared;
    }
    match (version, file) {
        (Version::V1p1, "demographics.csv") => Some(DEMOGRAPHICS_1P1),
        (Version::V1p2, "demographics.csv") => Some(DEMOGRAPHICS_1P2),
        (Version::V1p1, "enrollments.csv") => Some(ENROLLMENTS_1P1),
        (Version::V1p2, "enrollments.csv") => Some(ENROLLMENTS_1P2),
        (Version::V1p1, "resources.csv") => Some(RESOURCES_1P1),
        (Version::V1p2, "resources.csv") => Some(RESOURCES_1P2),
        (Version::V1p1, "categories.csv") => Some(CATEGORIES_1P1),
        (Version::V1p2, "categories.csv") => Some(CATEGORIES_1P2),
        (Version::V1p1, "lineItems.csv") => Some(LINE_ITEMS_1P1),
        (Version::V1p2, "lineItems.csv") => Some(LINE_ITEMS_1P2),
        (Version::V1p1, "results.csv") => Some(RESULTS_1P1),
        (Version::V1p2, "results.csv") => Some(RESULTS_1P2),
        (Version::V1p1, "users.csv") => Some(USERS_1P1),
        (Version::V1p2, "users.csv") => Some(USERS_1P2),
        (Version::V1p2, "roles.csv") => Some(ROLES),
        (Version::V1p2, "userProfiles.csv") => Some(USER_PROFILES),
        (Version::V1p2, "scoreScales.csv") => Some(SCORE_SCALES),
        (Version::V1p2, "lineItemLearningObjectiveIds.csv") => Some(LINE_ITEM_LOS),
        (Version::V1p2, "lineItemScoreScales.csv") => Some(LINE_ITEM_SCORE_SCALES),
        (Version::V1p2, "resultLearningObjectiveIds.csv") => Some(RESULT_LOS),
        (Version::V1p2, "resultScoreScales.csv") => Some(RESULT_SCORE_SCALES),
        (Version::V1p2, "userResources.csv") => Some(USER_RESOURCES),
        _ => None,
    }
}

/// The order files are validated in: every file after the files it refers
/// to (self-references and `roles` → `userProfiles` aside, which are checked
/// once the file is read), so references resolve in one pass per file.
pub const DEPENDENCY_ORDER: &[&str] = &[
    "orgs.csv",
    "academicSessions.csv",
    "courses.csv",
    "classes.csv",
    "users.csv",
    "userProfiles.csv",
    "roles.csv",
    "demographics.csv",
    "enrollments.csv",
    "categories.csv",
    "scoreScales.csv",
    "lineItems.csv",
    "results.csv",
    "lineItemLearningObjectiveIds.csv",
    "lineItemScoreScales.csv",
    "resultLearningObjectiveIds.csv",
    "resultScoreScales.csv",
    "resources.csv",
    "classResources.csv",
    "courseResources.csv",
    "userResources.csv",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_columns_named_exactly_as_its_header() {
        for v in [Version::V1p1, Version::V1p2] {
            for (file, header) in v.files() {
                let cols = columns(v, file).unwrap_or_default();
                let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
                assert_eq!(&names[..], *header, "{} {file}", v.label());
            }
        }
    }

    #[test]
    fn the_dependency_order_covers_every_file_and_refers_backwards() {
        for v in [Version::V1p1, Version::V1p2] {
            for (file, _) in v.files() {
                let Some(pos) = DEPENDENCY_ORDER.iter().position(|f| f == file) else {
                    panic!("{file} missing from DEPENDENCY_ORDER");
                };
                for c in columns(v, file).unwrap_or_default() {
                    if let Ty::Ref(t) | Ty::RefList(t) = c.ty {
                        let tpos = DEPENDENCY_ORDER.iter().position(|f| *f == t.file);
                        let ok = tpos.is_some_and(|p| p <= pos)
                            || (*file == "roles.csv" && t.file == "userProfiles.csv");
                        assert!(ok, "{file}.{} refers forward to {}", c.name, t.file);
                    }
                }
            }
        }
    }
}
