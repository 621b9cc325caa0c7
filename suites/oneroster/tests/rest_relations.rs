//! The rostering relation, term/grading-period and demographics cases
//! (`oneroster.provider.relations.*`, `.sessions.*`, `.demographics.*`)
//! against the reference SIS: a conformant SIS passes them all, each
//! relation/demographics fault fails exactly the cases aimed at it, and the
//! scope-dependent cases skip (not pass) when the profile lacks the scope.
//!
//! Only this module's cases are run (the rest of the catalog is
//! tests/rest_provider.rs's), so the matrix stays fast.

mod common;

use accredit_core::runner::RunRecord;
use accredit_core::{Outcome, Suite};
use accredit_mock_platform::oneroster::Fault;
use accredit_suite_oneroster::rest::{SCOPE_DEMOGRAPHICS, SCOPE_ROSTER, SCOPE_ROSTER_CORE};
use accredit_suite_oneroster::{OneRosterProviderSuite, start_reference_sis};
use common::schemas;
use rstest::rstest;

fn ours(id: &str) -> bool {
    ["relations.", "sessions.", "demographics."]
        .iter()
        .any(|p| id.starts_with(&format!("oneroster.provider.{p}")))
}

async fn run_suite(profile: &str, schema_dir: Option<&std::path::Path>) -> RunRecord {
    common::run_provider(profile, schema_dir, ours).await
}

fn non_passing(record: &RunRecord) -> Vec<(String, Outcome)> {
    common::non_passing(record, ours)
}

fn dump(record: &RunRecord) -> String {
    common::dump(record, ours)
}

/// Runs this module's cases against a reference SIS with `faults`, with the
/// profile's scopes replaced by `scopes` when given.
async fn run_against(faults: Vec<Fault>, scopes: Option<&[&str]>) -> RunRecord {
    run_with(faults, scopes, "").await
}

/// [`run_against`] with `extra` appended to the provider table of the profile.
async fn run_with(faults: Vec<Fault>, scopes: Option<&[&str]>, extra: &str) -> RunRecord {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sis = start_reference_sis(dir.path(), faults)
        .await
        .unwrap_or_else(|e| panic!("start SIS: {e}"));
    let profile = match scopes {
        None => sis.profile.clone(),
        Some(s) => {
            let list: Vec<String> = s.iter().map(|x| format!("{x:?}")).collect();
            sis.profile
                .lines()
                .map(|l| {
                    if l.starts_with("scopes = ") {
                        format!("scopes = [{}]", list.join(", "))
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    let profile = format!("{profile}\n{extra}\n");
    let record = run_suite(&profile, Some(&schemas())).await;
    sis.sis.shutdown().await;
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        !text.contains(&sis.client_secret),
        "the client secret leaked into evidence"
    );
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_sis_passes_every_relation_case() {
    let record = run_against(vec![], None).await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(
        record.results.len(),
        OneRosterProviderSuite
            .catalog()
            .iter()
            .filter(|m| ours(m.id))
            .count()
    );
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));
}

/// A district with more enrollments than a walk reads (here: a bound of 5,100
/// records against 5,200 enrollments, of which the larger school has 5,000)
/// is still judged, not skipped: the cases
/// that need a class's, a school's or a user's enrollments read them with a
/// nested filter, and the relation faults are still caught that way.
#[rstest]
#[case::reference(None, &[])]
#[case::class_members_unfiltered(
    Some(Fault::RelationsIgnoreParent),
    &[
        "oneroster.provider.relations.course-classes",
        "oneroster.provider.relations.school-class-members",
        "oneroster.provider.relations.school-courses",
        "oneroster.provider.relations.school-enrollments",
        "oneroster.provider.relations.school-terms",
        "oneroster.provider.relations.term-grading-periods",
    ]
)]
#[case::user_classes_ignores_enrollment(
    Some(Fault::UserClassesIgnoresEnrollment),
    &["oneroster.provider.relations.user-classes"]
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollments_beyond_the_walk_bound_are_judged_by_nested_filters(
    #[case] fault: Option<Fault>,
    #[case] failing: &[&str],
) {
    let record = run_with(fault.into_iter().collect(), None, "max_walk_records = 5100").await;
    let mut want: Vec<(String, Outcome)> = failing
        .iter()
        .map(|id| ((*id).to_string(), Outcome::Fail))
        .collect();
    want.sort();
    assert_eq!(non_passing(&record), want, "{}", dump(&record));
    let logs = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        logs.contains("the expected values come from filter=class.sourcedId="),
        "the nested-filter path was not taken"
    );
}

#[rstest]
#[case::school_students_include_teachers(
    Fault::SchoolStudentsIncludeTeachers,
    &["oneroster.provider.relations.school-users"]
)]
#[case::term_classes_unfiltered(
    Fault::TermClassesUnfiltered,
    &["oneroster.provider.relations.term-classes"]
)]
#[case::user_classes_ignores_enrollment(
    Fault::UserClassesIgnoresEnrollment,
    &["oneroster.provider.relations.user-classes"]
)]
#[case::demographics_unscoped(
    Fault::DemographicsUnscoped,
    &["oneroster.provider.demographics.auth.scope"]
)]
#[case::relation_unknown_parent_empty(
    Fault::RelationUnknownParentEmpty,
    &["oneroster.provider.relations.unknown-parent"]
)]
#[case::relations_ignore_parent(
    Fault::RelationsIgnoreParent,
    &[
        "oneroster.provider.relations.course-classes",
        "oneroster.provider.relations.school-class-members",
        "oneroster.provider.relations.school-courses",
        "oneroster.provider.relations.school-enrollments",
        "oneroster.provider.relations.school-terms",
        "oneroster.provider.relations.term-grading-periods",
    ]
)]
#[case::grading_periods_unfiltered(
    Fault::GradingPeriodsUnfiltered,
    &["oneroster.provider.sessions.read"]
)]
#[case::demographics_wrong_envelope(
    Fault::DemographicsWrongEnvelope,
    &["oneroster.provider.demographics.read", "oneroster.provider.relations.model.schema"]
)]
// A missing endpoint also fails the cases that ask every relation (its 404 is
// neither the schema's collection nor the 403 a narrower scope should get).
#[case::term_grading_periods_missing(
    Fault::TermGradingPeriodsMissing,
    &[
        "oneroster.provider.relations.auth.scope",
        "oneroster.provider.relations.model.schema",
        "oneroster.provider.relations.read",
        "oneroster.provider.relations.term-grading-periods",
    ]
)]
// Rostering faults that reach these cases too (their whole matrix is in rest_provider.rs).
#[case::total_count_is_page_size(
    Fault::TotalCountIsPageSize,
    &["oneroster.provider.relations.paging"]
)]
#[case::wrong_error_shape(
    Fault::WrongErrorShape,
    &["oneroster.provider.relations.unknown-parent"]
)]
#[case::ignores_scopes(
    Fault::IgnoresScopes,
    &["oneroster.provider.demographics.auth.scope", "oneroster.provider.relations.auth.scope"]
)]
#[case::booleans_as_json(
    Fault::BooleansAsJson,
    &["oneroster.provider.demographics.model", "oneroster.provider.relations.model.schema"]
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_relation_cases(#[case] fault: Fault, #[case] cases: &[&str]) {
    let record = run_against(vec![fault], None).await;
    let mut want: Vec<(String, Outcome)> = cases
        .iter()
        .map(|id| ((*id).to_string(), Outcome::Fail))
        .collect();
    want.sort();
    assert_eq!(
        non_passing(&record),
        want,
        "fault {fault:?}:\n{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_demographics_scope_the_demographics_reads_skip() {
    let record = run_against(vec![], Some(&[SCOPE_ROSTER_CORE, SCOPE_ROSTER])).await;
    // The scope case still judges the rostering tokens (and passes); the
    // schema case judges the relation bodies and skips only the demographics.
    assert_eq!(
        non_passing(&record),
        vec![
            (
                "oneroster.provider.demographics.model".to_string(),
                Outcome::Skip
            ),
            (
                "oneroster.provider.demographics.read".to_string(),
                Outcome::Skip
            ),
        ],
        "{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_roster_core_the_relation_scope_case_skips() {
    let record = run_against(vec![], Some(&[SCOPE_ROSTER, SCOPE_DEMOGRAPHICS])).await;
    assert_eq!(
        non_passing(&record),
        vec![(
            "oneroster.provider.relations.auth.scope".to_string(),
            Outcome::Skip
        )],
        "{}",
        dump(&record)
    );
}
