//! The reference tool as a client of LTI Advantage services: an access token by
//! client credentials with a JWT-bearer client assertion (Security Framework
//! §4.1.1, LTI Core §6.2), then NRPS memberships, every page, following
//! `Link: rel="next"` verbatim (NRPS 2.0 "Limit query parameter").
//!
//! Why on launch: CERT §6.3 watches the tool call the platform after an
//! instructor launch that carries the NRPS claim; the reference tool does it
//! before rendering the launch page (bounded: timeouts per request, at most
//! [`MAX_PAGES`] pages) and shows the member count.

use serde_json::{Value, json};

use accredit_core::jose;

use crate::{Fault, Shared};

const NRPS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const NRPS_SCOPE: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const NRPS_MEDIA_TYPE: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// Bound on followed pages.
pub(crate) const MAX_PAGES: usize = 50;

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServiceError {
    /// The registration has no token URL.
    #[error("no token URL is registered for the platform")]
    NoTokenUrl,
    /// Signing the client assertion failed.
    #[error("cannot sign the client assertion: {0}")]
    Sign(#[from] jose::JoseError),
    /// A request failed or was refused.
    #[error("{what} {url}: {detail}")]
    Http {
        /// Which call.
        what: &'static str,
        /// Its URL.
        url: String,
        /// What happened.
        detail: String,
    },
    /// More pages than [`MAX_PAGES`].
    #[error("more than {MAX_PAGES} membership pages: stopped")]
    TooManyPages,
}

pub(crate) fn http_err(what: &'static str, url: &str, detail: impl ToString) -> ServiceError {
    ServiceError::Http {
        what,
        url: url.to_string(),
        detail: detail.to_string(),
    }
}

/// The NRPS memberships URL of a launch, when it carries the claim.
pub(crate) fn memberships_url(claims: &Value) -> Option<String> {
    claims
        .get(NRPS_CLAIM)
        .and_then(|c| c.get("context_memberships_url"))
        .and_then(Value::as_str)
        .map(String::from)
}

pub(crate) async fn access_token(s: &Shared, scope: &str) -> Result<String, ServiceError> {
    let reg = &s.config.registration;
    let token_url = reg.token_url.as_deref().ok_or(ServiceError::NoTokenUrl)?;
    let now = jose::now_secs();
    let aud = if s.has(Fault::NrpsWrongAssertionAudience) {
        reg.issuer.as_str()
    } else {
        token_url
    };
    let assertion = jose::sign_rs256(
        &json!({
            "iss": reg.client_id,
            "sub": reg.client_id,
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": format!("jti-{}", uuid::Uuid::new_v4().simple()),
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": reg.deployment_ids.first(),
        }),
        &s.key,
    )?;
    let resp = s
        .http
        .post(token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("scope", scope),
        ])
        .send()
        .await
        .map_err(|e| http_err("token request", token_url, e))?;
    let status = resp.status();
    let body: Value = resp
        .json()
        .await
        .map_err(|e| http_err("token response", token_url, e))?;
    if !status.is_success() {
        return Err(http_err(
            "token request",
            token_url,
            format!("HTTP {status}: {body}"),
        ));
    }
    body.get("access_token")
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| http_err("token response", token_url, "no access_token"))
}

/// The `rel="next"` target of a `Link` header, as given.
pub(crate) fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

/// Every member of the context, all pages.
pub(crate) async fn all_members(s: &Shared, first_url: &str) -> Result<Vec<Value>, ServiceError> {
    let token = access_token(s, NRPS_SCOPE).await?;
    let mut members = Vec::new();
    let mut url = Some(first_url.to_string());
    let mut pages = 0;
    while let Some(u) = url.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(ServiceError::TooManyPages);
        }
        let resp = s
            .http
            .get(&u)
            .bearer_auth(&token)
            .header(reqwest::header::ACCEPT, NRPS_MEDIA_TYPE)
            .send()
            .await
            .map_err(|e| http_err("memberships request", &u, e))?;
        let status = resp.status();
        let link = resp
            .headers()
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body: Value = resp
            .json()
            .await
            .map_err(|e| http_err("memberships response", &u, e))?;
        if !status.is_success() {
            return Err(http_err(
                "memberships request",
                &u,
                format!("HTTP {status}: {body}"),
            ));
        }
        if let Some(list) = body.get("members").and_then(Value::as_array) {
            members.extend(list.iter().cloned());
        }
        if !s.has(Fault::NrpsNoPaging) {
            url = link.as_deref().and_then(next_link);
        }
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::single("<http://p/m?c=AbC>; rel=\"next\"", Some("http://p/m?c=AbC"))]
    #[case::among_others(
        "<http://p/m?c=1>; rel=\"differences\", <http://p/m?c=Xy>; rel=\"next\"",
        Some("http://p/m?c=Xy")
    )]
    #[case::none("<http://p/m>; rel=\"prev\"", None)]
    #[case::garbage("nonsense", None)]
    fn next_links_are_taken_verbatim(#[case] link: &str, #[case] want: Option<&str>) {
        assert_eq!(next_link(link).as_deref(), want);
    }
}
