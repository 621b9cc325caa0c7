//! The lti-tool suite against the reference tool: a correct tool passes every
//! case, and each injected fault fails exactly the cases aimed at it.

mod common;

/// Cases in the lti-tool catalog.
const CASES: usize = 66;

use std::time::Duration;

use accredit_core::Outcome;
use accredit_core::reports::Direction;
use accredit_mock_tool::Fault;
use rstest::rstest;

use common::{dump, non_passing, reference_tool, run_suite};

const TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_tool_passes_every_case() {
    let (tool, profile) = reference_tool(vec![]).await;
    let record = run_suite(&profile, TIMEOUT).await;
    tool.shutdown().await;
    eprintln!("{}", dump(&record));
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(record.results.len(), CASES, "{}", dump(&record));
    assert_eq!(non_passing(&record), vec![], "{}", dump(&record));

    let instructor = record
        .results
        .iter()
        .find(|c| c.id == "lti.tool.core.launch.instructor")
        .unwrap_or_else(|| panic!("instructor case missing"));
    let names: Vec<&str> = instructor.checks.iter().map(|c| c.name.as_str()).collect();
    for expected in [
        "auth request: scope contains openid",
        "auth request: response_mode = form_post",
        "auth request: login_hint echoed unaltered",
        "auth request: lti_message_hint echoed unaltered",
        "auth request: redirect_uri is a registered redirect URI",
        "valid launch accepted",
    ] {
        assert!(
            names.contains(&expected),
            "missing check {expected:?} in {names:?}"
        );
    }
    // Evidence holds every hop of the browser, once each, in the right direction.
    let ev = record
        .evidence
        .iter()
        .find(|e| e.case_id == "lti.tool.core.launch.instructor")
        .unwrap_or_else(|| panic!("no evidence for the instructor case"));
    let hops: Vec<String> = ev
        .exchanges
        .iter()
        .map(|x| format!("{:?} {} {}", x.direction, x.request.method, x.request.url))
        .collect();
    assert!(
        ev.exchanges.len() == 3,
        "login, auth request, launch: {hops:#?}"
    );
    assert!(
        ev.exchanges
            .iter()
            .any(|x| x.direction == Direction::HarnessToMock && x.request.url.contains("/lti/auth")),
        "the browser's visit to the platform is recorded as harness-to-mock: {hops:#?}"
    );
    assert!(
        ev.exchanges.iter().any(|x| !x.jwts.is_empty()),
        "the id_token is decoded in the evidence"
    );
}

/// What each fault must break, and nothing else. Exhaustive on purpose: a new
/// fault does not compile until its expectations are written down.
fn expected(fault: Fault) -> Vec<(&'static str, Outcome)> {
    match fault {
        Fault::SkipSignatureCheck => vec![("lti.tool.sec.bad-signature", Outcome::Fail)],
        Fault::AcceptExpired => vec![
            ("lti.tool.core.bad.timestamps", Outcome::Fail),
            ("lti.tool.sec.clock-skew.beyond-leeway", Outcome::Fail),
        ],
        Fault::IgnoreNonce => vec![
            ("lti.tool.sec.nonce-replay", Outcome::Fail),
            ("lti.tool.sec.nonce-unbound", Outcome::Fail),
        ],
        // The replay and rotation cases cannot run when the first, valid launch is refused.
        Fault::RefuseAllLaunches => [
            ("lti.tool.core.launch.instructor", Outcome::Fail),
            ("lti.tool.core.launch.student", Outcome::Fail),
        ]
        .into_iter()
        // Every official valid-launch variant is a refused valid launch.
        .chain(
            accredit_suite_lti::launch_variants::cases()
                .into_iter()
                .map(|c| (c.meta.id, Outcome::Fail)),
        )
        .chain([
            ("lti.tool.sec.nonce-replay", Outcome::Error),
            ("lti.tool.sec.aud.array-with-azp", Outcome::Warn),
            ("lti.tool.sec.clock-skew.within-leeway", Outcome::Warn),
            ("lti.tool.sec.kid-rotation", Outcome::Error),
            ("lti.tool.oidc.target-link-uri-query", Outcome::Fail),
            ("lti.tool.dl.request", Outcome::Fail),
            ("lti.tool.dl.response", Outcome::Error),
            ("lti.tool.dl.launch-returned-link", Outcome::Error),
            // A refused Deep Linking request strands the user (DL 2.3, SHOULD).
            ("lti.tool.dl.accept-types", Outcome::Warn),
            ("lti.tool.dl.cancel", Outcome::Error),
            ("lti.tool.nrps.memberships", Outcome::Error),
            ("lti.tool.nrps.paging", Outcome::Error),
            ("lti.tool.ags.launch", Outcome::Fail),
            ("lti.tool.ags.gradebook", Outcome::Error),
            ("lti.tool.ags.token-scopes", Outcome::Error),
            ("lti.tool.ags.lineitem", Outcome::Error),
            ("lti.tool.ags.score", Outcome::Error),
            ("lti.tool.ags.scores-url", Outcome::Error),
            ("lti.tool.ags.media-types", Outcome::Error),
            ("lti.tool.ags.results", Outcome::Error),
            ("lti.tool.ags.token-retry", Outcome::Error),
            ("lti.tool.ags.lineitem-claim", Outcome::Error),
        ])
        .collect(),
        Fault::AcceptAlgNone => vec![("lti.tool.sec.alg-none", Outcome::Fail)],
        Fault::AcceptHs256 => vec![("lti.tool.sec.alg-hs256-key-confusion", Outcome::Fail)],
        // azp is a SHOULD (SEC 5.1.3 #5): accepting a foreign azp warns.
        Fault::IgnoreAzp => vec![
            ("lti.tool.sec.aud.untrusted-no-azp", Outcome::Fail),
            ("lti.tool.sec.aud.azp-mismatch", Outcome::Warn),
        ],
        Fault::IgnoreAudience => vec![
            ("lti.tool.sec.aud.untrusted-no-azp", Outcome::Fail),
            ("lti.tool.sec.aud.azp-mismatch", Outcome::Warn),
            ("lti.tool.sec.aud.wrong", Outcome::Fail),
        ],
        Fault::IgnoreIssuer => vec![
            ("lti.tool.sec.iss.wrong", Outcome::Fail),
            ("lti.tool.sec.iss.trailing-slash", Outcome::Fail),
        ],
        Fault::LenientIssuer => vec![("lti.tool.sec.iss.trailing-slash", Outcome::Fail)],
        Fault::NonceUnbound => vec![("lti.tool.sec.nonce-unbound", Outcome::Fail)],
        Fault::NoStateCheck => vec![("lti.tool.sec.state-mismatch", Outcome::Fail)],
        Fault::AcceptUnknownDeployment => {
            vec![("lti.tool.sec.unknown-deployment", Outcome::Warn)]
        }
        Fault::NoLeeway => vec![("lti.tool.sec.clock-skew.within-leeway", Outcome::Warn)],
        Fault::ExcessiveLeeway => vec![("lti.tool.sec.clock-skew.beyond-leeway", Outcome::Fail)],
        Fault::NoJwksRefetch => vec![("lti.tool.sec.kid-rotation", Outcome::Warn)],
        // The cancel target (`?dl_action=cancel`) loses its query too: the
        // tool refuses that Deep Linking request, so the cancel is not tested.
        Fault::DropTargetQuery => vec![
            ("lti.tool.oidc.target-link-uri-query", Outcome::Fail),
            ("lti.tool.dl.cancel", Outcome::Error),
        ],
        // The platform refuses the authentication request: the cases that judge
        // its shape fail ("lti_message_hint echoed unaltered"), every other case
        // cannot deliver its id_token and is an error, never a pass.
        // A platform creates no link from a refused response: nothing to launch.
        Fault::DlNoData | Fault::DlWrongAudience | Fault::DlForeignKey => vec![
            ("lti.tool.dl.response", Outcome::Fail),
            ("lti.tool.dl.launch-returned-link", Outcome::Error),
        ],
        Fault::IgnoresAcceptTypes | Fault::IgnoresAcceptMultiple => {
            vec![("lti.tool.dl.accept-types", Outcome::Fail)]
        }
        // Redirecting back after a cancel is a SHOULD (DL 2.3).
        Fault::NoResponseOnCancel => vec![("lti.tool.dl.cancel", Outcome::Warn)],
        Fault::JwksLeaksPrivateKey => vec![("lti.tool.sec.jwks", Outcome::Fail)],
        // Without a kid the platform finds no key for the tool's signatures:
        // the Deep Linking response and every client assertion are refused.
        // (as with NrpsWrongAssertionAudience, no NRPS or AGS call follows).
        Fault::JwksWithoutKid => vec![
            ("lti.tool.sec.jwks", Outcome::Fail),
            ("lti.tool.dl.response", Outcome::Fail),
            ("lti.tool.dl.launch-returned-link", Outcome::Error),
            ("lti.tool.nrps.memberships", Outcome::Fail),
            ("lti.tool.nrps.paging", Outcome::Error),
            ("lti.tool.ags.gradebook", Outcome::Fail),
            ("lti.tool.ags.lineitem", Outcome::Fail),
            ("lti.tool.ags.score", Outcome::Fail),
            ("lti.tool.ags.scores-url", Outcome::Fail),
            ("lti.tool.ags.media-types", Outcome::Fail),
            ("lti.tool.ags.results", Outcome::Fail),
            ("lti.tool.ags.token-retry", Outcome::Fail),
            ("lti.tool.ags.lineitem-claim", Outcome::Fail),
        ],
        Fault::NrpsNoPaging => vec![("lti.tool.nrps.paging", Outcome::Fail)],
        // The token is refused, so no memberships request follows; the AGS
        // calls share the client assertion, so none of them comes either (the
        // token request itself asks for the right scopes).
        Fault::NrpsWrongAssertionAudience => vec![
            ("lti.tool.nrps.memberships", Outcome::Fail),
            ("lti.tool.nrps.paging", Outcome::Error),
            ("lti.tool.ags.gradebook", Outcome::Fail),
            ("lti.tool.ags.lineitem", Outcome::Fail),
            ("lti.tool.ags.score", Outcome::Fail),
            ("lti.tool.ags.scores-url", Outcome::Fail),
            ("lti.tool.ags.media-types", Outcome::Fail),
            ("lti.tool.ags.results", Outcome::Fail),
            ("lti.tool.ags.token-retry", Outcome::Fail),
            ("lti.tool.ags.lineitem-claim", Outcome::Fail),
        ],
        // The platform refuses the score (415), so it never reaches the
        // gradebook as a valid score; the score case names the header.
        Fault::AgsWrongScoreMediaType => vec![("lti.tool.ags.score", Outcome::Fail)],
        Fault::AgsDropQueryFromScoresUrl => vec![
            ("lti.tool.ags.scores-url", Outcome::Fail),
            ("lti.tool.ags.lineitem-claim", Outcome::Fail),
        ],
        Fault::AgsBadTimestamp | Fault::AgsNoScoreMaximum => {
            vec![("lti.tool.ags.score", Outcome::Fail)]
        }
        Fault::AgsNoTokenRetry => vec![("lti.tool.ags.token-retry", Outcome::Fail)],
        Fault::AgsWrongAccept => vec![("lti.tool.ags.media-types", Outcome::Fail)],
        Fault::AgsExtraScope => vec![
            ("lti.tool.ags.token-scopes", Outcome::Fail),
            ("lti.tool.ags.lineitem-claim", Outcome::Fail),
        ],
        // The platform refuses the line item (400): nothing to post a score to,
        // so every case that needs the score fails too (calls that never came fail).
        Fault::AgsLineItemNoLabel => vec![
            ("lti.tool.ags.gradebook", Outcome::Fail),
            ("lti.tool.ags.lineitem", Outcome::Fail),
            ("lti.tool.ags.score", Outcome::Fail),
            ("lti.tool.ags.scores-url", Outcome::Fail),
            ("lti.tool.ags.results", Outcome::Fail),
        ],
        Fault::AgsNoResultsRead => vec![("lti.tool.ags.results", Outcome::Fail)],
        Fault::DropMessageHint => {
            use accredit_core::Suite;
            const SHAPE: [&str; 4] = [
                "lti.tool.core.launch.instructor",
                "lti.tool.core.launch.student",
                "lti.tool.oidc.target-link-uri-query",
                // A valid launch whose id_token never comes is a failed launch.
                "lti.tool.ags.launch",
            ];
            accredit_suite_lti::LtiToolSuite
                .catalog()
                .into_iter()
                // The only case without a launch: it reads the tool's JWKS.
                .filter(|m| m.id != "lti.tool.sec.jwks")
                .map(|m| {
                    // The valid-launch variants check the auth request's shape too.
                    let variant = m.id.starts_with("lti.tool.core.launch.instructor.")
                        || m.id.starts_with("lti.tool.core.launch.student.");
                    let o = if SHAPE.contains(&m.id) || variant {
                        Outcome::Fail
                    } else {
                        Outcome::Error
                    };
                    (m.id, o)
                })
                .collect()
        }
    }
}

#[rstest]
#[case::skip_signature_check(Fault::SkipSignatureCheck)]
#[case::accept_expired(Fault::AcceptExpired)]
#[case::ignore_nonce(Fault::IgnoreNonce)]
#[case::refuse_all_launches(Fault::RefuseAllLaunches)]
#[case::accept_alg_none(Fault::AcceptAlgNone)]
#[case::accept_hs256(Fault::AcceptHs256)]
#[case::ignore_azp(Fault::IgnoreAzp)]
#[case::ignore_audience(Fault::IgnoreAudience)]
#[case::ignore_issuer(Fault::IgnoreIssuer)]
#[case::lenient_issuer(Fault::LenientIssuer)]
#[case::nonce_unbound(Fault::NonceUnbound)]
#[case::no_state_check(Fault::NoStateCheck)]
#[case::accept_unknown_deployment(Fault::AcceptUnknownDeployment)]
#[case::no_leeway(Fault::NoLeeway)]
#[case::excessive_leeway(Fault::ExcessiveLeeway)]
#[case::no_jwks_refetch(Fault::NoJwksRefetch)]
#[case::drop_target_query(Fault::DropTargetQuery)]
#[case::drop_message_hint(Fault::DropMessageHint)]
#[case::dl_no_data(Fault::DlNoData)]
#[case::dl_wrong_audience(Fault::DlWrongAudience)]
#[case::dl_foreign_key(Fault::DlForeignKey)]
#[case::nrps_no_paging(Fault::NrpsNoPaging)]
#[case::nrps_wrong_assertion_audience(Fault::NrpsWrongAssertionAudience)]
#[case::ags_wrong_score_media_type(Fault::AgsWrongScoreMediaType)]
#[case::ags_drop_query_from_scores_url(Fault::AgsDropQueryFromScoresUrl)]
#[case::ags_bad_timestamp(Fault::AgsBadTimestamp)]
#[case::ags_no_score_maximum(Fault::AgsNoScoreMaximum)]
#[case::ags_no_token_retry(Fault::AgsNoTokenRetry)]
#[case::ags_wrong_accept(Fault::AgsWrongAccept)]
#[case::ags_extra_scope(Fault::AgsExtraScope)]
#[case::ags_line_item_no_label(Fault::AgsLineItemNoLabel)]
#[case::ags_no_results_read(Fault::AgsNoResultsRead)]
#[case::ignores_accept_types(Fault::IgnoresAcceptTypes)]
#[case::ignores_accept_multiple(Fault::IgnoresAcceptMultiple)]
#[case::no_response_on_cancel(Fault::NoResponseOnCancel)]
#[case::jwks_without_kid(Fault::JwksWithoutKid)]
#[case::jwks_leaks_private_key(Fault::JwksLeaksPrivateKey)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_cases(#[case] fault: Fault) {
    let (tool, profile) = reference_tool(vec![fault]).await;
    let record = run_suite(&profile, TIMEOUT).await;
    tool.shutdown().await;
    eprintln!("fault {fault:?}:\n{}", dump(&record));
    let got = non_passing(&record);
    let want: Vec<(String, Outcome)> = expected(fault)
        .into_iter()
        .map(|(id, o)| (id.to_string(), o))
        .collect();
    assert_eq!(got, want, "fault {fault:?}:\n{}", dump(&record));
}

#[test]
fn the_catalog_size_is_known() {
    use accredit_core::Suite;
    assert_eq!(accredit_suite_lti::LtiToolSuite.catalog().len(), CASES);
}

#[test]
fn the_matrix_covers_every_fault() {
    for f in Fault::ALL {
        assert!(
            !expected(f).is_empty(),
            "{f:?} must break at least one case"
        );
    }
}
