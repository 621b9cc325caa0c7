//! A generator of consistent OneRoster CSV bundles (1.1 or 1.2; bulk, delta or
//! mixed), sized by the number of users, deterministic for a seed.
//!
//! Why: the validator needs inputs at every scale, from a 20-user sample for
//! the demo and the self-tests (which [`crate::mutate`] breaks one defect at a
//! time) to a 1M-user, 10M-enrollment district for the benchmark. Rows are
//! computed from their index (every sourcedId is a pure function of seed,
//! entity and index), so any reference can be written without remembering
//! anything: generation streams to its [`Sink`] in constant memory.
//!
//! Shape, for `users` = n: one district and one school per 500 users; one
//! school year, two semesters and four grading periods; 20 courses and
//! ⌈users·10/25⌉ classes per school (25 seats a class); 1 teacher in 25;
//! 10 enrollments per user (fewer only in a school with fewer than 10
//! classes); demographics for one user in ten; 1.2 adds one role per user. The
//! gradebook and resource files are small and tied to the first school, so
//! every file of the version is shipped and every rule has something to judge.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::columns::{self};
use crate::csv::push_field;
use crate::tables::{MANIFEST_VERSION, Version};

/// Users per school.
pub const USERS_PER_SCHOOL: u64 = 500;
/// Enrollments per user.
pub const ENROLLMENTS_PER_USER: u64 = 10;
/// Seats per class.
const SEATS: u64 = 25;
/// Courses per school.
const COURSES_PER_SCHOOL: u64 = 20;
/// Smallest bundle: enough users for every file to have rows.
pub const MIN_USERS: u64 = 10;

/// How the files are declared in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GenMode {
    /// Every file bulk: status and dateLastModified blank.
    #[default]
    Bulk,
    /// Every file delta: status and dateLastModified filled, a few rows
    /// `tobedeleted`.
    Delta,
    /// Every file bulk except `enrollments.csv`, which is delta: one bundle
    /// that exercises both lifecycles (the sample).
    Mixed,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// OneRoster version.
    pub version: Version,
    /// Number of users (at least [`MIN_USERS`]).
    pub users: u64,
    /// Bulk, delta or mixed.
    pub mode: GenMode,
    /// Seed of every id and name.
    pub seed: u64,
}

impl Config {
    /// A bulk bundle of `users` users with seed 0.
    pub fn new(version: Version, users: u64) -> Config {
        Config {
            version,
            users,
            mode: GenMode::Bulk,
            seed: 0,
        }
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The configuration cannot produce a valid bundle.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Writing failed.
    #[error("writing {what}: {source}")]
    Io {
        /// The file or bundle being written.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing the zip failed.
    #[error("writing the zip {what}: {source}")]
    Zip {
        /// The bundle.
        what: String,
        /// The underlying error.
        source: zip::result::ZipError,
    },
}

/// What was generated: rows per file (manifest order) and bytes in total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// (file, data rows).
    pub files: Vec<(String, u64)>,
    /// Uncompressed bytes of every file, manifest included.
    pub bytes: u64,
}

impl Summary {
    /// Rows of `file`.
    pub fn rows(&self, file: &str) -> u64 {
        self.files
            .iter()
            .find(|(f, _)| f == file)
            .map_or(0, |(_, n)| *n)
    }
}

/// Where generated files go, one at a time.
pub trait Sink {
    /// Starts file `name`.
    fn begin(&mut self, name: &str) -> Result<(), GenerateError>;
    /// Appends bytes to the current file.
    fn write(&mut self, bytes: &[u8]) -> Result<(), GenerateError>;
    /// Ends the current file.
    fn end(&mut self) -> Result<(), GenerateError>;
}

/// Files kept in memory, as (name, bytes) pairs.
#[derive(Debug, Default)]
pub struct MemSink {
    /// The files, in the order written.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Sink for MemSink {
    fn begin(&mut self, name: &str) -> Result<(), GenerateError> {
        self.files.push((name.to_string(), Vec::new()));
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), GenerateError> {
        if let Some((_, b)) = self.files.last_mut() {
            b.extend_from_slice(bytes);
        }
        Ok(())
    }
    fn end(&mut self) -> Result<(), GenerateError> {
        Ok(())
    }
}

/// Files written into a directory.
#[derive(Debug)]
pub struct DirSink {
    root: PathBuf,
    current: Option<(PathBuf, BufWriter<std::fs::File>)>,
}

impl DirSink {
    /// Creates `root` (and parents).
    pub fn create(root: &Path) -> Result<DirSink, GenerateError> {
        std::fs::create_dir_all(root).map_err(|source| GenerateError::Io {
            what: root.display().to_string(),
            source,
        })?;
        Ok(DirSink {
            root: root.to_path_buf(),
            current: None,
        })
    }
}

fn io_err(what: &Path) -> impl Fn(std::io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io {
        what: what.display().to_string(),
        source,
    }
}

impl Sink for DirSink {
    fn begin(&mut self, name: &str) -> Result<(), GenerateError> {
        let path = self.root.join(name);
        let f = std::fs::File::create(&path).map_err(io_err(&path))?;
        self.current = Some((path, BufWriter::with_capacity(1 << 20, f)));
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), GenerateError> {
        if let Some((path, w)) = self.current.as_mut() {
            w.write_all(bytes).map_err(io_err(path))?;
        }
        Ok(())
    }
    fn end(&mut self) -> Result<(), GenerateError> {
        if let Some((path, mut w)) = self.current.take() {
            w.flush().map_err(io_err(&path))?;
        }
        Ok(())
    }
}

/// Files written into a zip (deflate, fast level; zip64 where needed).
pub struct ZipSink {
    path: PathBuf,
    zip: zip::ZipWriter<BufWriter<std::fs::File>>,
}

impl std::fmt::Debug for ZipSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipSink").field("path", &self.path).finish()
    }
}

impl ZipSink {
    /// Creates the zip file `path`.
    pub fn create(path: &Path) -> Result<ZipSink, GenerateError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        let f = std::fs::File::create(path).map_err(io_err(path))?;
        Ok(ZipSink {
            path: path.to_path_buf(),
            zip: zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, f)),
        })
    }

    /// Writes the central directory.
    pub fn finish(self) -> Result<(), GenerateError> {
        let path = self.path;
        let mut w = self.zip.finish().map_err(|source| GenerateError::Zip {
            what: path.display().to_string(),
            source,
        })?;
        w.flush().map_err(io_err(&path))
    }
}

impl Sink for ZipSink {
    fn begin(&mut self, name: &str) -> Result<(), GenerateError> {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        self.zip
            .start_file(name, opts)
            .map_err(|source| GenerateError::Zip {
                what: self.path.display().to_string(),
                source,
            })
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), GenerateError> {
        self.zip.write_all(bytes).map_err(io_err(&self.path))
    }
    fn end(&mut self) -> Result<(), GenerateError> {
        Ok(())
    }
}

/// Generates the bundle into memory (small bundles: tests, the sample).
pub fn generate_files(cfg: &Config) -> Result<Vec<(String, Vec<u8>)>, GenerateError> {
    let mut sink = MemSink::default();
    generate(cfg, &mut sink)?;
    Ok(sink.files)
}

/// Generates the bundle as the directory `root`.
pub fn generate_dir(cfg: &Config, root: &Path) -> Result<Summary, GenerateError> {
    let mut sink = DirSink::create(root)?;
    generate(cfg, &mut sink)
}

/// Generates the bundle as the zip file `path`.
pub fn generate_zip(cfg: &Config, path: &Path) -> Result<Summary, GenerateError> {
    let mut sink = ZipSink::create(path)?;
    let summary = generate(cfg, &mut sink)?;
    sink.finish()?;
    Ok(summary)
}

/// Entities, for ids.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
enum K {
    Org = 1,
    Session,
    Course,
    Class,
    User,
    Enrollment,
    Role,
    Profile,
    Category,
    LineItem,
    Result,
    ScoreScale,
    LineItemLo,
    LineItemScale,
    ResultLo,
    ResultScale,
    Resource,
    ClassResource,
    CourseResource,
    UserResource,
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex(buf: &mut Vec<u8>, v: u64, digits: u32) {
    for i in (0..digits).rev() {
        buf.push(HEX[((v >> (i * 4)) & 0xf) as usize]);
    }
}

fn push_u64(buf: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut v = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

const GIVEN: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Tim",
    "Barbara",
    "Edsger",
    "Frances",
    "Donald",
    "Radia",
    "Ken",
    "Sophie",
    "José",
    "Aiko",
];
const FAMILY: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Berners-Lee",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Perlman",
    "Thompson",
    "O'Brien",
    "Smith, Jr.",
    "Núñez",
];

struct Gen {
    cfg: Config,
    line: Vec<u8>,
    fields: usize,
    schools: u64,
}

/// The semesters' and grading periods' dates: (start, end).
const SESSION_DATES: [(&str, &str); 7] = [
    ("2025-08-01", "2026-06-30"),
    ("2025-08-01", "2025-12-19"),
    ("2026-01-05", "2026-06-30"),
    ("2025-08-01", "2025-10-10"),
    ("2025-10-13", "2025-12-19"),
    ("2026-01-05", "2026-03-20"),
    ("2026-03-23", "2026-06-30"),
];

impl Gen {
    fn users_in(&self, school: u64) -> u64 {
        let start = school * USERS_PER_SCHOOL;
        self.cfg.users.saturating_sub(start).min(USERS_PER_SCHOOL)
    }

    fn classes_in(&self, school: u64) -> u64 {
        (self.users_in(school) * ENROLLMENTS_PER_USER)
            .div_ceil(SEATS)
            .max(1)
    }

    fn class_index(school: u64, j: u64) -> u64 {
        school * (USERS_PER_SCHOOL * ENROLLMENTS_PER_USER).div_ceil(SEATS) + j
    }

    fn is_teacher(u: u64) -> bool {
        (u % USERS_PER_SCHOOL).is_multiple_of(SEATS)
    }

    fn delta(&self, file: &str) -> bool {
        match self.cfg.mode {
            GenMode::Bulk => false,
            GenMode::Delta => true,
            GenMode::Mixed => file == "enrollments.csv",
        }
    }

    fn start(&mut self) {
        self.line.clear();
        self.fields = 0;
    }

    fn sep(&mut self) {
        if self.fields > 0 {
            self.line.push(b',');
        }
        self.fields += 1;
    }

    fn s(&mut self, v: &str) -> &mut Self {
        self.sep();
        push_field(&mut self.line, v);
        self
    }

    fn n(&mut self, v: u64) -> &mut Self {
        self.sep();
        push_u64(&mut self.line, v);
        self
    }

    fn push_id(&mut self, k: K, idx: u64) {
        let a = mix(self.cfg.seed ^ mix((k as u64) << 48 ^ idx));
        let b = mix(a);
        push_hex(&mut self.line, a >> 32, 8);
        self.line.push(b'-');
        push_hex(&mut self.line, a >> 16, 4);
        self.line.push(b'-');
        self.line.push(b'4');
        push_hex(&mut self.line, a, 3);
        self.line.push(b'-');
        push_hex(&mut self.line, 0x8000 | (b >> 48 & 0x3fff), 4);
        self.line.push(b'-');
        push_hex(&mut self.line, b, 12);
    }

    fn id(&mut self, k: K, idx: u64) -> &mut Self {
        self.sep();
        self.push_id(k, idx);
        self
    }

    /// A list of ids in one field (quoted when it has more than one).
    fn ids(&mut self, items: &[(K, u64)]) -> &mut Self {
        self.sep();
        let quoted = items.len() > 1;
        if quoted {
            self.line.push(b'"');
        }
        for (i, (k, idx)) in items.iter().enumerate() {
            if i > 0 {
                self.line.push(b',');
            }
            self.push_id(*k, *idx);
        }
        if quoted {
            self.line.push(b'"');
        }
        self
    }

    /// The sourcedId, status and dateLastModified columns.
    fn head(&mut self, file: &str, k: K, idx: u64) -> &mut Self {
        self.start();
        self.id(k, idx);
        if self.delta(file) {
            let status = if idx % 37 == 36 {
                "tobedeleted"
            } else {
                "active"
            };
            self.s(status);
            self.sep();
            let secs = mix(self.cfg.seed ^ idx) % 86_400;
            self.line.extend_from_slice(b"2025-09-0");
            push_u64(&mut self.line, 1 + idx % 9);
            self.line.push(b'T');
            for (i, part) in [secs / 3600, secs / 60 % 60, secs % 60].iter().enumerate() {
                if i > 0 {
                    self.line.push(b':');
                }
                if *part < 10 {
                    self.line.push(b'0');
                }
                push_u64(&mut self.line, *part);
            }
            self.line.extend_from_slice(b".000Z");
        } else {
            self.s("").s("");
        }
        self
    }

    fn name(&self, u: u64, salt: u64, table: &'static [&'static str]) -> &'static str {
        let i = mix(self.cfg.seed ^ u.wrapping_mul(31) ^ salt) as usize % table.len();
        table.get(i).copied().unwrap_or("Doe")
    }
}

struct FileWriter<'a> {
    sink: &'a mut dyn Sink,
    summary: Summary,
    rows: u64,
    bytes: u64,
}

impl FileWriter<'_> {
    fn begin(&mut self, name: &str, header: &[&str]) -> Result<(), GenerateError> {
        self.sink.begin(name)?;
        self.rows = 0;
        let mut h = Vec::new();
        for (i, c) in header.iter().enumerate() {
            if i > 0 {
                h.push(b',');
            }
            h.extend_from_slice(c.as_bytes());
        }
        h.extend_from_slice(b"\r\n");
        self.bytes = h.len() as u64;
        self.sink.write(&h)
    }

    fn row(&mut self, g: &mut Gen) -> Result<(), GenerateError> {
        g.line.extend_from_slice(b"\r\n");
        self.rows += 1;
        self.bytes += g.line.len() as u64;
        self.sink.write(&g.line)
    }

    fn end(&mut self, name: &str) -> Result<(), GenerateError> {
        self.sink.end()?;
        self.summary.files.push((name.to_string(), self.rows));
        self.summary.bytes += self.bytes;
        Ok(())
    }
}

/// Generates the bundle into `sink`: every data file of the version, then
/// `manifest.csv`.
pub fn generate(cfg: &Config, sink: &mut dyn Sink) -> Result<Summary, GenerateError> {
    if cfg.users < MIN_USERS {
        return Err(GenerateError::Config(format!(
            "--users must be at least {MIN_USERS} (got {})",
            cfg.users
        )));
    }
    let mut g = Gen {
        cfg: *cfg,
        line: Vec::with_capacity(1024),
        fields: 0,
        schools: cfg.users.div_ceil(USERS_PER_SCHOOL),
    };
    let mut w = FileWriter {
        sink,
        summary: Summary::default(),
        rows: 0,
        bytes: 0,
    };
    let v = cfg.version;
    for (file, header) in v.files() {
        w.begin(file, header)?;
        write_file(&mut g, &mut w, file)?;
        w.end(file)?;
    }
    let mut manifest = format!(
        "propertyName,value\r\nmanifest.version,{MANIFEST_VERSION}\r\noneroster.version,{}\r\n",
        v.label()
    );
    for (file, _) in v.files() {
        let mode = if g.delta(file) { "delta" } else { "bulk" };
        manifest.push_str(&format!(
            "file.{},{mode}\r\n",
            file.trim_end_matches(".csv")
        ));
    }
    manifest.push_str("source.systemName,accredit generator\r\nsource.systemCode,accredit\r\n");
    w.sink.begin("manifest.csv")?;
    w.sink.write(manifest.as_bytes())?;
    w.sink.end()?;
    w.summary.bytes += manifest.len() as u64;
    Ok(w.summary)
}

fn write_file(g: &mut Gen, w: &mut FileWriter<'_>, file: &str) -> Result<(), GenerateError> {
    let v12 = g.cfg.version == Version::V1p2;
    let n = g.cfg.users;
    let schools = g.schools;
    let first_school_classes = g.classes_in(0);
    let line_items = first_school_classes.min(10) * 2;
    let result_students = 3u64;
    match file {
        "orgs.csv" => {
            g.head(file, K::Org, 0)
                .s("Accredit Unified District")
                .s("district");
            g.s("ACC-D").s("");
            w.row(g)?;
            for s in 0..schools {
                g.head(file, K::Org, s + 1);
                g.s(&format!("School {}", s + 1)).s("school");
                g.s(&format!("ACC-{:05}", s + 1)).id(K::Org, 0);
                w.row(g)?;
            }
        }
        "academicSessions.csv" => {
            let rows: [(&str, &str, Option<u64>); 7] = [
                ("2025-2026", "schoolYear", None),
                ("Fall 2025", "semester", Some(0)),
                ("Spring 2026", "semester", Some(0)),
                ("Q1", "gradingPeriod", Some(1)),
                ("Q2", "gradingPeriod", Some(1)),
                ("Q3", "gradingPeriod", Some(2)),
                ("Q4", "gradingPeriod", Some(2)),
            ];
            for (i, (title, ty, parent)) in rows.iter().enumerate() {
                let (start, end) = SESSION_DATES[i];
                g.head(file, K::Session, i as u64)
                    .s(title)
                    .s(ty)
                    .s(start)
                    .s(end);
                match parent {
                    Some(p) => g.id(K::Session, *p),
                    None => g.s(""),
                };
                g.s("2026");
                w.row(g)?;
            }
        }
        "courses.csv" => {
            for s in 0..schools {
                for j in 0..COURSES_PER_SCHOOL {
                    g.head(file, K::Course, s * COURSES_PER_SCHOOL + j)
                        .id(K::Session, 0);
                    g.s(&format!("Course {}", j + 1)).s(&format!("C{j:03}"));
                    g.s("09,10").id(K::Org, s + 1).s("Mathematics").s("MATH");
                    w.row(g)?;
                }
            }
        }
        "classes.csv" => {
            for s in 0..schools {
                for j in 0..g.classes_in(s) {
                    let course = s * COURSES_PER_SCHOOL + j % COURSES_PER_SCHOOL;
                    g.head(file, K::Class, Gen::class_index(s, j));
                    g.s(&format!("Section {}", j + 1)).s("09");
                    g.id(K::Course, course).s(&format!("S{j:04}"));
                    g.s(if j == 0 { "homeroom" } else { "scheduled" });
                    g.s(&format!("Room {}", 100 + j % 50)).id(K::Org, s + 1);
                    if j % 5 == 4 {
                        g.ids(&[(K::Session, 1), (K::Session, 2)]);
                    } else {
                        g.id(K::Session, 1 + j % 2);
                    }
                    g.s("Mathematics").s("MATH");
                    g.s(if j % 3 == 0 { "1,2" } else { "3" });
                    w.row(g)?;
                }
            }
        }
        "users.csv" => {
            for u in 0..n {
                let school = u / USERS_PER_SCHOOL;
                let teacher = Gen::is_teacher(u);
                let given = g.name(u, 1, GIVEN);
                let family = g.name(u, 2, FAMILY);
                g.head(file, K::User, u).s("true");
                if !v12 {
                    g.id(K::Org, school + 1);
                    g.s(if teacher { "teacher" } else { "student" });
                }
                let login = format!("u{u}");
                g.s(&login).s(&format!("{{LDAP:{u}}},{{SIS:S{u}}}"));
                g.s(given).s(family).s("").s(&format!("ID{u:07}"));
                g.s(&format!("{login}@accredit.test")).s("").s("").s("");
                g.s(if teacher { "" } else { "09" }).s("");
                if v12 {
                    g.s("").s("").s("").s("").id(K::Org, school + 1).s("");
                }
                w.row(g)?;
            }
        }
        "roles.csv" => {
            for u in 0..n {
                g.head(file, K::Role, u).id(K::User, u).s("primary");
                g.s(if Gen::is_teacher(u) {
                    "teacher"
                } else {
                    "student"
                });
                g.s("").s("").id(K::Org, u / USERS_PER_SCHOOL + 1);
                if u < 5 {
                    g.id(K::Profile, u);
                } else {
                    g.s("");
                }
                w.row(g)?;
            }
        }
        "userProfiles.csv" => {
            for u in 0..5 {
                g.head(file, K::Profile, u)
                    .id(K::User, u)
                    .s("lms")
                    .s("accredit");
                g.s("")
                    .s("LMS login")
                    .s("password")
                    .s(&format!("u{u}"))
                    .s("");
                w.row(g)?;
            }
        }
        "enrollments.csv" => {
            for u in 0..n {
                let school = u / USERS_PER_SCHOOL;
                let local = u % USERS_PER_SCHOOL;
                let k_s = g.classes_in(school);
                let per = ENROLLMENTS_PER_USER.min(k_s);
                let step = k_s / per;
                let teacher = Gen::is_teacher(u);
                for k in 0..per {
                    let j = (local * 7 + k * step) % k_s;
                    let (start, end) = SESSION_DATES[1 + (j % 2) as usize];
                    g.head(file, K::Enrollment, u * ENROLLMENTS_PER_USER + k);
                    g.id(K::Class, Gen::class_index(school, j));
                    g.id(K::Org, school + 1).id(K::User, u);
                    g.s(if teacher { "teacher" } else { "student" });
                    g.s(if teacher { "true" } else { "false" }).s(start).s(end);
                    w.row(g)?;
                }
            }
        }
        "demographics.csv" => {
            for u in (0..n).step_by(10) {
                let r = mix(g.cfg.seed ^ u ^ 0xd3);
                g.head(file, K::User, u);
                let month = 1 + r % 12;
                let day = 1 + (r >> 8) % 28;
                g.s(&format!("{}-{month:02}-{day:02}", 2008 + (r >> 16) % 10));
                g.s(if r & 1 == 0 { "female" } else { "male" });
                for bit in 0..7 {
                    g.s(if (r >> (20 + bit)) & 1 == 1 {
                        "true"
                    } else {
                        "false"
                    });
                }
                g.s("US").s("CA").s("Oakland").s("");
                w.row(g)?;
            }
        }
        "categories.csv" => {
            for (i, title) in ["Homework", "Quizzes", "Exams"].iter().enumerate() {
                g.head(file, K::Category, i as u64).s(title);
                if v12 {
                    g.n(20 + 20 * i as u64);
                }
                w.row(g)?;
            }
        }
        "lineItems.csv" => {
            for l in 0..line_items {
                let j = l / 2;
                let period = if j % 2 == 0 { 3 } else { 5 };
                g.head(file, K::LineItem, l)
                    .s(&format!("Assignment {}", l + 1));
                g.s("Practice, then \"show your work\"");
                g.s(SESSION_DATES[period as usize].0)
                    .s(SESSION_DATES[period as usize].1);
                g.id(K::Class, Gen::class_index(0, j))
                    .id(K::Category, l % 3);
                g.id(K::Session, period).s("0.0").s("100.0");
                if v12 {
                    g.id(K::Org, 1);
                }
                w.row(g)?;
            }
        }
        "results.csv" => {
            for l in 0..line_items {
                for st in 0..result_students {
                    let r = l * result_students + st;
                    g.head(file, K::Result, r)
                        .id(K::LineItem, l)
                        .id(K::User, 1 + st);
                    g.s("fully graded")
                        .n(60 + (r * 7) % 41)
                        .s("2025-10-01")
                        .s("");
                    if v12 {
                        g.s("").id(K::Class, Gen::class_index(0, l / 2));
                        g.s("false").s("false").s("false").s("false");
                    }
                    w.row(g)?;
                }
            }
        }
        "scoreScales.csv" => {
            g.head(file, K::ScoreScale, 0)
                .s("Letter grades")
                .s("letter");
            g.id(K::Org, 1)
                .id(K::Course, 0)
                .id(K::Class, Gen::class_index(0, 0));
            g.s("{A:90},{B:80},{C:70}");
            w.row(g)?;
        }
        "lineItemLearningObjectiveIds.csv" => {
            for l in 0..2 {
                g.head(file, K::LineItemLo, l).id(K::LineItem, l).s("case");
                g.sep();
                g.line.extend_from_slice(b"urn:uuid:");
                g.push_id(K::LineItemLo, 1000 + l);
                w.row(g)?;
            }
        }
        "lineItemScoreScales.csv" => {
            for l in 0..2 {
                g.head(file, K::LineItemScale, l).s("");
                g.id(K::LineItem, l).id(K::ScoreScale, 0);
                w.row(g)?;
            }
        }
        "resultLearningObjectiveIds.csv" => {
            for r in 0..2 {
                g.head(file, K::ResultLo, r).id(K::Result, r).s("unknown");
                g.s(&format!("LO-{r}")).s("3.5").s("");
                w.row(g)?;
            }
        }
        "resultScoreScales.csv" => {
            for r in 0..2 {
                g.head(file, K::ResultScale, r).s("");
                g.id(K::Result, r).id(K::ScoreScale, 0);
                w.row(g)?;
            }
        }
        "resources.csv" => {
            for i in 0..3 {
                g.head(file, K::Resource, i).s(&format!("VR-{i}"));
                g.s(&format!("Textbook {}", i + 1))
                    .s("student,teacher")
                    .s("primary");
                g.s("accredit-press").s("");
                w.row(g)?;
            }
        }
        "classResources.csv" => {
            for j in 0..first_school_classes.min(5) {
                g.head(file, K::ClassResource, j).s("");
                g.id(K::Class, Gen::class_index(0, j))
                    .id(K::Resource, j % 3);
                w.row(g)?;
            }
        }
        "courseResources.csv" => {
            for c in 0..3 {
                g.head(file, K::CourseResource, c).s("");
                g.id(K::Course, c).id(K::Resource, c);
                w.row(g)?;
            }
        }
        "userResources.csv" => {
            for u in 0..3 {
                g.head(file, K::UserResource, u)
                    .id(K::User, u)
                    .id(K::Org, 1);
                g.s("").id(K::Resource, 1);
                w.row(g)?;
            }
        }
        other => {
            return Err(GenerateError::Config(format!(
                "the generator has no rows for {other}"
            )));
        }
    }
    debug_assert!(columns::columns(g.cfg.version, file).is_some());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_another_seed_other_ids() {
        let cfg = Config::new(Version::V1p2, 30);
        let a = generate_files(&cfg).unwrap_or_default();
        let b = generate_files(&cfg).unwrap_or_default();
        let c = generate_files(&Config { seed: 7, ..cfg }).unwrap_or_default();
        assert!(!a.is_empty());
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn enrollments_scale_with_users() {
        let mut sink = MemSink::default();
        let s = generate(&Config::new(Version::V1p1, 1200), &mut sink);
        let s = s.unwrap_or_default();
        assert_eq!(s.rows("users.csv"), 1200);
        assert_eq!(s.rows("enrollments.csv"), 12_000);
        assert_eq!(s.rows("orgs.csv"), 4);
    }

    #[test]
    fn too_few_users_is_a_config_error() {
        let r = generate_files(&Config::new(Version::V1p1, 3));
        assert!(matches!(r, Err(GenerateError::Config(_))));
    }
}
