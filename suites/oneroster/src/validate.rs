//! The checks over an opened bundle: manifest semantics, then every data file
//! streamed row by row in dependency order (headers, field counts, value
//! formats, enumerations, bulk/delta lifecycle, unique sourcedIds, references).
//!
//! Why this shape: memory must grow with the number of ids, not with file size.
//! A file is read one line at a time and only a 64-bit hash of each sourcedId is
//! kept (keyed per run, so a hostile bundle cannot aim collisions at a known
//! function; the chance of an accidental collision among 10^7 ids is about
//! 3·10^-6): in a hash set for files other files refer to, in a log of (hash,
//! line) sorted at the end of the file for the others (enrollments: ten
//! million appends and one sort are far cheaper than ten million random
//! inserts). Files are read in [`DEPENDENCY_ORDER`], so a reference is checked
//! against a file already read; references within one file (parents, agents)
//! are checked when the file ends. Findings are capped per rule
//! ([`MAX_FINDINGS_PER_RULE`], then one "and N more" finding) so ten million bad
//! rows do not become ten million findings in memory.
//!
//! Locations are `line:field` (1-based) inside the named file; document names
//! are `bundle!file`; every value finding names its column.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// A fast 64-bit hash of sourcedIds, keyed per run.
///
/// Why not SipHash: it was a tenth of validation time. This is the folded
/// multiply construction of foldhash/wyhash (8 bytes per step, 128-bit product
/// folded to 64 bits), keyed from the standard library's random keys, which is
/// plenty for telling ids apart; it is not a cryptographic hash.
#[derive(Debug, Clone, Copy)]
struct IdHasher {
    k0: u64,
    k1: u64,
}

const fn folded(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

impl IdHasher {
    fn random() -> IdHasher {
        let s = RandomState::new();
        IdHasher {
            k0: s.hash_one(0x243F_6A88_85A3_08D3_u64) | 1,
            k1: s.hash_one(0x1319_8A2E_0370_7344_u64) | 1,
        }
    }

    fn hash(&self, bytes: &[u8]) -> u64 {
        const P: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut h = self.k0 ^ (bytes.len() as u64).wrapping_mul(P);
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = folded(h ^ u64::from_le_bytes(w), self.k1);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            h = folded(h ^ u64::from_le_bytes(w), self.k1 ^ P);
        }
        folded(h, self.k0 ^ P)
    }
}

use accredit_core::Outcome;

use crate::columns::{self, Col, DEPENDENCY_ORDER, Target, TargetKind, Ty};
use crate::csv::{self, Problem, Record, Row};
use crate::package::{Limits, Package};
use crate::rules::*;
use crate::tables::{self, Version};

pub use accredit_core::artifact::Validation;

const MANIFEST: &str = "manifest.csv";

/// Findings kept per rule and bundle; the rest are counted.
pub const MAX_FINDINGS_PER_RULE: usize = 1000;

/// A hasher for keys that are already hashes.
#[derive(Debug, Default, Clone, Copy)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type IdSet = HashSet<u64, BuildHasherDefault<PassThrough>>;

/// The ids of one file read so far.
#[derive(Debug, Default)]
struct FileIds {
    ids: IdSet,
    /// Schools (orgs) or school years (academic sessions).
    typed: IdSet,
    /// Bulk, header right, read to the end: references into it are checked.
    checkable: bool,
}

/// A reference into the file being read, checked when it ends.
#[derive(Debug)]
struct Pending {
    hash: u64,
    line: usize,
    field: usize,
    column: &'static str,
    value: String,
}

/// Which value rules met a value (rule scope `Value`).
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    date: bool,
    datetime: bool,
    year: bool,
    boolean: bool,
    number: bool,
    enumeration: bool,
    list: bool,
    resolves: bool,
    target_type: bool,
}

/// File mode from the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Complete snapshot.
    Bulk,
    /// Changes only.
    Delta,
}

struct Cx<'a> {
    bundle: String,
    out: &'a mut Validation,
    counts: HashMap<&'static str, usize>,
    hasher: IdHasher,
    /// Ids per file, indexed like [`DEPENDENCY_ORDER`].
    files: Vec<Option<FileIds>>,
    seen: Seen,
    stop: bool,
}

impl Cx<'_> {
    fn fail(&mut self, file: &str, loc: &str, rule: &'static str, msg: String) {
        let n = self.counts.entry(rule).or_insert(0);
        *n += 1;
        if *n > MAX_FINDINGS_PER_RULE {
            return;
        }
        let doc = format!("{}!{file}", self.bundle);
        self.out.add(&doc, loc, rule, Outcome::Fail, msg);
    }

    fn fail_bundle(&mut self, rule: &'static str, msg: String) {
        let doc = self.bundle.clone();
        self.out.add(&doc, "", rule, Outcome::Fail, msg);
    }

    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash(id.as_bytes())
    }

    /// Adds the "and N more" findings.
    fn finish(&mut self) {
        let mut over: Vec<(&'static str, usize)> = self
            .counts
            .iter()
            .filter(|(_, n)| **n > MAX_FINDINGS_PER_RULE)
            .map(|(r, n)| (*r, *n - MAX_FINDINGS_PER_RULE))
            .collect();
        over.sort();
        for (rule, more) in over {
            let msg = format!(
                "and {more} more findings of this rule (only the first {MAX_FINDINGS_PER_RULE} are listed)"
            );
            self.fail_bundle(rule, msg);
        }
        let s = self.seen;
        for (hit, rule) in [
            (s.date, DATE),
            (s.datetime, DATETIME),
            (s.year, YEAR),
            (s.boolean, BOOLEAN),
            (s.number, NUMBER),
            (s.enumeration, ENUM),
            (s.list, LIST),
            (s.resolves, RESOLVES),
            (s.target_type, TARGET_TYPE),
        ] {
            if hit {
                self.out.applies(rule);
            }
        }
    }
}

/// The manifest's properties: name → (line, value).
type Properties = BTreeMap<String, (usize, String)>;

/// Validates an opened bundle.
pub fn validate_package(pkg: &mut Package, out: &mut Validation) {
    out.applies(MANIFEST_PRESENT);
    let mut cx = Cx {
        bundle: pkg.name.clone(),
        out,
        counts: HashMap::new(),
        hasher: IdHasher::random(),
        files: DEPENDENCY_ORDER.iter().map(|_| None).collect(),
        seen: Seen::default(),
        stop: false,
    };
    if !pkg.has(MANIFEST) {
        cx.fail_bundle(MANIFEST_PRESENT, "the bundle has no manifest.csv".into());
        return;
    }
    for r in [MANIFEST_STRUCTURE, MANIFEST_VERSION, ONEROSTER_VERSION] {
        cx.out.applies(r);
    }
    let Some(records) = cx.manifest_records(pkg) else {
        cx.finish();
        return;
    };
    let props = cx.manifest_structure(&records);
    cx.manifest_version(&props);
    let Some(version) = cx.oneroster_version(&props) else {
        cx.finish();
        return;
    };
    cx.out.applies(FILE_MODES);
    cx.out.applies(FILES_MATCH);
    let modes = cx.file_modes(&props, version);
    cx.files_match(pkg, &modes, version);
    let referenced: HashSet<&str> = version
        .files()
        .iter()
        .filter_map(|(f, _)| columns::columns(version, f))
        .flatten()
        .filter_map(|c| match c.ty {
            Ty::Ref(t) | Ty::RefList(t) => Some(t.file),
            _ => None,
        })
        .collect();
    for file in DEPENDENCY_ORDER {
        if cx.stop {
            break;
        }
        let (Some(header), Some(cols)) = (version.header(file), columns::columns(version, file))
        else {
            continue;
        };
        if pkg.has(file) {
            let mode = match modes.get(*file).map(String::as_str) {
                Some("bulk") => Some(Mode::Bulk),
                Some("delta") => Some(Mode::Delta),
                _ => None,
            };
            cx.data_file(pkg, file, header, cols, mode, referenced.contains(file));
        }
    }
    cx.finish();
}

/// Reports a line the reader could not turn into a row; `false` when the
/// problem stops reading the file (I/O, size cap), for the caller to report.
fn report_read_error(cx: &mut Cx<'_>, file: &str, e: &csv::CsvError) -> bool {
    let loc = format!("{}:{}", e.line, e.field);
    match e.problem {
        Problem::Syntax | Problem::Encoding => {
            cx.fail(file, &loc, PACKAGE_READABLE, e.message.clone());
            true
        }
        Problem::TooLong => {
            cx.fail(file, &loc, LINE_LENGTH, e.message.clone());
            true
        }
        Problem::Io => false,
    }
}

impl Cx<'_> {
    fn io_stopped(&mut self, pkg: &Package, file: &str, e: &csv::CsvError) {
        if e.message.contains("total limit") {
            let msg = format!(
                "the bundle expands past the {}-byte total limit (zip bomb?) at {file}: {}; reading stopped",
                pkg.limits().max_total_bytes,
                e.message
            );
            self.fail_bundle(PACKAGE_SAFE, msg);
            self.stop = true;
        } else if e.message.contains("per-file limit") {
            self.fail(
                file,
                &format!("{}:1", e.line),
                PACKAGE_SAFE,
                e.message.clone(),
            );
        } else {
            self.fail(file, "", PACKAGE_READABLE, e.message.clone());
        }
    }

    fn manifest_records(&mut self, pkg: &mut Package) -> Option<Vec<Record>> {
        let max_line = pkg.limits().max_line_bytes;
        let mut reader = match pkg.open(MANIFEST) {
            Ok(r) => csv::Reader::new(r, max_line),
            Err(why) => {
                self.fail(MANIFEST, "", PACKAGE_READABLE, why);
                return None;
            }
        };
        let mut records = Vec::new();
        let mut ok = true;
        while let Some(row) = reader.next_row() {
            match row {
                Ok(r) if records.len() < 10_000 => records.push(r.to_record()),
                Ok(_) => {}
                Err(e) => {
                    ok = false;
                    if !report_read_error(self, MANIFEST, &e) {
                        let e = e.clone();
                        let n = reader.bytes_read();
                        drop(reader);
                        pkg.consumed(n);
                        self.io_stopped(pkg, MANIFEST, &e);
                        return None;
                    }
                }
            }
        }
        let n = reader.bytes_read();
        drop(reader);
        pkg.consumed(n);
        ok.then_some(records)
    }

    fn manifest_structure(&mut self, records: &[Record]) -> Properties {
        let mut props = Properties::new();
        let Some((header, rows)) = records.split_first() else {
            self.fail(
                MANIFEST,
                "",
                MANIFEST_STRUCTURE,
                "manifest.csv is empty".into(),
            );
            return props;
        };
        if header.fields != tables::MANIFEST_HEADER {
            let msg = format!(
                "header is {:?}, expected \"propertyName,value\"",
                header.fields.join(",")
            );
            self.fail(MANIFEST, "1:1", MANIFEST_STRUCTURE, msg);
        }
        for r in rows {
            let loc = format!("{}:1", r.line);
            let [name, value] = r.fields.as_slice() else {
                let msg = format!(
                    "row has {} fields, expected 2 (propertyName,value)",
                    r.fields.len()
                );
                self.fail(MANIFEST, &loc, MANIFEST_STRUCTURE, msg);
                continue;
            };
            if !known_property(name) {
                self.fail(
                    MANIFEST,
                    &loc,
                    MANIFEST_STRUCTURE,
                    format!("unknown property `{name}`"),
                );
            }
            if let Some((first, _)) = props.get(name) {
                let msg = format!("property `{name}` repeated (first on line {first})");
                self.fail(MANIFEST, &loc, MANIFEST_STRUCTURE, msg);
                continue;
            }
            props.insert(name.clone(), (r.line, value.clone()));
        }
        props
    }

    fn manifest_version(&mut self, props: &Properties) {
        match props.get("manifest.version") {
            None => self.fail(
                MANIFEST,
                "",
                MANIFEST_VERSION,
                "no `manifest.version` row".into(),
            ),
            Some((_, v)) if v == tables::MANIFEST_VERSION => {}
            Some((line, v)) => {
                let msg = format!(
                    "manifest.version is {v:?}, expected \"{}\"",
                    tables::MANIFEST_VERSION
                );
                self.fail(MANIFEST, &format!("{line}:2"), MANIFEST_VERSION, msg);
            }
        }
    }

    fn oneroster_version(&mut self, props: &Properties) -> Option<Version> {
        match props.get("oneroster.version") {
            None => {
                self.fail(
                    MANIFEST,
                    "",
                    ONEROSTER_VERSION,
                    "no `oneroster.version` row".into(),
                );
                None
            }
            Some((line, v)) => {
                let parsed = Version::parse(v);
                if parsed.is_none() {
                    let msg = format!("oneroster.version is {v:?}, expected \"1.1\" or \"1.2\"");
                    self.fail(MANIFEST, &format!("{line}:2"), ONEROSTER_VERSION, msg);
                }
                parsed
            }
        }
    }

    /// Checks every `file.*` row; returns file name (`users.csv`) → mode.
    fn file_modes(&mut self, props: &Properties, version: Version) -> BTreeMap<String, String> {
        let mut modes = BTreeMap::new();
        for (file, _) in version.files() {
            let stem = file.trim_end_matches(".csv");
            match props.get(&format!("file.{stem}")) {
                None => {
                    let msg = format!(
                        "no `file.{stem}` row (OneRoster {} defines {file})",
                        version.label()
                    );
                    self.fail(MANIFEST, "", FILE_MODES, msg);
                }
                Some((line, mode)) if !tables::FILE_MODES.contains(&mode.as_str()) => {
                    let msg = format!("file.{stem} is {mode:?}, expected absent, bulk or delta");
                    self.fail(MANIFEST, &format!("{line}:2"), FILE_MODES, msg);
                }
                Some((_, mode)) => {
                    modes.insert(file.to_string(), mode.clone());
                }
            }
        }
        modes
    }

    fn files_match(&mut self, pkg: &Package, modes: &BTreeMap<String, String>, version: Version) {
        for (file, mode) in modes {
            if mode != "absent" && !pkg.has(file) {
                let msg = format!(
                    "file.{} is {mode} but {file} is not in the bundle",
                    file.trim_end_matches(".csv")
                );
                self.fail(MANIFEST, "", FILES_MATCH, msg);
            }
        }
        let present: Vec<String> = pkg
            .file_names()
            .filter(|f| *f != MANIFEST)
            .map(str::to_string)
            .collect();
        for file in present {
            let msg = match modes.get(&file).map(String::as_str) {
                Some("bulk" | "delta") => continue,
                Some(_) => format!("{file} is in the bundle but the manifest declares it absent"),
                None => undeclared(&file, version),
            };
            self.fail(&file, "", FILES_MATCH, msg);
        }
    }

    fn data_file(
        &mut self,
        pkg: &mut Package,
        file: &'static str,
        expected: &[&str],
        cols: &'static [Col],
        mode: Option<Mode>,
        referenced: bool,
    ) {
        for r in [
            FILE_HEADER,
            FILE_HAS_ROWS,
            LINE_LENGTH,
            FIELD_COUNT,
            REQUIRED,
            SOURCED_ID,
            UNIQUE,
        ] {
            self.out.applies(r);
        }
        match mode {
            Some(Mode::Bulk) => self.out.applies(BULK_BLANK),
            Some(Mode::Delta) => {
                self.out.applies(DELTA_FILLED);
                self.out.applies(STATUS);
            }
            None => {}
        }
        let max_line = pkg.limits().max_line_bytes;
        let mut reader = match pkg.open(file) {
            Ok(r) => csv::Reader::new(r, max_line),
            Err(why) => {
                self.fail(file, "", PACKAGE_READABLE, why);
                return;
            }
        };
        let mut state = FileState {
            file,
            cols,
            mode,
            width: 0,
            header_ok: false,
            typed: typed_column(file, cols),
            index: dep_index(file),
            last_good: vec![None; cols.len()],
            targets: cols
                .iter()
                .map(|c| match c.ty {
                    Ty::Ref(t) | Ty::RefList(t) => dep_index(t.file),
                    _ => None,
                })
                .collect(),
            ids: FileIds::default(),
            pending: Vec::new(),
            rows: 0,
            complete: true,
            id_log: (!referenced).then(Vec::new),
        };
        let mut header_seen = false;
        let mut io_error = None;
        while let Some(row) = reader.next_row() {
            match row {
                Ok(row) if !header_seen => {
                    header_seen = true;
                    let got: Vec<String> = row.fields().map(str::to_string).collect();
                    state.width = got.len();
                    match header_problem(&got, expected) {
                        Some((field, msg)) => {
                            self.fail(file, &format!("1:{field}"), FILE_HEADER, msg);
                        }
                        None => state.header_ok = true,
                    }
                }
                Ok(row) => {
                    state.rows += 1;
                    if state.header_ok {
                        self.row(&mut state, &row);
                    }
                }
                Err(e) => {
                    if !header_seen && e.line == 1 {
                        header_seen = true;
                    }
                    state.complete = false;
                    if !report_read_error(self, file, &e) {
                        io_error = Some(e);
                        break;
                    }
                }
            }
        }
        let n = reader.bytes_read();
        drop(reader);
        pkg.consumed(n);
        if let Some(e) = io_error {
            self.io_stopped(pkg, file, &e);
        }
        if !header_seen {
            self.fail(file, "", FILE_HEADER, "empty file: no header row".into());
        } else if state.rows == 0 {
            let msg =
                "no data rows; a file with nothing to send is declared absent, not shipped empty"
                    .to_string();
            self.fail(file, "", FILE_HAS_ROWS, msg);
        }
        self.end_file(state);
    }

    fn end_file(&mut self, state: FileState) {
        let FileState {
            file,
            mut ids,
            pending,
            mode,
            header_ok,
            complete,
            id_log,
            ..
        } = state;
        if let Some(mut log) = id_log {
            log.sort_unstable();
            for pair in log.windows(2) {
                if let [(h0, first), (h1, line)] = pair
                    && h0 == h1
                {
                    let start = log.partition_point(|p| p.0 < *h0);
                    let first = log.get(start).map_or(*first, |p| p.1);
                    let msg =
                        format!("`sourcedId` repeats the sourcedId of line {first} of {file}");
                    self.fail(file, &format!("{line}:1"), UNIQUE, msg);
                }
            }
        }
        ids.checkable = header_ok && complete && mode == Some(Mode::Bulk);
        if ids.checkable {
            for p in pending {
                self.seen.resolves = true;
                if !ids.ids.contains(&p.hash) {
                    let msg = format!("`{}`: {:?} is not a sourcedId in {file}", p.column, p.value);
                    self.fail(file, &format!("{}:{}", p.line, p.field), RESOLVES, msg);
                }
            }
        }
        if let Some(slot) = dep_index(file).and_then(|i| self.files.get_mut(i)) {
            *slot = Some(ids);
        }
    }

    fn row(&mut self, st: &mut FileState, row: &Row<'_>) {
        let line = row.line;
        if row.len() != st.width {
            let msg = format!("{} fields, but the header has {}", row.len(), st.width);
            self.fail(st.file, &format!("{line}:1"), FIELD_COUNT, msg);
            if let Some(id) = row.get(0).filter(|v| is_guid(v)) {
                self.register(st, id, line);
            }
            return;
        }
        for (i, col) in st.cols.iter().enumerate() {
            let v = row.get(i).unwrap_or_default();
            self.value(st, line, i, col, v);
        }
        if let Some(id) = row.get(0).filter(|v| is_guid(v)) {
            self.register(st, id, line);
        }
        if let (Some((idx, token)), Some(id)) = (st.typed, row.get(0)) {
            let t = row.get(idx).unwrap_or_default();
            if t == token || (token == "school" && t.starts_with("ext:")) {
                st.typed_insert(self.hash(id));
            }
        }
    }

    /// Records a row's sourcedId: straight into the id set when other files
    /// refer to this one (a duplicate is reported at once), else into a log
    /// sorted when the file ends (ten million appends and one sort cost less
    /// than ten million random inserts into a growing table).
    fn register(&mut self, st: &mut FileState, id: &str, line: usize) {
        let hash = self.hash(id);
        match st.id_log.as_mut() {
            Some(log) => log.push((hash, line)),
            None => {
                if !st.ids.ids.insert(hash) {
                    let msg = format!(
                        "`sourcedId` {id:?} is used by an earlier row of {}",
                        st.file
                    );
                    self.fail(st.file, &format!("{line}:1"), UNIQUE, msg);
                }
            }
        }
    }

    fn value(&mut self, st: &mut FileState, line: usize, index: usize, col: &Col, v: &str) {
        let field = index + 1;
        let file = st.file;
        let loc = || format!("{line}:{field}");
        let name = col.name;
        match col.ty {
            Ty::Status | Ty::Modified => {
                self.lifecycle(st, line, field, col, v);
                return;
            }
            _ => {}
        }
        if v.is_empty() {
            if col.required {
                self.fail(
                    file,
                    &loc(),
                    REQUIRED,
                    format!("`{name}` is required but blank"),
                );
            }
            return;
        }
        match col.ty {
            Ty::Id => {
                if !is_guid(v) {
                    self.fail(file, &loc(), SOURCED_ID, bad_guid(name, v));
                }
            }
            Ty::Status | Ty::Modified | Ty::Text => {}
            Ty::Enum(tokens, ext) => {
                self.seen.enumeration = true;
                if !in_enum(v, tokens, ext) {
                    self.fail(file, &loc(), ENUM, bad_enum(name, v, tokens, ext));
                }
            }
            Ty::EnumList(tokens, ext) => {
                self.seen.list = true;
                self.seen.enumeration = true;
                for item in v.split(',') {
                    if item.is_empty() {
                        self.fail(file, &loc(), LIST, empty_item(name, v));
                    } else if !in_enum(item, tokens, ext) {
                        self.fail(file, &loc(), ENUM, bad_enum(name, item, tokens, ext));
                    }
                }
            }
            Ty::Bool => {
                self.seen.boolean = true;
                if v != "true" && v != "false" {
                    let hint = if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
                    {
                        " (values are case-sensitive)"
                    } else {
                        ""
                    };
                    let msg = format!("`{name}` is {v:?}, expected true or false{hint}");
                    self.fail(file, &loc(), BOOLEAN, msg);
                }
            }
            Ty::Date => {
                self.seen.date = true;
                if !is_date(v) {
                    let msg = format!("`{name}` is {v:?}, expected a date YYYY-MM-DD");
                    self.fail(file, &loc(), DATE, msg);
                }
            }
            Ty::Year => {
                self.seen.year = true;
                if !(v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit())) {
                    let msg = format!("`{name}` is {v:?}, expected a four-digit year YYYY");
                    self.fail(file, &loc(), YEAR, msg);
                }
            }
            Ty::Float => {
                self.seen.number = true;
                if !is_float(v) {
                    let msg = format!("`{name}` is {v:?}, expected a decimal number");
                    self.fail(file, &loc(), NUMBER, msg);
                }
            }
            Ty::Int => {
                self.seen.number = true;
                if !is_int(v) {
                    let msg = format!("`{name}` is {v:?}, expected an integer");
                    self.fail(file, &loc(), NUMBER, msg);
                }
            }
            Ty::Ref(target) => {
                if !is_guid(v) {
                    self.fail(file, &loc(), SOURCED_ID, bad_guid(name, v));
                } else {
                    self.reference(st, line, index, target, v);
                }
            }
            Ty::RefList(target) => {
                self.seen.list = true;
                for item in v.split(',') {
                    if item.is_empty() {
                        self.fail(file, &loc(), LIST, empty_item(name, v));
                    } else if !is_guid(item) {
                        self.fail(file, &loc(), SOURCED_ID, bad_guid(name, item));
                    } else {
                        self.reference(st, line, index, target, item);
                    }
                }
            }
            Ty::Strings => {
                self.seen.list = true;
                if v.split(',').any(str::is_empty) {
                    self.fail(file, &loc(), LIST, empty_item(name, v));
                }
            }
            Ty::UserIds | Ty::Pairs => {
                self.seen.list = true;
                let shape = if col.ty == Ty::UserIds {
                    "{type:identifier}"
                } else {
                    "{lhs:rhs}"
                };
                if let Some(item) = v.split(',').find(|i| !is_braced_pair(i)) {
                    let msg = format!("`{name}` item {item:?} is not of the form {shape}");
                    self.fail(file, &loc(), LIST, msg);
                }
            }
        }
    }

    fn lifecycle(&mut self, st: &FileState, line: usize, field: usize, col: &Col, v: &str) {
        let file = st.file;
        let loc = || format!("{line}:{field}");
        let name = col.name;
        match st.mode {
            Some(Mode::Bulk) => {
                if !v.is_empty() {
                    let msg = format!("`{name}` is {v:?} in a bulk file; bulk rows leave it blank");
                    self.fail(file, &loc(), BULK_BLANK, msg);
                }
                return;
            }
            Some(Mode::Delta) if v.is_empty() => {
                let msg = format!("`{name}` is blank in a delta file; delta rows fill it");
                self.fail(file, &loc(), DELTA_FILLED, msg);
                return;
            }
            _ if v.is_empty() => return,
            _ => {}
        }
        if col.ty == Ty::Status {
            if !columns::STATUS.contains(&v) {
                let msg = format!("`status` is {v:?}, expected active or tobedeleted");
                self.fail(file, &loc(), STATUS, msg);
            }
        } else {
            self.seen.datetime = true;
            if !is_datetime(v) {
                let msg = format!(
                    "`{name}` is {v:?}, expected an ISO 8601 date-time such as 2025-09-01T12:00:00.000Z"
                );
                self.fail(file, &loc(), DATETIME, msg);
            }
        }
    }

    fn reference(
        &mut self,
        st: &mut FileState,
        line: usize,
        index: usize,
        target: Target,
        v: &str,
    ) {
        let field = index + 1;
        let column = st.cols.get(index).map_or("", |c| c.name);
        let target_index = st.targets.get(index).copied().flatten();
        if st.mode != Some(Mode::Bulk) {
            return;
        }
        let hash = self.hash(v);
        if target_index == st.index {
            st.pending.push(Pending {
                hash,
                line,
                field,
                column,
                value: v.chars().take(255).collect(),
            });
            return;
        }
        let Some(ids) = target_index
            .and_then(|i| self.files.get(i))
            .and_then(Option::as_ref)
            .filter(|f| f.checkable)
        else {
            return;
        };
        self.seen.resolves = true;
        // Rows usually come grouped (ten enrollments of one user in a row):
        // a reference equal to the column's last good one needs no lookup.
        let last = st.last_good.get_mut(index);
        if last.as_ref().is_some_and(|l| **l == Some(hash)) {
            return;
        }
        let found = ids.ids.contains(&hash);
        let typed = target.kind == TargetKind::Any || ids.typed.contains(&hash);
        if let Some(l) = last.filter(|_| found && typed) {
            *l = Some(hash);
        }
        let loc = || format!("{line}:{field}");
        if !found {
            let msg = format!("`{column}`: {v:?} is not a sourcedId in {}", target.file);
            self.fail(st.file, &loc(), RESOLVES, msg);
        } else if target.kind != TargetKind::Any {
            self.seen.target_type = true;
            if !typed {
                let what = match target.kind {
                    TargetKind::School => "an org of type school",
                    _ => "an academic session of type schoolYear",
                };
                let msg = format!("`{column}`: {v:?} is not {what}");
                self.fail(st.file, &loc(), TARGET_TYPE, msg);
            }
        }
    }
}

struct FileState {
    /// Position in [`DEPENDENCY_ORDER`].
    index: Option<usize>,
    /// Per column, the position of the file a reference column points at.
    targets: Vec<Option<usize>>,
    /// (id hash, line) of every row, for files nothing refers to.
    id_log: Option<Vec<(u64, usize)>>,
    /// Per column, the hash of the last reference that resolved.
    last_good: Vec<Option<u64>>,
    file: &'static str,
    cols: &'static [Col],
    mode: Option<Mode>,
    width: usize,
    header_ok: bool,
    /// (column index, token): rows whose column holds the token are "typed".
    typed: Option<(usize, &'static str)>,
    ids: FileIds,
    pending: Vec<Pending>,
    rows: u64,
    complete: bool,
}

impl FileState {
    fn typed_insert(&mut self, hash: u64) {
        self.ids.typed.insert(hash);
    }
}

fn dep_index(file: &str) -> Option<usize> {
    DEPENDENCY_ORDER.iter().position(|f| *f == file)
}

fn typed_column(file: &str, cols: &[Col]) -> Option<(usize, &'static str)> {
    let token = match file {
        "orgs.csv" => "school",
        "academicSessions.csv" => "schoolYear",
        _ => return None,
    };
    cols.iter()
        .position(|c| c.name == "type")
        .map(|i| (i, token))
}

/// Whether `c` is in `[0-9A-Za-z./@_-]`: the ranges `-./0-9`, `@A-Z`, `_`,
/// `a-z`, tested without branches so the check over an id vectorizes (it was
/// a fifth of validation time as a per-byte early-exit loop).
#[inline]
fn guid_byte(c: u8) -> bool {
    (c.wrapping_sub(b'-') < 13)
        | (c.wrapping_sub(b'@') < 27)
        | (c == b'_')
        | (c.wrapping_sub(b'a') < 26)
}

/// `[0-9A-Za-z./@_-]{1,255}`.
pub fn is_guid(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty() && b.len() <= 255 && b.iter().fold(true, |ok, &c| ok & guid_byte(c))
}

fn bad_guid(name: &str, v: &str) -> String {
    let shown: String = v.chars().take(80).collect();
    format!("`{name}` {shown:?} is not a GUID string (1-255 characters from [0-9A-Za-z./@_-])")
}

fn in_enum(v: &str, tokens: &[&str], ext: bool) -> bool {
    tokens.contains(&v)
        || (ext
            && v.strip_prefix("ext:").is_some_and(|n| {
                !n.is_empty()
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            }))
}

fn bad_enum(name: &str, v: &str, tokens: &[&str], ext: bool) -> String {
    let case = tokens
        .iter()
        .find(|t| t.eq_ignore_ascii_case(v))
        .map(|t| format!(" (tokens are case-sensitive: {t})"))
        .unwrap_or_default();
    let ext = if ext { " or ext:<name>" } else { "" };
    format!(
        "`{name}` is {v:?}, expected one of {}{ext}{case}",
        tokens.join("|")
    )
}

fn empty_item(name: &str, v: &str) -> String {
    format!("`{name}` list {v:?} has an empty item")
}

fn is_braced_pair(item: &str) -> bool {
    item.strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .and_then(|s| s.split_once(':'))
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&b[..4]), digits(&b[5..7]), digits(&b[8..])) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`.
pub fn is_datetime(v: &str) -> bool {
    let Some((date, time)) = v.split_once('T') else {
        return false;
    };
    if !is_date(date) {
        return false;
    }
    let (clock, zone) = if let Some(c) = time.strip_suffix('Z') {
        (c, None)
    } else if time.len() > 6 && matches!(time.as_bytes()[time.len() - 6], b'+' | b'-') {
        let (c, z) = time.split_at(time.len() - 6);
        (c, Some(&z[1..]))
    } else {
        return false;
    };
    if let Some(z) = zone {
        let zb = z.as_bytes();
        let ok = zb.len() == 5
            && zb[2] == b':'
            && digits(&zb[..2]).is_some_and(|h| h <= 23)
            && digits(&zb[3..]).is_some_and(|m| m <= 59);
        if !ok {
            return false;
        }
    }
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| f.is_empty() || f.len() > 9 || digits(f.as_bytes()).is_none()) {
        return false;
    }
    let c = hms.as_bytes();
    c.len() == 8
        && c[2] == b':'
        && c[5] == b':'
        && digits(&c[..2]).is_some_and(|h| h <= 23)
        && digits(&c[3..5]).is_some_and(|m| m <= 59)
        && digits(&c[6..]).is_some_and(|s| s <= 60)
}

/// `[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?`
pub fn is_float(v: &str) -> bool {
    let s = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int) && all_digits(frac) && (!int.is_empty() || !frac.is_empty());
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exp_ok
}

/// `[+-]?\d+`
pub fn is_int(v: &str) -> bool {
    let s = v.strip_prefix(['+', '-']).unwrap_or(v);
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn known_property(name: &str) -> bool {
    if ["manifest.version", "oneroster.version"].contains(&name)
        || tables::OPTIONAL_MANIFEST_PROPERTIES.contains(&name)
    {
        return true;
    }
    let Some(stem) = name.strip_prefix("file.") else {
        return false;
    };
    let file = format!("{stem}.csv");
    [Version::V1p1, Version::V1p2]
        .iter()
        .any(|v| v.header(&file).is_some())
}

fn undeclared(file: &str, version: Version) -> String {
    let near = version
        .files()
        .iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(file))
        .map(|(f, _)| *f);
    match near {
        Some(f) => format!(
            "{file} is not a OneRoster {} file name (file names are case-sensitive: {f})",
            version.label()
        ),
        None => format!(
            "{file} is not a OneRoster {} file and is not declared in the manifest",
            version.label()
        ),
    }
}

/// The first header problem: (1-based field, message).
pub fn header_problem(got: &[String], expected: &[&str]) -> Option<(usize, String)> {
    for (i, want) in expected.iter().enumerate() {
        let Some(have) = got.get(i) else {
            let msg = format!(
                "missing column `{want}` (expected {} columns: {})",
                expected.len(),
                expected.join(",")
            );
            return Some((i + 1, msg));
        };
        if have == want {
            continue;
        }
        let msg = if have.eq_ignore_ascii_case(want) {
            format!(
                "column {} is `{have}`, expected `{want}` (header names are case-sensitive)",
                i + 1
            )
        } else {
            format!("column {} is `{have}`, expected `{want}`", i + 1)
        };
        return Some((i + 1, msg));
    }
    let mut seen = HashSet::new();
    for (i, extra) in got.iter().enumerate().skip(expected.len()) {
        if !extra.starts_with("metadata.") {
            let msg = format!(
                "unexpected column `{extra}`; only metadata.<name> extension columns may follow the defined ones"
            );
            return Some((i + 1, msg));
        }
        if !seen.insert(extra) {
            return Some((i + 1, format!("column `{extra}` repeated")));
        }
    }
    None
}

/// Validates one bundle path: opens it and validates it.
pub fn validate_path(path: &std::path::Path, limits: &Limits, out: &mut Validation) {
    if let Some(mut pkg) = crate::package::open(path, limits, out) {
        validate_package(&mut pkg, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn strings(s: &str) -> Vec<String> {
        s.split(',').map(String::from).collect()
    }

    #[rstest]
    #[case("sourcedId,status,dateLastModified,title", None)]
    #[case("sourcedId,status,dateLastModified,title,metadata.x", None)]
    #[case("sourcedId,status,dataLastModified,title", Some(3))]
    #[case("sourcedId,Status,dateLastModified,title", Some(2))]
    #[case("sourcedId,status,dateLastModified", Some(4))]
    #[case("sourcedId,status,dateLastModified,title,extra", Some(5))]
    #[case(
        "sourcedId,status,dateLastModified,title,metadata.x,metadata.x",
        Some(6)
    )]
    fn headers(#[case] got: &str, #[case] field: Option<usize>) {
        let expected = ["sourcedId", "status", "dateLastModified", "title"];
        assert_eq!(
            header_problem(&strings(got), &expected).map(|(f, _)| f),
            field
        );
    }

    #[rstest]
    #[case("2024-02-29", true)]
    #[case("2023-02-29", false)]
    #[case("2024-13-01", false)]
    #[case("2024-1-01", false)]
    #[case("09/01/2024", false)]
    fn dates(#[case] v: &str, #[case] ok: bool) {
        assert_eq!(is_date(v), ok, "{v}");
    }

    #[rstest]
    #[case("2025-09-01T12:00:00.000Z", true)]
    #[case("2025-09-01T12:00:00Z", true)]
    #[case("2025-09-01T12:00:00.5+02:00", true)]
    #[case("2025-09-01", false)]
    #[case("2025-09-01T12:00:00", false)]
    #[case("2025-09-01 12:00:00Z", false)]
    #[case("2025-09-01T25:00:00Z", false)]
    #[case("2025-09-01T12:00:00.Z", false)]
    fn datetimes(#[case] v: &str, #[case] ok: bool) {
        assert_eq!(is_datetime(v), ok, "{v}");
    }

    #[rstest]
    #[case("12", true)]
    #[case("-3.5", true)]
    #[case("1e3", true)]
    #[case(".5", true)]
    #[case("NaN", false)]
    #[case("1,5", false)]
    #[case("", false)]
    #[case("1e", false)]
    fn floats(#[case] v: &str, #[case] ok: bool) {
        assert_eq!(is_float(v), ok, "{v}");
    }

    #[rstest]
    #[case("abc-123_./@X", true)]
    #[case("bad id", false)]
    #[case("{x}", false)]
    #[case("", false)]
    fn guids(#[case] v: &str, #[case] ok: bool) {
        assert_eq!(is_guid(v), ok, "{v}");
        assert!(!is_guid(&"a".repeat(256)));
    }

    #[rstest]
    #[case("{LDAP:12}", true)]
    #[case("LDAP:12", false)]
    #[case("{:12}", false)]
    fn pairs(#[case] v: &str, #[case] ok: bool) {
        assert_eq!(is_braced_pair(v), ok, "{v}");
    }

    #[test]
    fn ext_tokens_only_where_the_vocabulary_is_extensible() {
        assert!(in_enum("ext:charter", &["school"], true));
        assert!(!in_enum("ext:charter", &["school"], false));
        assert!(!in_enum("ext:", &["school"], true));
        assert!(!in_enum("School", &["school"], true));
    }
}
