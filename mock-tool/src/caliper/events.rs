//! The reference sensor's events: one envelope per Caliper 1.2 metric profile,
//! each holding the events the Sensor Certification Guide marks *Required* for
//! that profile (plus a few optional ones), written for accredit (not copied
//! from the IMS examples). Every call mints fresh event ids and timestamps.

use serde_json::{Value, json};

use super::Fault;

/// The Caliper 1.2 context IRI.
pub const CONTEXT: &str = "http://purl.imsglobal.org/ctx/caliper/v1p2";

/// Every profile the reference sensor emits, in emission order.
pub const PROFILES: [&str; 15] = [
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

const BASE: &str = "https://lms.northwind.example";
const LEARNER: &str = "https://lms.northwind.example/people/ada-7";
const SECTION: &str = "https://lms.northwind.example/terms/2026-fall/sections/bio-101-a";
const SESSION: &str = "https://lms.northwind.example/sessions/5c2a9e";

/// Builds the events of one emission.
pub(crate) struct Builder<'a> {
    faults: &'a [Fault],
    now: String,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(faults: &'a [Fault]) -> Builder<'a> {
        Builder {
            faults,
            now: chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        }
    }

    fn has(&self, f: Fault) -> bool {
        self.faults.contains(&f)
    }

    fn id(&self) -> String {
        let u = uuid::Uuid::new_v4();
        if self.has(Fault::EventIdNotUrnUuid) {
            u.to_string()
        } else {
            format!("urn:uuid:{u}")
        }
    }

    /// An event of `ty`/`action` in `profile`, with `rest` merged in.
    fn event(&self, ty: &str, profile: &str, action: &str, object: Value, rest: Value) -> Value {
        let mut e = json!({
            "@context": CONTEXT,
            "id": self.id(),
            "type": ty,
            "profile": profile,
            "actor": {"id": LEARNER, "type": "Person", "name": "Ada"},
            "action": action,
            "object": object,
            "eventTime": self.now,
            "edApp": BASE,
            "group": {"id": SECTION, "type": "CourseSection", "courseNumber": "BIO 101 A"},
            "session": SESSION,
        });
        if let (Value::Object(e), Value::Object(rest)) = (&mut e, rest) {
            e.extend(rest);
        }
        e
    }

    /// The envelope carrying `data`.
    pub(crate) fn envelope(&self, sensor: &str, data: Vec<Value>) -> Value {
        let send_time = if self.has(Fault::SendTimeWithoutMillis) {
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
        } else {
            chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        };
        json!({
            "sensor": sensor,
            "sendTime": send_time,
            "dataVersion": CONTEXT,
            "data": data,
        })
    }

    /// The events of `profile` (empty for an unknown profile).
    pub(crate) fn events(&self, profile: &str) -> Vec<Value> {
        let quiz = json!({"id": format!("{SECTION}/quizzes/3"), "type": "Assessment", "name": "Quiz 3", "maxScore": 10.0});
        let attempt = |count: u32| {
            json!({
                "id": format!("{SECTION}/quizzes/3/attempts/ada-7-{count}"),
                "type": "Attempt",
                "assignee": LEARNER,
                "assignable": format!("{SECTION}/quizzes/3"),
                "count": count,
            })
        };
        let page =
            json!({"id": format!("{SECTION}/pages/cells"), "type": "WebPage", "name": "Cells"});
        let document = json!({"id": format!("{BASE}/library/cell-biology.pdf"), "type": "Document", "name": "Cell biology primer"});
        let video = json!({"id": "https://media.northwind.example/videos/osmosis", "type": "VideoObject", "duration": "PT2M"});
        let location = |t: &str| json!({"id": format!("https://media.northwind.example/videos/osmosis#t={t}"), "type": "MediaLocation", "currentTime": format!("PT{t}S")});
        let app = json!({"id": BASE, "type": "SoftwareApplication", "version": "4.2"});
        match profile {
            "GeneralProfile" => vec![self.event("Event", profile, "Created", document.clone(), json!({}))],
            "AnnotationProfile" => vec![self.event(
                "AnnotationEvent",
                profile,
                "Bookmarked",
                page.clone(),
                json!({"generated": {
                    "id": format!("{BASE}/people/ada-7/bookmarks/1"),
                    "type": "BookmarkAnnotation",
                    "annotator": LEARNER,
                    "annotated": page["id"],
                    "bookmarkNotes": "membranes",
                }}),
            )],
            "AssessmentProfile" => {
                let started = if self.has(Fault::ActionNotAllowed) { "Viewed" } else { "Started" };
                let mut out = vec![self.event("AssessmentEvent", profile, started, quiz.clone(), json!({"generated": attempt(1)}))];
                if !self.has(Fault::OmitRequiredEvent) {
                    out.push(self.event("AssessmentEvent", profile, "Submitted", quiz.clone(), json!({"generated": attempt(1)})));
                }
                out
            }
            "AssignableProfile" => vec![self.event("AssignableEvent", profile, "Submitted", quiz.clone(), json!({"generated": attempt(1)}))],
            "FeedbackProfile" => vec![self.event(
                "FeedbackEvent",
                profile,
                "Commented",
                document.clone(),
                json!({"generated": {
                    "id": format!("{BASE}/library/cell-biology.pdf/comments/1"),
                    "type": "Comment",
                    "commenter": LEARNER,
                    "commentedOn": document["id"],
                    "value": "Clear and short.",
                }}),
            )],
            "ForumProfile" => vec![self.event(
                "MessageEvent",
                profile,
                "Posted",
                json!({
                    "id": format!("{SECTION}/forums/1/threads/4/messages/9"),
                    "type": "Message",
                    "body": "Is osmosis passive transport?",
                    "isPartOf": {"id": format!("{SECTION}/forums/1/threads/4"), "type": "Thread"},
                }),
                json!({}),
            )],
            "GradingProfile" => vec![self.event(
                "GradeEvent",
                profile,
                "Graded",
                attempt(1),
                json!({
                    "actor": {"id": format!("{BASE}/autograder"), "type": "SoftwareApplication"},
                    "generated": {
                        "id": format!("{SECTION}/quizzes/3/attempts/ada-7-1/score"),
                        "type": "Score",
                        "attempt": format!("{SECTION}/quizzes/3/attempts/ada-7-1"),
                        "maxScore": 10.0,
                        "scoreGiven": 8.5,
                        "scoredBy": format!("{BASE}/autograder"),
                    },
                }),
            )],
            "MediaProfile" => vec![
                self.event("MediaEvent", profile, "Started", video.clone(), json!({"target": location("0")})),
                self.event("MediaEvent", profile, "Paused", video.clone(), json!({"target": location("71")})),
                self.event("MediaEvent", profile, "Ended", video.clone(), json!({"target": location("120")})),
            ],
            "ReadingProfile" => vec![
                self.event("NavigationEvent", profile, "NavigatedTo", page.clone(), json!({"referrer": SECTION})),
                self.event("ViewEvent", profile, "Viewed", document.clone(), json!({"extensions": {"northwind:readingMode": "focus"}})),
            ],
            "ResourceManagementProfile" => vec![self.event("ResourceManagementEvent", profile, "Created", document.clone(), json!({}))],
            "SearchProfile" => vec![self.event(
                "SearchEvent",
                profile,
                "Searched",
                json!({"id": format!("{BASE}/catalog"), "type": "SoftwareApplication"}),
                json!({"generated": {
                    "id": format!("{BASE}/catalog/responses/1"),
                    "type": "SearchResponse",
                    "searchProvider": BASE,
                    "searchTarget": format!("{BASE}/catalog"),
                    "searchResultsItemCount": 3,
                }}),
            )],
            "SessionProfile" => vec![
                self.event("SessionEvent", profile, "LoggedIn", app.clone(), json!({})),
                self.event("SessionEvent", profile, "LoggedOut", app.clone(), json!({})),
            ],
            "SurveyProfile" => vec![self.event(
                "QuestionnaireEvent",
                profile,
                "Submitted",
                json!({"id": format!("{BASE}/surveys/1/questionnaires/2"), "type": "Questionnaire"}),
                json!({}),
            )],
            "ToolLaunchProfile" => vec![self.event(
                "ToolLaunchEvent",
                profile,
                "Launched",
                json!({"id": "https://tool.northwind.example/lti", "type": "SoftwareApplication"}),
                json!({"federatedSession": {
                    "id": format!("{BASE}/lti/sessions/77"),
                    "type": "LtiSession",
                    "user": LEARNER,
                    "startedAtTime": self.now,
                }}),
            )],
            "ToolUseProfile" => vec![self.event("ToolUseEvent", profile, "Used", app.clone(), json!({}))],
            _ => Vec::new(),
        }
    }
}
