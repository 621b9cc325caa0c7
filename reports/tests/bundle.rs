//! Bundle writing, tamper detection, signing and compatibility with stock tools
//! (`sha256sum -c`, `openssl dgst`, `openssl pkeyutl`).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use accredit_reports::bundle::{
    self, BundleError, BundleOptions, MANIFEST, PUBLIC_KEY, Problem, SIGNATURE, SignatureCheck,
};
use accredit_reports::{CaseEvidence, Redactor};
use common::*;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use rstest::rstest;

#[derive(Debug, Clone, Copy)]
enum KeyKind {
    Rsa,
    Ec,
    Ed25519,
}

fn gen_key(kind: KeyKind) -> PKey<Private> {
    match kind {
        KeyKind::Rsa => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
        KeyKind::Ec => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
        }
        KeyKind::Ed25519 => PKey::generate_ed25519().unwrap(),
    }
}

/// Writes `key.pem` (private, PKCS#8) and `pub.pem` into `dir`.
fn write_keys(dir: &Path, kind: KeyKind) -> (PathBuf, PathBuf) {
    let key = gen_key(kind);
    let priv_path = dir.join(format!("{kind:?}-key.pem"));
    let pub_path = dir.join(format!("{kind:?}-pub.pem"));
    std::fs::write(&priv_path, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    std::fs::write(&pub_path, key.public_key_to_pem().unwrap()).unwrap();
    (priv_path, pub_path)
}

fn write(dir: &Path, sign_key: Option<PathBuf>) -> Vec<PathBuf> {
    bundle::write_bundle(
        dir,
        &sample_report(),
        &sample_evidence(),
        &Redactor::new([SECRET]),
        &BundleOptions { sign_key },
    )
    .unwrap()
}

fn rel_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        out.push(
            entry
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
        );
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for rel in rel_files(from) {
        let dst = to.join(&rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), dst).unwrap();
    }
}

/// Flips one bit of one byte near the middle of the file (skipping whitespace, so
/// the change is never a no-op for lenient parsers such as PEM).
fn flip_one_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut i = bytes.len() / 2;
    while bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    bytes[i] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn bundle_contents_and_sha256sum_compatibility() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    let written = write(&dir, None);
    let files = rel_files(&dir);
    assert_eq!(
        files,
        [
            "MANIFEST.sha256",
            "evidence/_unattributed.json",
            "evidence/lti.tool.core.launch.bad-signature.json",
            "evidence/lti.tool.core.launch.valid.json",
            "junit.xml",
            "report.html",
            "report.json",
            "summary.md",
        ]
    );
    assert_eq!(written.len(), files.len());
    let manifest = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
    let listed: Vec<&str> = manifest
        .lines()
        .map(|l| l.split_once("  ").unwrap().1)
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "manifest sorted by path");
    assert_eq!(listed.len(), files.len() - 1);

    let out = Command::new("sha256sum")
        .args(["-c", MANIFEST])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let v = bundle::verify_bundle(&dir, None).unwrap();
    assert!(v.ok(), "{v}");
    assert_eq!(v.signature, SignatureCheck::Unsigned);
    assert_eq!(v.files_ok, listed.len());

    // Round trip through the readers.
    assert_eq!(bundle::read_report(&dir).unwrap(), sample_report());
    let mut expected = sample_evidence();
    expected.sort_by(|a, b| {
        bundle::evidence_file_name(&a.case_id).cmp(&bundle::evidence_file_name(&b.case_id))
    });
    assert_eq!(bundle::read_evidence(&dir).unwrap(), expected);
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Unsigned,
    SignedCheckedWithGivenKey,
    SignedCheckedWithEmbeddedKey,
}

/// Changing any single byte of any file of the bundle (including the manifest,
/// the signature and the embedded public key when signed) fails verification.
#[rstest]
fn one_changed_byte_in_any_file_is_detected(
    #[values(
        Mode::Unsigned,
        Mode::SignedCheckedWithGivenKey,
        Mode::SignedCheckedWithEmbeddedKey
    )]
    mode: Mode,
) {
    let tmp = tempfile::tempdir().unwrap();
    let (key, pubkey) = write_keys(tmp.path(), KeyKind::Ec);
    let original = tmp.path().join("original");
    let signed = !matches!(mode, Mode::Unsigned);
    write(&original, signed.then_some(key));
    let pubkey = matches!(mode, Mode::SignedCheckedWithGivenKey).then_some(pubkey.as_path());
    let clean = bundle::verify_bundle(&original, pubkey).unwrap();
    assert!(clean.ok(), "{clean}");

    let files = rel_files(&original);
    assert!(files.iter().any(|f| f.starts_with("evidence/")));
    assert!(files.iter().any(|f| f == MANIFEST));
    if signed {
        assert!(files.iter().any(|f| f == SIGNATURE) && files.iter().any(|f| f == PUBLIC_KEY));
    }
    for (i, rel) in files.iter().enumerate() {
        let copy = tmp.path().join(format!("tampered-{i}"));
        copy_dir(&original, &copy);
        flip_one_byte(&copy.join(rel));
        let v = bundle::verify_bundle(&copy, pubkey).unwrap();
        assert!(
            !v.ok(),
            "{mode:?}: changing one byte of {rel} went unnoticed"
        );
        let fails_for_right_reason = match rel.as_str() {
            MANIFEST | SIGNATURE | PUBLIC_KEY => true,
            other => v
                .problems
                .iter()
                .any(|p| matches!(p, Problem::Modified { path, .. } if path == other)),
        };
        assert!(fails_for_right_reason, "{rel}: {v}");
    }
}

#[test]
fn missing_unlisted_and_manifest_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("b");
    write(&dir, None);
    std::fs::remove_file(dir.join("evidence/lti.tool.core.launch.valid.json")).unwrap();
    std::fs::write(dir.join("evidence/extra.json"), "{}").unwrap();
    std::fs::write(dir.join("notes.txt"), "hi").unwrap();
    let v = bundle::verify_bundle(&dir, None).unwrap();
    assert!(
        v.problems.contains(&Problem::Missing {
            path: "evidence/lti.tool.core.launch.valid.json".into()
        }),
        "{v}"
    );
    assert!(
        v.problems.contains(&Problem::Unlisted {
            path: "evidence/extra.json".into()
        }),
        "{v}"
    );
    assert!(
        v.problems.contains(&Problem::Unlisted {
            path: "notes.txt".into()
        }),
        "{v}"
    );
    assert_eq!(
        v.problems.len(),
        3,
        "every problem listed, nothing else: {v}"
    );

    std::fs::write(dir.join(MANIFEST), "not a manifest\n").unwrap();
    let v = bundle::verify_bundle(&dir, None).unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| matches!(p, Problem::ManifestMalformed { line: 1, .. })),
        "{v}"
    );

    std::fs::remove_file(dir.join(MANIFEST)).unwrap();
    let v = bundle::verify_bundle(&dir, None).unwrap();
    assert!(v.problems.contains(&Problem::ManifestMissing), "{v}");
}

#[test]
fn pubkey_given_but_bundle_unsigned() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, pubkey) = write_keys(tmp.path(), KeyKind::Ed25519);
    let dir = tmp.path().join("b");
    write(&dir, None);
    let v = bundle::verify_bundle(&dir, Some(&pubkey)).unwrap();
    assert!(v.problems.contains(&Problem::SignatureMissing), "{v}");
    assert_eq!(v.signature, SignatureCheck::Failed);
}

#[test]
fn removing_the_signature_of_a_signed_bundle_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = write_keys(tmp.path(), KeyKind::Ed25519);
    let dir = tmp.path().join("b");
    write(&dir, Some(key));
    std::fs::remove_file(dir.join(SIGNATURE)).unwrap();
    let v = bundle::verify_bundle(&dir, None).unwrap();
    assert!(!v.ok(), "{v}");
}

#[test]
fn embedded_key_only_says_integrity_not_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = write_keys(tmp.path(), KeyKind::Rsa);
    let dir = tmp.path().join("b");
    write(&dir, Some(key));
    let v = bundle::verify_bundle(&dir, None).unwrap();
    assert!(v.ok(), "{v}");
    assert_eq!(v.signature, SignatureCheck::ValidEmbeddedKeyOnly);
    let text = v.to_string();
    assert!(
        text.contains("ONLY against the key embedded") && text.contains("integrity, not origin"),
        "{text}"
    );

    // Signed by someone else: the reviewer's key rejects it, and says so.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let (_, other_pub) = write_keys(&other, KeyKind::Rsa);
    let v = bundle::verify_bundle(&dir, Some(&other_pub)).unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| matches!(p, Problem::BadSignature { .. })),
        "{v}"
    );
    assert!(
        v.problems
            .iter()
            .any(|p| matches!(p, Problem::EmbeddedKeyMismatch { .. })),
        "{v}"
    );
}

fn openssl_verify(kind: KeyKind, dir: &Path, pubkey: &Path) -> std::process::Output {
    let mut cmd = Command::new("openssl");
    match kind {
        KeyKind::Rsa | KeyKind::Ec => cmd.args(["dgst", "-sha256", "-verify"]).arg(pubkey).args([
            "-signature",
            SIGNATURE,
            MANIFEST,
        ]),
        KeyKind::Ed25519 => cmd
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(pubkey)
            .args(["-rawin", "-in", MANIFEST, "-sigfile", SIGNATURE]),
    };
    cmd.current_dir(dir).output().unwrap()
}

/// Our signatures verify with the stock `openssl` command line, and signatures
/// made with the command line verify with `verify_bundle`.
#[rstest]
fn signatures_interoperate_with_openssl_cli(
    #[values(KeyKind::Rsa, KeyKind::Ec, KeyKind::Ed25519)] kind: KeyKind,
) {
    let tmp = tempfile::tempdir().unwrap();
    let (key, pubkey) = write_keys(tmp.path(), kind);
    let dir = tmp.path().join("b");
    let written = write(&dir, Some(key.clone()));
    assert!(written.contains(&dir.join(SIGNATURE)) && written.contains(&dir.join(PUBLIC_KEY)));

    let out = openssl_verify(kind, &dir, &pubkey);
    assert!(
        out.status.success(),
        "openssl: {} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The embedded public key is the same key.
    let out = openssl_verify(kind, &dir, &dir.join(PUBLIC_KEY));
    assert!(out.status.success());

    let v = bundle::verify_bundle(&dir, Some(&pubkey)).unwrap();
    assert!(v.ok(), "{v}");
    assert_eq!(
        v.signature,
        SignatureCheck::ValidGivenKey {
            key: pubkey.clone()
        }
    );

    // And openssl rejects a tampered manifest too (sanity check of the CLI test itself).
    let copy = tmp.path().join("tampered");
    copy_dir(&dir, &copy);
    flip_one_byte(&copy.join(MANIFEST));
    assert!(!openssl_verify(kind, &copy, &pubkey).status.success());

    // Reverse direction: a signature made by the openssl CLI verifies with us.
    let sig = dir.join(SIGNATURE);
    let status = match kind {
        KeyKind::Rsa | KeyKind::Ec => Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(&key)
            .arg("-out")
            .arg(&sig)
            .arg(dir.join(MANIFEST))
            .status(),
        KeyKind::Ed25519 => Command::new("openssl")
            .args(["pkeyutl", "-sign", "-inkey"])
            .arg(&key)
            .args(["-rawin", "-in"])
            .arg(dir.join(MANIFEST))
            .arg("-out")
            .arg(&sig)
            .status(),
    }
    .unwrap();
    assert!(status.success());
    let v = bundle::verify_bundle(&dir, Some(&pubkey)).unwrap();
    assert!(v.ok(), "{v}");
}

#[test]
fn traditional_rsa_pem_keys_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let rsa = Rsa::generate(2048).unwrap();
    let key = tmp.path().join("rsa.pem");
    std::fs::write(&key, rsa.private_key_to_pem().unwrap()).unwrap();
    let dir = tmp.path().join("b");
    write(&dir, Some(key));
    assert_eq!(
        bundle::verify_bundle(&dir, None).unwrap().signature,
        SignatureCheck::ValidEmbeddedKeyOnly
    );
}

#[test]
fn bad_key_fails_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("key.pem");
    std::fs::write(&key, "not a key").unwrap();
    let dir = tmp.path().join("b");
    let err = bundle::write_bundle(
        &dir,
        &sample_report(),
        &[],
        &Redactor::default(),
        &BundleOptions {
            sign_key: Some(key.clone()),
        },
    )
    .unwrap_err();
    assert!(
        matches!(&err, BundleError::Crypto { path, .. } if path == &key),
        "{err}"
    );
    assert!(err.to_string().contains("key.pem"));
    assert!(!dir.exists());
}

/// The secret never reaches disk in any encoding the renderers could produce,
/// including HTML/XML-escaped forms (the model is redacted before rendering).
#[test]
fn secrets_never_reach_disk() {
    let secret = "p&ss<w>rd\"-123456";
    let mut report = sample_report();
    report.cases[1].message = format!("token was {secret}");
    report.cases[1].checks[0].detail = format!("got {SECRET}");
    let mut ev = sample_evidence();
    ev[0].exchanges[0].request.body.text = Some(format!("client_secret={SECRET}&x={secret}"));
    ev[0].log.push(accredit_reports::LogLine {
        at_ms: 1,
        text: format!("secret {secret}"),
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("b");
    let redactor = Redactor::new([SECRET, secret]);
    bundle::write_bundle(&dir, &report, &ev, &redactor, &BundleOptions::default()).unwrap();
    let html_escaped = accredit_reports::html::escape(secret);
    let xml_escaped = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    for rel in rel_files(&dir) {
        let text = std::fs::read_to_string(dir.join(&rel)).unwrap();
        for needle in [SECRET, secret, html_escaped.as_str(), xml_escaped.as_str()] {
            assert!(!text.contains(needle), "{rel} leaks {needle}");
        }
        assert!(redactor.leaks(text.as_bytes()).is_none(), "{rel}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("token was [redacted]"));
    assert!(bundle::verify_bundle(&dir, None).unwrap().ok());
}

/// When redaction cannot make a file safe, nothing is written and the error
/// names the file but not the secret.
#[test]
fn unredactable_leak_fails_and_writes_nothing() {
    // A secret that is part of the replacement text itself can never be removed.
    let redactor = Redactor::new(["redacted"]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("b");
    let err = bundle::write_bundle(
        &dir,
        &sample_report(),
        &sample_evidence(),
        &redactor,
        &BundleOptions::default(),
    )
    .unwrap_err();
    match &err {
        BundleError::Leak { path, what } => {
            assert!(path.starts_with(&dir));
            assert!(
                !what.contains("redacted"),
                "the error must not echo the secret: {what}"
            );
        }
        other => panic!("expected a leak error, got {other}"),
    }
    assert!(!dir.exists(), "nothing may be written");
}

#[test]
fn rewriting_a_bundle_removes_stale_evidence_and_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = write_keys(tmp.path(), KeyKind::Ed25519);
    let dir = tmp.path().join("b");
    write(&dir, Some(key));
    let fewer: Vec<CaseEvidence> = sample_evidence().into_iter().take(1).collect();
    bundle::write_bundle(
        &dir,
        &sample_report(),
        &fewer,
        &Redactor::default(),
        &BundleOptions::default(),
    )
    .unwrap();
    let v = bundle::verify_bundle(&dir, None).unwrap();
    assert!(v.ok(), "{v}");
    assert_eq!(v.signature, SignatureCheck::Unsigned);
    assert_eq!(bundle::read_evidence(&dir).unwrap().len(), 1);
}

#[test]
fn duplicate_evidence_records_are_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("b");
    let mut ev = sample_evidence();
    ev.push(ev[0].clone());
    bundle::write_bundle(
        &dir,
        &sample_report(),
        &ev,
        &Redactor::default(),
        &BundleOptions::default(),
    )
    .unwrap();
    let read = bundle::read_evidence(&dir).unwrap();
    let merged = read.iter().find(|e| e.case_id == ev[0].case_id).unwrap();
    assert_eq!(merged.exchanges.len(), 2);
}

#[test]
fn readers_report_the_path_on_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let err = bundle::read_report(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("report.json"), "{err}");
    std::fs::create_dir(tmp.path().join("evidence")).unwrap();
    std::fs::write(tmp.path().join("evidence/x.json"), "{").unwrap();
    let err = bundle::read_evidence(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("x.json"), "{err}");
    assert!(bundle::verify_bundle(&tmp.path().join("nope"), None).is_err());
}

/// A body cut by the size cap in the middle of a PEM private key, and secret-named
/// members inside decoded JWT claims, are redacted without breaking the bundle.
#[test]
fn truncated_private_key_and_secret_claims_are_redacted_structurally() {
    let mut ev = sample_evidence();
    let resp = ev[0].exchanges[0].response.as_mut().unwrap();
    resp.body.text =
        Some("{\"jwk\":\"x\",\"pem\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq".into());
    resp.body.truncated = true;
    ev[0].exchanges[0].jwts[0].claims =
        serde_json::json!({"sub": "u1", "access_token": "tok-zzz-123"});
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("b");
    bundle::write_bundle(
        &dir,
        &sample_report(),
        &ev,
        &Redactor::default(),
        &BundleOptions::default(),
    )
    .unwrap();
    assert!(bundle::verify_bundle(&dir, None).unwrap().ok());
    let read = bundle::read_evidence(&dir).unwrap();
    let got = read.iter().find(|e| e.case_id == ev[0].case_id).unwrap();
    let x = &got.exchanges[0];
    let body = x.response.as_ref().unwrap().body.text.as_deref().unwrap();
    assert!(
        !body.contains("MIIEvQIBADANBgkq") && body.contains("[redacted]"),
        "{body}"
    );
    assert_eq!(x.jwts[0].claims["access_token"], "[redacted]");
    assert_eq!(x.jwts[0].claims["sub"], "u1");
    // The rest of the evidence survived intact.
    assert_eq!(x.request, ev[0].exchanges[0].request);
    assert_eq!(got.log, ev[0].log);
    for rel in rel_files(&dir) {
        let text = std::fs::read_to_string(dir.join(&rel)).unwrap();
        assert!(
            !text.contains("MIIEvQIBADANBgkq") && !text.contains("tok-zzz-123"),
            "{rel}"
        );
    }
}
