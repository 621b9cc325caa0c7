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
use super::csvread::{Table, read_table};
use super::filter::{self, Filter};

/// What one query asks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    /// Extra SQL condition (a view such as schools or students) and its parameters.
    pub(crate) scope: Option<(String, Vec<String>)>,
    pub(crate) filter: Option<Filter>,
    pub(crate) ignore_and: bool,
    /// `(json path, descending)`.
    pub(crate) sort: Option<(String, bool)>,
    pub(crate) limit: u64,
    pub(crate) offset: u64,
}

/// The store: one SQLite connection (in memory unless a file is configured).
pub(crate) struct Store {
    conn: std::sync::Mutex<Connection>,
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
        conn.execute_batch(
            "CREATE TABLE entity (
                collection TEXT NOT NULL,
                sourced_id TEXT NOT NULL,
                ord INTEGER NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (collection, sourced_id)
            );
            CREATE INDEX entity_ord ON entity (collection, ord);",
        )
        .map_err(db_err)?;
        let docs = build_docs(bundle, base, now)?;
        let tx = conn.unchecked_transaction().map_err(db_err)?;
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO entity (collection, sourced_id, ord, doc) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_err)?;
            for (ord, (coll, id, doc)) in docs.iter().enumerate() {
                let ord = i64::try_from(ord).unwrap_or(i64::MAX);
                ins.execute(rusqlite::params![coll, id, ord, doc.to_string()])
                    .map_err(|e| SisError::Store(format!("{coll} {id}: {e}")))?;
            }
        }
        tx.commit().map_err(db_err)?;
        Ok(Store {
            conn: std::sync::Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
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
            let (c, p) = filter::to_sql(f, q.ignore_and);
            cond.push_str(&format!(" AND {c}"));
            params.extend(p);
        }
        let conn = self.lock();
        let total: i64 = conn
            .query_row(
                &format!("SELECT COUNT(*) FROM entity WHERE {cond}"),
                params_from_iter(params.iter()),
                |r| r.get(0),
            )
            .map_err(db_err)?;
        let order = match &q.sort {
            Some((path, desc)) => format!(
                "json_extract(doc, '$.{path}') {}, ord",
                if *desc { "DESC" } else { "ASC" }
            ),
            None => "ord".to_string(),
        };
        let sql = format!(
            "SELECT doc FROM entity WHERE {cond} ORDER BY {order} LIMIT {} OFFSET {}",
            i64::try_from(q.limit).unwrap_or(i64::MAX),
            i64::try_from(q.offset).unwrap_or(i64::MAX)
        );
        let mut stmt = conn.prepare(&sql).map_err(db_err)?;
        let docs = stmt
            .query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(0))
            .map_err(db_err)?;
        let mut out = Vec::new();
        for d in docs {
            let text = d.map_err(db_err)?;
            out.push(
                serde_json::from_str(&text)
                    .map_err(|e| SisError::Store(format!("stored document: {e}")))?,
            );
        }
        Ok((out, u64::try_from(total).unwrap_or(0)))
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
    fn head(&self, row: &HashMap<String, String>) -> Map<String, Value> {
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

fn col<'r>(row: &'r HashMap<String, String>, name: &str) -> &'r str {
    row.get(name).map_or("", String::as_str)
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Copies non-empty string columns (`csv name`, `json name`).
fn copy(m: &mut Map<String, Value>, row: &HashMap<String, String>, cols: &[(&str, &str)]) {
    for (c, j) in cols {
        let v = col(row, c);
        if !v.is_empty() {
            m.insert((*j).to_string(), json!(v));
        }
    }
}

/// Copies non-empty list columns as arrays of strings.
fn copy_lists(m: &mut Map<String, Value>, row: &HashMap<String, String>, cols: &[&str]) {
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

/// Every object as (collection, sourcedId, REST document), in file order.
fn build_docs(dir: &Path, base: &str, now: &str) -> Result<Vec<(String, String, Value)>, SisError> {
    let cx = Ctx { base, now };
    let orgs = need(dir, "orgs.csv")?;
    let sessions = need(dir, "academicSessions.csv")?;
    let courses = need(dir, "courses.csv")?;
    let classes = need(dir, "classes.csv")?;
    let users = need(dir, "users.csv")?;
    let roles = need(dir, "roles.csv")?;
    let enrollments = need(dir, "enrollments.csv")?;
    let mut out = Vec::new();

    let mut org_children: HashMap<String, Vec<String>> = HashMap::new();
    for r in &orgs.rows {
        let p = col(r, "parentSourcedId");
        if !p.is_empty() {
            org_children
                .entry(p.to_string())
                .or_default()
                .push(col(r, "sourcedId").to_string());
        }
    }
    for r in &orgs.rows {
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
        out.push(("orgs".into(), col(r, "sourcedId").into(), Value::Object(m)));
    }

    let mut session_children: HashMap<String, Vec<String>> = HashMap::new();
    for r in &sessions.rows {
        let p = col(r, "parentSourcedId");
        if !p.is_empty() {
            session_children
                .entry(p.to_string())
                .or_default()
                .push(col(r, "sourcedId").to_string());
        }
    }
    for r in &sessions.rows {
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
        out.push((
            "academicSessions".into(),
            col(r, "sourcedId").into(),
            Value::Object(m),
        ));
    }

    for r in &courses.rows {
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
        out.push((
            "courses".into(),
            col(r, "sourcedId").into(),
            Value::Object(m),
        ));
    }

    for r in &classes.rows {
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
        out.push((
            "classes".into(),
            col(r, "sourcedId").into(),
            Value::Object(m),
        ));
    }

    let mut user_roles: HashMap<String, Vec<Value>> = HashMap::new();
    for r in &roles.rows {
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
    for r in &users.rows {
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
        out.push(("users".into(), id.into(), Value::Object(m)));
    }

    for r in &enrollments.rows {
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
        out.push((
            "enrollments".into(),
            col(r, "sourcedId").into(),
            Value::Object(m),
        ));
    }
    // Demographics are optional in a bundle (a SIS may hold none); each row
    // becomes a document with the CSV's own column names, all strings, as
    // `DemographicsDType` has them.
    if let Some(demographics) = read_table(dir, "demographics.csv")? {
        for r in &demographics.rows {
            let mut m = cx.head(r);
            copy(
                &mut m,
                r,
                &DEMOGRAPHICS_COLUMNS
                    .iter()
                    .map(|c| (*c, *c))
                    .collect::<Vec<_>>(),
            );
            out.push((
                "demographics".into(),
                col(r, "sourcedId").into(),
                Value::Object(m),
            ));
        }
    }
    Ok(out)
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

    #[test]
    fn user_ids_split() {
        assert_eq!(
            split_user_ids("{LDAP:12},{LTI:15}"),
            vec![("LDAP".into(), "12".into()), ("LTI".into(), "15".into())]
        );
        assert!(split_user_ids("").is_empty());
    }
}
