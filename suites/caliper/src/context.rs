//! The official Caliper JSON-LD contexts, loaded from the user's schema directory.
//!
//! Why load them instead of embedding them: they belong to 1EdTech and the user
//! points `accredit` at the copy they trust (`--schemas DIR`). They are the only
//! machine-readable statement of which terms exist and how each property's value
//! is coerced (`@id`, `@vocab`, `xsd:*`, `@list`), which drives the
//! `caliper.term.*` rules.
//!
//! Layout (the IMS repository's `contexts/` folder): `caliper/contexts/v1p2/caliper-v1p2.jsonld`,
//! `caliper/contexts/v1p1/caliper-v1p1.jsonld` plus the 1.1 profile extensions
//! `caliper-v1p1-<profile>-extension.jsonld`. The context IRI
//! `http://purl.imsglobal.org/ctx/caliper/v1p2` maps to the first; `.../v1p1` and
//! `.../v1p1/<Profile>-extension` map to the union of the 1.1 files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::vocab::Version;

/// How a term's value is coerced by the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coercion {
    /// No coercion: a class, an enumeration value, or an untyped property.
    None,
    /// `@type: @id`: an IRI string or a node object.
    Id,
    /// `@type: @vocab`: a term of the context.
    Vocab,
    /// `@type: xsd:<name>`: a literal of that datatype.
    Xsd(String),
}

/// One term definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermDef {
    /// Value coercion.
    pub coercion: Coercion,
    /// `@container: @list` or `@set`: the value is an array.
    pub list: bool,
}

/// The terms one Caliper version defines.
#[derive(Debug, Clone, Default)]
pub struct TermTable {
    terms: HashMap<String, TermDef>,
}

impl TermTable {
    /// The definition of `term`.
    pub fn get(&self, term: &str) -> Option<&TermDef> {
        self.terms.get(term)
    }

    /// Whether `term` is defined.
    pub fn defines(&self, term: &str) -> bool {
        self.terms.contains_key(term)
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term is defined.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Adds the term definitions of a context object.
    pub fn merge_object(&mut self, ctx: &Map<String, Value>) {
        for (k, v) in ctx {
            self.terms.insert(k.clone(), term_def(v));
        }
    }
}

fn term_def(v: &Value) -> TermDef {
    let Value::Object(o) = v else {
        return TermDef {
            coercion: Coercion::None,
            list: false,
        };
    };
    let coercion = match o.get("@type").and_then(Value::as_str) {
        Some("@id") => Coercion::Id,
        Some("@vocab") => Coercion::Vocab,
        Some(t) => match t.strip_prefix("xsd:") {
            Some(x) => Coercion::Xsd(x.to_string()),
            None => Coercion::None,
        },
        None => Coercion::None,
    };
    let list = matches!(
        o.get("@container").and_then(Value::as_str),
        Some("@list" | "@set")
    );
    TermDef { coercion, list }
}

/// The loaded contexts of both versions.
#[derive(Debug, Clone)]
pub struct Contexts {
    v1p1: TermTable,
    v1p2: TermTable,
    /// The directory the contexts were read from.
    pub dir: PathBuf,
}

/// Why the contexts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A context file is missing or unreadable.
    #[error("cannot read the Caliper context {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A context file is not JSON or has no `@context` object.
    #[error("{path} is not a JSON-LD context: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Contexts {
    /// Loads the contexts from `schema_dir` (the directory holding `caliper/`, or
    /// the `caliper/` directory itself).
    pub fn load(schema_dir: &Path) -> Result<Contexts, ContextError> {
        let nested = schema_dir.join("caliper").join("contexts");
        let dir = if nested.is_dir() {
            nested
        } else {
            schema_dir.join("contexts")
        };
        let v1p2 = load_files(&[dir.join("v1p2").join("caliper-v1p2.jsonld")])?;
        let v1p1 = load_files(&v1p1_files(&dir.join("v1p1")))?;
        Ok(Contexts { v1p1, v1p2, dir })
    }

    /// The terms of `version`.
    pub fn terms(&self, version: Version) -> &TermTable {
        match version {
            Version::V1p1 => &self.v1p1,
            Version::V1p2 => &self.v1p2,
        }
    }
}

/// The 1.1 base context first, then every profile extension, sorted.
fn v1p1_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![dir.join("caliper-v1p1.jsonld")];
    let mut ext: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.starts_with("caliper-v1p1-") && n.ends_with("-extension.jsonld")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    ext.sort();
    files.extend(ext);
    files
}

fn load_files(files: &[PathBuf]) -> Result<TermTable, ContextError> {
    let mut table = TermTable::default();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| ContextError::Read {
            path: path.clone(),
            source,
        })?;
        let invalid = |reason: String| ContextError::Invalid {
            path: path.clone(),
            reason,
        };
        let doc: Value = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let objects = context_objects(doc.get("@context"));
        if objects.is_empty() {
            return Err(invalid("no `@context` object".into()));
        }
        for o in objects {
            table.merge_object(o);
        }
    }
    Ok(table)
}

/// The inline context objects of an `@context` value (an object, or the objects
/// of an array); remote IRIs are not included.
pub fn context_objects(ctx: Option<&Value>) -> Vec<&Map<String, Value>> {
    match ctx {
        Some(Value::Object(o)) => vec![o],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}
