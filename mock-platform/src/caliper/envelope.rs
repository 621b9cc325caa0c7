//! The minimal envelope checks a Caliper endpoint makes before it accepts a
//! message (Caliper 1.2 §6.1): JSON, an envelope with exactly `sensor`,
//! `sendTime`, `dataVersion` and `data` of the right shapes, and a supported
//! `dataVersion`.
//!
//! Why minimal and local: an endpoint does not certify its sensors' events (that
//! is the `caliper-sensor` suite's job), and a mock depends on the core only, never
//! on a suite crate. These checks decide between 400 and 422; they are not the
//! validator.

use serde_json::{Map, Value};

/// The four envelope properties (Caliper 1.2 §5.2).
pub const ENVELOPE_KEYS: [&str; 4] = ["sensor", "sendTime", "dataVersion", "data"];

/// Why a message cannot be accepted, from the body alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not JSON (or not UTF-8, or nested too deeply).
    NotJson(String),
    /// JSON, but no enclosing envelope (an event posted bare, an array...).
    NoEnvelope(String),
    /// An envelope with missing, extra or ill-typed properties.
    Malformed(String),
    /// A well-formed envelope whose `dataVersion` this endpoint does not support.
    UnsupportedVersion(String),
}

impl Rejection {
    /// The HTTP status the specification assigns to the rejection.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::NotJson(_) | Rejection::NoEnvelope(_) | Rejection::Malformed(_) => 400,
            Rejection::UnsupportedVersion(_) => 422,
        }
    }

    /// The human explanation.
    pub fn detail(&self) -> &str {
        match self {
            Rejection::NotJson(d)
            | Rejection::NoEnvelope(d)
            | Rejection::Malformed(d)
            | Rejection::UnsupportedVersion(d) => d,
        }
    }
}

/// Parses `body` and checks the envelope; returns the number of describes in
/// `data` when the envelope is acceptable.
pub fn check(body: &[u8], supported_versions: &[String]) -> Result<usize, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        Rejection::NotJson(if msg.starts_with("recursion limit exceeded") {
            "JSON nested too deeply".into()
        } else {
            format!("request body is not JSON: {msg}")
        })
    })?;
    let Value::Object(o) = value else {
        return Err(Rejection::NoEnvelope(
            "request body is not a Caliper envelope object".into(),
        ));
    };
    if !ENVELOPE_KEYS.iter().any(|k| o.contains_key(*k)) {
        return Err(Rejection::NoEnvelope(
            "request body has no enclosing Caliper envelope (sensor, sendTime, dataVersion, data)"
                .into(),
        ));
    }
    shape(&o)?;
    let version = o.get("dataVersion").and_then(Value::as_str).unwrap_or("");
    if !supported_versions.iter().any(|v| v == version) {
        return Err(Rejection::UnsupportedVersion(format!(
            "dataVersion \"{version}\" is not supported (supported: {})",
            supported_versions.join(", ")
        )));
    }
    Ok(o.get("data").and_then(Value::as_array).map_or(0, Vec::len))
}

fn shape(o: &Map<String, Value>) -> Result<(), Rejection> {
    let bad = |m: String| Err(Rejection::Malformed(m));
    for k in ENVELOPE_KEYS {
        if o.get(k).is_none_or(Value::is_null) {
            return bad(format!("envelope is missing required property `{k}`"));
        }
    }
    if let Some(k) = o.keys().find(|k| !ENVELOPE_KEYS.contains(&k.as_str())) {
        return bad(format!("envelope has custom property `{k}`"));
    }
    if o.get("sensor")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return bad("`sensor` must be a non-empty string".into());
    }
    match o.get("sendTime").and_then(Value::as_str) {
        Some(t) if is_caliper_datetime(t) => {}
        _ => return bad("`sendTime` must be a YYYY-MM-DDTHH:mm:ss.SSSZ string".into()),
    }
    if !o.get("dataVersion").is_some_and(Value::is_string) {
        return bad("`dataVersion` must be a context IRI string".into());
    }
    match o.get("data").and_then(Value::as_array) {
        Some(a) if !a.is_empty() && a.iter().all(Value::is_object) => Ok(()),
        _ => bad("`data` must be a non-empty array of event or entity objects".into()),
    }
}

/// `YYYY-MM-DDTHH:mm:ss.SSSZ` with plausible field ranges.
pub fn is_caliper_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 24 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')))
    };
    let punct = b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z';
    punct
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
        && digits(20..23)
        && (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) < 24
        && num(14..16) < 60
        && num(17..19) < 61
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const V12: &str = "http://purl.imsglobal.org/ctx/caliper/v1p2";

    fn env(extra: &str) -> String {
        format!(
            r#"{{"sensor":"https://s.example","sendTime":"2026-01-02T03:04:05.678Z","dataVersion":"{V12}","data":[{{"type":"Person","id":"https://p.example/1"}}]{extra}}}"#
        )
    }

    #[rstest]
    #[case::valid(env(""), None)]
    #[case::not_json("{nope".to_string(), Some(400))]
    #[case::bare_event(r#"{"type":"ViewEvent","id":"urn:uuid:x"}"#.to_string(), Some(400))]
    #[case::array("[]".to_string(), Some(400))]
    #[case::custom_property(env(r#","extra":1"#), Some(400))]
    #[case::missing_send_time(env("").replace(r#""sendTime":"2026-01-02T03:04:05.678Z","#, ""), Some(400))]
    #[case::send_time_no_millis(env("").replace(".678Z", "Z"), Some(400))]
    #[case::unsupported_version(env("").replace("v1p2", "v9p9"), Some(422))]
    fn statuses(#[case] body: String, #[case] status: Option<u16>) {
        let got = check(body.as_bytes(), &[V12.to_string()])
            .err()
            .map(|r| r.status());
        assert_eq!(got, status, "{body}");
    }

    #[test]
    fn deep_nesting_is_not_json() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(matches!(
            check(deep.as_bytes(), &[]),
            Err(Rejection::NotJson(_))
        ));
    }
}
