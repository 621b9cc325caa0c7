//! Progress output: a bar on a terminal, one line per case otherwise (CI logs).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use accredit_core::runner::Progress;
use accredit_reports::{CaseResult, Outcome};

/// Picks the right progress display for stderr.
pub fn for_terminal(quiet: bool) -> Box<dyn Progress> {
    if quiet {
        return Box::new(accredit_core::runner::NoProgress);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if std::io::stderr().is_terminal() && !ci {
        Box::new(Bar {
            bar: Mutex::new(None),
        })
    } else {
        Box::new(Lines)
    }
}

fn label(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "PASS  ",
        Outcome::Fail => "FAIL  ",
        Outcome::Warn => "WARN  ",
        Outcome::Skip => "SKIP  ",
        Outcome::Review => "REVIEW",
        Outcome::Error => "ERROR ",
    }
}

/// One line per finished case.
struct Lines;

impl Progress for Lines {
    fn start(&self, total: usize) {
        eprintln!("running {total} cases");
    }
    fn case_finished(&self, r: &CaseResult) {
        if r.outcome == Outcome::Pass {
            eprintln!("{} {} ({} ms)", label(r.outcome), r.id, r.duration_ms);
        } else {
            eprintln!(
                "{} {} ({} ms): {}",
                label(r.outcome),
                r.id,
                r.duration_ms,
                r.message
            );
        }
    }
    fn finish(&self) {}
}

/// An indicatif bar; non-passing cases are printed above it as they finish.
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
        {
            bar.set_style(style);
        }
        if let Ok(mut g) = self.bar.lock() {
            *g = Some(bar);
        }
    }
    fn case_finished(&self, r: &CaseResult) {
        if let Ok(g) = self.bar.lock()
            && let Some(bar) = g.as_ref()
        {
            if r.outcome != Outcome::Pass {
                bar.println(format!("{} {}: {}", label(r.outcome), r.id, r.message));
            }
            bar.set_message(r.id.clone());
            bar.inc(1);
        }
    }
    fn finish(&self) {
        if let Ok(g) = self.bar.lock()
            && let Some(bar) = g.as_ref()
        {
            bar.finish_and_clear();
        }
    }
}
