//! The official IMS Caliper examples (read from `../shared`, never copied):
//! every valid 1.1 and 1.2 example validates with no `fail` finding, and every
//! official negative fixture (`v1p2/commonErrorFixtures`) is rejected by the rule
//! its name describes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use accredit_core::Outcome;
use accredit_suite_caliper::{Contexts, Validation, validate_inputs};
use rstest::rstest;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

fn contexts() -> Contexts {
    let dir = Path::new(SHARED).join("schemas");
    match Contexts::load(&dir) {
        Ok(c) => c,
        Err(e) => panic!("official contexts not loadable from {}: {e}", dir.display()),
    }
}

fn fixtures(version: &str) -> PathBuf {
    Path::new(SHARED).join("fixtures/caliper").join(version)
}

/// Official files that are not sensor data (event, entity or envelope), skipped:
/// - `caliperEndpointConfigPayload.json`: the 1.2 *endpoint configuration*
///   document (`caliper_supported_versions`...), answered by an endpoint to GET,
///   not something a sensor sends;
/// - `caliperIdentifierSystemIdentifier.json`: a `SystemIdentifier` *value*
///   fragment (it lives inside an entity's `otherIdentifiers`; by design it has
///   neither `@context` nor `id`).
const NOT_SENSOR_DATA: [&str; 2] = [
    "caliperEndpointConfigPayload.json",
    "caliperIdentifierSystemIdentifier.json",
];

fn valid_examples(version: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures(version))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !NOT_SENSOR_DATA.contains(&name)
        })
        .collect();
    files.sort();
    files
}

fn validate(files: &[PathBuf], ctx: Option<&Contexts>) -> Validation {
    match validate_inputs(files, ctx) {
        Ok(v) => v,
        Err(e) => panic!("inputs unusable: {e}"),
    }
}

fn failures(v: &Validation) -> Vec<String> {
    v.failures()
        .map(|f| format!("{} {} [{}] {}", f.document, f.location, f.rule, f.message))
        .collect()
}

#[rstest]
#[case::v1p1("v1p1", 120)]
#[case::v1p2("v1p2", 140)]
fn official_valid_examples_have_no_failure(#[case] version: &str, #[case] at_least: usize) {
    let files = valid_examples(version);
    assert!(
        files.len() >= at_least,
        "expected >= {at_least} examples, found {}",
        files.len()
    );
    let ctx = contexts();
    for with_contexts in [Some(&ctx), None] {
        let v = validate(&files, with_contexts);
        assert_eq!(failures(&v), Vec::<String>::new());
    }
}

#[test]
fn the_mixed_spelling_example_warns_but_passes() {
    let file = fixtures("v1p2").join("caliperEnvelopeTermAction.json");
    let v = validate(&[file], Some(&contexts()));
    assert!(failures(&v).is_empty());
    assert!(
        v.findings
            .iter()
            .any(|f| f.rule == "caliper.event.action-allowed"
                && f.outcome == Outcome::Warn
                && f.message.contains("MarkedAsUnread"))
    );
}

fn error_fixture(name: &str) -> PathBuf {
    fixtures("v1p2").join("commonErrorFixtures").join(name)
}

/// `file` → the rule that must reject it (`None`: deliberately accepted, see below).
///
/// Deliberately accepted (the fixture asks for more than the specification says):
/// - `...MaxMetricValueNotAnInt`: `25` for an `xsd:decimal`; JSON has one number
///   type and JavaScript serializes `25.0` as `25`, so rejecting it would fail
///   correct sensors;
/// - `ToolLaunch-...GeneratedWrongEntityType` / `...TargetWrongEntityType`: the
///   1.2 text available gives ToolLaunchEvent no narrower range than Entity for
///   `generated` and `target`, so a Person there is not provably wrong.
///
/// Two fixtures are not JSON at all and are rejected as such:
/// `caliperEntity-BadJson.json` (on purpose) and
/// `caliperEntitySurvey-MalformedItemsContainsWrongEntityType.json` (a syntax
/// error in the official file, which hides the defect its name announces).
#[rstest]
#[case("caliperEntity-BadJson.json", Some("caliper.document.well-formed"))]
#[case(
    "caliperEntity-MalformedCreationDate.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntity-MalformedExtensionsNotAString.json",
    Some("caliper.extensions.object")
)]
#[case(
    "caliperEntity-MalformedExtensionsNotAnIRI.json",
    Some("caliper.extensions.object")
)]
#[case(
    "caliperEntity-MalformedModifiedDate.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntity-MalformedNameNotANumber.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntity-MalformedOtherIdentifiersNotAString.json",
    Some("caliper.term.datatype")
)]
#[case("caliperEntity-NoId.json", Some("caliper.entity.id-iri"))]
#[case("caliperEntity-UnknownContext.json", Some("caliper.describe.context"))]
#[case(
    "caliperEntity-UnknownEntityType.json",
    Some("caliper.entity.type-known")
)]
#[case(
    "caliperEntityAggregateMeasure-MalformedMaxMetricValueNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAggregateMeasure-MalformedMaxMetricValueNotAnInt.json",
    None
)]
#[case(
    "caliperEntityAggregateMeasure-MalformedMetricUnknownValue.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAggregateMeasure-MalformedMetricValueNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAggregateMeasure-MalformedMetricValueNotPresent.json",
    Some("caliper.entity.required-properties")
)]
#[case(
    "caliperEntityAggregateMeasure-MalformedStartedAtTimeNotValidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAggregateMeasureCollection-MalformedItemsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAnnotation-MalformedAnnotatedWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityAssessment-MalformedItemsContainsWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityAssessment-MalformedItemsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAssignableDigitalResource-MalformedDateToActivateInvalidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAssignableDigitalResource-MalformedDateToShowInvalidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAssignableDigitalResource-MalformedDateToSubmitInvalidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAssignableDigitalResource-MalformedMaxAttemptsNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAssignableDigitalResource-MalformedMaxSubmitsNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAttempt-MalformedAssignableWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityAttempt-MalformedCountNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAttempt-MalformedDurationNotADuration.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAttempt-MalformedIsPartOfWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityAttempt-MalformedStartedAtTimeInvalidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAudioObject-MalformedMutedNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAudioObject-MalformedVolumeLevelNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityAudioObject-MalformedVolumeMinNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityBookmarkAnnotation-MalformedBookmarkNotesNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityCollection-MalformedItemsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityComment-MalformedCommenterWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityCourseOffering-MalformedAcademicSessionNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityCourseOffering-MalformedCourseNumberNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDateTimeQuestion-MalformedMaxDateTimeNotValidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDateTimeQuestion-MalformedMaxLabelNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDateTimeQuestion-MalformedMinLabelNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDateTimeResponse-MalformedDateTimeSelectedNotValidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResource-MalformedCreatorsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResource-MalformedDatePublishedNotValidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResource-MalformedKeywordsListElementWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResource-MalformedKeywordsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResource-MalformedLearningObjectivesNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResource-MalformedMediaTypeNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResource-MalformedVersionNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityDigitalResourceCollection-MalformedItemsContainsWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityFillinBlankResponse-MalfromedValuesContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityFillinBlankResponse-MalfromedValuesNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityForum-MalformedItemsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityFrame-MalformedIndexNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityHighlightAnnotation-MalformedSelectionTextNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityHighlightAnnotation-MalformedSelectionWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityLikertScale-MalformedItemLabelsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityLikertScale-MalformedItemValuesContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityLikertScale-MalformedScalePointsNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityLtiLink-MalformedMessageTypeUnknownValue.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMediaLocation-MalformedCurrentTimeNotValidDuration.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMediaObject-MalformedDurationNotValidDuration.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMembership-MalformedOrganizationWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityMembership-MalformedRolesContainsUnknownValue.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMembership-MalformedStatusUnknownValue.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMessage-MalformedAttachmentsContainsWrongType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityMessage-MalformedBodyNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMessage-MalformedReplyToWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityMultipleResponseResponse-MalformedValuesContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultipleResponseResponse-MalformedValuesNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectQuestions-MalformedItemLabelsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectQuestions-MalformedItemValuesContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectQuestions-MalformedPointsNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectResponse-MalformedSelectionsContainsWrongValue.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectScale-MalformedIsOrderedSelectionNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectScale-MalformedItemLabelsContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectScale-MalformedItemValuesContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectScale-MalformedItemValuesNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectScale-MalformedMinSelectionsNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityMultiselectScale-MalformedScalePointsNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityNumericScale-MalformedMaxValueNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityNumericScale-MalformedMinLabelNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityNumericScale-MalformedStepNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityOpenEndedResponse-MalformedValueNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityOrganization-MalformedMembersNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityOrganization-MalformedSubOrganizationOfWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityQuery-MalformedSearchTermsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityQuestion-MalformedQuestionPosedNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityQuestionnaire-MalformedItemsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityQuestionnaireItem-MalformedCategoriesContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityQuestionnaireItem-MalformedQuestionWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityQuestionnaireItem-MalformedWeightNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityRating-MalformedRaterWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityRating-MalformedRatingCommentWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityRating-MalformedSelectionsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityRatingScaleQuestion-MalformedScaleWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityRatingScaleResponse-MalformedSelectionsContainsWrongType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityResponse-MalformedAttemptWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityResponse-MalformedEndedAtTimeInvalidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityResponse-MalformedStartedAtTimeInvalidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityResult-MalformedAttemptWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityResult-MalformedCommentNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityResult-MalformedResultScoreNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityResult-MalformedScoredByWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityScore-MalformedAttemptWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityScore-MalformedCommentNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityScore-MalformedScoreGivenNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityScore-MalformedScoredByWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntitySearchResponse-MalformedSearchProviderWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntitySearchResponse-MalformedSearchResultsItemCountNotAStrings.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySelectTextResponse-MalformedValuesNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySession-MalformedClientWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntitySession-MalformedEndedAtTimeNotValidDateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySession-MalformedStartedAtTimeNotADateTime.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySharedAnnotation-MalformedWithAgentsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySharedAnnotation-MalformedWithAgentsWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntitySoftwareApplication-MalformedIpAddressNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySoftwareApplication-MalformedUserAgentNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySurvey-MalformedItemsContainsWrongEntityType.json",
    Some("caliper.document.well-formed")
)]
#[case(
    "caliperEntitySurvey-MalformedItemsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySurveyInvitation-MalformedRaterWrongEntityType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntitySurveyInvitation-MalformedSentCountNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySystemIdentifier-MalformedIdentifierNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntitySystemIdentifier-MalformedIdentifierTypeUnknownValue.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityTagAnnotation-MalformedTagsNotAList.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityTagAnnotation-MalformedTagsWrongListElementType.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityTextPositionSelector-MalformedStartNotAString.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEntityThread-MalformedItemsContainsWrongType.json",
    Some("caliper.entity.property-range")
)]
#[case(
    "caliperEntityTrueFalseResponse-MalformedValueNotAnInt.json",
    Some("caliper.term.datatype")
)]
#[case(
    "caliperEvent-MalformedActorNotAString.json",
    Some("caliper.event.entity-reference")
)]
#[case(
    "caliperEvent-MalformedEdAppNotAString.json",
    Some("caliper.event.entity-reference")
)]
#[case(
    "caliperEvent-MalformedEdAppWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEvent-MalformedExtensionsNotAnIRI.json",
    Some("caliper.extensions.object")
)]
#[case(
    "caliperEvent-MalformedFederatedSessionNotAString.json",
    Some("caliper.event.entity-reference")
)]
#[case(
    "caliperEvent-MalformedGroupNotAString.json",
    Some("caliper.event.entity-reference")
)]
#[case(
    "caliperEvent-MalformedGroupWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEvent-MalformedMembershipWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEvent-MalformedReferrerNotAString.json",
    Some("caliper.event.entity-reference")
)]
#[case(
    "caliperEvent-MalformedSessionWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEvent-MalformedTargetNotAString.json",
    Some("caliper.event.entity-reference")
)]
#[case("caliperEvent-NoActor.json", Some("caliper.event.required-properties"))]
#[case(
    "caliperEvent-NoEventTime.json",
    Some("caliper.event.required-properties")
)]
#[case(
    "caliperEvent-NoObject.json",
    Some("caliper.event.required-properties")
)]
#[case("caliperEvent-NoType.json", Some("caliper.event.required-properties"))]
#[case(
    "caliperEvent-NullActor.json",
    Some("caliper.event.required-properties")
)]
#[case(
    "caliperEvent-NullEventTime.json",
    Some("caliper.event.required-properties")
)]
#[case(
    "caliperEvent-NullObject.json",
    Some("caliper.event.required-properties")
)]
#[case(
    "caliperEvent-NullType.json",
    Some("caliper.event.required-properties")
)]
#[case("caliperEvent-UnknownEventType.json", Some("caliper.event.type-known"))]
#[case(
    "caliperEvent-UnknownProfile.json",
    Some("caliper.event.profile-known")
)]
#[case(
    "caliperEventAnnotation-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAnnotation-MalformedTargetWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAssessment-MalformedGeneratedWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAssessment-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAssessmentItem-MalformedGeneratedWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAssessmentItem-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAssessmentItem-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventAssignable-MalformedGeneratableWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAssignable-MalformedTargetWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventAssignable-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventFeedback-MalformedTargetWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventFeedback-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventForum-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventGeneral-MalformedActorWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventGrade-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventGrade-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventMedia-MalformedTargetWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventMedia-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventMessage-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventNavigation-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventNavigation-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventResourceManagement-MalformedGeneratedWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventResourceManagement-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventSearch-MalformedGeneratedWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventSession-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventSessionLoggedIn-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventSessionLoggedIn-MalformedTargetWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventSessionTimedOut-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventThread-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case("caliperEventToolLaunch-MalformedGeneratedWrongEntityType.json", None)]
#[case("caliperEventToolLaunch-MalformedTargetWrongEntityType.json", None)]
#[case(
    "caliperEventToolLaunch-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventToolUse-MalformedGeneratedWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventToolUse-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
#[case(
    "caliperEventToolUse-WrongAction.json",
    Some("caliper.event.action-allowed")
)]
#[case(
    "caliperEventView-MalformedObjectWrongEntityType.json",
    Some("caliper.event.property-range")
)]
fn official_error_fixture_is_rejected_for_the_right_reason(
    #[case] file: &str,
    #[case] rule: Option<&str>,
) {
    let v = validate(&[error_fixture(file)], Some(&contexts()));
    let failed: BTreeSet<&str> = v.failures().map(|f| f.rule.as_str()).collect();
    match rule {
        Some(r) => assert!(
            failed.contains(r),
            "{file}: expected {r}, failed rules: {failed:?}"
        ),
        None => assert!(
            failed.is_empty(),
            "{file}: deliberately accepted, but failed: {failed:?}"
        ),
    }
}

#[test]
fn every_official_error_fixture_is_in_the_table() {
    let this_file = include_str!("official_fixtures.rs");
    let dir = fixtures("v1p2").join("commonErrorFixtures");
    let mut missing = Vec::new();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        n += 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !this_file.contains(&format!("\"{name}\"")) {
            missing.push(name);
        }
    }
    assert!(
        n > 150,
        "commonErrorFixtures not found at {}",
        dir.display()
    );
    assert_eq!(missing, Vec::<String>::new());
}
