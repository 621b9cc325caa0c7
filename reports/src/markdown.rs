//! Markdown summary for CI job summaries. (Skeleton.)
use crate::model::Report;

/// Renders `summary.md`.
pub fn render(report: &Report) -> String {
    let _ = report;
    String::new()
}
