//! Native Caliper vocabulary tables: event types and the actions each allows,
//! entity types, metric profiles, context IRIs.
//!
//! Why native tables and not the IMS JSON schemas: those schemas use one global
//! `Action` enumeration and no per-event restrictions, so they accept every
//! `*-WrongAction` negative fixture (see `../shared/reference/caliper.md` §4).
//! The facts below are transcribed from the 1.1 and 1.2 specifications
//! (Appendix A "Actions", Appendix B "Event Subtypes", the metric profiles) and
//! `caliper-catalog.json`.

/// A Caliper version this validator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// Caliper Analytics 1.1 (with its profile-extension contexts).
    V1p1,
    /// Caliper Analytics 1.2.
    V1p2,
}

impl Version {
    /// The context IRI (also the envelope `dataVersion`).
    pub fn context_iri(self) -> &'static str {
        match self {
            Version::V1p1 => CONTEXT_V1P1,
            Version::V1p2 => CONTEXT_V1P2,
        }
    }

    /// Short label, `1.1` or `1.2`.
    pub fn label(self) -> &'static str {
        match self {
            Version::V1p1 => "1.1",
            Version::V1p2 => "1.2",
        }
    }
}

/// The Caliper 1.1 context IRI.
pub const CONTEXT_V1P1: &str = "http://purl.imsglobal.org/ctx/caliper/v1p1";
/// The Caliper 1.2 context IRI.
pub const CONTEXT_V1P2: &str = "http://purl.imsglobal.org/ctx/caliper/v1p2";

/// The version a Caliper context IRI stands for: the two core IRIs and the 1.1
/// profile-extension IRIs (`.../v1p1/ToolLaunchProfile-extension`).
pub fn version_of_context(iri: &str) -> Option<Version> {
    if iri == CONTEXT_V1P2 {
        return Some(Version::V1p2);
    }
    if iri == CONTEXT_V1P1 {
        return Some(Version::V1p1);
    }
    let ext = iri.strip_prefix(CONTEXT_V1P1)?.strip_prefix('/')?;
    extension_profile(ext).map(|_| Version::V1p1)
}

/// `ToolLaunchProfile-extension` → `toollaunchprofile`, the stem of the 1.1
/// extension context file `caliper-v1p1-<stem>-extension.jsonld`.
pub fn extension_profile(segment: &str) -> Option<String> {
    let name = segment.strip_suffix("-extension")?;
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric());
    ok.then(|| name.to_ascii_lowercase())
}

const ANNOTATION: &[&str] = &["Bookmarked", "Highlighted", "Shared", "Tagged"];
const ASSESSMENT: &[&str] = &[
    "Started",
    "Paused",
    "Resumed",
    "Restarted",
    "Reset",
    "Submitted",
];
const ITEM: &[&str] = &["Started", "Skipped", "Completed"];
const ASSIGNABLE: &[&str] = &[
    "Activated",
    "Deactivated",
    "Started",
    "Completed",
    "Submitted",
    "Reviewed",
];
const FORUM: &[&str] = &["Subscribed", "Unsubscribed"];
const GRADE: &[&str] = &["Graded"];
const MEDIA: &[&str] = &[
    "Started",
    "Ended",
    "Paused",
    "Resumed",
    "Restarted",
    "ForwardedTo",
    "JumpedTo",
    "ChangedResolution",
    "ChangedSize",
    "ChangedSpeed",
    "ChangedVolume",
    "EnabledClosedCaptioning",
    "DisabledClosedCaptioning",
    "EnteredFullScreen",
    "ExitedFullScreen",
    "Muted",
    "Unmuted",
    "OpenedPopout",
    "ClosedPopout",
];
const MESSAGE: &[&str] = &["MarkedAsRead", "MarkedAsUnRead", "Posted"];
const NAVIGATION: &[&str] = &["NavigatedTo"];
const SESSION: &[&str] = &["LoggedIn", "LoggedOut", "TimedOut"];
const THREAD: &[&str] = &["MarkedAsRead", "MarkedAsUnRead"];
const TOOL_USE: &[&str] = &["Used"];
const VIEW: &[&str] = &["Viewed"];
const FEEDBACK: &[&str] = &["Commented", "Ranked"];
const RESOURCE_MANAGEMENT: &[&str] = &[
    "Archived",
    "Copied",
    "Created",
    "Deleted",
    "Described",
    "Downloaded",
    "Modified",
    "Printed",
    "Published",
    "Restored",
    "Retrieved",
    "Saved",
    "Unpublished",
    "Uploaded",
];
const SEARCH: &[&str] = &["Searched"];
const SURVEY: &[&str] = &["OptedIn", "OptedOut"];
const SURVEY_INVITATION: &[&str] = &["Accepted", "Declined", "Sent"];
const QUESTIONNAIRE: &[&str] = &["Started", "Submitted"];
const TOOL_LAUNCH: &[&str] = &["Launched", "Returned"];
const OUTCOME: &[&str] = &["Graded"];
const READING: &[&str] = &["NavigatedTo", "Searched", "Viewed"];

/// Event type → allowed actions, shared by 1.1 (core + profile extensions) and 1.2.
const COMMON_EVENTS: &[(&str, &[&str])] = &[
    ("AnnotationEvent", ANNOTATION),
    ("AssessmentEvent", ASSESSMENT),
    ("AssessmentItemEvent", ITEM),
    ("AssignableEvent", ASSIGNABLE),
    ("ForumEvent", FORUM),
    ("GradeEvent", GRADE),
    ("MediaEvent", MEDIA),
    ("MessageEvent", MESSAGE),
    ("NavigationEvent", NAVIGATION),
    ("SessionEvent", SESSION),
    ("ThreadEvent", THREAD),
    ("ToolUseEvent", TOOL_USE),
    ("ViewEvent", VIEW),
    ("FeedbackEvent", FEEDBACK),
    ("ResourceManagementEvent", RESOURCE_MANAGEMENT),
    ("SearchEvent", SEARCH),
    ("SurveyEvent", SURVEY),
    ("SurveyInvitationEvent", SURVEY_INVITATION),
    ("QuestionnaireEvent", QUESTIONNAIRE),
    ("QuestionnaireItemEvent", ITEM),
    ("ToolLaunchEvent", TOOL_LAUNCH),
];

/// Deprecated 1.1 event types (still legal vocabulary in 1.1 only).
const DEPRECATED_V1P1_EVENTS: &[(&str, &[&str])] =
    &[("OutcomeEvent", OUTCOME), ("ReadingEvent", READING)];

/// Deprecated-but-legal 1.1 actions per event type (SHOULD NOT be used).
const DEPRECATED_V1P1_ACTIONS: &[(&str, &[&str])] = &[
    (
        "AnnotationEvent",
        &[
            "Attached",
            "Classified",
            "Commented",
            "Described",
            "Disliked",
            "Identified",
            "Liked",
            "Linked",
            "Questioned",
            "Ranked",
            "Recommended",
            "Subscribed",
        ],
    ),
    ("AssessmentItemEvent", &["Reviewed", "Viewed"]),
    ("AssignableEvent", &["Abandoned", "Hid", "Showed"]),
    ("MediaEvent", &["Rewound"]),
];

/// Every action term of the Actions appendix (the generic `Event` may use any),
/// with the spec's spellings and the contexts' spellings both present.
pub const ALL_ACTIONS: &[&str] = &[
    "Abandoned",
    "Accepted",
    "Activated",
    "Added",
    "Archived",
    "Attached",
    "Bookmarked",
    "ChangedResolution",
    "ChangedSize",
    "ChangedSpeed",
    "ChangedVolume",
    "Classified",
    "ClosedPopout",
    "Commented",
    "Completed",
    "Copied",
    "Created",
    "Deactivated",
    "Declined",
    "Deleted",
    "Described",
    "DisabledClosedCaptioning",
    "DisabledCloseCaptioning",
    "Disliked",
    "Downloaded",
    "EnabledClosedCaptioning",
    "EnabledCloseCaptioning",
    "Ended",
    "EnteredFullScreen",
    "ExitedFullScreen",
    "ForwardedTo",
    "Graded",
    "Hid",
    "Highlighted",
    "Identified",
    "JumpedTo",
    "Launched",
    "Liked",
    "Linked",
    "LoggedIn",
    "LoggedOut",
    "MarkedAsRead",
    "MarkedAsUnRead",
    "Modified",
    "Muted",
    "NavigatedTo",
    "OpenedPopout",
    "OptedIn",
    "OptedOut",
    "Paused",
    "Posted",
    "Printed",
    "Published",
    "Questioned",
    "Ranked",
    "Recommended",
    "Removed",
    "Reset",
    "Restarted",
    "Restored",
    "Resumed",
    "Retrieved",
    "Returned",
    "Reviewed",
    "Rewound",
    "Saved",
    "Searched",
    "Sent",
    "Shared",
    "Showed",
    "Skipped",
    "Started",
    "Submitted",
    "Subscribed",
    "Tagged",
    "TimedOut",
    "Unmuted",
    "Unpublished",
    "Unsubscribed",
    "Uploaded",
    "Used",
    "Viewed",
];

/// Spelling variants between the spec text and the contexts: `(spec, context)`.
/// Both are accepted; the context spelling draws a warning.
pub const ACTION_SPELLINGS: &[(&str, &str)] = &[
    ("MarkedAsUnRead", "MarkedAsUnread"),
    ("DisabledClosedCaptioning", "DisabledCloseCaptioning"),
    ("EnabledClosedCaptioning", "EnabledCloseCaptioning"),
];

/// Metric profile terms (1.2 `profile` property).
pub const PROFILES: &[&str] = &[
    "GeneralProfile",
    "AnnotationProfile",
    "AssessmentProfile",
    "AssignableProfile",
    "FeedbackProfile",
    "ForumProfile",
    "GradingProfile",
    "MediaProfile",
    "ReadingProfile",
    "ResourceManagementProfile",
    "SearchProfile",
    "SessionProfile",
    "SurveyProfile",
    "ToolLaunchProfile",
    "ToolUseProfile",
];

/// Entity types (1.2 plus the 1.1 extension types; all are 1.2 terms).
pub const ENTITY_TYPES: &[&str] = &[
    "Entity",
    "Agent",
    "AggregateMeasure",
    "AggregateMeasureCollection",
    "Annotation",
    "Assessment",
    "AssessmentItem",
    "AssignableDigitalResource",
    "Attempt",
    "AudioObject",
    "BookmarkAnnotation",
    "Chapter",
    "Collection",
    "Comment",
    "CourseOffering",
    "CourseSection",
    "DateTimeQuestion",
    "DateTimeResponse",
    "DigitalResource",
    "DigitalResourceCollection",
    "Document",
    "FillinBlankResponse",
    "Forum",
    "Frame",
    "Group",
    "HighlightAnnotation",
    "ImageObject",
    "LearningObjective",
    "LikertScale",
    "Link",
    "LtiLink",
    "LtiSession",
    "MediaLocation",
    "MediaObject",
    "Membership",
    "Message",
    "MultipleChoiceResponse",
    "MultipleResponseResponse",
    "MultiselectQuestion",
    "MultiselectResponse",
    "MultiselectScale",
    "NumericScale",
    "OpenEndedQuestion",
    "OpenEndedResponse",
    "Organization",
    "Page",
    "Person",
    "Query",
    "Question",
    "Questionnaire",
    "QuestionnaireItem",
    "Rating",
    "RatingScaleQuestion",
    "RatingScaleResponse",
    "Response",
    "Result",
    "Scale",
    "Score",
    "SearchResponse",
    "Selector",
    "SelectTextResponse",
    "Session",
    "SharedAnnotation",
    "SoftwareApplication",
    "Survey",
    "SurveyInvitation",
    "SystemIdentifier",
    "TagAnnotation",
    "TextPositionSelector",
    "Thread",
    "TrueFalseResponse",
    "VideoObject",
    "WebPage",
];

/// Deprecated 1.1 entity types (legal in 1.1 only).
pub const DEPRECATED_V1P1_ENTITY_TYPES: &[&str] = &[
    "EpubChapter",
    "EpubPart",
    "EpubSubChapter",
    "EpubVolume",
    "Reading",
];

/// Value types that carry no `id`: `SystemIdentifier` (1.2) and the selectors of
/// highlight annotations.
pub const VALUE_TYPES: &[&str] = &["SystemIdentifier", "Selector", "TextPositionSelector"];

/// Whether `ty` is an event type of `version` (the generic `Event` included).
pub fn is_event_type(version: Version, ty: &str) -> bool {
    ty == "Event" || event_actions(version, ty).is_some()
}

/// Whether `ty` looks like an event type name (used to tell events from entities).
pub fn looks_like_event_type(ty: &str) -> bool {
    ty.ends_with("Event")
}

/// The actions `ty` allows in `version` (`None` for an unknown type; the generic
/// `Event` allows [`ALL_ACTIONS`]).
pub fn event_actions(version: Version, ty: &str) -> Option<&'static [&'static str]> {
    if ty == "Event" {
        return Some(ALL_ACTIONS);
    }
    let found = COMMON_EVENTS.iter().find(|(t, _)| *t == ty);
    let deprecated = || {
        (version == Version::V1p1)
            .then(|| DEPRECATED_V1P1_EVENTS.iter().find(|(t, _)| *t == ty))
            .flatten()
    };
    found.or_else(deprecated).map(|(_, a)| *a)
}

/// Whether `action` is a deprecated 1.1 action of `ty`.
pub fn is_deprecated_action(version: Version, ty: &str, action: &str) -> bool {
    version == Version::V1p1
        && DEPRECATED_V1P1_ACTIONS
            .iter()
            .any(|(t, a)| *t == ty && a.contains(&action))
}

/// The spec spelling of a context-only spelling (`MarkedAsUnread` → `MarkedAsUnRead`).
pub fn spec_spelling(action: &str) -> Option<&'static str> {
    ACTION_SPELLINGS
        .iter()
        .find(|(_, ctx)| *ctx == action)
        .map(|(spec, _)| *spec)
}

/// Whether `ty` is an entity type of `version`.
pub fn is_entity_type(version: Version, ty: &str) -> bool {
    ENTITY_TYPES.contains(&ty)
        || (version == Version::V1p1 && DEPRECATED_V1P1_ENTITY_TYPES.contains(&ty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(CONTEXT_V1P1, Some(Version::V1p1))]
    #[case(CONTEXT_V1P2, Some(Version::V1p2))]
    #[case(
        "http://purl.imsglobal.org/ctx/caliper/v1p1/ToolLaunchProfile-extension",
        Some(Version::V1p1)
    )]
    #[case("http://purl.imsglobal.org/ctx/caliper/v1p1/../x-extension", None)]
    #[case("http://purl.imsglobal.org/ctx/caliper/v1p3", None)]
    fn context_iri_maps_to_version(#[case] iri: &str, #[case] v: Option<Version>) {
        assert_eq!(version_of_context(iri), v);
    }

    #[rstest]
    #[case(Version::V1p2, "MessageEvent", "MarkedAsUnRead", true)]
    #[case(Version::V1p2, "ViewEvent", "Viewed", true)]
    #[case(Version::V1p2, "ViewEvent", "Posted", false)]
    #[case(Version::V1p2, "OutcomeEvent", "Graded", false)]
    #[case(Version::V1p1, "OutcomeEvent", "Graded", true)]
    #[case(Version::V1p2, "Event", "Removed", true)]
    fn allowed_actions(#[case] v: Version, #[case] ty: &str, #[case] a: &str, #[case] ok: bool) {
        let allowed = event_actions(v, ty).is_some_and(|list| list.contains(&a));
        assert_eq!(allowed, ok);
    }
}
