//! The oneroster-consumer suite against the reference consumer: a correct
//! consumer passes every case, and each injected fault fails exactly the cases
//! aimed at it (plus, where a defect stops a read, the paging and tolerance
//! cases that can only see a read that stopped: listed per fault). Both
//! versions: the 1.2 reference (OAuth 2) and the 1.1 reference (OAuth 1.0a
//! HMAC-SHA256 against the 1.1 surface); the cases of the other version are
//! `skip`, with the reason, in every run.

mod common;

use std::time::Duration;

use accredit_core::runner::RunRecord;
use accredit_core::{Outcome, Suite};
use accredit_mock_tool::oneroster::ConsumerFault;
use accredit_suite_oneroster::consumer::cases::ids;
use accredit_suite_oneroster::consumer::{Version, start_reference_consumer_for};
use accredit_suite_oneroster::{OneRosterConsumerSuite, start_reference_consumer};
use rstest::rstest;

const TIMEOUT: Duration = Duration::from_secs(60);

async fn run_suite(suite: &dyn Suite, profile: &str, case_timeout: Duration) -> RunRecord {
    common::run_once(suite, profile, case_timeout).await
}

fn non_passing(record: &RunRecord) -> Vec<(String, Outcome)> {
    common::non_passing(record, common::all)
}

fn dump(record: &RunRecord) -> String {
    common::dump(record, common::all)
}

async fn run_reference(faults: Vec<ConsumerFault>) -> RunRecord {
    run_reference_for(Version::V1p2, faults).await
}

async fn run_reference_for(version: Version, faults: Vec<ConsumerFault>) -> RunRecord {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let reference = if version == Version::V1p2 {
        start_reference_consumer(dir.path(), faults).await
    } else {
        start_reference_consumer_for(dir.path(), version, faults).await
    }
    .unwrap_or_else(|e| panic!("reference consumer: {e}"));
    let record = run_suite(&OneRosterConsumerSuite, &reference.profile, TIMEOUT).await;
    reference.consumer.shutdown().await;
    let text = serde_json::to_string(&record.evidence).unwrap_or_default();
    assert!(
        !text.contains(&reference.client_secret),
        "the client secret leaked into evidence"
    );
    record
}

/// The cases that do not apply to `version` (always `skip`).
fn version_skips(version: Version) -> Vec<(&'static str, Outcome)> {
    match version {
        Version::V1p2 => vec![
            (ids::OAUTH1_SIGNED, Outcome::Skip),
            (ids::OAUTH1_SIGNATURE, Outcome::Skip),
            (ids::OAUTH1_NONCE, Outcome::Skip),
            (ids::OAUTH1_TIMESTAMP, Outcome::Skip),
        ],
        Version::V1p1 => vec![
            (ids::TOKEN, Outcome::Skip),
            (ids::BEARER, Outcome::Skip),
            (ids::WRITES, Outcome::Skip),
        ],
    }
}

fn owned(mut v: Vec<(&'static str, Outcome)>) -> Vec<(String, Outcome)> {
    v.sort();
    v.into_iter().map(|(id, o)| (id.to_string(), o)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reference_consumer_passes_every_case() {
    let record = run_reference(vec![]).await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(record.results.len(), OneRosterConsumerSuite.catalog().len());
    assert_eq!(
        non_passing(&record),
        owned(version_skips(Version::V1p2)),
        "{}",
        dump(&record)
    );
    // Each case carries the exchanges it judged.
    let ev = record
        .evidence
        .iter()
        .find(|e| e.case_id == ids::RETRY_429)
        .unwrap_or_else(|| panic!("no evidence"));
    assert!(
        ev.exchanges
            .iter()
            .any(|x| x.response.as_ref().is_some_and(|r| r.status == 429)),
        "the 429 is attached to its case"
    );
}

/// What each fault must break, and nothing else.
fn expected(fault: ConsumerFault) -> Vec<(&'static str, Outcome)> {
    use Outcome::{Fail, Skip, Warn};
    let mut v = match fault {
        // Page 0 carries the extension members: stopping there is
        // indistinguishable, from the SIS, from choking on them; odd pages
        // (optional fields absent) are never served.
        ConsumerFault::StopsAtPage1 => vec![
            (ids::TO_LAST, Fail),
            (ids::CONSISTENT, Skip),
            (ids::EXTENSIONS, Fail),
            (ids::OPTIONAL, Skip),
        ],
        // Offset 100 after a 4-record page: records 4..99 are skipped; short
        // collections end there, enrollments go on (page 25, odd: optional
        // fields absent, and the consumer went past it).
        ConsumerFault::OffsetByRequestedLimit => vec![
            (ids::TO_LAST, Fail),
            (ids::CONSISTENT, Fail),
            (ids::EXTENSIONS, Fail),
        ],
        ConsumerFault::IgnoresRetryAfter => vec![(ids::RETRY_429, Warn)],
        ConsumerFault::RetriesWithoutBackoff => vec![(ids::RETRY_503, Warn)],
        // The 429 on users and the 503 on classes abandon both collections.
        ConsumerFault::NoRetry => vec![
            (ids::RETRY_429, Warn),
            (ids::RETRY_503, Warn),
            (ids::READS, Fail),
        ],
        ConsumerFault::RetriesForever => vec![(ids::GIVES_UP, Fail)],
        ConsumerFault::UnencodedFilter => vec![(ids::FILTER_ENCODED, Fail)],
        // The SIS refuses the filter (400): enrollments are never read.
        ConsumerFault::InvalidFilterGrammar => {
            vec![(ids::FILTER_GRAMMAR, Fail), (ids::READS, Fail)]
        }
        ConsumerFault::SecretInQuery => vec![(ids::SECRET_URL, Fail)],
        // Every data request is refused (401): nothing is read. The 429 and
        // 503 are injected before authentication (a rate limiter in front of
        // the SIS), so the retry cases still see proper retries.
        ConsumerFault::NoBearer => vec![
            (ids::BEARER, Fail),
            (ids::READS, Fail),
            (ids::TO_LAST, Skip),
            (ids::CONSISTENT, Skip),
            (ids::EXTENSIONS, Skip),
            (ids::OPTIONAL, Skip),
        ],
        ConsumerFault::StrictExtensions => vec![
            (ids::TO_LAST, Fail),
            (ids::CONSISTENT, Skip),
            (ids::EXTENSIONS, Fail),
            (ids::OPTIONAL, Skip),
        ],
        ConsumerFault::RequiresOptionalFields => vec![(ids::TO_LAST, Fail), (ids::OPTIONAL, Fail)],
        ConsumerFault::AcceptsXmlOnly => vec![(ids::ACCEPT, Warn)],
        ConsumerFault::BadWriteBody => vec![(ids::WRITES, Fail)],
        other => panic!("{other:?} is a 1.1 fault (see expected_v1p1)"),
    };
    v.sort();
    v
}

#[rstest]
#[case::stops_at_page_1(ConsumerFault::StopsAtPage1)]
#[case::offset_by_requested_limit(ConsumerFault::OffsetByRequestedLimit)]
#[case::ignores_retry_after(ConsumerFault::IgnoresRetryAfter)]
#[case::retries_without_backoff(ConsumerFault::RetriesWithoutBackoff)]
#[case::no_retry(ConsumerFault::NoRetry)]
#[case::retries_forever(ConsumerFault::RetriesForever)]
#[case::unencoded_filter(ConsumerFault::UnencodedFilter)]
#[case::invalid_filter_grammar(ConsumerFault::InvalidFilterGrammar)]
#[case::secret_in_query(ConsumerFault::SecretInQuery)]
#[case::no_bearer(ConsumerFault::NoBearer)]
#[case::strict_extensions(ConsumerFault::StrictExtensions)]
#[case::requires_optional_fields(ConsumerFault::RequiresOptionalFields)]
#[case::accepts_xml_only(ConsumerFault::AcceptsXmlOnly)]
#[case::bad_write_body(ConsumerFault::BadWriteBody)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_fault_fails_exactly_its_cases(#[case] fault: ConsumerFault) {
    let record = run_reference(vec![fault]).await;
    let mut want = expected(fault);
    want.extend(version_skips(Version::V1p2));
    assert_eq!(
        non_passing(&record),
        owned(want),
        "{fault:?}\n{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_v1p1_reference_consumer_passes_every_case_that_applies() {
    let record = run_reference_for(Version::V1p1, vec![]).await;
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{}",
        dump(&record)
    );
    assert_eq!(
        non_passing(&record),
        owned(version_skips(Version::V1p1)),
        "{}",
        dump(&record)
    );
    // The skips say why.
    let token = record
        .results
        .iter()
        .find(|c| c.id == ids::TOKEN)
        .unwrap_or_else(|| panic!("no token case"));
    assert!(token.message.contains("OAuth 1.0a"), "{}", token.message);
    // The signature evidence is the consumer's own signed requests.
    let ev = record
        .evidence
        .iter()
        .find(|e| e.case_id == ids::OAUTH1_SIGNATURE)
        .unwrap_or_else(|| panic!("no evidence"));
    assert!(
        ev.exchanges
            .iter()
            .any(|x| x.request.url.contains("/ims/oneroster/v1p1/")),
        "{}",
        dump(&record)
    );
}

/// What each 1.1 fault must break. A refused signature stops every read
/// (401), so the paging and tolerance cases see nothing; the 429 and 503 are
/// injected in front of the verifier, so the retry cases still judge.
fn expected_v1p1(fault: ConsumerFault) -> Vec<(&'static str, Outcome)> {
    use Outcome::{Fail, Skip};
    let refused = [
        (ids::READS, Fail),
        (ids::TO_LAST, Skip),
        (ids::CONSISTENT, Skip),
        (ids::EXTENSIONS, Skip),
        (ids::OPTIONAL, Skip),
    ];
    let mut v = match fault {
        ConsumerFault::UnsignedRequests => vec![
            (ids::OAUTH1_SIGNED, Fail),
            (ids::OAUTH1_SIGNATURE, Skip),
            (ids::OAUTH1_NONCE, Skip),
            (ids::OAUTH1_TIMESTAMP, Skip),
        ],
        ConsumerFault::Oauth1WrongSignature => vec![(ids::OAUTH1_SIGNATURE, Fail)],
        ConsumerFault::Oauth1StaleTimestamp => vec![(ids::OAUTH1_TIMESTAMP, Fail)],
        other => panic!("{other:?} is not a 1.1 fault"),
    };
    v.extend(refused);
    v.extend(version_skips(Version::V1p1));
    v
}

#[rstest]
#[case::unsigned_requests(ConsumerFault::UnsignedRequests)]
#[case::oauth1_wrong_signature(ConsumerFault::Oauth1WrongSignature)]
#[case::oauth1_stale_timestamp(ConsumerFault::Oauth1StaleTimestamp)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_v1p1_fault_fails_exactly_its_cases(#[case] fault: ConsumerFault) {
    let record = run_reference_for(Version::V1p1, vec![fault]).await;
    assert_eq!(
        non_passing(&record),
        owned(expected_v1p1(fault)),
        "{fault:?}\n{}",
        dump(&record)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reused_nonce_fails_the_nonce_case_and_no_other_auth_case() {
    // Which replays the SIS refuses depends on which second each request
    // falls in (the verifier keys nonces by timestamp), so what was read
    // varies; the auth verdicts do not.
    let record = run_reference_for(Version::V1p1, vec![ConsumerFault::Oauth1ReusesNonce]).await;
    let outcome = |id: &str| {
        record
            .results
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.outcome)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    assert_eq!(
        outcome(ids::OAUTH1_NONCE),
        Outcome::Fail,
        "{}",
        dump(&record)
    );
    for id in [
        ids::OAUTH1_SIGNED,
        ids::OAUTH1_SIGNATURE,
        ids::OAUTH1_TIMESTAMP,
        ids::SECRET_URL,
    ] {
        assert_eq!(outcome(id), Outcome::Pass, "{id}\n{}", dump(&record));
    }
}

#[test]
fn every_fault_breaks_something() {
    // A fault that no case notices would be a blind spot of the suite. (The
    // rstest list above names every variant of ConsumerFault::ALL.)
    assert_eq!(ConsumerFault::ALL.len(), 14);
    assert_eq!(ConsumerFault::V1P1.len(), 4);
    for f in ConsumerFault::V1P1 {
        if f == ConsumerFault::Oauth1ReusesNonce {
            continue; // judged by its own test above
        }
        assert!(
            expected_v1p1(f)
                .iter()
                .any(|(id, o)| id.contains("oauth1") && *o == Outcome::Fail),
            "{f:?}"
        );
    }
    for f in ConsumerFault::ALL {
        assert!(
            expected(f)
                .iter()
                .any(|(_, o)| matches!(o, Outcome::Fail | Outcome::Warn)),
            "{f:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_never_comes_fails_what_it_expects() {
    // Manual trigger, nobody calls: every case with an expectation fails,
    // none passes.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let secret = dir.path().join("s");
    std::fs::write(&secret, "x").unwrap_or_else(|e| panic!("{e}"));
    let listen =
        accredit_mock_platform::reserve_port().unwrap_or_else(|e| panic!("reserve port: {e}"));
    let profile = accredit_suite_oneroster::consumer_demo_profile(
        "absent consumer",
        listen,
        "accredit-consumer",
        &format!("file:{}", secret.display()),
        &accredit_suite_oneroster::consumer::Trigger::Manual,
        1,
        200,
        &["users"],
    );
    let record = run_suite(&OneRosterConsumerSuite, &profile, Duration::from_secs(20)).await;
    // (The cases of the other version skip, as always.)
    let skips = version_skips(Version::V1p2);
    assert!(
        record.results.iter().all(|r| {
            let skip = skips.iter().any(|(id, _)| *id == r.id);
            r.outcome == if skip { Outcome::Skip } else { Outcome::Fail }
        }),
        "{}",
        dump(&record)
    );
}
