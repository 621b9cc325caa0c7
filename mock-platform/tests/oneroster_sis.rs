//! The mock SIS over HTTP, seeded from a small hand-written OneRoster 1.2
//! bundle (mocks never depend on suites, so not from the generator): OAuth 2
//! client credentials, refusals, paging headers, the filter grammar, field
//! selection and the SQLite file store.

use std::path::Path;

use accredit_core::profile::Secret;
use accredit_mock_platform::oneroster::{
    self as sis, Fault, RunningSis, SCOPE_ROSTER, SCOPE_ROSTER_CORE, SisConfig,
};
use rstest::rstest;
use serde_json::Value;

const SECRET: &str = "s3cret";
const SCHOOL: &str = "org-s1";

const FILES: [(&str, &str); 7] = [
    (
        "orgs.csv",
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
         org-d,,,District,district,D1,\n\
         org-s1,,,\"School, One\",school,S1,org-d\n\
         org-s2,active,2025-01-02T03:04:05.000Z,School Two,school,S2,org-d\n",
    ),
    (
        "academicSessions.csv",
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n\
         as-1,,,2025-2026,schoolYear,2025-08-01,2026-06-30,,2026\n",
    ),
    (
        "courses.csv",
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
         c-1,,,as-1,Math,M1,\"09,10\",org-s1,,\n",
    ),
    (
        "classes.csv",
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
         k-1,,,Math A,09,c-1,MA,scheduled,,org-s1,as-1,,,\n\
         k-2,,,Math B,09,c-1,MB,scheduled,,org-s2,as-1,,,\n",
    ),
    (
        "users.csv",
        "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\n\
         u-1,,,true,ada,\"{LDAP:1}\",Ada,Lovelace,,,,,,,,,,,,,org-s1,\n\
         u-2,,,true,bob,,Bob,O'Brien,,,,,,,,,,,,,org-s1,\n\
         u-3,,,true,cy,,Cy,Smith,,,,,,,,,,,,,org-s2,\n",
    ),
    (
        "roles.csv",
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n\
         r-1,,,u-1,primary,teacher,,,org-s1,\n\
         r-2,,,u-2,primary,student,,,org-s1,\n\
         r-3,,,u-3,primary,student,,,org-s2,\n",
    ),
    (
        "enrollments.csv",
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n\
         e-1,,,k-1,org-s1,u-1,teacher,true,,\n\
         e-2,,,k-1,org-s1,u-2,student,false,,\n\
         e-3,,,k-2,org-s2,u-3,student,false,,\n",
    ),
];

fn write_bundle(dir: &Path) {
    for (name, text) in FILES {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

struct Sis {
    sis: RunningSis,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start(faults: Vec<Fault>, database: bool) -> Sis {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_bundle(dir.path());
    let mut cfg = SisConfig::reference(
        "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        dir.path(),
        Secret::from_value("env:X", SECRET),
    );
    cfg.faults = faults;
    if database {
        cfg.database = Some(dir.path().join("sis.sqlite"));
    }
    let sis = sis::start(cfg, None)
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    Sis {
        sis,
        http,
        _dir: dir,
    }
}

impl Sis {
    async fn token(&self, scope: &str) -> String {
        let r = self
            .http
            .post(self.sis.token_url())
            .basic_auth(sis::DEFAULT_CLIENT_ID, Some(SECRET))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap_or_else(|e| panic!("{e}"));
        v["access_token"].as_str().unwrap_or_default().to_string()
    }

    async fn get(&self, token: &str, rel: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = self
            .http
            .get(format!("{}/{rel}", self.sis.rostering_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }
}

fn ids(body: &Value, env: &str) -> Vec<String> {
    body[env]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| x["sourcedId"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn minor(body: &Value) -> &str {
    body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        .as_str()
        .unwrap_or_default()
}

#[rstest]
#[case::basic(true, SECRET, "client_credentials", 200, "")]
#[case::form(false, SECRET, "client_credentials", 200, "")]
#[case::wrong_secret(true, "nope", "client_credentials", 401, "invalid_client")]
#[case::wrong_grant(true, SECRET, "password", 400, "unsupported_grant_type")]
#[tokio::test]
async fn the_token_endpoint(
    #[case] basic: bool,
    #[case] secret: &str,
    #[case] grant: &str,
    #[case] want: u16,
    #[case] error: &str,
) {
    let s = start(vec![], false).await;
    let mut form = vec![
        ("grant_type", grant.to_string()),
        ("scope", SCOPE_ROSTER.into()),
    ];
    let mut req = s.http.post(s.sis.token_url());
    if basic {
        req = req.basic_auth(sis::DEFAULT_CLIENT_ID, Some(secret));
    } else {
        form.push(("client_id", sis::DEFAULT_CLIENT_ID.into()));
        form.push(("client_secret", secret.into()));
    }
    let r = req
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), want);
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if want == 200 {
        assert_eq!(v["token_type"], "bearer");
        assert_eq!(v["scope"], SCOPE_ROSTER);
    } else {
        assert_eq!(v["error"], error);
    }
    s.sis.shutdown().await;
}

#[tokio::test]
async fn refusals_use_the_1p2_status_payload() {
    let s = start(vec![], false).await;
    let (st, h, body) = s.get("not-a-token", "orgs").await;
    assert_eq!((st, minor(&body)), (401, "unauthorisedrequest"));
    assert!(h.contains_key("www-authenticate"));
    let core = s.token(SCOPE_ROSTER_CORE).await;
    assert_eq!(s.get(&core, "orgs").await.0, 200);
    let (st, _, body) = s.get(&core, &format!("schools/{SCHOOL}/classes")).await;
    assert_eq!((st, minor(&body)), (403, "forbidden"));
    let full = s.token(SCOPE_ROSTER).await;
    for (rel, status, code) in [
        ("users/nobody", 404, "unknownobject"),
        ("schools/nobody/classes", 404, "unknownobject"),
        ("nothing", 404, "unknownobject"),
        ("users?filter=nope%3D%27x%27", 400, "invalid_filter_field"),
        (
            "users?filter=familyName%3DSmith",
            400,
            "invalid_filter_field",
        ),
        ("users?fields=", 400, "invalid_selection_field"),
        (
            "users?fields=sourcedId,nope",
            400,
            "invalid_selection_field",
        ),
        ("users?limit=0", 400, "invaliddata"),
        ("users?orderBy=up", 400, "invaliddata"),
    ] {
        let (st, _, body) = s.get(&full, rel).await;
        assert_eq!((st, minor(&body)), (status, code), "{rel}: {body}");
        assert_eq!(body["imsx_codeMajor"], "failure", "{rel}");
    }
    s.sis.shutdown().await;
}

#[tokio::test]
async fn paging_counts_and_links() {
    let s = start(vec![], false).await;
    let t = s.token(SCOPE_ROSTER).await;
    let (st, h, body) = s.get(&t, "users?limit=1&offset=1&sort=sourcedId").await;
    assert_eq!(st, 200);
    assert_eq!(ids(&body, "users"), vec!["u-2"]);
    assert_eq!(h["x-total-count"], "3");
    let link = h["link"].to_str().unwrap_or_default();
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(
        link.contains("sort=sourcedId&limit=1&offset=2>; rel=\"next\""),
        "{link}"
    );
    let (_, h, _) = s.get(&t, "users?limit=5").await;
    let link = h["link"].to_str().unwrap_or_default();
    assert!(!link.contains("next") && !link.contains("prev"), "{link}");
    s.sis.shutdown().await;
}

#[rstest]
#[case::eq_case_insensitive("familyName%3D%27SMITH%27", &["u-3"])]
#[case::quote_escape("familyName%3D%27o%27%27brien%27", &["u-2"])]
#[case::ne("sourcedId%21%3D%27u-1%27", &["u-2", "u-3"])]
#[case::gt("sourcedId%3E%27u-1%27", &["u-2", "u-3"])]
#[case::le("sourcedId%3C%3D%27u-2%27", &["u-1", "u-2"])]
#[case::contains("familyName~%27lace%27", &["u-1"])]
#[case::dotted("primaryOrg.sourcedId%3D%27org-s2%27", &["u-3"])]
#[case::array("roles.role%3D%27teacher%27", &["u-1"])]
#[case::and("sourcedId%3E%27u-1%27%20AND%20familyName%3D%27smith%27", &["u-3"])]
#[case::or("sourcedId%3D%27u-1%27%20OR%20sourcedId%3D%27u-3%27", &["u-1", "u-3"])]
#[tokio::test]
async fn filters(#[case] filter: &str, #[case] want: &[&str]) {
    let s = start(vec![], false).await;
    let t = s.token(SCOPE_ROSTER).await;
    let (st, h, body) = s.get(&t, &format!("users?filter={filter}")).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(ids(&body, "users"), want);
    assert_eq!(h["x-total-count"], want.len().to_string().as_str());
    s.sis.shutdown().await;
}

#[tokio::test]
async fn views_relations_fields_and_the_rest_model() {
    let s = start(vec![], true).await;
    let t = s.token(SCOPE_ROSTER).await;
    assert_eq!(
        ids(&s.get(&t, "schools").await.2, "orgs"),
        ["org-s1", "org-s2"]
    );
    assert_eq!(ids(&s.get(&t, "students").await.2, "users"), ["u-2", "u-3"]);
    assert_eq!(ids(&s.get(&t, "teachers").await.2, "users"), ["u-1"]);
    let rel = format!("schools/{SCHOOL}/classes");
    assert_eq!(ids(&s.get(&t, &rel).await.2, "classes"), ["k-1"]);
    assert_eq!(
        ids(&s.get(&t, "classes/k-1/students").await.2, "users"),
        ["u-2"]
    );
    let (_, _, body) = s.get(&t, "users?fields=sourcedId,familyName&limit=1").await;
    assert_eq!(
        body["users"][0],
        serde_json::json!({"sourcedId": "u-1", "familyName": "Lovelace"})
    );
    let (_, _, body) = s.get(&t, "users/u-1").await;
    let u = &body["user"];
    assert_eq!(u["status"], "active");
    assert_eq!(u["enabledUser"], "true");
    assert_eq!(
        u["userIds"][0],
        serde_json::json!({"type": "LDAP", "identifier": "1"})
    );
    assert_eq!(u["roles"][0]["org"]["type"], "org");
    assert!(
        u["dateLastModified"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z') && d.len() == 24)
    );
    let (_, _, body) = s.get(&t, "orgs/org-s1").await;
    assert_eq!(body["org"]["name"], "School, One");
    assert_eq!(body["org"]["parent"]["sourcedId"], "org-d");
    let (_, _, body) = s.get(&t, "orgs/org-d").await;
    assert_eq!(
        ids(&serde_json::json!({"x": body["org"]["children"]}), "x"),
        ["org-s1", "org-s2"]
    );
    assert_eq!(s.sis.count("enrollments").unwrap_or(0), 3);
    s.sis.shutdown().await;
}

#[tokio::test]
async fn a_missing_bundle_file_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_bundle(dir.path());
    std::fs::remove_file(dir.path().join("roles.csv")).unwrap_or_else(|e| panic!("{e}"));
    let cfg = SisConfig::reference(
        "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        dir.path(),
        Secret::from_value("env:X", SECRET),
    );
    let err = sis::start(cfg, None)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("roles.csv") && err.contains("missing"),
        "{err}"
    );
}
