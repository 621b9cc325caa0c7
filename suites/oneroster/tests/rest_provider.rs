//! The oneroster-provider suite against the reference SIS (mock-platform's
//! `oneroster` module over SQLite): a conformant SIS passes every case, and each
//! injected fault fails exactly the cases aimed at it.

mod common;

use accredit_core::runner::RunRecord;
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::oneroster::Fault;
use accredit_suite_oneroster::rest::v1p1::{FaultExt, V1P1_PREFIX};
use accredit_suite_oneroster::{OneRosterProviderSuite, start_reference_sis};
use common::schemas;
use rstest::rstest;

async fn run_suite(profile: &str, schema_dir: Option<&std::path::Path>) -> RunRecord {
    common::run_provider(profile, schema_dir, common::all).await
}

fn non_passing(record: &RunRecord) -> Vec<(String, Outcome)> {
    common::non_passing(record, common::all)
        .into_iter()
        // A 1.2 profile skips the OneRoster 1.1 cases (tests/rest_v1p1.rs runs them).
        .filter(|(id, o)| !(id.starts_with(V1P1_PREFIX) && *o == Outcome::Skip))
        .collect()
}

fn dump(record: &RunRecord) -> String {
    common::dump(record, common::all)
}

async fn run_against(faults: Vec<Fault>) -> RunRecord {
    run_with(faults, "").await
}

/// [`run_against`] with `extra` appended to the provider table of the profile.
async fn run_with(faults: Vec<Fault>, extra: &str) -> RunRecord {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), faults)
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let schema_dir = schemas();
    let profile = format!("{}\n{extra}\n", sis.profile);
    let record = run_suite(&profile, Some(&schema_dir)).await;
    sis.sis.shutdown().await;
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        !text.contains(&sis.client_secret),
        "the client secret leaked into evidence"
    );
    // The token exchanges are in the evidence, and the reference SIS's access
    // tokens (64 lowercase hex digits) are not.
    assert!(text.contains("access_token"), "no token exchange recorded");
    let hex_run = text
        .as_bytes()
        .split(|b| !b.is_ascii_hexdigit())
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    assert!(hex_run < 64, "an access token leaked into evidence");
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_sis_passes_every_case() {
    let record = run_against(vec![]).await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(record.results.len(), OneRosterProviderSuite.catalog().len());
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));
}

/// With fewer records walked than `/enrollments` holds (a bound of 1,000
/// against 5,200), `X-Total-Count` of enrollments is judged by offset probes
/// at its edge, and still caught when it is the page size.
#[rstest]
#[case::reference(None)]
#[case::total_count_is_page_size(Some(Fault::TotalCountIsPageSize))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_beyond_the_walk_bound_is_judged_at_its_edge(#[case] fault: Option<Fault>) {
    let record = run_with(fault.into_iter().collect(), "max_walk_records = 1000").await;
    let total = record
        .results
        .iter()
        .find(|c| c.id == "oneroster.rest.paging.total-count")
        .unwrap_or_else(|| panic!("no total-count result"));
    let want = if fault.is_some() {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    assert_eq!(total.outcome, want, "{}", dump(&record));
    let checks: Vec<&str> = total.checks.iter().map(|k| k.name.as_str()).collect();
    assert!(
        checks
            .iter()
            .any(|n| n.starts_with("/enrollments: X-Total-Count") && n.contains("none at")),
        "{checks:?}"
    );
}

/// What each fault must break, and nothing else.
fn expected(fault: Fault) -> Vec<(&'static str, Outcome)> {
    use Outcome::{Fail, Warn};
    match fault {
        Fault::TotalCountIsPageSize => vec![
            ("oneroster.rest.paging.total-count", Fail),
            ("oneroster.provider.relations.paging", Fail),
        ],
        // The count is judged against a walk of the pages, which now repeats records.
        Fault::OverlappingPages => vec![
            ("oneroster.rest.paging.total-count", Fail),
            ("oneroster.rest.paging.walk", Fail),
            ("oneroster.provider.relations.paging", Fail),
        ],
        Fault::FilterIgnoresAnd => vec![("oneroster.rest.filter.logical", Fail)],
        Fault::WrongErrorShape => vec![
            ("oneroster.rest.read.unknown-id", Fail),
            ("oneroster.rest.filter.unknown-field", Fail),
            ("oneroster.rest.fields.blank", Fail),
            ("oneroster.provider.relations.unknown-parent", Fail),
        ],
        Fault::AcceptsBadToken => vec![("oneroster.rest.auth.bad-token", Fail)],
        // `/schools` is then seen to list orgs that are not of type `school`.
        Fault::EnumWrongCase => vec![
            ("oneroster.rest.read.collections", Fail),
            ("oneroster.rest.model.enumerations", Fail),
            ("oneroster.rest.model.schema", Fail),
        ],
        Fault::MissingLinkHeader => vec![("oneroster.rest.paging.link", Warn)],
        Fault::IgnoresScopes => vec![
            ("oneroster.rest.auth.scope", Fail),
            ("oneroster.provider.relations.auth.scope", Fail),
            ("oneroster.provider.demographics.auth.scope", Fail),
        ],
        Fault::UnknownFilterFieldIgnored => vec![("oneroster.rest.filter.unknown-field", Fail)],
        Fault::FieldsIgnored => vec![("oneroster.rest.fields.selection", Fail)],
        Fault::SortIgnored => vec![("oneroster.rest.sort", Fail)],
        Fault::DateWithoutTime => vec![
            ("oneroster.rest.model.formats", Fail),
            ("oneroster.rest.model.schema", Fail),
            ("oneroster.provider.relations.model.schema", Fail),
            ("oneroster.provider.demographics.model", Fail),
        ],
        Fault::BooleansAsJson => vec![
            ("oneroster.rest.model.enumerations", Fail),
            ("oneroster.rest.model.schema", Fail),
            ("oneroster.provider.relations.model.schema", Fail),
            ("oneroster.provider.demographics.model", Fail),
        ],
        Fault::ClassStudentsIncludeTeachers => {
            vec![("oneroster.rest.cross.class-students", Fail)]
        }
        Fault::SchoolClassesUnfiltered => vec![("oneroster.rest.cross.school-classes", Fail)],
        // The relation faults: their matrix is in tests/rest_relations.rs.
        Fault::SchoolStudentsIncludeTeachers => {
            vec![("oneroster.provider.relations.school-users", Fail)]
        }
        Fault::TermClassesUnfiltered => vec![("oneroster.provider.relations.term-classes", Fail)],
        Fault::UserClassesIgnoresEnrollment => {
            vec![("oneroster.provider.relations.user-classes", Fail)]
        }
        Fault::DemographicsUnscoped => {
            vec![("oneroster.provider.demographics.auth.scope", Fail)]
        }
        Fault::RelationUnknownParentEmpty => {
            vec![("oneroster.provider.relations.unknown-parent", Fail)]
        }
        Fault::RelationsIgnoreParent => vec![
            ("oneroster.provider.relations.course-classes", Fail),
            ("oneroster.provider.relations.school-courses", Fail),
            ("oneroster.provider.relations.school-enrollments", Fail),
            ("oneroster.provider.relations.school-terms", Fail),
            ("oneroster.provider.relations.school-class-members", Fail),
            ("oneroster.provider.relations.term-grading-periods", Fail),
        ],
        Fault::GradingPeriodsUnfiltered => vec![("oneroster.provider.sessions.read", Fail)],
        // The filter operators, on rostering and gradebook collections alike.
        Fault::FilterContainsAsEquals | Fault::FilterNotEqualsIgnored => vec![
            ("oneroster.rest.filter.operators", Fail),
            ("oneroster.provider.gradebook.query.filter", Fail),
        ],
        Fault::AcceptsMissingToken => vec![("oneroster.rest.auth.no-token", Fail)],
        // The schema case validates single objects against SingleEnrollmentDType too.
        Fault::EnrollmentWithoutEnvelope => vec![
            ("oneroster.rest.read.single", Fail),
            ("oneroster.rest.model.schema", Fail),
        ],
        Fault::TermGradingPeriodsMissing => vec![
            ("oneroster.provider.relations.auth.scope", Fail),
            ("oneroster.provider.relations.model.schema", Fail),
            ("oneroster.provider.relations.read", Fail),
            ("oneroster.provider.relations.term-grading-periods", Fail),
        ],
        Fault::DemographicsWrongEnvelope => vec![
            ("oneroster.provider.demographics.read", Fail),
            ("oneroster.provider.relations.model.schema", Fail),
        ],
        // The 1.1 surface's faults: their matrix is in tests/rest_v1p1.rs.
        Fault::Oauth1SignatureUnchecked
        | Fault::Oauth1NonceReplayAccepted
        | Fault::Oauth1TimestampUnchecked
        | Fault::Oauth1Sha256Unsupported
        | Fault::V1p1ErrorShapeWrong
        | Fault::V1p1EnvelopeWrong
        | Fault::V1p1Uses1p2UserFields => vec![],
        // The 1.1 gradebook's faults: their matrix is in tests/rest_v1p1_gradebook.rs.
        Fault::V1p1GradebookUnsignedAccepted
        | Fault::V1p1GradebookPutNotStored
        | Fault::V1p1GradebookDeleteIgnored
        | Fault::V1p1GradebookScoreStatusCamelCase
        | Fault::V1p1GradebookLineItemNoClass
        | Fault::V1p1GradebookClassResultsUnscoped
        | Fault::V1p1GradebookErrorShapeWrong
        | Fault::V1p1GradebookHrefsAt1p2Base
        | Fault::V1p1GradebookStudentResultsMissing => vec![],
    }
}

#[rstest]
#[case::total_count_is_page_size(Fault::TotalCountIsPageSize)]
#[case::overlapping_pages(Fault::OverlappingPages)]
#[case::filter_ignores_and(Fault::FilterIgnoresAnd)]
#[case::filter_contains_as_equals(Fault::FilterContainsAsEquals)]
#[case::filter_not_equals_ignored(Fault::FilterNotEqualsIgnored)]
#[case::accepts_missing_token(Fault::AcceptsMissingToken)]
#[case::enrollment_without_envelope(Fault::EnrollmentWithoutEnvelope)]
#[case::wrong_error_shape(Fault::WrongErrorShape)]
#[case::accepts_bad_token(Fault::AcceptsBadToken)]
#[case::enum_wrong_case(Fault::EnumWrongCase)]
#[case::missing_link_header(Fault::MissingLinkHeader)]
#[case::ignores_scopes(Fault::IgnoresScopes)]
#[case::unknown_filter_field_ignored(Fault::UnknownFilterFieldIgnored)]
#[case::fields_ignored(Fault::FieldsIgnored)]
#[case::sort_ignored(Fault::SortIgnored)]
#[case::date_without_time(Fault::DateWithoutTime)]
#[case::booleans_as_json(Fault::BooleansAsJson)]
#[case::class_students_include_teachers(Fault::ClassStudentsIncludeTeachers)]
#[case::school_classes_unfiltered(Fault::SchoolClassesUnfiltered)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_cases(#[case] fault: Fault) {
    let record = run_against(vec![fault]).await;
    let mut want: Vec<(String, Outcome)> = expected(fault)
        .into_iter()
        .map(|(id, o)| (id.to_string(), o))
        .collect();
    let mut got = non_passing(&record);
    want.sort();
    got.sort();
    assert_eq!(got, want, "fault {fault:?}:\n{}", dump(&record));
}

#[test]
fn the_matrix_covers_every_fault() {
    for f in Fault::ALL.into_iter().filter(|f| !f.v1p1()) {
        assert!(
            !expected(f).is_empty(),
            "{f:?} must break at least one case"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_schema_directory_the_schema_case_skips() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), vec![])
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let record = run_suite(&sis.profile, None).await;
    sis.sis.shutdown().await;
    assert_eq!(
        non_passing(&record),
        // The gradebook, resources and relations schema cases skip too (their
        // own test files judge them), in id order.
        [
            "oneroster.provider.gradebook.model.schema",
            "oneroster.provider.relations.model.schema",
            "oneroster.provider.resources.model.schema",
            "oneroster.rest.model.schema",
        ]
        .map(|id| (id.to_string(), Outcome::Skip))
        .to_vec(),
        "{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_is_an_error_not_a_pass() {
    let dead = accredit_mock_platform::reserve_port().unwrap_or_else(|e| panic!("{e}"));
    let profile = accredit_suite_oneroster::provider_demo_profile(
        "dead",
        &format!("http://{dead}/ims/oneroster/rostering/v1p2"),
        &format!("http://{dead}/token"),
        "c",
        "file:/dev/null",
        &[
            accredit_suite_oneroster::rest::SCOPE_ROSTER_CORE.to_string(),
            accredit_suite_oneroster::rest::SCOPE_ROSTER.to_string(),
        ],
    );
    let record = run_suite(&profile, None).await;
    for r in &record.results {
        let allowed = if r.id == "oneroster.rest.model.schema" || r.id.starts_with(V1P1_PREFIX) {
            Outcome::Skip
        } else {
            Outcome::Error
        };
        assert_eq!(r.outcome, allowed, "{}: {}", r.id, r.message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_client_credentials_work_too() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), vec![])
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let profile = format!("{}token_auth = \"client_secret_post\"\n", sis.profile);
    let record = run_suite(&profile, Some(&schemas())).await;
    sis.sis.shutdown().await;
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        !text.contains(&sis.client_secret),
        "the client secret leaked"
    );
}
