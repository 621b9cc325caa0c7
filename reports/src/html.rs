//! Self-contained HTML report. (Skeleton.)
use crate::model::{CaseEvidence, Report};

/// Renders `report.html`.
pub fn render(report: &Report, evidence: &[CaseEvidence]) -> String {
    let _ = (report, evidence);
    String::new()
}
