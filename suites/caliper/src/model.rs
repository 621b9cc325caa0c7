//! The Caliper class hierarchy and the ranges of entity-valued properties, for
//! the `*.property-range` rules ("object of a ViewEvent is a DigitalResource").
//!
//! Why native: the JSON-LD contexts say only that such a property holds an `@id`;
//! the ranges are in the specification's property tables (Appendices B and C)
//! and the IMS schemas do not restrict them (every `*WrongEntityType` negative
//! fixture passes those schemas). Where the text we have is silent, or allows
//! any Entity, no range is listed and nothing is checked.

/// `(type, parent)`: the single-inheritance hierarchy of entity types.
const PARENTS: &[(&str, &str)] = &[
    ("Agent", "Entity"),
    ("Person", "Agent"),
    ("SoftwareApplication", "Agent"),
    ("Organization", "Agent"),
    ("CourseOffering", "Organization"),
    ("CourseSection", "CourseOffering"),
    ("Group", "Organization"),
    ("Annotation", "Entity"),
    ("BookmarkAnnotation", "Annotation"),
    ("HighlightAnnotation", "Annotation"),
    ("SharedAnnotation", "Annotation"),
    ("TagAnnotation", "Annotation"),
    ("DigitalResource", "Entity"),
    ("AssignableDigitalResource", "DigitalResource"),
    ("Assessment", "AssignableDigitalResource"),
    ("AssessmentItem", "AssignableDigitalResource"),
    ("Chapter", "DigitalResource"),
    ("Document", "DigitalResource"),
    ("Frame", "DigitalResource"),
    ("Page", "DigitalResource"),
    ("WebPage", "DigitalResource"),
    ("Message", "DigitalResource"),
    ("MediaLocation", "DigitalResource"),
    ("MediaObject", "DigitalResource"),
    ("AudioObject", "MediaObject"),
    ("ImageObject", "MediaObject"),
    ("VideoObject", "MediaObject"),
    ("DigitalResourceCollection", "DigitalResource"),
    ("Forum", "DigitalResourceCollection"),
    ("Thread", "DigitalResourceCollection"),
    ("Questionnaire", "DigitalResourceCollection"),
    ("QuestionnaireItem", "DigitalResource"),
    ("Question", "DigitalResource"),
    ("DateTimeQuestion", "Question"),
    ("MultiselectQuestion", "Question"),
    ("OpenEndedQuestion", "Question"),
    ("RatingScaleQuestion", "Question"),
    ("EpubChapter", "DigitalResource"),
    ("EpubPart", "DigitalResource"),
    ("EpubSubChapter", "DigitalResource"),
    ("EpubVolume", "DigitalResource"),
    ("Reading", "DigitalResource"),
    ("Collection", "Entity"),
    ("AggregateMeasureCollection", "Collection"),
    ("Survey", "Collection"),
    ("AggregateMeasure", "Entity"),
    ("Attempt", "Entity"),
    ("Comment", "Entity"),
    ("LearningObjective", "Entity"),
    ("Link", "Entity"),
    ("LtiLink", "Link"),
    ("Membership", "Entity"),
    ("Query", "Entity"),
    ("Rating", "Entity"),
    ("Result", "Entity"),
    ("Score", "Entity"),
    ("SearchResponse", "Entity"),
    ("Session", "Entity"),
    ("LtiSession", "Session"),
    ("SurveyInvitation", "Entity"),
    ("Scale", "Entity"),
    ("LikertScale", "Scale"),
    ("MultiselectScale", "Scale"),
    ("NumericScale", "Scale"),
    ("Response", "Entity"),
    ("DateTimeResponse", "Response"),
    ("FillinBlankResponse", "Response"),
    ("MultipleChoiceResponse", "Response"),
    ("MultipleResponseResponse", "Response"),
    ("MultiselectResponse", "Response"),
    ("OpenEndedResponse", "Response"),
    ("RatingScaleResponse", "Response"),
    ("SelectTextResponse", "Response"),
    ("TrueFalseResponse", "Response"),
    ("TextPositionSelector", "Selector"),
];

fn parent(ty: &str) -> Option<&'static str> {
    PARENTS.iter().find(|(t, _)| *t == ty).map(|(_, p)| *p)
}

/// Whether the hierarchy knows `ty` (roots `Entity`, `Selector`, `SystemIdentifier` included).
pub fn is_known(ty: &str) -> bool {
    matches!(ty, "Entity" | "Selector" | "SystemIdentifier") || parent(ty).is_some()
}

/// Whether `ty` is `class` or one of its subtypes.
pub fn is_a(ty: &str, class: &str) -> bool {
    let mut cur = Some(ty);
    // The hierarchy is at most a handful deep; the bound guards against a table typo loop.
    for _ in 0..16 {
        match cur {
            Some(t) if t == class => return true,
            Some(t) => cur = parent(t),
            None => return false,
        }
    }
    false
}

const PERSON: &[&str] = &["Person"];
const AGENT: &[&str] = &["Agent"];
const DIGITAL_RESOURCE: &[&str] = &["DigitalResource"];
const ATTEMPT: &[&str] = &["Attempt"];
const SOFTWARE: &[&str] = &["SoftwareApplication"];

/// `(event type, property, allowed classes)`; `Event` rows apply to every event
/// type that has no row of its own for the property.
const EVENT_RANGES: &[(&str, &str, &[&str])] = &[
    ("Event", "actor", AGENT),
    ("Event", "edApp", SOFTWARE),
    ("Event", "group", &["Organization"]),
    ("Event", "membership", &["Membership"]),
    ("Event", "session", &["Session"]),
    ("Event", "federatedSession", &["LtiSession"]),
    ("AnnotationEvent", "actor", PERSON),
    ("AnnotationEvent", "object", DIGITAL_RESOURCE),
    ("AnnotationEvent", "generated", &["Annotation"]),
    ("AnnotationEvent", "target", DIGITAL_RESOURCE),
    ("AssessmentEvent", "actor", PERSON),
    ("AssessmentEvent", "object", &["Assessment"]),
    ("AssessmentEvent", "generated", ATTEMPT),
    ("AssessmentItemEvent", "actor", PERSON),
    ("AssessmentItemEvent", "object", &["AssessmentItem"]),
    ("AssessmentItemEvent", "generated", &["Response", "Attempt"]),
    ("AssignableEvent", "actor", PERSON),
    ("AssignableEvent", "object", &["AssignableDigitalResource"]),
    ("AssignableEvent", "generated", ATTEMPT),
    ("AssignableEvent", "target", DIGITAL_RESOURCE),
    ("FeedbackEvent", "actor", PERSON),
    ("FeedbackEvent", "generated", &["Rating", "Comment"]),
    ("FeedbackEvent", "target", DIGITAL_RESOURCE),
    ("ForumEvent", "actor", PERSON),
    ("ForumEvent", "object", &["Forum"]),
    ("GradeEvent", "object", ATTEMPT),
    ("GradeEvent", "generated", &["Score", "Result"]),
    ("MediaEvent", "actor", PERSON),
    ("MediaEvent", "object", &["MediaObject"]),
    ("MediaEvent", "target", &["MediaLocation"]),
    ("MessageEvent", "actor", PERSON),
    ("MessageEvent", "object", &["Message"]),
    ("NavigationEvent", "actor", PERSON),
    ("NavigationEvent", "object", DIGITAL_RESOURCE),
    ("NavigationEvent", "target", DIGITAL_RESOURCE),
    ("QuestionnaireEvent", "actor", PERSON),
    ("QuestionnaireEvent", "object", &["Questionnaire"]),
    ("QuestionnaireEvent", "generated", ATTEMPT),
    ("QuestionnaireItemEvent", "actor", PERSON),
    ("QuestionnaireItemEvent", "object", &["QuestionnaireItem"]),
    (
        "QuestionnaireItemEvent",
        "generated",
        &["Response", "Attempt"],
    ),
    ("ResourceManagementEvent", "actor", PERSON),
    ("ResourceManagementEvent", "object", DIGITAL_RESOURCE),
    ("ResourceManagementEvent", "generated", DIGITAL_RESOURCE),
    ("SearchEvent", "actor", PERSON),
    ("SearchEvent", "generated", &["SearchResponse"]),
    ("SessionEvent", "actor", &["Person", "SoftwareApplication"]),
    (
        "SessionEvent",
        "object",
        &["SoftwareApplication", "Session"],
    ),
    ("SessionEvent", "generated", &["Session"]),
    ("SessionEvent", "target", DIGITAL_RESOURCE),
    ("SurveyEvent", "actor", PERSON),
    ("SurveyEvent", "object", &["Survey"]),
    ("SurveyInvitationEvent", "actor", PERSON),
    ("SurveyInvitationEvent", "object", &["SurveyInvitation"]),
    ("ThreadEvent", "actor", PERSON),
    ("ThreadEvent", "object", &["Thread"]),
    ("ToolLaunchEvent", "actor", PERSON),
    ("ToolLaunchEvent", "object", SOFTWARE),
    ("ToolUseEvent", "actor", PERSON),
    ("ToolUseEvent", "object", SOFTWARE),
    ("ToolUseEvent", "generated", &["AggregateMeasureCollection"]),
    ("ToolUseEvent", "target", SOFTWARE),
    ("ViewEvent", "actor", PERSON),
    // 1.1 Grading profile: a ViewEvent's object may be the Result viewed.
    ("ViewEvent", "object", &["DigitalResource", "Result"]),
    ("ViewEvent", "target", DIGITAL_RESOURCE),
];

/// `(event type, action, property, allowed classes)`: ranges that depend on the
/// action (SessionEvent: a person logs in and out, the application times out a
/// session).
const ACTION_RANGES: &[(&str, &str, &str, &[&str])] = &[
    ("SessionEvent", "LoggedIn", "actor", PERSON),
    ("SessionEvent", "LoggedIn", "object", SOFTWARE),
    ("SessionEvent", "LoggedOut", "actor", PERSON),
    ("SessionEvent", "LoggedOut", "object", SOFTWARE),
    ("SessionEvent", "TimedOut", "actor", SOFTWARE),
    ("SessionEvent", "TimedOut", "object", &["Session"]),
];

/// The classes allowed for `prop` of an event of type `event_type` whose action
/// is `action`.
pub fn event_range(
    event_type: &str,
    action: Option<&str>,
    prop: &str,
) -> Option<&'static [&'static str]> {
    let by_action = ACTION_RANGES
        .iter()
        .find(|(t, a, p, _)| *t == event_type && Some(*a) == action && *p == prop)
        .map(|(_, _, _, r)| *r);
    by_action.or_else(|| type_range(event_type, prop))
}

fn type_range(event_type: &str, prop: &str) -> Option<&'static [&'static str]> {
    let find = |ty: &str| {
        EVENT_RANGES
            .iter()
            .find(|(t, p, _)| *t == ty && *p == prop)
            .map(|(_, _, r)| *r)
    };
    find(event_type).or_else(|| find("Event"))
}

/// `(owner class, property, allowed classes)`; the most specific owner row wins.
const ENTITY_RANGES: &[(&str, &str, &[&str])] = &[
    ("Entity", "otherIdentifiers", &["SystemIdentifier"]),
    ("Annotation", "annotated", DIGITAL_RESOURCE),
    ("Annotation", "annotator", PERSON),
    ("HighlightAnnotation", "selection", &["Selector"]),
    ("SharedAnnotation", "withAgents", AGENT),
    ("Assessment", "items", &["AssessmentItem"]),
    ("Attempt", "assignable", DIGITAL_RESOURCE),
    ("Attempt", "assignee", PERSON),
    ("Attempt", "isPartOf", ATTEMPT),
    ("Comment", "commenter", PERSON),
    ("DigitalResource", "creators", AGENT),
    (
        "DigitalResource",
        "learningObjectives",
        &["LearningObjective"],
    ),
    ("DigitalResourceCollection", "items", DIGITAL_RESOURCE),
    ("Forum", "items", &["Thread"]),
    ("Thread", "items", &["Message"]),
    ("Questionnaire", "items", &["QuestionnaireItem"]),
    ("AggregateMeasureCollection", "items", &["AggregateMeasure"]),
    ("Survey", "items", &["Questionnaire"]),
    ("Membership", "organization", &["Organization"]),
    ("Membership", "member", PERSON),
    ("Message", "replyTo", &["Message"]),
    ("Message", "attachments", DIGITAL_RESOURCE),
    ("Organization", "subOrganizationOf", &["Organization"]),
    ("Organization", "members", AGENT),
    ("QuestionnaireItem", "question", &["Question"]),
    ("Rating", "rater", PERSON),
    ("Rating", "ratingComment", &["Comment"]),
    ("Rating", "question", &["Question"]),
    ("RatingScaleQuestion", "scale", &["Scale"]),
    ("Response", "attempt", ATTEMPT),
    ("Result", "attempt", ATTEMPT),
    ("Result", "scoredBy", AGENT),
    ("Score", "attempt", ATTEMPT),
    ("Score", "scoredBy", AGENT),
    ("SearchResponse", "searchProvider", SOFTWARE),
    ("SearchResponse", "query", &["Query"]),
    ("Session", "client", SOFTWARE),
    ("Session", "user", PERSON),
    ("SurveyInvitation", "rater", PERSON),
    ("SurveyInvitation", "survey", &["Survey"]),
];

/// The classes allowed for `prop` of an entity of type `owner`.
pub fn entity_range(owner: &str, prop: &str) -> Option<&'static [&'static str]> {
    let mut cur = Some(owner);
    for _ in 0..16 {
        let ty = cur?;
        let hit = ENTITY_RANGES
            .iter()
            .find(|(t, p, _)| *t == ty && *p == prop)
            .map(|(_, _, r)| *r);
        if hit.is_some() {
            return hit;
        }
        cur = parent(ty);
    }
    None
}

/// Entity-specific required properties beyond `id` and `type`.
pub const ENTITY_REQUIRED: &[(&str, &[&str])] = &[
    ("AggregateMeasure", &["metric", "metricValue"]),
    ("SystemIdentifier", &["identifier", "identifierType"]),
    ("TextPositionSelector", &["start", "end"]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("CourseSection", "Agent", true)]
    #[case("VideoObject", "DigitalResource", true)]
    #[case("Person", "DigitalResource", false)]
    #[case("LtiSession", "Session", true)]
    #[case("Nonsense", "Entity", false)]
    fn hierarchy(#[case] ty: &str, #[case] class: &str, #[case] ok: bool) {
        assert_eq!(is_a(ty, class), ok);
    }

    #[test]
    fn every_parent_is_known() {
        for (_, p) in PARENTS {
            assert!(is_known(p), "{p}");
        }
        let actions = ACTION_RANGES.iter().map(|(_, _, _, r)| r);
        for r in EVENT_RANGES
            .iter()
            .chain(ENTITY_RANGES)
            .map(|(_, _, r)| r)
            .chain(actions)
        {
            for c in *r {
                assert!(is_known(c), "{c}");
            }
        }
    }

    #[test]
    fn most_specific_owner_wins() {
        assert_eq!(entity_range("Forum", "items"), Some(&["Thread"][..]));
        assert_eq!(
            entity_range("DigitalResourceCollection", "items"),
            Some(DIGITAL_RESOURCE)
        );
        assert_eq!(
            entity_range("CourseSection", "subOrganizationOf"),
            Some(&["Organization"][..])
        );
        assert_eq!(event_range("GradeEvent", None, "actor"), Some(AGENT));
        assert_eq!(
            event_range("SessionEvent", Some("TimedOut"), "actor"),
            Some(SOFTWARE)
        );
        assert_eq!(
            event_range("SessionEvent", Some("LoggedIn"), "actor"),
            Some(PERSON)
        );
    }
}
