//! A strict, streaming RFC 4180 reader for OneRoster CSV files.
//!
//! Why our own: the binding is stricter than general CSV (no line breaks inside
//! fields, no bare CR) and a conformance report needs the exact line and field
//! of every violation, which lenient readers smooth over. Because a field never
//! holds a line break, a record is exactly one physical line: the reader reads
//! one line at a time (capped, so a 2 GB line costs a finding, not 2 GB of
//! memory), and after a broken line it resumes at the next one, so one bad row
//! in a file of ten million does not hide the rest. Buffers are reused from row
//! to row: reading allocates nothing per record.

use std::io::BufRead;

/// Longest line (record) read by default: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1024 * 1024;

/// What kind of problem a [`CsvError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Quoting or line-end syntax.
    Syntax,
    /// Bytes that are not UTF-8.
    Encoding,
    /// A line longer than the reader's cap (skipped).
    TooLong,
    /// The underlying reader failed (I/O, zip, size cap): reading stops.
    Io,
}

/// Why a line is not valid CSV for the binding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{field}: {message}")]
pub struct CsvError {
    /// 1-based line.
    pub line: usize,
    /// 1-based field position on that line.
    pub field: usize,
    /// Kind of problem.
    pub problem: Problem,
    /// What is wrong.
    pub message: String,
}

/// One record (row), owned: what [`parse`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line the record is on.
    pub line: usize,
    /// The unquoted field values.
    pub fields: Vec<String>,
}

/// A borrowed view of the current record of a [`Reader`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// 1-based line.
    pub line: usize,
    text: &'a str,
    spans: &'a [(usize, usize)],
}

impl<'a> Row<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the row has no field (never true for a returned row).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `i` (0-based).
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let (a, b) = *self.spans.get(i)?;
        self.text.get(a..b)
    }

    /// Every field, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.spans.len()).filter_map(|i| self.get(i))
    }

    /// An owned copy.
    pub fn to_record(&self) -> Record {
        Record {
            line: self.line,
            fields: self.fields().map(str::to_string).collect(),
        }
    }
}

/// A streaming reader over any [`BufRead`].
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
    max_line: usize,
    /// The 1-based number of the next line to read.
    next_line: usize,
    line: Vec<u8>,
    unescaped: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Bytes of the current row still to consume from `inner`.
    pending: usize,
    bytes: u64,
    done: bool,
}

enum LineRead {
    Eof,
    Line { last: bool },
    TooLong,
}

impl<R: BufRead> Reader<R> {
    /// A reader capping lines at `max_line` bytes.
    pub fn new(inner: R, max_line: usize) -> Reader<R> {
        Reader {
            inner,
            max_line,
            next_line: 1,
            line: Vec::new(),
            unescaped: Vec::new(),
            spans: Vec::new(),
            pending: 0,
            bytes: 0,
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes + self.pending as u64
    }

    fn err(&self, line: usize, field: usize, problem: Problem, message: String) -> CsvError {
        CsvError {
            line,
            field,
            problem,
            message,
        }
    }

    /// Reads one physical line into `self.line` (without the LF).
    fn read_line(&mut self) -> Result<LineRead, CsvError> {
        self.line.clear();
        let mut too_long = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    let line = self.next_line;
                    return Err(self.err(line, 1, Problem::Io, format!("cannot read: {e}")));
                }
            };
            if buf.is_empty() {
                self.done = true;
                if too_long {
                    return Ok(LineRead::TooLong);
                }
                return Ok(if self.line.is_empty() {
                    LineRead::Eof
                } else {
                    LineRead::Line { last: true }
                });
            }
            let (take, found) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if !too_long {
                let content = if found { &buf[..take - 1] } else { buf };
                if self.line.len() + content.len() > self.max_line {
                    too_long = true;
                    self.line.clear();
                } else {
                    self.line.extend_from_slice(content);
                }
            }
            self.inner.consume(take);
            self.bytes += take as u64;
            if found {
                return Ok(if too_long {
                    LineRead::TooLong
                } else {
                    LineRead::Line { last: false }
                });
            }
        }
    }

    /// The next non-blank record; `None` at the end. After an error the
    /// reader continues with the next line (except after [`Problem::Io`]).
    pub fn next_row(&mut self) -> Option<Result<Row<'_>, CsvError>> {
        let (line, in_buffer, last) = loop {
            if self.pending > 0 {
                self.inner.consume(self.pending);
                self.bytes += self.pending as u64;
                self.pending = 0;
            }
            if self.done {
                return None;
            }
            let line = self.next_line;
            // Fast path: the whole line is in the reader's buffer; no copy.
            let whole = match self.inner.fill_buf() {
                Ok(buf) => memchr::memchr(b'\n', buf)
                    .filter(|&i| i <= self.max_line)
                    .map(|i| (i, trimmed(line, &buf[..i]).is_empty())),
                Err(_) => None,
            };
            if let Some((i, blank)) = whole {
                self.pending = i + 1;
                self.next_line += 1;
                if blank {
                    continue;
                }
                break (line, Some(i), false);
            }
            let read = match self.read_line() {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            self.next_line += 1;
            match read {
                LineRead::Eof => return None,
                LineRead::TooLong => {
                    let msg = format!(
                        "line longer than {} bytes; skipped without being read whole",
                        self.max_line
                    );
                    return Some(Err(self.err(line, 1, Problem::TooLong, msg)));
                }
                LineRead::Line { last } => {
                    if trimmed(line, &self.line).is_empty() {
                        continue;
                    }
                    break (line, None, last);
                }
            }
        };
        let data: &[u8] = match in_buffer {
            Some(i) => match self.inner.fill_buf() {
                Ok(b) => b.get(..i).unwrap_or_default(),
                Err(e) => {
                    self.done = true;
                    return Some(Err(CsvError {
                        line,
                        field: 1,
                        problem: Problem::Io,
                        message: format!("cannot read: {e}"),
                    }));
                }
            },
            None => &self.line,
        };
        Some(finish(
            line,
            data,
            last,
            &mut self.spans,
            &mut self.unescaped,
        ))
    }
}

/// The line without a leading BOM (line 1) and a trailing CR.
fn trimmed(line: usize, data: &[u8]) -> &[u8] {
    let data = if line == 1 {
        data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)
    } else {
        data
    };
    data.strip_suffix(b"\r").unwrap_or(data)
}

/// Turns one non-blank physical line (without its LF) into a row.
fn finish<'a>(
    line: usize,
    data: &'a [u8],
    last: bool,
    spans: &'a mut Vec<(usize, usize)>,
    unescaped: &'a mut Vec<u8>,
) -> Result<Row<'a>, CsvError> {
    let err = |field, problem, message| CsvError {
        line,
        field,
        problem,
        message,
    };
    let data = trimmed(line, data);
    let use_unescaped = split(data, last, spans, unescaped)
        .map_err(|(field, msg)| err(field, Problem::Syntax, msg))?;
    let bytes: &'a [u8] = if use_unescaped { unescaped } else { data };
    let spans: &'a [(usize, usize)] = spans;
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Row { line, text, spans }),
        Err(e) => {
            let at = e.valid_up_to();
            let field = spans.iter().position(|&(_, b)| at < b).unwrap_or(0) + 1;
            let msg = format!("not UTF-8 (invalid byte at offset {at} of the line)");
            Err(err(field, Problem::Encoding, msg))
        }
    }
}

/// Splits `line` into fields (spans into `line`, or into `out` when a quoted
/// field had to be unescaped: then `true`); errors are (1-based field, message).
fn split(
    line: &[u8],
    last: bool,
    spans: &mut Vec<(usize, usize)>,
    out: &mut Vec<u8>,
) -> Result<bool, (usize, String)> {
    spans.clear();
    if memchr::memchr(b'"', line).is_none() {
        if let Some(at) = memchr::memchr(b'\r', line) {
            let field = memchr::memchr_iter(b',', &line[..at]).count() + 1;
            return Err((field, bare_cr()));
        }
        let mut start = 0;
        for i in memchr::memchr_iter(b',', line) {
            spans.push((start, i));
            start = i + 1;
        }
        spans.push((start, line.len()));
        return Ok(false);
    }
    out.clear();
    let mut i = 0;
    loop {
        let field = spans.len() + 1;
        let start = out.len();
        if line.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match line.get(i) {
                    None if last => return Err((field, "quoted field is not closed".into())),
                    None => {
                        return Err((field, "line break inside a quoted field".into()));
                    }
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                        out.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\r') => return Err((field, bare_cr())),
                    Some(&c) => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            match line.get(i) {
                None | Some(b',') => {}
                Some(b'\r') => return Err((field, bare_cr())),
                Some(_) => {
                    return Err((
                        field,
                        "text after the closing quote of a quoted field".into(),
                    ));
                }
            }
        } else {
            loop {
                match line.get(i) {
                    None | Some(b',') => break,
                    Some(b'"') => return Err((field, "quote inside an unquoted field".into())),
                    Some(b'\r') => return Err((field, bare_cr())),
                    Some(&c) => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
        }
        spans.push((start, out.len()));
        if line.get(i).is_none() {
            return Ok(true);
        }
        i += 1; // the comma
    }
}

fn bare_cr() -> String {
    "bare carriage return (line ends are LF or CRLF)".into()
}

/// Parses `text` whole (a leading BOM is ignored, blank lines are skipped);
/// the first violation is the error.
pub fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let mut reader = Reader::new(text.as_bytes(), usize::MAX);
    let mut records = Vec::new();
    while let Some(r) = reader.next_row() {
        records.push(r?.to_record());
    }
    Ok(records)
}

/// Appends `value` to `out` as one CSV field, quoted when it must be.
pub fn push_field(out: &mut Vec<u8>, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

/// One CSV line (CRLF-terminated) from `fields`.
pub fn line<'a>(fields: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_field(&mut out, f);
    }
    out.extend_from_slice(b"\r\n");
    out
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
    fn bom_is_ignored_and_a_last_line_without_lf_is_read() {
        assert_eq!(
            fields("\u{feff}a,b\r\nc,d"),
            vec![vec!["a", "b"], vec!["c", "d"]]
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
    #[case("a,\"b\rc\"\n", 1, 2, "bare carriage return")]
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

    #[test]
    fn not_utf8_bytes_are_located() {
        let mut r = Reader::new(&b"ok\nx,\xff\n"[..], 100);
        let first = r.next_row().map(|r| r.map(|r| r.to_record()));
        assert!(matches!(first, Some(Ok(_))));
        match r.next_row() {
            Some(Err(e)) => {
                assert_eq!((e.line, e.field, e.problem), (2, 2, Problem::Encoding));
            }
            _ => panic!("expected an encoding error"),
        }
    }

    #[test]
    fn reading_resumes_after_a_bad_line_and_a_long_line_is_capped() {
        let long = "y".repeat(5000);
        let text = format!("a,b\n\"x\n{long}\nc,d\n");
        let mut r = Reader::new(text.as_bytes(), 1000);
        let mut got = Vec::new();
        while let Some(row) = r.next_row() {
            got.push(
                row.map(|r| r.to_record().fields)
                    .map_err(|e| (e.line, e.problem)),
            );
        }
        assert_eq!(
            got,
            vec![
                Ok(vec!["a".to_string(), "b".to_string()]),
                Err((2, Problem::Syntax)),
                Err((3, Problem::TooLong)),
                Ok(vec!["c".to_string(), "d".to_string()]),
            ]
        );
    }

    #[test]
    fn fields_round_trip_through_the_writer() {
        let values = ["plain", "a,b", "say \"x\"", ""];
        let bytes = line(values);
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert_eq!(fields(&text), vec![values.to_vec()]);
    }
}
