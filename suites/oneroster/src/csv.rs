//! A strict RFC 4180 reader for OneRoster CSV files.
//!
//! Why our own: the binding is stricter than general CSV (no line breaks inside
//! fields, no bare CR) and a conformance report needs the exact line and field
//! of the first violation, which lenient readers smooth over. Records keep their
//! starting line; fields are addressed by 1-based position (`line:field`).

/// One record (row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line the record starts on.
    pub line: usize,
    /// The unquoted field values.
    pub fields: Vec<String>,
}

/// Why a file is not valid CSV for the binding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{field}: {message}")]
pub struct CsvError {
    /// 1-based line.
    pub line: usize,
    /// 1-based field position on that record.
    pub field: usize,
    /// What is wrong.
    pub message: String,
}

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

enum End {
    Field,
    Record,
    Eof,
}

impl Reader<'_> {
    fn err(&self, field: usize, message: &str) -> CsvError {
        CsvError {
            line: self.line,
            field,
            message: message.to_string(),
        }
    }

    /// After a field: `,`, a line end (`\n` or `\r\n`), or the end of input.
    fn field_end(&mut self, field: usize) -> Result<End, CsvError> {
        match self.chars.next() {
            None => Ok(End::Eof),
            Some(',') => Ok(End::Field),
            Some('\n') => {
                self.line += 1;
                Ok(End::Record)
            }
            Some('\r') if self.chars.peek() == Some(&'\n') => {
                self.chars.next();
                self.line += 1;
                Ok(End::Record)
            }
            Some('\r') => Err(self.err(field, "bare carriage return (line ends are LF or CRLF)")),
            Some(_) => Err(self.err(field, "text after the closing quote of a quoted field")),
        }
    }

    fn quoted(&mut self, field: usize) -> Result<(String, End), CsvError> {
        let mut value = String::new();
        loop {
            match self.chars.next() {
                None => return Err(self.err(field, "quoted field is not closed")),
                Some('"') if self.chars.peek() == Some(&'"') => {
                    self.chars.next();
                    value.push('"');
                }
                Some('"') => return Ok((value, self.field_end(field)?)),
                Some('\n' | '\r') => {
                    return Err(self.err(field, "line break inside a quoted field"));
                }
                Some(c) => value.push(c),
            }
        }
    }

    fn unquoted(&mut self, field: usize) -> Result<(String, End), CsvError> {
        let mut value = String::new();
        loop {
            match self.chars.peek() {
                None | Some(',' | '\n' | '\r') => return Ok((value, self.field_end(field)?)),
                Some('"') => return Err(self.err(field, "quote inside an unquoted field")),
                Some(c) => {
                    value.push(*c);
                    self.chars.next();
                }
            }
        }
    }

    fn record(&mut self) -> Result<Option<Record>, CsvError> {
        if self.chars.peek().is_none() {
            return Ok(None);
        }
        let line = self.line;
        let mut fields = Vec::new();
        loop {
            let n = fields.len() + 1;
            let (value, end) = if self.chars.peek() == Some(&'"') {
                self.chars.next();
                self.quoted(n)?
            } else {
                self.unquoted(n)?
            };
            fields.push(value);
            match end {
                End::Field => {}
                End::Record | End::Eof => return Ok(Some(Record { line, fields })),
            }
        }
    }
}

/// Parses `text` (BOM already removed). Blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let mut reader = Reader {
        chars: text.chars().peekable(),
        line: 1,
    };
    let mut records = Vec::new();
    while let Some(r) = reader.record()? {
        if !(r.fields.len() == 1 && r.fields[0].is_empty()) {
            records.push(r);
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn fields(text: &str) -> Vec<Vec<String>> {
        match parse(text) {
            Ok(r) => r.into_iter().map(|r| r.fields).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn quoted_lists_and_escaped_quotes() {
        let got = fields("a,\"x,y\",\"say \"\"hi\"\"\"\r\n1,,3\n");
        assert_eq!(
            got,
            vec![vec!["a", "x,y", "say \"hi\""], vec!["1", "", "3"]]
        );
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_counted() {
        let r = parse("h\n\nv\n").unwrap_or_default();
        assert_eq!(r.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[rstest]
    #[case("a,\"b\nc\"\n", 1, 2, "line break inside")]
    #[case("a,b\rc\n", 1, 2, "bare carriage return")]
    #[case("a,b\"c\n", 1, 2, "quote inside")]
    #[case("x\n\"a\"b\n", 2, 1, "after the closing quote")]
    #[case("\"open", 1, 1, "not closed")]
    fn violations_are_located(
        #[case] text: &str,
        #[case] line: usize,
        #[case] field: usize,
        #[case] says: &str,
    ) {
        match parse(text) {
            Ok(r) => panic!("accepted: {r:?}"),
            Err(e) => {
                assert_eq!((e.line, e.field), (line, field), "{e}");
                assert!(e.message.contains(says), "{e}");
            }
        }
    }
}
