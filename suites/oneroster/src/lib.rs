//! The `oneroster-csv` suite: validation of OneRoster 1.1 and 1.2 CSV bundles
//! (`accredit validate oneroster-csv BUNDLE.zip|DIR`).
//!
//! Complete for 1.1 and 1.2, bulk and delta: manifest semantics, exact headers,
//! required fields, value formats, enumerations, the bulk/delta lifecycle,
//! unique sourcedIds and referential integrity, streamed so memory grows with
//! the number of ids, not with file size.
//! Layout: [`tables`] holds the binding's files and headers per version,
//! [`columns`] each column's type; [`csv`] a strict streaming RFC 4180 reader
//! that locates violations; [`package`] opens a zip or directory under size and
//! path-safety limits; [`validate`] the checks; [`rules`] the catalog;
//! [`generate`] a deterministic bundle generator (`accredit generate
//! oneroster`) and [`mutate`] its one-defect mutator; [`OneRosterCsvSuite`]
//! wires it into the harness.

pub mod columns;
pub mod consumer;
pub mod csv;
pub mod generate;
pub mod mutate;
pub mod package;
pub mod rest;
pub mod rules;
pub mod sample;
pub mod tables;
pub mod validate;

use std::collections::HashMap;
use std::path::PathBuf;

use futures::future::BoxFuture;

use accredit_core::{
    Case, CaseCx, CaseMeta, CaseTable, Suite, SuiteError, SuiteKind, SuiteRun, SuiteStart, Verdict,
};

pub use consumer::{
    CONSUMER_SUITE_ID, ConsumerProfile, OneRosterConsumerSuite, ReferenceConsumer,
    consumer_demo_profile, start_reference_consumer, start_reference_consumer_for,
};
pub use generate::{
    Config as GenerateConfig, GenerateError, Summary as GenerateSummary, generate_dir,
    generate_files, generate_zip,
};
pub use mutate::Defect;
pub use package::{Limits, Package};
pub use rest::{
    OneRosterProviderSuite, ProviderProfile, ReferenceSis, TokenAuth, provider_demo_profile,
    start_reference_sis,
};
pub use sample::{sample_files, write_sample_bundle};
pub use validate::{Validation, validate_package};

use rules::{Scope, rules};

/// Reads and validates every bundle in `inputs`.
pub fn validate_bundles(inputs: &[PathBuf], limits: &Limits) -> Result<Validation, SuiteError> {
    if inputs.is_empty() {
        return Err(SuiteError::Usage(
            "no input: give one or more bundles (.zip or directory)".into(),
        ));
    }
    let mut out = Validation::default();
    for path in inputs {
        if !path.exists() {
            return Err(SuiteError::Usage(format!(
                "input {} does not exist",
                path.display()
            )));
        }
        validate::validate_path(path, limits, &mut out);
    }
    Ok(out)
}

/// The validation of all inputs, shared by the cases.
#[derive(Debug)]
pub struct Fixture {
    /// Findings and applied rules.
    pub validation: Validation,
    scopes: HashMap<&'static str, Scope>,
}

impl Fixture {
    /// Validates `inputs` with `limits`.
    pub fn prepare(inputs: &[PathBuf], limits: &Limits) -> Result<Fixture, SuiteError> {
        Ok(Fixture {
            validation: validate_bundles(inputs, limits)?,
            scopes: rules().into_iter().map(|r| (r.meta.id, r.scope)).collect(),
        })
    }

    /// The verdict of rule `id`: its findings, else pass if it applied, else skip.
    pub fn verdict(&self, id: &str) -> Verdict {
        let scope = self.scopes.get(id).copied();
        self.validation.verdict(
            id,
            scope.map_or("the rule did not apply", Scope::skip_reason),
        )
    }
}

fn run_rule<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move { fx.verdict(cx.meta.id) })
}

/// The OneRoster CSV artifact suite.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneRosterCsvSuite;

impl Suite for OneRosterCsvSuite {
    fn id(&self) -> &'static str {
        "oneroster-csv"
    }

    fn title(&self) -> &'static str {
        "OneRoster 1.1/1.2 CSV bundles: manifest, headers, values, lifecycle and references"
    }

    fn kind(&self) -> SuiteKind {
        SuiteKind::Artifact
    }

    fn catalog(&self) -> Vec<CaseMeta> {
        rules().into_iter().map(|r| r.meta).collect()
    }

    fn profile_template(&self) -> String {
        "# The `oneroster-csv` suite has no profile: it validates bundles.\n\
         # Run `accredit validate oneroster-csv BUNDLE.zip|DIR` (one or more).\n"
            .to_string()
    }

    fn start<'a>(
        &'a self,
        start: SuiteStart<'a>,
    ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>> {
        Box::pin(async move {
            // Validation is CPU-bound (seconds for a large bundle): keep it off
            // the async workers so timers and Ctrl-C stay responsive.
            let inputs = start.inputs.to_vec();
            let fixture =
                tokio::task::spawn_blocking(move || Fixture::prepare(&inputs, &Limits::default()))
                    .await
                    .map_err(|e| {
                        SuiteError::Harness(format!("bundle validation task failed: {e}"))
                    })??;
            let cases: Vec<Case<Fixture>> = rules()
                .into_iter()
                .map(|r| Case {
                    meta: r.meta,
                    run: run_rule,
                })
                .collect();
            let run: Box<dyn SuiteRun> = Box::new(CaseTable::new(fixture, &cases));
            Ok(run)
        })
    }
}
