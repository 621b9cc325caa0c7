//! Rendering a 500-case report to every format, and writing and verifying a
//! whole bundle: the cost a large certification run pays at the end.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use accredit_reports::bundle::{self, BundleOptions};
use accredit_reports::{Redactor, html, junit, markdown};
use criterion::{Criterion, criterion_group, criterion_main};

fn render(c: &mut Criterion) {
    let (report, evidence) = common::big_report(500);
    c.bench_function("json_500", |b| {
        b.iter(|| serde_json::to_vec_pretty(black_box(&report)).unwrap())
    });
    c.bench_function("junit_500", |b| {
        b.iter(|| junit::render(black_box(&report)))
    });
    c.bench_function("markdown_500", |b| {
        b.iter(|| markdown::render(black_box(&report)))
    });
    c.bench_function("html_500", |b| {
        b.iter(|| html::render(black_box(&report), black_box(&evidence)))
    });
    let tmp = tempfile::tempdir().unwrap();
    let redactor = Redactor::new([common::SECRET]);
    c.bench_function("bundle_write_verify_500", |b| {
        b.iter(|| {
            let dir = tmp.path().join("bundle");
            bundle::write_bundle(
                &dir,
                &report,
                &evidence,
                &redactor,
                &BundleOptions::default(),
            )
            .unwrap();
            assert!(bundle::verify_bundle(&dir, None).unwrap().ok());
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = render
}
criterion_main!(benches);
