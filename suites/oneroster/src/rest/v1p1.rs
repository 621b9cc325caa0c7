//! OneRoster **1.1** REST cases of the `oneroster-provider` suite
//! (`oneroster.provider.v1p1.*`): the harness plays a 1.1 consumer that signs
//! every request with OAuth 1.0a ([`super::oauth1`]).
//!
//! Why 1.1 still matters: most SIS integrations in the field speak 1.1, whose
//! security (request signing, no tokens) and payloads (`role` single-valued,
//! `orgs[]`, the `statusInfoSet` error wrapper) differ from 1.2, and a 1.2
//! certification says nothing about them. The cases judge what a 1.1 consumer
//! depends on: that unsigned, mis-signed, replayed and stale requests are
//! refused (a provider that skips any of these is open to forgery or replay),
//! that the signature methods the profile claims work, the envelopes, required
//! fields, 1.1 enumerations and date formats, the 1.1 error payload, paging
//! and the filter grammar.
//!
//! The 1.1 gradebook cases (`oneroster.provider.v1p1.gradebook.*`) are in
//! [`super::v1p1_gradebook`]; [`catalog`] includes them and [`run_any`]
//! dispatches to them.
//!
//! The suite's catalog chains these cases after the 1.2 ones; a profile's
//! `version` decides which half runs, the other half is `skip` with the
//! reason ([`run_any`]).

use std::collections::HashSet;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::Value;

use accredit_core::http::Captured;
use accredit_core::profile::Secret;
use accredit_core::{CaseCx, CaseMeta, Level, Outcome, SuiteError, Verdict};
use accredit_mock_platform::oneroster::Fault;

use super::cases::{self, Fixture};
use super::oauth1::{self, SignatureMethod, Signing};
use super::{ProviderProfile, ReferenceSis};

/// Prefix of every 1.1 case id.
pub const V1P1_PREFIX: &str = "oneroster.provider.v1p1.";

/// The OneRoster version a provider profile certifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum OneRosterVersion {
    /// OneRoster 1.1 (`/ims/oneroster/v1p1`, OAuth 1.0a signing).
    #[serde(rename = "1.1")]
    V1p1,
    /// OneRoster 1.2 (`/ims/oneroster/rostering/v1p2`, OAuth 2 bearer tokens).
    #[default]
    #[serde(rename = "1.2")]
    V1p2,
}

/// Which signature methods the provider claims to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum SignatureMethods {
    /// `HMAC-SHA1` only (RFC 5849).
    #[default]
    #[serde(rename = "HMAC-SHA1")]
    HmacSha1,
    /// `HMAC-SHA256` only (the 1.1 errata).
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
    /// Both.
    #[serde(rename = "both")]
    Both,
}

impl SignatureMethods {
    /// Whether `m` is claimed.
    pub fn accepts(self, m: SignatureMethod) -> bool {
        matches!(
            (self, m),
            (SignatureMethods::Both, _)
                | (SignatureMethods::HmacSha1, SignatureMethod::HmacSha1)
                | (SignatureMethods::HmacSha256, SignatureMethod::HmacSha256)
        )
    }

    /// The method ordinary requests are signed with (SHA-1 when claimed).
    pub fn primary(self) -> SignatureMethod {
        if self.accepts(SignatureMethod::HmacSha1) {
            SignatureMethod::HmacSha1
        } else {
            SignatureMethod::HmacSha256
        }
    }
}

/// The `[oneroster-provider.oauth1]` table (OneRoster 1.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oauth1Profile {
    /// The consumer key the provider issued to the harness.
    pub consumer_key: String,
    /// The consumer secret (`env:NAME` / `file:PATH`).
    pub consumer_secret: Secret,
    /// The signature methods the provider accepts (default `HMAC-SHA1`).
    #[serde(default)]
    pub signature_method: SignatureMethods,
}

/// Checks the 1.1 part of a profile and registers its secret with the
/// redactor; called when the suite starts.
pub(super) fn prepare(
    profile: &ProviderProfile,
    redactor: &accredit_core::reports::Redactor,
) -> Result<(), SuiteError> {
    match (&profile.version, &profile.oauth1) {
        (OneRosterVersion::V1p1, None) => Err(SuiteError::Usage(
            "[oneroster-provider] version = \"1.1\" needs an [oneroster-provider.oauth1] table (consumer_key, consumer_secret)".into(),
        )),
        (_, Some(o)) => {
            redactor.add_secret(o.consumer_secret.expose());
            Ok(())
        }
        (OneRosterVersion::V1p2, None) => Ok(()),
    }
}

/// The profile text for the reference SIS's 1.1 surface (the demo and the
/// tests): the 1.2 demo profile pointed at `/ims/oneroster/v1p1`, with the
/// client id and secret as consumer key and secret and both methods claimed.
pub fn v1p1_demo_profile(sis: &ReferenceSis) -> String {
    let secret_ref = sis.bundle.parent().map_or_else(
        || "file:sis-client-secret".to_string(),
        |d| format!("file:{}", d.join("sis-client-secret").display()),
    );
    let base = super::provider_demo_profile(
        "accredit reference SIS (OneRoster 1.1)",
        &sis.sis.v1p1_url(),
        &sis.sis.token_url(),
        sis.sis.client_id(),
        &secret_ref,
        sis.sis.scopes(),
    );
    format!(
        "{base}version = \"1.1\"\n\n[{}.oauth1]\nconsumer_key = {:?}\nconsumer_secret = {:?}\nsignature_method = \"both\"\n",
        super::PROVIDER_SUITE_ID,
        sis.sis.client_id(),
        secret_ref
    )
}

impl FaultExt for Fault {
    fn v1p1(self) -> bool {
        matches!(
            self,
            Fault::Oauth1SignatureUnchecked
                | Fault::Oauth1NonceReplayAccepted
                | Fault::Oauth1TimestampUnchecked
                | Fault::Oauth1Sha256Unsupported
                | Fault::V1p1ErrorShapeWrong
                | Fault::V1p1EnvelopeWrong
                | Fault::V1p1Uses1p2UserFields
        ) || self.v1p1_gradebook()
    }

    fn v1p1_gradebook(self) -> bool {
        super::v1p1_gradebook::is_gradebook_fault(self)
    }
}

/// Which surface a reference-SIS [`Fault`] breaks.
pub trait FaultExt {
    /// `true` for the faults of the 1.1 surface only (they break no 1.2 case).
    fn v1p1(self) -> bool;
    /// `true` for the faults of the 1.1 gradebook (a subset of [`FaultExt::v1p1`]).
    fn v1p1_gradebook(self) -> bool;
}

// ---- catalog ---------------------------------------------------------------------

macro_rules! ids {
    ($($name:ident = $id:literal;)*) => {
        $(#[doc = concat!("`", $id, "`")] pub const $name: &str = $id;)*
    };
}

ids! {
    AUTH_UNSIGNED = "oneroster.provider.v1p1.auth.unsigned";
    AUTH_BAD_SIGNATURE = "oneroster.provider.v1p1.auth.bad-signature";
    AUTH_REPLAYED_NONCE = "oneroster.provider.v1p1.auth.replayed-nonce";
    AUTH_STALE_TIMESTAMP = "oneroster.provider.v1p1.auth.stale-timestamp";
    AUTH_HMAC_SHA1 = "oneroster.provider.v1p1.auth.hmac-sha1";
    AUTH_HMAC_SHA256 = "oneroster.provider.v1p1.auth.hmac-sha256";
    COLLECTIONS = "oneroster.provider.v1p1.read.collections";
    SINGLE = "oneroster.provider.v1p1.read.single";
    REQUIRED = "oneroster.provider.v1p1.model.required-fields";
    ENUMS = "oneroster.provider.v1p1.model.enumerations";
    DATES = "oneroster.provider.v1p1.model.dates";
    ERRORS = "oneroster.provider.v1p1.errors.payload";
    PAGING = "oneroster.provider.v1p1.paging.offset-limit";
    LINK = "oneroster.provider.v1p1.paging.link";
    FILTER = "oneroster.provider.v1p1.filter";
}

const SPEC: &str = "OneRoster 1.1 REST Binding";
const BINDING: &str = "https://www.imsglobal.org/oneroster-v11-final-specification";
const INFO_MODEL: &str = "https://www.imsglobal.org/oneroster-v11-final-information-model";
const RFC5849: &str = "https://www.rfc-editor.org/rfc/rfc5849";

#[allow(clippy::too_many_arguments)]
const fn meta(
    id: &'static str,
    title: &'static str,
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
        role: "provider",
        spec_document: SPEC,
        spec_section: section,
        spec_url: url,
        requirement,
        level,
        official,
        tags,
        exclusive: false,
    }
}

/// The 1.1 cases, in report order.
pub fn catalog() -> Vec<CaseMeta> {
    use Level::{Must, Should};
    const AUTH: &[&str] = &["oneroster", "v1p1", "auth", "oauth1"];
    vec![
        meta(
            AUTH_UNSIGNED,
            "An unsigned request is refused with 401",
            "Security: OAuth 1.0a",
            BINDING,
            "All requests must be signed using OAuth 1.0a one-legged request signing; an unauthorised request is refused with 401 'unauthorisedrequest'.",
            Must,
            true,
            AUTH,
        ),
        meta(
            AUTH_BAD_SIGNATURE,
            "A request signed with the wrong secret is refused with 401",
            "RFC 5849 §3.2",
            RFC5849,
            "The server MUST recalculate the signature and verify it matches the value of the oauth_signature parameter.",
            Must,
            true,
            AUTH,
        ),
        meta(
            AUTH_REPLAYED_NONCE,
            "A replayed nonce is refused with 401",
            "RFC 5849 §3.3",
            RFC5849,
            "The nonce value MUST be unique across all requests with the same timestamp, client credentials, and token combinations.",
            Must,
            true,
            AUTH,
        ),
        meta(
            AUTH_STALE_TIMESTAMP,
            "A request with a timestamp an hour old is refused with 401",
            "RFC 5849 §3.3",
            RFC5849,
            "Servers SHOULD restrict the time period within which a request with an old timestamp is accepted, so that the nonces they must remember stay bounded.",
            Should,
            false,
            AUTH,
        ),
        meta(
            AUTH_HMAC_SHA1,
            "A request signed with HMAC-SHA1 is accepted",
            "RFC 5849 §3.4.2",
            RFC5849,
            "The HMAC-SHA1 signature method uses the HMAC-SHA1 signature algorithm as defined in RFC 2104.",
            Must,
            true,
            AUTH,
        ),
        meta(
            AUTH_HMAC_SHA256,
            "A request signed with HMAC-SHA256 is accepted",
            "OneRoster 1.1 errata: HMAC-SHA256",
            BINDING,
            "OneRoster 1.1 providers may accept HMAC-SHA256 request signatures in addition to HMAC-SHA1.",
            Must,
            true,
            AUTH,
        ),
        meta(
            COLLECTIONS,
            "Every 1.1 collection endpoint answers 200 with its envelope",
            "getAll*",
            BINDING,
            "A collection is returned in a JSON object whose single property is the plural name of the collection (e.g. {\"users\": [...]}).",
            Must,
            true,
            &["oneroster", "v1p1", "read"],
        ),
        meta(
            SINGLE,
            "A single object is returned in its singular envelope",
            "get*",
            BINDING,
            "A single object is returned in a JSON object whose single property is the singular name of the class (e.g. {\"user\": {...}}).",
            Must,
            true,
            &["oneroster", "v1p1", "read"],
        ),
        meta(
            REQUIRED,
            "Records carry the 1.1 required fields (users: role and orgs)",
            "Information model: required attributes",
            INFO_MODEL,
            "Required attributes (e.g. a user's sourcedId, status, dateLastModified, username, enabledUser, givenName, familyName, role and orgs) MUST be present.",
            Must,
            true,
            &["oneroster", "v1p1", "model"],
        ),
        meta(
            ENUMS,
            "Enumerated values are from the 1.1 vocabularies, case-sensitive",
            "Information model: enumerations",
            INFO_MODEL,
            "Enumerated values (status, org type, session type, classType, role) MUST be one of the 1.1 tokens, case-sensitive; enabledUser and primary are the strings \"true\"/\"false\".",
            Must,
            true,
            &["oneroster", "v1p1", "model"],
        ),
        meta(
            DATES,
            "dateLastModified is an ISO 8601 date-time, session and enrollment dates are dates",
            "Information model: data types",
            INFO_MODEL,
            "dateLastModified is a DateTime (ISO 8601 with time and zone); startDate, endDate and beginDate are Dates (YYYY-MM-DD).",
            Must,
            true,
            &["oneroster", "v1p1", "model"],
        ),
        meta(
            ERRORS,
            "Failures carry the 1.1 statusInfoSet payload",
            "Status codes and the imsx_StatusInfo payload",
            BINDING,
            "A failure response carries {\"statusInfoSet\": [...]} whose entries have imsx_codeMajor \"failure\", imsx_severity \"error\" and an imsx_CodeMinor field value naming the failure (unknownobject, invalid_filter_field, unauthorisedrequest...).",
            Must,
            true,
            &["oneroster", "v1p1", "errors"],
        ),
        meta(
            PAGING,
            "limit/offset page a collection and X-Total-Count gives the total",
            "Pagination",
            BINDING,
            "limit and offset page through a collection; the total number of records MUST be returned in the X-Total-Count header.",
            Must,
            true,
            &["oneroster", "v1p1", "paging"],
        ),
        meta(
            LINK,
            "Paged collections carry a Link header whose next page can be followed",
            "Pagination",
            BINDING,
            "The response SHOULD carry an RFC 5988 Link header with the next, last, first and prev pages.",
            Should,
            true,
            &["oneroster", "v1p1", "paging"],
        ),
        meta(
            FILTER,
            "The filter grammar selects matching records, AND included",
            "Filtering",
            BINDING,
            "filter=field op 'value' [AND|OR field op 'value'] returns only the records that satisfy the expression.",
            Must,
            true,
            &["oneroster", "v1p1", "filter"],
        ),
    ]
    .into_iter()
    .chain(super::v1p1_gradebook::catalog())
    .collect()
}

// ---- dispatch -------------------------------------------------------------------

/// Runs a case of either version, or skips it when it does not apply to the
/// profile's version.
pub(super) fn run_any<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    let is_1p1 = cx.meta.id.starts_with(V1P1_PREFIX);
    match (fx.profile.version, is_1p1) {
        (OneRosterVersion::V1p2, false) => cases::run_case(fx, cx),
        (OneRosterVersion::V1p1, true) if cx.meta.id.starts_with(super::v1p1_gradebook::PREFIX) => {
            super::v1p1_gradebook::run_case(fx, cx)
        }
        (OneRosterVersion::V1p1, true) => run_case(fx, cx),
        (OneRosterVersion::V1p2, true) => Box::pin(async {
            Verdict::skip("a OneRoster 1.1 case; the profile certifies version 1.2")
        }),
        (OneRosterVersion::V1p1, false) => Box::pin(async {
            Verdict::skip("a OneRoster 1.2 case; the profile certifies version 1.1")
        }),
    }
}

/// A problem that stops a case: an error (could not run) or a failure.
pub(super) enum Stop {
    Error(String),
    Fail(String, String),
}

impl Stop {
    pub(super) fn into_verdict(self, mut v: Verdict) -> Verdict {
        match self {
            Stop::Error(e) => {
                v.check("the provider answered", Outcome::Error, e);
            }
            Stop::Fail(name, detail) => {
                v.require(name, false, detail);
            }
        }
        v
    }
}

pub(super) fn snippet(r: &Captured) -> String {
    let cut: String = r.text().trim().chars().take(160).collect();
    if cut.is_empty() {
        "empty body".into()
    } else {
        cut
    }
}

/// How a request is signed (or spoiled); the default signs it correctly.
#[derive(Debug, Clone, Default)]
pub(super) struct Sign {
    method: Option<SignatureMethod>,
    wrong_secret: bool,
    timestamp: Option<i64>,
    nonce: Option<String>,
    unsigned: bool,
}

impl Sign {
    /// No `Authorization` header at all.
    pub(super) fn unsigned() -> Sign {
        Sign {
            unsigned: true,
            ..Sign::default()
        }
    }

    /// Signed with a secret that is not the consumer's.
    pub(super) fn wrong_secret() -> Sign {
        Sign {
            wrong_secret: true,
            ..Sign::default()
        }
    }
}

/// The OneRoster 1.1 client: every request signed with OAuth 1.0a as a
/// [`Sign`] says (the rostering and the gradebook cases share it). The body
/// of a PUT is JSON, so it is not part of the signature base string.
pub(super) struct Client<'a> {
    cx: &'a CaseCx,
    /// The 1.1 service base URL, without a trailing slash.
    pub(super) base: String,
    o: &'a Oauth1Profile,
}

pub(super) fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl<'a> Client<'a> {
    pub(super) fn new(fx: &'a Fixture, cx: &'a CaseCx) -> Result<Client<'a>, Stop> {
        let o = fx.profile.oauth1.as_ref().ok_or_else(|| {
            Stop::Error("the profile has no [oneroster-provider.oauth1] table".into())
        })?;
        Ok(Client {
            cx,
            base: fx
                .profile
                .base_url
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            o,
        })
    }

    fn url(&self, rel: &str) -> String {
        format!("{}/{rel}", self.base)
    }

    /// `method rel` (with a JSON `body`), signed as `how` says; the
    /// response and the nonce used.
    pub(super) async fn request(
        &self,
        method: reqwest::Method,
        rel: &str,
        body: Option<&Value>,
        how: &Sign,
    ) -> Result<(Captured, String), Stop> {
        let url = self.url(rel);
        let parsed =
            url::Url::parse(&url).map_err(|e| Stop::Error(format!("bad URL {url}: {e}")))?;
        let nonce = how.nonce.clone().unwrap_or_else(fresh_nonce);
        let mut b = self
            .cx
            .http()
            .inner()
            .request(method.clone(), parsed.as_str());
        if !how.unsigned {
            let wrong = format!("{}-not-the-secret", self.o.consumer_secret.expose());
            let s = Signing {
                consumer_key: &self.o.consumer_key,
                consumer_secret: if how.wrong_secret {
                    &wrong
                } else {
                    self.o.consumer_secret.expose()
                },
                method: how
                    .method
                    .unwrap_or_else(|| self.o.signature_method.primary()),
                timestamp: how
                    .timestamp
                    .unwrap_or_else(|| chrono::Utc::now().timestamp()),
                nonce: &nonce,
            };
            let h = oauth1::authorization_header(&s, method.as_str(), &parsed, &[])
                .map_err(|e| Stop::Error(e.to_string()))?;
            b = b.header(reqwest::header::AUTHORIZATION, h);
        }
        if let Some(body) = body {
            b = b
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let r = self
            .cx
            .http()
            .send(b)
            .await
            .map_err(|e| Stop::Error(format!("{method} {url}: {e}")))?;
        Ok((r, nonce))
    }

    /// [`Client::request`] without the nonce.
    pub(super) async fn call(
        &self,
        method: reqwest::Method,
        rel: &str,
        body: Option<&Value>,
        how: &Sign,
    ) -> Result<Captured, Stop> {
        Ok(self.request(method, rel, body, how).await?.0)
    }

    /// GET `rel`, signed as `how` says; the nonce used is returned.
    async fn send(&self, rel: &str, how: &Sign) -> Result<(Captured, String), Stop> {
        self.request(reqwest::Method::GET, rel, None, how).await
    }

    /// A correctly signed GET.
    pub(super) async fn get(&self, rel: &str) -> Result<Captured, Stop> {
        Ok(self.send(rel, &Sign::default()).await?.0)
    }

    /// A correctly signed GET that must answer 200 with JSON.
    pub(super) async fn json(&self, rel: &str) -> Result<(Value, Captured), Stop> {
        let r = self.get(rel).await?;
        if r.status.as_u16() != 200 {
            return Err(Stop::Fail(
                format!("GET {rel} answered 200"),
                format!("answered {}: {}", r.status.as_u16(), snippet(&r)),
            ));
        }
        let body = r
            .json::<Value>()
            .map_err(|e| Stop::Fail(format!("GET {rel} answered JSON"), e.to_string()))?;
        Ok((body, r))
    }

    /// The records of a collection page (the envelope must be there).
    pub(super) async fn records(&self, rel: &str, envelope: &str) -> Result<Vec<Value>, Stop> {
        Ok(self.page(rel, envelope).await?.0)
    }

    /// A collection page: its records and the response.
    async fn page(&self, rel: &str, envelope: &str) -> Result<(Vec<Value>, Captured), Stop> {
        let (body, r) = self.json(rel).await?;
        let list = body
            .get(envelope)
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| {
                Stop::Fail(
                    format!("GET {rel} has the `{envelope}` envelope"),
                    format!("body: {}", snippet(&r)),
                )
            })?;
        Ok((list, r))
    }
}

/// The 1.1 collection endpoints the cases read, and their envelopes.
const ENDPOINTS: [(&str, &str, &str); 9] = [
    ("orgs", "orgs", "org"),
    ("schools", "orgs", "org"),
    ("academicSessions", "academicSessions", "academicSession"),
    ("courses", "courses", "course"),
    ("classes", "classes", "class"),
    ("users", "users", "user"),
    ("students", "users", "user"),
    ("teachers", "users", "user"),
    ("enrollments", "enrollments", "enrollment"),
];

/// Records per endpoint the model cases judge.
const SAMPLE: usize = 25;

/// Runs one 1.1 case.
fn run_case<'a>(fx: &'a Fixture, cx: &'a CaseCx) -> BoxFuture<'a, Verdict> {
    Box::pin(async move {
        let id = cx.meta.id;
        let c = match Client::new(fx, cx) {
            Ok(c) => c,
            Err(s) => return s.into_verdict(Verdict::new()),
        };
        let methods = c.o.signature_method;
        let mut v = Verdict::new();
        let r = match id {
            AUTH_UNSIGNED => {
                refused(
                    &c,
                    &mut v,
                    "unsigned",
                    &Sign {
                        unsigned: true,
                        ..Sign::default()
                    },
                )
                .await
            }
            AUTH_BAD_SIGNATURE => {
                refused(
                    &c,
                    &mut v,
                    "signed with the wrong secret",
                    &Sign {
                        wrong_secret: true,
                        ..Sign::default()
                    },
                )
                .await
            }
            AUTH_STALE_TIMESTAMP => {
                refused(
                    &c,
                    &mut v,
                    "timestamped an hour ago",
                    &Sign {
                        timestamp: Some(chrono::Utc::now().timestamp() - 3600),
                        ..Sign::default()
                    },
                )
                .await
            }
            AUTH_REPLAYED_NONCE => replay(&c, &mut v).await,
            AUTH_HMAC_SHA1 | AUTH_HMAC_SHA256 => {
                let m = if id == AUTH_HMAC_SHA1 {
                    SignatureMethod::HmacSha1
                } else {
                    SignatureMethod::HmacSha256
                };
                if !methods.accepts(m) {
                    return Verdict::skip(format!(
                        "the profile does not claim {} (signature_method)",
                        m.name()
                    ));
                }
                accepted(&c, &mut v, m).await
            }
            COLLECTIONS => collections(&c, &mut v).await,
            SINGLE => single(&c, &mut v).await,
            REQUIRED | ENUMS | DATES => model(&c, &mut v, id).await,
            ERRORS => errors(&c, &mut v).await,
            PAGING => paging(&c, &mut v).await,
            LINK => link(&c, &mut v).await,
            FILTER => filter(&c, &mut v).await,
            other => return Verdict::error(format!("no implementation for case {other}")),
        };
        match r {
            Ok(()) => v,
            Err(s) => s.into_verdict(v),
        }
    })
}

// ---- auth -------------------------------------------------------------------------

async fn refused(c: &Client<'_>, v: &mut Verdict, what: &str, how: &Sign) -> Result<(), Stop> {
    // A control first: the same request correctly signed must pass, or a 401
    // below proves nothing.
    let ok = c.get("users?limit=1").await?;
    if ok.status.as_u16() != 200 {
        return Err(Stop::Error(format!(
            "a correctly signed GET users answered {}: {}",
            ok.status.as_u16(),
            snippet(&ok)
        )));
    }
    let (r, _) = c.send("users?limit=1", how).await?;
    let s = r.status.as_u16();
    v.require(
        format!("a request {what} answered 401"),
        s == 401,
        format!("answered {s}: {}", snippet(&r)),
    );
    Ok(())
}

async fn replay(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let how = Sign {
        timestamp: Some(chrono::Utc::now().timestamp()),
        nonce: Some(fresh_nonce()),
        ..Sign::default()
    };
    let (first, _) = c.send("users?limit=1", &how).await?;
    if first.status.as_u16() != 200 {
        return Err(Stop::Error(format!(
            "the first, correctly signed request answered {}: {}",
            first.status.as_u16(),
            snippet(&first)
        )));
    }
    let (again, _) = c.send("users?limit=1", &how).await?;
    let s = again.status.as_u16();
    v.require(
        "the identical request replayed (same nonce and timestamp) answered 401",
        s == 401,
        format!("answered {s}: {}", snippet(&again)),
    );
    Ok(())
}

async fn accepted(c: &Client<'_>, v: &mut Verdict, m: SignatureMethod) -> Result<(), Stop> {
    let (r, _) = c
        .send(
            "users?limit=1",
            &Sign {
                method: Some(m),
                ..Sign::default()
            },
        )
        .await?;
    let s = r.status.as_u16();
    v.require(
        format!("a GET signed with {} answered 200", m.name()),
        s == 200,
        format!("answered {s}: {}", snippet(&r)),
    );
    Ok(())
}

// ---- reads ------------------------------------------------------------------------

async fn collections(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for (path, env, _) in ENDPOINTS {
        let (body, r) = c.json(&format!("{path}?limit=5")).await?;
        let ok = body.get(env).is_some_and(Value::is_array);
        v.require(
            format!("GET {path} answered {{\"{env}\": [...]}}"),
            ok,
            format!("body: {}", snippet(&r)),
        );
    }
    Ok(())
}

async fn single(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    for (path, env, one) in ENDPOINTS {
        if matches!(path, "schools" | "students" | "teachers") {
            continue;
        }
        let (list, _) = c.page(&format!("{path}?limit=1"), env).await?;
        let Some(id) = list
            .first()
            .and_then(|x| x.get("sourcedId"))
            .and_then(Value::as_str)
        else {
            v.check(
                format!("{path} has a record to read"),
                Outcome::Skip,
                "the collection is empty",
            );
            continue;
        };
        let rel = format!("{path}/{}", enc(id));
        let (body, r) = c.json(&rel).await?;
        let got = body
            .get(one)
            .and_then(|o| o.get("sourcedId"))
            .and_then(Value::as_str);
        v.require(
            format!("GET {path}/{{id}} answered {{\"{one}\": {{...}}}} with that sourcedId"),
            got == Some(id),
            format!("body: {}", snippet(&r)),
        );
    }
    Ok(())
}

pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The 1.1 required fields of a record in `envelope`.
fn required(envelope: &str) -> &'static [&'static str] {
    match envelope {
        "orgs" => &["sourcedId", "status", "dateLastModified", "name", "type"],
        "academicSessions" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "startDate",
            "endDate",
            "type",
            "schoolYear",
        ],
        "courses" => &["sourcedId", "status", "dateLastModified", "title", "org"],
        "classes" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "classType",
            "course",
            "school",
            "terms",
        ],
        "users" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "username",
            "enabledUser",
            "givenName",
            "familyName",
            "role",
            "orgs",
        ],
        "enrollments" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "user",
            "class",
            "school",
            "role",
        ],
        _ => &["sourcedId", "status", "dateLastModified"],
    }
}

const STATUS: &[&str] = &["active", "tobedeleted"];
const ORG_TYPES: &[&str] = &[
    "department",
    "school",
    "district",
    "local",
    "state",
    "national",
];
const SESSION_TYPES: &[&str] = &["gradingPeriod", "semester", "schoolYear", "term"];
const CLASS_TYPES: &[&str] = &["homeroom", "scheduled"];
const ROLES: &[&str] = &[
    "administrator",
    "aide",
    "guardian",
    "parent",
    "proctor",
    "relative",
    "student",
    "teacher",
];
const BOOLS: &[&str] = &["true", "false"];

/// `value` is a string in `allowed` (or an `ext:` extension when `ext`).
fn in_set(value: &Value, allowed: &[&str], ext: bool) -> bool {
    value
        .as_str()
        .is_some_and(|s| allowed.contains(&s) || (ext && s.starts_with("ext:") && s.len() > 4))
}

fn enum_problems(env: &str, r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, allowed: &[&str], ext: bool| {
        if let Some(x) = r.get(field)
            && !in_set(x, allowed, ext)
        {
            out.push(format!("{env} {}: {field} = {x}", cases_sid(r)));
        }
    };
    check("status", STATUS, false);
    match env {
        "orgs" => check("type", ORG_TYPES, true),
        "academicSessions" => check("type", SESSION_TYPES, true),
        "classes" => check("classType", CLASS_TYPES, true),
        "users" => {
            check("role", ROLES, false);
            check("enabledUser", BOOLS, false);
        }
        "enrollments" => {
            check("role", ROLES, false);
            check("primary", BOOLS, false);
        }
        _ => {}
    }
    out
}

pub(super) fn cases_sid(r: &Value) -> String {
    r.get("sourcedId")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string()
}

pub(super) fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10
}

pub(super) fn is_date_time(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn date_problems(env: &str, r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let id = cases_sid(r);
    if let Some(d) = r.get("dateLastModified")
        && !d.as_str().is_some_and(is_date_time)
    {
        out.push(format!(
            "{env} {id}: dateLastModified = {d} is not a date-time"
        ));
    }
    for f in ["startDate", "endDate", "beginDate"] {
        if let Some(d) = r.get(f)
            && !d.as_str().is_some_and(is_date)
        {
            out.push(format!("{env} {id}: {f} = {d} is not a date (YYYY-MM-DD)"));
        }
    }
    if env == "academicSessions"
        && let Some(y) = r.get("schoolYear")
        && !y
            .as_str()
            .is_some_and(|s| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
    {
        out.push(format!("{env} {id}: schoolYear = {y} is not a year"));
    }
    out
}

async fn model(c: &Client<'_>, v: &mut Verdict, id: &str) -> Result<(), Stop> {
    for (path, env, _) in ENDPOINTS {
        if matches!(path, "schools" | "students" | "teachers") {
            continue;
        }
        let (list, _) = c.page(&format!("{path}?limit={SAMPLE}"), env).await?;
        let mut problems: Vec<String> = Vec::new();
        for r in &list {
            match id {
                REQUIRED => {
                    for f in required(env) {
                        if r.get(*f).is_none_or(Value::is_null) {
                            problems.push(format!("{env} {}: no `{f}`", cases_sid(r)));
                        }
                    }
                }
                ENUMS => problems.extend(enum_problems(env, r)),
                _ => problems.extend(date_problems(env, r)),
            }
        }
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

// ---- errors -----------------------------------------------------------------------

/// Checks a failure: the status and the 1.1 `statusInfoSet` carrying `minor`.
pub(super) fn check_status_info(v: &mut Verdict, what: &str, r: &Captured, want: u16, minor: &str) {
    let s = r.status.as_u16();
    if !v.require(
        format!("{what}: answered {want}"),
        s == want,
        format!("answered {s}: {}", snippet(r)),
    ) {
        return;
    }
    let body: Value = r.json().unwrap_or(Value::Null);
    let set = body.get("statusInfoSet").and_then(Value::as_array);
    let ok = set.is_some_and(|set| {
        !set.is_empty()
            && set.iter().any(|i| {
                i.get("imsx_codeMajor").and_then(Value::as_str) == Some("failure")
                    && i.get("imsx_severity").and_then(Value::as_str) == Some("error")
                    && i.pointer("/imsx_CodeMinor/imsx_codeMinorField")
                        .and_then(Value::as_array)
                        .is_some_and(|fs| {
                            fs.iter().any(|f| {
                                f.get("imsx_codeMinorFieldValue").and_then(Value::as_str)
                                    == Some(minor)
                            })
                        })
            })
    });
    v.require(
        format!(
            "{what}: {{\"statusInfoSet\": [{{imsx_codeMajor failure, imsx_severity error, imsx_CodeMinor {minor}}}]}}"
        ),
        ok,
        format!("body: {}", snippet(r)),
    );
}

async fn errors(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (r, _) = c
        .send(
            "users?limit=1",
            &Sign {
                unsigned: true,
                ..Sign::default()
            },
        )
        .await?;
    check_status_info(v, "an unsigned request", &r, 401, "unauthorisedrequest");
    let r = c.get(&format!("users/{}", uuid::Uuid::new_v4())).await?;
    check_status_info(v, "an unknown sourcedId", &r, 404, "unknownobject");
    let r = c
        .get(&format!("users?filter={}", enc("accreditNoSuchField='x'")))
        .await?;
    check_status_info(
        v,
        "a filter on an unknown field",
        &r,
        400,
        "invalid_filter_field",
    );
    Ok(())
}

// ---- paging and filter ------------------------------------------------------------

const PAGE: usize = 7;

async fn paging(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (p1, r1) = c
        .page(&format!("users?limit={PAGE}&offset=0"), "users")
        .await?;
    let (p2, _) = c
        .page(&format!("users?limit={PAGE}&offset={PAGE}"), "users")
        .await?;
    let total = r1.header("x-total-count").map(str::trim);
    let Some(total) = total.and_then(|t| t.parse::<usize>().ok()) else {
        v.require(
            "X-Total-Count is present and an integer",
            false,
            format!("X-Total-Count: {total:?}"),
        );
        return Ok(());
    };
    // The total is witnessed by the collection itself: the record at offset
    // total-1 exists and nothing exists at offset total.
    let last_offset = total.saturating_sub(1);
    let (tail, _) = c
        .page(&format!("users?limit=2&offset={last_offset}"), "users")
        .await?;
    let (beyond, _) = c
        .page(&format!("users?limit=2&offset={total}"), "users")
        .await?;
    v.require(
        format!("X-Total-Count ({total}) is the collection's total"),
        total > 0 && tail.len() == 1 && beyond.is_empty(),
        format!(
            "offset {last_offset} returned {} record(s), offset {total} returned {}",
            tail.len(),
            beyond.len()
        ),
    );
    v.require(
        format!("limit={PAGE} returns at most {PAGE} records"),
        p1.len() == PAGE.min(total) && p2.len() == PAGE.min(total.saturating_sub(PAGE)),
        format!("pages of {} and {} records", p1.len(), p2.len()),
    );
    let ids1: HashSet<String> = p1.iter().map(cases_sid).collect();
    let overlap: Vec<String> = p2
        .iter()
        .map(cases_sid)
        .filter(|i| ids1.contains(i))
        .collect();
    v.require(
        "consecutive pages do not overlap",
        overlap.is_empty(),
        format!("in both pages: {}", overlap.join(", ")),
    );
    Ok(())
}

fn next_link(h: &str) -> Option<String> {
    h.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

async fn link(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (p1, r) = c.page("users?limit=3&offset=0", "users").await?;
    let Some(next) = r.header("link").and_then(next_link) else {
        v.recommend(
            "the first page has a Link header with rel=\"next\"",
            false,
            format!("Link: {:?}", r.header("link")),
        );
        return Ok(());
    };
    v.recommend(
        "the first page has a Link header with rel=\"next\"",
        true,
        next.clone(),
    );
    let Some(rel) = next.strip_prefix(&format!("{}/", c.base)) else {
        v.recommend(
            "the next link is under the base URL",
            false,
            format!("{next} is not under {}", c.base),
        );
        return Ok(());
    };
    let (p2, _) = c.page(rel, "users").await?;
    let first: HashSet<String> = p1.iter().map(cases_sid).collect();
    v.recommend(
        "following rel=\"next\" yields the following page",
        !p2.is_empty() && p2.iter().all(|x| !first.contains(&cases_sid(x))),
        format!(
            "{} record(s), {} repeated",
            p2.len(),
            p2.iter().filter(|x| first.contains(&cases_sid(x))).count()
        ),
    );
    Ok(())
}

async fn filter(c: &Client<'_>, v: &mut Verdict) -> Result<(), Stop> {
    let (list, _) = c.page("users?limit=1", "users").await?;
    let Some(u) = list.first() else {
        return Err(Stop::Error("the provider has no users to filter".into()));
    };
    let id = cases_sid(u);
    let family = u
        .get("familyName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let expr = format!("familyName='{}'", family.replace('\'', "''"));
    let (hits, _) = c
        .page(&format!("users?filter={}&limit=1000", enc(&expr)), "users")
        .await?;
    let wrong: Vec<String> = hits
        .iter()
        .filter(|x| {
            !x.get("familyName")
                .and_then(Value::as_str)
                .is_some_and(|f| f.eq_ignore_ascii_case(&family))
        })
        .map(cases_sid)
        .collect();
    v.require(
        format!("filter={expr} returns only matching users, {id} among them"),
        wrong.is_empty() && hits.iter().any(|x| cases_sid(x) == id),
        format!("{} hit(s); not matching: {}", hits.len(), wrong.join(", ")),
    );
    let status = u
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("active")
        .to_string();
    let expr = format!(
        "status='{status}' AND sourcedId='{}'",
        id.replace('\'', "''")
    );
    let (hits, _) = c
        .page(&format!("users?filter={}&limit=1000", enc(&expr)), "users")
        .await?;
    let ids: Vec<String> = hits.iter().map(cases_sid).take(5).collect();
    v.require(
        format!("filter={expr} returns exactly that user"),
        hits.len() == 1 && hits.first().map(cases_sid) == Some(id.clone()),
        format!("{} hit(s): {}", hits.len(), ids.join(", ")),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enumerations_are_the_1p1_sets() {
        let ok =
            json!({"sourcedId": "u", "status": "active", "role": "aide", "enabledUser": "true"});
        assert!(enum_problems("users", &ok).is_empty());
        for bad in [
            json!({"role": "districtAdministrator"}),
            json!({"role": "Teacher"}),
            json!({"enabledUser": true}),
            json!({"status": "inactive"}),
        ] {
            assert_eq!(enum_problems("users", &bad).len(), 1, "{bad}");
        }
        assert!(enum_problems("orgs", &json!({"type": "ext:campus"})).is_empty());
        assert_eq!(enum_problems("orgs", &json!({"type": "School"})).len(), 1);
    }

    #[test]
    fn dates_and_date_times_are_told_apart() {
        assert!(date_problems("academicSessions", &json!({"dateLastModified": "2024-01-01T00:00:00.000Z", "startDate": "2024-08-01", "schoolYear": "2025"})).is_empty());
        assert_eq!(
            date_problems("users", &json!({"dateLastModified": "2024-01-01"})).len(),
            1
        );
        assert_eq!(
            date_problems("enrollments", &json!({"beginDate": "2024-01-01T00:00:00Z"})).len(),
            1
        );
    }

    #[test]
    fn the_next_link_is_found() {
        let h = "<http://h/a?limit=3&offset=0>; rel=\"first\", <http://h/a?limit=3&offset=3>; rel=\"next\"";
        assert_eq!(next_link(h).as_deref(), Some("http://h/a?limit=3&offset=3"));
        assert_eq!(next_link("<http://h/a>; rel=\"last\""), None);
    }

    #[test]
    fn signature_methods_claimed() {
        assert!(SignatureMethods::Both.accepts(SignatureMethod::HmacSha256));
        assert!(!SignatureMethods::HmacSha1.accepts(SignatureMethod::HmacSha256));
        assert_eq!(
            SignatureMethods::HmacSha256.primary(),
            SignatureMethod::HmacSha256
        );
    }

    fn parse(text: &str) -> Result<ProviderProfile, String> {
        let doc = accredit_core::profile::ProfileDoc::parse(
            "p",
            text,
            &[super::super::PROVIDER_SUITE_ID],
        )
        .map_err(|e| e.to_string())?;
        doc.require_section(super::super::PROVIDER_SUITE_ID)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_1p1_profile_table_parses_and_refuses_mistakes() {
        let base = "[candidate]\nname = \"s\"\n\n[oneroster-provider]\nbase_url = \"http://127.0.0.1:1/ims/oneroster/v1p1\"\ntoken_url = \"http://127.0.0.1:1/t\"\nclient_id = \"c\"\nclient_secret = \"file:/dev/null\"\nversion = \"1.1\"\n\n[oneroster-provider.oauth1]\nconsumer_key = \"k\"\nconsumer_secret = \"file:/dev/null\"\n";
        let p = parse(base).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.version, OneRosterVersion::V1p1);
        let o = p.oauth1.unwrap_or_else(|| panic!("no oauth1"));
        assert_eq!(o.consumer_key, "k");
        assert_eq!(o.signature_method, SignatureMethods::HmacSha1);
        let both = parse(&format!("{base}signature_method = \"both\"\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            both.oauth1.map(|o| o.signature_method),
            Some(SignatureMethods::Both)
        );
        for bad in [
            format!("{base}signature_method = \"PLAINTEXT\"\n"),
            format!("{base}consumer_secrets = \"x\"\n"),
            base.replace(
                "consumer_secret = \"file:/dev/null\"",
                "consumer_secret = \"hunter2\"",
            ),
            base.replace("version = \"1.1\"", "version = \"1.0\""),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn catalog_ids_are_under_the_prefix() {
        for m in catalog() {
            assert!(m.id.starts_with(V1P1_PREFIX), "{}", m.id);
        }
    }
}
