//! Caliper Analytics 1.1 and 1.2: three suites in one crate.
//!
//! - `caliper` ([`CaliperSuite`], artifact): validation of documents (envelopes,
//!   events, entities, JSON arrays of them, NDJSON streams).
//! - `caliper-sensor` ([`CaliperSensorSuite`], live): the harness plays the
//!   endpoint (`accredit_mock_platform::caliper`) and certifies a sensor: HTTP
//!   transport (§5.4), every envelope through the same validator, and the
//!   certification guide's per-profile coverage.
//! - `caliper-endpoint` ([`CaliperEndpointSuite`], live): the harness plays a
//!   sensor and checks an endpoint's responses (§6).
//!
//! Layout: [`vocab`] holds the native tables (event type × allowed actions,
//! entity types, profiles) because the IMS JSON schemas are too weak to certify
//! with; [`formats`] the lexical checks; [`context`] loads the official JSON-LD
//! contexts from the user's schema directory for the term rules; [`validate`] is
//! the pure validator ([`validate_value`]); [`input`] reads files, directories and
//! standard input; [`rules`] is the catalog (one case per rule); [`suite`] wires it
//! into the harness as [`CaliperSuite`]. [`sensor`], [`coverage`] and [`endpoint`]
//! are the live suites; [`demo`] has what the CLI's demo needs (profile text,
//! token files, envelopes): pair [`sensor_demo_profile`] with
//! `accredit_mock_tool::caliper::start_reference_sensor_for_demo`, and
//! [`endpoint_demo_profile`] with
//! `accredit_mock_platform::caliper::start_reference_endpoint_for_demo`.

pub mod context;
pub mod coverage;
pub mod demo;
pub mod endpoint;
pub mod formats;
pub mod input;
pub mod model;
pub mod rules;
mod sample;
pub mod sensor;
pub mod suite;
pub mod validate;
pub mod vocab;

pub use context::Contexts;
pub use demo::{generate_token, valid_envelope, write_token_file};
pub use endpoint::{CaliperEndpointSuite, ENDPOINT_SUITE_ID, endpoint_demo_profile};
pub use input::{MAX_INPUT_BYTES, validate_bytes, validate_inputs};
pub use sample::sample_envelope;
pub use sensor::{CaliperSensorSuite, SENSOR_SUITE_ID, sensor_demo_profile};
pub use suite::{CaliperSuite, Fixture, NO_SCHEMA_DIR};
pub use validate::{Validation, validate_value};
