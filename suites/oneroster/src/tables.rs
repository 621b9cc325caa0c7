//! The OneRoster CSV tables: which files each version defines and each file's
//! exact header (names, order, case).
//!
//! Why hand-kept Rust tables: 1EdTech publishes no machine-readable CSV binding;
//! these facts are transcribed from the 1.1 and 1.2 CSV tables (see
//! `../shared/reference/oneroster-csv-tables.md`), and a header check is only
//! as good as the exact spelling it compares against.

/// A OneRoster CSV version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// OneRoster 1.1.
    V1p1,
    /// OneRoster 1.2.
    V1p2,
}

impl Version {
    /// The `oneroster.version` manifest value.
    pub fn label(self) -> &'static str {
        match self {
            Version::V1p1 => "1.1",
            Version::V1p2 => "1.2",
        }
    }

    /// The version named by a manifest value.
    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "1.1" => Some(Version::V1p1),
            "1.2" => Some(Version::V1p2),
            _ => None,
        }
    }

    /// Every data file of this version with its header, in manifest order.
    pub fn files(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Version::V1p1 => V1P1_FILES,
            Version::V1p2 => V1P2_FILES,
        }
    }

    /// The header of `file` (e.g. `users.csv`), if this version defines it.
    pub fn header(self, file: &str) -> Option<&'static [&'static str]> {
        self.files()
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, h)| *h)
    }
}

/// The `manifest.version` value the binding defines.
pub const MANIFEST_VERSION: &str = "1.0";

/// Optional manifest properties besides `manifest.version`, `oneroster.version`
/// and the `file.*` rows.
pub const OPTIONAL_MANIFEST_PROPERTIES: [&str; 2] = ["source.systemName", "source.systemCode"];

/// The values of a `file.<name>` manifest row.
pub const FILE_MODES: [&str; 3] = ["absent", "bulk", "delta"];

/// The manifest's header row.
pub const MANIFEST_HEADER: [&str; 2] = ["propertyName", "value"];

const V1P1_FILES: &[(&str, &[&str])] = &[
    (
        "academicSessions.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "startDate",
            "endDate",
            "parentSourcedId",
            "schoolYear",
        ],
    ),
    (
        "categories.csv",
        &["sourcedId", "status", "dateLastModified", "title"],
    ),
    (
        "classes.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "grades",
            "courseSourcedId",
            "classCode",
            "classType",
            "location",
            "schoolSourcedId",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
            "periods",
        ],
    ),
    (
        "classResources.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "classSourcedId",
            "resourceSourcedId",
        ],
    ),
    (
        "courses.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "schoolYearSourcedId",
            "title",
            "courseCode",
            "grades",
            "orgSourcedId",
            "subjects",
            "subjectCodes",
        ],
    ),
    (
        "courseResources.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "courseSourcedId",
            "resourceSourcedId",
        ],
    ),
    (
        "demographics.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
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
        ],
    ),
    (
        "enrollments.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
            "endDate",
        ],
    ),
    (
        "lineItems.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "description",
            "assignDate",
            "dueDate",
            "classSourcedId",
            "categorySourcedId",
            "gradingPeriodSourcedId",
            "resultValueMin",
            "resultValueMax",
        ],
    ),
    (
        "orgs.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "name",
            "type",
            "identifier",
            "parentSourcedId",
        ],
    ),
    (
        "resources.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "vendorResourceId",
            "title",
            "roles",
            "importance",
            "vendorId",
            "applicationId",
        ],
    ),
    (
        "results.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItemSourcedId",
            "studentSourcedId",
            "scoreStatus",
            "score",
            "scoreDate",
            "comment",
        ],
    ),
    (
        "users.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "orgSourcedIds",
            "role",
            "username",
            "userIds",
            "givenName",
            "familyName",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
        ],
    ),
];

const V1P2_FILES: &[(&str, &[&str])] = &[
    (
        "academicSessions.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "startDate",
            "endDate",
            "parentSourcedId",
            "schoolYear",
        ],
    ),
    (
        "categories.csv",
        &["sourcedId", "status", "dateLastModified", "title", "weight"],
    ),
    (
        "classes.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "grades",
            "courseSourcedId",
            "classCode",
            "classType",
            "location",
            "schoolSourcedId",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
            "periods",
        ],
    ),
    (
        "classResources.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "classSourcedId",
            "resourceSourcedId",
        ],
    ),
    (
        "courseResources.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "courseSourcedId",
            "resourceSourcedId",
        ],
    ),
    (
        "courses.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "schoolYearSourcedId",
            "title",
            "courseCode",
            "grades",
            "orgSourcedId",
            "subjects",
            "subjectCodes",
        ],
    ),
    (
        "demographics.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
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
        ],
    ),
    (
        "enrollments.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
            "endDate",
        ],
    ),
    (
        "lineItemLearningObjectiveIds.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItemSourcedId",
            "source",
            "learningObjectiveId",
        ],
    ),
    (
        "lineItems.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "description",
            "assignDate",
            "dueDate",
            "classSourcedId",
            "categorySourcedId",
            "academicSessionSourcedId",
            "resultValueMin",
            "resultValueMax",
            "schoolSourcedId",
        ],
    ),
    (
        "lineItemScoreScales.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "lineItemSourcedId",
            "scoreScaleSourcedId",
        ],
    ),
    (
        "orgs.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "name",
            "type",
            "identifier",
            "parentSourcedId",
        ],
    ),
    (
        "resources.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "vendorResourceId",
            "title",
            "roles",
            "importance",
            "vendorId",
            "applicationId",
        ],
    ),
    (
        "resultLearningObjectiveIds.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "resultSourcedId",
            "source",
            "learningObjectiveId",
            "score",
            "textScore",
        ],
    ),
    (
        "results.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItemSourcedId",
            "studentSourcedId",
            "scoreStatus",
            "score",
            "scoreDate",
            "comment",
            "textScore",
            "classSourcedId",
            "inProgress",
            "incomplete",
            "late",
            "missing",
        ],
    ),
    (
        "resultScoreScales.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "resultSourcedId",
            "scoreScaleSourcedId",
        ],
    ),
    (
        "roles.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "roleType",
            "role",
            "beginDate",
            "endDate",
            "orgSourcedId",
            "userProfileSourcedId",
        ],
    ),
    (
        "scoreScales.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "orgSourcedId",
            "courseSourcedId",
            "classSourcedId",
            "scoreScaleValue",
        ],
    ),
    (
        "userProfiles.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "profileType",
            "vendorId",
            "applicationId",
            "description",
            "credentialType",
            "username",
            "password",
        ],
    ),
    (
        "userResources.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "orgSourcedId",
            "classSourcedId",
            "resourceSourcedId",
        ],
    ),
    (
        "users.csv",
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "username",
            "userIds",
            "givenName",
            "familyName",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
            "userMasterIdentifier",
            "preferredGivenName",
            "preferredMiddleName",
            "preferredFamilyName",
            "primaryOrgSourcedId",
            "pronouns",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_counts_match_the_binding() {
        assert_eq!(Version::V1p1.files().len(), 13);
        assert_eq!(Version::V1p2.files().len(), 21);
    }

    #[test]
    fn every_header_starts_with_the_common_columns() {
        for v in [Version::V1p1, Version::V1p2] {
            for (f, h) in v.files() {
                assert_eq!(&h[..3], &["sourcedId", "status", "dateLastModified"], "{f}");
            }
        }
    }
}
