//! End-to-end tests of the `accredit` binary: exit codes, profile errors,
//! bundles, verification, history, baselines, interruption and redaction.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;

fn accredit() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accredit"));
    c.env_remove("ACCREDIT_HISTORY_DB")
        .env("CI", "true")
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("spawn accredit")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn schemas() -> Option<PathBuf> {
    std::env::var_os("ACCREDIT_SCHEMA_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas");
            p.is_dir().then_some(p)
        })
}

/// Our own valid Caliper 1.2 envelope, written to a file.
fn caliper_sample(dir: &Path) -> PathBuf {
    let p = dir.join("sample.json");
    std::fs::write(
        &p,
        serde_json::to_vec_pretty(&accredit_suite_caliper::sample_envelope()).unwrap(),
    )
    .unwrap();
    p
}

fn caliper_bad(dir: &Path) -> PathBuf {
    let mut env = accredit_suite_caliper::sample_envelope();
    env["sendTime"] = serde_json::json!("yesterday");
    let p = dir.join("bad.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&env).unwrap()).unwrap();
    p
}

#[test]
fn list_json_has_id_level_spec_official() {
    let o = run(accredit().args(["list", "--format", "json"]));
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cases = v.as_array().unwrap();
    assert!(cases.len() > 5);
    for c in cases {
        for key in ["id", "level", "spec", "official", "requirement", "suite"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        assert!(
            c["spec"]["url"].as_str().unwrap().starts_with("https://"),
            "{c}"
        );
        assert!(!c["requirement"].as_str().unwrap().trim().is_empty(), "{c}");
        assert!(
            ["MUST", "SHOULD", "MAY"].contains(&c["level"].as_str().unwrap()),
            "{c}"
        );
    }
    // Ids are stable keys across suites: never reused.
    let mut ids = std::collections::BTreeSet::new();
    for c in cases {
        assert!(
            ids.insert(c["id"].as_str().unwrap()),
            "duplicate id {}",
            c["id"]
        );
    }
    let suites: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c["suite"].as_str().unwrap()).collect();
    assert!(
        suites.contains("lti-tool") && suites.contains("caliper"),
        "{suites:?}"
    );
    assert!(
        cases.iter().any(|c| c["official"] == true) && cases.iter().any(|c| c["official"] == false)
    );
}

#[test]
fn list_rejects_unknown_suite_with_exit_2() {
    let o = run(accredit().args(["list", "--suite", "nope"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown suite"));
}

#[test]
fn init_writes_a_template_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tool.toml");
    let o = run(accredit().args(["init", "lti-tool", "--output"]).arg(&path));
    assert!(o.status.success(), "{}", text(&o));
    let t = std::fs::read_to_string(&path).unwrap();
    assert!(t.contains("[candidate]") && t.contains("[lti-tool]"), "{t}");
    let again = run(accredit().args(["init", "lti-tool", "--output"]).arg(&path));
    assert_eq!(again.status.code(), Some(2));
}

#[rstest]
#[case::unknown_key(
    "[candidate]\nname = \"x\"\n[lti-tool]\nlogin_urll = \"http://127.0.0.1:1/login\"\n",
    "p.toml:4:",
    "login_urll"
)]
#[case::unknown_table("[candidate]\nname = \"x\"\n[lti-tol]\n", "p.toml:3:", "lti-tol")]
#[case::bad_url(
    "[candidate]\nname = \"x\"\n[lti-tool]\nlogin_url = \"not a url\"\n",
    "p.toml:4:",
    "login_url"
)]
#[case::missing_candidate("[lti-tool]\n", "p.toml:1:", "candidate")]
#[case::inline_header_secret_missing_env(
    "[candidate]\nname = \"x\"\nhttp_headers = { \"X-T\" = \"env:ACCREDIT_TEST_UNSET_VAR\" }\n",
    "p.toml:3:",
    "ACCREDIT_TEST_UNSET_VAR"
)]
fn profile_errors_exit_2_naming_file_line_and_key(
    #[case] profile: &str,
    #[case] location: &str,
    #[case] key: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), profile).unwrap();
    let o = run(accredit().current_dir(dir.path()).args([
        "run",
        "lti-tool",
        "--candidate",
        "p.toml",
        "--no-history",
        "--out",
        "out",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains(location), "{t}");
    assert!(t.contains(key), "{t}");
    assert!(
        !dir.path().join("out/report.json").exists(),
        "nothing runs on a profile error"
    );
}

#[test]
fn validate_caliper_passes_our_sample_and_fails_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = caliper_sample(dir.path());
    let bad = caliper_bad(dir.path());
    let mut c = accredit();
    c.args(["validate", "caliper"])
        .arg(&good)
        .args(["--no-history", "--out"])
        .arg(dir.path().join("good"));
    if let Some(s) = schemas() {
        c.arg("--schemas").arg(s);
    }
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(accredit()
        .args(["validate", "caliper"])
        .arg(&bad)
        .args(["--no-history", "--out"])
        .arg(dir.path().join("bad")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bad/report.json")).unwrap())
            .unwrap();
    let failed: Vec<&serde_json::Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .collect();
    assert!(!failed.is_empty());
    let finding = &failed[0]["findings"][0];
    assert_eq!(finding["location"], "/sendTime", "{finding}");
}

#[test]
fn validate_missing_input_is_a_usage_error() {
    let o = run(accredit().args([
        "validate",
        "caliper",
        "/definitely/not/here.json",
        "--no-history",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn out_dir_that_is_not_a_bundle_is_never_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let good = caliper_sample(dir.path());
    let out = dir.path().join("precious");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("thesis.txt"), "do not delete").unwrap();
    let o = run(accredit()
        .args(["validate", "caliper"])
        .arg(&good)
        .args(["--no-history", "--out"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("thesis.txt")).unwrap(),
        "do not delete"
    );
}

#[test]
fn verify_report_detects_a_changed_byte_in_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = caliper_bad(dir.path());
    let out = dir.path().join("bundle");
    let o = run(accredit()
        .args(["validate", "caliper"])
        .arg(&bad)
        .args(["--no-history", "--out"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let ok = run(accredit().arg("verify-report").arg(&out));
    assert!(ok.status.success(), "{}", text(&ok));
    let manifest = std::fs::read_to_string(out.join("MANIFEST.sha256")).unwrap();
    let files: Vec<String> = manifest
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p.to_string()))
        .collect();
    for name in ["report.json", "junit.xml", "report.html", "summary.md"] {
        assert!(files.iter().any(|f| f == name), "{name} not in manifest");
    }
    for f in files.iter().map(String::as_str).chain(["MANIFEST.sha256"]) {
        let p = out.join(f);
        let orig = std::fs::read(&p).unwrap();
        let mut changed = orig.clone();
        let i = changed.len() / 2;
        changed[i] ^= 0x01;
        std::fs::write(&p, &changed).unwrap();
        let v = run(accredit().arg("verify-report").arg(&out));
        assert_eq!(
            v.status.code(),
            Some(1),
            "changing one byte of {f} went unnoticed: {}",
            text(&v)
        );
        std::fs::write(&p, &orig).unwrap();
    }
    assert!(
        run(accredit().arg("verify-report").arg(&out))
            .status
            .success()
    );
}

#[test]
fn history_records_runs_and_baseline_reports_regressions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let good = caliper_sample(dir.path());
    let bad = caliper_bad(dir.path());
    let o = run(accredit()
        .env("ACCREDIT_HISTORY_DB", &db)
        .args(["validate", "caliper"])
        .arg(&good)
        .args(["--out"])
        .arg(dir.path().join("r1")));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Regression against the first run: exit 1 and the case is named.
    let o = run(accredit()
        .env("ACCREDIT_HISTORY_DB", &db)
        .args(["validate", "caliper"])
        .arg(&bad)
        .args(["--out"])
        .arg(dir.path().join("r2"))
        .arg("--baseline")
        .arg(dir.path().join("r1")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("caliper.envelope"), "{}", text(&o));
    // Against the bad run the defect is fixed and nothing regressed: exit 0.
    let o = run(accredit()
        .env("ACCREDIT_HISTORY_DB", &db)
        .args(["validate", "caliper"])
        .arg(&good)
        .args(["--out"])
        .arg(dir.path().join("r3"))
        .arg("--baseline")
        .arg(dir.path().join("r2")));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let h = run(accredit()
        .env("ACCREDIT_HISTORY_DB", &db)
        .args(["history", "--format", "json"]));
    assert!(h.status.success(), "{}", text(&h));
    let rows: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
}

/// A candidate that accepts connections and never answers.
fn hanging_server() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[test]
fn ctrl_c_writes_an_incomplete_report_with_exit_3() {
    let (_listener, port) = hanging_server();
    let platform = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let pport = platform.local_addr().unwrap().port();
    drop(platform);
    let dir = tempfile::tempdir().unwrap();
    let profile = accredit_suite_lti::demo_profile(
        "Hanging tool",
        &format!("http://127.0.0.1:{port}/login"),
        &format!("http://127.0.0.1:{port}/launch"),
        "client-1",
        "deployment-1",
        "https://platform.example",
        format!("127.0.0.1:{pport}").parse().unwrap(),
        None,
    );
    std::fs::write(dir.path().join("p.toml"), profile).unwrap();
    let mut child = accredit()
        .current_dir(dir.path())
        .args([
            "run",
            "lti-tool",
            "--candidate",
            "p.toml",
            "--no-history",
            "--out",
            "out",
            "--timeout",
            "120",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let t0 = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "accredit did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(3));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["complete"], false);
    assert!(
        report["incomplete_reason"]
            .as_str()
            .unwrap()
            .contains("interrupted")
    );
    assert!(!report["not_run"].as_array().unwrap().is_empty());
    assert!(
        run(accredit().arg("verify-report").arg(dir.path().join("out")))
            .status
            .success()
    );
}

#[test]
fn unreachable_candidate_gives_error_outcomes_not_a_hang() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let platform = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let pport = platform.local_addr().unwrap().port();
    drop(platform);
    let dir = tempfile::tempdir().unwrap();
    let profile = accredit_suite_lti::demo_profile(
        "Nobody home",
        &format!("http://127.0.0.1:{port}/login"),
        &format!("http://127.0.0.1:{port}/launch"),
        "client-1",
        "deployment-1",
        "https://platform.example",
        format!("127.0.0.1:{pport}").parse().unwrap(),
        None,
    );
    std::fs::write(dir.path().join("p.toml"), profile).unwrap();
    let o = run(accredit().current_dir(dir.path()).args([
        "run",
        "lti-tool",
        "--candidate",
        "p.toml",
        "--no-history",
        "--out",
        "out",
        "--timeout",
        "20",
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    // Nothing is judged against a candidate that is not there: every case is an
    // `error` saying so, or a `skip` whose reason is a missing profile value.
    let mut errors = 0;
    for c in report["cases"].as_array().unwrap() {
        match c["outcome"].as_str().unwrap() {
            "error" => {
                errors += 1;
                let m = c["message"].as_str().unwrap();
                assert!(m.contains("connect") || m.contains("reach"), "{c}");
            }
            "skip" => assert!(c["message"].as_str().unwrap().contains("profile"), "{c}"),
            other => panic!("{other} for an unreachable candidate: {c}"),
        }
    }
    assert!(errors > 10);
}

#[test]
fn demo_passes_every_suite_and_writes_verifiable_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let mut c = accredit();
    c.args(["demo", "--no-history", "--out"]).arg(&out);
    if let Some(s) = schemas() {
        c.env("ACCREDIT_SCHEMA_DIR", s);
    }
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Bundles where every case passes, and bundles that also hold cases the
    // reference cannot pass by design: `review` (a human affirms) or `skip`
    // (the other OneRoster version's cases, consumer behaviours the reference
    // consumer is not asked to show).
    let all_pass = [
        "lti-tool",
        "caliper",
        "caliper-sensor",
        "caliper-endpoint",
        "oneroster-csv",
    ];
    for suite in all_pass.iter().chain(&[
        "lti-platform",
        "oneroster-provider",
        "oneroster-provider-1.1",
        "oneroster-consumer",
    ]) {
        let b = out.join(suite);
        for f in [
            "report.json",
            "junit.xml",
            "report.html",
            "summary.md",
            "MANIFEST.sha256",
        ] {
            assert!(b.join(f).is_file(), "{suite}/{f} missing");
        }
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(b.join("report.json")).unwrap()).unwrap();
        assert_eq!(report["complete"], true);
        let s = &report["summary"];
        assert_eq!(s["fail"], 0, "{suite}: {s}");
        assert_eq!(s["error"], 0, "{suite}: {s}");
        assert_eq!(s["warn"], 0, "{suite}: {s}");
        if all_pass.contains(suite) {
            assert_eq!(
                s["pass"], s["total"],
                "{suite}: every case passes against the reference mocks: {s}"
            );
        } else {
            assert!(s["pass"].as_u64() > Some(0), "{suite}: {s}");
        }
        assert!(
            text(&o).contains(&b.join("report.html").display().to_string()),
            "report path printed"
        );
        let v = run(accredit().arg("verify-report").arg(&b));
        assert!(v.status.success(), "{}", text(&v));
    }
}

/// Serves `root` over loopback (a stand-in for the publishers' servers), with
/// one path optionally replaced by other bytes.
fn serve_dir(root: PathBuf, tamper: Option<String>) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
                let root = root.clone();
                let tamper = tamper.clone();
                async move {
                    let rel = uri.path().trim_start_matches('/').to_string();
                    if tamper.as_deref() == Some(rel.as_str()) {
                        return (axum::http::StatusCode::OK, b"{\"tampered\": true}".to_vec());
                    }
                    match std::fs::read(root.join(&rel)) {
                        Ok(b) => (axum::http::StatusCode::OK, b),
                        Err(_) => (axum::http::StatusCode::NOT_FOUND, Vec::new()),
                    }
                }
            });
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = tokio::time::timeout(Duration::from_secs(60), axum::serve(l, app)).await;
        });
    });
    (format!("http://{addr}"), handle)
}

#[test]
fn schemas_fetch_checks_pins_and_refuses_altered_files() {
    let Some(src) = schemas() else {
        panic!("ACCREDIT_SCHEMA_DIR (or ../shared/schemas) is needed for this test");
    };
    let list = run(accredit().args(["schemas", "list"]));
    assert!(list.status.success(), "{}", text(&list));
    let first = String::from_utf8_lossy(&list.stdout)
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();

    let (base, _h) = serve_dir(src.clone(), None);
    let dest = tempfile::tempdir().unwrap();
    let o = run(accredit()
        .args(["schemas", "fetch", "--base-url", &base, "--dest"])
        .arg(dest.path()));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let c = run(accredit()
        .args(["schemas", "check", "--dir"])
        .arg(dest.path()));
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));

    let (base, _h2) = serve_dir(src, Some(first.clone()));
    let dest2 = tempfile::tempdir().unwrap();
    let o = run(accredit()
        .args(["schemas", "fetch", "--base-url", &base, "--dest"])
        .arg(dest2.path()));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("differs from the pin"), "{}", text(&o));
    assert!(
        !dest2.path().join(&first).exists(),
        "an altered file is never written"
    );
    let c = run(accredit()
        .args(["schemas", "check", "--dir"])
        .arg(dest2.path()));
    assert_eq!(c.status.code(), Some(1));
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out)
        } else {
            out.push(p)
        }
    }
}

#[test]
fn no_configured_secret_reaches_any_output_file() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let platform_addr = accredit_suite_lti::reserve_port().unwrap();
    let endpoints = accredit_suite_lti::endpoints_for(platform_addr);
    let (tool, reg) = rt
        .block_on(accredit_mock_tool::start_reference_tool_for_demo(
            "https://platform.example",
            &endpoints.auth_url,
            &endpoints.jwks_url,
            Vec::new(),
            None,
        ))
        .unwrap();
    let token = format!("staging-{}", uuid::Uuid::new_v4().simple());
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let basic = format!("Basic {}", base64_std(&format!("vendor:{password}")));
    let text = accredit_suite_lti::demo_profile_with_jwks(
        "Secret keeper",
        &reg.login_url,
        &reg.launch_url,
        &reg.client_id,
        &reg.deployment_id,
        &reg.issuer,
        platform_addr,
        Some(accredit_mock_tool::SUCCESS_MARKER),
        &tool.urls().jwks_url,
    )
    .replace(
        "[candidate]\n",
        "[candidate]\nhttp_headers = { \"X-Staging-Token\" = \"env:ACCREDIT_TEST_STAGING_TOKEN\", \"Authorization\" = \"env:ACCREDIT_TEST_BASIC_AUTH\" }\n",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), &text).unwrap();
    let db = dir.path().join("h.sqlite");
    let o = run(accredit()
        .current_dir(dir.path())
        .env("ACCREDIT_TEST_STAGING_TOKEN", &token)
        .env("ACCREDIT_TEST_BASIC_AUTH", &basic)
        .env("ACCREDIT_HISTORY_DB", &db)
        .args(["run", "lti-tool", "--candidate", "p.toml", "--out", "out"]));
    rt.block_on(tool.shutdown());
    assert_eq!(o.status.code(), Some(0), "{}", text_of(&o));
    let mut files = Vec::new();
    walk(&dir.path().join("out"), &mut files);
    files.push(db);
    assert!(files.len() >= 6);
    let forbidden = [
        token.clone(),
        password.clone(),
        basic.clone(),
        base64_std(&format!("vendor:{password}")),
    ];
    let mut saw_header = false;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        for secret in &forbidden {
            assert!(
                !s.contains(secret.as_str()),
                "{} contains a configured secret",
                f.display()
            );
        }
        saw_header |= s.contains("x-staging-token");
    }
    assert!(
        saw_header,
        "the header was sent (and recorded redacted), so the test exercised redaction"
    );
    assert!(
        !text_of(&o).contains(&token),
        "nor does the terminal output"
    );
}

fn text_of(o: &Output) -> String {
    text(o)
}

fn base64_std(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[rstest]
#[case::platform("platform")]
#[case::tool("tool")]
#[case::caliper_endpoint("caliper-endpoint")]
#[case::caliper_sensor("caliper-sensor")]
#[case::sis("sis")]
fn serve_with_a_bad_config_is_a_usage_error(#[case] what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(accredit()
        .args(["serve", what, "--config"])
        .arg(dir.path().join("nope.toml")));
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(text(&missing).contains("nope.toml"), "{}", text(&missing));
    std::fs::write(dir.path().join("bad.toml"), "listen = 12\n").unwrap();
    let bad = run(accredit()
        .args(["serve", what, "--config"])
        .arg(dir.path().join("bad.toml")));
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}
