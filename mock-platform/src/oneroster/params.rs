//! The query parameters of a OneRoster collection request (`limit`, `offset`,
//! `filter`, `orderBy`, `sort`, `fields`), parsed once for every surface of
//! the mock SIS, and the page answer that goes with them.
//!
//! Why one parser: the 1.2 and 1.1 rostering and gradebook surfaces read the
//! same six parameters with the same messages and code minors, and the suites
//! compare those messages; four hand-kept copies could only drift apart. What
//! really differs per surface stays with the caller:
//!
//! - the error payload (1.2 `imsx_StatusInfoDType`, 1.1 `statusInfoSet`, or a
//!   fault's wrong shape): [`parse`] answers a [`Refusal`] (code minor plus
//!   message) and the caller builds its 400 from it;
//! - which properties a filter, a sort and a selection may name ([`Rules`]);
//! - the sort rules, where 1.2 and 1.1 disagree ([`SortRules`]);
//! - the faults of a faulty SIS (sort or fields ignored, overlapping pages,
//!   filter defects): the caller applies them to the [`Parsed`] result, so the
//!   reference parse is the same for every fault.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use serde_json::{Value, json};

use super::store::Query;
use super::{DEFAULT_LIMIT, filter};

/// How `orderBy` and `sort` are judged: the two versions disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortRules {
    /// 1.2: an `orderBy` other than `asc` or `desc` is refused; a `sort` on
    /// a property the surface does not have (or not a plain dotted path) is
    /// ignored, leaving the provider's default order.
    V1p2,
    /// 1.1: any `orderBy` other than `desc` means ascending; a `sort` on a
    /// property outside [`Rules::queryable`] is refused (`invalid_sort_field`).
    V1p1,
}

/// What one surface lets a request name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules<'a> {
    /// Properties a `filter` (and a `sort`) may name.
    pub(crate) queryable: &'a [&'a str],
    /// Properties a `fields` selection may name.
    pub(crate) selectable: &'a [&'a str],
    /// The version's `orderBy`/`sort` rules.
    pub(crate) sort: SortRules,
}

/// What a collection request asks, parsed (before any fault is applied).
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    /// Paging, filter and sort; `scope` and `defects` are left at their
    /// defaults for the caller to set.
    pub(crate) query: Query,
    /// The `fields` selection, when one was asked.
    pub(crate) fields: Option<Vec<String>>,
}

/// Why a request's parameters were refused (a 400 on every surface).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// `limit` is not an integer >= 1.
    #[error("limit must be an integer >= 1, got `{0}`")]
    Limit(String),
    /// `offset` is not an integer >= 0.
    #[error("offset must be an integer >= 0, got `{0}`")]
    Offset(String),
    /// The filter names a property the surface does not have.
    #[error("unknown filter field `{0}`")]
    FilterField(String),
    /// The filter does not follow the grammar.
    #[error("bad filter: {0}")]
    FilterSyntax(String),
    /// 1.2: `orderBy` is neither `asc` nor `desc`.
    #[error("orderBy must be asc or desc, got `{0}`")]
    OrderBy(String),
    /// 1.1: `sort` names a property that cannot be sorted on.
    #[error("cannot sort on `{0}`")]
    SortField(String),
    /// `fields` has a blank entry (or is empty).
    #[error("fields must name at least one field, with no blank entries")]
    BlankSelection,
    /// `fields` names a property the surface does not have.
    #[error("unknown selection field `{0}`")]
    SelectionField(String),
}

impl Refusal {
    /// The `imsx_codeMinor` the refusal is reported under.
    pub(crate) fn minor(&self) -> &'static str {
        match self {
            Self::Limit(_) | Self::Offset(_) | Self::OrderBy(_) => "invaliddata",
            Self::FilterField(_) | Self::FilterSyntax(_) => "invalid_filter_field",
            Self::SortField(_) => "invalid_sort_field",
            Self::BlankSelection | Self::SelectionField(_) => "invalid_selection_field",
        }
    }
}

/// Parses the collection parameters of `pairs` (the first occurrence of each
/// name counts), checked in a fixed order (limit, offset, filter, orderBy,
/// sort, fields) so that a request with several mistakes is always refused
/// for the same one.
pub(crate) fn parse(pairs: &[(String, String)], rules: &Rules<'_>) -> Result<Parsed, Refusal> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut q = Query {
        limit: DEFAULT_LIMIT,
        ..Query::default()
    };
    if let Some(l) = get("limit") {
        q.limit = match l.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(Refusal::Limit(l.to_string())),
        };
    }
    if let Some(o) = get("offset") {
        q.offset = o
            .parse::<u64>()
            .map_err(|_| Refusal::Offset(o.to_string()))?;
    }
    if let Some(f) = get("filter") {
        q.filter = Some(filter::parse(f, rules.queryable).map_err(|e| match e {
            filter::FilterError::UnknownField(n) => Refusal::FilterField(n),
            filter::FilterError::Syntax(m) => Refusal::FilterSyntax(m),
        })?);
    }
    let desc = match (rules.sort, get("orderBy")) {
        (SortRules::V1p1, o) => o == Some("desc"),
        (SortRules::V1p2, None | Some("asc")) => false,
        (SortRules::V1p2, Some("desc")) => true,
        (SortRules::V1p2, Some(o)) => return Err(Refusal::OrderBy(o.to_string())),
    };
    if let Some(s) = get("sort") {
        match rules.sort {
            SortRules::V1p2 => {
                let head = s.split('.').next().unwrap_or_default();
                if rules.queryable.contains(&head)
                    && s.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '_')
                {
                    q.sort = Some((s.to_string(), desc));
                }
            }
            SortRules::V1p1 => {
                if !rules.queryable.contains(&s) {
                    return Err(Refusal::SortField(s.to_string()));
                }
                q.sort = Some((s.to_string(), desc));
            }
        }
    }
    let fields = match get("fields") {
        None => None,
        Some(f) => {
            let list: Vec<String> = f.split(',').map(|x| x.trim().to_string()).collect();
            if list.iter().any(String::is_empty) {
                return Err(Refusal::BlankSelection);
            }
            if let Some(u) = list
                .iter()
                .find(|x| !rules.selectable.contains(&x.as_str()))
            {
                return Err(Refusal::SelectionField(u.clone()));
            }
            Some(list)
        }
    };
    Ok(Parsed { query: q, fields })
}

/// One page of a collection under `envelope`, with `X-Total-Count: count`
/// and, when given, the `Link` header (a value that is not a valid header is
/// left out rather than failing the answer).
pub(crate) fn page(envelope: &str, docs: Vec<Value>, count: u64, link: Option<String>) -> Response {
    let mut resp = axum::Json(json!({ envelope: docs })).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&count.to_string()) {
        h.insert("x-total-count", v);
    }
    if let Some(Ok(v)) = link.as_deref().map(HeaderValue::from_str) {
        h.insert(header::LINK, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const FIELDS: &[&str] = &["sourcedId", "title", "class"];

    fn rules(sort: SortRules) -> Rules<'static> {
        Rules {
            queryable: FIELDS,
            selectable: &["sourcedId", "title", "class", "derived"],
            sort,
        }
    }

    fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[rstest]
    #[case::limit_zero(&[("limit", "0")], "invaliddata", "limit must be an integer >= 1, got `0`")]
    #[case::limit_text(&[("limit", "ten")], "invaliddata", "limit must be an integer >= 1, got `ten`")]
    #[case::offset_negative(&[("offset", "-1")], "invaliddata", "offset must be an integer >= 0, got `-1`")]
    #[case::unknown_filter_field(&[("filter", "colour='red'")], "invalid_filter_field", "unknown filter field `colour`")]
    #[case::filter_syntax(&[("filter", "title")], "invalid_filter_field", "bad filter: ")]
    #[case::blank_fields(&[("fields", "title,")], "invalid_selection_field", "fields must name at least one field, with no blank entries")]
    #[case::unknown_selection(&[("fields", "colour")], "invalid_selection_field", "unknown selection field `colour`")]
    #[case::first_mistake_wins(&[("fields", "colour"), ("limit", "0")], "invaliddata", "limit must be an integer >= 1")]
    fn both_versions_refuse_alike(
        #[case] kv: &[(&str, &str)],
        #[case] minor: &str,
        #[case] message_start: &str,
        #[values(SortRules::V1p2, SortRules::V1p1)] sort: SortRules,
    ) {
        match parse(&pairs(kv), &rules(sort)) {
            Err(e) => {
                assert_eq!(e.minor(), minor);
                assert!(e.to_string().starts_with(message_start), "{e}");
            }
            Ok(p) => panic!("accepted: {p:?}"),
        }
    }

    #[test]
    fn defaults_and_values_are_read() {
        let p = parse(&[], &rules(SortRules::V1p2)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.query.limit, p.query.offset), (DEFAULT_LIMIT, 0));
        assert!(p.query.filter.is_none() && p.query.sort.is_none() && p.fields.is_none());
        let kv = pairs(&[
            ("limit", "5"),
            ("offset", "10"),
            ("limit", "7"),
            ("filter", "title='a'"),
            ("sort", "class.sourcedId"),
            ("orderBy", "desc"),
            ("fields", "sourcedId, derived"),
        ]);
        let p = parse(&kv, &rules(SortRules::V1p2)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.query.limit, p.query.offset), (5, 10));
        assert!(p.query.filter.is_some());
        assert_eq!(p.query.sort, Some(("class.sourcedId".to_string(), true)));
        assert_eq!(
            p.fields,
            Some(vec!["sourcedId".to_string(), "derived".to_string()])
        );
    }

    /// `(orderBy, sort)` → the 1.2 and the 1.1 answers: `Ok(sort)` or the
    /// refusal's code minor.
    #[rstest]
    #[case::asc(Some("asc"), Some("title"), Ok(Some(false)), Ok(Some(false)))]
    #[case::desc(Some("desc"), Some("title"), Ok(Some(true)), Ok(Some(true)))]
    #[case::bad_order(Some("up"), Some("title"), Err("invaliddata"), Ok(Some(false)))]
    #[case::bad_order_alone(Some("up"), None, Err("invaliddata"), Ok(None))]
    #[case::unknown_sort(None, Some("colour"), Ok(None), Err("invalid_sort_field"))]
    #[case::dotted_sort(
        None,
        Some("class.sourcedId"),
        Ok(Some(false)),
        Err("invalid_sort_field")
    )]
    #[case::odd_chars(None, Some("title;drop"), Ok(None), Err("invalid_sort_field"))]
    fn the_versions_sort_differently(
        #[case] order_by: Option<&str>,
        #[case] sort: Option<&str>,
        #[case] v1p2: Result<Option<bool>, &str>,
        #[case] v1p1: Result<Option<bool>, &str>,
    ) {
        let mut kv = Vec::new();
        kv.extend(order_by.map(|o| ("orderBy", o)));
        kv.extend(sort.map(|s| ("sort", s)));
        for (rules_, want) in [(SortRules::V1p2, v1p2), (SortRules::V1p1, v1p1)] {
            let got = parse(&pairs(&kv), &rules(rules_))
                .map(|p| p.query.sort.map(|(_, desc)| desc))
                .map_err(|e| e.minor());
            assert_eq!(got, want, "{rules_:?}");
        }
    }

    #[test]
    fn a_selection_may_name_what_a_filter_may_not() {
        let r = rules(SortRules::V1p1);
        assert!(parse(&pairs(&[("fields", "derived")]), &r).is_ok());
        let got = parse(&pairs(&[("filter", "derived='x'")]), &r).map(|_| ());
        assert_eq!(got, Err(Refusal::FilterField("derived".into())));
    }

    #[test]
    fn a_page_carries_its_total_and_links() {
        let r = page(
            "items",
            vec![json!({"a": 1})],
            7,
            Some("<x>; rel=\"first\"".into()),
        );
        assert_eq!(
            r.headers().get("x-total-count").map(HeaderValue::as_bytes),
            Some(&b"7"[..])
        );
        assert!(r.headers().contains_key(header::LINK));
        let r = page("items", Vec::new(), 0, None);
        assert!(!r.headers().contains_key(header::LINK));
        let r = page("items", Vec::new(), 0, Some("bad\nvalue".into()));
        assert!(!r.headers().contains_key(header::LINK));
    }
}
