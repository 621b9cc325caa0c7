//! Self-contained HTML report (`report.html`).
//!
//! Why one file with everything inline: the report travels inside an evidence
//! bundle to reviewers who may open it offline, years later, from an archive; it
//! must not fetch anything (no fonts, scripts or styles from the network — a
//! Content-Security-Policy meta tag forbids it outright) and must explain itself
//! to someone who never saw accredit (the legend).
//!
//! Escaping: hand-written rendering with one escape function, [`escape`], applied
//! to every piece of report data (text and attribute values alike; it escapes
//! `& < > " '`), rather than askama templates: the page is mostly loops over the
//! model, and one small, unit-tested function is easier to audit than template
//! escaping modes. Links are only emitted for `http(s)` URLs.
//!
//! The DOM hooks below are a contract with the browser end-to-end test:
//! `#summary .count[data-outcome]`, `details.case#case-<id>[data-outcome]
//! [data-level][data-suite][data-official]` whose first child is its `<summary>`,
//! `.evidence`, `details.exchange > summary`, `.jwt`,
//! `input.filter[data-filter][value]`, `#search` and `#shown-count`.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::model::{
    Body, CaseEvidence, CaseResult, Direction, Exchange, Gate, Header, Level, Outcome, Report,
};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `href` value for a URL, or `None` when it is not http(s) (no `javascript:`).
fn safe_href(url: &str) -> Option<String> {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| escape(url.trim()))
}

fn outcome_explanation(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "The candidate did what the requirement asks.",
        Outcome::Fail => {
            "The candidate violated a MUST requirement (or the check aimed at a MUST failed)."
        }
        Outcome::Warn => {
            "A SHOULD recommendation was violated, or the candidate refused correctly but in the \
             wrong way (for example a 5xx page instead of a 4xx refusal)."
        }
        Outcome::Skip => {
            "The case did not apply or was not selected; the message gives the reason. Counts as \
             a failure in certification mode."
        }
        Outcome::Review => {
            "A human must judge the attached evidence; never counted as a pass. Counts as a \
             failure in certification mode until reviewed."
        }
        Outcome::Error => {
            "The case could not run (candidate unreachable, misconfigured, timed out, or a \
             harness fault). This is not a verdict on conformance."
        }
    }
}

fn direction_label(d: Direction) -> &'static str {
    match d {
        Direction::HarnessToCandidate => "harness → candidate",
        Direction::CandidateToMock => "candidate → mock",
        Direction::HarnessToMock => "harness → mock",
    }
}

const STYLE: &str = r#"
:root{--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#6e7781;--review:#8250df;--error:#bc4c00;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:1rem 1.5rem;line-height:1.45}
h1{font-size:1.6rem;margin:.2rem 0 .6rem}h2{font-size:1.25rem;border-bottom:1px solid var(--line);padding-bottom:.2rem;margin-top:1.6rem}
h4{margin:.9rem 0 .3rem}h5{margin:.7rem 0 .2rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:var(--soft);border:1px solid var(--line);padding:.5rem;overflow:auto;white-space:pre-wrap;word-break:break-all;max-height:30rem;margin:.2rem 0}
table{border-collapse:collapse;margin:.3rem 0;width:100%}th,td{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;vertical-align:top;font-size:.9rem}th{background:var(--soft)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}dl.meta dt{font-weight:600;color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
.banner{padding:.7rem 1rem;border-radius:6px;font-weight:700;font-size:1.2rem;margin:.6rem 0;color:#fff}
.banner.passed{background:var(--pass)}.banner.failed{background:var(--fail)}
.banner.incomplete{background:#fff8c5;color:#4d2d00;border:4px solid var(--error);font-size:1.3rem}
.banner.incomplete ul{font-size:.9rem;font-weight:400;margin:.4rem 0 0;max-height:12rem;overflow:auto}
.badge{display:inline-block;min-width:4.2em;text-align:center;padding:.05rem .4rem;border-radius:1em;color:#fff;font-size:.75rem;font-weight:700;text-transform:uppercase}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.warn{background:var(--warn)}.badge.skip{background:var(--skip)}.badge.review{background:var(--review)}.badge.error{background:var(--error)}
.tag{display:inline-block;border:1px solid var(--line);border-radius:4px;padding:0 .3rem;font-size:.75rem;color:var(--muted)}
.tag.official{border-color:#0969da;color:#0969da}.tag.extension{border-style:dashed}
#summary .counts{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
#summary .counts div{border:1px solid var(--line);border-radius:6px;padding:.3rem .8rem;text-align:center;min-width:5.5rem}
#summary .count{display:block;font-size:1.5rem;font-weight:700}
#filters{position:sticky;top:0;background:var(--bg);border-bottom:1px solid var(--line);padding:.4rem 0;z-index:2}
#filters fieldset{display:inline-block;border:1px solid var(--line);border-radius:6px;margin:.15rem .3rem .15rem 0;padding:.1rem .5rem;vertical-align:top}
#filters legend{font-size:.8rem;color:var(--muted)}#filters label{margin-right:.6rem;font-size:.9rem;white-space:nowrap}
#search{width:18rem;padding:.25rem .4rem}
details.case{border:1px solid var(--line);border-left-width:6px;border-radius:6px;margin:.4rem 0;background:var(--bg)}
details.case[data-outcome=pass]{border-left-color:var(--pass)}details.case[data-outcome=fail]{border-left-color:var(--fail)}details.case[data-outcome=warn]{border-left-color:var(--warn)}
details.case[data-outcome=skip]{border-left-color:var(--skip)}details.case[data-outcome=review]{border-left-color:var(--review)}details.case[data-outcome=error]{border-left-color:var(--error)}
details.case>summary{cursor:pointer;padding:.4rem .6rem;display:flex;gap:.5rem;align-items:baseline;flex-wrap:wrap}
details.case>summary .title{font-weight:600}details.case>summary code{color:var(--muted)}
.case-body{padding:.2rem 1rem .8rem;border-top:1px solid var(--line)}
blockquote.requirement{margin:.4rem 0;padding:.4rem .8rem;border-left:4px solid #0969da;background:#ddf4ff}
p.message{font-weight:600}
details.exchange{border:1px solid var(--line);border-radius:4px;margin:.3rem 0}details.exchange>summary{cursor:pointer;padding:.25rem .5rem;background:var(--soft);font-size:.9rem;word-break:break-all}
.exchange-body{padding:.2rem .6rem .5rem}
.status.ok{color:var(--pass);font-weight:700}.status.bad{color:var(--fail);font-weight:700}.status.none{color:var(--error);font-weight:700}
.truncated{color:var(--error);font-weight:600;font-size:.85rem}
.jwt{display:grid;grid-template-columns:1fr 1fr;gap:.6rem;border:1px dashed var(--review);border-radius:4px;padding:.4rem;margin:.3rem 0}
.muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic}
ul.attention{list-style:none;padding-left:0}ul.attention li{margin:.25rem 0}
@media print{#filters{display:none}details.case{break-inside:avoid}}
"#;

const SCRIPT: &str = r#"
(function () {
  'use strict';
  var cases = Array.prototype.slice.call(document.querySelectorAll('details.case'));
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input.filter'));
  var search = document.getElementById('search');
  var shown = document.getElementById('shown-count');
  var keys = ['outcome', 'level', 'suite', 'official'];
  function apply() {
    var allowed = {};
    boxes.forEach(function (b) {
      var k = b.getAttribute('data-filter');
      allowed[k] = allowed[k] || {};
      if (b.checked) { allowed[k][b.value] = true; }
    });
    var q = search ? search.value.trim().toLowerCase() : '';
    var n = 0;
    cases.forEach(function (c) {
      var ok = keys.every(function (k) {
        return !allowed[k] || allowed[k][c.getAttribute('data-' + k)] === true;
      });
      if (ok && q) { ok = c.getAttribute('data-id').toLowerCase().indexOf(q) !== -1; }
      c.style.display = ok ? '' : 'none';
      if (ok) { n += 1; }
    });
    if (shown) { shown.textContent = String(n); }
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  if (search) { search.addEventListener('input', apply); }
  function setAll(open) {
    cases.forEach(function (c) { if (c.style.display !== 'none') { c.open = open; } });
  }
  var ex = document.getElementById('expand-all');
  var co = document.getElementById('collapse-all');
  if (ex) { ex.addEventListener('click', function () { setAll(true); }); }
  if (co) { co.addEventListener('click', function () { setAll(false); }); }
  function openHash() {
    if (!location.hash) { return; }
    var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el && el.tagName === 'DETAILS') { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openHash);
  apply();
  openHash();
})();
"#;

/// Renders `report.html`.
pub fn render(report: &Report, evidence: &[CaseEvidence]) -> String {
    let mut by_case: HashMap<&str, Vec<&CaseEvidence>> = HashMap::new();
    for ev in evidence {
        by_case.entry(ev.case_id.as_str()).or_default().push(ev);
    }
    let case_ids: BTreeSet<&str> = report.cases.iter().map(|c| c.id.as_str()).collect();

    let mut h = String::with_capacity(64 * 1024 + report.cases.len() * 4096);
    let cand = &report.candidate;
    let mut cand_name = cand.name.clone();
    if let Some(v) = &cand.version {
        cand_name.push(' ');
        cand_name.push_str(v);
    }
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n\
         <title>accredit report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&report.harness.name),
        escape(&report.harness.version),
        escape(&cand_name)
    );

    header(&mut h, report, &cand_name);
    summary(&mut h, report);
    attention(&mut h, report);
    legend(&mut h);
    filters(&mut h, report);

    h.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n");
    if report.cases.is_empty() {
        h.push_str("<p class=\"empty\">No case finished.</p>\n");
    }
    for case in &report.cases {
        let ev = by_case
            .get(case.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        case_html(&mut h, case, ev);
    }
    h.push_str("</section>\n");

    let stray: Vec<&CaseEvidence> = evidence
        .iter()
        .filter(|e| !case_ids.contains(e.case_id.as_str()))
        .collect();
    if !stray.is_empty() {
        h.push_str(
            "<section id=\"unattributed\">\n<h2>Evidence not attributed to a case</h2>\n\
             <p class=\"muted\">Requests the candidate made to the harness's mock servers that \
             could not be tied to a running case (for example retries after the case ended).</p>\n",
        );
        for ev in stray {
            let _ = write!(
                h,
                "<div class=\"evidence\" data-case=\"{}\">\n<h4>{}</h4>\n",
                escape(&ev.case_id),
                escape(&ev.case_id)
            );
            evidence_body(&mut h, ev);
            h.push_str("</div>\n");
        }
        h.push_str("</section>\n");
    }

    let _ = write!(
        h,
        "<footer class=\"muted\"><p>Generated by {} {} · report format {} · this file is \
         self-contained and makes no network requests.</p></footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(&report.harness.name),
        escape(&report.harness.version),
        escape(&report.format_version)
    );
    h
}

fn header(h: &mut String, report: &Report, cand_name: &str) {
    let cand = &report.candidate;
    let _ = write!(
        h,
        "<header id=\"header\">\n<h1>Conformance report: {}</h1>\n<dl class=\"meta\">\n",
        escape(cand_name)
    );
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    row("Candidate", &cand.name);
    if let Some(v) = &cand.version {
        row("Version", v);
    }
    if let Some(v) = &cand.vendor {
        row("Vendor", v);
    }
    if let Some(v) = &cand.description {
        row("Description", v);
    }
    if let Some(v) = &cand.profile {
        row("Profile", v);
    }
    row(
        "Harness",
        &format!("{} {}", report.harness.name, report.harness.version),
    );
    row("Run id", &report.run_id);
    row("Started", &report.started_at);
    row("Finished", &report.finished_at);
    row("Catalog hash", &report.catalog_hash);
    row(
        "Mode",
        if report.certification {
            "certification (skip and review count as failures)"
        } else {
            "development (skip and review allowed)"
        },
    );
    let suites: Vec<String> = report
        .suites
        .iter()
        .map(|s| format!("{} ({}, {} cases)", s.title, s.id, s.cases))
        .collect();
    row("Suites", &suites.join("; "));
    h.push_str("</dl>\n");

    match report.gate() {
        Gate::Incomplete => {
            let _ = write!(
                h,
                "<div id=\"verdict\" class=\"banner incomplete\" role=\"alert\">\
                 ⚠ INCOMPLETE RUN: this report does not cover every selected case and cannot \
                 support certification.{}",
                report
                    .incomplete_reason
                    .as_deref()
                    .map(|r| format!(" Reason: {}.", escape(r)))
                    .unwrap_or_default()
            );
            if !report.not_run.is_empty() {
                let _ = write!(
                    h,
                    "<div>{} case(s) never ran:</div><ul id=\"not-run\">",
                    report.not_run.len()
                );
                for id in &report.not_run {
                    let _ = write!(h, "<li><code>{}</code></li>", escape(id));
                }
                h.push_str("</ul>");
            }
            h.push_str("</div>\n");
        }
        Gate::Failed => h.push_str(
            "<div id=\"verdict\" class=\"banner failed\">FAILED: at least one case failed or could \
             not run (see below).</div>\n",
        ),
        Gate::Passed => h.push_str(
            "<div id=\"verdict\" class=\"banner passed\">PASSED: every finished case passed or \
             only warned.</div>\n",
        ),
    }
    h.push_str("</header>\n");
}

fn summary(h: &mut String, report: &Report) {
    let s = &report.summary;
    h.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"counts\">\n");
    let _ = writeln!(
        h,
        "<div>total<span class=\"count\" data-outcome=\"total\">{}</span></div>",
        s.total
    );
    for o in Outcome::ALL {
        let _ = writeln!(
            h,
            "<div><span class=\"badge {o}\">{o}</span><span class=\"count\" data-outcome=\"{o}\">{}</span></div>",
            s.count(o)
        );
    }
    if s.not_run > 0 || !report.complete {
        let _ = writeln!(
            h,
            "<div>not run<span class=\"count-not-run\">{}</span></div>",
            s.not_run
        );
    }
    h.push_str("</div>\n");

    // Per-suite breakdown, computed from the cases.
    h.push_str("<table class=\"suites\">\n<thead><tr><th>Suite</th><th>Title</th>");
    for o in Outcome::ALL {
        let _ = write!(h, "<th>{o}</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (id, title) in suite_list(report) {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td>",
            escape(id),
            escape(title)
        );
        for o in Outcome::ALL {
            let n = report
                .cases
                .iter()
                .filter(|c| c.suite == id && c.outcome == o)
                .count();
            let _ = write!(h, "<td>{n}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// Suites in run order, then any suite only named by a case.
/// Non-passing cases first, worst first, each linking to its entry: a vendor
/// opening a failed report should not have to scroll through passes to find
/// what to fix.
fn attention(h: &mut String, report: &Report) {
    let mut items: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .collect();
    if items.is_empty() {
        return;
    }
    items.sort_by_key(|c| std::cmp::Reverse(c.outcome.severity()));
    let _ = write!(
        h,
        "<section id=\"attention\">\n<h2>Needs attention ({})</h2>\n<ul class=\"attention\">\n",
        items.len()
    );
    for c in items {
        let _ = writeln!(
            h,
            "<li><span class=\"badge {o}\">{o}</span> <span class=\"level\">{l}</span> \
             <a href=\"#case-{id}\"><code>{id}</code></a> — {m}</li>",
            o = c.outcome,
            l = c.level,
            id = escape(&c.id),
            m = escape(&c.message),
        );
    }
    h.push_str("</ul>\n</section>\n");
}

fn suite_list(report: &Report) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = report
        .suites
        .iter()
        .map(|s| (s.id.as_str(), s.title.as_str()))
        .collect();
    for c in &report.cases {
        if !out.iter().any(|(id, _)| *id == c.suite) {
            out.push((c.suite.as_str(), ""));
        }
    }
    out
}

fn legend(h: &mut String) {
    h.push_str(
        "<section id=\"legend\">\n<h2>How to read this report</h2>\n<p>Each case checks one \
         normative sentence of a 1EdTech specification against the candidate and records the \
         HTTP exchanges it observed as evidence. Outcomes:</p>\n<dl class=\"meta\">\n",
    );
    for o in Outcome::ALL {
        let _ = writeln!(
            h,
            "<dt><span class=\"badge {o}\">{o}</span></dt><dd>{}</dd>",
            escape(outcome_explanation(o))
        );
    }
    h.push_str(
        "</dl>\n<p>Levels follow RFC 2119: <b>MUST</b> is an absolute requirement (violations \
         fail), <b>SHOULD</b> a recommendation (violations warn), <b>MAY</b> optional behaviour \
         checked only when the candidate claims it. <span class=\"tag official\">official</span> \
         cases belong to the 1EdTech certification; <span class=\"tag extension\">extension</span> \
         cases are additional accredit checks. Secrets (tokens, passwords, private keys) were \
         replaced by <code>[redacted]</code> before this file was written. Click a case to see \
         its requirement, checks and evidence.</p>\n</section>\n",
    );
}

fn filters(h: &mut String, report: &Report) {
    h.push_str("<section id=\"filters\">\n<fieldset><legend>Outcome</legend>");
    for o in Outcome::ALL {
        let _ = write!(
            h,
            "<label><input type=\"checkbox\" class=\"filter\" data-filter=\"outcome\" value=\"{o}\" checked> {o}</label>"
        );
    }
    h.push_str("</fieldset>\n<fieldset><legend>Level</legend>");
    for l in [Level::Must, Level::Should, Level::May] {
        let _ = write!(
            h,
            "<label><input type=\"checkbox\" class=\"filter\" data-filter=\"level\" value=\"{l}\" checked> {l}</label>"
        );
    }
    h.push_str("</fieldset>\n<fieldset><legend>Suite</legend>");
    for (id, _) in suite_list(report) {
        let _ = write!(
            h,
            "<label><input type=\"checkbox\" class=\"filter\" data-filter=\"suite\" value=\"{}\" checked> {}</label>",
            escape(id),
            escape(id)
        );
    }
    h.push_str("</fieldset>\n<fieldset><legend>Kind</legend>");
    h.push_str(
        "<label><input type=\"checkbox\" class=\"filter\" data-filter=\"official\" value=\"true\" checked> official</label>\
         <label><input type=\"checkbox\" class=\"filter\" data-filter=\"official\" value=\"false\" checked> extension</label>",
    );
    let _ = write!(
        h,
        "</fieldset>\n<fieldset><legend>Search</legend><input id=\"search\" type=\"search\" \
         placeholder=\"filter by case id\" aria-label=\"filter by case id\"></fieldset>\n\
         <p>Showing <span id=\"shown-count\">{n}</span> of {n} cases. \
         <button type=\"button\" id=\"expand-all\">Expand all</button> \
         <button type=\"button\" id=\"collapse-all\">Collapse all</button></p>\n</section>\n",
        n = report.cases.len()
    );
}

fn case_html(h: &mut String, c: &CaseResult, evidence: &[&CaseEvidence]) {
    let kind = if c.official { "official" } else { "extension" };
    let _ = write!(
        h,
        "<details class=\"case\" id=\"case-{id}\" data-id=\"{id}\" data-outcome=\"{o}\" data-level=\"{l}\" \
         data-suite=\"{s}\" data-official=\"{off}\"><summary><span class=\"badge {o}\">{o}</span> \
         <span class=\"level\">{l}</span> <span class=\"title\">{t}</span> <code class=\"case-id\">{id}</code> \
         <span class=\"tag {kind}\">{kind}</span></summary>\n<div class=\"case-body\">\n",
        id = escape(&c.id),
        o = c.outcome,
        l = c.level,
        s = escape(&c.suite),
        off = c.official,
        t = escape(&c.title),
    );
    let spec_text = format!("{} §{}", c.spec.document, c.spec.section);
    let spec_html = match safe_href(&c.spec.url) {
        Some(href) => format!(
            "<a href=\"{href}\" rel=\"noreferrer noopener\" target=\"_blank\">{}</a>",
            escape(&spec_text)
        ),
        None => escape(&spec_text),
    };
    let _ = write!(
        h,
        "<p class=\"message\">{}</p>\n<blockquote class=\"requirement\" cite=\"{}\">{}</blockquote>\n\
         <dl class=\"meta\">\n<dt>Id</dt><dd><code>{}</code></dd>\n<dt>Outcome</dt><dd><span class=\"badge {o}\">{o}</span> {}</dd>\n\
         <dt>Level</dt><dd>{}</dd>\n<dt>Kind</dt><dd>{kind}</dd>\n<dt>Specification</dt><dd>{spec_html}</dd>\n\
         <dt>Suite / role</dt><dd>{} / {}</dd>\n<dt>Duration</dt><dd>{} ms</dd>\n",
        escape(&c.message),
        safe_href(&c.spec.url).unwrap_or_default(),
        escape(&c.requirement),
        escape(&c.id),
        escape(outcome_explanation(c.outcome)),
        c.level,
        escape(&c.suite),
        escape(&c.role),
        c.duration_ms,
        o = c.outcome,
    );
    if !c.tags.is_empty() {
        let tags: Vec<String> = c
            .tags
            .iter()
            .map(|t| format!("<span class=\"tag\">{}</span>", escape(t)))
            .collect();
        let _ = writeln!(h, "<dt>Tags</dt><dd>{}</dd>", tags.join(" "));
    }
    h.push_str("</dl>\n<h4>Checks</h4>\n");
    if c.checks.is_empty() {
        h.push_str("<p class=\"empty\">No individual checks recorded.</p>\n");
    } else {
        h.push_str(
            "<table class=\"checks\"><thead><tr><th>Check</th><th>Result</th><th>Detail</th></tr></thead><tbody>\n",
        );
        for ch in &c.checks {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><span class=\"badge {o}\">{o}</span></td><td>{}</td></tr>",
                escape(&ch.name),
                escape(&ch.detail),
                o = ch.outcome
            );
        }
        h.push_str("</tbody></table>\n");
    }
    if !c.findings.is_empty() {
        h.push_str(
            "<h4>Findings</h4>\n<table class=\"findings\"><thead><tr><th>Document</th><th>Location</th>\
             <th>Rule</th><th>Result</th><th>Message</th></tr></thead><tbody>\n",
        );
        for f in &c.findings {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><span class=\"badge {o}\">{o}</span></td><td>{}</td></tr>",
                escape(&f.document),
                escape(&f.location),
                escape(&f.rule),
                escape(&f.message),
                o = f.outcome
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("<div class=\"evidence\">\n<h4>Evidence</h4>\n");
    if evidence.is_empty() {
        h.push_str("<p class=\"empty\">No evidence recorded for this case.</p>\n");
    }
    for ev in evidence {
        evidence_body(h, ev);
    }
    h.push_str("</div>\n</div>\n</details>\n");
}

fn evidence_body(h: &mut String, ev: &CaseEvidence) {
    if ev.exchanges.is_empty() {
        h.push_str("<p class=\"empty\">No HTTP exchange recorded.</p>\n");
    }
    for ex in &ev.exchanges {
        exchange_html(h, ex);
    }
    if !ev.log.is_empty() {
        h.push_str("<h5>Case log</h5>\n<pre class=\"log\">");
        for line in &ev.log {
            let _ = writeln!(h, "[{:>6} ms] {}", line.at_ms, escape(&line.text));
        }
        h.push_str("</pre>\n");
    }
}

fn exchange_html(h: &mut String, ex: &Exchange) {
    let status = match (&ex.response, &ex.error) {
        (Some(r), _) => {
            let class = if r.status < 400 { "ok" } else { "bad" };
            format!("<span class=\"status {class}\">{}</span>", r.status)
        }
        (None, Some(_)) => "<span class=\"status none\">no response</span>".to_string(),
        (None, None) => "<span class=\"status none\">—</span>".to_string(),
    };
    let _ = write!(
        h,
        "<details class=\"exchange\" data-seq=\"{seq}\"><summary>#{seq} <span class=\"direction\">{dir}</span> \
         <b class=\"method\">{m}</b> <code class=\"url\">{u}</code> → {status} <span class=\"muted\">{ms} ms</span></summary>\n\
         <div class=\"exchange-body\">\n<p class=\"muted\">Direction: {dir}{rec} · started {start} · took {ms} ms</p>\n",
        seq = ex.seq,
        dir = direction_label(ex.direction),
        m = escape(&ex.request.method),
        u = escape(&ex.request.url),
        ms = ex.duration_ms,
        rec = ex
            .recorded_by
            .as_deref()
            .map(|r| format!(" (recorded by {})", escape(r)))
            .unwrap_or_default(),
        start = escape(&ex.started_at),
    );
    let _ = write!(
        h,
        "<h5>Request</h5>\n<p><b>{}</b> <code>{}</code></p>\n",
        escape(&ex.request.method),
        escape(&ex.request.url)
    );
    headers_html(h, &ex.request.headers);
    body_html(h, &ex.request.body);
    match &ex.response {
        Some(r) => {
            let _ = writeln!(h, "<h5>Response</h5>\n<p>Status <b>{}</b></p>", r.status);
            headers_html(h, &r.headers);
            body_html(h, &r.body);
        }
        None => h.push_str("<h5>Response</h5>\n<p class=\"empty\">No response.</p>\n"),
    }
    if let Some(e) = &ex.error {
        let _ = writeln!(
            h,
            "<p class=\"status none\">Transport error: {}</p>",
            escape(e)
        );
    }
    if !ex.jwts.is_empty() {
        h.push_str("<h5>JWTs</h5>\n");
    }
    for jwt in &ex.jwts {
        let pretty = |v: &serde_json::Value| {
            serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
        };
        let _ = writeln!(
            h,
            "<div class=\"jwt\"><div class=\"jwt-raw\"><p>Found in <code>{}</code> (raw token)</p><pre>{}</pre></div>\
             <div class=\"jwt-decoded\"><p>Header</p><pre class=\"jwt-header\">{}</pre><p>Claims</p><pre class=\"jwt-claims\">{}</pre></div></div>",
            escape(&jwt.found_in),
            escape(&jwt.raw),
            escape(&pretty(&jwt.header)),
            escape(&pretty(&jwt.claims)),
        );
    }
    h.push_str("</div>\n</details>\n");
}

fn headers_html(h: &mut String, headers: &[Header]) {
    if headers.is_empty() {
        h.push_str("<p class=\"empty\">No headers.</p>\n");
        return;
    }
    h.push_str("<table class=\"headers\"><tbody>\n");
    for hd in headers {
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(&hd.name),
            escape(&hd.value)
        );
    }
    h.push_str("</tbody></table>\n");
}

fn body_html(h: &mut String, body: &Body) {
    let (shown, content) = match (&body.text, &body.base64) {
        (Some(t), _) => (t.len() as u64, Some(escape(t))),
        (None, Some(b)) => (
            (b.len() as u64 / 4) * 3,
            Some(format!("(binary body, base64)\n{}", escape(b))),
        ),
        (None, None) => (0, None),
    };
    match content {
        Some(c) => {
            let _ = writeln!(h, "<pre class=\"body\">{c}</pre>");
        }
        None if body.size == 0 => h.push_str("<p class=\"empty\">Empty body.</p>\n"),
        None => {}
    }
    if body.truncated {
        let _ = writeln!(
            h,
            "<p class=\"truncated\">⚠ Body truncated: about {} of {} bytes recorded.</p>",
            shown.min(body.size),
            body.size
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    #[case("a & b", "a &amp; b")]
    #[case("\" onmouseover='x'", "&quot; onmouseover=&#39;x&#39;")]
    #[case("plain é ✓", "plain é ✓")]
    fn escapes(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(escape(input), expected);
    }

    #[rstest]
    #[case("https://www.imsglobal.org/spec#x", true)]
    #[case("HTTP://example.org", true)]
    #[case("javascript:alert(1)", false)]
    #[case("data:text/html,x", false)]
    fn only_http_links(#[case] url: &str, #[case] linked: bool) {
        assert_eq!(safe_href(url).is_some(), linked);
    }
}
