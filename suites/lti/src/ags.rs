//! The lti-tool AGS cases: Assignment and Grade Services 2.0, the tool side.
//!
//! Why these cases: CERT §6.4 prescribes one learner launch carrying the AGS
//! endpoint claim and then leaves the service calls to the tool ("it is the
//! responsibility of the Tool alone to work with the AGS API to create lineitems
//! and scores"), judged on the certification suite's gradebook. So the official
//! cases are that launch and the gradebook outcome (a token, a line item, a
//! score); everything the certification does not spell out (the score body, the
//! scores URL derivation, media types, token scopes, the results read, a new
//! token after a 401) comes from the AGS 2.0 and Security Framework MUSTs as
//! harness extensions (HX-AGS-T-01..03, HX-TOK-T-01/02 of lti-catalog.md §3,
//! `official = false`).
//!
//! How: every case launches a learner with the claim `{scope: [lineitem,
//! result.readonly, score], lineitems}` whose container URL carries the case's
//! `login_hint`, so the mock platform files every AGS request under the case
//! ([`accredit_mock_platform::AgsRequestSeen`]); every line item `id` it returns
//! carries a query string. The tool's token requests carry no per-launch key,
//! so every case that judges the tool's calls is `exclusive`. Waiting is bounded
//! ([`AGS_SETTLE`]); a case whose calls never came fails, it never passes.

use std::time::Duration;

use futures::FutureExt;
use serde_json::{Value, json};

use accredit_core::{Case, CaseCx, CaseMeta, Level, Outcome, Verdict};
use accredit_mock_platform::{
    ACTIVITY_PROGRESS, AGS_SCOPE_LINEITEM, AGS_SCOPE_RESULT_READONLY, AGS_SCOPE_SCORE, AgsEndpoint,
    AgsRequestSeen, GRADING_PROGRESS, LINEITEM_MEDIA_TYPE, LINEITEM_QUERY, LINEITEMS_MEDIA_TYPE,
    LaunchPlan, RESULTS_MEDIA_TYPE, SCORE_MEDIA_TYPE, TokenRequestSeen, parse_score_timestamp,
};

use crate::flow::{
    Attempt, Fixture, LaunchRun, LoginMethod, require_accepted, run_launch, run_user_launch,
    snippet,
};
use crate::payloads::{AGS_CLAIM, LTI, Persona, resource_link_launch, set};
use crate::ua::UserAgent;

const ROLE: &str = "tool";
const CERT: &str = "LTI Advantage Conformance Certification Guide 1.3";
const CERT_SECTION: &str = "6.4 Assignment and Grade Services Testing";
const CERT_URL: &str =
    "https://www.imsglobal.org/spec/lti/v1p3/cert/#assignment-and-grade-services-testing";
const AGS: &str = "LTI Assignment and Grade Services 2.0";
/// How long a tool may take, after the launch, to finish its AGS calls.
pub const AGS_SETTLE: Duration = Duration::from_secs(5);
/// The scopes the harness offers in the claim (AGS 3.1.1.2).
pub const CLAIM_SCOPES: [&str; 3] = [
    AGS_SCOPE_LINEITEM,
    AGS_SCOPE_RESULT_READONLY,
    AGS_SCOPE_SCORE,
];

/// T-AGS-01 (CERT §6.4): a learner launch carrying the AGS claim is accepted.
pub const AGS_LAUNCH: CaseMeta = CaseMeta {
    id: "lti.tool.ags.launch",
    title: "AGS: a learner launch carrying the AGS endpoint claim is accepted",
    role: ROLE,
    spec_document: CERT,
    spec_section: CERT_SECTION,
    spec_url: CERT_URL,
    requirement: "Launch LTI 1.3 Message as Student - will have AGS claim for the necessary lineitems URL. AGS 3.1: the claim https://purl.imsglobal.org/spec/lti-ags/claim/endpoint MUST be included in LTI messages if any of the Assignment and Grade Services are accessible by the tool.",
    level: Level::Must,
    official: true,
    tags: &["ags"],
    exclusive: false,
};

/// T-AGS-02 (CERT §6.4): the tool gets a token, creates a line item, posts a score.
pub const AGS_GRADEBOOK: CaseMeta = CaseMeta {
    id: "lti.tool.ags.gradebook",
    title: "AGS: the tool gets a token, creates its line item and posts the learner's score",
    role: ROLE,
    spec_document: CERT,
    spec_section: CERT_SECTION,
    spec_url: CERT_URL,
    requirement: "The Tool is required to acquire the OAuth2 tokens from the IMS Global testing OAuth2 server necessary to interact with the AGS system. After that launch it is the responsibility of the Tool alone to work with the AGS API to create lineitems and scores in the Certification Suite.",
    level: Level::Must,
    official: true,
    tags: &["ags", "services"],
    exclusive: true,
};

/// HX-TOK-T-01 for AGS: the token request asks for AGS scopes of the claim only.
pub const AGS_TOKEN_SCOPES: CaseMeta = CaseMeta {
    id: "lti.tool.ags.token-scopes",
    title: "AGS: the token request asks only for scopes the AGS claim offers",
    role: ROLE,
    spec_document: AGS,
    spec_section: "3.1 Assignment and Grade Service claim",
    spec_url: "https://www.imsglobal.org/spec/lti-ags/v2p0#assignment-and-grade-service-claim",
    requirement: "scope: An array of scopes the tool may ask an access token for. SEC 4.1: the tool requests an access token for the scopes it needs (least privilege); a scope the launch did not offer for this service is not the tool's to ask for here.",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "security", "extension"],
    exclusive: true,
};

/// AGS 3.2.5/3.2.7/3.2.8: the line item the tool creates.
pub const AGS_LINEITEM: CaseMeta = CaseMeta {
    id: "lti.tool.ags.lineitem",
    title: "AGS: the line item is created with a valid body and media type",
    role: ROLE,
    spec_document: AGS,
    spec_section: "3.2.5 Creating a new line item; 3.2.7 Label; 3.2.8 scoreMaximum",
    spec_url: "https://www.imsglobal.org/spec/lti-ags/v2p0#creating-a-new-line-item",
    requirement: "A new line item is added by POSTing a line item ('application/vnd.ims.lis.v2.lineitem+json' representation) to the lineitems endpoint URL. The label MUST be specified and not blank when posted by the tool. Maximum score MUST be a numeric non-null value, strictly greater than 0.",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "extension"],
    exclusive: true,
};

/// HX-AGS-T-02: the score body.
pub const AGS_SCORE: CaseMeta = CaseMeta {
    id: "lti.tool.ags.score",
    title: "AGS: the score is posted with the score media type and a valid body",
    role: ROLE,
    spec_document: AGS,
    spec_section: "3.4 Score publish service (3.4.3-3.4.9)",
    spec_url: "https://www.imsglobal.org/spec/lti-ags/v2p0#score-publish-service",
    requirement: "Media type application/vnd.ims.lis.v1.score+json. userId MUST be present. scoreGiven MUST be a positive number (including 0); scoreMaximum MUST be present when scoreGiven is present. activityProgress and gradingProgress MUST have one of the listed values. The timestamp MUST be present, formatted using ISO 8601 with a sub-second precision and a time zone designator, and strictly increasing.",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "extension"],
    exclusive: true,
};

/// HX-AGS-T-01: the scores URL derived from a line item URL with a query.
pub const AGS_SCORES_URL: CaseMeta = CaseMeta {
    id: "lti.tool.ags.scores-url",
    title: "AGS: the scores and results URLs are the line item path + /scores or /results, query kept",
    role: ROLE,
    spec_document: AGS,
    spec_section: "3.4.1 Service endpoint; 3.3.1 Result service endpoint",
    spec_url: "https://www.imsglobal.org/spec/lti-ags/v2p0#service-endpoint",
    requirement: "The scores service endpoint MUST be the line item resource URL with the path appended with '/scores'. Any query or route parameters from the line item URL must also be added. (3.3.1: the same with '/results'.)",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "extension"],
    exclusive: true,
};

/// HX-AGS-T-03: media types on the tool's requests.
pub const AGS_MEDIA_TYPES: CaseMeta = CaseMeta {
    id: "lti.tool.ags.media-types",
    title: "AGS: Accept and Content-Type name the AGS media types",
    role: ROLE,
    spec_document: AGS,
    spec_section: "3.2.1 / 3.2.2 Line item media types; 3.3.4 Result media type",
    spec_url: "https://www.imsglobal.org/spec/lti-ags/v2p0#line-item-service-media-types-and-schemas",
    requirement: "GET lineitems URL with Accept: application/vnd.ims.lis.v2.lineitemcontainer+json; GET lineitem URL with Accept: application/vnd.ims.lis.v2.lineitem+json; POST/PUT a line item as application/vnd.ims.lis.v2.lineitem+json; GET lineitem URL/results with Accept: application/vnd.ims.lis.v2.resultcontainer+json.",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "extension"],
    exclusive: true,
};

/// AGS 3.3: the tool reads the results of its line item.
pub const AGS_RESULTS: CaseMeta = CaseMeta {
    id: "lti.tool.ags.results",
    title: "AGS: the tool reads the results of its line item with the result.readonly scope",
    role: ROLE,
    spec_document: AGS,
    spec_section: "3.3 Result Service",
    spec_url: "https://www.imsglobal.org/spec/lti-ags/v2p0#result-service",
    requirement: "Result Service allows the tool to query the tool platform for the current results of its own line items (GET lineitem URL/results, scope https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly).",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "extension"],
    exclusive: true,
};

/// HX-TOK-T-02: a new token after the platform revokes the first one.
pub const AGS_TOKEN_RETRY: CaseMeta = CaseMeta {
    id: "lti.tool.ags.token-retry",
    title: "AGS: after a 401 on a revoked token the tool requests a new token and retries",
    role: ROLE,
    spec_document: "1EdTech Security Framework 1.0",
    spec_section: "4.1 Using OAuth 2.0 Client Credentials Grant",
    spec_url: "https://www.imsglobal.org/spec/security/v1p0/#using-oauth-2-0-client-credentials-grant",
    requirement: "The tool may reuse an access token until the token expires (as evidenced by a failed request). A request answered 401 invalid_token (RFC 6750 §3.1) is retried with a newly requested token.",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "security", "extension"],
    exclusive: true,
};

/// HX-AGS-T-04: a claim with only `lineitem` and the score scope.
pub const AGS_LINEITEM_CLAIM: CaseMeta = CaseMeta {
    id: "lti.tool.ags.lineitem-claim",
    title: "AGS: with only a lineitem URL and the score scope, the tool posts its score there",
    role: ROLE,
    spec_document: AGS,
    spec_section: "3.1 Assignment and Grade Service claim (3.1.1.3)",
    spec_url: "https://www.imsglobal.org/spec/lti-ags/v2p0#example-link-has-a-single-line-item-tool-can-only-post-score",
    requirement: "lineitem: when an LTI message is launching a resource associated to one and only one lineitem, the claim must include the endpoint URL for accessing the associated line item. Example 3.1.1.3: link has a single line item, tool can only POST score. The scores URL is that line item URL's path + '/scores', query kept (3.4.1).",
    level: Level::Must,
    official: false,
    tags: &["ags", "services", "extension"],
    exclusive: true,
};

/// The AGS cases, in report order (appended to the catalog by `cases::cases`).
pub fn cases() -> Vec<Case<Fixture>> {
    vec![
        Case {
            meta: AGS_LAUNCH,
            run: |fx, cx| ags_launch_case(fx, cx).boxed(),
        },
        Case {
            meta: AGS_GRADEBOOK,
            run: |fx, cx| judged(fx, cx, Setup::Container, gradebook).boxed(),
        },
        Case {
            meta: AGS_TOKEN_SCOPES,
            run: |fx, cx| judged(fx, cx, Setup::Container, token_scopes).boxed(),
        },
        Case {
            meta: AGS_LINEITEM,
            run: |fx, cx| judged(fx, cx, Setup::Container, lineitem).boxed(),
        },
        Case {
            meta: AGS_SCORE,
            run: |fx, cx| judged(fx, cx, Setup::Container, score).boxed(),
        },
        Case {
            meta: AGS_SCORES_URL,
            run: |fx, cx| judged(fx, cx, Setup::Container, scores_url).boxed(),
        },
        Case {
            meta: AGS_MEDIA_TYPES,
            run: |fx, cx| judged(fx, cx, Setup::Container, media_types).boxed(),
        },
        Case {
            meta: AGS_RESULTS,
            run: |fx, cx| judged(fx, cx, Setup::Container, results).boxed(),
        },
        Case {
            meta: AGS_TOKEN_RETRY,
            run: |fx, cx| judged(fx, cx, Setup::RevokeFirstToken, token_retry).boxed(),
        },
        Case {
            meta: AGS_LINEITEM_CLAIM,
            run: |fx, cx| judged(fx, cx, Setup::LineItemOnly, lineitem_claim).boxed(),
        },
    ]
}

/// One learner launch with the AGS claim, and what the tool did after it.
pub struct AgsRun {
    /// The browse.
    pub run: LaunchRun,
    /// The launching user (`sub`): the `userId` a score must carry.
    pub sub: String,
    /// Every AGS request of the launch, in order.
    pub requests: Vec<AgsRequestSeen>,
    /// Token requests made while the case ran.
    pub tokens: Vec<TokenRequestSeen>,
    /// The scopes the claim offered.
    pub offered: Vec<&'static str>,
}

/// What the launch offers and how the platform behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// `{scope: [lineitem, result.readonly, score], lineitems}` (AGS 3.1.1.2).
    Container,
    /// The same, and the first AGS request's token is revoked (401).
    RevokeFirstToken,
    /// `{scope: [score], lineitem}` with a platform-created line item (AGS 3.1.1.3).
    LineItemOnly,
}

impl AgsRun {
    fn of(&self, endpoint: AgsEndpoint, method: &str) -> Vec<&AgsRequestSeen> {
        self.requests
            .iter()
            .filter(|r| r.endpoint == endpoint && r.method == method)
            .collect()
    }
    fn page(&self) -> String {
        self.run
            .last()
            .map(|h| snippet(&h.response.text()))
            .unwrap_or_default()
    }
}

fn new_ua(fx: &Fixture, cx: &CaseCx) -> Result<UserAgent, Verdict> {
    let ua = UserAgent::for_case(cx).map_err(|e| Verdict::error(e.to_string()))?;
    Ok(match url::Url::parse(&fx.platform.endpoints().base_url) {
        Ok(base) => ua.with_mock_origin(&base),
        Err(_) => ua,
    })
}

/// A learner launch with the AGS endpoint claim of `setup`, and the scopes offered.
fn launch_claims(fx: &Fixture, attempt: &Attempt, setup: Setup) -> (Value, Vec<&'static str>) {
    let mut claims = resource_link_launch(&fx.profile, Persona::Learner, &attempt.tag);
    let (claim, offered) = match setup {
        Setup::Container | Setup::RevokeFirstToken => (
            json!({
                "scope": CLAIM_SCOPES,
                "lineitems": fx.platform.ags_lineitems_url(&attempt.login_hint),
            }),
            CLAIM_SCOPES.to_vec(),
        ),
        Setup::LineItemOnly => {
            let link = claims[format!("{LTI}resource_link")]["id"].clone();
            let id = fx.platform.ags_seed_line_item(
                &attempt.login_hint,
                json!({"label": "Week 3: photosynthesis quiz", "scoreMaximum": 10, "resourceLinkId": link}),
            );
            (
                json!({"scope": [AGS_SCOPE_SCORE], "lineitem": id}),
                vec![AGS_SCOPE_SCORE],
            )
        }
    };
    set(&mut claims, AGS_CLAIM, claim);
    (claims, offered)
}

/// CERT §6.4: the launch itself.
async fn ags_launch_case(fx: &Fixture, cx: &CaseCx) -> Verdict {
    let ua = match new_ua(fx, cx) {
        Ok(ua) => ua,
        Err(v) => return v,
    };
    let attempt = Attempt::new(cx);
    let (claims, _) = launch_claims(fx, &attempt, Setup::Container);
    let run = match run_user_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Verdict::error(e),
    };
    let mut v = Verdict::new();
    let why = run
        .undelivered_reason(&fx.platform, &attempt.login_hint)
        .unwrap_or_default();
    if v.require(
        "the platform accepted the authentication request and posted the id_token",
        run.delivered.is_some(),
        why,
    ) {
        require_accepted(&mut v, &run, fx.profile.success_marker.as_deref());
    }
    v
}

/// Launches, then waits (bounded) until the tool's AGS calls stop coming.
async fn ags_launch(fx: &Fixture, cx: &CaseCx, setup: Setup) -> Result<AgsRun, Verdict> {
    let ua = new_ua(fx, cx)?;
    let attempt = Attempt::new(cx);
    // Exclusive case: the token requests carry only the client_id.
    cx.correlate(fx.profile.client_id.clone());
    if setup == Setup::RevokeFirstToken {
        fx.platform.ags_revoke_first_token(&attempt.login_hint);
    }
    let tokens_before = fx.platform.token_requests().len();
    let (claims, offered) = launch_claims(fx, &attempt, setup);
    let sub = claims["sub"].as_str().unwrap_or_default().to_string();
    let run = run_launch(
        fx,
        cx,
        &ua,
        &attempt,
        LaunchPlan::signed(claims),
        LoginMethod::Get,
    )
    .await
    .map_err(Verdict::error)?;
    let mut pre = Verdict::new();
    if !require_accepted(&mut pre, &run, fx.profile.success_marker.as_deref()) {
        return Err(Verdict::error(format!(
            "precondition failed: the launch carrying the AGS claim was not accepted ({})",
            pre.message()
        )));
    }
    crate::flow::trigger_services(fx, cx, &ua)
        .await
        .map_err(|e| Verdict::error(format!("precondition failed: {e}")))?;
    let deadline = tokio::time::Instant::now()
        + AGS_SETTLE.min(cx.remaining().saturating_sub(Duration::from_millis(500)));
    let mut last_count = usize::MAX;
    let mut stable_since = tokio::time::Instant::now();
    loop {
        let requests = fx.platform.ags_requests(&attempt.login_hint);
        let done = requests.iter().any(|r| {
            let last = if setup == Setup::LineItemOnly {
                AgsEndpoint::Scores
            } else {
                AgsEndpoint::Results
            };
            r.endpoint == last && r.status < 300
        });
        if requests.len() != last_count {
            last_count = requests.len();
            stable_since = tokio::time::Instant::now();
        }
        let quiet = !requests.is_empty() && stable_since.elapsed() > Duration::from_secs(1);
        if done || quiet || tokio::time::Instant::now() >= deadline {
            let tokens = fx
                .platform
                .token_requests()
                .into_iter()
                .skip(tokens_before)
                .collect();
            return Ok(AgsRun {
                run,
                sub,
                requests,
                tokens,
                offered,
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

type Judge = fn(&mut Verdict, &AgsRun);

async fn judged(fx: &Fixture, cx: &CaseCx, setup: Setup, judge: Judge) -> Verdict {
    let run = match ags_launch(fx, cx, setup).await {
        Ok(r) => r,
        Err(v) => return v,
    };
    let mut v = Verdict::new();
    v.check(
        "the learner launch carrying the AGS claim was accepted",
        Outcome::Pass,
        "",
    );
    judge(&mut v, &run);
    v
}

fn none_within(what: &str, ar: &AgsRun) -> String {
    format!(
        "no {what} within {AGS_SETTLE:?} of the launch; the tool's page: {}",
        ar.page()
    )
}

fn accepts(header: Option<&str>, media_type: &str) -> bool {
    header.is_some_and(|a| {
        a.split(',').any(|x| {
            x.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(media_type))
        })
    })
}

/// CERT §6.4: a token, a line item, a score for the learner.
fn gradebook(v: &mut Verdict, ar: &AgsRun) {
    let Some(token) = ar.tokens.first() else {
        v.require(
            "the tool requested an access token at the token endpoint",
            false,
            none_within("token request", ar),
        );
        return;
    };
    for c in &token.checks {
        v.require(format!("token request: {}", c.name), c.ok, c.detail.clone());
    }
    let created: Vec<_> = ar
        .of(AgsEndpoint::Container, "POST")
        .into_iter()
        .filter(|r| r.status == 201)
        .collect();
    v.require(
        "the tool created its line item in the context's lineitems container",
        !created.is_empty(),
        match ar.of(AgsEndpoint::Container, "POST").last() {
            Some(r) => format!(
                "line item creation answered {}: {}",
                r.status,
                r.problems.join("; ")
            ),
            None => none_within("line item creation", ar),
        },
    );
    let scores: Vec<_> = ar
        .of(AgsEndpoint::Scores, "POST")
        .into_iter()
        .filter(|r| {
            r.body
                .as_ref()
                .and_then(|b| b.get("userId"))
                .and_then(Value::as_str)
                == Some(ar.sub.as_str())
        })
        .collect();
    let Some(first) = scores.first() else {
        v.require(
            "the tool posted a score for the launching learner",
            false,
            none_within("score for the learner", ar),
        );
        return;
    };
    v.require(
        "the tool posted a score for the launching learner",
        true,
        "",
    );
    v.require(
        "the score request's bearer token was issued by the platform's token endpoint",
        first.token_valid,
        "the bearer token was not issued by the platform, or expired",
    );
    v.require(
        "the score request's token was granted the score scope",
        first.scopes.iter().any(|s| s == AGS_SCOPE_SCORE),
        format!("granted: {:?}", first.scopes),
    );
}

/// Every scope requested is one the claim offered.
fn token_scopes(v: &mut Verdict, ar: &AgsRun) {
    if ar.tokens.is_empty() {
        v.require(
            "the tool requested an access token",
            false,
            none_within("token request", ar),
        );
        return;
    }
    let extra: Vec<String> = ar
        .tokens
        .iter()
        .flat_map(|t| t.scopes.iter())
        .filter(|s| !ar.offered.contains(&s.as_str()))
        .cloned()
        .collect();
    v.require(
        "every scope requested is one the AGS claim offers",
        extra.is_empty(),
        format!("requested outside the claim: {}", extra.join(" ")),
    );
    v.require(
        "the token requests ask for at least one AGS scope",
        ar.tokens
            .iter()
            .any(|t| t.scopes.iter().any(|s| ar.offered.contains(&s.as_str()))),
        "no AGS scope requested",
    );
}

/// The line item POST: media type, label, scoreMaximum, 201.
fn lineitem(v: &mut Verdict, ar: &AgsRun) {
    let posts = ar.of(AgsEndpoint::Container, "POST");
    let Some(post) = posts.first() else {
        v.require(
            "the tool POSTed a line item to the lineitems URL",
            false,
            none_within("line item creation", ar),
        );
        return;
    };
    v.require("the tool POSTed a line item to the lineitems URL", true, "");
    v.require(
        format!("Content-Type is {LINEITEM_MEDIA_TYPE}"),
        accepts(post.content_type.as_deref(), LINEITEM_MEDIA_TYPE),
        format!("Content-Type is {:?}", post.content_type),
    );
    let body = post.body.clone().unwrap_or(Value::Null);
    v.require(
        "label is present and not blank (AGS 3.2.7)",
        body.get("label")
            .and_then(Value::as_str)
            .is_some_and(|l| !l.trim().is_empty()),
        format!("label is {}", body.get("label").unwrap_or(&Value::Null)),
    );
    v.require(
        "scoreMaximum is a number > 0 (AGS 3.2.8)",
        body.get("scoreMaximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| m > 0.0),
        format!(
            "scoreMaximum is {}",
            body.get("scoreMaximum").unwrap_or(&Value::Null)
        ),
    );
    v.require(
        "the platform created the line item (201)",
        post.status == 201,
        format!("answered {}: {}", post.status, post.problems.join("; ")),
    );
}

/// The score body, rule by rule, on every score the tool posted.
fn score(v: &mut Verdict, ar: &AgsRun) {
    let misdirected = ar.of(AgsEndpoint::LineItem, "POST");
    let posts: Vec<&AgsRequestSeen> = ar
        .of(AgsEndpoint::Scores, "POST")
        .into_iter()
        .chain(misdirected)
        .collect();
    if posts.is_empty() {
        v.require("the tool posted a score", false, none_within("score", ar));
        return;
    }
    v.require("the tool posted a score", true, "");
    let mut bad = |name: &str, test: &dyn Fn(&AgsRequestSeen, &Value) -> Result<(), String>| {
        let offenders: Vec<String> = posts
            .iter()
            .filter_map(|r| test(r, r.body.as_ref().unwrap_or(&Value::Null)).err())
            .collect();
        v.require(name, offenders.is_empty(), offenders.join("; "));
    };
    bad(&format!("Content-Type is {SCORE_MEDIA_TYPE}"), &|r, _| {
        if accepts(r.content_type.as_deref(), SCORE_MEDIA_TYPE) {
            Ok(())
        } else {
            Err(format!("Content-Type is {:?}", r.content_type))
        }
    });
    let sub = ar.sub.clone();
    bad(
        "userId is the launching user's sub (AGS 3.4.5)",
        &|_, b| match b.get("userId").and_then(Value::as_str) {
            Some(u) if u == sub => Ok(()),
            other => Err(format!("userId is {other:?}, the launch's sub is `{sub}`")),
        },
    );
    bad(
        "timestamp is ISO 8601 with sub-second precision and a time zone (AGS 3.4.9)",
        &|_, b| match b.get("timestamp").and_then(Value::as_str) {
            None => Err("timestamp missing".into()),
            Some(t) => parse_score_timestamp(t).map(|_| ()),
        },
    );
    bad("activityProgress is an AGS 3.4.7 value", &|_, b| {
        let got = b.get("activityProgress").and_then(Value::as_str);
        if got.is_some_and(|g| ACTIVITY_PROGRESS.contains(&g)) {
            Ok(())
        } else {
            Err(format!("activityProgress is {got:?}"))
        }
    });
    bad("gradingProgress is an AGS 3.4.8 value", &|_, b| {
        let got = b.get("gradingProgress").and_then(Value::as_str);
        if got.is_some_and(|g| GRADING_PROGRESS.contains(&g)) {
            Ok(())
        } else {
            Err(format!("gradingProgress is {got:?}"))
        }
    });
    bad(
        "scoreGiven is a number >= 0 with scoreMaximum > 0 beside it (AGS 3.4.4)",
        &|_, b| match b.get("scoreGiven") {
            None | Some(Value::Null) => Ok(()),
            Some(g) if !g.as_f64().is_some_and(|g| g >= 0.0) => Err(format!("scoreGiven is {g}")),
            Some(_)
                if b.get("scoreMaximum")
                    .and_then(Value::as_f64)
                    .is_some_and(|m| m > 0.0) =>
            {
                Ok(())
            }
            Some(g) => Err(format!(
                "scoreGiven {g} with scoreMaximum {}",
                b.get("scoreMaximum").unwrap_or(&Value::Null)
            )),
        },
    );
    let stamps: Vec<_> = posts
        .iter()
        .filter_map(|r| r.body.as_ref()?.get("timestamp")?.as_str())
        .filter_map(|t| parse_score_timestamp(t).ok())
        .collect();
    v.require(
        "timestamps strictly increase from one score to the next (AGS 3.4.9)",
        stamps.windows(2).all(|w| w[0] < w[1]),
        format!("timestamps in order sent: {stamps:?}"),
    );
}

/// Scores at `{path}/scores?{query}`, results at `{path}/results?{query}`.
fn scores_url(v: &mut Verdict, ar: &AgsRun) {
    let scores = ar.of(AgsEndpoint::Scores, "POST");
    let misdirected = ar.of(AgsEndpoint::LineItem, "POST");
    if scores.is_empty() && misdirected.is_empty() {
        v.require("the tool posted a score", false, none_within("score", ar));
        return;
    }
    v.require(
        "scores are POSTed to the line item path + /scores, not to the line item URL",
        misdirected.is_empty(),
        format!(
            "{} POST(s) to the line item URL itself (query {:?}): `/scores` was appended after the query?",
            misdirected.len(),
            misdirected.first().and_then(|r| r.query.clone())
        ),
    );
    let dropped: Vec<String> = scores
        .iter()
        .chain(ar.of(AgsEndpoint::Results, "GET").iter())
        .filter(|r| !r.query_kept)
        .map(|r| format!("{:?} with query {:?}", r.endpoint, r.query))
        .collect();
    v.require(
        format!(
            "the line item URL's query (`?{LINEITEM_QUERY}`) is kept on the scores and results URLs"
        ),
        dropped.is_empty(),
        format!("query dropped or altered: {}", dropped.join(", ")),
    );
}

/// Accept / Content-Type on every AGS request.
fn media_types(v: &mut Verdict, ar: &AgsRun) {
    if ar.requests.is_empty() {
        v.require(
            "the tool made AGS requests",
            false,
            none_within("AGS request", ar),
        );
        return;
    }
    let rules: [(&str, AgsEndpoint, &str, bool, &str); 5] = [
        (
            "GET lineitems: Accept",
            AgsEndpoint::Container,
            "GET",
            true,
            LINEITEMS_MEDIA_TYPE,
        ),
        (
            "GET line item: Accept",
            AgsEndpoint::LineItem,
            "GET",
            true,
            LINEITEM_MEDIA_TYPE,
        ),
        (
            "POST lineitems: Content-Type",
            AgsEndpoint::Container,
            "POST",
            false,
            LINEITEM_MEDIA_TYPE,
        ),
        (
            "PUT line item: Content-Type",
            AgsEndpoint::LineItem,
            "PUT",
            false,
            LINEITEM_MEDIA_TYPE,
        ),
        (
            "GET results: Accept",
            AgsEndpoint::Results,
            "GET",
            true,
            RESULTS_MEDIA_TYPE,
        ),
    ];
    let mut judged = false;
    for (name, endpoint, method, is_accept, want) in rules {
        let reqs = ar.of(endpoint, method);
        if reqs.is_empty() {
            continue;
        }
        judged = true;
        let bad: Vec<String> = reqs
            .iter()
            .map(|r| {
                if is_accept {
                    &r.accept
                } else {
                    &r.content_type
                }
            })
            .filter(|h| !accepts(h.as_deref(), want))
            .map(|h| format!("{h:?}"))
            .collect();
        v.require(
            format!("{name} is {want}"),
            bad.is_empty(),
            format!("sent {}", bad.join(", ")),
        );
    }
    if !judged {
        v.require(
            "the tool made a line item or results request",
            false,
            none_within("line item or results request", ar),
        );
    }
}

/// GET `{lineitem}/results` with the result.readonly scope, answered 200.
fn results(v: &mut Verdict, ar: &AgsRun) {
    let gets = ar.of(AgsEndpoint::Results, "GET");
    let Some(get) = gets.first() else {
        v.require(
            "the tool requested the results of its line item",
            false,
            none_within("results request", ar),
        );
        return;
    };
    v.require("the tool requested the results of its line item", true, "");
    v.require(
        "the results request's token was granted result.readonly",
        get.token_valid && get.scopes.iter().any(|s| s == AGS_SCOPE_RESULT_READONLY),
        format!(
            "token valid: {}, granted: {:?}",
            get.token_valid, get.scopes
        ),
    );
    v.require(
        "the platform answered the results request (200)",
        get.status == 200,
        format!("answered {}", get.status),
    );
}

/// The first request is answered 401 (revoked); a new token and a retry follow.
fn token_retry(v: &mut Verdict, ar: &AgsRun) {
    let Some((i, refused)) = ar
        .requests
        .iter()
        .enumerate()
        .find(|(_, r)| r.status == 401)
    else {
        v.require(
            "the tool made an AGS request with a token the platform then revoked",
            false,
            none_within("AGS request", ar),
        );
        return;
    };
    v.require(
        "the tool made an AGS request with a token the platform then revoked",
        true,
        "",
    );
    v.require(
        "the tool requested a new access token after the 401",
        ar.tokens
            .iter()
            .filter(|t| t.access_token.is_some())
            .count()
            >= 2,
        format!(
            "{} token request(s) during the case; none after the 401",
            ar.tokens.len()
        ),
    );
    let retried = ar.requests.iter().skip(i + 1).any(|r| {
        r.endpoint == refused.endpoint
            && r.method == refused.method
            && r.token != refused.token
            && r.token_valid
            && (200..300).contains(&r.status)
    });
    v.require(
        format!(
            "the tool retried the {} {:?} request with the new token and it succeeded",
            refused.method, refused.endpoint
        ),
        retried,
        format!(
            "requests after the 401: {}",
            ar.requests
                .iter()
                .skip(i + 1)
                .map(|r| format!("{} {:?} -> {}", r.method, r.endpoint, r.status))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
}

/// AGS 3.1.1.3: the score goes to the claim's line item, nothing is created,
/// and the token asks for the score scope only.
fn lineitem_claim(v: &mut Verdict, ar: &AgsRun) {
    let scores = ar.of(AgsEndpoint::Scores, "POST");
    let Some(first) = scores.first() else {
        v.require(
            "the tool posted a score to the claim's line item",
            false,
            none_within("score", ar),
        );
        return;
    };
    v.require(
        "the tool posted a score to the claim's line item",
        // Where it went, not whether its body was valid (lti.tool.ags.score).
        first.item == Some(1) && first.query_kept,
        format!(
            "score to line item {:?} with query {:?} (the claim's line item is 1, query `{LINEITEM_QUERY}`)",
            first.item, first.query
        ),
    );
    let creations = ar.of(AgsEndpoint::Container, "POST").len();
    v.require(
        "no line item is created (the claim names the one line item)",
        creations == 0,
        format!("{creations} line item creation request(s)"),
    );
    token_scopes(v, ar);
}
