//! A fixed, realistic sample report shared by the integration tests and the bench.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use accredit_reports::*;
use serde_json::json;

pub const SECRET: &str = "sup3r-s3cret-client-value";

pub fn spec(section: &str) -> SpecRef {
    SpecRef {
        document: "LTI Core 1.3".into(),
        section: section.into(),
        url: format!("https://www.imsglobal.org/spec/lti/v1p3/#{section}"),
    }
}

pub fn case(
    id: &str,
    suite: &str,
    outcome: Outcome,
    level: Level,
    official: bool,
    message: &str,
) -> CaseResult {
    CaseResult {
        id: id.into(),
        suite: suite.into(),
        title: format!("Title of {id}"),
        role: "tool".into(),
        outcome,
        message: message.into(),
        spec: spec("5.1.2"),
        requirement: "The tool MUST validate the id_token signature.".into(),
        level,
        official,
        tags: vec!["core".into()],
        duration_ms: 12,
        checks: vec![Check {
            name: "id_token signature checked".into(),
            outcome,
            detail: if outcome == Outcome::Pass {
                String::new()
            } else {
                "expected 4xx, got 200".into()
            },
        }],
        findings: vec![],
        evidence: vec![format!("evidence/{id}.json")],
    }
}

pub const JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL3BsYXRmb3JtLmV4YW1wbGUiLCJzdWIiOiJ1MSJ9.c2lnbmF0dXJl";

pub fn exchange(seq: u32, truncated: bool) -> Exchange {
    Exchange {
        seq,
        direction: Direction::HarnessToCandidate,
        recorded_by: None,
        started_at: "2026-01-02T03:04:05.100Z".into(),
        duration_ms: 42,
        request: HttpRequest {
            method: "POST".into(),
            url: "https://tool.example/launch?x=1&y=<2>".into(),
            headers: vec![
                Header {
                    name: "content-type".into(),
                    value: "application/x-www-form-urlencoded".into(),
                },
                Header {
                    name: "authorization".into(),
                    value: "Bearer [redacted]".into(),
                },
            ],
            body: Body {
                size: 1200,
                truncated,
                text: Some(format!("id_token={JWT}&state=abc")),
                base64: None,
            },
        },
        response: Some(HttpResponse {
            status: 200,
            headers: vec![Header {
                name: "content-type".into(),
                value: "text/html".into(),
            }],
            body: Body {
                size: 23,
                truncated: false,
                text: Some("<html>launched</html>".into()),
                base64: None,
            },
        }),
        error: None,
        jwts: vec![DecodedJwt {
            found_in: "request.form.id_token".into(),
            raw: JWT.into(),
            header: json!({"alg": "RS256", "kid": "k1"}),
            claims: json!({"iss": "https://platform.example", "sub": "u1"}),
        }],
    }
}

pub fn sample_cases() -> Vec<CaseResult> {
    let mut cases = vec![
        case(
            "lti.tool.core.launch.valid",
            "lti-tool",
            Outcome::Pass,
            Level::Must,
            true,
            "launch accepted",
        ),
        case(
            "lti.tool.core.launch.bad-signature",
            "lti-tool",
            Outcome::Fail,
            Level::Must,
            true,
            "tool accepted an id_token with a bad signature | pipe <b>",
        ),
        case(
            "lti.tool.core.launch.expired",
            "lti-tool",
            Outcome::Warn,
            Level::Should,
            true,
            "refused with 500 instead of 4xx",
        ),
        case(
            "lti.tool.deeplink.optional",
            "lti-tool",
            Outcome::Skip,
            Level::May,
            true,
            "deep linking not claimed in profile",
        ),
        case(
            "lti.tool.ui.review",
            "lti-tool",
            Outcome::Review,
            Level::Must,
            false,
            "a human must check the rendered page",
        ),
        case(
            "caliper.sensor.envelope",
            "caliper-sensor",
            Outcome::Error,
            Level::Must,
            false,
            "candidate unreachable: connection refused",
        ),
    ];
    cases[5].role = "sensor".into();
    cases[5].findings = vec![Finding {
        document: "envelope.json".into(),
        location: "/data/0/action".into(),
        rule: "caliper.sensor.envelope".into(),
        outcome: Outcome::Fail,
        message: "unknown action \"Foo\"".into(),
    }];
    cases
}

pub fn sample_report() -> Report {
    let cases = sample_cases();
    Report {
        format_version: REPORT_FORMAT_VERSION.into(),
        run_id: "run-0001".into(),
        harness: HarnessInfo {
            name: "accredit".into(),
            version: "0.1.0".into(),
        },
        catalog_hash: "ab".repeat(32),
        candidate: CandidateInfo {
            name: "Example Tool".into(),
            version: Some("2.3".into()),
            vendor: Some("Example & Co".into()),
            description: None,
            profile: Some("profiles/example.toml".into()),
        },
        suites: vec![
            SuiteInfo {
                id: "lti-tool".into(),
                title: "LTI 1.3 Tool".into(),
                cases: 5,
            },
            SuiteInfo {
                id: "caliper-sensor".into(),
                title: "Caliper Sensor".into(),
                cases: 1,
            },
        ],
        started_at: "2026-01-02T03:04:05Z".into(),
        finished_at: "2026-01-02T03:05:06Z".into(),
        complete: true,
        incomplete_reason: None,
        certification: false,
        summary: Summary::of(&cases, 0),
        cases,
        not_run: vec![],
    }
}

pub fn incomplete_report() -> Report {
    let mut r = sample_report();
    r.complete = false;
    r.incomplete_reason = Some("interrupted (Ctrl-C)".into());
    r.not_run = vec!["lti.tool.core.never-ran".into()];
    r.summary = Summary::of(&r.cases, 1);
    r
}

pub fn sample_evidence() -> Vec<CaseEvidence> {
    vec![
        CaseEvidence {
            case_id: "lti.tool.core.launch.valid".into(),
            exchanges: vec![exchange(1, false)],
            log: vec![LogLine {
                at_ms: 3,
                text: "built id_token for user u1".into(),
            }],
        },
        CaseEvidence {
            case_id: "lti.tool.core.launch.bad-signature".into(),
            exchanges: vec![exchange(1, true)],
            log: vec![],
        },
        CaseEvidence {
            case_id: "_unattributed".into(),
            exchanges: vec![Exchange {
                direction: Direction::CandidateToMock,
                recorded_by: Some("mock-platform".into()),
                response: None,
                error: Some("connection reset".into()),
                jwts: vec![],
                ..exchange(1, false)
            }],
            log: vec![],
        },
    ]
}

/// A report of `n` cases cycling through every outcome, with evidence.
pub fn big_report(n: usize) -> (Report, Vec<CaseEvidence>) {
    let mut r = sample_report();
    let base = sample_cases();
    r.cases = (0..n)
        .map(|i| {
            let mut c = base[i % base.len()].clone();
            c.id = format!("{}.{i}", c.id);
            c
        })
        .collect();
    r.summary = Summary::of(&r.cases, 0);
    let ev = r
        .cases
        .iter()
        .map(|c| CaseEvidence {
            case_id: c.id.clone(),
            exchanges: vec![exchange(1, false), exchange(2, true)],
            log: vec![],
        })
        .collect();
    (r, ev)
}
