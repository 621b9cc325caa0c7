//! OneRoster **1.1 gradebook** cases of the `oneroster-provider` suite
//! (`oneroster.provider.v1p1.gradebook.*`): categories, line items and results
//! under the one 1.1 service, every request signed with OAuth 1.0a.
//!
//! Why separate from the 1.2 gradebook cases: a 1.1 provider carries its
//! gradebook in the same service as rostering, with the 1.1 vocabulary (a line
//! item's `gradingPeriod`, no score scales, a result's `scoreStatus` from a
//! closed set and a required `score`), the 1.1 `statusInfoSet` errors and
//! request signing, and no server-allocating POSTs. A gradebook is where a
//! consumer writes grades back, so the cases judge what such a consumer relies
//! on: that every read endpoint answers with its envelope, that the
//! class-scoped reads return that class's objects only (a wrong grade list is
//! a privacy leak as well as a bug), that the records are well-formed and
//! their references resolve, that unknown ids are 404 with the 1.1 payload,
//! that unsigned or mis-signed gradebook requests are refused, and that a PUT
//! really stores (and a DELETE really removes) what it claims to.
//!
//! The write cases run only with `allow_writes = true`; each object they
//! write has a fresh `accredit-` sourcedId and is deleted afterwards, even
//! when a check fails on the way. PUT must answer 201 when it creates (as the
//! 1.2 cases require) and 200 or 201 when it replaces.
//!
//! These cases belong to the 1.1 half of the catalog ([`super::v1p1`]): a
//! 1.2 profile skips them.

use std::collections::{HashMap, HashSet};

use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::{Value, json};

use accredit_core::{CaseCx, CaseMeta, Level, Outcome, Verdict};
use accredit_mock_platform::oneroster::Fault;

use super::cases::Fixture;
use super::v1p1::{
    Client, Sign, Stop, cases_sid, check_status_info, enc, is_date, is_date_time, snippet,
};

/// Prefix of every 1.1 gradebook case id.
pub const PREFIX: &str = "oneroster.provider.v1p1.gradebook.";

/// `oneroster.provider.v1p1.gradebook.read.endpoints`
pub const READ: &str = "oneroster.provider.v1p1.gradebook.read.endpoints";
/// `oneroster.provider.v1p1.gradebook.read.class-scoped`
pub const SCOPED: &str = "oneroster.provider.v1p1.gradebook.read.class-scoped";
/// `oneroster.provider.v1p1.gradebook.model`
pub const MODEL: &str = "oneroster.provider.v1p1.gradebook.model";
/// `oneroster.provider.v1p1.gradebook.references`
pub const REFERENCES: &str = "oneroster.provider.v1p1.gradebook.references";
/// `oneroster.provider.v1p1.gradebook.unknown-id`
pub const UNKNOWN_ID: &str = "oneroster.provider.v1p1.gradebook.unknown-id";
/// `oneroster.provider.v1p1.gradebook.auth`
pub const AUTH: &str = "oneroster.provider.v1p1.gradebook.auth";
/// `oneroster.provider.v1p1.gradebook.write.line-items`
pub const WRITE_LINE_ITEMS: &str = "oneroster.provider.v1p1.gradebook.write.line-items";
/// `oneroster.provider.v1p1.gradebook.write.results`
pub const WRITE_RESULTS: &str = "oneroster.provider.v1p1.gradebook.write.results";
/// `oneroster.provider.v1p1.gradebook.write.categories`
pub const WRITE_CATEGORIES: &str = "oneroster.provider.v1p1.gradebook.write.categories";

/// Whether `f` is a defect of the reference SIS's 1.1 gradebook.
pub fn is_gradebook_fault(f: Fault) -> bool {
    matches!(
        f,
        Fault::V1p1GradebookUnsignedAccepted
            | Fault::V1p1GradebookPutNotStored
            | Fault::V1p1GradebookDeleteIgnored
            | Fault::V1p1GradebookScoreStatusCamelCase
            | Fault::V1p1GradebookLineItemNoClass
            | Fault::V1p1GradebookClassResultsUnscoped
            | Fault::V1p1GradebookErrorShapeWrong
            | Fault::V1p1GradebookHrefsAt1p2Base
            | Fault::V1p1GradebookStudentResultsMissing
    )
}

// ---- catalog ---------------------------------------------------------------------

const SPEC: &str = "OneRoster 1.1 REST Binding";
const BINDING: &str = "https://www.imsglobal.org/oneroster-v11-final-specification";
const INFO_MODEL: &str = "https://www.imsglobal.org/oneroster-v11-final-information-model";

const fn meta(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
    official: bool,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: "provider",
        spec_document: SPEC,
        spec_section: section,
        spec_url: url,
        requirement,
        level: Level::Must,
        official,
        tags,
        exclusive: false,
    }
}

/// The 1.1 gradebook cases, in report order.
pub fn catalog() -> Vec<CaseMeta> {
    const READS: &[&str] = &["oneroster", "v1p1", "gradebook", "read"];
    const WRITES: &[&str] = &["oneroster", "v1p1", "gradebook", "write"];
    vec![
        meta(
            READ,
            "Every 1.1 gradebook read answers 200 with its envelope",
            "getAllCategories, getAllLineItems, getAllResults, getCategory, getLineItem, getResult, getLineItemsForClass, getResultsForClass, getResultsForLineItemForClass, getResultsForStudentForClass",
            BINDING,
            "Each gradebook read operation returns its collection in a JSON object whose single property is the plural name ({\"lineItems\": [...]}) and a single object under its singular name ({\"lineItem\": {...}}).",
            true,
            READS,
        ),
        meta(
            SCOPED,
            "Class-scoped gradebook reads return only that class's line items and results",
            "getLineItemsForClass, getResultsForClass, getResultsForLineItemForClass, getResultsForStudentForClass",
            BINDING,
            "getResultsForClass returns the results of the class's line items; getResultsForLineItemForClass and getResultsForStudentForClass return only the results of that line item or that student in that class.",
            true,
            READS,
        ),
        meta(
            MODEL,
            "Categories, line items and results carry the 1.1 required fields, enumerations and data types",
            "Information model: Category, LineItem, Result",
            INFO_MODEL,
            "A lineItem MUST have title, assignDate, dueDate, class, category, gradingPeriod, resultValueMin and resultValueMax; a result MUST have lineItem, student, scoreStatus (exempt, fully graded, not submitted, partially graded, submitted), score and scoreDate (a date); a category MUST have title.",
            true,
            &["oneroster", "v1p1", "gradebook", "model"],
        ),
        meta(
            REFERENCES,
            "Gradebook references resolve at the 1.1 service",
            "GUIDRef",
            BINDING,
            "A GUIDRef's sourcedId identifies an object the provider serves, and its href is the URI of that object at the 1.1 service.",
            false,
            &["oneroster", "v1p1", "gradebook", "model"],
        ),
        meta(
            UNKNOWN_ID,
            "An unknown gradebook sourcedId answers 404 with the statusInfoSet payload",
            "getCategory, getLineItem, getResult, getLineItemsForClass: status codes",
            BINDING,
            "A request for an object that does not exist is answered 404 with a statusInfoSet whose imsx_CodeMinor is unknownobject.",
            true,
            &["oneroster", "v1p1", "gradebook", "errors"],
        ),
        meta(
            AUTH,
            "Unsigned and mis-signed gradebook requests are refused with 401",
            "Security: OAuth 1.0a",
            BINDING,
            "All requests, the gradebook's included, must be signed using OAuth 1.0a; an unauthorised request is refused with 401 'unauthorisedrequest'.",
            true,
            &["oneroster", "v1p1", "gradebook", "auth", "oauth1"],
        ),
        meta(
            WRITE_LINE_ITEMS,
            "PUT creates and replaces a line item, DELETE removes it",
            "putLineItem, getLineItem, deleteLineItem",
            BINDING,
            "putLineItem creates the line item with the given sourcedId (201) or replaces it; getLineItem then returns what was written; after deleteLineItem the line item is unknown (404).",
            true,
            WRITES,
        ),
        meta(
            WRITE_RESULTS,
            "PUT creates and replaces a result, DELETE removes it",
            "putResult, getResult, deleteResult",
            BINDING,
            "putResult creates the result with the given sourcedId (201) or replaces it; getResult then returns what was written (scoreStatus and score unchanged); after deleteResult the result is unknown (404).",
            true,
            WRITES,
        ),
        meta(
            WRITE_CATEGORIES,
            "PUT creates and replaces a category, DELETE removes it",
            "putCategory, getCategory, deleteCategory",
            BINDING,
            "putCategory creates the category with the given sourcedId (201) or replaces it; getCategory then returns what was written; after deleteCategory the category is unknown (404).",
            true,
            WRITES,
        ),
    ]
}

/// The sourcedId of reference `field` of `r`.
fn ref_id(r: &Value, field: &str) -> Option<String> {
    r.get(field)
        .and_then(|x| x.get("sourcedId"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Classes with line items (at most `want`), each with its line items: the
/// first classes of the provider that have a gradebook.
async fn graded_classes(c: &Client<'_>, want: usize) -> Result<Vec<(String, Vec<Value>)>, Stop> {
    let classes = c.records("classes?limit=25", "classes").await?;
    let mut out = Vec::new();
    for class in &classes {
        let id = cases_sid(class);
        let items = c
            .records(
                &format!("classes/{}/lineItems?limit=1000", enc(&id)),
                "lineItems",
            )
            .await?;
        if !items.is_empty() {
            out.push((id, items));
            if out.len() == want {
                break;
            }
        }
    }
    if out.is_empty() {
        return Err(Stop::Error(
            "none of the first 25 classes has line items; the gradebook cases need one".into(),
        ));
    }
    Ok(out)
}

// ---- dispatch ---------------------------------------------------------------------

/// Runs one 1.1 gradebook case (the profile is a 1.1 one: [`super::v1p1`]
/// dispatches here).
pub(super) fn run_case<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let id = cx.meta.id;
        let c = match Client::new(fx, cx) {
            Ok(c) => c,
            Err(s) => return s.into_verdict(Verdict::new()),
        };
        let writes = fx.profile.allow_writes;
        if id.starts_with("oneroster.provider.v1p1.gradebook.write.") && !writes {
            return Verdict::skip(
                "write cases create and delete objects in the provider; set allow_writes = true in the profile to run them",
            );
        }
        let mut v = Verdict::new();
        let r = match id {
            READ => read(&c, &mut v).await,
            SCOPED => scoped(&c, &mut v).await,
            MODEL => model(&c, &mut v).await,
            REFERENCES => references(&c, &mut v).await,
            UNKNOWN_ID => unknown_id(&c, &mut v).await,
            AUTH => auth(&c, &mut v, writes).await,
            WRITE_LINE_ITEMS => write_line_items(&c, &mut v).await,
            WRITE_RESULTS => write_results(&c, &mut v).await,
            WRITE_CATEGORIES => write_categories(&c, &mut v).await,
            other => return Verdict::error(format!("no implementation for case {other}")),
        };
        match r {
            Ok(()) => v,
            Err(s) => s.into_verdict(v),
        }
    })
}

// ---- reads ------------------------------------------------------------------------

/// The three 1.1 gradebook collections: path (= envelope) and singular name.
const COLLECTIONS: [(&str, &str); 3] = [
    ("categories", "category"),
    ("lineItems", "lineItem"),
    ("results", "result"),
];

/// GETs `rel` and checks it answers `{envelope: [...]}`; the records.
async fn envelope(
    c: &Client<'_>,
    v: &mut Verdict,
    rel: &str,
    env: &str,
) -> Result<Vec<Value>, Stop> {
    let (body, r) = c.json(rel).await?;
    let list = body.get(env).and_then(Value::as_array).cloned();
    v.require(
        format!("GET {rel} answered {{\"{env}\": [...]}}"),
        list.is_some(),
        format!("body: {}", snippet(&r)),
    );
    Ok(list.unwrap_or_default())
}

async fn read(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for (path, one) in COLLECTIONS {
        let list = envelope(c, v, &format!("{path}?limit=5"), path).await?;
        let Some(id) = list.first().map(cases_sid) else {
            v.check(
                format!("{path} has a record to read"),
                Outcome::Skip,
                "the collection is empty",
            );
            continue;
        };
        let rel = format!("{path}/{}", enc(&id));
        let (body, r) = c.json(&rel).await?;
        let got = body
            .get(one)
            .and_then(|o| o.get("sourcedId"))
            .and_then(Value::as_str);
        v.require(
            format!("GET {path}/{{id}} answered {{\"{one}\": {{...}}}} with that sourcedId"),
            got == Some(id.as_str()),
            format!("body: {}", snippet(&r)),
        );
    }
    let graded = graded_classes(c, 1).await?;
    let Some((class, items)) = graded.first() else {
        return Err(Stop::Error("no class with line items".into()));
    };
    let class = enc(class);
    envelope(c, v, &format!("classes/{class}/lineItems"), "lineItems").await?;
    envelope(c, v, &format!("classes/{class}/results"), "results").await?;
    let item = items.first().map(cases_sid).unwrap_or_default();
    let results = envelope(
        c,
        v,
        &format!("classes/{class}/lineItems/{}/results", enc(&item)),
        "results",
    )
    .await?;
    match results.first().and_then(|r| ref_id(r, "student")) {
        Some(s) => {
            envelope(
                c,
                v,
                &format!("classes/{class}/students/{}/results", enc(&s)),
                "results",
            )
            .await?;
        }
        None => {
            v.check(
                "a graded student to read getResultsForStudentForClass for",
                Outcome::Skip,
                format!("line item {item} has no results"),
            );
        }
    }
    Ok(())
}

/// Ids of `list` not satisfying `ok`, at most five shown, and their count.
fn offenders(list: &[Value], ok: impl Fn(&Value) -> bool) -> (usize, String) {
    let bad: Vec<String> = list.iter().filter(|x| !ok(x)).map(cases_sid).collect();
    let shown: Vec<String> = bad.iter().take(5).cloned().collect();
    (bad.len(), shown.join(", "))
}

async fn scoped(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    // The second graded class when there is one: the first class's objects
    // come first in many stores, so a read that ignores its class shows here.
    let graded = graded_classes(c, 2).await?;
    let Some((class, items)) = graded.last() else {
        return Err(Stop::Error("no class with line items".into()));
    };
    let ids: HashSet<String> = items.iter().map(cases_sid).collect();
    let (n, shown) = offenders(items, |li| ref_id(li, "class").is_none_or(|c| &c == class));
    v.require(
        format!("classes/{class}/lineItems lists only line items of class {class}"),
        n == 0,
        format!("{n} of another class: {shown}"),
    );
    let cls = enc(class);
    let results = c
        .records(&format!("classes/{cls}/results?limit=1000"), "results")
        .await?;
    let in_class = |r: &Value| ref_id(r, "lineItem").is_some_and(|l| ids.contains(&l));
    let (n, shown) = offenders(&results, in_class);
    v.require(
        format!(
            "classes/{class}/results lists only results of the class's {} line item(s) ({} result(s))",
            ids.len(),
            results.len()
        ),
        n == 0,
        format!("{n} of another class's line items: {shown}"),
    );
    let item = items.first().map(cases_sid).unwrap_or_default();
    let of_item = c
        .records(
            &format!("classes/{cls}/lineItems/{}/results?limit=1000", enc(&item)),
            "results",
        )
        .await?;
    let (n, shown) = offenders(&of_item, |r| {
        ref_id(r, "lineItem").as_deref() == Some(item.as_str())
    });
    v.require(
        format!("classes/{class}/lineItems/{item}/results lists only that line item's results"),
        n == 0,
        format!("{n} of another line item: {shown}"),
    );
    let Some(student) = of_item
        .first()
        .or(results.first())
        .and_then(|r| ref_id(r, "student"))
    else {
        v.check(
            "a graded student to judge getResultsForStudentForClass with",
            Outcome::Skip,
            format!("class {class} has no results"),
        );
        return Ok(());
    };
    let of_student = c
        .records(
            &format!(
                "classes/{cls}/students/{}/results?limit=1000",
                enc(&student)
            ),
            "results",
        )
        .await?;
    let (n, shown) = offenders(&of_student, |r| {
        in_class(r) && ref_id(r, "student").as_deref() == Some(student.as_str())
    });
    v.require(
        format!(
            "classes/{class}/students/{student}/results lists only that student's results in the class"
        ),
        !of_student.is_empty() && n == 0,
        format!(
            "{} result(s), {n} of another student or class: {shown}",
            of_student.len()
        ),
    );
    Ok(())
}

// ---- model ------------------------------------------------------------------------

/// Records per collection the model cases judge.
const SAMPLE: usize = 25;

/// The 1.1 `scoreStatus` vocabulary (closed).
pub const SCORE_STATUS: [&str; 5] = [
    "exempt",
    "fully graded",
    "not submitted",
    "partially graded",
    "submitted",
];

const STATUS: [&str; 2] = ["active", "tobedeleted"];

/// The 1.1 required fields of a record of `collection`.
fn required(collection: &str) -> &'static [&'static str] {
    match collection {
        "categories" => &["sourcedId", "status", "dateLastModified", "title"],
        "lineItems" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "assignDate",
            "dueDate",
            "class",
            "category",
            "gradingPeriod",
            "resultValueMin",
            "resultValueMax",
        ],
        "results" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItem",
            "student",
            "scoreStatus",
            "score",
            "scoreDate",
        ],
        _ => &["sourcedId", "status", "dateLastModified"],
    }
}

/// Everything wrong with one 1.1 gradebook record of `collection`: missing
/// required fields, references without a sourcedId, enumerations outside the
/// 1.1 sets, dates and numbers of the wrong type.
pub fn record_problems(collection: &str, r: &Value) -> Vec<String> {
    let id = cases_sid(r);
    let mut out = Vec::new();
    for f in required(collection) {
        if r.get(*f).is_none_or(Value::is_null) {
            out.push(format!("{collection} {id}: no `{f}`"));
        }
    }
    for f in ["class", "category", "gradingPeriod", "lineItem", "student"] {
        if let Some(x) = r.get(f)
            && ref_id(r, f).is_none()
        {
            out.push(format!(
                "{collection} {id}: {f} = {x} is not a GUIDRef with a sourcedId"
            ));
        }
    }
    let mut in_set = |f: &str, set: &[&str]| {
        if let Some(x) = r.get(f)
            && !x.as_str().is_some_and(|s| set.contains(&s))
        {
            out.push(format!(
                "{collection} {id}: {f} = {x} is not one of {set:?}"
            ));
        }
    };
    in_set("status", &STATUS);
    in_set("scoreStatus", &SCORE_STATUS);
    for (f, date_only) in [
        ("dateLastModified", false),
        ("assignDate", false),
        ("dueDate", false),
        ("scoreDate", true),
    ] {
        if let Some(d) = r.get(f) {
            let ok = d.as_str().is_some_and(|s| {
                if date_only {
                    is_date(s)
                } else {
                    is_date_time(s)
                }
            });
            if !ok {
                let want = if date_only {
                    "a date (YYYY-MM-DD)"
                } else {
                    "a date-time"
                };
                out.push(format!("{collection} {id}: {f} = {d} is not {want}"));
            }
        }
    }
    for f in ["score", "resultValueMin", "resultValueMax"] {
        if let Some(x) = r.get(f)
            && !x.is_number()
        {
            out.push(format!("{collection} {id}: {f} = {x} is not a number"));
        }
    }
    out
}

async fn model(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for (path, _) in COLLECTIONS {
        let list = c.records(&format!("{path}?limit={SAMPLE}"), path).await?;
        let mut problems: Vec<String> =
            list.iter().flat_map(|r| record_problems(path, r)).collect();
        let n = problems.len();
        problems.truncate(5);
        v.require(
            format!("{} {path} records judged", list.len()),
            n == 0,
            format!("{n} problem(s): {}", problems.join("; ")),
        );
    }
    Ok(())
}

/// The 1.1 collections a reference property may point into.
fn ref_collections(field: &str) -> &'static [&'static str] {
    match field {
        "class" => &["classes"],
        "category" => &["categories"],
        "gradingPeriod" => &["academicSessions", "gradingPeriods", "terms"],
        "lineItem" => &["lineItems"],
        "student" => &["users", "students"],
        _ => &[],
    }
}

/// Whether `href` is the URI of object `sid` in one of `collections` under
/// the 1.1 service whose base path is `base_path` (any host: providers behind
/// a proxy may name another).
pub fn href_ok(href: &str, base_path: &str, collections: &[&str], sid: &str) -> bool {
    url::Url::parse(href).is_ok_and(|u| {
        collections
            .iter()
            .any(|c| u.path() == format!("{base_path}/{c}/{}", enc_path(sid)))
    })
}

fn enc_path(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn references(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let base_path = url::Url::parse(&c.base)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .map_err(|e| Stop::Error(format!("bad base URL {}: {e}", c.base)))?;
    let mut resolved: HashMap<(String, String), u16> = HashMap::new();
    for (path, fields) in [
        ("lineItems", &["class", "category", "gradingPeriod"][..]),
        ("results", &["lineItem", "student"][..]),
    ] {
        let list = c.records(&format!("{path}?limit=5"), path).await?;
        let mut problems = Vec::new();
        let mut judged = 0;
        for r in &list {
            for f in fields {
                let Some(sid) = ref_id(r, f) else { continue };
                judged += 1;
                let Some(target) = ref_collections(f).first() else {
                    continue;
                };
                let key = ((*target).to_string(), sid.clone());
                let status = match resolved.get(&key) {
                    Some(s) => *s,
                    None => {
                        let s = c
                            .get(&format!("{target}/{}", enc(&sid)))
                            .await?
                            .status
                            .as_u16();
                        resolved.insert(key, s);
                        s
                    }
                };
                if status != 200 {
                    problems.push(format!(
                        "{path} {}: {f} {sid}: GET {target}/{sid} answered {status}",
                        cases_sid(r)
                    ));
                }
                if let Some(href) = r.get(*f).and_then(|x| x.get("href")) {
                    let ok = href
                        .as_str()
                        .is_some_and(|h| href_ok(h, &base_path, ref_collections(f), &sid));
                    if !ok {
                        problems.push(format!(
                            "{path} {}: {f}.href = {href} is not {target}/{sid} under {base_path}",
                            cases_sid(r)
                        ));
                    }
                }
            }
        }
        let n = problems.len();
        problems.truncate(5);
        v.require(
            format!("{judged} reference(s) of {} {path} resolve", list.len()),
            n == 0,
            format!("{n} problem(s): {}", problems.join("; ")),
        );
    }
    Ok(())
}

// ---- errors and auth --------------------------------------------------------------

async fn unknown_id(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for (path, _) in COLLECTIONS {
        let rel = format!("{path}/accredit-unknown-{}", uuid::Uuid::new_v4().simple());
        let r = c.get(&rel).await?;
        check_status_info(
            v,
            &format!("GET {path}/{{unknown}}"),
            &r,
            404,
            "unknownobject",
        );
    }
    let rel = format!(
        "classes/accredit-unknown-{}/lineItems",
        uuid::Uuid::new_v4().simple()
    );
    let r = c.get(&rel).await?;
    check_status_info(
        v,
        "GET classes/{unknown}/lineItems",
        &r,
        404,
        "unknownobject",
    );
    Ok(())
}

async fn auth(c: &Client<'_>, v: &mut Verdict, writes: bool) -> Result<(), Stop> {
    // A control first: the same request correctly signed must pass, or a 401
    // below proves nothing.
    let rel = "lineItems?limit=1";
    let ok = c.get(rel).await?;
    if ok.status.as_u16() != 200 {
        return Err(Stop::Error(format!(
            "a correctly signed GET {rel} answered {}: {}",
            ok.status.as_u16(),
            snippet(&ok)
        )));
    }
    for (what, how) in [
        ("unsigned", Sign::unsigned()),
        ("signed with the wrong secret", Sign::wrong_secret()),
    ] {
        let r = c.call(Method::GET, rel, None, &how).await?;
        let s = r.status.as_u16();
        v.require(
            format!("a GET {rel} {what} answered 401"),
            s == 401,
            format!("answered {s}: {}", snippet(&r)),
        );
    }
    if writes {
        // A DELETE of an id nobody has: harmless if the provider wrongly
        // accepts it, and a 404 instead of 401 shows the write path skips
        // the signature check.
        let rel = format!(
            "lineItems/accredit-unknown-{}",
            uuid::Uuid::new_v4().simple()
        );
        let r = c
            .call(Method::DELETE, &rel, None, &Sign::unsigned())
            .await?;
        let s = r.status.as_u16();
        v.require(
            "an unsigned DELETE lineItems/{id} answered 401",
            s == 401,
            format!("answered {s}: {}", snippet(&r)),
        );
    }
    Ok(())
}

// ---- writes -----------------------------------------------------------------------

fn now_date_time(offset_days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(offset_days))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn fresh_id(kind: &str) -> String {
    format!("accredit-{kind}-{}", uuid::Uuid::new_v4().simple())
}

fn guid_ref(base: &str, collection: &str, kind: &str, id: &str) -> Value {
    json!({"href": format!("{base}/{collection}/{id}"), "sourcedId": id, "type": kind})
}

/// The fields of `read` that differ from `written` (references by sourcedId,
/// numbers numerically, date-times as instants).
pub fn mismatches(written: &Value, read: &Value, fields: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for f in fields {
        let (Some(w), r) = (written.get(*f), read.get(*f)) else {
            continue;
        };
        let same = match (w, r) {
            (Value::Object(_), Some(r)) => w.get("sourcedId") == r.get("sourcedId"),
            (Value::Number(a), Some(Value::Number(b))) => match (a.as_f64(), b.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                _ => false,
            },
            (Value::String(a), Some(Value::String(b))) if is_date_time(a) => {
                match (
                    chrono::DateTime::parse_from_rfc3339(a),
                    chrono::DateTime::parse_from_rfc3339(b),
                ) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => false,
                }
            }
            (w, Some(r)) => w == r,
            (_, None) => false,
        };
        if !same {
            let r = r.map_or_else(|| "nothing".to_string(), Value::to_string);
            out.push(format!("{f}: wrote {w}, read {r}"));
        }
    }
    out
}

/// One object's write round-trip.
struct Plan<'p> {
    collection: &'static str,
    single: &'static str,
    id: String,
    create: Value,
    replace: Value,
    compare: &'p [&'p str],
}

/// PUT (create), GET, PUT (replace), GET, DELETE, GET; the object is deleted
/// afterwards whatever happened.
async fn round_trip(c: &Client<'_>, v: &mut Verdict, p: &Plan<'_>) -> Result<(), Stop> {
    let mut gone = false;
    let out = round_trip_steps(c, v, p, &mut gone).await;
    if !gone {
        let rel = format!("{}/{}", p.collection, enc(&p.id));
        // Cleanup only: what the provider answers was judged above.
        let cleanup = c.call(Method::DELETE, &rel, None, &Sign::default()).await;
        if let Err(Stop::Error(e) | Stop::Fail(_, e)) = cleanup {
            v.check(
                format!("cleanup: DELETE {rel}"),
                Outcome::Warn,
                format!("could not delete the test object: {e}"),
            );
        }
    }
    out
}

async fn read_back(
    c: &Client<'_>,
    v: &mut Verdict,
    p: &Plan<'_>,
    written: &Value,
    after: &str,
) -> Result<(), Stop> {
    let rel = format!("{}/{}", p.collection, enc(&p.id));
    let r = c.get(&rel).await?;
    let s = r.status.as_u16();
    if !v.require(
        format!("GET {}/{{id}} after the {after} answered 200", p.collection),
        s == 200,
        format!("answered {s}: {}", snippet(&r)),
    ) {
        return Ok(());
    }
    let body: Value = r.json().unwrap_or(Value::Null);
    let Some(got) = body.get(p.single) else {
        v.require(
            format!(
                "GET {}/{{id}} answered {{\"{}\": {{...}}}}",
                p.collection, p.single
            ),
            false,
            format!("body: {}", snippet(&r)),
        );
        return Ok(());
    };
    let diff = mismatches(written, got, p.compare);
    v.require(
        format!(
            "GET {}/{{id}} returns what the {after} wrote ({})",
            p.collection,
            p.compare.join(", ")
        ),
        diff.is_empty(),
        diff.join("; "),
    );
    Ok(())
}

async fn round_trip_steps(
    c: &Client<'_>,
    v: &mut Verdict,
    p: &Plan<'_>,
    gone: &mut bool,
) -> Result<(), Stop> {
    let rel = format!("{}/{}", p.collection, enc(&p.id));
    let r = c
        .call(
            Method::PUT,
            &rel,
            Some(&json!({ p.single: p.create })),
            &Sign::default(),
        )
        .await?;
    let s = r.status.as_u16();
    let created = v.require(
        format!("PUT {}/{{new id}} answered 201", p.collection),
        s == 201,
        format!("answered {s}: {}", snippet(&r)),
    );
    if !created && !(200..300).contains(&s) {
        *gone = s == 401 || s == 403;
        return Ok(());
    }
    read_back(c, v, p, &p.create, "create").await?;
    let r = c
        .call(
            Method::PUT,
            &rel,
            Some(&json!({ p.single: p.replace })),
            &Sign::default(),
        )
        .await?;
    let s = r.status.as_u16();
    v.require(
        format!("PUT {}/{{existing id}} answered 200 or 201", p.collection),
        s == 200 || s == 201,
        format!("answered {s}: {}", snippet(&r)),
    );
    read_back(c, v, p, &p.replace, "replace").await?;
    let r = c.call(Method::DELETE, &rel, None, &Sign::default()).await?;
    let s = r.status.as_u16();
    v.require(
        format!("DELETE {}/{{id}} answered 204 (or 200)", p.collection),
        s == 204 || s == 200,
        format!("answered {s}: {}", snippet(&r)),
    );
    let r = c.get(&rel).await?;
    let s = r.status.as_u16();
    *gone = s == 404;
    v.require(
        format!("GET {}/{{id}} after the DELETE answered 404", p.collection),
        s == 404,
        format!("answered {s}: {}", snippet(&r)),
    );
    Ok(())
}

/// `sourcedId`, `status` and `dateLastModified` of a written object.
fn head(id: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("sourcedId".into(), json!(id));
    m.insert("status".into(), json!("active"));
    m.insert("dateLastModified".into(), json!(now_date_time(0)));
    m
}

fn with(mut m: serde_json::Map<String, Value>, fields: Value) -> Value {
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    Value::Object(m)
}

async fn write_line_items(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let classes = c.records("classes?limit=1", "classes").await?;
    let Some(class) = classes.first() else {
        return Err(Stop::Error(
            "the provider has no class to add a line item to".into(),
        ));
    };
    let class_id = cases_sid(class);
    let period = match class
        .get("terms")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .and_then(|t| t.get("sourcedId"))
        .and_then(Value::as_str)
    {
        Some(t) => t.to_string(),
        None => c
            .records("academicSessions?limit=1", "academicSessions")
            .await?
            .first()
            .map(cases_sid)
            .ok_or_else(|| Stop::Error("the provider has no academic session".into()))?,
    };
    let category = c
        .records("categories?limit=1", "categories")
        .await?
        .first()
        .map(cases_sid)
        .ok_or_else(|| {
            Stop::Error("the provider has no category to file a line item under".into())
        })?;
    let id = fresh_id("lineitem");
    let refs = json!({
        "class": guid_ref(&c.base, "classes", "class", &class_id),
        "category": guid_ref(&c.base, "categories", "category", &category),
        "gradingPeriod": guid_ref(&c.base, "academicSessions", "academicSession", &period),
    });
    let item = |title: &str, max: f64| {
        let mut m = head(&id);
        if let Value::Object(r) = refs.clone() {
            m.extend(r);
        }
        with(
            m,
            json!({
                "title": title,
                "description": "written by accredit's OneRoster 1.1 gradebook case; deleted at its end",
                "assignDate": now_date_time(0),
                "dueDate": now_date_time(7),
                "resultValueMin": 0.0,
                "resultValueMax": max,
            }),
        )
    };
    let plan = Plan {
        collection: "lineItems",
        single: "lineItem",
        create: item("accredit 1.1 line item", 10.0),
        replace: item("accredit 1.1 line item (replaced)", 20.0),
        id: id.clone(),
        compare: &[
            "title",
            "assignDate",
            "dueDate",
            "class",
            "category",
            "gradingPeriod",
            "resultValueMin",
            "resultValueMax",
        ],
    };
    round_trip(c, v, &plan).await
}

async fn write_results(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let graded = graded_classes(c, 1).await?;
    let Some((class, items)) = graded.first() else {
        return Err(Stop::Error("no class with line items".into()));
    };
    let item = items.first().map(cases_sid).unwrap_or_default();
    let student = c
        .records(&format!("classes/{}/students?limit=1", enc(class)), "users")
        .await?
        .first()
        .map(cases_sid)
        .ok_or_else(|| Stop::Error(format!("class {class} has no student to grade")))?;
    let id = fresh_id("result");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let result = |status: &str, score: f64, comment: &str| {
        with(
            head(&id),
            json!({
                "lineItem": guid_ref(&c.base, "lineItems", "lineItem", &item),
                "student": guid_ref(&c.base, "users", "user", &student),
                "scoreStatus": status,
                "score": score,
                "scoreDate": today,
                "comment": comment,
            }),
        )
    };
    let plan = Plan {
        collection: "results",
        single: "result",
        create: result("fully graded", 7.25, "written by accredit"),
        replace: result("partially graded", 3.5, "replaced by accredit"),
        id: id.clone(),
        compare: &[
            "lineItem",
            "student",
            "scoreStatus",
            "score",
            "scoreDate",
            "comment",
        ],
    };
    round_trip(c, v, &plan).await
}

async fn write_categories(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let id = fresh_id("category");
    let plan = Plan {
        collection: "categories",
        single: "category",
        create: with(head(&id), json!({"title": "accredit 1.1 category"})),
        replace: with(
            head(&id),
            json!({"title": "accredit 1.1 category (replaced)"}),
        ),
        id: id.clone(),
        compare: &["title"],
    };
    round_trip(c, v, &plan).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn good_line_item() -> Value {
        json!({
            "sourcedId": "li", "status": "active", "dateLastModified": "2026-09-01T00:00:00.000Z",
            "title": "Essay", "assignDate": "2026-09-07T08:00:00.000Z", "dueDate": "2026-09-14T23:59:00Z",
            "class": {"sourcedId": "c"}, "category": {"sourcedId": "k"}, "gradingPeriod": {"sourcedId": "t"},
            "resultValueMin": 0.0, "resultValueMax": 100,
        })
    }

    fn good_result() -> Value {
        json!({
            "sourcedId": "r", "status": "active", "dateLastModified": "2026-09-01T00:00:00.000Z",
            "lineItem": {"sourcedId": "li"}, "student": {"sourcedId": "u"},
            "scoreStatus": "not submitted", "score": 0, "scoreDate": "2026-09-15",
        })
    }

    fn edited(mut v: Value, field: &str, value: Option<Value>) -> Value {
        if let Value::Object(m) = &mut v {
            match value {
                Some(x) => m.insert(field.to_string(), x),
                None => m.remove(field),
            };
        }
        v
    }

    #[test]
    fn well_formed_records_have_no_problems() {
        assert_eq!(
            record_problems("lineItems", &good_line_item()),
            Vec::<String>::new()
        );
        assert_eq!(
            record_problems("results", &good_result()),
            Vec::<String>::new()
        );
        assert_eq!(
            record_problems(
                "categories",
                &json!({"sourcedId": "k", "status": "tobedeleted", "dateLastModified": "2026-01-01T00:00:00Z", "title": "T"})
            ),
            Vec::<String>::new()
        );
    }

    #[rstest]
    #[case::no_class("lineItems", "class", None)]
    #[case::no_grading_period("lineItems", "gradingPeriod", None)]
    #[case::no_max("lineItems", "resultValueMax", None)]
    #[case::class_not_a_ref("lineItems", "class", Some(json!("c")))]
    #[case::due_date_only("lineItems", "dueDate", Some(json!("2026-09-14")))]
    #[case::max_as_string("lineItems", "resultValueMax", Some(json!("100")))]
    #[case::status_capitalised("lineItems", "status", Some(json!("Active")))]
    #[case::camel_score_status("results", "scoreStatus", Some(json!("fullyGraded")))]
    #[case::ext_score_status("results", "scoreStatus", Some(json!("ext:late")))]
    #[case::no_score("results", "score", None)]
    #[case::score_date_time("results", "scoreDate", Some(json!("2026-09-15T00:00:00Z")))]
    #[case::student_without_id("results", "student", Some(json!({"href": "x"})))]
    #[case::modified_date_only("results", "dateLastModified", Some(json!("2026-09-01")))]
    fn each_defect_is_one_problem(
        #[case] collection: &str,
        #[case] field: &str,
        #[case] value: Option<Value>,
    ) {
        let base = if collection == "results" {
            good_result()
        } else {
            good_line_item()
        };
        let problems = record_problems(collection, &edited(base, field, value));
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[rstest]
    #[case::same("http://h/ims/oneroster/v1p1/classes/c1", &["classes"], "c1", true)]
    #[case::other_host("https://proxy/ims/oneroster/v1p1/classes/c1", &["classes"], "c1", true)]
    #[case::students("http://h/ims/oneroster/v1p1/students/u", &["users", "students"], "u", true)]
    #[case::v1p2_base("http://h/ims/oneroster/rostering/v1p2/classes/c1", &["classes"], "c1", false)]
    #[case::other_id("http://h/ims/oneroster/v1p1/classes/c2", &["classes"], "c1", false)]
    #[case::other_collection("http://h/ims/oneroster/v1p1/courses/c1", &["classes"], "c1", false)]
    #[case::relative("/ims/oneroster/v1p1/classes/c1", &["classes"], "c1", false)]
    fn hrefs_are_judged(
        #[case] href: &str,
        #[case] collections: &[&str],
        #[case] sid: &str,
        #[case] ok: bool,
    ) {
        assert_eq!(href_ok(href, "/ims/oneroster/v1p1", collections, sid), ok);
    }

    #[test]
    fn round_trips_compare_refs_numbers_and_instants() {
        let written = json!({"class": {"href": "a", "sourcedId": "c"}, "score": 7.25, "dueDate": "2026-09-14T23:59:00.000Z", "title": "T"});
        let same = json!({"class": {"href": "b", "sourcedId": "c"}, "score": 7.25, "dueDate": "2026-09-15T01:59:00+02:00", "title": "T"});
        let fields = ["class", "score", "dueDate", "title"];
        assert!(mismatches(&written, &same, &fields).is_empty());
        for (f, x) in [
            ("class", json!({"sourcedId": "d"})),
            ("score", json!(7)),
            ("dueDate", json!("2026-09-14T23:58:00Z")),
            ("title", json!("t")),
        ] {
            let read = edited(same.clone(), f, Some(x));
            assert_eq!(mismatches(&written, &read, &fields).len(), 1, "{f}");
        }
        let read = edited(same, "title", None);
        assert_eq!(mismatches(&written, &read, &fields).len(), 1);
    }

    #[test]
    fn catalog_ids_are_under_the_prefixes() {
        for m in catalog() {
            assert!(m.id.starts_with(PREFIX), "{}", m.id);
            assert!(
                m.id.starts_with(super::super::v1p1::V1P1_PREFIX),
                "{}",
                m.id
            );
        }
    }
}
