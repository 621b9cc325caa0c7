//! Events validated per second on one core: accredit's native rules against ajv
//! validating the same events with the IMS Caliper 1.2 JSON schemas.
//!
//! The events are generated from our own sample envelope (written for accredit)
//! and written to a temporary JSON array; the ajv side is the Node script in
//! `benches/ajv/`, whose pinned dependencies this bench installs itself
//! (`npm ci`) on first use. Without Node/npm or the schema directory the ajv
//! side is skipped with a message; the native benchmark always runs.
//!
//! Not a like-for-like rule set, and that is the point: ajv checks what the IMS
//! schemas say (one global action enum, no event × action or entity-range
//! rules); the native validator checks 24 rules, including those.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

use accredit_suite_caliper::{Contexts, sample_envelope, validate_value};

const N: usize = 5_000;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema_root() -> PathBuf {
    std::env::var_os("ACCREDIT_SCHEMA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../../../shared/schemas"))
}

/// `N` events cycled from the sample envelope, as one JSON array.
fn events() -> Value {
    let env = sample_envelope();
    let one: Vec<Value> = env["data"].as_array().cloned().unwrap_or_default();
    Value::Array(one.iter().cycle().take(N).cloned().collect())
}

/// Events per second of `f` over `n` events, timed for about a second.
fn throughput(n: usize, mut f: impl FnMut()) -> f64 {
    f();
    let t0 = Instant::now();
    let mut rounds = 0u32;
    while t0.elapsed() < Duration::from_secs(1) {
        f();
        rounds += 1;
    }
    (n as f64 * f64::from(rounds)) / t0.elapsed().as_secs_f64()
}

/// Installs the pinned ajv into `benches/ajv/node_modules` when missing.
fn ensure_ajv(dir: &Path) -> Result<(), String> {
    if dir.join("node_modules/ajv/package.json").is_file() {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--silent"])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("npm not runnable: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("npm ci failed ({status})"))
    }
}

/// Runs the ajv script over `file`; returns its events per second.
fn ajv(file: &Path, schemas: &Path) -> Result<(f64, String), String> {
    let dir = manifest().join("benches/ajv");
    ensure_ajv(&dir)?;
    let out = Command::new("node")
        .arg(dir.join("validate.mjs"))
        .arg(schemas)
        .arg(file)
        .arg("20")
        .output()
        .map_err(|e| format!("node not runnable: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ajv script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let v: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
    let eps = v["events_per_sec"].as_f64().ok_or("no events_per_sec")?;
    Ok((eps, line))
}

fn bench(c: &mut Criterion) {
    let events = events();
    let root = schema_root();
    let contexts = Contexts::load(&root).ok();

    let mut g = c.benchmark_group("caliper_vs_ajv");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("native_5k_events", |b| {
        b.iter(|| validate_value("bench", std::hint::black_box(&events), None))
    });
    if let Some(ctx) = contexts.as_ref() {
        g.bench_function("native_with_contexts_5k_events", |b| {
            b.iter(|| validate_value("bench", std::hint::black_box(&events), Some(ctx)))
        });
    }
    g.finish();

    // The comparison, printed: the same events through both validators.
    let native = throughput(N, || {
        std::hint::black_box(validate_value("bench", &events, None));
    });
    let with_ctx = contexts.as_ref().map(|ctx| {
        throughput(N, || {
            std::hint::black_box(validate_value("bench", &events, Some(ctx)));
        })
    });
    println!("caliper vs ajv, {N} events, one core:");
    println!("  native (22 rules, no contexts):  {native:>10.0} events/s");
    if let Some(w) = with_ctx {
        println!("  native (24 rules, with contexts): {w:>10.0} events/s");
    }
    let schemas = root.join("caliper/json_schema/schema_1_2");
    let file = std::env::temp_dir().join(format!(
        "accredit-caliper-bench-{}.json",
        std::process::id()
    ));
    let written = serde_json::to_vec(&events)
        .map_err(|e| e.to_string())
        .and_then(|b| std::fs::write(&file, b).map_err(|e| e.to_string()));
    let result = written.and_then(|()| {
        if schemas.is_dir() {
            ajv(&file, &schemas)
        } else {
            Err(format!("no IMS schemas at {}", schemas.display()))
        }
    });
    let _ = std::fs::remove_file(&file);
    match result {
        Ok((eps, line)) => {
            println!("  ajv (IMS JSON schema 1.2):        {eps:>10.0} events/s   {line}");
            println!(
                "  ratio native/ajv: {:.1}x (with contexts: {})",
                native / eps,
                with_ctx.map_or("n/a".into(), |w| format!("{:.1}x", w / eps))
            );
        }
        Err(why) => println!("  ajv: skipped ({why})"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
