//! The reference tool as an Assignment and Grade Services 2.0 client.
//!
//! Why on launch: CERT §6.4 launches a learner with the AGS endpoint claim and
//! then leaves the rest to the tool ("it is the responsibility of the Tool alone
//! to work with the AGS API to create lineitems and scores"). So, before it
//! renders the launch page, the reference tool: gets a token for the AGS scopes
//! of the claim it uses (and only those), finds its line item in the container
//! (`resource_link_id` filter) or creates it, posts the learner's score to the
//! scores URL *derived* from the line item `id` (path + `/scores`, query kept,
//! AGS 3.4.1) and reads the results back (path + `/results`, AGS 3.3.1). Each
//! request sends the right media types, and a 401 makes it request a new token
//! once and retry (SEC 4.1: a token is good "until the token expires (as
//! evidenced by a failed request)"). Every call is bounded by the client's
//! timeouts; a failed step is reported on the page, never a panic.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::services::{ServiceError, access_token, http_err};
use crate::{Fault, Shared};

const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
const SCOPE_LINEITEM_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
const SCOPE_RESULT: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
const NRPS_SCOPE: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const LINEITEM_TYPE: &str = "application/vnd.ims.lis.v2.lineitem+json";
const LINEITEMS_TYPE: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
const SCORE_TYPE: &str = "application/vnd.ims.lis.v1.score+json";
const RESULTS_TYPE: &str = "application/vnd.ims.lis.v2.resultcontainer+json";
/// The tool's own resource id for the activity it grades.
pub(crate) const RESOURCE_ID: &str = "accredit-reference-quiz";
const SCORE_MAXIMUM: u32 = 10;
const SCORE_GIVEN: u32 = 7;

/// The AGS endpoint claim of a launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgsClaim {
    pub(crate) lineitems: Option<String>,
    pub(crate) lineitem: Option<String>,
    pub(crate) scopes: Vec<String>,
}

/// The claim, when the launch carries one with a URL to work with.
pub(crate) fn claim(claims: &Value) -> Option<AgsClaim> {
    let c = claims.get(AGS_CLAIM)?;
    let url = |k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .map(String::from)
    };
    let out = AgsClaim {
        lineitems: url("lineitems"),
        lineitem: url("lineitem"),
        scopes: c
            .get("scope")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
    };
    (out.lineitems.is_some() || out.lineitem.is_some()).then_some(out)
}

/// `{line item path}/{suffix}` with the line item's query kept (AGS 3.4.1, 3.3.1).
pub(crate) fn derive(lineitem: &str, suffix: &str) -> Result<String, url::ParseError> {
    let mut u = url::Url::parse(lineitem)?;
    let path = format!("{}/{suffix}", u.path().trim_end_matches('/'));
    u.set_path(&path);
    Ok(u.into())
}

/// The scopes the tool asks for: those of the claim it uses, nothing else.
fn wanted_scopes(s: &Shared, c: &AgsClaim) -> String {
    let mut out: Vec<&str> = [SCOPE_LINEITEM, SCOPE_SCORE, SCOPE_RESULT]
        .into_iter()
        .filter(|w| c.scopes.iter().any(|x| x == w))
        .collect();
    if !out.contains(&SCOPE_LINEITEM) && c.scopes.iter().any(|x| x == SCOPE_LINEITEM_READONLY) {
        out.push(SCOPE_LINEITEM_READONLY);
    }
    if s.has(Fault::AgsExtraScope) {
        out.push(NRPS_SCOPE);
    }
    out.join(" ")
}

/// A bearer token that is renewed once after a 401.
struct Session<'a> {
    s: &'a Shared,
    scope: String,
    token: String,
}

impl Session<'_> {
    async fn send(
        &mut self,
        what: &'static str,
        method: Method,
        url: &str,
        accept: &str,
        body: Option<(&str, &Value)>,
    ) -> Result<(StatusCode, Value), ServiceError> {
        let mut retried = false;
        loop {
            let mut req = self
                .s
                .http
                .request(method.clone(), url)
                .bearer_auth(&self.token)
                .header(reqwest::header::ACCEPT, accept);
            if let Some((content_type, b)) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(b.to_string());
            }
            let resp = req.send().await.map_err(|e| http_err(what, url, e))?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !retried && !self.s.has(Fault::AgsNoTokenRetry)
            {
                retried = true;
                self.token = access_token(self.s, &self.scope).await?;
                continue;
            }
            let text = resp.text().await.map_err(|e| http_err(what, url, e))?;
            if !status.is_success() {
                return Err(http_err(what, url, format!("HTTP {status}: {text}")));
            }
            let value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|e| http_err(what, url, e))?
            };
            return Ok((status, value));
        }
    }
}

fn timestamp(s: &Shared) -> String {
    let now = chrono::Utc::now();
    if s.has(Fault::AgsBadTimestamp) {
        // Whole seconds: AGS 3.4.9 wants sub-second precision.
        now.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        now.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
    }
}

/// Finds or creates the line item, posts the learner's score, reads the results.
/// Returns a line for the launch page.
pub(crate) async fn grade(
    s: &Shared,
    c: &AgsClaim,
    claims: &Value,
) -> Result<String, ServiceError> {
    let scope = wanted_scopes(s, c);
    let token = access_token(s, &scope).await?;
    let mut session = Session { s, scope, token };
    let user = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let link = claims
        .get("https://purl.imsglobal.org/spec/lti/claim/resource_link")
        .and_then(|l| l.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let accept_json = s.has(Fault::AgsWrongAccept);
    let item_id = match (&c.lineitems, &c.lineitem) {
        (Some(container), _) => {
            let mut find =
                url::Url::parse(container).map_err(|e| http_err("line items", container, e))?;
            find.query_pairs_mut()
                .append_pair("resource_link_id", &link);
            let accept = if accept_json {
                "application/json"
            } else {
                LINEITEMS_TYPE
            };
            let (_, list) = session
                .send(
                    "line items request",
                    Method::GET,
                    find.as_str(),
                    accept,
                    None,
                )
                .await?;
            let existing = list.as_array().and_then(|a| {
                a.iter()
                    .find(|i| i.get("resourceId").and_then(Value::as_str) == Some(RESOURCE_ID))
                    .and_then(|i| i.get("id"))
                    .and_then(Value::as_str)
                    .map(String::from)
            });
            match existing {
                Some(id) => id,
                None => {
                    let mut item = json!({
                        "scoreMaximum": SCORE_MAXIMUM,
                        "label": "Week 3: photosynthesis quiz",
                        "resourceId": RESOURCE_ID,
                        "tag": "grade",
                        "resourceLinkId": link,
                    });
                    if s.has(Fault::AgsLineItemNoLabel)
                        && let Some(o) = item.as_object_mut()
                    {
                        o.remove("label");
                    }
                    let (_, created) = session
                        .send(
                            "line item creation",
                            Method::POST,
                            container,
                            LINEITEM_TYPE,
                            Some((LINEITEM_TYPE, &item)),
                        )
                        .await?;
                    created
                        .get("id")
                        .and_then(Value::as_str)
                        .map(String::from)
                        .ok_or_else(|| {
                            http_err(
                                "line item creation",
                                container,
                                "no `id` in the created line item",
                            )
                        })?
                }
            }
        }
        (None, Some(item)) => item.clone(),
        (None, None) => return Ok(String::new()),
    };
    let mut scores_url =
        derive(&item_id, "scores").map_err(|e| http_err("scores URL", &item_id, e))?;
    let mut results_url =
        derive(&item_id, "results").map_err(|e| http_err("results URL", &item_id, e))?;
    if s.has(Fault::AgsDropQueryFromScoresUrl) {
        for u in [&mut scores_url, &mut results_url] {
            if let Some((path, _)) = u.split_once('?') {
                *u = path.to_string();
            }
        }
    }
    let mut score = json!({
        "userId": user,
        "scoreGiven": SCORE_GIVEN,
        "scoreMaximum": SCORE_MAXIMUM,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": timestamp(s),
        "comment": "Graded by the accredit reference tool",
    });
    if s.has(Fault::AgsNoScoreMaximum)
        && let Some(o) = score.as_object_mut()
    {
        o.remove("scoreMaximum");
    }
    let score_type = if s.has(Fault::AgsWrongScoreMediaType) {
        "application/json"
    } else {
        SCORE_TYPE
    };
    // A refused score is reported; the results are still read.
    let posted = session
        .send(
            "score publication",
            Method::POST,
            &scores_url,
            "application/json",
            Some((score_type, &score)),
        )
        .await;
    let mut line = match &posted {
        Ok(_) => format!("Score posted: {SCORE_GIVEN}/{SCORE_MAXIMUM}"),
        Err(e) => format!("Score not posted: {e}"),
    };
    if !s.has(Fault::AgsNoResultsRead) && c.scopes.iter().any(|x| x == SCOPE_RESULT) {
        let accept = if accept_json {
            "application/json"
        } else {
            RESULTS_TYPE
        };
        let (_, results) = session
            .send("results request", Method::GET, &results_url, accept, None)
            .await?;
        line.push_str(&format!(
            "; results: {}",
            results.as_array().map(Vec::len).unwrap_or(0)
        ));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("https://p/ctx/lineitems/1", "https://p/ctx/lineitems/1/scores")]
    #[case::query(
        "https://p/ctx/lineitems/1?x=1",
        "https://p/ctx/lineitems/1/scores?x=1"
    )]
    #[case::trailing_slash(
        "https://p/ctx/lineitems/1/?x=1&y=2",
        "https://p/ctx/lineitems/1/scores?x=1&y=2"
    )]
    #[case::spec_example(
        "https://www.myuniv.example.com/2344/lineitems/1234/lineitem",
        "https://www.myuniv.example.com/2344/lineitems/1234/lineitem/scores"
    )]
    fn scores_url_is_the_path_plus_scores_with_the_query_kept(
        #[case] item: &str,
        #[case] want: &str,
    ) {
        assert_eq!(derive(item, "scores").ok().as_deref(), Some(want));
    }

    #[test]
    fn a_claim_without_urls_is_ignored() {
        let c = json!({AGS_CLAIM: {"scope": [SCOPE_SCORE]}});
        assert_eq!(claim(&c), None);
        let c = json!({AGS_CLAIM: {"scope": [SCOPE_SCORE], "lineitem": "https://p/l/1"}});
        assert_eq!(
            claim(&c).and_then(|c| c.lineitem),
            Some("https://p/l/1".into())
        );
    }
}
