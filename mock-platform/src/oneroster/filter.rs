//! The OneRoster 1.2 `filter` grammar, compiled to SQL over the JSON documents
//! in the store.
//!
//! Grammar (the 1EdTech REST binding template): `field op 'value'`, predicates
//! joined by ` AND ` / ` OR `; ops `=`, `!=`, `>`, `>=`, `<`, `<=`, `~`
//! (contains); values in single quotes (`''` is a quote inside a value) and
//! compared case-insensitively; nested fields in dot notation
//! (`school.sourcedId`, `roles.role`). Why SQL: the store is SQLite, and
//! compiling to a `WHERE` clause (with `json_extract`/`json_each` and bound
//! parameters, never interpolated values) keeps paging, counting and filtering
//! in one query, so `X-Total-Count` is the filtered total by construction.

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
}

/// One `field op 'value'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pred {
    pub(crate) path: Vec<String>,
    pub(crate) op: Op,
    pub(crate) value: String,
}

/// A parsed filter: predicates and the logical operators between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) first: Pred,
    pub(crate) rest: Vec<(bool, Pred)>, // (is_and, pred)
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FilterError {
    /// The text does not follow the grammar.
    Syntax(String),
    /// A field the collection does not have.
    UnknownField(String),
}

/// Fields whose JSON value is an array (filtered with `json_each`).
const ARRAY_FIELDS: [&str; 11] = [
    "grades",
    "subjects",
    "subjectCodes",
    "periods",
    "terms",
    "children",
    "agents",
    "userIds",
    "roles",
    "userProfiles",
    "resources",
];

/// Parses `text`; `fields` are the collection's top-level property names.
pub(crate) fn parse(text: &str, fields: &[&str]) -> Result<Filter, FilterError> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let first = p.pred(fields)?;
    let mut rest = Vec::new();
    loop {
        p.spaces();
        if p.i >= p.s.len() {
            break;
        }
        let and = if p.keyword("AND") {
            true
        } else if p.keyword("OR") {
            false
        } else {
            return Err(FilterError::Syntax(format!(
                "expected AND or OR at byte {}",
                p.i
            )));
        };
        rest.push((and, p.pred(fields)?));
    }
    Ok(Filter { first, rest })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn spaces(&mut self) {
        while self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    fn keyword(&mut self, k: &str) -> bool {
        let end = self.i + k.len();
        let matches = self
            .s
            .get(self.i..end)
            .is_some_and(|w| w.eq_ignore_ascii_case(k.as_bytes()))
            && self.s.get(end) == Some(&b' ');
        if matches {
            self.i = end;
        }
        matches
    }

    fn pred(&mut self, fields: &[&str]) -> Result<Pred, FilterError> {
        self.spaces();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
        {
            self.i += 1;
        }
        let name = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
        if name.is_empty() {
            return Err(FilterError::Syntax(format!(
                "expected a field name at byte {start}"
            )));
        }
        let path: Vec<String> = name.split('.').map(str::to_string).collect();
        if path.iter().any(String::is_empty) || !fields.contains(&path[0].as_str()) {
            return Err(FilterError::UnknownField(name));
        }
        self.spaces();
        let two = self.s.get(self.i..self.i + 2);
        let (op, len) = match (two, self.s.get(self.i)) {
            (Some(b"!="), _) => (Op::Ne, 2),
            (Some(b">="), _) => (Op::Ge, 2),
            (Some(b"<="), _) => (Op::Le, 2),
            (_, Some(b'=')) => (Op::Eq, 1),
            (_, Some(b'>')) => (Op::Gt, 1),
            (_, Some(b'<')) => (Op::Lt, 1),
            (_, Some(b'~')) => (Op::Contains, 1),
            _ => {
                return Err(FilterError::Syntax(format!(
                    "expected an operator after `{name}`"
                )));
            }
        };
        self.i += len;
        self.spaces();
        if self.s.get(self.i) != Some(&b'\'') {
            return Err(FilterError::Syntax(format!(
                "the value for `{name}` must be in single quotes"
            )));
        }
        self.i += 1;
        let mut value = Vec::new();
        loop {
            match self.s.get(self.i) {
                None => {
                    return Err(FilterError::Syntax(format!(
                        "unterminated value for `{name}`"
                    )));
                }
                Some(b'\'') if self.s.get(self.i + 1) == Some(&b'\'') => {
                    value.push(b'\'');
                    self.i += 2;
                }
                Some(b'\'') => {
                    self.i += 1;
                    break;
                }
                Some(c) => {
                    value.push(*c);
                    self.i += 1;
                }
            }
        }
        Ok(Pred {
            path,
            op,
            value: String::from_utf8_lossy(&value).to_string(),
        })
    }
}

/// Deliberate filter defects: the SIS's [`Fault`](super::Fault)s, all off in
/// the reference.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Defects {
    /// Everything from the first `AND` on is dropped.
    pub(crate) ignore_and: bool,
    /// `~` (contains) compares as `=`.
    pub(crate) contains_as_equals: bool,
    /// A `!=` predicate matches every record.
    pub(crate) not_equals_ignored: bool,
}

/// SQL for one predicate over column `doc`, with its parameter.
fn pred_sql(p: &Pred, params: &mut Vec<String>, d: Defects) -> String {
    if d.not_equals_ignored && p.op == Op::Ne {
        return "1".into();
    }
    params.push(p.value.clone());
    // `text`: the expression is known to be text, so it is lowered as it is
    // (no CAST), which keeps it the expression an index can be built on.
    let cmp_as = |expr: &str, text: bool| -> String {
        let e = if text {
            format!("lower({expr})")
        } else {
            format!("lower(CAST({expr} AS TEXT))")
        };
        match p.op {
            Op::Contains if d.contains_as_equals => format!("{e} = lower(?)"),
            Op::Eq => format!("{e} = lower(?)"),
            Op::Ne => format!("{e} != lower(?)"),
            Op::Gt => format!("{e} > lower(?)"),
            Op::Ge => format!("{e} >= lower(?)"),
            Op::Lt => format!("{e} < lower(?)"),
            Op::Le => format!("{e} <= lower(?)"),
            Op::Contains => format!("instr({e}, lower(?)) > 0"),
        }
    };
    let cmp = |expr: &str| cmp_as(expr, false);
    let head = &p.path[0];
    if ARRAY_FIELDS.contains(&head.as_str()) {
        let inner = if p.path.len() > 1 {
            format!("json_extract(je.value, '$.{}')", p.path[1..].join("."))
        } else {
            "je.value".to_string()
        };
        format!(
            "EXISTS (SELECT 1 FROM json_each(doc, '$.{head}') AS je WHERE {})",
            cmp(&inner)
        )
    } else if p.path.len() == 1 && head == "sourcedId" {
        // The object's own id is the `sourced_id` column: no JSON to parse.
        cmp_as("sourced_id", true)
    } else if p.path.last().is_some_and(|l| l == "sourcedId") {
        // A reference's id is text: compared as `lower(json_extract(..))`,
        // the very expression the store indexes for `class`, `user` and
        // `school` (SQLite matches index expressions by their text), so a
        // consumer's `filter=class.sourcedId='..'` on a million enrollments
        // is an index lookup, not a scan.
        cmp_as(
            &format!("json_extract(doc, '$.{}')", p.path.join(".")),
            true,
        )
    } else {
        cmp(&format!("json_extract(doc, '$.{}')", p.path.join(".")))
    }
}

/// The `WHERE` fragment (parenthesised) and its parameters, with the
/// [`Defects`] a faulty SIS has.
pub(crate) fn to_sql(f: &Filter, d: Defects) -> (String, Vec<String>) {
    let mut params = Vec::new();
    let mut sql = format!("({}", pred_sql(&f.first, &mut params, d));
    for (and, p) in &f.rest {
        if *and && d.ignore_and {
            break;
        }
        sql.push_str(if *and { " AND " } else { " OR " });
        sql.push_str(&pred_sql(p, &mut params, d));
    }
    sql.push(')');
    (sql, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const F: [&str; 4] = ["sourcedId", "familyName", "roles", "school"];

    #[rstest]
    #[case("familyName='Smith'", Op::Eq, "Smith")]
    #[case("familyName != 'O''Brien'", Op::Ne, "O'Brien")]
    #[case("sourcedId>='a'", Op::Ge, "a")]
    #[case("sourcedId<'a'", Op::Lt, "a")]
    #[case("familyName~'mi'", Op::Contains, "mi")]
    #[case("school.sourcedId='s1'", Op::Eq, "s1")]
    fn predicates_parse(#[case] text: &str, #[case] op: Op, #[case] value: &str) {
        let f = parse(text, &F).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((f.first.op, f.first.value.as_str()), (op, value));
    }

    #[rstest]
    #[case("nope='x'", FilterError::UnknownField("nope".into()))]
    #[case("familyName='x' AND bad.x='y'", FilterError::UnknownField("bad.x".into()))]
    fn unknown_fields_are_named(#[case] text: &str, #[case] want: FilterError) {
        assert_eq!(parse(text, &F), Err(want));
    }

    #[rstest]
    #[case("familyName=Smith")]
    #[case("familyName='x' XOR sourcedId='y'")]
    #[case("='x'")]
    #[case("familyName='open")]
    fn syntax_errors(#[case] text: &str) {
        assert!(matches!(parse(text, &F), Err(FilterError::Syntax(_))));
    }

    #[test]
    fn logical_operators_compile_and_the_fault_drops_and() {
        let f = parse(
            "familyName='a' AND roles.role='student' OR sourcedId='x'",
            &F,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let (sql, params) = to_sql(&f, Defects::default());
        assert!(sql.contains(" AND EXISTS (SELECT 1 FROM json_each(doc, '$.roles')"));
        assert!(sql.contains(" OR "));
        assert_eq!(params.len(), 3);
        let ignore_and = Defects {
            ignore_and: true,
            ..Defects::default()
        };
        let (sql, params) = to_sql(&f, ignore_and);
        assert!(!sql.contains("AND") && params.len() == 1);
    }

    #[test]
    fn the_operator_defects_change_only_their_operator() {
        let f = parse("familyName~'mi' AND sourcedId!='x'", &F).unwrap_or_else(|e| panic!("{e:?}"));
        let (sql, params) = to_sql(&f, Defects::default());
        assert!(
            sql.contains("instr(") && sql.contains("!= lower(?)"),
            "{sql}"
        );
        assert_eq!(params.len(), 2);
        let d = Defects {
            contains_as_equals: true,
            ..Defects::default()
        };
        let (sql, _) = to_sql(&f, d);
        assert!(
            !sql.contains("instr(") && sql.contains("!= lower(?)"),
            "{sql}"
        );
        let d = Defects {
            not_equals_ignored: true,
            ..Defects::default()
        };
        let (sql, params) = to_sql(&f, d);
        assert!(sql.contains("instr(") && !sql.contains("!="), "{sql}");
        assert_eq!(params, vec!["mi".to_string()]);
    }
}
