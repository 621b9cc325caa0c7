//! Lexical checks for the value formats Caliper prescribes: the
//! `YYYY-MM-DDTHH:mm:ss.SSSZ` timestamp, ISO 8601 durations, IRIs and
//! `urn:uuid:` identifiers.
//!
//! Hand-written rather than regex- or chrono-based: each check is a few lines,
//! allocation-free, and the exact grammar the spec states is visible here.

/// The strict Caliper timestamp: `YYYY-MM-DDTHH:mm:ss.SSSZ` (UTC, milliseconds).
pub fn is_caliper_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && valid_date_time(&b[..19])
        && digits(&b[20..23])
}

/// A looser ISO 8601 / RFC 3339 date-time: `YYYY-MM-DDTHH:mm:ss`, optional
/// fraction, then `Z` or `±HH:MM`. Used to tell "wrong format" from "not a date".
pub fn is_iso_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || !(b[10] == b'T' || b[10] == b't') || !valid_date_time(&b[..19]) {
        return false;
    }
    let mut rest = &b[19..];
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => digits(&[*h1, *h2, *m1, *m2]),
        _ => false,
    }
}

fn valid_date_time(b: &[u8]) -> bool {
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &b[r];
        digits(part).then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return false;
    };
    (1..=12).contains(&mo) && d >= 1 && d <= days_in_month(y, mo) && h < 24 && mi < 60 && s < 61
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// An ISO 8601 duration (`xsd:duration`): `-?P(nY)(nM)(nW)(nD)(T(nH)(nM)(n[.n]S))`
/// with at least one component and no dangling `T`.
pub fn is_iso_duration(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let Some(body) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let date_ok = components(date, b"YMWD", false);
    let time_ok = time.map_or(Some(0), |t| components(t, b"HMS", true).filter(|n| *n > 0));
    matches!((date_ok, time_ok), (Some(d), Some(t)) if d + t > 0)
}

/// Counts `<number><designator>` components in designator order; `None` when malformed.
fn components(s: &str, designators: &[u8], fraction_on_last: bool) -> Option<usize> {
    let mut b = s.as_bytes();
    let mut next = 0usize;
    let mut count = 0usize;
    while !b.is_empty() {
        let n = b
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
        let (num, rest) = b.split_at(n);
        let (&d, rest) = rest.split_first()?;
        let pos = designators[next..].iter().position(|x| *x == d)? + next;
        let last = pos + 1 == designators.len();
        let frac_ok = !num.contains(&b'.') || (fraction_on_last && last);
        if num.first().is_none_or(|c| !c.is_ascii_digit()) || !frac_ok {
            return None;
        }
        next = pos + 1;
        count += 1;
        b = rest;
    }
    Some(count)
}

/// An absolute IRI: `scheme:rest` with an RFC 3986 scheme, a non-empty rest and no
/// whitespace or control characters.
pub fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok
        && !rest.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
}

/// The UUID of a `urn:uuid:<UUID>` identifier (prefix case-insensitive, RFC 4122).
pub fn urn_uuid(s: &str) -> Option<&str> {
    let prefix = s.get(..9)?;
    if !prefix.eq_ignore_ascii_case("urn:uuid:") {
        return None;
    }
    let uuid = &s[9..];
    is_uuid(uuid).then_some(uuid)
}

fn is_uuid(u: &str) -> bool {
    let b = u.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether a (syntactically valid) UUID is version 4 with the RFC 4122 variant.
pub fn is_uuid_v4(u: &str) -> bool {
    let b = u.as_bytes();
    b.len() == 36
        && b[14] == b'4'
        && matches!(b[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2016-11-15T10:15:00.000Z", true)]
    #[case("2016-02-29T23:59:59.999Z", true)]
    #[case("2017-02-29T10:15:00.000Z", false)]
    #[case("2016-11-15T10:15:00Z", false)]
    #[case("2016-11-15T10:15:00.000+01:00", false)]
    #[case("2016-11-15 10:15:00.000Z", false)]
    #[case("2016-13-15T10:15:00.000Z", false)]
    #[case("not a date", false)]
    fn strict_datetime(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(is_caliper_datetime(s), ok);
    }

    #[rstest]
    #[case("2016-11-15T10:15:00Z", true)]
    #[case("2016-11-15T10:15:00.12+01:00", true)]
    #[case("2016-11-15T10:15:00", false)]
    #[case("2016-11-15T10:15:00.Z", false)]
    fn lenient_datetime(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(is_iso_datetime(s), ok);
    }

    #[rstest]
    #[case("PT50M30S", true)]
    #[case("P1Y2M3DT4H5M6.5S", true)]
    #[case("PT0S", true)]
    #[case("P", false)]
    #[case("PT", false)]
    #[case("P1S", false)]
    #[case("PT1.5M", false)]
    #[case("50 minutes", false)]
    #[case("PM1H", false)]
    fn durations(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(is_iso_duration(s), ok);
    }

    #[rstest]
    #[case("https://example.edu/users/554433", true)]
    #[case("urn:uuid:cd088ca7-c044-405c-bb41-0b2a8506f907", true)]
    #[case("This is not an object or an IRI", false)]
    #[case("example.edu/x", false)]
    #[case("1http://x", false)]
    fn iris(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(is_iri(s), ok);
    }

    #[rstest]
    #[case("urn:uuid:cd088ca7-c044-405c-bb41-0b2a8506f907", true, true)]
    #[case("URN:UUID:CD088CA7-C044-405C-BB41-0B2A8506F907", true, true)]
    #[case("urn:uuid:cd088ca7-c044-105c-bb41-0b2a8506f907", true, false)]
    #[case("cd088ca7-c044-405c-bb41-0b2a8506f907", false, false)]
    #[case("urn:uuid:cd088ca7c044405cbb410b2a8506f907", false, false)]
    fn uuids(#[case] s: &str, #[case] valid: bool, #[case] v4: bool) {
        assert_eq!(urn_uuid(s).is_some(), valid);
        assert_eq!(urn_uuid(s).is_some_and(is_uuid_v4), v4);
    }
}
