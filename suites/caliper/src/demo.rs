//! What the CLI's `demo` (and the self-tests) need to run the live Caliper
//! suites against the reference mocks: profile text, token files, and the
//! envelopes the endpoint suite sends.
//!
//! Why token files: profiles hold secret *references* only, and the demo cannot
//! set environment variables safely in a multi-threaded process, so it writes
//! the generated token to a file and refers to it as `file:PATH`.

use std::path::Path;

use serde_json::{Value, json};

use crate::vocab::{CONTEXT_V1P1, CONTEXT_V1P2};

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A fresh random bearer token.
pub fn generate_token() -> String {
    format!("accredit-{}", uuid::Uuid::new_v4().simple())
}

/// Writes `token` to `dir/name` (owner-only where the platform allows) and
/// returns the profile reference `file:<path>`.
pub fn write_token_file(dir: &Path, name: &str, token: &str) -> std::io::Result<String> {
    let path = dir.join(name);
    std::fs::write(&path, token)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(format!("file:{}", path.display()))
}

/// `YYYY-MM-DDTHH:mm:ss.SSSZ` for now.
pub fn now_caliper() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// A valid envelope for `data_version` (the 1.1 or 1.2 context IRI) with two
/// fresh events, written for accredit.
pub fn valid_envelope(data_version: &str) -> Value {
    let v1p2 = data_version != CONTEXT_V1P1;
    let ctx = if v1p2 { CONTEXT_V1P2 } else { CONTEXT_V1P1 };
    let now = now_caliper();
    let learner = "https://lms.northwind.example/people/ada-7";
    let mut login = json!({
        "@context": ctx,
        "id": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "type": "SessionEvent",
        "actor": {"id": learner, "type": "Person"},
        "action": "LoggedIn",
        "object": {"id": "https://lms.northwind.example", "type": "SoftwareApplication"},
        "eventTime": now,
    });
    let mut view = json!({
        "@context": ctx,
        "id": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "type": "ViewEvent",
        "actor": learner,
        "action": "Viewed",
        "object": {"id": "https://lms.northwind.example/library/cell-biology.pdf", "type": "Document"},
        "eventTime": now,
    });
    if v1p2 {
        login["profile"] = json!("SessionProfile");
        view["profile"] = json!("ReadingProfile");
    }
    json!({
        "sensor": "https://lms.northwind.example/sensors/accredit-harness",
        "sendTime": now,
        "dataVersion": ctx,
        "data": [login, view],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_escape() {
        assert_eq!(toml_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }

    #[test]
    fn valid_envelopes_pass_the_validator_in_both_versions() {
        for v in [CONTEXT_V1P1, CONTEXT_V1P2] {
            let r = crate::validate_value("e", &valid_envelope(v), None);
            assert!(r.findings.is_empty(), "{v}: {:?}", r.findings);
        }
    }
}
