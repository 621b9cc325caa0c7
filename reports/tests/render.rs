//! Renderer tests: snapshots of JUnit, Markdown and HTML for a fixed sample, plus
//! the HTML DOM contract and the JUnit outcome mapping.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use accredit_reports::{Outcome, Report, Summary, html, junit, markdown};
use common::*;
use rstest::rstest;

fn with_filters(f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    // The format version moves with the crate; it is not what these snapshots pin.
    settings.add_filter(r"report format \d+\.\d+\.\d+", "report format [VERSION]");
    settings.bind(f);
}

#[test]
fn junit_snapshot() {
    let xml = junit::render(&sample_report());
    with_filters(|| insta::assert_snapshot!("junit", xml));
}

#[test]
fn junit_incomplete_snapshot() {
    let xml = junit::render(&incomplete_report());
    with_filters(|| insta::assert_snapshot!("junit_incomplete", xml));
}

#[test]
fn markdown_snapshot() {
    let md = markdown::render(&sample_report());
    with_filters(|| insta::assert_snapshot!("markdown", md));
}

#[test]
fn markdown_incomplete_snapshot() {
    let md = markdown::render(&incomplete_report());
    with_filters(|| insta::assert_snapshot!("markdown_incomplete", md));
}

#[test]
fn html_snapshot() {
    let page = html::render(&sample_report(), &sample_evidence());
    with_filters(|| insta::assert_snapshot!("html", page));
}

#[test]
fn junit_is_deterministic_and_uses_report_time() {
    let r = sample_report();
    let a = junit::render(&r);
    assert_eq!(a, junit::render(&r));
    assert!(a.contains("timestamp=\"2026-01-02T03:04:05"), "{a}");
}

#[rstest]
#[case::pass(Outcome::Pass, "", "")]
#[case::warn(Outcome::Warn, "<system-out>WARN: msg</system-out>", "<failure")]
#[case::fail(Outcome::Fail, "<failure message=\"msg\" type=\"MUST\"", "<skipped")]
#[case::error(Outcome::Error, "<error message=\"msg\" type=\"error\"", "<failure")]
#[case::skip(Outcome::Skip, "<skipped message=\"msg\"", "<failure")]
#[case::review(
    Outcome::Review,
    "<skipped message=\"REVIEW: needs human evidence review: msg\"",
    "<failure"
)]
fn junit_outcome_mapping(#[case] outcome: Outcome, #[case] present: &str, #[case] absent: &str) {
    let mut r = sample_report();
    r.cases = vec![case(
        "x.case",
        "lti-tool",
        outcome,
        accredit_reports::Level::Must,
        true,
        "msg",
    )];
    r.summary = Summary::of(&r.cases, 0);
    let xml = junit::render(&r);
    assert!(xml.contains(present), "{xml}");
    if !absent.is_empty() {
        assert!(!xml.contains(absent), "{xml}");
    }
    assert!(
        xml.contains("<testcase name=\"x.case\" classname=\"lti-tool\""),
        "{xml}"
    );
    for prop in ["spec", "spec_url", "level", "official", "outcome"] {
        assert!(
            xml.contains(&format!("<property name=\"{prop}\"")),
            "{prop}: {xml}"
        );
    }
    if outcome == Outcome::Pass {
        assert!(!xml.contains("<failure") && !xml.contains("<error") && !xml.contains("<skipped"));
    }
}

#[test]
fn junit_counts_skips_per_suite() {
    let xml = junit::render(&sample_report());
    // lti-tool: skip + review are skipped, one failure; caliper: one error.
    assert!(
        xml.contains(
            "<testsuite name=\"lti-tool\" tests=\"5\" skipped=\"2\" errors=\"0\" failures=\"1\""
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"caliper-sensor\" tests=\"1\" skipped=\"0\" errors=\"1\" failures=\"0\""),
        "{xml}"
    );
}

#[test]
fn markdown_caps_rows() {
    let (r, _) = big_report(300);
    let md = markdown::render(&r);
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
        .count();
    assert_eq!(rows, markdown::MAX_ROWS);
    assert!(md.contains("... and 200 more"), "{md}");
    assert!(md.starts_with("# accredit: Example Tool 2.3 — FAILED"));
}

#[rstest]
#[case::passed(Report { cases: vec![], summary: Summary::default(), ..sample_report() }, "PASSED")]
#[case::failed(sample_report(), "FAILED")]
#[case::incomplete(incomplete_report(), "INCOMPLETE")]
fn markdown_verdict(#[case] r: Report, #[case] word: &str) {
    assert!(markdown::render(&r).lines().next().unwrap().ends_with(word));
}

#[test]
fn html_dom_contract() {
    let r = sample_report();
    let page = html::render(&r, &sample_evidence());
    let summary_at = page.find("id=\"summary\"").unwrap();
    for (o, n) in [
        ("total", 6),
        ("pass", 1),
        ("fail", 1),
        ("warn", 1),
        ("skip", 1),
        ("review", 1),
        ("error", 1),
    ] {
        let needle = format!("<span class=\"count\" data-outcome=\"{o}\">{n}</span>");
        let at = page
            .find(&needle)
            .unwrap_or_else(|| panic!("missing {needle}"));
        assert!(at > summary_at);
    }
    for c in &r.cases {
        let open = format!(
            "<details class=\"case\" id=\"case-{}\" data-id=\"{}\" data-outcome=\"{}\" data-level=\"{}\" data-suite=\"{}\" data-official=\"{}\"><summary>",
            c.id, c.id, c.outcome, c.level, c.suite, c.official
        );
        assert!(page.contains(&open), "missing {open}");
    }
    for (f, v) in [
        ("outcome", "pass"),
        ("outcome", "review"),
        ("level", "MUST"),
        ("level", "MAY"),
        ("suite", "lti-tool"),
        ("suite", "caliper-sensor"),
        ("official", "true"),
        ("official", "false"),
    ] {
        let needle = format!(
            "<input type=\"checkbox\" class=\"filter\" data-filter=\"{f}\" value=\"{v}\" checked>"
        );
        assert!(page.contains(&needle), "missing {needle}");
    }
    assert!(page.contains("<input id=\"search\" type=\"search\""));
    assert!(page.contains("<span id=\"shown-count\">6</span>"));
    assert!(page.contains("class=\"evidence\""));
    assert!(page.contains("<details class=\"exchange\" data-seq=\"1\"><summary>"));
    assert!(page.contains("<div class=\"jwt\">"));
    assert!(page.contains("Body truncated"));
    assert!(page.contains("&quot;iss&quot;: &quot;https://platform.example&quot;"));
    assert!(page.contains("id=\"legend\""));
    // Unattributed evidence has its own section.
    assert!(page.contains("id=\"unattributed\""));
}

#[test]
fn html_is_self_contained() {
    let page = html::render(&sample_report(), &sample_evidence());
    for bad in [
        "<script src",
        "<link",
        "@import",
        "url(http",
        "fonts.googleapis",
        "<iframe",
        "<img src=\"http",
    ] {
        assert!(!page.contains(bad), "external resource: {bad}");
    }
    assert!(page.contains("Content-Security-Policy"));
}

#[test]
fn html_incomplete_banner_lists_not_run() {
    let page = html::render(&incomplete_report(), &[]);
    assert!(page.contains("class=\"banner incomplete\" role=\"alert\""));
    assert!(page.contains("<code>lti.tool.core.never-ran</code>"));
    assert!(page.contains("interrupted (Ctrl-C)"));
    let complete = html::render(&sample_report(), &[]);
    assert!(!complete.contains("banner incomplete"));
}

#[test]
fn html_escapes_hostile_content() {
    let mut r = sample_report();
    r.candidate.name = "<script>alert('x')</script>".into();
    r.cases[0].message = "\"><img src=x onerror=alert(1)>".into();
    r.cases[0].spec.url = "javascript:alert(1)".into();
    r.cases[0].id = "evil\"id".into();
    let mut ev = sample_evidence();
    ev[0].case_id = "evil\"id".into();
    ev[0].exchanges[0].response.as_mut().unwrap().body.text =
        Some("</pre><script>alert(2)</script>".into());
    let page = html::render(&r, &ev);
    assert!(!page.contains("<script>alert"), "unescaped script");
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("href=\"javascript:"));
    assert!(page.contains("id=\"case-evil&quot;id\""));
    assert!(page.contains("&lt;/pre&gt;&lt;script&gt;alert(2)"));
}
