//! The `caliper` suite: every rule is a case over one fixture, the validation
//! of all inputs done once in `start()`.
//!
//! Why validate once: the rules share one walk of each document, so each case
//! just selects the findings of its rule; running 20 cases costs one parse.

use std::collections::HashMap;
use std::path::Path;

use futures::future::BoxFuture;

use accredit_core::{
    Case, CaseCx, CaseMeta, CaseTable, SchemaFile, Suite, SuiteError, SuiteKind, SuiteRun,
    SuiteStart, Verdict,
};

use crate::context::Contexts;
use crate::input::validate_inputs;
use crate::rules::{Scope, rules};
use crate::validate::Validation;

/// Reason given by the context rules when no schema directory was given.
pub const NO_SCHEMA_DIR: &str = "no schema directory (--schemas / ACCREDIT_SCHEMA_DIR)";

/// The Caliper artifact suite (`accredit validate caliper FILE|DIR|-`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CaliperSuite;

/// Whether the contexts could be used.
#[derive(Debug)]
pub enum ContextState {
    /// No schema directory was given.
    NotGiven,
    /// Loaded.
    Loaded(Box<Contexts>),
    /// Given, but the contexts could not be loaded.
    Failed(String),
}

impl ContextState {
    /// Loads the contexts from `schema_dir`, if any.
    pub fn load(schema_dir: Option<&Path>) -> ContextState {
        match schema_dir.map(Contexts::load) {
            None => ContextState::NotGiven,
            Some(Ok(c)) => ContextState::Loaded(Box::new(c)),
            Some(Err(e)) => ContextState::Failed(e.to_string()),
        }
    }

    /// The contexts, when loaded.
    pub fn contexts(&self) -> Option<&Contexts> {
        match self {
            ContextState::Loaded(c) => Some(c),
            _ => None,
        }
    }
}

/// Everything the cases need: the validation of all inputs.
#[derive(Debug)]
pub struct Fixture {
    /// Findings and applied rules over every input.
    pub validation: Validation,
    /// The contexts' state.
    pub contexts: ContextState,
    scopes: HashMap<&'static str, Scope>,
}

impl Fixture {
    /// Validates `inputs` (schema directory optional).
    pub fn prepare(
        inputs: &[std::path::PathBuf],
        schema_dir: Option<&Path>,
    ) -> Result<Fixture, SuiteError> {
        let contexts = ContextState::load(schema_dir);
        let validation = validate_inputs(inputs, contexts.contexts())
            .map_err(|e| SuiteError::Usage(e.to_string()))?;
        Ok(Fixture {
            validation,
            contexts,
            scopes: rules().into_iter().map(|r| (r.meta.id, r.scope)).collect(),
        })
    }

    /// The verdict of rule `id`: fail/warn with its findings, pass when it
    /// applied and found nothing, skip when it had nothing to judge.
    pub fn verdict(&self, id: &str) -> Verdict {
        let scope = self.scopes.get(id).copied();
        if scope == Some(Scope::Context) {
            match &self.contexts {
                ContextState::NotGiven => return Verdict::skip(NO_SCHEMA_DIR),
                ContextState::Failed(why) => return Verdict::error(why.clone()),
                ContextState::Loaded(_) => {}
            }
        }
        self.validation.verdict(
            id,
            scope.map_or("the rule did not apply", Scope::skip_reason),
        )
    }
}

fn run_rule<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move { fx.verdict(cx.meta.id) })
}

fn cases() -> Vec<Case<Fixture>> {
    rules()
        .into_iter()
        .map(|r| Case {
            meta: r.meta,
            run: run_rule,
        })
        .collect()
}

impl Suite for CaliperSuite {
    fn id(&self) -> &'static str {
        "caliper"
    }

    fn title(&self) -> &'static str {
        "Caliper Analytics 1.1/1.2: event and envelope validation"
    }

    fn kind(&self) -> SuiteKind {
        SuiteKind::Artifact
    }

    fn catalog(&self) -> Vec<CaseMeta> {
        rules().into_iter().map(|r| r.meta).collect()
    }

    fn profile_template(&self) -> String {
        "# The `caliper` suite has no profile: it validates documents.\n\
         # Run `accredit validate caliper FILE|DIR|-` (envelopes, events, entities,\n\
         # JSON arrays or NDJSON streams); add `--schemas DIR` (or ACCREDIT_SCHEMA_DIR)\n\
         # pointing at the official schemas to enable the JSON-LD context term checks.\n"
            .to_string()
    }

    fn start<'a>(
        &'a self,
        start: SuiteStart<'a>,
    ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>> {
        Box::pin(async move {
            // Validation is CPU-bound: keep it off the async workers.
            let inputs = start.inputs.to_vec();
            let schema_dir = start.schema_dir.map(Path::to_path_buf);
            let fixture = tokio::task::spawn_blocking(move || {
                Fixture::prepare(&inputs, schema_dir.as_deref())
            })
            .await
            .map_err(|e| SuiteError::Harness(format!("validation task failed: {e}")))??;
            let run: Box<dyn SuiteRun> = Box::new(CaseTable::new(fixture, &cases()));
            Ok(run)
        })
    }
    fn schema_files(&self) -> Vec<SchemaFile> {
        SCHEMA_FILES.to_vec()
    }
}

/// The official JSON-LD contexts the term rules read, with the publisher's URL
/// and the SHA-256 of the published bytes (`accredit schemas fetch` checks it).
pub const SCHEMA_FILES: &[SchemaFile] = &[
    SchemaFile {
        path: "caliper/contexts/v1p2/caliper-v1p2.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p2",
        sha256: "8a78d3d0d380e80c03c7507d1e6d0113d8ab2aa2f772f3e1c8442d958d40837d",
    },
    SchemaFile {
        path: "caliper/contexts/v1p1/caliper-v1p1.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p1",
        sha256: "7be13a69cd65442f3a7bef4854f692e0965083988faa51d9697f812ce8e7ece6",
    },
    SchemaFile {
        path: "caliper/contexts/v1p1/caliper-v1p1-feedbackprofile-extension.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p1/FeedbackProfile-extension",
        sha256: "8c42b81dda367f787c0ee7137fdc7e9dcb7dbd392a13fc6d803c23cd9d18ff40",
    },
    SchemaFile {
        path: "caliper/contexts/v1p1/caliper-v1p1-resourcemanagementprofile-extension.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p1/ResourceManagementProfile-extension",
        sha256: "68cbc176618465664856546bd9182e2380f4adc467d4ed0f55601075a83d6cda",
    },
    SchemaFile {
        path: "caliper/contexts/v1p1/caliper-v1p1-searchprofile-extension.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p1/SearchProfile-extension",
        sha256: "a5a35bc5f0d200e61961d99a1609dc6ec22b156a08e7ccbe49588637579ca502",
    },
    SchemaFile {
        path: "caliper/contexts/v1p1/caliper-v1p1-surveyprofile-extension.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p1/SurveyProfile-extension",
        sha256: "40e98074b31c9c3693b08b5659043d362006354e55dafe4a04efeac19a887c40",
    },
    SchemaFile {
        path: "caliper/contexts/v1p1/caliper-v1p1-toollaunchprofile-extension.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p1/ToolLaunchProfile-extension",
        sha256: "50a68d76bb8b856ffc6a6467d2c7012df5150b420f556402e54ce7e7ddeb4f56",
    },
    SchemaFile {
        path: "caliper/contexts/v1p1/caliper-v1p1-tooluseprofile-extension.jsonld",
        url: "http://purl.imsglobal.org/ctx/caliper/v1p1/ToolUseProfile-extension",
        sha256: "f0d0b4bd537725ea028b0ddcb0ab8284a336dc72149e45a49df9b1bc16287b08",
    },
];
