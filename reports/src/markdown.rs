//! Markdown summary (`summary.md`) for CI job summaries (GitHub's
//! `$GITHUB_STEP_SUMMARY`, GitLab MR notes).
//!
//! Deliberately short: a job summary is read at a glance, and GitHub caps its
//! size. It gives the verdict, the counts and the cases that need attention
//! (worst first, capped at [`MAX_ROWS`]); the HTML report holds the rest.
//! Everything user-controlled is escaped so that a message cannot break the
//! table or inject markup.

use crate::model::{Gate, Outcome, Report};

/// Maximum number of non-passing cases listed.
pub const MAX_ROWS: usize = 50;

/// The overall verdict word for a report.
pub fn verdict(report: &Report) -> &'static str {
    match report.gate() {
        Gate::Passed => "PASSED",
        Gate::Failed => "FAILED",
        Gate::Incomplete => "INCOMPLETE",
    }
}

/// Escapes text for a Markdown table cell: pipes, markup characters, HTML and
/// line breaks.
pub fn escape_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

fn outcome_icon(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅",
        Outcome::Fail => "❌",
        Outcome::Warn => "⚠️",
        Outcome::Skip => "⏭️",
        Outcome::Review => "👀",
        Outcome::Error => "💥",
    }
}

/// Renders `summary.md`.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut candidate = report.candidate.name.clone();
    if let Some(v) = &report.candidate.version {
        candidate.push(' ');
        candidate.push_str(v);
    }
    out.push_str(&format!(
        "# accredit: {} — {}\n\n",
        escape_cell(&candidate),
        verdict(report)
    ));
    out.push_str(&format!(
        "Run `{}` · {} {} · {} → {}{}\n\n",
        report.run_id.replace('`', "'"),
        escape_cell(&report.harness.name),
        escape_cell(&report.harness.version),
        escape_cell(&report.started_at),
        escape_cell(&report.finished_at),
        if report.certification {
            " · certification mode (skip and review count as failures)"
        } else {
            ""
        }
    ));
    if !report.complete {
        out.push_str(&format!(
            "> [!WARNING]\n> **Run incomplete**: {} selected case(s) never ran{}.\n\n",
            report.not_run.len().max(report.summary.not_run),
            report
                .incomplete_reason
                .as_deref()
                .map(|r| format!(" ({})", escape_cell(r)))
                .unwrap_or_default()
        ));
    }

    let s = &report.summary;
    out.push_str("| total | pass | fail | warn | skip | review | error | not run |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n\n",
        s.total, s.pass, s.fail, s.warn, s.skip, s.review, s.error, s.not_run
    ));

    let mut bad: Vec<_> = report
        .cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.outcome != Outcome::Pass)
        .collect();
    // Worst first, then report order.
    bad.sort_by_key(|(i, c)| (std::cmp::Reverse(c.outcome.severity()), *i));
    if bad.is_empty() {
        out.push_str("Every finished case passed.\n");
        return out;
    }
    out.push_str("## Cases needing attention\n\n");
    out.push_str("| outcome | case | level | message | spec |\n");
    out.push_str("|---|---|---|---|---|\n");
    for (_, c) in bad.iter().take(MAX_ROWS) {
        let spec = format!("{} §{}", c.spec.document, c.spec.section);
        let spec_cell = if c.spec.url.starts_with("https://") || c.spec.url.starts_with("http://") {
            format!(
                "[{}]({})",
                escape_cell(&spec),
                c.spec
                    .url
                    .replace(' ', "%20")
                    .replace(')', "%29")
                    .replace('|', "%7C")
            )
        } else {
            escape_cell(&spec)
        };
        out.push_str(&format!(
            "| {} {} | `{}` | {} | {} | {} |\n",
            outcome_icon(c.outcome),
            c.outcome,
            c.id.replace('`', "'").replace('|', "\\|"),
            c.level,
            escape_cell(&c.message),
            spec_cell
        ));
    }
    if bad.len() > MAX_ROWS {
        out.push_str(&format!(
            "\n... and {} more (see report.html)\n",
            bad.len() - MAX_ROWS
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("a|b", "a\\|b")]
    #[case("line1\nline2", "line1<br>line2")]
    #[case("<script>", "&lt;script&gt;")]
    #[case("*bold* [x](y)", "\\*bold\\* \\[x\\](y)")]
    fn cells_are_escaped(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(escape_cell(input), expected);
    }
}
