//! The Caliper endpoint ingesting envelopes over HTTP on loopback: the harness's
//! endpoint as the `caliper-sensor` suite runs it (every request recorded as
//! evidence and kept for judging), fed by a client with 8 requests in flight.
//! Reported as events per second for envelopes of 10 events and of 1 event.
//!
//! Each measurement starts a fresh endpoint, so what it keeps stays bounded by
//! the measurement, not by how long criterion runs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::stream::{self, StreamExt};
use serde_json::Value;

use accredit_core::evidence::{EvidenceRouter, Recorder};
use accredit_core::profile::Secret;
use accredit_core::reports::Redactor;
use accredit_mock_platform::caliper::{self, EndpointConfig};
use accredit_suite_caliper::sample_envelope;

const TOKEN: &str = "bench-token-0123456789";
const IN_FLIGHT: usize = 8;

fn envelope(events: usize) -> String {
    let mut env = sample_envelope();
    let one: Vec<Value> = env["data"].as_array().cloned().unwrap_or_default();
    env["data"] = Value::Array(one.iter().cycle().take(events).cloned().collect());
    env.to_string()
}

/// Sends `n` envelopes to a fresh recording endpoint; returns the elapsed time.
async fn ingest(client: &reqwest::Client, body: &str, n: u64) -> Duration {
    let redactor = Redactor::new([TOKEN]);
    let recorder = Recorder {
        mock: caliper::MOCK_NAME,
        router: EvidenceRouter::new(redactor),
    };
    let listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut config = EndpointConfig::reference(listen, Secret::from_value("env:BENCH", TOKEN));
    config.max_recorded = usize::MAX;
    let ep = match caliper::start(config, Some(recorder)).await {
        Ok(ep) => ep,
        Err(e) => panic!("endpoint: {e}"),
    };
    let url = ep.url().to_string();
    let t0 = Instant::now();
    let ok = stream::iter(0..n)
        .map(|_| {
            client
                .post(&url)
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
        })
        .buffer_unordered(IN_FLIGHT)
        .filter(|r| futures::future::ready(r.as_ref().is_ok_and(|r| r.status() == 200)))
        .count()
        .await;
    let elapsed = t0.elapsed();
    assert_eq!(ok as u64, n, "every envelope accepted");
    ep.shutdown().await;
    elapsed
}

fn bench(c: &mut Criterion) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    let client = match reqwest::Client::builder().no_proxy().build() {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let mut g = c.benchmark_group("caliper_endpoint_ingest");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for events in [10usize, 1] {
        let body = envelope(events);
        g.throughput(Throughput::Elements(events as u64));
        g.bench_function(format!("envelopes_of_{events}_events"), |b| {
            b.iter_custom(|iters| rt.block_on(ingest(&client, &body, iters)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
