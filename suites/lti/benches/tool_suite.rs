//! Wall time of one full `lti-tool` run against the reference tool on loopback,
//! `--jobs 4`, through `runner::run` exactly as `accredit run lti-tool` does
//! (suite start with a fresh platform key, every case, shutdown). Target: < 5 s.
//!
//! Run with `cargo xtask bench -p accredit-suite-lti`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/common/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    };
    let (tool, profile) = rt.block_on(common::reference_tool(vec![]));
    let mut g = c.benchmark_group("lti-tool");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("full_suite_reference_tool_jobs4", |b| {
        b.iter(|| {
            let record = rt.block_on(common::run_suite(&profile, Duration::from_secs(20)));
            assert!(
                common::non_passing(&record).is_empty(),
                "{}",
                common::dump(&record)
            );
            record
        })
    });
    g.finish();
    rt.block_on(tool.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
