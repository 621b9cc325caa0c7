//! A small RFC 4180 reader for seeding the store from a OneRoster CSV bundle.
//!
//! Why not the suite's reader: mocks never depend on suites (architecture
//! invariant), and the seed is our own generator's output, so a compact reader
//! that handles quoting, `""` escapes, CRLF and a UTF-8 BOM is enough. It is
//! strict where it matters for the store: a row whose width differs from the
//! header's is an error, never silently padded.

use std::collections::HashMap;
use std::path::Path;

use super::SisError;

/// One CSV file: its column positions and records. Rows are kept as plain
/// field vectors (one column-name map per file, not per row): at a million
/// enrollments a map per row doubled the load's memory and time.
#[derive(Debug, Default)]
pub(crate) struct Table {
    index: HashMap<String, usize>,
    records: Vec<Vec<String>>,
}

/// One row of a [`Table`]: fields looked up by column name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    index: &'a HashMap<String, usize>,
    fields: &'a [String],
}

impl<'a> Row<'a> {
    /// The value of column `name`; `None` when the file has no such column.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        let i = *self.index.get(name)?;
        self.fields.get(i).map(String::as_str)
    }
}

impl Table {
    /// The rows, in file order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(|fields| Row {
            index: &self.index,
            fields,
        })
    }
}

/// Reads `dir/name`; `Ok(None)` when the file is absent.
pub(crate) fn read_table(dir: &Path, name: &str) -> Result<Option<Table>, SisError> {
    let path = dir.join(name);
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|e| SisError::Bundle {
        path: path.display().to_string(),
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| SisError::Bundle {
        path: path.display().to_string(),
        message: format!("not UTF-8: {e}"),
    })?;
    let mut records = parse(text.strip_prefix('\u{feff}').unwrap_or(&text)).map_err(|message| {
        SisError::Bundle {
            path: path.display().to_string(),
            message,
        }
    })?;
    drop(text);
    let header = if records.is_empty() {
        Vec::new()
    } else {
        records.remove(0)
    };
    for (i, rec) in records.iter().enumerate() {
        if rec.len() != header.len() {
            return Err(SisError::Bundle {
                path: path.display().to_string(),
                message: format!(
                    "row {} has {} fields, the header has {}",
                    i + 2,
                    rec.len(),
                    header.len()
                ),
            });
        }
    }
    let mut index = HashMap::new();
    for (i, h) in header.into_iter().enumerate() {
        // The last of two equal column names wins, as it did before.
        index.insert(h, i);
    }
    Ok(Some(Table { index, records }))
}

/// Splits CSV text into records of fields.
pub(crate) fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    let mut rec = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => rec.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                rec.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut rec));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err("unterminated quoted field".into());
    }
    if any {
        rec.push(field);
        out.push(rec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escapes_and_line_ends() {
        let r = parse("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\nz,\n").unwrap_or_default();
        assert_eq!(
            r,
            vec![
                vec!["a".to_string(), "b".into()],
                vec!["x, y".into(), "say \"hi\"".into()],
                vec!["z".into(), String::new()],
            ]
        );
        assert!(parse("\"open").is_err());
    }
}
