//! The `oneroster-consumer` catalog and the judging of one observed sync.
//!
//! Every case reads the same [`Collected`] observations; each judges one
//! behaviour and attaches the exchanges it judged. Thresholds that the
//! specifications leave open are accredit's, stated here and in the case
//! requirement: a retry after a `503` without `Retry-After` waits at least
//! [`MIN_BACKOFF`]; a failing request is attempted at most [`MAX_ATTEMPTS`]
//! times; `Retry-After` is honoured within [`RETRY_AFTER_SLACK`]; an OAuth
//! 1.0a timestamp is within [`OAUTH1_WINDOW_SECS`] of the SIS clock and a
//! nonce is not used twice within that window.
//!
//! Versions: the auth cases are per version. A 1.2 consumer is judged on
//! the token endpoint and bearer tokens; a 1.1 consumer on OAuth 1.0a request
//! signing (RFC 5849), re-computed here from what arrived, independently of
//! the SIS's own verifier. A case that does not apply to the profile's
//! `version` is `skip` with the reason (never `pass`), as are gradebook writes
//! for 1.1 (OneRoster 1.1 has no gradebook REST service here).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use accredit_core::oauth1;
use accredit_core::reports::Finding;
use accredit_core::{CaseCx, CaseMeta, Level, Outcome, Verdict};
#[cfg(test)]
use accredit_mock_platform::oneroster::observe::Injected;
use accredit_mock_platform::oneroster::observe::{GRADEBOOK_BASE_PATH, Observed, Page};
use accredit_mock_platform::oneroster::{BASE_PATH, TOKEN_PATH, V1P1_BASE_PATH};

use super::{Collected, ConsumerFixture, OUTAGE, Version};

/// Shortest acceptable wait before retrying a `503` without `Retry-After`.
pub const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Most attempts of one failing request (first included).
pub const MAX_ATTEMPTS: usize = 6;
/// Early-retry tolerance for `Retry-After` (timer and scheduling jitter).
pub const RETRY_AFTER_SLACK: Duration = Duration::from_millis(50);
/// Largest distance between an `oauth_timestamp` and the SIS clock, and the
/// window within which a nonce must not repeat (the mock SIS's verifier
/// window; Canvas documents a similar tolerance).
pub const OAUTH1_WINDOW_SECS: i64 = 300;
/// Exchanges copied into one case's evidence at most.
const EVIDENCE_CAP: usize = 40;

/// Case ids.
pub mod ids {
    /// `oneroster.consumer.auth.token-request`
    pub const TOKEN: &str = "oneroster.consumer.auth.token-request";
    /// `oneroster.consumer.auth.secret-not-in-url`
    pub const SECRET_URL: &str = "oneroster.consumer.auth.secret-not-in-url";
    /// `oneroster.consumer.auth.bearer`
    pub const BEARER: &str = "oneroster.consumer.auth.bearer";
    /// `oneroster.consumer.auth.oauth1-signed`
    pub const OAUTH1_SIGNED: &str = "oneroster.consumer.auth.oauth1-signed";
    /// `oneroster.consumer.auth.oauth1-signature-valid`
    pub const OAUTH1_SIGNATURE: &str = "oneroster.consumer.auth.oauth1-signature-valid";
    /// `oneroster.consumer.auth.oauth1-nonce-unique`
    pub const OAUTH1_NONCE: &str = "oneroster.consumer.auth.oauth1-nonce-unique";
    /// `oneroster.consumer.auth.oauth1-timestamp-fresh`
    pub const OAUTH1_TIMESTAMP: &str = "oneroster.consumer.auth.oauth1-timestamp-fresh";
    /// `oneroster.consumer.requests.accept-json`
    pub const ACCEPT: &str = "oneroster.consumer.requests.accept-json";
    /// `oneroster.consumer.reads.expected-collections`
    pub const READS: &str = "oneroster.consumer.reads.expected-collections";
    /// `oneroster.consumer.paging.follows-to-last`
    pub const TO_LAST: &str = "oneroster.consumer.paging.follows-to-last";
    /// `oneroster.consumer.paging.uses-link-or-offset-consistently`
    pub const CONSISTENT: &str = "oneroster.consumer.paging.uses-link-or-offset-consistently";
    /// `oneroster.consumer.filter.valid-grammar`
    pub const FILTER_GRAMMAR: &str = "oneroster.consumer.filter.valid-grammar";
    /// `oneroster.consumer.filter.urlencoded`
    pub const FILTER_ENCODED: &str = "oneroster.consumer.filter.urlencoded";
    /// `oneroster.consumer.tolerates.extension-fields`
    pub const EXTENSIONS: &str = "oneroster.consumer.tolerates.extension-fields";
    /// `oneroster.consumer.tolerates.optional-fields-absent`
    pub const OPTIONAL: &str = "oneroster.consumer.tolerates.optional-fields-absent";
    /// `oneroster.consumer.retry.429-respects-retry-after`
    pub const RETRY_429: &str = "oneroster.consumer.retry.429-respects-retry-after";
    /// `oneroster.consumer.retry.503-backoff`
    pub const RETRY_503: &str = "oneroster.consumer.retry.503-backoff";
    /// `oneroster.consumer.retry.gives-up-bounded`
    pub const GIVES_UP: &str = "oneroster.consumer.retry.gives-up-bounded";
    /// `oneroster.consumer.gradebook.valid-writes`
    pub const WRITES: &str = "oneroster.consumer.gradebook.valid-writes";
}

const BINDING_DOC: &str = "OneRoster 1.2 Rostering Service REST Binding";
const BINDING: &str = "https://www.imsglobal.org/spec/oneroster/v1p2/rostering/rest/";
const OPENAPI: &str = "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2rostersservice_openapi3_v1p0.json";
const GRADEBOOK_DOC: &str = "OneRoster 1.2 Gradebook Service REST Binding";
const GRADEBOOK: &str = "https://www.imsglobal.org/spec/oneroster/v1p2/gradebook/rest/";
const RFC6749: &str = "RFC 6749 (OAuth 2.0)";
const RFC9110: &str = "RFC 9110 (HTTP Semantics)";
const RFC5849: &str = "RFC 5849 (OAuth 1.0)";

#[allow(clippy::too_many_arguments)]
const fn meta(
    id: &'static str,
    title: &'static str,
    doc: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
    level: Level,
    official: bool,
    tags: &'static [&'static str],
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: "consumer",
        spec_document: doc,
        spec_section: section,
        spec_url: url,
        requirement,
        level,
        official,
        tags,
        exclusive: false,
    }
}

/// Every case of `oneroster-consumer`, in report order.
pub fn catalog() -> Vec<CaseMeta> {
    use Level::{Must, Should};
    vec![
        meta(
            ids::TOKEN,
            "The consumer obtains a token with the client-credentials grant",
            BINDING_DOC,
            "Security: OAuth2CC",
            OPENAPI,
            "OAuth 2 Client Credentials (as per the requirements in the IMS Security Framework) is to be used.  [RFC 6749 §4.4.2: grant_type REQUIRED. Value MUST be set to \"client_credentials\".]",
            Must,
            true,
            &["oneroster", "consumer", "auth"],
        ),
        meta(
            ids::SECRET_URL,
            "The client secret never appears in a request URL",
            RFC6749,
            "2.3.1",
            "https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1",
            "The parameters can only be transmitted in the request-body and MUST NOT be included in the request URI.",
            Must,
            false,
            &["oneroster", "consumer", "auth"],
        ),
        meta(
            ids::BEARER,
            "Every service request carries an issued bearer token",
            "RFC 6750 (OAuth 2.0 Bearer Token Usage)",
            "2.1",
            "https://www.rfc-editor.org/rfc/rfc6750#section-2.1",
            "When sending the access token in the \"Authorization\" request header field defined by HTTP/1.1, the client uses the \"Bearer\" authentication scheme to transmit the access token.",
            Must,
            true,
            &["oneroster", "consumer", "auth"],
        ),
        meta(
            ids::OAUTH1_SIGNED,
            "OneRoster 1.1: every request is signed with OAuth 1.0a (HMAC-SHA1 or HMAC-SHA256) by the configured consumer",
            RFC5849,
            "3.1",
            "https://www.rfc-editor.org/rfc/rfc5849#section-3.1",
            "The client assigns a value to each of these REQUIRED protocol parameters: oauth_consumer_key, oauth_signature_method, oauth_timestamp, oauth_nonce, then signs the request and adds oauth_signature.  [OneRoster 1.1 secures every request with OAuth 1.0a signing, HMAC-SHA1 or (errata) HMAC-SHA256; accredit: with the consumer key the consumer was given.]",
            Must,
            false,
            &["oneroster", "consumer", "auth", "oauth1", "v1p1"],
        ),
        meta(
            ids::OAUTH1_SIGNATURE,
            "OneRoster 1.1: every OAuth 1.0a signature verifies with the consumer secret",
            RFC5849,
            "3.4",
            "https://www.rfc-editor.org/rfc/rfc5849#section-3.4",
            "The signature is computed over the signature base string (the request method, the base string URI and the normalized request parameters, query included) with the key made of the client shared-secret and the token shared-secret, each encoded, joined by \"&\".",
            Must,
            false,
            &["oneroster", "consumer", "auth", "oauth1", "v1p1"],
        ),
        meta(
            ids::OAUTH1_NONCE,
            "OneRoster 1.1: OAuth 1.0a nonces are not reused",
            RFC5849,
            "3.3",
            "https://www.rfc-editor.org/rfc/rfc5849#section-3.3",
            "The nonce value MUST be unique across all requests with the same timestamp, client credentials, and token combinations.  [accredit: a nonce is not repeated within the 300 s window a SIS keeps nonces for.]",
            Must,
            false,
            &["oneroster", "consumer", "auth", "oauth1", "v1p1"],
        ),
        meta(
            ids::OAUTH1_TIMESTAMP,
            "OneRoster 1.1: OAuth 1.0a timestamps are current",
            RFC5849,
            "3.3",
            "https://www.rfc-editor.org/rfc/rfc5849#section-3.3",
            "The timestamp is expressed in the number of seconds since January 1, 1970 00:00:00 GMT. The timestamp value MUST be a positive integer.  [A server may reject stale timestamps; accredit: within 300 s of the SIS clock.]",
            Must,
            false,
            &["oneroster", "consumer", "auth", "oauth1", "v1p1"],
        ),
        meta(
            ids::ACCEPT,
            "Requests accept the JSON binding",
            RFC9110,
            "12.5.1",
            "https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1",
            "The \"Accept\" header field can be used by user agents to specify their preferences regarding response media types.  [The OneRoster 1.2 REST binding is JSON only: a consumer should not refuse application/json.]",
            Should,
            false,
            &["oneroster", "consumer", "http"],
        ),
        meta(
            ids::READS,
            "The consumer reads every collection it claims",
            BINDING_DOC,
            "Rostering endpoints",
            BINDING,
            "A consumer claiming a rostering read must obtain it from the service endpoints.  [accredit: each collection in `expects` is read with at least one successful page.]",
            Must,
            false,
            &["oneroster", "consumer", "paging"],
        ),
        meta(
            ids::TO_LAST,
            "Paging continues to the last page (not only page 1)",
            BINDING_DOC,
            "Pagination",
            BINDING,
            "limit: the maximum number of records to be contained in the response; offset: the number of the first record to be supplied in the segmented response message; X-Total-Count: the total number of resources that are available to be returned.",
            Must,
            false,
            &["oneroster", "consumer", "paging"],
        ),
        meta(
            ids::CONSISTENT,
            "Pages are requested from the Link header or by offset, without gaps or overlaps",
            BINDING_DOC,
            "Pagination: links",
            BINDING,
            "The links first, last, next and prev get the corresponding set of resources.  [The server may serve fewer records than the limit asked for: the next offset is the previous offset plus the records received.]",
            Must,
            false,
            &["oneroster", "consumer", "paging"],
        ),
        meta(
            ids::FILTER_GRAMMAR,
            "Filters follow the OneRoster grammar",
            BINDING_DOC,
            "Filtering",
            BINDING,
            "filter=<field><pred><value> [<AND|OR> <field><pred><value>], predicates =, !=, >, >=, <, <= and ~; values MUST be in single quotes.",
            Must,
            false,
            &["oneroster", "consumer", "filter"],
        ),
        meta(
            ids::FILTER_ENCODED,
            "Filters are URL-encoded",
            BINDING_DOC,
            "Filtering",
            BINDING,
            "The whole filter MUST be URL-encoded (e.g. = as %3D, ' as %27, space as %20).",
            Must,
            false,
            &["oneroster", "consumer", "filter"],
        ),
        meta(
            ids::EXTENSIONS,
            "Extension metadata and unknown members do not stop the sync",
            BINDING_DOC,
            "Extensions: metadata",
            BINDING,
            "Proprietary extensions are carried in each record's `metadata` object.  [A consumer must accept records carrying extension members it does not know.]",
            Must,
            false,
            &["oneroster", "consumer", "tolerance"],
        ),
        meta(
            ids::OPTIONAL,
            "Records without optional fields do not stop the sync",
            BINDING_DOC,
            "Data model: optional attributes",
            OPENAPI,
            "Attributes not listed as required in the OpenAPI schema may be absent from a record.  [A consumer must accept records without them.]",
            Must,
            false,
            &["oneroster", "consumer", "tolerance"],
        ),
        meta(
            ids::RETRY_429,
            "A 429 is retried, not before its Retry-After",
            RFC9110,
            "10.2.3",
            "https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3",
            "Servers send the \"Retry-After\" header field to indicate how long the user agent ought to wait before making a follow-up request.  [RFC 6585 §4: 429 Too Many Requests is temporary; the consumer should retry after the delay.]",
            Should,
            false,
            &["oneroster", "consumer", "retry"],
        ),
        meta(
            ids::RETRY_503,
            "A 503 is retried after a backoff",
            RFC9110,
            "15.6.4",
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
            "The 503 (Service Unavailable) status code indicates that the server is currently unable to handle the request due to a temporary overload or scheduled maintenance, which will likely be alleviated after some delay.  [accredit: retry, waiting at least 100 ms.]",
            Should,
            false,
            &["oneroster", "consumer", "retry"],
        ),
        meta(
            ids::GIVES_UP,
            "Retries of a failing request are bounded",
            RFC9110,
            "15.6.4",
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
            "The 503 status indicates a temporary condition \"which will likely be alleviated after some delay\".  [accredit: a request that keeps failing is attempted at most 6 times, then the consumer gives up.]",
            Must,
            false,
            &["oneroster", "consumer", "retry"],
        ),
        meta(
            ids::WRITES,
            "Gradebook writes are valid 1.2 lineItems and results",
            GRADEBOOK_DOC,
            "putLineItem / putResult",
            GRADEBOOK,
            "PUT /lineItems/{sourcedId} and PUT /results/{sourcedId} carry a single object in the `lineItem` / `result` wrapper, with the model's required attributes.",
            Must,
            true,
            &["oneroster", "consumer", "gradebook"],
        ),
    ]
}

/// Runs one case over the (collected once) observations.
pub fn run_case<'a>(fx: &'a ConsumerFixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let c = fx.collected().await;
        let j = Judge {
            c: &c,
            profile: &fx.profile,
        };
        let (v, seqs) = j.judge(cx.meta.id);
        j.attach(cx, seqs);
        v
    })
}

/// Judges one case over a [`Collected`]; pure, so tests can judge recorded data.
pub struct Judge<'a> {
    /// The observations.
    pub c: &'a Collected,
    /// The profile.
    pub profile: &'a super::ConsumerProfile,
}

fn finding(case: &str, r: &Observed, location: &str, outcome: Outcome, message: String) -> Finding {
    Finding {
        document: format!("request #{} ({} {})", r.seq, r.method, r.path),
        location: location.to_string(),
        rule: case.to_string(),
        outcome,
        message,
    }
}

fn is_service(r: &Observed) -> bool {
    r.path.starts_with(BASE_PATH)
        || r.path.starts_with(GRADEBOOK_BASE_PATH)
        || r.path.starts_with(V1P1_BASE_PATH)
}

/// Why a case does not apply to a consumer of `version`, if it does not.
fn not_for(version: Version, id: &str) -> Option<&'static str> {
    match version {
        Version::V1p1 => match id {
            ids::TOKEN | ids::BEARER => Some(
                "OneRoster 1.1 signs each request with OAuth 1.0a: there is no token endpoint and no bearer token (the oauth1-* cases judge authentication)",
            ),
            ids::WRITES => Some(
                "OneRoster 1.1 has no gradebook REST service here: writes are judged for 1.2 consumers only",
            ),
            _ => None,
        },
        Version::V1p2 => matches!(
            id,
            ids::OAUTH1_SIGNED | ids::OAUTH1_SIGNATURE | ids::OAUTH1_NONCE | ids::OAUTH1_TIMESTAMP
        )
        .then_some(
            "OneRoster 1.2 authenticates with OAuth 2 bearer tokens: OAuth 1.0a signing is judged for 1.1 consumers only",
        ),
    }
}

/// `(oauth_* protocol parameters, data parameters)` of a signed request.
type SignedParts = (Vec<(String, String)>, Vec<(String, String)>);

/// The OAuth 1.0a protocol parameters of a request (from the `OAuth`
/// Authorization header, or from the query, RFC 5849 §3.5.3) and its data
/// parameters; `Err` says why it is not signed.
fn oauth1_parts(r: &Observed) -> Result<SignedParts, String> {
    let params = r.params();
    match r.header("authorization") {
        Some(a) => {
            let oauth = oauth1::parse_authorization(a).map_err(|e| e.to_string())?;
            Ok((oauth, params))
        }
        None => {
            let (oauth, data): (Vec<_>, Vec<_>) = params
                .into_iter()
                .partition(|(k, _)| k.starts_with("oauth_"));
            if oauth.is_empty() {
                Err("no Authorization header and no oauth_* query parameters: the request is not signed".into())
            } else {
                Ok((oauth, data))
            }
        }
    }
}

/// `(collection, filter)`: one paged walk.
type Walk = (String, Option<String>);

impl Judge<'_> {
    /// The verdict of case `id` and the request seqs it judged.
    pub fn judge(&self, id: &str) -> (Verdict, Vec<usize>) {
        if let Some(why) = not_for(self.profile.version, id) {
            return (Verdict::skip(why), vec![]);
        }
        if self.c.requests.is_empty() {
            let why = match &self.c.trigger {
                Some(Err(e)) => format!("the consumer sent nothing (trigger: {e})"),
                _ => "the consumer sent no request to the SIS".to_string(),
            };
            let v = if self.profile.expects.is_empty() {
                Verdict::skip(why)
            } else {
                Verdict::with(Outcome::Fail, why)
            };
            return (v, vec![]);
        }
        if !self.profile.test_retries
            && matches!(id, ids::RETRY_429 | ids::RETRY_503 | ids::GIVES_UP)
        {
            return (
                Verdict::skip("retries are not tested (`test_retries = false` in the profile)"),
                vec![],
            );
        }
        match id {
            ids::TOKEN => self.token(),
            ids::SECRET_URL => self.secret_url(),
            ids::BEARER => self.bearer(),
            ids::OAUTH1_SIGNED => self.oauth1_signed(),
            ids::OAUTH1_SIGNATURE => self.oauth1_signature(),
            ids::OAUTH1_NONCE => self.oauth1_nonce(),
            ids::OAUTH1_TIMESTAMP => self.oauth1_timestamp(),
            ids::ACCEPT => self.accept(),
            ids::READS => self.reads(),
            ids::TO_LAST => self.to_last(),
            ids::CONSISTENT => self.consistent(),
            ids::FILTER_GRAMMAR | ids::FILTER_ENCODED => self.filters(id),
            ids::EXTENSIONS => self.tolerates(id, |p| p.extended, "extension members"),
            ids::OPTIONAL => self.tolerates(id, |p| p.stripped, "optional fields absent"),
            ids::RETRY_429 => self.retry(id, 429),
            ids::RETRY_503 => self.retry(id, 503),
            ids::GIVES_UP => self.gives_up(),
            ids::WRITES => self.writes(),
            other => (
                Verdict::error(format!("no implementation for case {other}")),
                vec![],
            ),
        }
    }

    fn attach(&self, cx: &CaseCx, seqs: Vec<usize>) {
        for ex in &self.c.trigger_exchanges {
            cx.evidence.push(ex.clone());
        }
        let mut seqs = seqs;
        seqs.sort_unstable();
        seqs.dedup();
        let total = seqs.len();
        for seq in seqs.into_iter().take(EVIDENCE_CAP) {
            if let Some(ex) = self.c.exchanges.get(&seq) {
                cx.evidence.push(ex.clone());
            }
        }
        if total > EVIDENCE_CAP {
            cx.log(format!(
                "{} more request(s) judged; their exchanges are not repeated here",
                total - EVIDENCE_CAP
            ));
        }
        for line in &self.c.log {
            cx.log(line.clone());
        }
    }

    fn service(&self) -> impl Iterator<Item = &Observed> {
        self.c.requests.iter().filter(|r| is_service(r))
    }

    fn sample(&self) -> Vec<usize> {
        self.c.requests.iter().take(5).map(|r| r.seq).collect()
    }

    /// Folds findings into a verdict with one summary check.
    fn conclude(
        &self,
        mut v: Verdict,
        judged: &[&Observed],
        what: &str,
        fail_as: Outcome,
    ) -> (Verdict, Vec<usize>) {
        let bad = v.findings.len();
        let seqs: Vec<usize> = if bad == 0 {
            judged.iter().map(|r| r.seq).take(EVIDENCE_CAP).collect()
        } else {
            v.findings
                .iter()
                .filter_map(|f| {
                    f.document
                        .strip_prefix("request #")
                        .and_then(|d| d.split(' ').next())
                        .and_then(|n| n.parse().ok())
                })
                .collect()
        };
        v.check(
            format!(
                "{} of {} {what} conform",
                judged.len().saturating_sub(bad),
                judged.len()
            ),
            if bad == 0 { Outcome::Pass } else { fail_as },
            "",
        );
        (v, seqs)
    }

    fn token(&self) -> (Verdict, Vec<usize>) {
        let reqs: Vec<&Observed> = self
            .c
            .requests
            .iter()
            .filter(|r| r.path == TOKEN_PATH)
            .collect();
        if reqs.is_empty() {
            return (
                Verdict::with(
                    Outcome::Fail,
                    "the consumer called the services without requesting a token at the token endpoint",
                ),
                self.sample(),
            );
        }
        let mut v = Verdict::new();
        for r in &reqs {
            let form: Vec<(String, String)> =
                url::form_urlencoded::parse(&r.body).into_owned().collect();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, x)| x.as_str());
            let mut problems = Vec::new();
            if r.method != "POST" {
                problems.push(format!("sent with {}, not POST", r.method));
            }
            if !r
                .header("content-type")
                .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
            {
                problems.push(format!(
                    "Content-Type is {:?}, not application/x-www-form-urlencoded",
                    r.header("content-type")
                ));
            }
            if get("grant_type") != Some("client_credentials") {
                problems.push(format!(
                    "grant_type is {:?}, not client_credentials",
                    get("grant_type")
                ));
            }
            let basic = r
                .header("authorization")
                .is_some_and(|a| a.len() > 6 && a[..6].eq_ignore_ascii_case("basic "));
            if !basic && get("client_secret").is_none() {
                problems.push("no client credentials (HTTP Basic or form)".into());
            }
            if r.status != 200 {
                problems.push(format!("the token endpoint answered {}", r.status));
            }
            if !problems.is_empty() {
                v.finding(finding(
                    ids::TOKEN,
                    r,
                    "body",
                    Outcome::Fail,
                    problems.join("; "),
                ));
            }
        }
        self.conclude(v, &reqs, "token request(s)", Outcome::Fail)
    }

    fn secret_url(&self) -> (Verdict, Vec<usize>) {
        let secret = self.profile.client_secret.expose();
        let mut v = Verdict::new();
        for r in &self.c.requests {
            let q = r.query.as_deref().unwrap_or_default();
            let decoded = r.params();
            let leaked = (!secret.is_empty()
                && (q.contains(secret) || decoded.iter().any(|(_, x)| x.contains(secret))))
                || decoded.iter().any(|(k, _)| k == "client_secret");
            // OAuth 1.0a never sends the secret at all: it only keys the HMAC.
            if self.profile.version == Version::V1p1
                && !leaked
                && !secret.is_empty()
                && (r.headers.iter().any(|(_, x)| x.contains(secret))
                    || r.body.windows(secret.len()).any(|w| w == secret.as_bytes()))
            {
                v.finding(finding(
                    ids::SECRET_URL,
                    r,
                    "request",
                    Outcome::Fail,
                    "the consumer secret was sent (OAuth 1.0a uses it only as the HMAC key)".into(),
                ));
            }
            if leaked {
                v.finding(finding(
                    ids::SECRET_URL,
                    r,
                    "query",
                    Outcome::Fail,
                    "the client secret is in the request URL (it ends up in logs and proxies)"
                        .into(),
                ));
            }
        }
        let all: Vec<&Observed> = self.c.requests.iter().collect();
        self.conclude(v, &all, "request(s)", Outcome::Fail)
    }

    fn bearer(&self) -> (Verdict, Vec<usize>) {
        let issued: HashSet<&str> = self
            .c
            .requests
            .iter()
            .filter_map(|r| r.issued_token.as_deref())
            .collect();
        let judged: Vec<&Observed> = self.service().collect();
        if judged.is_empty() {
            return (Verdict::skip("no service request was received"), vec![]);
        }
        let mut v = Verdict::new();
        for r in &judged {
            let problem = match r.header("authorization") {
                None => Some("no Authorization header".to_string()),
                Some(a) => match a.split_once(' ') {
                    Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => (!issued
                        .contains(t.trim()))
                    .then(|| "the bearer token was not issued by this SIS".to_string()),
                    Some((scheme, _)) => Some(format!(
                        "Authorization uses the `{scheme}` scheme, not Bearer"
                    )),
                    None => Some("the Authorization header has no scheme".into()),
                },
            };
            if let Some(m) = problem {
                v.finding(finding(
                    ids::BEARER,
                    r,
                    "header:authorization",
                    Outcome::Fail,
                    m,
                ));
            }
        }
        self.conclude(v, &judged, "service request(s)", Outcome::Fail)
    }

    /// Every service request with its OAuth 1.0a parts.
    fn signed(&self) -> Vec<(&Observed, Result<SignedParts, String>)> {
        self.service().map(|r| (r, oauth1_parts(r))).collect()
    }

    fn oauth1_signed(&self) -> (Verdict, Vec<usize>) {
        let all = self.signed();
        if all.is_empty() {
            return (Verdict::skip("no service request was received"), vec![]);
        }
        let key = self.profile.client_id.as_str();
        let mut v = Verdict::new();
        for (r, parts) in &all {
            let mut problems = Vec::new();
            match parts {
                Err(e) => problems.push(e.clone()),
                Ok((oauth, _)) => {
                    let p = oauth1::SignedParams::from_pairs(oauth);
                    for (name, value) in [
                        ("oauth_consumer_key", &p.consumer_key),
                        ("oauth_signature_method", &p.method),
                        ("oauth_timestamp", &p.timestamp),
                        ("oauth_nonce", &p.nonce),
                        ("oauth_signature", &p.signature),
                    ] {
                        if value.as_deref().is_none_or(str::is_empty) {
                            problems.push(format!("`{name}` is missing"));
                        }
                    }
                    if let Some(k) = &p.consumer_key
                        && k != key
                    {
                        problems.push(format!(
                            "oauth_consumer_key is `{k}`, not the configured `{key}`"
                        ));
                    }
                    if let Some(m) = &p.method
                        && oauth1::SignatureMethod::parse(m).is_none()
                    {
                        problems.push(format!(
                            "oauth_signature_method `{m}` is not HMAC-SHA1 or HMAC-SHA256"
                        ));
                    }
                    if let Some(ver) = &p.version
                        && ver != "1.0"
                    {
                        problems.push(format!("oauth_version is `{ver}`, not 1.0"));
                    }
                }
            }
            if !problems.is_empty() {
                v.finding(finding(
                    ids::OAUTH1_SIGNED,
                    r,
                    "header:authorization",
                    Outcome::Fail,
                    problems.join("; "),
                ));
            }
        }
        let judged: Vec<&Observed> = all.iter().map(|(r, _)| *r).collect();
        self.conclude(v, &judged, "service request(s)", Outcome::Fail)
    }

    fn oauth1_signature(&self) -> (Verdict, Vec<usize>) {
        let secret = self.profile.client_secret.expose();
        let mut v = Verdict::new();
        let mut judged = Vec::new();
        for (r, parts) in self.signed() {
            let Ok((oauth, data)) = parts else { continue };
            if oauth1::SignedParams::from_pairs(&oauth).signature.is_none() {
                continue;
            }
            judged.push(r);
            let host = r.header("host").unwrap_or_default();
            let base_uri = format!("http://{}{}", host.to_ascii_lowercase(), r.path);
            if let Err(e) = oauth1::check_signature(&r.method, &base_uri, &oauth, &data, secret) {
                v.finding(finding(
                    ids::OAUTH1_SIGNATURE,
                    r,
                    "header:authorization",
                    Outcome::Fail,
                    format!("{e} (base string URI {base_uri})"),
                ));
            }
        }
        if judged.is_empty() {
            return (
                Verdict::skip("no service request carried an oauth_signature"),
                vec![],
            );
        }
        self.conclude(v, &judged, "signed request(s)", Outcome::Fail)
    }

    /// Signed service requests with their protocol parameters.
    fn signed_params(&self) -> Vec<(&Observed, oauth1::SignedParams)> {
        self.signed()
            .into_iter()
            .filter_map(|(r, parts)| {
                let (oauth, _) = parts.ok()?;
                Some((r, oauth1::SignedParams::from_pairs(&oauth)))
            })
            .collect()
    }

    fn oauth1_nonce(&self) -> (Verdict, Vec<usize>) {
        let signed: Vec<(&Observed, oauth1::SignedParams)> = self
            .signed_params()
            .into_iter()
            .filter(|(_, p)| p.nonce.is_some())
            .collect();
        if signed.is_empty() {
            return (
                Verdict::skip("no service request carried an oauth_nonce"),
                vec![],
            );
        }
        let mut v = Verdict::new();
        // (key, nonce) -> (seq, timestamp) of its first use.
        let mut first: BTreeMap<(String, String), (usize, i64)> = BTreeMap::new();
        for (r, p) in &signed {
            let nonce = p.nonce.clone().unwrap_or_default();
            let key = p.consumer_key.clone().unwrap_or_default();
            let ts: i64 = p
                .timestamp
                .as_deref()
                .and_then(|t| t.parse().ok())
                .unwrap_or(r.received_unix);
            match first.get(&(key.clone(), nonce.clone())) {
                Some((seq, t0)) if (ts - t0).abs() <= OAUTH1_WINDOW_SECS => {
                    v.finding(finding(
                        ids::OAUTH1_NONCE,
                        r,
                        "header:authorization",
                        Outcome::Fail,
                        format!(
                            "oauth_nonce `{nonce}` was already used by request #{seq} ({} s apart): a SIS refuses it as a replay",
                            (ts - t0).abs()
                        ),
                    ));
                }
                _ => {
                    first.insert((key, nonce), (r.seq, ts));
                }
            }
        }
        let judged: Vec<&Observed> = signed.iter().map(|(r, _)| *r).collect();
        self.conclude(v, &judged, "signed request(s)", Outcome::Fail)
    }

    fn oauth1_timestamp(&self) -> (Verdict, Vec<usize>) {
        let signed: Vec<(&Observed, oauth1::SignedParams)> = self
            .signed_params()
            .into_iter()
            .filter(|(_, p)| p.timestamp.is_some())
            .collect();
        if signed.is_empty() {
            return (
                Verdict::skip("no service request carried an oauth_timestamp"),
                vec![],
            );
        }
        let mut v = Verdict::new();
        for (r, p) in &signed {
            let raw = p.timestamp.as_deref().unwrap_or_default();
            let problem = match raw.parse::<i64>() {
                Ok(t) if t <= 0 => {
                    Some(format!("oauth_timestamp `{raw}` is not a positive integer"))
                }
                Ok(t) if (t - r.received_unix).abs() > OAUTH1_WINDOW_SECS => Some(format!(
                    "oauth_timestamp {t} is {} s {} the SIS clock (at most {OAUTH1_WINDOW_SECS} s)",
                    (t - r.received_unix).abs(),
                    if t < r.received_unix {
                        "behind"
                    } else {
                        "ahead of"
                    }
                )),
                Ok(_) => None,
                Err(_) => Some(format!("oauth_timestamp `{raw}` is not an integer")),
            };
            if let Some(m) = problem {
                v.finding(finding(
                    ids::OAUTH1_TIMESTAMP,
                    r,
                    "header:authorization",
                    Outcome::Fail,
                    m,
                ));
            }
        }
        let judged: Vec<&Observed> = signed.iter().map(|(r, _)| *r).collect();
        self.conclude(v, &judged, "signed request(s)", Outcome::Fail)
    }

    fn accept(&self) -> (Verdict, Vec<usize>) {
        let judged: Vec<&Observed> = self.service().filter(|r| r.method == "GET").collect();
        if judged.is_empty() {
            return (Verdict::skip("no service GET was received"), vec![]);
        }
        let mut v = Verdict::new();
        for r in &judged {
            if let Some(a) = r.header("accept")
                && !accepts_json(a)
            {
                v.finding(finding(
                    ids::ACCEPT,
                    r,
                    "header:accept",
                    Outcome::Warn,
                    format!("Accept: {a} excludes application/json"),
                ));
            }
        }
        self.conclude(v, &judged, "GET request(s)", Outcome::Warn)
    }

    fn pages(&self) -> BTreeMap<Walk, Vec<(&Observed, &Page)>> {
        let mut m: BTreeMap<Walk, Vec<(&Observed, &Page)>> = BTreeMap::new();
        for r in &self.c.requests {
            if let Some(p) = &r.page {
                m.entry((p.collection.clone(), p.filter.clone()))
                    .or_default()
                    .push((r, p));
            }
        }
        m
    }

    fn reads(&self) -> (Verdict, Vec<usize>) {
        let expected = self.profile.expected_collections();
        if expected.is_empty() {
            return (
                Verdict::skip("the profile's `expects` names no collection"),
                vec![],
            );
        }
        let pages = self.pages();
        let mut v = Verdict::new();
        let mut seqs = Vec::new();
        for c in expected {
            let got: Vec<usize> = pages
                .iter()
                .filter(|((coll, _), _)| coll == c)
                .flat_map(|(_, ps)| ps.iter().map(|(r, _)| r.seq))
                .collect();
            if c == OUTAGE {
                // Never served: the outage collection counts as read when asked for.
                let asked = self
                    .c
                    .requests
                    .iter()
                    .any(|r| r.is_list() && r.collection() == Some(c));
                v.require(
                    format!("`{c}` requested"),
                    asked,
                    format!("the consumer never requested `{c}`"),
                );
                continue;
            }
            seqs.extend(got.iter().take(3));
            v.require(
                format!("`{c}` read"),
                !got.is_empty(),
                format!("no page of `{c}` was served to the consumer"),
            );
        }
        (v, seqs)
    }

    fn to_last(&self) -> (Verdict, Vec<usize>) {
        let pages = self.pages();
        let multi: Vec<(&Walk, &Vec<(&Observed, &Page)>)> = pages
            .iter()
            .filter(|(_, ps)| ps.iter().any(|(_, p)| p.total > p.limit))
            .collect();
        if multi.is_empty() {
            return (
                Verdict::skip("no collection read spanned more than one page"),
                vec![],
            );
        }
        let mut v = Verdict::new();
        let mut seqs = Vec::new();
        for ((coll, filter), ps) in multi {
            let total = ps.iter().map(|(_, p)| p.total).max().unwrap_or(0);
            let covered = coverage(ps.iter().map(|(_, p)| (p.offset, p.count)));
            let walk = match filter {
                Some(f) => format!("`{coll}` (filter {f})"),
                None => format!("`{coll}`"),
            };
            seqs.extend(ps.iter().map(|(r, _)| r.seq).take(10));
            v.require(
                format!("{walk} read to the last page"),
                covered >= total,
                format!(
                    "{covered} of {total} records received over {} page(s); the last page was never requested",
                    ps.len()
                ),
            );
        }
        (v, seqs)
    }

    fn consistent(&self) -> (Verdict, Vec<usize>) {
        let pages = self.pages();
        let multi: Vec<_> = pages.iter().filter(|(_, ps)| ps.len() > 1).collect();
        if multi.is_empty() {
            return (
                Verdict::skip("no collection was read over more than one page"),
                vec![],
            );
        }
        let mut v = Verdict::new();
        let mut judged: Vec<&Observed> = Vec::new();
        for ((coll, _), ps) in multi {
            let mut prev: Option<&Page> = None;
            for (r, p) in ps {
                judged.push(r);
                if let Some(q) = prev
                    && p.offset != q.offset
                {
                    let expected = q.offset + q.count;
                    if p.offset != expected {
                        v.finding(finding(
                            ids::CONSISTENT,
                            r,
                            "query:offset",
                            Outcome::Fail,
                            format!(
                                "`{coll}` page at offset {} follows a page at offset {} with {} record(s): expected offset {expected} ({})",
                                p.offset,
                                q.offset,
                                q.count,
                                if p.offset > expected { "records skipped" } else { "records read twice" }
                            ),
                        ));
                    }
                }
                prev = Some(p);
            }
        }
        self.conclude(v, &judged, "page request(s)", Outcome::Fail)
    }

    fn filters(&self, id: &str) -> (Verdict, Vec<usize>) {
        let with: Vec<&Observed> = self
            .service()
            .filter(|r| r.params().iter().any(|(k, _)| k == "filter"))
            .collect();
        if with.is_empty() {
            let why = "the consumer sent no filter";
            return if self.profile.expects("filter") {
                (
                    Verdict::with(Outcome::Fail, format!("{why}, but the profile expects one")),
                    self.sample(),
                )
            } else {
                (Verdict::skip(why), vec![])
            };
        }
        let mut v = Verdict::new();
        for r in &with {
            if id == ids::FILTER_GRAMMAR {
                for (_, f) in r.params().iter().filter(|(k, _)| k == "filter") {
                    if let Err(e) = check_filter(f) {
                        v.finding(finding(
                            id,
                            r,
                            "query:filter",
                            Outcome::Fail,
                            format!("filter `{f}`: {e}"),
                        ));
                    }
                }
            } else {
                for raw in raw_params(r.query.as_deref().unwrap_or_default(), "filter") {
                    if let Some(ch) = raw.chars().find(|c| UNENCODED.contains(c)) {
                        v.finding(finding(
                            id,
                            r,
                            "query:filter",
                            Outcome::Fail,
                            format!("filter sent as `{raw}`: `{ch}` is not URL-encoded"),
                        ));
                    }
                }
            }
        }
        self.conclude(v, &with, "filtered request(s)", Outcome::Fail)
    }

    fn tolerates(&self, id: &str, marked: fn(&Page) -> bool, what: &str) -> (Verdict, Vec<usize>) {
        let pages = self.pages();
        let mut v = Verdict::new();
        let mut judged: Vec<&Observed> = Vec::new();
        for ps in pages.values() {
            let furthest = ps.iter().map(|(_, p)| p.offset).max().unwrap_or(0);
            for (r, p) in ps {
                if !marked(p) {
                    continue;
                }
                judged.push(r);
                let last = p.offset + p.count >= p.total;
                if !last && furthest <= p.offset {
                    v.finding(finding(
                        id,
                        r,
                        "",
                        Outcome::Fail,
                        format!(
                            "the consumer stopped reading `{}` after this page ({what}; {} of {} records), though more pages remained",
                            p.collection,
                            p.offset + p.count,
                            p.total
                        ),
                    ));
                }
            }
        }
        if judged.is_empty() {
            return (
                Verdict::skip(format!("no page with {what} was served")),
                vec![],
            );
        }
        self.conclude(v, &judged, "page(s)", Outcome::Fail)
    }

    fn retry(&self, id: &str, status: u16) -> (Verdict, Vec<usize>) {
        let refused: Vec<&Observed> = self
            .c
            .requests
            .iter()
            .filter(|r| {
                r.injected
                    .as_ref()
                    .is_some_and(|i| i.status == status && !i.outage)
            })
            .collect();
        if refused.is_empty() {
            return (
                Verdict::skip(format!(
                    "the consumer never met an injected {status} (it did not read the collection it is injected on)"
                )),
                vec![],
            );
        }
        let mut v = Verdict::new();
        let mut seqs = Vec::new();
        for r in &refused {
            seqs.push(r.seq);
            let retry = self
                .c
                .requests
                .iter()
                .find(|n| n.seq > r.seq && n.method == r.method && n.path == r.path);
            let Some(n) = retry else {
                v.finding(finding(
                    id,
                    r,
                    "",
                    Outcome::Warn,
                    format!("the consumer abandoned the request after {status}; the condition is temporary"),
                ));
                continue;
            };
            seqs.push(n.seq);
            let waited = n.at.saturating_sub(r.at);
            let min = match r.injected.as_ref().and_then(|i| i.retry_after) {
                Some(s) => Duration::from_secs(s).saturating_sub(RETRY_AFTER_SLACK),
                None => MIN_BACKOFF,
            };
            if waited < min {
                v.finding(finding(
                    id,
                    n,
                    "",
                    Outcome::Warn,
                    format!(
                        "retried {} ms after the {status}; expected at least {} ms",
                        waited.as_millis(),
                        min.as_millis()
                    ),
                ));
            } else {
                v.check(
                    format!("request #{} retried after {} ms", r.seq, waited.as_millis()),
                    Outcome::Pass,
                    "",
                );
            }
        }
        let bad = v.findings.len();
        v.check(
            format!(
                "{} of {} refusal(s) handled",
                refused.len() - bad.min(refused.len()),
                refused.len()
            ),
            if bad == 0 {
                Outcome::Pass
            } else {
                Outcome::Warn
            },
            "",
        );
        (v, seqs)
    }

    fn gives_up(&self) -> (Verdict, Vec<usize>) {
        let mut per: BTreeMap<(String, String), Vec<&Observed>> = BTreeMap::new();
        for r in &self.c.requests {
            if r.injected.as_ref().is_some_and(|i| i.outage) {
                per.entry((r.path.clone(), r.query.clone().unwrap_or_default()))
                    .or_default()
                    .push(r);
            }
        }
        if per.is_empty() {
            let why = format!(
                "the consumer never met the permanent outage (it did not request `{OUTAGE}`)"
            );
            return if self.profile.expects(OUTAGE) {
                (
                    Verdict::with(Outcome::Fail, format!("{why}, but the profile expects it")),
                    self.sample(),
                )
            } else {
                (Verdict::skip(why), vec![])
            };
        }
        let mut v = Verdict::new();
        let mut seqs = Vec::new();
        for ((path, _), rs) in &per {
            seqs.extend(rs.iter().map(|r| r.seq).take(MAX_ATTEMPTS + 1));
            v.require(
                format!("{path}: {} attempt(s)", rs.len()),
                rs.len() <= MAX_ATTEMPTS,
                format!(
                    "a request that kept failing with 503 was attempted {} times (at most {MAX_ATTEMPTS})",
                    rs.len()
                ),
            );
        }
        (v, seqs)
    }

    fn writes(&self) -> (Verdict, Vec<usize>) {
        let writes: Vec<&Observed> = self
            .c
            .requests
            .iter()
            .filter(|r| {
                r.path.starts_with(GRADEBOOK_BASE_PATH)
                    && matches!(r.method.as_str(), "PUT" | "POST")
            })
            .collect();
        if writes.is_empty() {
            let why = "the consumer wrote no gradebook data";
            return if self.profile.expects("writes") {
                (
                    Verdict::with(
                        Outcome::Fail,
                        format!("{why}, but the profile expects writes"),
                    ),
                    self.sample(),
                )
            } else {
                (Verdict::skip(why), vec![])
            };
        }
        let mut v = Verdict::new();
        for r in &writes {
            for m in check_write(r) {
                v.finding(finding(ids::WRITES, r, "body", Outcome::Fail, m));
            }
        }
        self.conclude(v, &writes, "write(s)", Outcome::Fail)
    }
}

/// Records `[0, n)` covered by pages `(offset, count)` from offset 0 on.
fn coverage(pages: impl Iterator<Item = (u64, u64)>) -> u64 {
    let mut ps: Vec<(u64, u64)> = pages.collect();
    ps.sort_unstable();
    let mut end = 0;
    for (o, n) in ps {
        if o <= end {
            end = end.max(o + n);
        }
    }
    end
}

fn accepts_json(accept: &str) -> bool {
    accept.split(',').any(|r| {
        let range = r
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        matches!(range.as_str(), "*/*" | "application/*" | "application/json")
            || range.ends_with("+json")
    })
}

/// Characters that must be percent-encoded in a filter value.
const UNENCODED: &[char] = &['\'', ' ', '=', '"', '<', '>', '!', '~'];

/// The raw (undecoded) values of parameter `name`.
fn raw_params<'q>(query: &'q str, name: &str) -> Vec<&'q str> {
    query
        .split('&')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then_some(v)
        })
        .collect()
}

/// Checks a decoded filter against the OneRoster grammar:
/// `field op 'value'` joined by ` AND ` / ` OR ` (single spaces).
pub fn check_filter(f: &str) -> Result<(), String> {
    let b = f.as_bytes();
    let mut i = 0;
    let n = b.len();
    loop {
        let start = i;
        while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
            i += 1;
        }
        if i == start {
            return Err(format!("a field name is expected at position {start}"));
        }
        let ops: [&str; 7] = ["!=", ">=", "<=", "=", ">", "<", "~"];
        let Some(op) = ops.iter().find(|o| f[i..].starts_with(**o)) else {
            return Err(format!(
                "a predicate (=, !=, >, >=, <, <=, ~) is expected after `{}`",
                &f[start..i]
            ));
        };
        i += op.len();
        if i >= n || b[i] != b'\'' {
            return Err(format!(
                "the value after `{}{op}` must be in single quotes",
                &f[start..i - op.len()]
            ));
        }
        i += 1;
        loop {
            if i >= n {
                return Err("unterminated quoted value".into());
            }
            if b[i] == b'\'' {
                if i + 1 < n && b[i + 1] == b'\'' {
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            i += 1;
        }
        if i == n {
            return Ok(());
        }
        let rest = &f[i..];
        if let Some(r) = rest
            .strip_prefix(" AND ")
            .or_else(|| rest.strip_prefix(" OR "))
        {
            i = n - r.len();
        } else {
            return Err(format!(
                "` AND ` or ` OR ` expected at position {i}, found `{rest}`"
            ));
        }
    }
}

fn sourced_ref(o: &serde_json::Map<String, Value>, k: &str) -> bool {
    o.get(k)
        .and_then(|r| r.get("sourcedId"))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

/// Problems of one gradebook write (empty when valid).
fn check_write(r: &Observed) -> Vec<String> {
    let mut out = Vec::new();
    if !r.header("content-type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    }) {
        out.push(format!(
            "Content-Type is {:?}, not application/json",
            r.header("content-type")
        ));
    }
    let rest = r.path.strip_prefix(GRADEBOOK_BASE_PATH).unwrap_or_default();
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let body: Value = match serde_json::from_slice(&r.body) {
        Ok(v) => v,
        Err(e) => {
            out.push(format!("the body is not JSON: {e}"));
            return out;
        }
    };
    if r.method != "PUT" {
        return out;
    }
    let (wrapper, required, refs): (&str, &[&str], &[&str]) = match segs.as_slice() {
        ["lineItems", _] => (
            "lineItem",
            &[
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "assignDate",
                "dueDate",
            ],
            &["class", "school", "category", "academicSession"],
        ),
        ["results", _] => (
            "result",
            &[
                "sourcedId",
                "status",
                "dateLastModified",
                "scoreStatus",
                "scoreDate",
            ],
            &["lineItem", "student"],
        ),
        _ => return out,
    };
    let Some(obj) = body.get(wrapper).and_then(Value::as_object) else {
        out.push(format!(
            "the body is not wrapped in `{{\"{wrapper}\": {{...}}}}`"
        ));
        return out;
    };
    for k in required {
        if obj.get(*k).is_none_or(Value::is_null) {
            out.push(format!("`{wrapper}.{k}` is required"));
        }
    }
    for k in refs {
        if !sourced_ref(obj, k) {
            out.push(format!("`{wrapper}.{k}` must reference a sourcedId"));
        }
    }
    if let Some(id) = segs.get(1)
        && obj
            .get("sourcedId")
            .and_then(Value::as_str)
            .is_some_and(|s| s != *id)
    {
        out.push(format!(
            "`{wrapper}.sourcedId` differs from the path's `{id}`"
        ));
    }
    if let Some(s) = obj.get("status").and_then(Value::as_str)
        && !matches!(s, "active" | "tobedeleted")
    {
        out.push(format!(
            "`{wrapper}.status` `{s}` is not active|tobedeleted"
        ));
    }
    if wrapper == "result" {
        if let Some(s) = obj.get("scoreStatus").and_then(Value::as_str)
            && !matches!(
                s,
                "exempt" | "fully graded" | "not submitted" | "partially graded" | "submitted"
            )
        {
            out.push(format!(
                "`result.scoreStatus` `{s}` is not in the 1.2 vocabulary"
            ));
        }
        if obj.get("score").is_some_and(|s| !s.is_number()) {
            out.push("`result.score` must be a number".into());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("status='active'", true)]
    #[case("role='student' AND status='active'", true)]
    #[case("familyName~'o''brien'", true)]
    #[case("dateLastModified>='2024-01-01'", true)]
    #[case("status eq 'active'", false)]
    #[case("status=active", false)]
    #[case("status='active' and role='x'", false)]
    #[case("status='active'  AND role='x'", false)]
    #[case("='x'", false)]
    #[case("status='active", false)]
    #[case("prénom='x'", false)]
    #[case("familyName='José'", true)]
    fn the_filter_grammar(#[case] f: &str, #[case] ok: bool) {
        assert_eq!(check_filter(f).is_ok(), ok, "{f}: {:?}", check_filter(f));
    }

    #[rstest]
    #[case("*/*", true)]
    #[case("application/json", true)]
    #[case("text/html, application/json;q=0.9", true)]
    #[case("application/xml", false)]
    fn accept_ranges(#[case] a: &str, #[case] ok: bool) {
        assert_eq!(accepts_json(a), ok);
    }

    #[test]
    fn coverage_counts_contiguous_pages_only() {
        assert_eq!(coverage([(0, 4), (4, 4), (8, 2)].into_iter()), 10);
        assert_eq!(coverage([(0, 4), (100, 4)].into_iter()), 4);
        assert_eq!(coverage([(4, 4)].into_iter()), 0);
    }

    fn profile(extra: &str) -> super::super::ConsumerProfile {
        let text = format!(
            "[candidate]\nname = \"t\"\n[oneroster-consumer]\nsis_listen = \"127.0.0.1:1\"\nclient_secret = \"file:/dev/null\"\n{extra}"
        );
        accredit_core::profile::ProfileDoc::parse("p", &text, &["oneroster-consumer"])
            .and_then(|d| d.require_section("oneroster-consumer"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn obs(seq: usize, at_ms: u64, method: &str, path: &str, query: Option<&str>) -> Observed {
        Observed {
            seq,
            at: Duration::from_millis(at_ms),
            method: method.into(),
            path: path.into(),
            query: query.map(str::to_string),
            headers: vec![],
            body: vec![],
            status: 200,
            injected: None,
            page: None,
            issued_token: None,
            write_sunk: false,
            received_unix: 1_700_000_000,
        }
    }

    fn page(seq: usize, offset: u64, count: u64, total: u64) -> Observed {
        let mut o = obs(
            seq,
            seq as u64 * 10,
            "GET",
            &format!("{BASE_PATH}/users"),
            None,
        );
        o.page = Some(Page {
            collection: "users".into(),
            offset,
            limit: 4,
            count,
            total,
            next: None,
            filter: None,
            extended: offset.is_multiple_of(8),
            stripped: offset % 8 == 4,
        });
        o
    }

    fn outcome(c: &Collected, extra: &str, id: &str) -> Outcome {
        let p = profile(extra);
        Judge { c, profile: &p }.judge(id).0.outcome()
    }

    #[rstest]
    #[case::contiguous(&[(0, 4), (4, 4), (8, 2)], Outcome::Pass, Outcome::Pass)]
    #[case::retry_of_same_page(&[(0, 4), (0, 4), (4, 4), (8, 2)], Outcome::Pass, Outcome::Pass)]
    #[case::overlap(&[(0, 4), (3, 4), (7, 3)], Outcome::Fail, Outcome::Pass)]
    #[case::gap(&[(0, 4), (8, 2)], Outcome::Fail, Outcome::Fail)]
    #[case::stopped(&[(0, 4)], Outcome::Skip, Outcome::Fail)]
    fn paging_is_judged_from_served_pages(
        #[case] pages: &[(u64, u64)],
        #[case] consistent: Outcome,
        #[case] to_last: Outcome,
    ) {
        let c = Collected {
            requests: pages
                .iter()
                .enumerate()
                .map(|(i, (o, n))| page(i + 1, *o, *n, 10))
                .collect(),
            ..Collected::default()
        };
        assert_eq!(outcome(&c, "", ids::CONSISTENT), consistent);
        assert_eq!(outcome(&c, "", ids::TO_LAST), to_last);
    }

    #[rstest]
    #[case::waited(1000, Outcome::Pass)]
    #[case::early(300, Outcome::Warn)]
    fn retry_after_is_measured(#[case] retry_ms: u64, #[case] want: Outcome) {
        let path = format!("{BASE_PATH}/users");
        let mut refused = obs(1, 0, "GET", &path, None);
        refused.status = 429;
        refused.injected = Some(Injected {
            status: 429,
            retry_after: Some(1),
            outage: false,
        });
        let c = Collected {
            requests: vec![refused, obs(2, retry_ms, "GET", &path, None)],
            ..Collected::default()
        };
        assert_eq!(outcome(&c, "", ids::RETRY_429), want);
        // Not tested when the profile turns retries off.
        assert_eq!(
            outcome(&c, "test_retries = false", ids::RETRY_429),
            Outcome::Skip
        );
    }

    #[test]
    fn an_unexercised_expected_behaviour_fails_and_an_unexpected_one_skips() {
        let c = Collected {
            requests: vec![page(1, 0, 4, 4)],
            ..Collected::default()
        };
        assert_eq!(outcome(&c, "", ids::FILTER_GRAMMAR), Outcome::Skip);
        assert_eq!(
            outcome(&c, "expects = [\"filter\"]", ids::FILTER_GRAMMAR),
            Outcome::Fail
        );
        assert_eq!(outcome(&c, "", ids::WRITES), Outcome::Skip);
        assert_eq!(
            outcome(&c, "expects = [\"writes\"]", ids::WRITES),
            Outcome::Fail
        );
        assert_eq!(outcome(&c, "", ids::GIVES_UP), Outcome::Skip);
    }

    #[rstest]
    #[case::valid(r#"{"result":{"sourcedId":"r1","status":"active","dateLastModified":"2024-01-01T00:00:00Z","scoreStatus":"fully graded","scoreDate":"2024-01-01","lineItem":{"sourcedId":"l"},"student":{"sourcedId":"u"},"score":3}}"#, 0)]
    #[case::unwrapped(r#"{"sourcedId":"r1","status":"active"}"#, 1)]
    #[case::bad_status_and_score(r#"{"result":{"sourcedId":"r1","status":"done","dateLastModified":"x","scoreStatus":"graded","scoreDate":"d","lineItem":{"sourcedId":"l"},"student":{"sourcedId":"u"},"score":"3"}}"#, 3)]
    #[case::path_mismatch_and_missing_refs(r#"{"result":{"sourcedId":"other","status":"active","dateLastModified":"x","scoreStatus":"exempt","scoreDate":"d"}}"#, 3)]
    fn result_writes_are_checked(#[case] body: &str, #[case] problems: usize) {
        let mut o = obs(
            1,
            0,
            "PUT",
            &format!("{GRADEBOOK_BASE_PATH}/results/r1"),
            None,
        );
        o.headers = vec![("content-type".into(), "application/json".into())];
        o.body = body.as_bytes().to_vec();
        assert_eq!(check_write(&o).len(), problems, "{:?}", check_write(&o));
    }

    #[test]
    fn the_secret_in_a_query_is_found() {
        let mut o = obs(
            1,
            0,
            "POST",
            TOKEN_PATH,
            Some("client_id=a&client_secret=s3cr3t"),
        );
        o.status = 200;
        let c = Collected {
            requests: vec![o],
            ..Collected::default()
        };
        let p = profile("");
        let (v, _) = Judge { c: &c, profile: &p }.judge(ids::SECRET_URL);
        assert_eq!(v.outcome(), Outcome::Fail);
    }

    /// A 1.1 GET signed as `key`/`secret` at `ts` with `nonce`.
    fn signed_get(seq: usize, key: &str, secret: &str, ts: i64, nonce: &str) -> Observed {
        let url = url::Url::parse(&format!(
            "http://127.0.0.1:9{V1P1_BASE_PATH}/users?limit=4&offset=0"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let s = oauth1::Signing {
            consumer_key: key,
            consumer_secret: secret,
            method: oauth1::SignatureMethod::HmacSha1,
            timestamp: ts,
            nonce,
        };
        let h =
            oauth1::authorization_header(&s, "GET", &url, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut o = obs(seq, 0, "GET", url.path(), url.query());
        o.headers = vec![
            ("host".into(), "127.0.0.1:9".into()),
            ("authorization".into(), h),
        ];
        o
    }

    fn v1p1_outcome(c: &Collected, secret_file: &std::path::Path, id: &str) -> Outcome {
        let mut p = profile("version = \"1.1\"\nclient_id = \"key\"\n");
        p.client_secret = accredit_core::profile::Secret::from_value(
            format!("file:{}", secret_file.display()),
            "s3cr3t",
        );
        Judge { c, profile: &p }.judge(id).0.outcome()
    }

    #[rstest]
    #[case::good(&[("key", "s3cr3t", 0, "n1"), ("key", "s3cr3t", 1, "n2")], [Outcome::Pass; 4])]
    #[case::wrong_secret(&[("key", "nope", 0, "n1")], [Outcome::Pass, Outcome::Fail, Outcome::Pass, Outcome::Pass])]
    #[case::wrong_key(&[("other", "s3cr3t", 0, "n1")], [Outcome::Fail, Outcome::Pass, Outcome::Pass, Outcome::Pass])]
    #[case::nonce_replayed(&[("key", "s3cr3t", 0, "n1"), ("key", "s3cr3t", 2, "n1")], [Outcome::Pass, Outcome::Pass, Outcome::Fail, Outcome::Pass])]
    #[case::stale(&[("key", "s3cr3t", -3600, "n1")], [Outcome::Pass, Outcome::Pass, Outcome::Pass, Outcome::Fail])]
    fn oauth1_requests_are_judged(
        #[case] reqs: &[(&str, &str, i64, &str)],
        #[case] want: [Outcome; 4],
    ) {
        let now = 1_700_000_000;
        let c = Collected {
            requests: reqs
                .iter()
                .enumerate()
                .map(|(i, (k, s, dt, n))| signed_get(i + 1, k, s, now + dt, n))
                .collect(),
            ..Collected::default()
        };
        let f = std::path::Path::new("/dev/null");
        let got = [
            ids::OAUTH1_SIGNED,
            ids::OAUTH1_SIGNATURE,
            ids::OAUTH1_NONCE,
            ids::OAUTH1_TIMESTAMP,
        ]
        .map(|id| v1p1_outcome(&c, f, id));
        assert_eq!(got, want);
        // Under 1.2 the same cases do not apply, and 1.2's token cases skip under 1.1.
        assert_eq!(outcome(&c, "", ids::OAUTH1_SIGNED), Outcome::Skip);
        assert_eq!(v1p1_outcome(&c, f, ids::TOKEN), Outcome::Skip);
        assert_eq!(v1p1_outcome(&c, f, ids::WRITES), Outcome::Skip);
    }

    #[test]
    fn an_unsigned_1p1_request_fails_and_a_sent_secret_is_found() {
        let mut o = obs(1, 0, "GET", &format!("{V1P1_BASE_PATH}/users"), None);
        o.received_unix = 1_700_000_000;
        o.headers = vec![("x-consumer-secret".into(), "s3cr3t".into())];
        let c = Collected {
            requests: vec![o],
            ..Collected::default()
        };
        let f = std::path::Path::new("/dev/null");
        assert_eq!(v1p1_outcome(&c, f, ids::OAUTH1_SIGNED), Outcome::Fail);
        assert_eq!(v1p1_outcome(&c, f, ids::OAUTH1_SIGNATURE), Outcome::Skip);
        assert_eq!(v1p1_outcome(&c, f, ids::SECRET_URL), Outcome::Fail);
    }
}
