//! Events validated per second over a generated batch of ~10k events built from
//! the sample envelope.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

use accredit_suite_caliper::{sample_envelope, validate_value};

/// An envelope whose `data` repeats the sample's events to `n` events.
fn batch(n: usize) -> Value {
    let mut env = sample_envelope();
    let events: Vec<Value> = env["data"].as_array().cloned().unwrap_or_default();
    let data: Vec<Value> = events.iter().cycle().take(n).cloned().collect();
    env["data"] = Value::Array(data);
    env
}

fn bench(c: &mut Criterion) {
    const N: usize = 10_000;
    let env = batch(N);
    let schemas = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/schemas");
    let contexts = accredit_suite_caliper::Contexts::load(std::path::Path::new(schemas)).ok();
    let mut g = c.benchmark_group("caliper");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("validate_10k_events_native", |b| {
        b.iter(|| validate_value("bench", std::hint::black_box(&env), None))
    });
    if let Some(ctx) = contexts.as_ref() {
        g.bench_function("validate_10k_events_with_contexts", |b| {
            b.iter(|| validate_value("bench", std::hint::black_box(&env), Some(ctx)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
