//! The SIS's embedded SQLite store, seeded from a OneRoster 1.2 CSV bundle.
//!
//! Why SQLite and JSON documents: a SIS answers paged, filtered, sorted
//! queries with a true total; doing that in a real database (one `entity`
//! table, each row the REST representation of one object, queried with
//! `json_extract`) is what a production provider does, and it keeps the
//! reference honest about counts and ordering. The CSV → REST mapping (GUIDRef
//! objects with `href`, lists split, 1.2 `roles` from `roles.csv`, blank bulk
//! lifecycle columns filled as `active` and the load time) happens once, at
//! load.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value, json};

use super::SisError;
use super::csvread::{Row, Table, read_table};
use super::filter::{self, Filter};

/// The secondary indexes, built after the bulk load. Besides the default
/// order, each one serves a relation the REST API answers (the JSON paths are
/// spelled exactly as the relation conditions in `mod.rs` spell them, which is
/// what lets SQLite use an index on an expression): a class's enrollments and
/// members, a user's classes, a school's classes and enrollments, a course's
/// classes. The trailing `ord` keeps each match set in the default order, so a
/// page is read straight off the index. The `_ci` ones serve the filters a
/// consumer sends for one class's, user's or school's enrollments
/// (`filter=class.sourcedId='..'`, compared case-insensitively, see
/// `filter.rs`), which would otherwise parse every enrollment.
const INDEXES: &str = "
    CREATE INDEX entity_ord ON entity (collection, ord);
    CREATE INDEX entity_class ON entity (collection, json_extract(doc, '$.class.sourcedId'), ord);
    CREATE INDEX entity_user ON entity (collection, json_extract(doc, '$.user.sourcedId'), ord);
    CREATE INDEX entity_school ON entity (collection, json_extract(doc, '$.school.sourcedId'), ord);
    CREATE INDEX entity_course ON entity (collection, json_extract(doc, '$.course.sourcedId'), ord);
    CREATE INDEX entity_class_ci ON entity (collection, lower(json_extract(doc, '$.class.sourcedId')), ord);
    CREATE INDEX entity_user_ci ON entity (collection, lower(json_extract(doc, '$.user.sourcedId')), ord);
    CREATE INDEX entity_school_ci ON entity (collection, lower(json_extract(doc, '$.school.sourcedId')), ord);
";

/// What one query asks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    /// Extra SQL condition (a view such as schools or students) and its parameters.
    pub(crate) scope: Option<(String, Vec<String>)>,
    pub(crate) filter: Option<Filter>,
    /// The filter defects of a faulty SIS (none in the reference).
    pub(crate) defects: filter::Defects,
    /// `(json path, descending)`.
    pub(crate) sort: Option<(String, bool)>,
    pub(crate) limit: u64,
    pub(crate) offset: u64,
}

/// The store: one SQLite connection (in memory unless a file is configured).
pub(crate) struct Store {
    conn: std::sync::Mutex<Connection>,
    /// Answers remembered between writes; see [`Memo`].
    memo: std::sync::Mutex<Memo>,
}

/// What repeated list queries share, valid until the next write.
///
/// Why: a client walks a collection page by page with the same condition. On
/// a million enrollments, counting the matches again for every page and
/// skipping `OFFSET` rows again for every page made a walk quadratic. The
/// total of a condition cannot change without a write, and neither can the
/// row that ends a page in the default order, so both are remembered (keyed
/// by the exact SQL condition and its parameters) and forgotten on every
/// `upsert` or `delete`: a page at offset `o` that follows a page ending at
/// `o` is read with `ord > last` instead of `OFFSET o`, the same rows.
#[derive(Default)]
struct Memo {
    /// condition key → total.
    totals: HashMap<String, u64>,
    /// (condition key, offset) → `ord` of the row just before that offset.
    cursors: HashMap<(String, u64), i64>,
}

/// Entries kept at most per map (a bound on memory, not a tuning knob).
const MEMO_CAP: usize = 4096;

impl Memo {
    fn clear(&mut self) {
        self.totals.clear();
        self.cursors.clear();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

fn db_err(e: rusqlite::Error) -> SisError {
    SisError::Store(e.to_string())
}

impl Store {
    /// Opens the database and loads `bundle` (a directory of 1.2 CSV files).
    /// `base` is the rostering base URL used in `href`s; `now` fills blank
    /// `dateLastModified` values.
    pub(crate) fn load(
        bundle: &Path,
        database: Option<&Path>,
        base: &str,
        now: &str,
    ) -> Result<Store, SisError> {
        let conn = match database {
            Some(p) => {
                if p.exists() {
                    std::fs::remove_file(p).map_err(|e| {
                        SisError::Store(format!("cannot replace {}: {e}", p.display()))
                    })?;
                }
                Connection::open(p)
            }
            None => Connection::open_in_memory(),
        }
        .map_err(db_err)?;
        // The load is one bulk insert into a fresh database: no journal and no
        // fsync while it runs (a crash loses nothing, the bundle is the
        // source), a large page cache, and the secondary indexes built once
        // after the rows are in (sorting once beats a random B-tree insert
        // per row per index).
        conn.execute_batch(
            "PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -524288;
            CREATE TABLE entity (
                collection TEXT NOT NULL,
                sourced_id TEXT NOT NULL,
                ord INTEGER NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (collection, sourced_id)
            );",
        )
        .map_err(db_err)?;
        let tx = conn.unchecked_transaction().map_err(db_err)?;
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO entity (collection, sourced_id, ord, doc) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_err)?;
            let mut ord: i64 = 0;
            for_each_doc(bundle, base, now, |coll, id, doc| {
                ord += 1;
                ins.execute(rusqlite::params![coll, id, ord, doc.to_string()])
                    .map(drop)
                    .map_err(|e| SisError::Store(format!("{coll} {id}: {e}")))
            })?;
        }
        tx.commit().map_err(db_err)?;
        conn.execute_batch(INDEXES).map_err(db_err)?;
        // Later writes (gradebook POST/PUT/DELETE) need statement rollback.
        conn.execute_batch(if database.is_some() {
            "PRAGMA journal_mode = DELETE; PRAGMA synchronous = NORMAL;"
        } else {
            "PRAGMA journal_mode = MEMORY;"
        })
        .map_err(db_err)?;
        Ok(Store {
            conn: std::sync::Mutex::new(conn),
            memo: std::sync::Mutex::new(Memo::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Memo> {
        self.memo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Number of objects in `collection`.
    pub(crate) fn count(&self, collection: &str) -> Result<u64, SisError> {
        let conn = self.lock();
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM entity WHERE collection = ?1",
                [collection],
                |r| r.get(0),
            )
            .map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One object by id (within `scope` when given).
    pub(crate) fn get(
        &self,
        collection: &str,
        id: &str,
        scope: Option<&(String, Vec<String>)>,
    ) -> Result<Option<Value>, SisError> {
        let mut sql = "SELECT doc FROM entity WHERE collection = ? AND sourced_id = ?".to_string();
        let mut params = vec![collection.to_string(), id.to_string()];
        if let Some((cond, p)) = scope {
            sql.push_str(&format!(" AND {cond}"));
            params.extend(p.iter().cloned());
        }
        let conn = self.lock();
        let mut stmt = conn.prepare(&sql).map_err(db_err)?;
        let mut rows = stmt
            .query(params_from_iter(params.iter()))
            .map_err(db_err)?;
        match rows.next().map_err(db_err)? {
            Some(row) => {
                let text: String = row.get(0).map_err(db_err)?;
                Ok(Some(serde_json::from_str(&text).map_err(|e| {
                    SisError::Store(format!("stored document {id}: {e}"))
                })?))
            }
            None => Ok(None),
        }
    }

    /// Creates or replaces one object; `true` when it was created. A new object
    /// goes after every existing one of its collection in the default order
    /// (`MAX(ord)` within the collection is one probe of the `(collection, ord)`
    /// index; over the whole table it was a scan per insert, which made seeding
    /// quadratic).
    pub(crate) fn upsert(&self, collection: &str, id: &str, doc: &Value) -> Result<bool, SisError> {
        let conn = self.lock();
        self.memo().clear();
        let updated = conn
            .execute(
                "UPDATE entity SET doc = ?3 WHERE collection = ?1 AND sourced_id = ?2",
                rusqlite::params![collection, id, doc.to_string()],
            )
            .map_err(db_err)?;
        if updated > 0 {
            return Ok(false);
        }
        conn.execute(
            "INSERT INTO entity (collection, sourced_id, ord, doc) VALUES (?1, ?2, (SELECT COALESCE(MAX(ord), 0) + 1 FROM entity WHERE collection = ?1), ?3)",
            rusqlite::params![collection, id, doc.to_string()],
        )
        .map_err(db_err)?;
        Ok(true)
    }

    /// Deletes one object; `true` when it existed.
    pub(crate) fn delete(&self, collection: &str, id: &str) -> Result<bool, SisError> {
        let conn = self.lock();
        self.memo().clear();
        let n = conn
            .execute(
                "DELETE FROM entity WHERE collection = ?1 AND sourced_id = ?2",
                rusqlite::params![collection, id],
            )
            .map_err(db_err)?;
        Ok(n > 0)
    }

    /// A page of `collection` and the total number of matching objects.
    pub(crate) fn list(&self, collection: &str, q: &Query) -> Result<(Vec<Value>, u64), SisError> {
        let mut cond = "collection = ?".to_string();
        let mut params = vec![collection.to_string()];
        if let Some((c, p)) = &q.scope {
            cond.push_str(&format!(" AND {c}"));
            params.extend(p.iter().cloned());
        }
        if let Some(f) = &q.filter {
            let (c, p) = filter::to_sql(f, q.defects);
            cond.push_str(&format!(" AND {c}"));
            params.extend(p);
        }
        let conn = self.lock();
        // The key names the condition exactly: its SQL and every parameter
        // (length-prefixed, so no two parameter lists spell the same key).
        let mut key = cond.clone();
        for p in &params {
            key.push_str(&format!("\u{0}{}:{p}", p.len()));
        }
        let known = self.memo().totals.get(&key).copied();
        let total = match known {
            Some(t) => t,
            None => {
                let n: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM entity WHERE {cond}"),
                        params_from_iter(params.iter()),
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                let t = u64::try_from(n).unwrap_or(0);
                let mut memo = self.memo();
                if memo.totals.len() >= MEMO_CAP {
                    memo.totals.clear();
                }
                memo.totals.insert(key.clone(), t);
                t
            }
        };
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let (order, seek) = match &q.sort {
            Some((path, desc)) => (
                format!(
                    "json_extract(doc, '$.{path}') {}, ord",
                    if *desc { "DESC" } else { "ASC" }
                ),
                None,
            ),
            None => (
                "ord".to_string(),
                self.memo().cursors.get(&(key.clone(), q.offset)).copied(),
            ),
        };
        let sql = match seek {
            Some(after) => format!(
                "SELECT doc, ord FROM entity WHERE ({cond}) AND ord > {after} ORDER BY ord LIMIT {limit}"
            ),
            None => format!(
                "SELECT doc, ord FROM entity WHERE {cond} ORDER BY {order} LIMIT {limit} OFFSET {}",
                i64::try_from(q.offset).unwrap_or(i64::MAX)
            ),
        };
        let mut stmt = conn.prepare(&sql).map_err(db_err)?;
        let docs = stmt
            .query_map(params_from_iter(params.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(db_err)?;
        let mut out = Vec::new();
        let mut last = None;
        for d in docs {
            let (text, ord) = d.map_err(db_err)?;
            last = Some(ord);
            out.push(
                serde_json::from_str(&text)
                    .map_err(|e| SisError::Store(format!("stored document: {e}")))?,
            );
        }
        if q.sort.is_none()
            && let Some(ord) = last
        {
            let next = q.offset.saturating_add(out.len() as u64);
            let mut memo = self.memo();
            if memo.cursors.len() >= MEMO_CAP {
                memo.cursors.clear();
            }
            memo.cursors.insert((key, next), ord);
        }
        Ok((out, total))
    }
}

// ---- CSV → REST documents ----------------------------------------------------

struct Ctx<'a> {
    base: &'a str,
    now: &'a str,
}

impl Ctx<'_> {
    fn guid_ref(&self, path: &str, kind: &str, id: &str) -> Value {
        json!({"href": format!("{}/{path}/{id}", self.base), "sourcedId": id, "type": kind})
    }

    /// `sourcedId`, `status`, `dateLastModified` of a row.
    fn head(&self, row: Row<'_>) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("sourcedId".into(), json!(col(row, "sourcedId")));
        let status = match col(row, "status") {
            "" => "active",
            s => s,
        };
        m.insert("status".into(), json!(status));
        let dlm = match col(row, "dateLastModified") {
            "" => self.now,
            s => s,
        };
        m.insert("dateLastModified".into(), json!(dlm));
        m
    }
}

fn col<'r>(row: Row<'r>, name: &str) -> &'r str {
    row.get(name).unwrap_or("")
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Copies non-empty string columns (`csv name`, `json name`).
fn copy(m: &mut Map<String, Value>, row: Row<'_>, cols: &[(&str, &str)]) {
    for (c, j) in cols {
        let v = col(row, c);
        if !v.is_empty() {
            m.insert((*j).to_string(), json!(v));
        }
    }
}

/// Copies non-empty list columns as arrays of strings.
fn copy_lists(m: &mut Map<String, Value>, row: Row<'_>, cols: &[&str]) {
    for c in cols {
        let v = list(col(row, c));
        if !v.is_empty() {
            m.insert((*c).to_string(), json!(v));
        }
    }
}

fn need(dir: &Path, name: &str) -> Result<Table, SisError> {
    read_table(dir, name)?.ok_or_else(|| SisError::Bundle {
        path: dir.join(name).display().to_string(),
        message: "missing (the SIS needs a OneRoster 1.2 bundle)".into(),
    })
}

/// Hands every object to `emit` as (collection, sourcedId, REST document), in
/// file order, one at a time (the million enrollment documents are never all
/// held at once).
fn for_each_doc(
    dir: &Path,
    base: &str,
    now: &str,
    mut emit: impl FnMut(&str, &str, Value) -> Result<(), SisError>,
) -> Result<(), SisError> {
    let cx = Ctx { base, now };
    let orgs = need(dir, "orgs.csv")?;
    let sessions = need(dir, "academicSessions.csv")?;
    let courses = need(dir, "courses.csv")?;
    let classes = need(dir, "classes.csv")?;
    let users = need(dir, "users.csv")?;
    let roles = need(dir, "roles.csv")?;
    let enrollments = need(dir, "enrollments.csv")?;

    let mut org_children: HashMap<String, Vec<String>> = HashMap::new();
    for r in orgs.rows() {
        let p = col(r, "parentSourcedId");
        if !p.is_empty() {
            org_children
                .entry(p.to_string())
                .or_default()
                .push(col(r, "sourcedId").to_string());
        }
    }
    for r in orgs.rows() {
        let mut m = cx.head(r);
        copy(
            &mut m,
            r,
            &[
                ("name", "name"),
                ("type", "type"),
                ("identifier", "identifier"),
            ],
        );
        let p = col(r, "parentSourcedId");
        if !p.is_empty() {
            m.insert("parent".into(), cx.guid_ref("orgs", "org", p));
        }
        if let Some(ch) = org_children.get(col(r, "sourcedId")) {
            let refs: Vec<Value> = ch.iter().map(|c| cx.guid_ref("orgs", "org", c)).collect();
            m.insert("children".into(), Value::Array(refs));
        }
        emit("orgs", col(r, "sourcedId"), Value::Object(m))?;
    }

    let mut session_children: HashMap<String, Vec<String>> = HashMap::new();
    for r in sessions.rows() {
        let p = col(r, "parentSourcedId");
        if !p.is_empty() {
            session_children
                .entry(p.to_string())
                .or_default()
                .push(col(r, "sourcedId").to_string());
        }
    }
    for r in sessions.rows() {
        let mut m = cx.head(r);
        copy(
            &mut m,
            r,
            &[
                ("title", "title"),
                ("startDate", "startDate"),
                ("endDate", "endDate"),
                ("type", "type"),
            ],
        );
        let p = col(r, "parentSourcedId");
        if !p.is_empty() {
            m.insert(
                "parent".into(),
                cx.guid_ref("academicSessions", "academicSession", p),
            );
        }
        if let Some(ch) = session_children.get(col(r, "sourcedId")) {
            let refs: Vec<Value> = ch
                .iter()
                .map(|c| cx.guid_ref("academicSessions", "academicSession", c))
                .collect();
            m.insert("children".into(), Value::Array(refs));
        }
        copy(&mut m, r, &[("schoolYear", "schoolYear")]);
        emit("academicSessions", col(r, "sourcedId"), Value::Object(m))?;
    }

    for r in courses.rows() {
        let mut m = cx.head(r);
        copy(&mut m, r, &[("title", "title")]);
        let sy = col(r, "schoolYearSourcedId");
        if !sy.is_empty() {
            m.insert(
                "schoolYear".into(),
                cx.guid_ref("academicSessions", "academicSession", sy),
            );
        }
        copy(&mut m, r, &[("courseCode", "courseCode")]);
        copy_lists(&mut m, r, &["grades", "subjects"]);
        let org = col(r, "orgSourcedId");
        if !org.is_empty() {
            m.insert("org".into(), cx.guid_ref("orgs", "org", org));
        }
        copy_lists(&mut m, r, &["subjectCodes"]);
        emit("courses", col(r, "sourcedId"), Value::Object(m))?;
    }

    for r in classes.rows() {
        let mut m = cx.head(r);
        copy(
            &mut m,
            r,
            &[
                ("title", "title"),
                ("classCode", "classCode"),
                ("classType", "classType"),
                ("location", "location"),
            ],
        );
        copy_lists(&mut m, r, &["grades", "subjects"]);
        m.insert(
            "course".into(),
            cx.guid_ref("courses", "course", col(r, "courseSourcedId")),
        );
        m.insert(
            "school".into(),
            cx.guid_ref("orgs", "org", col(r, "schoolSourcedId")),
        );
        let terms: Vec<Value> = list(col(r, "termSourcedIds"))
            .iter()
            .map(|t| cx.guid_ref("academicSessions", "academicSession", t))
            .collect();
        m.insert("terms".into(), Value::Array(terms));
        copy_lists(&mut m, r, &["subjectCodes", "periods"]);
        emit("classes", col(r, "sourcedId"), Value::Object(m))?;
    }

    let mut user_roles: HashMap<String, Vec<Value>> = HashMap::new();
    for r in roles.rows() {
        let mut m = Map::new();
        copy(&mut m, r, &[("roleType", "roleType"), ("role", "role")]);
        m.insert(
            "org".into(),
            cx.guid_ref("orgs", "org", col(r, "orgSourcedId")),
        );
        copy(
            &mut m,
            r,
            &[("beginDate", "beginDate"), ("endDate", "endDate")],
        );
        user_roles
            .entry(col(r, "userSourcedId").to_string())
            .or_default()
            .push(Value::Object(m));
    }
    for r in users.rows() {
        let id = col(r, "sourcedId");
        let mut m = cx.head(r);
        copy(
            &mut m,
            r,
            &[
                ("userMasterIdentifier", "userMasterIdentifier"),
                ("username", "username"),
            ],
        );
        let ids: Vec<Value> = split_user_ids(col(r, "userIds"))
            .into_iter()
            .map(|(t, i)| json!({"type": t, "identifier": i}))
            .collect();
        if !ids.is_empty() {
            m.insert("userIds".into(), Value::Array(ids));
        }
        copy(
            &mut m,
            r,
            &[
                ("enabledUser", "enabledUser"),
                ("givenName", "givenName"),
                ("familyName", "familyName"),
                ("middleName", "middleName"),
                ("preferredGivenName", "preferredFirstName"),
                ("preferredMiddleName", "preferredMiddleName"),
                ("preferredFamilyName", "preferredLastName"),
                ("pronouns", "pronouns"),
            ],
        );
        m.insert(
            "roles".into(),
            Value::Array(user_roles.remove(id).unwrap_or_default()),
        );
        let po = col(r, "primaryOrgSourcedId");
        if !po.is_empty() {
            m.insert("primaryOrg".into(), cx.guid_ref("orgs", "org", po));
        }
        copy(
            &mut m,
            r,
            &[
                ("identifier", "identifier"),
                ("email", "email"),
                ("sms", "sms"),
                ("phone", "phone"),
            ],
        );
        let agents: Vec<Value> = list(col(r, "agentSourcedIds"))
            .iter()
            .map(|a| cx.guid_ref("users", "user", a))
            .collect();
        if !agents.is_empty() {
            m.insert("agents".into(), Value::Array(agents));
        }
        copy_lists(&mut m, r, &["grades"]);
        emit("users", id, Value::Object(m))?;
    }

    for r in enrollments.rows() {
        let mut m = cx.head(r);
        m.insert(
            "user".into(),
            cx.guid_ref("users", "user", col(r, "userSourcedId")),
        );
        m.insert(
            "class".into(),
            cx.guid_ref("classes", "class", col(r, "classSourcedId")),
        );
        m.insert(
            "school".into(),
            cx.guid_ref("orgs", "org", col(r, "schoolSourcedId")),
        );
        copy(
            &mut m,
            r,
            &[
                ("role", "role"),
                ("primary", "primary"),
                ("beginDate", "beginDate"),
                ("endDate", "endDate"),
            ],
        );
        emit("enrollments", col(r, "sourcedId"), Value::Object(m))?;
    }
    // Demographics are optional in a bundle (a SIS may hold none); each row
    // becomes a document with the CSV's own column names, all strings, as
    // `DemographicsDType` has them.
    if let Some(demographics) = read_table(dir, "demographics.csv")? {
        for r in demographics.rows() {
            let mut m = cx.head(r);
            copy(
                &mut m,
                r,
                &DEMOGRAPHICS_COLUMNS
                    .iter()
                    .map(|c| (*c, *c))
                    .collect::<Vec<_>>(),
            );
            emit("demographics", col(r, "sourcedId"), Value::Object(m))?;
        }
    }
    Ok(())
}

/// The `demographics.csv` columns copied as they are (after the common head).
const DEMOGRAPHICS_COLUMNS: [&str; 13] = [
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
];

/// `{LDAP:12},{LTI:15}` → `[("LDAP","12"), ("LTI","15")]`.
fn split_user_ids(s: &str) -> Vec<(String, String)> {
    s.split('}')
        .filter_map(|part| {
            let inner = part.trim_start_matches(',').trim().strip_prefix('{')?;
            let (t, i) = inner.split_once(':')?;
            Some((t.to_string(), i.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny bundle: one class with five enrollments `e1`..`e5`.
    fn tiny_store(dir: &Path) -> Store {
        let files = [
            ("orgs.csv", "sourcedId,name,type\ns1,School,school\n".to_string()),
            ("academicSessions.csv", "sourcedId,title,type\nt1,Term,term\n".into()),
            ("courses.csv", "sourcedId,title,orgSourcedId\nco1,Course,s1\n".into()),
            (
                "classes.csv",
                "sourcedId,title,courseSourcedId,schoolSourcedId,termSourcedIds\nc1,Class,co1,s1,t1\n"
                    .into(),
            ),
            ("users.csv", "sourcedId,username\nu1,one\n".into()),
            ("roles.csv", "userSourcedId,roleType,role,orgSourcedId\n".into()),
            (
                "enrollments.csv",
                (1..=5).fold(
                    "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role\n".to_string(),
                    |acc, i| format!("{acc}e{i},c1,s1,u1,student\n"),
                ),
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        Store::load(dir, None, "http://sis", "2026-01-01T00:00:00Z")
            .unwrap_or_else(|e| panic!("load: {e}"))
    }

    fn page(store: &Store, offset: u64, scope: bool) -> (Vec<String>, u64) {
        let q = Query {
            scope: scope.then(|| {
                (
                    "json_extract(doc, '$.class.sourcedId') = ?".to_string(),
                    vec!["c1".to_string()],
                )
            }),
            limit: 2,
            offset,
            ..Query::default()
        };
        let (docs, total) = store
            .list("enrollments", &q)
            .unwrap_or_else(|e| panic!("list: {e}"));
        (
            docs.iter()
                .map(|d| d["sourcedId"].to_string().replace('"', ""))
                .collect(),
            total,
        )
    }

    #[rstest::rstest]
    #[case::unscoped(false)]
    #[case::relation_scope(true)]
    fn paging_by_cursor_matches_offset_and_writes_invalidate_it(#[case] scope: bool) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = tiny_store(dir.path());
        // A walk (the second and third pages read through the remembered cursor).
        let walk: Vec<(Vec<String>, u64)> =
            [0, 2, 4].iter().map(|o| page(&store, *o, scope)).collect();
        let ids: Vec<String> = walk.iter().flat_map(|p| p.0.clone()).collect();
        assert_eq!(ids, ["e1", "e2", "e3", "e4", "e5"]);
        assert!(walk.iter().all(|p| p.1 == 5));
        // A delete before the remembered cursor: a stale cursor would answer
        // e3, e4 and a stale total 5.
        assert!(
            store
                .delete("enrollments", "e1")
                .unwrap_or_else(|e| panic!("{e}"))
        );
        assert_eq!(
            page(&store, 2, scope),
            (vec!["e4".to_string(), "e5".into()], 4)
        );
        // An upsert that creates an object invalidates too: it ends the order.
        let doc = json!({"sourcedId": "e6", "class": {"sourcedId": "c1"}});
        assert!(
            store
                .upsert("enrollments", "e6", &doc)
                .unwrap_or_else(|e| panic!("{e}"))
        );
        assert_eq!(page(&store, 4, scope), (vec!["e6".to_string()], 5));
    }

    /// The filters a consumer sends for one class's, user's or school's
    /// enrollments are index lookups (the plan names the `_ci` index), and
    /// they match case-insensitively, as the binding requires.
    #[rstest::rstest]
    #[case::class("class", "C1", "entity_class_ci")]
    #[case::user("user", "U1", "entity_user_ci")]
    #[case::school("school", "S1", "entity_school_ci")]
    fn nested_id_filters_use_their_index(
        #[case] field: &str,
        #[case] value: &str,
        #[case] index: &str,
    ) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = tiny_store(dir.path());
        let fields = ["sourcedId", "class", "user", "school"];
        let f = filter::parse(&format!("{field}.sourcedId='{value}'"), &fields)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (cond, params) = filter::to_sql(&f, filter::Defects::default());
        let plan: Vec<String> = {
            let conn = store.lock();
            let mut st = conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT doc FROM entity WHERE collection = ? AND {cond} ORDER BY ord"
                ))
                .unwrap_or_else(|e| panic!("{e}"));
            let all: Vec<String> = std::iter::once("enrollments".to_string())
                .chain(params.clone())
                .collect();
            st.query_map(params_from_iter(all.iter()), |r| r.get::<_, String>(3))
                .unwrap_or_else(|e| panic!("{e}"))
                .filter_map(Result::ok)
                .collect()
        };
        assert!(plan.iter().any(|d| d.contains(index)), "{plan:?}");
        let q = Query {
            filter: Some(f),
            limit: 10,
            ..Query::default()
        };
        let (docs, total) = store
            .list("enrollments", &q)
            .unwrap_or_else(|e| panic!("list: {e}"));
        assert_eq!((docs.len(), total), (5, 5));
    }

    #[test]
    fn user_ids_split() {
        assert_eq!(
            split_user_ids("{LDAP:12},{LTI:15}"),
            vec![("LDAP".into(), "12".into()), ("LTI".into(), "15".into())]
        );
        assert!(split_user_ids("").is_empty());
    }
}
