//! The `oneroster-provider` suite: the harness plays a OneRoster REST
//! **consumer** and certifies a **provider** (a SIS): 1.2 rostering (every
//! read, `cases` and `relations`), gradebook and resources (`gradebook`,
//! `resources`), and OneRoster 1.1 behind OAuth 1.0a (`v1p1`, its gradebook
//! `v1p1_gradebook`, `oauth1`); the profile's `version` picks 1.1 or 1.2 and
//! the cases of the other version skip.
//!
//! Every case obtains its own OAuth 2 client-credentials token (so each case's
//! evidence holds the whole exchange it is judged on) and calls the provider
//! through the harness's recording client. The checks follow the 1.2 REST
//! binding and the official OpenAPI document: auth (401/403), envelopes,
//! required fields, case-sensitive enumerations, date formats, GUID
//! references that resolve, paging (`X-Total-Count`, every record exactly
//! once, `Link`), the filter grammar, field selection, sorting, and
//! cross-endpoint consistency.
//!
//! Schema validation: response bodies are validated against the OpenAPI
//! component schemas (`UserSetDType`, `SingleOrgDType`...) read from the
//! user's schema directory with the `jsonschema` crate, formats on; the
//! components are pure JSON Schema (type/enum/anyOf/$ref), so they are used
//! as they are. Without the schema directory that case is `skip`ped; the
//! native cases (fields, enums, formats) judge the same documents with located
//! messages either way.
//!
//! [`start_reference_sis`] and [`provider_demo_profile`] serve the demo and
//! the self-tests.

mod cases;
mod gradebook;
pub mod oauth1;
mod relations;
mod resources;
pub mod v1p1;
pub mod v1p1_gradebook;

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use serde::Deserialize;

use accredit_core::profile::{HttpUrl, Secret};
use accredit_core::{
    Case, CaseMeta, CaseTable, SchemaFile, Suite, SuiteError, SuiteKind, SuiteRun, SuiteStart,
};
use accredit_mock_platform::oneroster::{self as sis, Fault, RunningSis};

pub use cases::catalog as provider_catalog;

/// Suite id and profile table name.
pub const PROVIDER_SUITE_ID: &str = "oneroster-provider";

/// The rostering OpenAPI document, relative to the schema directory.
pub const ROSTERING_OPENAPI: &str = "oneroster-v1p2/onerosterv1p2rostersservice_openapi3_v1p0.json";

/// `roster.readonly`.
pub const SCOPE_ROSTER: &str = sis::SCOPE_ROSTER;
/// `roster-core.readonly`.
pub const SCOPE_ROSTER_CORE: &str = sis::SCOPE_ROSTER_CORE;
/// `roster-demographics.readonly`.
pub const SCOPE_DEMOGRAPHICS: &str = sis::SCOPE_DEMOGRAPHICS;

fn default_scopes() -> Vec<String> {
    vec![SCOPE_ROSTER_CORE.into(), SCOPE_ROSTER.into()]
}

/// The `[oneroster-provider]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderProfile {
    /// The rostering service base URL (ending in `/ims/oneroster/rostering/v1p2`).
    pub base_url: HttpUrl,
    /// The OAuth 2 token endpoint.
    pub token_url: HttpUrl,
    /// The client id the provider issued to the harness.
    pub client_id: String,
    /// Its secret (`env:NAME` / `file:PATH`).
    pub client_secret: Secret,
    /// The scopes the client may request (default: roster-core and roster).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// How the client authenticates at the token endpoint (default: HTTP Basic).
    #[serde(default)]
    pub token_auth: TokenAuth,
    /// Whether the gradebook write cases may create, replace and delete objects
    /// in the provider (default false: those cases `skip`). Every object they
    /// write has a fresh `accredit-` sourcedId and is deleted afterwards.
    #[serde(default)]
    pub allow_writes: bool,
    /// The gradebook service base URL (default: `base_url` with
    /// `/rostering/` replaced by `/gradebook/`).
    #[serde(default)]
    pub gradebook_url: Option<HttpUrl>,
    /// The resources service base URL (default: `base_url` with
    /// `/rostering/` replaced by `/resources/`).
    #[serde(default)]
    pub resources_url: Option<HttpUrl>,
    /// The OneRoster version certified: `"1.2"` (default) or `"1.1"`; the
    /// other version's cases are skipped.
    #[serde(default)]
    pub version: v1p1::OneRosterVersion,
    /// OneRoster 1.1 OAuth 1.0a credentials (`[oneroster-provider.oauth1]`),
    /// required when `version = "1.1"`.
    #[serde(default)]
    pub oauth1: Option<v1p1::Oauth1Profile>,
    /// The most records the harness reads when a case compares a whole
    /// collection (default 250,000). A collection with more (by its
    /// `X-Total-Count`, or found while walking) is not walked: the cases that
    /// need it judge from a narrower request where one exists (a nested
    /// filter, offset probes) and skip otherwise.
    #[serde(default = "default_max_walk_records")]
    pub max_walk_records: usize,
}

/// The default [`ProviderProfile::max_walk_records`].
pub const DEFAULT_MAX_WALK_RECORDS: usize = 250_000;

fn default_max_walk_records() -> usize {
    DEFAULT_MAX_WALK_RECORDS
}

/// Client authentication at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuth {
    /// `Authorization: Basic` (`client_secret_basic`), which every server must support.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    ClientSecretPost,
}

/// The commented template written by `accredit init oneroster-provider`.
pub const PROVIDER_TEMPLATE: &str = r#"# accredit candidate profile: OneRoster 1.1/1.2 provider (REST: rostering, gradebook, resources).
# The harness plays a OneRoster consumer: it obtains OAuth 2 client-credentials
# tokens and reads your rostering service.

[candidate]
name = "My SIS"
# version = "1.0.0"

[oneroster-provider]
# The rostering service base URL.
base_url = "https://sis.example/ims/oneroster/rostering/v1p2"
# The OAuth 2 token endpoint.
token_url = "https://sis.example/oauth2/token"
client_id = "accredit"
# The client secret (a reference, never the value).
client_secret = "env:ONEROSTER_CLIENT_SECRET"
# The scopes this client may request.
scopes = [
  "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
  "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
]
# How the harness authenticates at the token endpoint:
# "client_secret_basic" (default) or "client_secret_post".
# token_auth = "client_secret_basic"
# Gradebook and resources (OneRoster 1.2): add their scopes above
# (gradebook.readonly, gradebook.createput, gradebook.createpost,
# gradebook.delete, resource.readonly...) to certify them; the service URLs
# default to base_url with /rostering/ replaced by /gradebook/ or /resources/.
# gradebook_url = "https://sis.example/ims/oneroster/gradebook/v1p2"
# resources_url = "https://sis.example/ims/oneroster/resources/v1p2"
# The most records read when a case compares a whole collection; a larger
# collection is judged by narrower requests (nested filters, offset probes).
# max_walk_records = 250000
# Gradebook write cases (PUT, POST, DELETE) create objects with fresh
# accredit- sourcedIds and delete them afterwards; they are skipped unless:
# allow_writes = true
# OneRoster 1.1 instead (base_url ending in /ims/oneroster/v1p1, requests
# signed with OAuth 1.0a; the 1.2 cases are then skipped):
# version = "1.1"
#
# [oneroster-provider.oauth1]
# consumer_key = "accredit"
# consumer_secret = "env:ONEROSTER_CONSUMER_SECRET"
# # "HMAC-SHA1" (default), "HMAC-SHA256" or "both"
# signature_method = "both"
"#;

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The profile text for a provider (the demo and the tests).
pub fn provider_demo_profile(
    candidate_name: &str,
    base_url: &str,
    token_url: &str,
    client_id: &str,
    secret_ref: &str,
    scopes: &[String],
) -> String {
    let q = toml_string;
    format!(
        "# Generated by accredit for a demo run.\n[candidate]\nname = {}\n\n[{PROVIDER_SUITE_ID}]\nbase_url = {}\ntoken_url = {}\nclient_id = {}\nclient_secret = {}\nscopes = [{}]\nallow_writes = true\n",
        q(candidate_name),
        q(base_url),
        q(token_url),
        q(client_id),
        q(secret_ref),
        scopes.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

/// Users in the reference SIS's bundle: two schools (one per 500 users), so
/// the cross-endpoint cases can tell one school's classes from another's.
pub const REFERENCE_USERS: u64 = 520;

/// A reference SIS started for the demo or a test, and its profile.
#[derive(Debug)]
pub struct ReferenceSis {
    /// The running SIS (stop it with `shutdown`).
    pub sis: RunningSis,
    /// The generated bundle it was seeded from.
    pub bundle: PathBuf,
    /// The `[oneroster-provider]` profile text for it.
    pub profile: String,
    /// The client secret's value (also in `secret_file`).
    pub client_secret: String,
}

/// Generates the sample 1.2 bundle under `work_dir`, writes a fresh client
/// secret to `work_dir/sis-client-secret`, and starts the reference SIS (with
/// `faults`) on a free loopback port.
pub async fn start_reference_sis(
    work_dir: &Path,
    faults: Vec<Fault>,
) -> Result<ReferenceSis, SuiteError> {
    let harness = |what: &str, e: &dyn std::fmt::Display| {
        SuiteError::Harness(format!("reference SIS: {what}: {e}"))
    };
    let bundle = work_dir.join("oneroster-1.2-sis");
    let mut cfg = crate::generate::Config::new(crate::tables::Version::V1p2, REFERENCE_USERS);
    cfg.seed = 0x51_5eed;
    crate::generate::generate_dir(&cfg, &bundle)
        .map_err(|e| harness("cannot generate the bundle", &e))?;
    let secret = format!("{}", uuid::Uuid::new_v4().simple());
    let secret_file = work_dir.join("sis-client-secret");
    std::fs::write(&secret_file, &secret).map_err(|e| harness("cannot write the secret", &e))?;
    let reference = format!("file:{}", secret_file.display());
    let running = sis::start_reference_sis_for_demo(
        &bundle,
        Secret::from_value(reference.clone(), secret.clone()),
        faults,
        None,
    )
    .await
    .map_err(|e| harness("cannot start", &e))?;
    let profile = provider_demo_profile(
        "accredit reference SIS",
        &running.rostering_url(),
        &running.token_url(),
        running.client_id(),
        &reference,
        running.scopes(),
    );
    Ok(ReferenceSis {
        sis: running,
        bundle,
        profile,
        client_secret: secret,
    })
}

/// OneRoster 1.1/1.2 provider certification: rostering, gradebook, resources (`oneroster-provider`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OneRosterProviderSuite;

impl Suite for OneRosterProviderSuite {
    fn id(&self) -> &'static str {
        PROVIDER_SUITE_ID
    }

    fn title(&self) -> &'static str {
        "OneRoster 1.1/1.2 REST: provider (rostering, gradebook, resources)"
    }

    fn kind(&self) -> SuiteKind {
        SuiteKind::Live
    }

    fn catalog(&self) -> Vec<CaseMeta> {
        cases::catalog()
            .into_iter()
            .chain(v1p1::catalog())
            .collect()
    }

    fn profile_template(&self) -> String {
        PROVIDER_TEMPLATE.to_string()
    }

    fn schema_files(&self) -> Vec<SchemaFile> {
        vec![
            SchemaFile {
                path: ROSTERING_OPENAPI,
                url: "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2rostersservice_openapi3_v1p0.json",
                sha256: "06cafc2234ae1cdc58a2fe8ea03a8e0a5bf57d0e39830468d9adf7cc16acd26f",
            },
            gradebook::GRADEBOOK_SCHEMA_FILE,
            gradebook::RESOURCES_SCHEMA_FILE,
        ]
    }

    fn start<'a>(
        &'a self,
        start: SuiteStart<'a>,
    ) -> BoxFuture<'a, Result<Box<dyn SuiteRun>, SuiteError>> {
        Box::pin(async move {
            let doc = start.profile.ok_or_else(|| {
                SuiteError::Usage("the oneroster-provider suite needs a candidate profile".into())
            })?;
            let profile: ProviderProfile = doc.require_section(PROVIDER_SUITE_ID)?;
            start.redactor.add_secret(profile.client_secret.expose());
            v1p1::prepare(&profile, &start.redactor)?;
            let schemas = cases::Schemas::load(start.schema_dir);
            let service_schemas = gradebook::ServiceSchemas::load(start.schema_dir);
            let fixture = cases::Fixture {
                profile,
                schemas,
                service_schemas,
                truths: cases::Truths::default(),
            };
            let table: Vec<Case<cases::Fixture>> = cases::catalog()
                .into_iter()
                .chain(v1p1::catalog())
                .map(|meta| Case {
                    meta,
                    run: v1p1::run_any,
                })
                .collect();
            let run: Box<dyn SuiteRun> = Box::new(CaseTable::new(fixture, &table));
            Ok(run)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_lints_clean_and_the_demo_profile_parses() {
        let problems = accredit_core::catalog::lint(&OneRosterProviderSuite, "oneroster.");
        assert_eq!(problems, Vec::<String>::new());
        let text = provider_demo_profile(
            "s",
            "http://127.0.0.1:1/ims/oneroster/rostering/v1p2",
            "http://127.0.0.1:1/token",
            "c",
            "file:/dev/null",
            &default_scopes(),
        );
        let doc = accredit_core::profile::ProfileDoc::parse("p", &text, &[PROVIDER_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        let p: ProviderProfile = doc
            .require_section(PROVIDER_SUITE_ID)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.scopes, default_scopes());
        let bad = text.replace("file:/dev/null", "hunter2");
        let doc = accredit_core::profile::ProfileDoc::parse("p", &bad, &[PROVIDER_SUITE_ID])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            doc.require_section::<ProviderProfile>(PROVIDER_SUITE_ID)
                .is_err()
        );
    }
}
