//! Per-profile coverage: which Caliper 1.2 metric profiles a sensor exercised,
//! with which event types and actions, valid or not.
//!
//! Why: Caliper certification is granted per metric profile (Sensor
//! Certification Guide, "Metric Profile Certification"): a sensor certifies a
//! profile by sending, valid, the events its Event Conformance Table marks
//! *Required*. The tables below transcribe those rows (and the events each
//! profile supports, Caliper 1.2 §3, to attribute events that carry no
//! `profile` property).

use std::collections::BTreeMap;

/// One profile's certification requirements.
#[derive(Debug, Clone, Copy)]
pub struct ProfileCert {
    /// The profile term, e.g. `SessionProfile`.
    pub term: &'static str,
    /// The coverage case id.
    pub case_id: &'static str,
    /// The coverage case title.
    pub title: &'static str,
    /// Section of the certification guide.
    pub section: &'static str,
    /// URL of that section.
    pub url: &'static str,
    /// Event types the profile supports (for events without `profile`).
    pub events: &'static [&'static str],
    /// Required rows: each group is satisfied by any one `(type, action)` in it;
    /// action `*` matches any action.
    pub required: &'static [&'static [(&'static str, &'static str)]],
}

macro_rules! cert {
    ($term:literal, $slug:literal, $name:literal, $anchor:literal, [$($ev:literal),*], [$([$(($t:literal, $a:literal)),+]),+]) => {
        ProfileCert {
            term: $term,
            case_id: concat!("caliper.sensor.profile-coverage.", $slug),
            title: concat!($name, ": the required events were received, valid"),
            section: concat!("Metric Profile Certification: ", $name),
            url: concat!("https://www.imsglobal.org/spec/caliper/v1p2/cert#", $anchor),
            events: &[$($ev),*],
            required: &[$(&[$(($t, $a)),+]),+],
        }
    };
}

/// Every Caliper 1.2 profile, in report order.
pub const PROFILE_CERTS: &[ProfileCert] = &[
    cert!(
        "GeneralProfile",
        "general",
        "General Profile",
        "generalProfile",
        ["Event"],
        [[("Event", "*")]]
    ),
    cert!(
        "AnnotationProfile",
        "annotation",
        "Annotation Profile",
        "annotationProfile",
        ["AnnotationEvent"],
        [[("AnnotationEvent", "Bookmarked")]]
    ),
    cert!(
        "AssessmentProfile",
        "assessment",
        "Assessment Profile",
        "assessmentProfile",
        [
            "AssessmentEvent",
            "AssessmentItemEvent",
            "NavigationEvent",
            "ViewEvent"
        ],
        [[("AssessmentEvent", "Submitted")]]
    ),
    cert!(
        "AssignableProfile",
        "assignable",
        "Assignable Profile",
        "assignableProfile",
        ["AssignableEvent", "NavigationEvent", "ViewEvent"],
        [[("AssignableEvent", "Submitted")]]
    ),
    cert!(
        "FeedbackProfile",
        "feedback",
        "Feedback Profile",
        "feedbackProfile",
        ["FeedbackEvent"],
        [[("FeedbackEvent", "Commented"), ("FeedbackEvent", "Ranked")]]
    ),
    cert!(
        "ForumProfile",
        "forum",
        "Forum Profile",
        "forumProfile",
        [
            "ForumEvent",
            "MessageEvent",
            "ThreadEvent",
            "NavigationEvent",
            "ViewEvent"
        ],
        [[("MessageEvent", "Posted")]]
    ),
    cert!(
        "GradingProfile",
        "grading",
        "Grading Profile",
        "gradingProfile",
        ["GradeEvent", "ViewEvent"],
        [[("GradeEvent", "Graded")]]
    ),
    cert!(
        "MediaProfile",
        "media",
        "Media Profile",
        "mediaProfile",
        ["MediaEvent", "NavigationEvent", "ViewEvent"],
        [[("MediaEvent", "Started")], [("MediaEvent", "Ended")]]
    ),
    cert!(
        "ReadingProfile",
        "reading",
        "Reading Profile",
        "readingProfile",
        ["NavigationEvent", "ViewEvent"],
        [
            [("NavigationEvent", "NavigatedTo")],
            [("ViewEvent", "Viewed")]
        ]
    ),
    cert!(
        "ResourceManagementProfile",
        "resource-management",
        "Resource Management Profile",
        "resourceManagementProfile",
        ["ResourceManagementEvent"],
        [[("ResourceManagementEvent", "Created")]]
    ),
    cert!(
        "SearchProfile",
        "search",
        "Search Profile",
        "searchProfile",
        ["SearchEvent"],
        [[("SearchEvent", "Searched")]]
    ),
    cert!(
        "SessionProfile",
        "session",
        "Session Profile",
        "sessionProfile",
        ["SessionEvent"],
        [[("SessionEvent", "LoggedIn")]]
    ),
    cert!(
        "SurveyProfile",
        "survey",
        "Survey Profile",
        "surveyProfile",
        [
            "SurveyInvitationEvent",
            "SurveyEvent",
            "QuestionnaireEvent",
            "QuestionnaireItemEvent",
            "NavigationEvent",
            "ViewEvent"
        ],
        [[("QuestionnaireEvent", "Submitted")]]
    ),
    cert!(
        "ToolLaunchProfile",
        "tool-launch",
        "Tool Launch Profile",
        "toolLaunchProfile",
        ["ToolLaunchEvent"],
        [[("ToolLaunchEvent", "Launched")]]
    ),
    cert!(
        "ToolUseProfile",
        "tool-use",
        "Tool Use Profile",
        "toolUseProfile",
        ["ToolUseEvent"],
        [[("ToolUseEvent", "Used")]]
    ),
];

/// The certification entry of a profile term.
pub fn cert_of(term: &str) -> Option<&'static ProfileCert> {
    PROFILE_CERTS.iter().find(|p| p.term == term)
}

/// One event a sensor sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSeen {
    /// Document (request) it came in.
    pub document: String,
    /// JSON pointer of the event in that document.
    pub pointer: String,
    /// `type` (empty when absent).
    pub ty: String,
    /// `action` (empty when absent).
    pub action: String,
    /// `profile`, when the event names one.
    pub profile: Option<String>,
    /// No rule failed on the event.
    pub valid: bool,
}

impl EventSeen {
    /// Whether the event counts towards `cert`: it names that profile, or names
    /// none and has a type the profile supports.
    pub fn belongs_to(&self, cert: &ProfileCert) -> bool {
        match &self.profile {
            Some(p) => p == cert.term,
            None => cert.events.contains(&self.ty.as_str()),
        }
    }

    fn matches(&self, (ty, action): (&str, &str)) -> bool {
        self.ty == ty && (action == "*" || self.action == action)
    }
}

/// `(type, action)` → (seen, valid), for one profile.
pub type CoverageTable = BTreeMap<(String, String), (usize, usize)>;

/// The coverage table of `cert` over `events`.
pub fn table(cert: &ProfileCert, events: &[EventSeen]) -> CoverageTable {
    let mut t = CoverageTable::new();
    for e in events.iter().filter(|e| e.belongs_to(cert)) {
        let row = t.entry((e.ty.clone(), e.action.clone())).or_default();
        row.0 += 1;
        row.1 += usize::from(e.valid);
    }
    t
}

/// The table as one line: `SessionEvent LoggedIn ×2 (2 valid); ...`.
pub fn render(t: &CoverageTable) -> String {
    if t.is_empty() {
        return "no event of this profile was received".into();
    }
    t.iter()
        .map(|((ty, action), (seen, valid))| format!("{ty} {action} ×{seen} ({valid} valid)"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a required group is met by a valid event of the profile.
pub fn group_met(cert: &ProfileCert, group: &[(&str, &str)], events: &[EventSeen]) -> bool {
    events
        .iter()
        .filter(|e| e.valid && e.belongs_to(cert))
        .any(|e| group.iter().any(|row| e.matches(*row)))
}

/// A required group as text: `AssessmentEvent Submitted`, or `A x | B y`.
pub fn group_label(group: &[(&str, &str)]) -> String {
    group
        .iter()
        .map(|(t, a)| {
            if *a == "*" {
                format!("{t} (any action)")
            } else {
                format!("{t} {a}")
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ty: &str, action: &str, profile: Option<&str>, valid: bool) -> EventSeen {
        EventSeen {
            document: "request #0".into(),
            pointer: "/data/0".into(),
            ty: ty.into(),
            action: action.into(),
            profile: profile.map(str::to_string),
            valid,
        }
    }

    #[test]
    fn every_profile_term_is_known_and_ids_are_unique() {
        let mut ids: Vec<_> = PROFILE_CERTS.iter().map(|p| p.case_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), PROFILE_CERTS.len());
        for p in PROFILE_CERTS {
            assert!(crate::vocab::PROFILES.contains(&p.term), "{}", p.term);
        }
    }

    #[test]
    fn attribution_uses_the_profile_property_else_the_event_type() {
        let Some(reading) = cert_of("ReadingProfile") else {
            panic!("ReadingProfile missing")
        };
        let events = [
            ev("ViewEvent", "Viewed", None, true),
            ev(
                "NavigationEvent",
                "NavigatedTo",
                Some("AssessmentProfile"),
                true,
            ),
        ];
        assert_eq!(table(reading, &events).len(), 1);
        assert!(group_met(reading, reading.required[1], &events));
        assert!(!group_met(reading, reading.required[0], &events));
    }

    #[test]
    fn invalid_events_do_not_meet_a_requirement() {
        let Some(session) = cert_of("SessionProfile") else {
            panic!("SessionProfile missing")
        };
        let events = [ev(
            "SessionEvent",
            "LoggedIn",
            Some("SessionProfile"),
            false,
        )];
        assert!(!group_met(session, session.required[0], &events));
        assert_eq!(
            render(&table(session, &events)),
            "SessionEvent LoggedIn ×1 (0 valid)"
        );
    }
}
