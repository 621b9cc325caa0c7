//! Our own valid Caliper 1.2 envelope (written for accredit, not taken from the
//! IMS examples), used by the demo, the tests and the benchmark.

use serde_json::{Value, json};

/// A valid Caliper 1.2 envelope with a login, a navigation, a view, an
/// assessment submission and a media pause by one learner of "Northwind College".
pub fn sample_envelope() -> Value {
    let learner = json!({
        "id": "https://lms.northwind.example/people/ada-7",
        "type": "Person",
        "name": "Ada"
    });
    let app = "https://lms.northwind.example";
    let section = json!({
        "id": "https://lms.northwind.example/terms/2026-fall/sections/bio-101-a",
        "type": "CourseSection",
        "courseNumber": "BIO 101 A",
        "academicSession": "Fall 2026"
    });
    let session = json!({
        "id": "https://lms.northwind.example/sessions/5c2a9e",
        "type": "Session",
        "startedAtTime": "2026-11-02T08:59:58.120Z"
    });
    let ctx = "http://purl.imsglobal.org/ctx/caliper/v1p2";
    json!({
        "sensor": "https://lms.northwind.example/sensors/caliper",
        "sendTime": "2026-11-02T09:30:00.000Z",
        "dataVersion": ctx,
        "data": [
            {
                "@context": ctx,
                "id": "urn:uuid:6a1c1a52-7f0e-4a55-9c3e-1f7d1b0e0a01",
                "type": "SessionEvent",
                "profile": "SessionProfile",
                "actor": learner,
                "action": "LoggedIn",
                "object": {"id": app, "type": "SoftwareApplication", "version": "4.2"},
                "eventTime": "2026-11-02T09:00:00.120Z",
                "edApp": app,
                "session": session
            },
            {
                "@context": ctx,
                "id": "urn:uuid:6a1c1a52-7f0e-4a55-9c3e-1f7d1b0e0a02",
                "type": "NavigationEvent",
                "profile": "ReadingProfile",
                "actor": "https://lms.northwind.example/people/ada-7",
                "action": "NavigatedTo",
                "object": {
                    "id": "https://lms.northwind.example/sections/bio-101-a/pages/cells",
                    "type": "WebPage",
                    "name": "Cells and membranes",
                    "isPartOf": section["id"]
                },
                "referrer": "https://lms.northwind.example/sections/bio-101-a",
                "eventTime": "2026-11-02T09:01:10.005Z",
                "edApp": app,
                "group": section,
                "session": session["id"]
            },
            {
                "@context": ctx,
                "id": "urn:uuid:6a1c1a52-7f0e-4a55-9c3e-1f7d1b0e0a03",
                "type": "ViewEvent",
                "profile": "ReadingProfile",
                "actor": "https://lms.northwind.example/people/ada-7",
                "action": "Viewed",
                "object": {
                    "id": "https://lms.northwind.example/library/cell-biology.pdf",
                    "type": "Document",
                    "name": "Cell biology primer",
                    "dateCreated": "2026-08-20T12:00:00.000Z",
                    "keywords": ["cells", "membranes"]
                },
                "eventTime": "2026-11-02T09:05:42.313Z",
                "edApp": app,
                "session": session["id"],
                "extensions": {"northwind:readingMode": "focus"}
            },
            {
                "@context": ctx,
                "id": "urn:uuid:6a1c1a52-7f0e-4a55-9c3e-1f7d1b0e0a04",
                "type": "AssessmentEvent",
                "profile": "AssessmentProfile",
                "actor": "https://lms.northwind.example/people/ada-7",
                "action": "Submitted",
                "object": {
                    "id": "https://lms.northwind.example/sections/bio-101-a/quizzes/3",
                    "type": "Assessment",
                    "name": "Quiz 3: membranes",
                    "maxAttempts": 2,
                    "maxScore": 10.0
                },
                "generated": {
                    "id": "https://lms.northwind.example/sections/bio-101-a/quizzes/3/attempts/ada-7-1",
                    "type": "Attempt",
                    "assignee": "https://lms.northwind.example/people/ada-7",
                    "assignable": "https://lms.northwind.example/sections/bio-101-a/quizzes/3",
                    "count": 1,
                    "startedAtTime": "2026-11-02T09:10:00.000Z",
                    "endedAtTime": "2026-11-02T09:24:30.000Z",
                    "duration": "PT14M30S"
                },
                "eventTime": "2026-11-02T09:24:30.000Z",
                "edApp": app,
                "group": section["id"],
                "session": session["id"]
            },
            {
                "@context": ctx,
                "id": "urn:uuid:6a1c1a52-7f0e-4a55-9c3e-1f7d1b0e0a05",
                "type": "MediaEvent",
                "profile": "MediaProfile",
                "actor": "https://lms.northwind.example/people/ada-7",
                "action": "Paused",
                "object": {
                    "id": "https://media.northwind.example/videos/osmosis",
                    "type": "VideoObject",
                    "name": "Osmosis in two minutes",
                    "duration": "PT2M"
                },
                "target": {
                    "id": "https://media.northwind.example/videos/osmosis#t=71",
                    "type": "MediaLocation",
                    "currentTime": "PT1M11S"
                },
                "eventTime": "2026-11-02T09:28:01.500Z",
                "edApp": "https://media.northwind.example",
                "session": session["id"]
            }
        ]
    })
}
