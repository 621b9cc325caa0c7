//! The `caliper` suite: validation of Caliper Analytics 1.1 and 1.2 documents
//! (envelopes, events, entities, JSON arrays of them, NDJSON streams).
//!
//! Layout: [`vocab`] holds the native tables (event type × allowed actions,
//! entity types, profiles) because the IMS JSON schemas are too weak to certify
//! with; [`formats`] the lexical checks; [`context`] loads the official JSON-LD
//! contexts from the user's schema directory for the term rules; [`validate`] is
//! the pure validator ([`validate_value`]); [`input`] reads files, directories and
//! standard input; [`rules`] is the catalog (one case per rule); [`suite`] wires it
//! into the harness as [`CaliperSuite`].

pub mod context;
pub mod formats;
pub mod input;
pub mod model;
pub mod rules;
mod sample;
pub mod suite;
pub mod validate;
pub mod vocab;

pub use context::Contexts;
pub use input::{MAX_INPUT_BYTES, validate_bytes, validate_inputs};
pub use sample::sample_envelope;
pub use suite::{CaliperSuite, Fixture, NO_SCHEMA_DIR};
pub use validate::{Validation, validate_value};
