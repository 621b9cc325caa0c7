//! Validation throughput (bytes/s) and peak memory on a generated district:
//! 1M users and 10M enrollments (OneRoster 1.2, bulk, ~2 GB of CSV).
//!
//! The bundle is generated once into `target/oneroster-bench/` and reused
//! (delete the directory to regenerate). `ACCREDIT_BENCH_USERS` changes the
//! size for a quick run. Peak RSS is read two ways: the bench process's own
//! high-water mark (`VmHWM`, /proc/self/status) after validating, and, when
//! `target/release/accredit` exists (`cargo build --release -p accredit`),
//! `accredit validate oneroster-csv` run in a child under `/usr/bin/time -v`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use accredit_suite_oneroster::generate::{Config, GenMode, generate_dir, generate_zip};
use accredit_suite_oneroster::tables::Version;
use accredit_suite_oneroster::{Limits, validate_bundles};

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn users() -> u64 {
    std::env::var("ACCREDIT_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn config() -> Config {
    Config {
        version: Version::V1p2,
        users: users(),
        mode: GenMode::Bulk,
        seed: 1,
    }
}

/// The same bundle as a zip (for the child-process figure), generated if missing.
fn zip_bundle() -> PathBuf {
    let path = target_dir().join(format!("oneroster-bench/or12-bulk-{}.zip", users()));
    let done = path.with_extension("zip.complete");
    if !done.exists() {
        let started = Instant::now();
        if let Err(e) = generate_zip(&config(), &path) {
            panic!("generating the bench zip: {e}");
        }
        eprintln!("generated {} in {:.1?}", path.display(), started.elapsed());
        if let Err(e) = std::fs::write(&done, b"") {
            panic!("{}: {e}", done.display());
        }
    }
    path
}

/// The bundle directory, generated if missing; and its size in bytes.
fn bundle() -> (PathBuf, u64) {
    let n = users();
    let dir = target_dir().join(format!("oneroster-bench/or12-bulk-{n}"));
    let done = dir.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        match generate_dir(&config(), &dir) {
            Ok(s) => eprintln!(
                "generated {} ({} bytes, {} enrollments) in {:.1?}",
                dir.display(),
                s.bytes,
                s.rows("enrollments.csv"),
                started.elapsed()
            ),
            Err(e) => panic!("generating the bench bundle: {e}"),
        }
        if let Err(e) = std::fs::write(&done, b"") {
            panic!("{}: {e}", done.display());
        }
    }
    let bytes = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    (dir, bytes)
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `accredit validate` in a child under `/usr/bin/time -v`: (seconds, max RSS KiB).
fn child_rss(bundle: &Path) -> Option<(f64, u64)> {
    let exe = target_dir().join("release/accredit");
    if !exe.exists() || !Path::new("/usr/bin/time").exists() {
        eprintln!(
            "skipping the child-process RSS figure: needs {} (cargo build --release -p accredit) and /usr/bin/time",
            exe.display()
        );
        return None;
    }
    let out_dir = target_dir().join("oneroster-bench/report");
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(&exe)
        .args(["validate", "oneroster-csv"])
        .arg(bundle)
        .arg("--out")
        .arg(&out_dir)
        .args(["--no-history", "--quiet"])
        .output()
        .ok()?;
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .find(|l| l.contains("Maximum resident set size"))?
        .rsplit(':')
        .next()?
        .trim()
        .parse()
        .ok()?;
    if !out.status.success() {
        eprintln!("accredit validate exited with {}", out.status);
    }
    Some((secs, rss))
}

fn bench(c: &mut Criterion) {
    let (dir, bytes) = bundle();
    let inputs = vec![dir.clone()];
    let limits = Limits::default();
    let mut g = c.benchmark_group("oneroster_csv");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(30));
    g.bench_function(format!("validate_dir_{}_users", users()), |b| {
        b.iter(|| {
            let v = validate_bundles(std::hint::black_box(&inputs), &limits);
            assert!(v.is_ok_and(|v| v.failures().next().is_none()));
        })
    });
    g.finish();
    if let Some(kib) = vm_hwm_kib() {
        eprintln!("bench process peak RSS (VmHWM) after validating: {kib} KiB");
    }
    for input in [dir.clone(), zip_bundle()] {
        if let Some((secs, kib)) = child_rss(&input) {
            eprintln!(
                "accredit validate oneroster-csv {}: {secs:.2} s wall, {:.0} MB/s of CSV, max RSS {kib} KiB",
                input.display(),
                bytes as f64 / secs / 1e6
            );
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
