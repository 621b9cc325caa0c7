//! OAuth 1.0a request signing (RFC 5849), the harness's side of the
//! OneRoster 1.1 security binding.
//!
//! The implementation moved to [`accredit_core::oauth1`] so the reference
//! consumer of `mock-tool` (which may not depend on a suite) and the
//! `oneroster-consumer` suite share it; this module re-exports it so the
//! provider suite's paths stay as they were.

pub use accredit_core::oauth1::*;
