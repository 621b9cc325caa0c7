//! Bad input to the sensor suite's endpoint: bodies that are not JSON, nested
//! too deeply, over the 4 MiB limit, not UTF-8, sent too slowly, arrays, and a
//! request without a Host header. Each becomes a located finding; nothing panics.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use accredit_core::Outcome;
use accredit_suite_caliper::{CaliperSensorSuite, sensor_demo_profile, valid_envelope};
use tokio::io::AsyncWriteExt;

use common::{Token, dump, reserve, result, run_suite};

const TIMEOUT: Duration = Duration::from_secs(40);

async fn connect(addr: SocketAddr) -> tokio::net::TcpStream {
    for _ in 0..200 {
        if let Ok(s) = tokio::net::TcpStream::connect(addr).await {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the suite's endpoint never listened on {addr}");
}

async fn post(addr: SocketAddr, token: &str, body: Vec<u8>) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .user_agent("hostile-sensor")
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    drop(connect(addr).await);
    let _ = client
        .post(format!("http://{addr}/caliper"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
}

/// Headers and 10 of 100 announced body bytes, then silence.
async fn slow(addr: SocketAddr, token: &str) {
    let mut s = connect(addr).await;
    let head = format!(
        "POST /caliper HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"sensor\":"
    );
    let _ = s.write_all(head.as_bytes()).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
}

/// HTTP/1.0 without a Host header, carrying a valid envelope.
async fn no_host(addr: SocketAddr, token: &str) {
    let mut s = connect(addr).await;
    let body = valid_envelope("http://purl.imsglobal.org/ctx/caliper/v1p2").to_string();
    let req = format!(
        "POST /caliper HTTP/1.0\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(req.as_bytes()).await;
    let mut sink = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut s, &mut sink).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_become_findings() {
    let token = Token::new();
    let listen = reserve();
    let profile = sensor_demo_profile("hostile", listen, &token.reference, None, &[], 5);
    let t = token.value.clone();
    let sender = tokio::spawn(async move {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
        let huge = vec![b' '; 5 * 1024 * 1024];
        tokio::join!(
            slow(listen, &t),
            post(listen, &t, b"hello, not json".to_vec()),
            post(listen, &t, deep),
            post(listen, &t, huge),
            post(listen, &t, b"{\"sensor\": \"\xC3\x28\"}".to_vec()),
            post(listen, &t, b"[]".to_vec()),
            no_host(listen, &t),
        );
    });
    let record = run_suite(&CaliperSensorSuite, &profile, None, TIMEOUT).await;
    sender.abort();
    let text = dump(&record);
    assert!(
        record.aborted.is_none() && record.not_run.is_empty(),
        "{text}"
    );

    let single = result(&record, "caliper.sensor.http.single-envelope");
    assert_eq!(single.outcome, Outcome::Fail, "{text}");
    let messages: Vec<&str> = single.findings.iter().map(|f| f.message.as_str()).collect();
    for says in [
        "body is not JSON",
        "nested too deeply",
        "limit: refused (answered 413)",
        "not valid UTF-8",
        "did not arrive within 5000 ms: refused (answered 408)",
        "JSON array",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(says)),
            "no finding says {says:?}: {messages:#?}"
        );
    }
    let host = result(&record, "caliper.sensor.http.host");
    assert_eq!(host.outcome, Outcome::Fail, "{text}");
    assert!(host.findings.iter().any(|f| f.message == "no Host header"));
    // The one valid envelope (sent without Host) is still judged.
    assert_eq!(
        result(&record, "caliper.sensor.envelope.required-properties").outcome,
        Outcome::Pass,
        "{text}"
    );
    // The refused requests are in the evidence, with their status.
    let ev = record
        .evidence
        .iter()
        .find(|e| e.case_id == "caliper.sensor.http.single-envelope")
        .unwrap_or_else(|| panic!("no evidence"));
    let statuses: Vec<u16> = ev
        .exchanges
        .iter()
        .filter_map(|x| x.response.as_ref().map(|r| r.status))
        .collect();
    assert!(
        statuses.contains(&413) && statuses.contains(&408),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_sensor_fails_the_transmission_case_and_skips_the_rest() {
    let token = Token::new();
    let profile = sensor_demo_profile(
        "silent",
        reserve(),
        &token.reference,
        None,
        &["SessionProfile"],
        1,
    );
    let record = run_suite(&CaliperSensorSuite, &profile, None, TIMEOUT).await;
    let text = dump(&record);
    assert_eq!(
        result(&record, "caliper.sensor.envelopes-received").outcome,
        Outcome::Fail,
        "{text}"
    );
    assert_eq!(
        result(&record, "caliper.sensor.profile-coverage.session").outcome,
        Outcome::Fail,
        "a claimed profile with nothing seen fails: {text}"
    );
    for r in &record.results {
        let expected_fail = r.id == "caliper.sensor.envelopes-received"
            || r.id == "caliper.sensor.profile-coverage.session";
        if !expected_fail {
            assert_eq!(r.outcome, Outcome::Skip, "{}: {}", r.id, r.message);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_trigger_is_a_failure_with_the_reason() {
    let token = Token::new();
    let dead = reserve();
    let profile = sensor_demo_profile(
        "dead trigger",
        reserve(),
        &token.reference,
        Some(&format!("http://{dead}/caliper/trigger")),
        &[],
        1,
    );
    let record = run_suite(&CaliperSensorSuite, &profile, None, TIMEOUT).await;
    let r = result(&record, "caliper.sensor.envelopes-received");
    assert_eq!(r.outcome, Outcome::Fail, "{}", dump(&record));
    assert!(r.message.contains("trigger"), "{}", r.message);
}

#[tokio::test]
async fn a_wait_longer_than_the_case_timeout_is_a_usage_error() {
    use accredit_core::evidence::EvidenceRouter;
    use accredit_core::profile::ProfileDoc;
    use accredit_core::reports::Redactor;
    use accredit_core::{Suite, SuiteError, SuiteStart};

    let token = Token::new();
    let text = sensor_demo_profile("slow", reserve(), &token.reference, None, &[], 30);
    let doc =
        ProfileDoc::parse("p.toml", &text, &["caliper-sensor"]).unwrap_or_else(|e| panic!("{e}"));
    let redactor = Redactor::default();
    let started = CaliperSensorSuite
        .start(SuiteStart {
            profile: Some(&doc),
            inputs: &[],
            schema_dir: None,
            router: EvidenceRouter::new(redactor.clone()),
            redactor,
            case_timeout: Duration::from_secs(20),
            browser: None,
        })
        .await;
    match started {
        Err(SuiteError::Usage(m)) => assert!(m.contains("wait_seconds = 30"), "{m}"),
        Err(e) => panic!("expected a usage error, got {e}"),
        Ok(_) => panic!("expected a usage error"),
    }
}
