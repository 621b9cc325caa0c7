//! The lti-platform AGS cases: Assignment and Grade Services 2.0, the platform
//! side (CERT §5.4 and the AGS MUSTs behind it).
//!
//! Why independent cases: CERT §5.4 is one stateful sequence (token, item 1,
//! item 2, a second context, item 3, score token, two scores, results token,
//! two result reads). Run as one chain, the first broken step hides every later
//! one; here every case redoes the setup it needs (its own launch, its own
//! scope-only tokens, its own line items with unique labels, resource ids and
//! tags) and judges only the step it is named after, so cases run in parallel
//! and a report shows every broken step at once. A failing setup step fails the
//! case with a `setup: ...` check (the platform could not do it).
//!
//! The lineitems URL always comes from the launch's AGS claim. Scores carry an
//! ISO 8601 timestamp with milliseconds and `Z`; results are compared as
//! `resultScore / resultMaximum` against `scoreGiven / scoreMaximum`, since a
//! platform may re-scale to the line item's maximum (AGS 3.4.4). Container
//! bodies that are not arrays are judged by `ags.container-array` alone; other
//! cases read the items out of them so one defect fails one case.

use std::collections::BTreeSet;

use chrono::{SecondsFormat, Utc};
use futures::FutureExt;
use serde_json::{Value, json};
use url::Url;

use accredit_core::http::Captured;
use accredit_core::{Case, CaseCx, CaseMeta, Level, Outcome, Verdict};
use accredit_mock_platform::{
    AGS_SCOPE_LINEITEM, AGS_SCOPE_RESULT_READONLY, AGS_SCOPE_SCORE, LINEITEM_MEDIA_TYPE,
    LINEITEMS_MEDIA_TYPE, RESULTS_MEDIA_TYPE, SCORE_MEDIA_TYPE,
};

use super::super::checks::{Aspect, judge_launch};
use super::super::fixture::{LaunchKind, PlatformFixture};
use super::{
    CERT, absorb, get_bearer, get_ok, judge_bad_bearer, kind_of, launch_claims, links_of,
    media_type_is, meta, post_bearer, rel_url, require_media_type, setup_token, snippet,
    token_grant_case, transport, with_query,
};

const CERT_AGS: &str = "5.4 Assignment and Grade Services Testing";
const CERT_AGS_URL: &str =
    "https://www.imsglobal.org/spec/lti/v1p3/cert/#assignment-and-grade-services-testing";
const CERT_5_4: (&str, &str, &str) = (CERT, CERT_AGS, CERT_AGS_URL);
const AGS: &str = "LTI Assignment and Grade Services 2.0";
/// The AGS launch claim.
pub(crate) const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const RESOURCE_LINK_CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
/// scoreMaximum of the line items the setup creates.
const ITEM_MAX: f64 = 10.0;
/// Most container pages a walk follows.
const MAX_PAGES: usize = 200;

/// P-AGS-01.
pub(crate) const LAUNCH1_SIGNATURE: CaseMeta = meta(
    "lti.platform.ags.launch1.signature",
    "AGS launch 1: the kid is in the platform JWKS and its key verifies the signature",
    CERT_5_4,
    "Payload Signature Valid: The KID in the JWT Header corresponds to the correct Public Key on the Well-Known URL and the Public Key for this KID correctly verifies the JWT Signature.",
    Level::Must,
    true,
    &["ags", "core"],
);
/// P-AGS-02.
pub(crate) const LAUNCH1_COMPLETE: CaseMeta = meta(
    "lti.platform.ags.launch1.complete",
    "AGS launch 1: every required claim and the AGS claim are present",
    CERT_5_4,
    "Payload is Complete: All Required 1.3 Core Launch Claims are present in addition to the required Assignment and Grade Claim.",
    Level::Must,
    true,
    &["ags", "core"],
);
/// P-AGS-03.
pub(crate) const TOKEN_LINEITEM: CaseMeta = meta(
    "lti.platform.ags.token-lineitem",
    "AGS: the token endpoint grants a token for the lineitem scope only",
    CERT_5_4,
    "Generate OAuth2 Call 1: Test Generates OAuth2 call utilizing the Private Key for the Tool provided in the test setup - expecting a Bearer Token response for lineitems scope only.",
    Level::Must,
    true,
    &["ags", "token"],
);
/// P-AGS-04.
pub(crate) const CREATE_LINEITEM_1: CaseMeta = meta(
    "lti.platform.ags.create-lineitem-1",
    "AGS: POST lineitems creates line item 1 (201, the item with its id)",
    CERT_5_4,
    "Create Line Item 1: Test Attempts to use new Bearer Token to Create First Line Item. AGS 3.2.5: a new line item is added by POSTing a line item (application/vnd.ims.lis.v2.lineitem+json) to the lineitems endpoint URL; the platform answers 201 Created with the item and its id.",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-05.
pub(crate) const GET_LINEITEM_1: CaseMeta = meta(
    "lti.platform.ags.get-lineitem-1",
    "AGS: GET the new line item's id returns it",
    CERT_5_4,
    "Retrieve Line Item 1: Test Attempts to use new Bearer Token to Retrieve just created First Line Item (GET the line item id with Accept: application/vnd.ims.lis.v2.lineitem+json).",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-06.
pub(crate) const CREATE_LINEITEM_2: CaseMeta = meta(
    "lti.platform.ags.create-lineitem-2",
    "AGS: a second line item is created with its own id",
    CERT_5_4,
    "Create Line Item 2: Test Attempts to use Bearer Token to Create Second Line Item.",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-07.
pub(crate) const LAUNCH2_SIGNATURE: CaseMeta = meta(
    "lti.platform.ags.launch2.signature",
    "AGS launch 2 (another context): the signature verifies",
    CERT_5_4,
    "Payload Signature Valid (second payload, different context): The KID in the JWT Header corresponds to the correct Public Key on the Well-Known URL and the Public Key for this KID correctly verifies the JWT Signature.",
    Level::Must,
    true,
    &["ags", "core"],
);
/// P-AGS-08.
pub(crate) const LAUNCH2_COMPLETE: CaseMeta = meta(
    "lti.platform.ags.launch2.complete",
    "AGS launch 2 (another context): every required claim and the AGS claim are present",
    CERT_5_4,
    "Payload is Complete (second payload): All Required 1.3 Core Launch Claims are present in addition to the required Assignments and Grades Claim. It is imperative that a different context be used here.",
    Level::Must,
    true,
    &["ags", "core"],
);
/// P-AGS-09.
pub(crate) const CREATE_LINEITEM_3: CaseMeta = meta(
    "lti.platform.ags.create-lineitem-3",
    "AGS: line item 3 is created in the second context",
    CERT_5_4,
    "Create Line Item 3: Test Attempts to use Bearer Token to Create Third Line Item (in the second context's lineitems URL).",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-10.
pub(crate) const TOKEN_SCORE: CaseMeta = meta(
    "lti.platform.ags.token-score",
    "AGS: the token endpoint grants a token for the score scope only",
    CERT_5_4,
    "Generate OAuth2 Call 2: submits to the OAuth2 server with the correct scores scope parameter - expecting a Bearer Token response for scores scope only.",
    Level::Must,
    true,
    &["ags", "token"],
);
/// P-AGS-11.
pub(crate) const SCORE_LINEITEM_3: CaseMeta = meta(
    "lti.platform.ags.score-lineitem-3",
    "AGS: a score is posted to line item 3 (second context)",
    CERT_5_4,
    "Post Score Line Item 3: Test Attempts to use new Score Bearer Token to Post a Score to the Third Line Item (POST {lineitem}/scores, application/vnd.ims.lis.v1.score+json).",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-12.
pub(crate) const SCORE_LINEITEM_1: CaseMeta = meta(
    "lti.platform.ags.score-lineitem-1",
    "AGS: a score is posted to line item 1 (first context)",
    CERT_5_4,
    "Post Score Line Item 1: Test Attempts to use Score Bearer Token to Post a Score to the First Line Item (from previous context).",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-13.
pub(crate) const TOKEN_RESULTS: CaseMeta = meta(
    "lti.platform.ags.token-results",
    "AGS: the token endpoint grants a token for the result.readonly scope only",
    CERT_5_4,
    "Generate OAuth2 Call 3: submits to the OAuth2 server with the correct results scope parameter - expecting a Bearer Token response for results scope only.",
    Level::Must,
    true,
    &["ags", "token"],
);
/// P-AGS-14.
pub(crate) const RESULTS_LINEITEM_3: CaseMeta = meta(
    "lti.platform.ags.results-lineitem-3",
    "AGS: the results of line item 3 hold the posted score",
    CERT_5_4,
    "Retrieve Results Line Item 3: Test Attempts to use new Results Bearer Token to retrieve Results for the Third Line Item (GET {lineitem}/results, Accept application/vnd.ims.lis.v2.resultcontainer+json).",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-15.
pub(crate) const RESULTS_LINEITEM_1: CaseMeta = meta(
    "lti.platform.ags.results-lineitem-1",
    "AGS: the results of line item 1 hold its score, and the two contexts stay apart",
    CERT_5_4,
    "Retrieve Results Line Item 1: Test Attempts to use Results Bearer Token to retrieve Results for the First Line Item (from previous context). The idea is to prove that the AGS implementation can differentiate between calls to different contexts in the platform.",
    Level::Must,
    true,
    &["ags"],
);
/// P-AGS-16.
pub(crate) const GRADEBOOK: CaseMeta = meta(
    "lti.platform.ags.gradebook",
    "AGS: the posted scores are in the platform's gradebook (human confirmation)",
    CERT_5_4,
    "Verify Gradebook Entities: Test Returns to the Webpage the POSTED Scores for the lineitems used. You MUST CONFIRM that you received and absorbed the calls made!",
    Level::Must,
    true,
    &["ags"],
);
/// HX-AGS-P-01.
pub(crate) const CONTAINER_ARRAY: CaseMeta = meta(
    "lti.platform.ags.container-array",
    "AGS: GET lineitems answers a JSON array with the container media type",
    (
        AGS,
        "3.2.1 Line item service Media types and schemas; 3.2.2.2",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#line-item-service-media-types-and-schemas",
    ),
    "GET lineitems URL with Accept: application/vnd.ims.lis.v2.lineitemcontainer+json returns the line items of the context: a JSON array of line items (an empty array when there are none).",
    Level::Must,
    false,
    &["ags", "extension"],
);
/// HX-AGS-P-02.
pub(crate) const FILTERS: CaseMeta = meta(
    "lti.platform.ags.filters",
    "AGS: the container filters resource_link_id, resource_id, tag and limit work",
    (
        AGS,
        "3.2.4 Container Request Filters",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#container-request-filters",
    ),
    "A GET request to the container endpoint MAY use resource_link_id, resource_id, tag and limit to filter the response; the platform MUST implement the support for those filters. If more items exist following the returned ones, a Link header with rel 'next' MUST be included. If there are no matching line items, the returned value MUST just be an empty array.",
    Level::Must,
    false,
    &["ags", "extension"],
);
/// HX-AGS-P-03.
pub(crate) const LINEITEM_VALIDATION: CaseMeta = meta(
    "lti.platform.ags.lineitem-validation",
    "AGS: a line item without a label, or with scoreMaximum ≤ 0, is refused with 400",
    (
        AGS,
        "3.2.7 Label; 3.2.8 scoreMaximum",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#label",
    ),
    "The label is a short string with a human readable text for the line item. It MUST be specified and not blank when posted by the tool. Maximum score MUST be a numeric non-null value, strictly greater than 0.",
    Level::Must,
    false,
    &["ags", "extension"],
);
/// HX-AGS-P-04.
pub(crate) const RESOURCE_ID_TAG: CaseMeta = meta(
    "lti.platform.ags.resource-id-tag",
    "AGS: resourceId and tag are kept exactly as the tool sent them",
    (
        AGS,
        "3.2.10 Tool resource identifier resourceId; 3.2.11 tag",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#tool-resource-identifier-resourceid",
    ),
    "The platform MUST NOT modify the resourceId and tag values the tool sets on a line item; the tool uses them to find its line items again.",
    Level::Must,
    false,
    &["ags", "extension"],
);
/// HX-AGS-P-05.
pub(crate) const SCORE_ORDERING: CaseMeta = meta(
    "lti.platform.ags.score-ordering",
    "AGS: a score with an older timestamp than the stored one is ignored",
    (
        AGS,
        "3.4.9 timestamp",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#timestamp",
    ),
    "The timestamp MUST be present and indicate when the score was changed; it is intended to be used by the platform as a way to guard against out of order score updates.",
    Level::Must,
    false,
    &["ags", "extension"],
);
/// HX-AGS-P-06.
pub(crate) const SCORE_ABOVE_MAXIMUM: CaseMeta = meta(
    "lti.platform.ags.score-above-maximum",
    "AGS: scoreGiven above scoreMaximum (11/10) is accepted and kept",
    (
        AGS,
        "3.4.4 scoreGiven and scoreMaximum",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#scoregiven-and-scoremaximum",
    ),
    "The platform MUST support scoreGiven higher than scoreMaximum.",
    Level::Must,
    false,
    &["ags", "extension"],
);
/// HX-AGS-P-07.
pub(crate) const RESULTS: CaseMeta = meta(
    "lti.platform.ags.results",
    "AGS: results filtered by user_id hold at most one result with resultMaximum > 0",
    (
        AGS,
        "3.3.6 Container Request Filters; 3.3.4.6 resultMaximum",
        "https://www.imsglobal.org/spec/lti-ags/v2p0#container-request-filters-0",
    ),
    "user_id: to filter the results to a single user. The results MUST contain at most 1 result. The 'resultMaximum' value MUST be a positive number (with 0 considered a negative number); if no value is specified, then a default maximum value of 1 must be used.",
    Level::Must,
    false,
    &["ags", "extension"],
);

/// The AGS cases, in report order.
pub(super) fn cases() -> Vec<Case<PlatformFixture>> {
    vec![
        Case {
            meta: LAUNCH1_SIGNATURE,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::AgsContext1, Aspect::Signature).boxed(),
        },
        Case {
            meta: LAUNCH1_COMPLETE,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::AgsContext1, Aspect::Complete).boxed(),
        },
        Case {
            meta: TOKEN_LINEITEM,
            run: |fx, cx| token_grant_case(fx, cx, AGS_SCOPE_LINEITEM).boxed(),
        },
        Case {
            meta: CREATE_LINEITEM_1,
            run: |fx, cx| create_case(fx, cx, LaunchKind::AgsContext1, false).boxed(),
        },
        Case {
            meta: GET_LINEITEM_1,
            run: |fx, cx| get_lineitem(fx, cx).boxed(),
        },
        Case {
            meta: CREATE_LINEITEM_2,
            run: |fx, cx| create_case(fx, cx, LaunchKind::AgsContext1, true).boxed(),
        },
        Case {
            meta: LAUNCH2_SIGNATURE,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::AgsContext2, Aspect::Signature).boxed(),
        },
        Case {
            meta: LAUNCH2_COMPLETE,
            run: |fx, cx| judge_launch(fx, cx, LaunchKind::AgsContext2, Aspect::Complete).boxed(),
        },
        Case {
            meta: CREATE_LINEITEM_3,
            run: |fx, cx| create_case(fx, cx, LaunchKind::AgsContext2, false).boxed(),
        },
        Case {
            meta: TOKEN_SCORE,
            run: |fx, cx| token_grant_case(fx, cx, AGS_SCOPE_SCORE).boxed(),
        },
        Case {
            meta: SCORE_LINEITEM_3,
            run: |fx, cx| score_case(fx, cx, LaunchKind::AgsContext2).boxed(),
        },
        Case {
            meta: SCORE_LINEITEM_1,
            run: |fx, cx| score_case(fx, cx, LaunchKind::AgsContext1).boxed(),
        },
        Case {
            meta: TOKEN_RESULTS,
            run: |fx, cx| token_grant_case(fx, cx, AGS_SCOPE_RESULT_READONLY).boxed(),
        },
        Case {
            meta: RESULTS_LINEITEM_3,
            run: |fx, cx| results_case(fx, cx, false).boxed(),
        },
        Case {
            meta: RESULTS_LINEITEM_1,
            run: |fx, cx| results_case(fx, cx, true).boxed(),
        },
        Case {
            meta: GRADEBOOK,
            run: |fx, cx| gradebook(fx, cx).boxed(),
        },
        Case {
            meta: CONTAINER_ARRAY,
            run: |fx, cx| container_array(fx, cx).boxed(),
        },
        Case {
            meta: FILTERS,
            run: |fx, cx| filters(fx, cx).boxed(),
        },
        Case {
            meta: LINEITEM_VALIDATION,
            run: |fx, cx| lineitem_validation(fx, cx).boxed(),
        },
        Case {
            meta: RESOURCE_ID_TAG,
            run: |fx, cx| resource_id_tag(fx, cx).boxed(),
        },
        Case {
            meta: SCORE_ORDERING,
            run: |fx, cx| score_ordering(fx, cx).boxed(),
        },
        Case {
            meta: SCORE_ABOVE_MAXIMUM,
            run: |fx, cx| score_above_maximum(fx, cx).boxed(),
        },
        Case {
            meta: RESULTS,
            run: |fx, cx| results_filter(fx, cx).boxed(),
        },
    ]
}

// ---------------------------------------------------------------------------
// Pure helpers (unit-tested below).
// ---------------------------------------------------------------------------

/// A fresh, unique suffix for labels, resource ids and tags.
fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// A line item body: label, scoreMaximum and the optional binding members.
pub(crate) fn lineitem_body(
    label: &str,
    score_maximum: f64,
    resource_id: Option<&str>,
    tag: Option<&str>,
    resource_link_id: Option<&str>,
) -> Value {
    let mut item = json!({"label": label, "scoreMaximum": score_maximum});
    if let Some(r) = resource_id {
        item["resourceId"] = json!(r);
    }
    if let Some(t) = tag {
        item["tag"] = json!(t);
    }
    if let Some(l) = resource_link_id {
        item["resourceLinkId"] = json!(l);
    }
    item
}

/// A score timestamp `offset_ms` from now: ISO 8601, milliseconds, `Z` (AGS 3.4.9).
pub(crate) fn score_timestamp(offset_ms: i64) -> String {
    (Utc::now() + chrono::Duration::milliseconds(offset_ms))
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A final score body (AGS 3.4.3): completed and fully graded.
pub(crate) fn score_body(user_id: &str, given: f64, maximum: f64, timestamp: &str) -> Value {
    json!({
        "userId": user_id,
        "scoreGiven": given,
        "scoreMaximum": maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": timestamp,
        "comment": "posted by the accredit certification harness",
    })
}

/// The URL of a sub-resource of a line item (`scores`, `results`): the item's
/// path + `/{leaf}`, its query kept (AGS 3.3.1, 3.4.1).
pub(crate) fn item_sub_url(item_id: &str, leaf: &str) -> Result<Url, String> {
    let mut u = Url::parse(item_id)
        .map_err(|e| format!("the line item id `{item_id}` is not an absolute URL: {e}"))?;
    let path = format!("{}/{leaf}", u.path().trim_end_matches('/'));
    u.set_path(&path);
    Ok(u)
}

/// The line items of a container body: the array itself, or (tolerated here;
/// `ags.container-array` judges the shape) the one array member of an object.
pub(crate) fn container_items(body: &Value) -> Option<Vec<Value>> {
    match body {
        Value::Array(a) => Some(a.clone()),
        Value::Object(o) => {
            let mut arrays = o.values().filter_map(Value::as_array);
            match (arrays.next(), arrays.next()) {
                (Some(a), None) => Some(a.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A result's score as a fraction of its maximum: `resultMaximum`, 1 when
/// absent (AGS 3.3.4.6); when it is present but not a positive number (judged
/// by `ags.results` alone) the line item's `item_max` is assumed.
pub(crate) fn result_fraction(result: &Value, item_max: f64) -> Option<f64> {
    let score = result.get("resultScore").and_then(Value::as_f64)?;
    let max = match result.get("resultMaximum") {
        None | Some(Value::Null) => 1.0,
        Some(m) => m.as_f64().filter(|m| *m > 0.0).unwrap_or(item_max),
    };
    (max > 0.0).then_some(score / max)
}

/// Whether two fractions are the same score (re-scaling rounds).
pub(crate) fn same_fraction(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-3 * b.abs().max(1.0)
}

/// Problems of a results list for a line item (AGS 3.3.4): every element an
/// object with `userId`, and a positive `resultMaximum` when present.
pub(crate) fn result_problems(list: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        if !r.is_object() {
            out.push(format!("results[{i}] is {}, not an object", kind_of(r)));
            continue;
        }
        if !r.get("userId").is_some_and(Value::is_string) {
            out.push(format!("results[{i}] has no `userId` string"));
        }
        match r.get("resultMaximum") {
            None | Some(Value::Null) => {}
            Some(m) if m.as_f64().is_some_and(|m| m > 0.0) => {}
            Some(m) => out.push(format!(
                "results[{i}] has resultMaximum {m}: it MUST be a positive number (0 counts as negative)"
            )),
        }
        match r.get("resultScore") {
            None | Some(Value::Null) => {}
            Some(s) if s.is_number() => {}
            Some(s) => out.push(format!("results[{i}] has a non-numeric resultScore {s}")),
        }
    }
    out
}

/// The results of `user`.
fn results_of<'a>(list: &'a [Value], user: &str) -> Vec<&'a Value> {
    list.iter()
        .filter(|r| r.get("userId").and_then(Value::as_str) == Some(user))
        .collect()
}

fn item_id(item: &Value) -> &str {
    item.get("id").and_then(Value::as_str).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Steps.
// ---------------------------------------------------------------------------

/// What an AGS launch handed the tool.
struct AgsLaunch {
    lineitems: Url,
    user_id: String,
    resource_link_id: Option<String>,
    kind: LaunchKind,
}

impl AgsLaunch {
    fn name(&self) -> &'static str {
        self.kind.profile_key()
    }
}

/// Launches `kind` and reads the AGS claim.
async fn ags_launch(
    fx: &PlatformFixture,
    cx: &CaseCx,
    kind: LaunchKind,
    v: &mut Verdict,
) -> Option<AgsLaunch> {
    let claims = launch_claims(fx, cx, kind, v).await?;
    from_claims(&claims, kind, v)
}

fn from_claims(claims: &Value, kind: LaunchKind, v: &mut Verdict) -> Option<AgsLaunch> {
    let name = kind.profile_key();
    let Some(raw) = claims
        .get(AGS_CLAIM)
        .and_then(|c| c.get("lineitems"))
        .and_then(Value::as_str)
    else {
        v.require(
            format!("setup: the {name} launch carries the AGS claim with lineitems"),
            false,
            format!("the id_token of the `{name}` launch has no `{AGS_CLAIM}` claim with a `lineitems` URL: there is no line-item container to call"),
        );
        return None;
    };
    let lineitems = match Url::parse(raw) {
        Ok(u) => u,
        Err(e) => {
            v.require(
                format!("setup: the {name} lineitems claim is a URL"),
                false,
                format!("`lineitems` `{raw}` is not an absolute URL: {e}"),
            );
            return None;
        }
    };
    let Some(user_id) = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        v.require(
            format!("setup: the {name} launch names its user"),
            false,
            format!("the `{name}` launch has no `sub`: a score needs the learner's userId"),
        );
        return None;
    };
    Some(AgsLaunch {
        lineitems,
        user_id: user_id.to_string(),
        resource_link_id: claims
            .get(RESOURCE_LINK_CLAIM)
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(String::from),
        kind,
    })
}

/// POSTs a line item. `judged`: this is the case's own step (201 exactly, the
/// media type, the echo of label and scoreMaximum); otherwise a setup step (any
/// 2xx with an `id`).
async fn create_item(
    cx: &CaseCx,
    ctx: &AgsLaunch,
    token: &str,
    body: &Value,
    judged: bool,
    v: &mut Verdict,
) -> Option<Value> {
    let request = format!("POST {} (the {} lineitems URL)", ctx.lineitems, ctx.name());
    let label = body
        .get("label")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let step = if judged {
        format!("line item `{label}` is created")
    } else {
        format!("setup: create line item `{label}`")
    };
    let resp = match post_bearer(
        cx,
        ctx.lineitems.as_str(),
        token,
        LINEITEM_MEDIA_TYPE,
        Some(LINEITEM_MEDIA_TYPE),
        body,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            transport(v, &request, &e);
            return None;
        }
    };
    let status = resp.status.as_u16();
    let ok_status = if judged {
        status == 201
    } else {
        (200..300).contains(&status)
    };
    if !ok_status {
        v.require(
            step,
            false,
            format!(
                "{request} with Content-Type {LINEITEM_MEDIA_TYPE} answered HTTP {status}{}: {}",
                if judged {
                    " (expected 201 Created)"
                } else {
                    ""
                },
                snippet(&resp.body)
            ),
        );
        return None;
    }
    let item: Value = match resp.json::<Value>() {
        Ok(i) if i.is_object() => i,
        Ok(other) => {
            v.require(
                step,
                false,
                format!(
                    "{request} answered {}, not the created line item object",
                    kind_of(&other)
                ),
            );
            return None;
        }
        Err(e) => {
            v.require(
                step,
                false,
                format!(
                    "{request}: the body is not JSON ({e}): {}",
                    snippet(&resp.body)
                ),
            );
            return None;
        }
    };
    let id = item_id(&item);
    if Url::parse(id).is_err() {
        v.require(
            step,
            false,
            format!(
                "{request} returned a line item whose `id` is {:?}, not the item's absolute URL",
                item.get("id")
            ),
        );
        return None;
    }
    v.require(step, true, "");
    if judged {
        let ct = resp.header("content-type");
        v.require(
            "the created item is served as a line item",
            media_type_is(ct, LINEITEM_MEDIA_TYPE),
            format!("{request} answered Content-Type {ct:?}; expected `{LINEITEM_MEDIA_TYPE}`"),
        );
        let sent_max = body.get("scoreMaximum").and_then(Value::as_f64);
        v.require(
            "the created item keeps label and scoreMaximum",
            item.get("label").and_then(Value::as_str) == Some(label)
                && item.get("scoreMaximum").and_then(Value::as_f64) == sent_max,
            format!(
                "sent label {label:?} and scoreMaximum {sent_max:?}; the created item has label {:?} and scoreMaximum {:?}",
                item.get("label"),
                item.get("scoreMaximum")
            ),
        );
    }
    Some(item)
}

/// POSTs a score to the item's scores URL. `judged`: the case's own step.
async fn post_score(
    cx: &CaseCx,
    item: &Value,
    token: &str,
    body: &Value,
    judged: bool,
    v: &mut Verdict,
) -> Option<Captured> {
    let url = match item_sub_url(item_id(item), "scores") {
        Ok(u) => u,
        Err(e) => {
            v.require("the scores URL can be derived", false, e);
            return None;
        }
    };
    let given = body.get("scoreGiven").cloned().unwrap_or(Value::Null);
    let max = body.get("scoreMaximum").cloned().unwrap_or(Value::Null);
    let request = format!("POST {url} (score {given}/{max})");
    let resp = match post_bearer(cx, url.as_str(), token, SCORE_MEDIA_TYPE, None, body).await {
        Ok(r) => r,
        Err(e) => {
            transport(v, &request, &e);
            return None;
        }
    };
    let status = resp.status.as_u16();
    let name = if judged {
        format!("the score {given}/{max} is accepted")
    } else {
        format!("setup: post the score {given}/{max}")
    };
    if !v.require(
        name,
        (200..300).contains(&status),
        format!(
            "{request} with Content-Type {SCORE_MEDIA_TYPE} and a score-scoped token answered HTTP {status}: {}",
            snippet(&resp.body)
        ),
    ) {
        return None;
    }
    Some(resp)
}

/// GETs the item's results (optionally for one user). `judged`: check the
/// media type too.
async fn get_results(
    cx: &CaseCx,
    item: &Value,
    token: &str,
    user: Option<&str>,
    judged: bool,
    v: &mut Verdict,
) -> Option<Vec<Value>> {
    let mut url = match item_sub_url(item_id(item), "results") {
        Ok(u) => u,
        Err(e) => {
            v.require("the results URL can be derived", false, e);
            return None;
        }
    };
    if let Some(u) = user {
        url = with_query(&url, &[("user_id", u)]);
    }
    let request = format!("GET {url} (Accept: {RESULTS_MEDIA_TYPE})");
    let name = if judged {
        "the results are served (200)"
    } else {
        "setup: read the results"
    };
    let resp = get_ok(
        cx,
        v,
        url.as_str(),
        token,
        RESULTS_MEDIA_TYPE,
        &request,
        name,
        " with a result.readonly token",
    )
    .await?;
    if judged {
        require_media_type(
            v,
            &resp,
            "the results are a result container (media type)",
            RESULTS_MEDIA_TYPE,
            &request,
        );
    }
    match resp.json::<Value>() {
        Ok(Value::Array(list)) => Some(list),
        Ok(other) => {
            v.require(
                "the results are a JSON array",
                false,
                format!(
                    "{request} answered {}, not an array of results",
                    kind_of(&other)
                ),
            );
            None
        }
        Err(e) => {
            v.require(
                "the results are JSON",
                false,
                format!("{request}: not JSON ({e}): {}", snippet(&resp.body)),
            );
            None
        }
    }
}

/// Every line item of a container URL, following `rel="next"` (bodies read
/// with [`container_items`]).
async fn walk_container(
    cx: &CaseCx,
    start: &Url,
    token: &str,
    what: &str,
    v: &mut Verdict,
) -> Option<(Vec<Value>, Vec<usize>)> {
    let mut url = start.clone();
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    let mut sizes = Vec::new();
    for n in 1..=MAX_PAGES {
        seen.insert(url.to_string());
        let request = format!("GET {url} ({what}, page {n})");
        let resp = get_ok(
            cx,
            v,
            url.as_str(),
            token,
            LINEITEMS_MEDIA_TYPE,
            &request,
            format!("{what}: the container answers 200"),
            "",
        )
        .await?;
        let page = match resp.json::<Value>().ok().as_ref().and_then(container_items) {
            Some(p) => p,
            None => {
                v.require(
                    format!("{what}: the container lists line items"),
                    false,
                    format!(
                        "{request}: the body holds no list of line items: {}",
                        snippet(&resp.body)
                    ),
                );
                return None;
            }
        };
        sizes.push(page.len());
        items.extend(page);
        let links = match links_of(&resp.headers) {
            Ok(l) => l,
            Err(e) => {
                v.require(
                    format!("{what}: the Link header is well-formed (RFC 8288)"),
                    false,
                    format!("{request}: {e}"),
                );
                return None;
            }
        };
        match rel_url(&links, "next", &resp.url) {
            None => return Some((items, sizes)),
            Some(Err(e)) => {
                v.require(format!("{what}: rel=\"next\" is a URL"), false, e);
                return None;
            }
            Some(Ok(next)) if seen.contains(next.as_str()) => {
                v.require(
                    format!("{what}: paging terminates"),
                    false,
                    format!("page {n} links rel=\"next\" back to `{next}`"),
                );
                return None;
            }
            Some(Ok(next)) => url = next,
        }
    }
    v.require(
        format!("{what}: paging terminates"),
        false,
        format!("still a rel=\"next\" link after {MAX_PAGES} pages from `{start}`"),
    );
    None
}

/// Launch + lineitem token + one fresh item (setup), for cases about what comes after.
async fn launch_and_item(
    fx: &PlatformFixture,
    cx: &CaseCx,
    kind: LaunchKind,
    what: &str,
    v: &mut Verdict,
) -> Option<(AgsLaunch, String, Value)> {
    let ctx = ags_launch(fx, cx, kind, v).await?;
    let token = setup_token(fx, cx, &[AGS_SCOPE_LINEITEM], v).await?;
    let body = lineitem_body(
        &format!("accredit {what} {}", unique()),
        ITEM_MAX,
        Some(&format!("accredit-{what}-{}", unique())),
        None,
        None,
    );
    let item = create_item(cx, &ctx, &token, &body, false, v).await?;
    Some((ctx, token, item))
}

// ---------------------------------------------------------------------------
// Official cases.
// ---------------------------------------------------------------------------

/// Create line item 1 or 3 (`second = false`) or line item 2 after item 1.
async fn create_case(fx: &PlatformFixture, cx: &CaseCx, kind: LaunchKind, second: bool) -> Verdict {
    let mut v = Verdict::new();
    let Some(ctx) = ags_launch(fx, cx, kind, &mut v).await else {
        return v;
    };
    let Some(token) = setup_token(fx, cx, &[AGS_SCOPE_LINEITEM], &mut v).await else {
        return v;
    };
    let first = if second {
        let body = lineitem_body(
            &format!("accredit item 1 {}", unique()),
            10.0,
            None,
            None,
            None,
        );
        let Some(item) = create_item(cx, &ctx, &token, &body, false, &mut v).await else {
            return v;
        };
        Some(item)
    } else {
        None
    };
    let n = match (kind, second) {
        (LaunchKind::AgsContext2, _) => 3,
        (_, true) => 2,
        _ => 1,
    };
    let body = lineitem_body(
        &format!("accredit item {n} {}", unique()),
        if n == 2 { 20.0 } else { 10.0 },
        None,
        None,
        None,
    );
    let Some(item) = create_item(cx, &ctx, &token, &body, true, &mut v).await else {
        return v;
    };
    if let Some(first) = first {
        v.require(
            "line item 2 has its own id",
            item_id(&item) != item_id(&first),
            format!(
                "line item 2 was given the id of line item 1 (`{}`)",
                item_id(&first)
            ),
        );
    }
    v
}

async fn get_lineitem(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((_, token, item)) =
        launch_and_item(fx, cx, LaunchKind::AgsContext1, "get", &mut v).await
    else {
        return v;
    };
    let id = item_id(&item);
    let request = format!("GET {id} (Accept: {LINEITEM_MEDIA_TYPE})");
    let Some(resp) = get_ok(
        cx,
        &mut v,
        id,
        &token,
        LINEITEM_MEDIA_TYPE,
        &request,
        "the line item is served (200)",
        " with the lineitem token",
    )
    .await
    else {
        return v;
    };
    require_media_type(
        &mut v,
        &resp,
        "Content-Type is the line item media type",
        LINEITEM_MEDIA_TYPE,
        &request,
    );
    match resp.json::<Value>() {
        Ok(got) => {
            v.require(
                "it is the line item just created",
                item_id(&got) == id
                    && got.get("label") == item.get("label")
                    && got.get("scoreMaximum").and_then(Value::as_f64)
                        == item.get("scoreMaximum").and_then(Value::as_f64),
                format!(
                    "{request} returned id {:?}, label {:?}, scoreMaximum {:?}; created: id `{id}`, label {:?}, scoreMaximum {:?}",
                    got.get("id"),
                    got.get("label"),
                    got.get("scoreMaximum"),
                    item.get("label"),
                    item.get("scoreMaximum")
                ),
            );
        }
        Err(e) => {
            v.require(
                "the line item is JSON",
                false,
                format!("{request}: not JSON ({e}): {}", snippet(&resp.body)),
            );
        }
    }
    v
}

async fn score_case(fx: &PlatformFixture, cx: &CaseCx, kind: LaunchKind) -> Verdict {
    let mut v = Verdict::new();
    let Some((ctx, _, item)) = launch_and_item(fx, cx, kind, "score", &mut v).await else {
        return v;
    };
    let Some(token) = setup_token(fx, cx, &[AGS_SCOPE_SCORE], &mut v).await else {
        return v;
    };
    let body = score_body(&ctx.user_id, 7.0, 10.0, &score_timestamp(0));
    post_score(cx, &item, &token, &body, true, &mut v).await;
    v
}

/// Results of an item in context 2 (`own_is_1 = false`) or context 1; for
/// context 1 a different score sits in a context-2 item too, and neither
/// container may list the other context's item.
async fn results_case(fx: &PlatformFixture, cx: &CaseCx, own_is_1: bool) -> Verdict {
    let mut v = Verdict::new();
    let own_kind = if own_is_1 {
        LaunchKind::AgsContext1
    } else {
        LaunchKind::AgsContext2
    };
    let Some((own, li_token, own_item)) =
        launch_and_item(fx, cx, own_kind, "results", &mut v).await
    else {
        return v;
    };
    let other = if own_is_1 {
        let Some((ctx2, li2, item2)) =
            launch_and_item(fx, cx, LaunchKind::AgsContext2, "other-context", &mut v).await
        else {
            return v;
        };
        Some((ctx2, li2, item2))
    } else {
        None
    };
    let Some(score_token) = setup_token(fx, cx, &[AGS_SCOPE_SCORE], &mut v).await else {
        return v;
    };
    if let Some((ctx2, _, item2)) = &other {
        let body = score_body(&ctx2.user_id, 4.0, 10.0, &score_timestamp(0));
        if post_score(cx, item2, &score_token, &body, false, &mut v)
            .await
            .is_none()
        {
            return v;
        }
    }
    let body = score_body(&own.user_id, 7.0, 10.0, &score_timestamp(0));
    if post_score(cx, &own_item, &score_token, &body, false, &mut v)
        .await
        .is_none()
    {
        return v;
    }
    let Some(results_token) = setup_token(fx, cx, &[AGS_SCOPE_RESULT_READONLY], &mut v).await
    else {
        return v;
    };
    let Some(list) = get_results(cx, &own_item, &results_token, None, true, &mut v).await else {
        return v;
    };
    let mine = results_of(&list, &own.user_id);
    let fractions: Vec<Option<f64>> = mine.iter().map(|r| result_fraction(r, ITEM_MAX)).collect();
    v.require(
        "the posted result is there",
        mine.len() == 1 && fractions.first().copied().flatten().is_some_and(|f| same_fraction(f, 0.7)),
        format!(
            "the results of line item `{}` for user `{}` are {:?}; expected exactly one result worth 7/10 (resultScore/resultMaximum = 0.7) after posting 7/10",
            item_id(&own_item),
            own.user_id,
            mine
        ),
    );
    if let Some((ctx2, li2, item2)) = &other {
        v.require(
            "the other context's score did not leak",
            !list
                .iter()
                .filter_map(|r| result_fraction(r, ITEM_MAX))
                .any(|f| same_fraction(f, 0.4)),
            format!(
                "the results of line item `{}` (context 1) hold {list:?}; the 4/10 posted to `{}` in context 2 must not appear",
                item_id(&own_item),
                item_id(item2)
            ),
        );
        let Some((items1, _)) = walk_container(
            cx,
            &with_query(&own.lineitems, &[("limit", "100")]),
            &li_token,
            "context 1 line items",
            &mut v,
        )
        .await
        else {
            return v;
        };
        let Some((items2, _)) = walk_container(
            cx,
            &with_query(&ctx2.lineitems, &[("limit", "100")]),
            li2,
            "context 2 line items",
            &mut v,
        )
        .await
        else {
            return v;
        };
        let ids1: BTreeSet<&str> = items1.iter().map(item_id).collect();
        let ids2: BTreeSet<&str> = items2.iter().map(item_id).collect();
        v.require(
            "the contexts keep their own line items",
            ids1.contains(item_id(&own_item))
                && ids2.contains(item_id(item2))
                && !ids1.contains(item_id(item2))
                && !ids2.contains(item_id(&own_item)),
            format!(
                "context 1 ({}) lists {} of its item and {} the context-2 item `{}`; context 2 ({}) lists {} of its item and {} the context-1 item `{}`: AGS must tell contexts apart",
                own.lineitems,
                if ids1.contains(item_id(&own_item)) { "1" } else { "none" },
                if ids1.contains(item_id(item2)) { "ALSO" } else { "not" },
                item_id(item2),
                ctx2.lineitems,
                if ids2.contains(item_id(item2)) { "1" } else { "none" },
                if ids2.contains(item_id(&own_item)) { "ALSO" } else { "not" },
                item_id(&own_item),
            ),
        );
    }
    v
}

async fn gradebook(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let mut posted = Vec::new();
    for (kind, given) in [
        (LaunchKind::AgsContext1, 8.0),
        (LaunchKind::AgsContext2, 5.0),
    ] {
        let Some((ctx, _, item)) = launch_and_item(fx, cx, kind, "gradebook", &mut v).await else {
            return v;
        };
        let Some(token) = setup_token(fx, cx, &[AGS_SCOPE_SCORE], &mut v).await else {
            return v;
        };
        let body = score_body(&ctx.user_id, given, 10.0, &score_timestamp(0));
        if post_score(cx, &item, &token, &body, false, &mut v)
            .await
            .is_none()
        {
            return v;
        }
        posted.push(format!(
            "`{}` ({}) in the {} context: {given}/10 for user `{}`",
            item.get("label")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            item_id(&item),
            ctx.name(),
            ctx.user_id
        ));
    }
    v.outcome = Some(Outcome::Review);
    v.message = format!(
        "Confirm in the platform's gradebook that these line items exist with these scores: {}",
        posted.join("; ")
    );
    v
}

// ---------------------------------------------------------------------------
// Harness extensions.
// ---------------------------------------------------------------------------

async fn container_array(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((ctx, token, item)) =
        launch_and_item(fx, cx, LaunchKind::AgsContext1, "container", &mut v).await
    else {
        return v;
    };
    let request = format!("GET {} (Accept: {LINEITEMS_MEDIA_TYPE})", ctx.lineitems);
    let Some(resp) = get_ok(
        cx,
        &mut v,
        ctx.lineitems.as_str(),
        &token,
        LINEITEMS_MEDIA_TYPE,
        &request,
        "the container answers 200",
        "",
    )
    .await
    else {
        return v;
    };
    require_media_type(
        &mut v,
        &resp,
        "Content-Type is the line item container media type",
        LINEITEMS_MEDIA_TYPE,
        &request,
    );
    match resp.json::<Value>() {
        Ok(Value::Array(_)) => {
            v.require("the body is a JSON array", true, "");
        }
        Ok(other) => {
            v.require(
                "the body is a JSON array",
                false,
                format!(
                    "{request} answered {} ({}): the container MUST be an array of line items",
                    kind_of(&other),
                    snippet(&resp.body)
                ),
            );
            return v;
        }
        Err(e) => {
            v.require(
                "the body is a JSON array",
                false,
                format!("{request}: not JSON ({e}): {}", snippet(&resp.body)),
            );
            return v;
        }
    }
    if let Err(e) = links_of(&resp.headers) {
        v.require(
            "the Link header is well-formed (RFC 8288)",
            false,
            format!("{request}: {e}"),
        );
        return v;
    }
    let Some((all, _)) = walk_container(cx, &ctx.lineitems, &token, "all line items", &mut v).await
    else {
        return v;
    };
    v.require(
        "the container lists the new line item",
        all.iter().any(|i| item_id(i) == item_id(&item)),
        format!("walking {} (following rel=\"next\") returned {} item(s) but not the one just created (`{}`)", ctx.lineitems, all.len(), item_id(&item)),
    );
    v
}

async fn filters(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some(ctx) = ags_launch(fx, cx, LaunchKind::AgsContext1, &mut v).await else {
        return v;
    };
    let Some(token) = setup_token(fx, cx, &[AGS_SCOPE_LINEITEM], &mut v).await else {
        return v;
    };
    let u = unique();
    let (ra, ta, rb, tb) = (
        format!("accredit-filter-a-{u}"),
        format!("accredit-tag-a-{u}"),
        format!("accredit-filter-b-{u}"),
        format!("accredit-tag-b-{u}"),
    );
    let rl = ctx.resource_link_id.clone();
    let a_body = lineitem_body(
        &format!("accredit filter A {u}"),
        10.0,
        Some(&ra),
        Some(&ta),
        rl.as_deref(),
    );
    let b_body = lineitem_body(
        &format!("accredit filter B {u}"),
        10.0,
        Some(&rb),
        Some(&tb),
        None,
    );
    let Some(a) = create_item(cx, &ctx, &token, &a_body, false, &mut v).await else {
        return v;
    };
    let Some(b) = create_item(cx, &ctx, &token, &b_body, false, &mut v).await else {
        return v;
    };
    let (a_id, b_id) = (item_id(&a).to_string(), item_id(&b).to_string());
    // resourceId/tag that the platform dropped are `resource-id-tag`'s finding:
    // filtering on them cannot be judged here.
    let kept = |field: &str, want: &str| a.get(field).and_then(Value::as_str) == Some(want);
    let mut filters: Vec<(&str, String, &str)> = Vec::new();
    if kept("resourceId", &ra) {
        filters.push(("resource_id", ra.clone(), "resourceId"));
    } else {
        cx.log("the created item lost its resourceId: resource_id filter not judged (see ags.resource-id-tag)");
    }
    if kept("tag", &ta) {
        filters.push(("tag", ta.clone(), "tag"));
    } else {
        cx.log("the created item lost its tag: tag filter not judged (see ags.resource-id-tag)");
    }
    match &rl {
        Some(rl) => filters.push(("resource_link_id", rl.clone(), "resourceLinkId")),
        None => cx.log("the launch has no resource_link.id: resource_link_id filter not judged"),
    }
    for (param, value, field) in &filters {
        let url = with_query(&ctx.lineitems, &[(*param, value.as_str())]);
        let what = format!("{param}={value}");
        let Some((items, _)) = walk_container(cx, &url, &token, &what, &mut v).await else {
            return v;
        };
        let ids: Vec<&str> = items.iter().map(item_id).collect();
        let off: Vec<&str> = items
            .iter()
            .filter(|i| i.get(*field).and_then(Value::as_str) != Some(value.as_str()))
            .map(item_id)
            .collect();
        v.require(
            format!("the {param} filter is applied"),
            ids.contains(&a_id.as_str()) && !ids.contains(&b_id.as_str()) && off.is_empty(),
            format!(
                "GET {url} returned {} item(s): item A (`{a_id}`, {field} {value:?}) {}, item B (`{b_id}`, another {field}) {}, items whose {field} differs: {off:?}",
                items.len(),
                if ids.contains(&a_id.as_str()) { "listed" } else { "MISSING" },
                if ids.contains(&b_id.as_str()) { "LISTED" } else { "not listed" },
            ),
        );
    }
    let nothing = format!("accredit-no-such-resource-{}", unique());
    let url = with_query(&ctx.lineitems, &[("resource_id", nothing.as_str())]);
    let request = format!("GET {url}");
    match get_bearer(cx, url.as_str(), &token, LINEITEMS_MEDIA_TYPE).await {
        Ok(resp) => {
            let body = resp.json::<Value>().ok();
            let items = body.as_ref().and_then(container_items);
            v.require(
                "no match is an empty array",
                resp.status.as_u16() == 200 && items.as_ref().is_some_and(Vec::is_empty),
                format!("{request} (no line item has that resourceId) answered HTTP {} with {}; expected 200 and []", resp.status.as_u16(), snippet(&resp.body)),
            );
        }
        Err(e) => transport(&mut v, &request, &e),
    }
    let url = with_query(&ctx.lineitems, &[("limit", "1")]);
    let request = format!("GET {url}");
    match get_bearer(cx, url.as_str(), &token, LINEITEMS_MEDIA_TYPE).await {
        Ok(resp) => {
            let n = resp
                .json::<Value>()
                .ok()
                .as_ref()
                .and_then(container_items)
                .map(|i| i.len());
            let next = links_of(&resp.headers)
                .ok()
                .is_some_and(|l| rel_url(&l, "next", &resp.url).is_some_and(|r| r.is_ok()));
            v.require(
                "limit=1 returns one item and links rel=\"next\"",
                resp.status.as_u16() == 200 && n.is_some_and(|n| n <= 1) && next,
                format!(
                    "{request} (the context has at least 2 line items) answered HTTP {} with {} item(s) and {} Link rel=\"next\": limit must restrict the page and the rest MUST be reachable through rel=\"next\"",
                    resp.status.as_u16(),
                    n.map_or("no list of".to_string(), |n| n.to_string()),
                    if next { "a" } else { "no" }
                ),
            );
        }
        Err(e) => transport(&mut v, &request, &e),
    }
    v
}

async fn lineitem_validation(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some(ctx) = ags_launch(fx, cx, LaunchKind::AgsContext1, &mut v).await else {
        return v;
    };
    let Some(token) = setup_token(fx, cx, &[AGS_SCOPE_LINEITEM], &mut v).await else {
        return v;
    };
    let u = unique();
    let bad = [
        (
            "a line item without label",
            json!({"scoreMaximum": 10, "resourceId": format!("accredit-nolabel-{u}")}),
        ),
        (
            "a line item with a blank label",
            json!({"label": "   ", "scoreMaximum": 10}),
        ),
        (
            "a line item with scoreMaximum 0",
            json!({"label": format!("accredit zero max {u}"), "scoreMaximum": 0}),
        ),
        (
            "a line item with scoreMaximum -5",
            json!({"label": format!("accredit negative max {u}"), "scoreMaximum": -5}),
        ),
    ];
    for (what, body) in bad {
        let request = format!("POST {} with {what}", ctx.lineitems);
        match post_bearer(
            cx,
            ctx.lineitems.as_str(),
            &token,
            LINEITEM_MEDIA_TYPE,
            Some(LINEITEM_MEDIA_TYPE),
            &body,
        )
        .await
        {
            Ok(resp) => {
                let status = resp.status.as_u16();
                let name = format!("{what} is refused with 400");
                match status {
                    400 => {
                        v.require(name, true, "");
                    }
                    200..=299 => {
                        v.require(name, false, format!("{request} answered HTTP {status}: the platform created an invalid line item ({})", snippet(&resp.body)));
                    }
                    _ => {
                        v.check(name, Outcome::Warn, format!("{request} was refused with HTTP {status} rather than 400 Bad Request: {}", snippet(&resp.body)));
                    }
                }
            }
            Err(e) => transport(&mut v, &request, &e),
        }
    }
    v
}

async fn resource_id_tag(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some(ctx) = ags_launch(fx, cx, LaunchKind::AgsContext1, &mut v).await else {
        return v;
    };
    let Some(token) = setup_token(fx, cx, &[AGS_SCOPE_LINEITEM], &mut v).await else {
        return v;
    };
    let u = unique();
    // Mixed case, punctuation and spaces: a platform that normalises shows it.
    let resource_id = format!("Accredit/Quiz:{u}.v2 Final");
    let tag = format!("Grade Book-Tag_{u}");
    let body = lineitem_body(
        &format!("accredit tags {u}"),
        10.0,
        Some(&resource_id),
        Some(&tag),
        None,
    );
    let Some(item) = create_item(cx, &ctx, &token, &body, false, &mut v).await else {
        return v;
    };
    let same = |i: &Value| {
        i.get("resourceId").and_then(Value::as_str) == Some(resource_id.as_str())
            && i.get("tag").and_then(Value::as_str) == Some(tag.as_str())
    };
    v.require(
        "the created item keeps resourceId and tag",
        same(&item),
        format!(
            "POST {} sent resourceId {resource_id:?} and tag {tag:?}; the created item has resourceId {:?} and tag {:?}",
            ctx.lineitems,
            item.get("resourceId"),
            item.get("tag")
        ),
    );
    let id = item_id(&item);
    match get_bearer(cx, id, &token, LINEITEM_MEDIA_TYPE).await {
        Ok(resp) => {
            let got = resp.json::<Value>().unwrap_or(Value::Null);
            v.require(
                "the stored item keeps resourceId and tag",
                resp.status.as_u16() == 200 && same(&got),
                format!(
                    "GET {id} answered HTTP {} with resourceId {:?} and tag {:?}; sent {resource_id:?} and {tag:?}",
                    resp.status.as_u16(),
                    got.get("resourceId"),
                    got.get("tag")
                ),
            );
        }
        Err(e) => transport(&mut v, &format!("GET {id}"), &e),
    }
    v
}

/// Posts scores in order and returns the user's result fraction afterwards.
async fn scores_then_result(
    fx: &PlatformFixture,
    cx: &CaseCx,
    what: &str,
    scores: &[(f64, f64, i64)],
    judged_index: Option<usize>,
    v: &mut Verdict,
) -> Option<(String, Vec<Value>, Value)> {
    let (ctx, _, item) = launch_and_item(fx, cx, LaunchKind::AgsContext1, what, v).await?;
    let token = setup_token(fx, cx, &[AGS_SCOPE_SCORE], v).await?;
    for (i, (given, max, offset)) in scores.iter().enumerate() {
        let body = score_body(&ctx.user_id, *given, *max, &score_timestamp(*offset));
        if Some(i) == judged_index {
            post_score(cx, &item, &token, &body, true, v).await?;
        } else if i == 0 {
            post_score(cx, &item, &token, &body, false, v).await?;
        } else {
            // A later, out-of-order score may be refused or accepted-and-ignored.
            let url = match item_sub_url(item_id(&item), "scores") {
                Ok(u) => u,
                Err(e) => {
                    v.require("the scores URL can be derived", false, e);
                    return None;
                }
            };
            let request = format!("POST {url} (score {given}/{max}, older timestamp)");
            match post_bearer(cx, url.as_str(), &token, SCORE_MEDIA_TYPE, None, &body).await {
                Ok(r) => cx.log(format!("{request} answered HTTP {}", r.status.as_u16())),
                Err(e) => {
                    transport(v, &request, &e);
                    return None;
                }
            }
        }
    }
    let results_token = setup_token(fx, cx, &[AGS_SCOPE_RESULT_READONLY], v).await?;
    let list = get_results(cx, &item, &results_token, None, false, v).await?;
    Some((ctx.user_id, list, item))
}

async fn score_ordering(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((user, list, item)) = scores_then_result(
        fx,
        cx,
        "ordering",
        &[(8.0, 10.0, 0), (3.0, 10.0, -60_000)],
        None,
        &mut v,
    )
    .await
    else {
        return v;
    };
    let mine = results_of(&list, &user);
    let f = mine.first().and_then(|r| result_fraction(r, ITEM_MAX));
    v.require(
        "the older score is ignored",
        mine.len() == 1 && f.is_some_and(|f| same_fraction(f, 0.8)),
        format!(
            "posted 8/10 (timestamp now) then 3/10 (timestamp one minute earlier) to `{}`; the result for `{user}` is {mine:?} (fraction {f:?}); expected 0.8: an out-of-order update must not overwrite a newer score",
            item_id(&item)
        ),
    );
    v
}

async fn score_above_maximum(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((user, list, item)) =
        scores_then_result(fx, cx, "above-max", &[(11.0, 10.0, 0)], Some(0), &mut v).await
    else {
        return v;
    };
    let mine = results_of(&list, &user);
    let f = mine.first().and_then(|r| result_fraction(r, ITEM_MAX));
    v.require(
        "the score above maximum is kept",
        f.is_some_and(|f| same_fraction(f, 1.1)),
        format!(
            "posted 11/10 to `{}`; the result for `{user}` is {mine:?} (fraction {f:?}); expected 1.1 (AGS 3.4.4: the platform MUST support scoreGiven higher than scoreMaximum, not clamp it)",
            item_id(&item)
        ),
    );
    v
}

async fn results_filter(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((ctx, _, item)) =
        launch_and_item(fx, cx, LaunchKind::AgsContext1, "results-filter", &mut v).await
    else {
        return v;
    };
    let Some(score_token) = setup_token(fx, cx, &[AGS_SCOPE_SCORE], &mut v).await else {
        return v;
    };
    let body = score_body(&ctx.user_id, 6.0, 10.0, &score_timestamp(0));
    if post_score(cx, &item, &score_token, &body, false, &mut v)
        .await
        .is_none()
    {
        return v;
    }
    let Some(token) = setup_token(fx, cx, &[AGS_SCOPE_RESULT_READONLY], &mut v).await else {
        return v;
    };
    let Some(list) = get_results(cx, &item, &token, Some(&ctx.user_id), false, &mut v).await else {
        return v;
    };
    v.require(
        "user_id filters to at most one result",
        list.len() <= 1,
        format!(
            "GET results of `{}` with user_id={} returned {} results: MUST contain at most 1",
            item_id(&item),
            ctx.user_id,
            list.len()
        ),
    );
    let others: Vec<&Value> = list
        .iter()
        .filter(|r| r.get("userId").and_then(Value::as_str) != Some(ctx.user_id.as_str()))
        .collect();
    v.require(
        "user_id returns only that user's result",
        others.is_empty(),
        format!(
            "GET results with user_id={} returned results of other users: {others:?}",
            ctx.user_id
        ),
    );
    let problems = result_problems(&list);
    v.require(
        "every result is well-formed (resultMaximum > 0)",
        problems.is_empty(),
        format!(
            "GET results of `{}`: {}",
            item_id(&item),
            problems.join("; ")
        ),
    );
    let f = list.first().and_then(|r| result_fraction(r, ITEM_MAX));
    v.require(
        "the result is the posted score",
        f.is_some_and(|f| same_fraction(f, 0.6)),
        format!(
            "posted 6/10 for `{}`; the result is {:?} (fraction {f:?})",
            ctx.user_id,
            list.first()
        ),
    );
    v
}

/// HX-SVC-P-01: a result.readonly token neither creates a line item nor posts a score.
pub(super) async fn scope_enforcement(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let mut v = Verdict::new();
    let Some((ctx, _, item)) =
        launch_and_item(fx, cx, LaunchKind::AgsContext1, "scopes", &mut v).await
    else {
        return v;
    };
    let Some(readonly) = setup_token(fx, cx, &[AGS_SCOPE_RESULT_READONLY], &mut v).await else {
        return v;
    };
    let item_body = lineitem_body(
        &format!("accredit forbidden {}", unique()),
        10.0,
        None,
        None,
        None,
    );
    let score = score_body(&ctx.user_id, 9.0, 10.0, &score_timestamp(0));
    let scores_url = match item_sub_url(item_id(&item), "scores") {
        Ok(u) => u,
        Err(e) => {
            v.require("the scores URL can be derived", false, e);
            return v;
        }
    };
    let attempts = [
        (
            format!("POST {} (create a line item)", ctx.lineitems),
            ctx.lineitems.clone(),
            LINEITEM_MEDIA_TYPE,
            item_body,
        ),
        (
            format!("POST {scores_url} (post a score)"),
            scores_url.clone(),
            SCORE_MEDIA_TYPE,
            score,
        ),
    ];
    for (request, url, media, body) in attempts {
        let name = format!("{request} with a result.readonly token is refused");
        match post_bearer(cx, url.as_str(), &readonly, media, None, &body).await {
            Ok(resp) => match resp.status.as_u16() {
                401 | 403 => {
                    v.require(name, true, "");
                }
                s @ 200..=299 => {
                    v.require(name, false, format!("{request} with a token granted only result.readonly answered HTTP {s}: the endpoint does not enforce its scope"));
                }
                s => {
                    v.check(name, Outcome::Warn, format!("{request} answered HTTP {s}; a token lacking the scope is 403 insufficient_scope (or 401): {}", snippet(&resp.body)));
                }
            },
            Err(e) => transport(&mut v, &request, &e),
        }
    }
    v
}

/// The AGS half of `svc.bad-bearer`: the container with a token never issued.
pub(super) async fn bad_bearer(fx: &PlatformFixture, cx: &CaseCx, garbage: &str, v: &mut Verdict) {
    let claims = match fx.launch(cx, LaunchKind::AgsContext1).await {
        Ok(l) => l.claims,
        Err(e) => {
            cx.log(format!(
                "AGS part not run: the ags_context_1 launch did not complete ({})",
                e.message()
            ));
            return;
        }
    };
    let mut scratch = Verdict::new();
    let Some(ctx) = from_claims(&claims, LaunchKind::AgsContext1, &mut scratch) else {
        absorb(v, "AGS launch claim", scratch);
        return;
    };
    let request = format!("GET {}", ctx.lineitems);
    match get_bearer(cx, ctx.lineitems.as_str(), garbage, LINEITEMS_MEDIA_TYPE).await {
        Ok(r) => judge_bad_bearer(v, &request, r.status.as_u16(), &r.body),
        Err(e) => transport(v, &request, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn score_timestamps_have_milliseconds_and_a_zone() {
        let ts = score_timestamp(-1500);
        let parsed = accredit_mock_platform::parse_score_timestamp(&ts);
        assert!(parsed.is_ok(), "{ts}: {parsed:?}");
        assert!(ts.ends_with('Z') && ts.contains('.'), "{ts}");
        let older = score_timestamp(-60_000);
        assert!(older < ts, "{older} !< {ts}");
    }

    #[test]
    fn score_bodies_are_valid_final_scores() {
        let b = score_body("u1", 11.0, 10.0, "2026-01-01T00:00:00.000Z");
        assert_eq!(b["userId"], "u1");
        assert_eq!(b["scoreGiven"], 11.0);
        assert_eq!(b["scoreMaximum"], 10.0);
        assert_eq!(b["activityProgress"], "Completed");
        assert_eq!(b["gradingProgress"], "FullyGraded");
    }

    #[test]
    fn lineitem_bodies_carry_only_what_is_given() {
        let b = lineitem_body("L", 10.0, Some("r"), None, Some("rl"));
        assert_eq!(
            b,
            json!({"label": "L", "scoreMaximum": 10.0, "resourceId": "r", "resourceLinkId": "rl"})
        );
    }

    #[rstest]
    #[case::query_kept(
        "https://lms/ctx/1/lineitems/7?x=1",
        "scores",
        "https://lms/ctx/1/lineitems/7/scores?x=1"
    )]
    #[case::trailing_slash("https://lms/li/7/", "results", "https://lms/li/7/results")]
    #[case::plain("https://lms/li/7", "results", "https://lms/li/7/results")]
    fn sub_urls(#[case] id: &str, #[case] leaf: &str, #[case] expected: &str) {
        assert_eq!(
            item_sub_url(id, leaf).map(|u| u.to_string()),
            Ok(expected.to_string())
        );
    }

    #[test]
    fn a_relative_item_id_is_an_error() {
        assert!(item_sub_url("/li/7", "scores").is_err());
    }

    #[rstest]
    #[case::array(json!([{"id": "a"}]), Some(1))]
    #[case::empty(json!([]), Some(0))]
    #[case::wrapped(json!({"lineItems": [{"id": "a"}, {"id": "b"}]}), Some(2))]
    #[case::ambiguous(json!({"a": [], "b": []}), None)]
    #[case::string(json!("x"), None)]
    fn container_items_are_read(#[case] body: Value, #[case] n: Option<usize>) {
        assert_eq!(container_items(&body).map(|i| i.len()), n);
    }

    #[rstest]
    #[case::rescaled(json!({"resultScore": 14.0, "resultMaximum": 20.0}), Some(0.7))]
    #[case::default_max(json!({"resultScore": 0.7}), Some(0.7))]
    #[case::above(json!({"resultScore": 11, "resultMaximum": 10}), Some(1.1))]
    #[case::zero_max_uses_the_item(json!({"resultScore": 14, "resultMaximum": 0}), Some(0.7))]
    #[case::default_max_is_one(json!({"resultScore": 7}), Some(7.0))]
    #[case::no_score(json!({"resultMaximum": 10}), None)]
    fn fractions(#[case] r: Value, #[case] expected: Option<f64>) {
        match (result_fraction(&r, 20.0), expected) {
            (Some(a), Some(b)) => assert!(same_fraction(a, b), "{a} vs {b}"),
            (a, b) => assert_eq!(a, b),
        }
    }

    #[test]
    fn fractions_tell_scores_apart() {
        assert!(same_fraction(0.70000001, 0.7));
        assert!(!same_fraction(0.4, 0.7));
        assert!(!same_fraction(1.0, 1.1));
    }

    #[rstest]
    #[case::good(json!([{"userId": "u", "resultScore": 1, "resultMaximum": 2}]), 0)]
    #[case::default_max(json!([{"userId": "u", "resultScore": 0.5}]), 0)]
    #[case::zero_max(json!([{"userId": "u", "resultScore": 0, "resultMaximum": 0}]), 1)]
    #[case::negative_max(json!([{"userId": "u", "resultMaximum": -1}]), 1)]
    #[case::no_user(json!([{"resultScore": 1}]), 1)]
    #[case::string_score(json!([{"userId": "u", "resultScore": "1"}]), 1)]
    #[case::not_object(json!([3]), 1)]
    fn results_are_checked(#[case] list: Value, #[case] problems: usize) {
        let list = list.as_array().cloned().unwrap_or_default();
        assert_eq!(
            result_problems(&list).len(),
            problems,
            "{:?}",
            result_problems(&list)
        );
    }

    #[test]
    fn ags_claims_are_read_and_missing_ones_fail() {
        let mut v = Verdict::new();
        let claims = json!({
            "sub": "u1",
            AGS_CLAIM: {"lineitems": "https://lms/ctx/1/lineitems", "scope": []},
            RESOURCE_LINK_CLAIM: {"id": "rl-1"},
        });
        let l = from_claims(&claims, LaunchKind::AgsContext1, &mut v);
        assert!(l.as_ref().is_some_and(|l| l.user_id == "u1" && l.resource_link_id.as_deref() == Some("rl-1")));
        assert!(from_claims(&json!({"sub": "u"}), LaunchKind::AgsContext1, &mut v).is_none());
        assert_eq!(v.outcome(), Outcome::Fail);
    }
}
