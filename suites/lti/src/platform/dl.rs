//! Deep Linking responses: the harness tool answers a platform's
//! `LtiDeepLinkingRequest` with a signed `LtiDeepLinkingResponse` (form field
//! `JWT`, posted by the user's browser to `deep_link_return_url`). The valid one
//! must be accepted (CERT §5.2 "Proof of LTI Link"); the harness extensions post
//! one broken response each, which the platform must refuse (Deep Linking 2.0
//! §4.5, Security Framework §5.2 tool-originating messages).
//!
//! Judging refusals: the only portable signal is the HTTP status. 4xx = refused
//! (pass), 2xx = accepted (fail), 5xx = `warn` (refused by crashing). Redirects
//! are followed (on the platform) and the final status is judged. Each variant
//! makes its own Deep Linking launch, so a platform that binds a return URL to a
//! single response cannot make a later variant look refused.

use futures::FutureExt;
use serde_json::{Value, json};

use accredit_core::jose::now_secs;
use accredit_core::{Case, CaseCx, CaseMeta, Level, Outcome, Verdict};

use super::browse::{StopAt, snippet};
use super::checks::{DL, LTI, str_claim};
use super::core::{ROLE, official};
use super::fixture::{CapturedLaunch, LaunchKind, PlatformFixture, failed, refusal_outcome};
use crate::ua::Nav;

const DL_DOC: &str = "LTI Deep Linking 2.0";
const DL_SECTION: &str = "5.2 Deep Linking Message testing";
const DL_URL: &str = "https://www.imsglobal.org/spec/lti/v1p3/cert/#deep-linking-message-testing";
const DL_RESPONSE_URL: &str =
    "https://www.imsglobal.org/spec/lti-dl/v2p0#deep-linking-response-message";

/// What a Deep Linking request told the tool.
#[derive(Debug, Clone)]
struct Settings {
    return_url: url::Url,
    data: Option<Value>,
    accept_types: Vec<String>,
    accept_multiple: Option<bool>,
    deployment_id: String,
}

/// A Deep Linking launch and its settings.
async fn dl_launch(
    fx: &PlatformFixture,
    cx: &CaseCx,
) -> Result<(CapturedLaunch, Settings), Verdict> {
    let l = fx.launch(cx, LaunchKind::DeepLinking).await?;
    let s = l.claims.get(format!("{DL}deep_linking_settings"));
    let name = "setup: the Deep Linking request carries deep_link_return_url";
    let return_url = s
        .and_then(|s| s.get("deep_link_return_url"))
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok())
        .ok_or_else(|| failed(name, format!("deep_linking_settings is {s:?}")))?;
    let accept_types = s
        .and_then(|s| s.get("accept_types"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let settings = Settings {
        return_url,
        data: s.and_then(|s| s.get("data")).cloned(),
        accept_types,
        accept_multiple: s
            .and_then(|s| s.get("accept_multiple"))
            .and_then(Value::as_bool),
        deployment_id: str_claim(&l.claims, &format!("{LTI}deployment_id"))
            .unwrap_or(fx.profile().deployment_id.as_str())
            .to_string(),
    };
    Ok((l, settings))
}

/// One content item of `kind` pointing at the harness tool.
fn item(kind: &str, fx: &PlatformFixture, title: &str) -> Value {
    let url = fx.redirect_uri();
    match kind {
        "html" => json!({"type": "html", "title": title, "html": format!("<p>{title}</p>")}),
        "image" => json!({"type": "image", "title": title, "url": format!("{url}?img=1")}),
        "file" => json!({"type": "file", "title": title, "url": format!("{url}?file=1")}),
        other => json!({"type": other, "title": title, "url": url}),
    }
}

/// The type the valid response uses: `ltiResourceLink` or `link` when accepted,
/// else the first accepted type.
fn valid_type(s: &Settings) -> String {
    ["ltiResourceLink", "link"]
        .into_iter()
        .find(|t| s.accept_types.iter().any(|a| a == t))
        .map(str::to_string)
        .or_else(|| s.accept_types.first().cloned())
        .unwrap_or_else(|| "ltiResourceLink".into())
}

/// The claims of a valid response to `s`, with one item titled `title`.
fn response_claims(fx: &PlatformFixture, s: &Settings, title: &str) -> Value {
    let now = now_secs();
    let mut c = json!({
        "iss": fx.profile().client_id,
        "aud": fx.profile().issuer.as_str(),
        "iat": now,
        "exp": now + 300,
        "nonce": format!("accredit-{}", uuid::Uuid::new_v4()),
        format!("{LTI}message_type"): "LtiDeepLinkingResponse",
        format!("{LTI}version"): "1.3.0",
        format!("{LTI}deployment_id"): s.deployment_id,
        format!("{DL}content_items"): [item(&valid_type(s), fx, title)],
    });
    if let (Some(data), Some(o)) = (&s.data, c.as_object_mut()) {
        o.insert(format!("{DL}data"), data.clone());
    }
    c
}

/// Sets (or with `null` removes) `name` in `claims`.
fn set(claims: &mut Value, name: &str, value: Value) {
    if let Some(o) = claims.as_object_mut() {
        if value.is_null() {
            o.remove(name);
        } else {
            o.insert(name.to_string(), value);
        }
    }
}

/// A named mutation of a valid response's claims.
type Variant = (&'static str, fn(&mut Value, &Settings));

/// The final status and page of posting `jwt` as the browser would.
async fn post_response(
    cx: &CaseCx,
    l: &CapturedLaunch,
    s: &Settings,
    jwt: &str,
) -> Result<(u16, String), Verdict> {
    let nav = Nav::post(s.return_url.clone(), vec![("JWT".into(), jwt.to_string())]);
    let origin = s.return_url.origin();
    let trip = l
        .browser
        .go(nav, StopAt::Leaving(origin), false, cx.remaining())
        .await
        .map_err(|e| {
            failed(
                "the Deep Linking response is answered",
                format!("POST {}: {}", s.return_url, e.message),
            )
        })?;
    match trip.hops.last() {
        Some(h) => Ok((h.status, h.response.text())),
        None => Err(Verdict::error("no request was made")),
    }
}

fn title() -> String {
    format!(
        "accredit probe link {}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// P-DL-07: a valid response is accepted (2xx).
async fn response_accepted(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    match accept_valid(fx, cx).await {
        Ok((_, _, v)) => v,
        Err(v) => v,
    }
}

/// Posts a valid response; the verdict says whether it was accepted, with the
/// title and final page.
async fn accept_valid(
    fx: &PlatformFixture,
    cx: &CaseCx,
) -> Result<(String, String, Verdict), Verdict> {
    let (l, s) = dl_launch(fx, cx).await?;
    let t = title();
    let jwt = fx.sign_jwt(&Value::Null, &response_claims(fx, &s, &t))?;
    let (status, page) = post_response(cx, &l, &s, &jwt).await?;
    let mut v = Verdict::new();
    v.require(
        "a valid LtiDeepLinkingResponse is accepted (2xx)",
        (200..300).contains(&status),
        format!(
            "POST {} answered HTTP {status}: {}",
            s.return_url,
            snippet(&page, 300)
        ),
    );
    Ok((t, page, v))
}

/// P-DL-07 proof: the link must be shown (human review of the page).
async fn link_shown(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let (t, page, v) = match accept_valid(fx, cx).await {
        Ok(x) => x,
        Err(v) => return v,
    };
    if v.outcome() != Outcome::Pass {
        return v;
    }
    cx.log(format!(
        "the platform's page after the Deep Linking response (also in the evidence):\n{}",
        snippet(&page, 4000)
    ));
    let mut r = Verdict::review(format!(
        "confirm that the platform shows the link titled `{t}` (page after the response attached{})",
        if page.contains(&t) {
            "; the title appears in it"
        } else {
            "; the title does NOT appear in it"
        }
    ));
    r.checks = v.checks;
    r
}

/// Posts each variant of a valid response (one Deep Linking launch each); every
/// one must be refused.
async fn must_refuse(fx: &PlatformFixture, cx: &CaseCx, variants: &[Variant]) -> Verdict {
    let mut v = Verdict::new();
    for (name, mutate) in variants {
        let (l, s) = match dl_launch(fx, cx).await {
            Ok(x) => x,
            Err(v) => return v,
        };
        let mut claims = response_claims(fx, &s, &title());
        mutate(&mut claims, &s);
        let jwt = match fx.sign_jwt(&Value::Null, &claims) {
            Ok(j) => j,
            Err(v) => return v,
        };
        let (status, page) = match post_response(cx, &l, &s, &jwt).await {
            Ok(x) => x,
            Err(v) => return v,
        };
        let (outcome, detail) = refusal_outcome(status);
        let detail = if detail.is_empty() {
            detail
        } else {
            format!("{detail}: {}", snippet(&page, 200))
        };
        v.check(format!("refused: {name}"), outcome, detail);
    }
    v
}

async fn aud_iss(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    must_refuse(
        fx,
        cx,
        &[
            ("aud is another URL", |c, _| {
                set(c, "aud", json!("https://attacker.example/"))
            }),
            ("iss is not the client_id", |c, _| {
                set(c, "iss", json!("accredit-not-the-client"))
            }),
        ],
    )
    .await
}

async fn data_missing(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let has_data = match dl_launch(fx, cx).await {
        Ok((_, s)) => s.data.is_some(),
        Err(v) => return v,
    };
    if !has_data {
        return Verdict::skip(
            "the Deep Linking request carries no `data`, so its echo cannot be required",
        );
    }
    must_refuse(
        fx,
        cx,
        &[("data of the request omitted", |c, _| {
            set(c, &format!("{DL}data"), Value::Null)
        })],
    )
    .await
}

async fn deployment_version(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    must_refuse(
        fx,
        cx,
        &[
            ("deployment_id unknown", |c, _| {
                set(
                    c,
                    &format!("{LTI}deployment_id"),
                    json!("accredit-not-a-deployment"),
                )
            }),
            ("version 1.1", |c, _| {
                set(c, &format!("{LTI}version"), json!("1.1"))
            }),
        ],
    )
    .await
}

async fn expired(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    must_refuse(
        fx,
        cx,
        &[("exp in the past", |c, _| {
            let now = now_secs();
            set(c, "iat", json!(now - 900));
            set(c, "exp", json!(now - 600));
        })],
    )
    .await
}

async fn accept_types(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let s = match dl_launch(fx, cx).await {
        Ok((_, s)) => s,
        Err(v) => return v,
    };
    let unaccepted = ["link", "ltiResourceLink", "file", "html", "image"]
        .into_iter()
        .any(|t| !s.accept_types.iter().any(|a| a == t));
    let single = s.accept_multiple == Some(false);
    let mut variants: Vec<Variant> = Vec::new();
    if unaccepted {
        variants.push((
            "a content item whose type is not in accept_types",
            |c, s| {
                let t = ["html", "image", "file", "link", "ltiResourceLink"]
                    .into_iter()
                    .find(|t| !s.accept_types.iter().any(|a| a == t))
                    .unwrap_or("html");
                let url = c
                    .get(format!("{DL}content_items"))
                    .and_then(|i| i.get(0))
                    .and_then(|i| i.get("url"))
                    .cloned()
                    .unwrap_or(Value::Null);
                // Every member a type may require, so only the type is wrong.
                let items = json!([{
                    "type": t,
                    "title": "accredit item of an unaccepted type",
                    "url": url,
                    "html": "<p>accredit</p>",
                }]);
                set(c, &format!("{DL}content_items"), items);
            },
        ));
    }
    if single {
        variants.push(("two content items when accept_multiple is false", |c, _| {
            let items = c
                .get(format!("{DL}content_items"))
                .and_then(|i| i.get(0))
                .cloned()
                .map(|i| json!([i.clone(), i]))
                .unwrap_or(json!([]));
            set(c, &format!("{DL}content_items"), items);
        }));
    }
    if variants.is_empty() {
        return Verdict::skip(
            "the request accepts every content item type and several items: nothing to refuse",
        );
    }
    must_refuse(fx, cx, &variants).await
}

/// The replay: the same response twice; the first must be accepted, the second refused.
async fn replay(fx: &PlatformFixture, cx: &CaseCx) -> Verdict {
    let (l, s) = match dl_launch(fx, cx).await {
        Ok(x) => x,
        Err(v) => return v,
    };
    let jwt = match fx.sign_jwt(&Value::Null, &response_claims(fx, &s, &title())) {
        Ok(j) => j,
        Err(v) => return v,
    };
    let mut v = Verdict::new();
    let (first, page) = match post_response(cx, &l, &s, &jwt).await {
        Ok(x) => x,
        Err(v) => return v,
    };
    if !v.require(
        "setup: the first, valid response is accepted (2xx)",
        (200..300).contains(&first),
        format!("HTTP {first}: {}", snippet(&page, 200)),
    ) {
        return v;
    }
    let (second, page) = match post_response(cx, &l, &s, &jwt).await {
        Ok(x) => x,
        Err(v) => return v,
    };
    let (outcome, detail) = refusal_outcome(second);
    let detail = if detail.is_empty() {
        detail
    } else {
        format!(
            "the same response posted again was {detail}: {}",
            snippet(&page, 200)
        )
    };
    v.check(
        "refused: the same response (same nonce) posted again",
        outcome,
        detail,
    );
    v
}

/// A harness extension on Deep Linking responses.
const fn hx(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    requirement: &'static str,
) -> CaseMeta {
    CaseMeta {
        id,
        title,
        role: ROLE,
        spec_document: DL_DOC,
        spec_section: section,
        spec_url: DL_RESPONSE_URL,
        requirement,
        level: Level::Must,
        official: false,
        tags: &["deep-linking", "security", "extension"],
        exclusive: false,
    }
}

/// The Deep Linking response cases.
pub(crate) fn cases() -> Vec<Case<PlatformFixture>> {
    vec![
        Case {
            meta: official(
                "lti.platform.dl.response.accepted",
                "Deep Linking: a valid LtiDeepLinkingResponse is accepted",
                DL_SECTION,
                DL_URL,
                "The Deep Linking Response message MUST immediately be returned to the window or iFrame that sent the Deep Linking Request message. Deep Linking 2.0 §4.5: the tool POSTs the signed LtiDeepLinkingResponse in the form field JWT to deep_link_return_url.",
                &["deep-linking"],
            ),
            run: |fx, cx| response_accepted(fx, cx).boxed(),
        },
        Case {
            meta: official(
                "lti.platform.dl.response.link-shown",
                "Deep Linking: Proof of LTI Link (the platform shows the link)",
                DL_SECTION,
                DL_URL,
                "Proof of LTI Link: You MUST Upload a Screenshot of your Learning Platform showing the absorbed LTI Link from the Deep Linking Response just sent",
                &["deep-linking", "review"],
            ),
            run: |fx, cx| link_shown(fx, cx).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.dl.aud-iss",
                "Deep Linking response with a wrong aud or iss is refused",
                "4.5 Deep linking response message",
                "Security Framework 5.2 (tool-originating messages): iss MUST be the client_id; aud MUST contain the platform issuer; the platform MUST reject a JWT that does not meet these rules.",
            ),
            run: |fx, cx| aud_iss(fx, cx).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.dl.data",
                "Deep Linking response without the request's data is refused",
                "4.5.5 Data",
                "https://purl.imsglobal.org/spec/lti-dl/claim/data: REQUIRED if present in the LtiDeepLinkingRequest message; the value must match the value of the data property of the deep_linking_settings claim.",
            ),
            run: |fx, cx| data_missing(fx, cx).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.dl.deployment-version",
                "Deep Linking response with an unknown deployment_id or version 1.1 is refused",
                "4.5.3 Deployment ID / 4.5.4 Version",
                "deployment_id: REQUIRED, it MUST be the same value as the deployment_id claim of the request. version: REQUIRED, 1.3.0.",
            ),
            run: |fx, cx| deployment_version(fx, cx).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.dl.replay",
                "The same Deep Linking response (same nonce) is refused the second time",
                "Security Framework 5.2.3 (nonce)",
                "The platform SHOULD use the nonce to prevent replay attacks; a response whose nonce was already accepted MUST be rejected.",
            ),
            run: |fx, cx| replay(fx, cx).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.dl.expired",
                "An expired Deep Linking response is refused",
                "Security Framework 5.2 (exp)",
                "exp: the platform MUST NOT accept the JWT on or after this time (a small leeway is allowed).",
            ),
            run: |fx, cx| expired(fx, cx).boxed(),
        },
        Case {
            meta: hx(
                "lti.platform.dl.accept-types",
                "Content items outside accept_types (or several when accept_multiple is false) are refused",
                "4.4.1 Deep linking settings",
                "accept_types: An array of types accepted. accept_multiple: whether the platform allows multiple content items. A response that returns items the platform declared it does not accept must not be absorbed.",
            ),
            run: |fx, cx| accept_types(fx, cx).boxed(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(types: &[&str]) -> Settings {
        Settings {
            return_url: url::Url::parse("http://p/dl").unwrap_or_else(|e| panic!("{e}")),
            data: Some(json!("d")),
            accept_types: types.iter().map(|s| s.to_string()).collect(),
            accept_multiple: Some(true),
            deployment_id: "dep".into(),
        }
    }

    #[test]
    fn the_valid_item_type_is_an_accepted_one() {
        assert_eq!(
            valid_type(&settings(&["link", "ltiResourceLink"])),
            "ltiResourceLink"
        );
        assert_eq!(valid_type(&settings(&["link"])), "link");
        assert_eq!(valid_type(&settings(&["html"])), "html");
    }

    #[test]
    fn refusal_statuses() {
        assert_eq!(refusal_outcome(400).0, Outcome::Pass);
        assert_eq!(refusal_outcome(403).0, Outcome::Pass);
        assert_eq!(refusal_outcome(200).0, Outcome::Fail);
        assert_eq!(refusal_outcome(302).0, Outcome::Fail);
        assert_eq!(refusal_outcome(500).0, Outcome::Warn);
    }
}
