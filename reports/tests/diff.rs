//! Baseline comparison for CI gating.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use Outcome::*;
use accredit_reports::diff::{Change, compare};
use accredit_reports::{Level, Outcome, Report, Summary};
use common::*;
use rstest::rstest;

fn report_with(cases: &[(&str, Outcome)]) -> Report {
    let mut r = sample_report();
    r.cases = cases
        .iter()
        .map(|(id, o)| {
            case(
                id,
                "lti-tool",
                *o,
                Level::Must,
                true,
                &format!("{id} is {o}"),
            )
        })
        .collect();
    r.summary = Summary::of(&r.cases, 0);
    r
}

#[derive(Debug, PartialEq)]
enum Cat {
    NewFailure,
    Fixed,
    Changed,
    Same,
}

fn category(old: Option<Outcome>, new: Outcome) -> (Cat, bool) {
    let old_r = match old {
        Some(o) => report_with(&[("c", o)]),
        None => report_with(&[]),
    };
    let new_r = report_with(&[("c", new)]);
    let d = compare(&old_r, &new_r);
    let cats = [
        (!d.new_failures.is_empty(), Cat::NewFailure),
        (!d.fixed.is_empty(), Cat::Fixed),
        (!d.changed.is_empty(), Cat::Changed),
    ];
    let hit: Vec<_> = cats
        .into_iter()
        .filter(|(b, _)| *b)
        .map(|(_, c)| c)
        .collect();
    assert!(
        hit.len() <= 1,
        "a case lands in at most one category: {hit:?}"
    );
    (
        hit.into_iter().next().unwrap_or(Cat::Same),
        !d.added.is_empty(),
    )
}

#[rstest]
#[case(Some(Pass), Fail, Cat::NewFailure)]
#[case(Some(Warn), Error, Cat::NewFailure)]
#[case(Some(Skip), Fail, Cat::NewFailure)]
#[case(Some(Review), Error, Cat::NewFailure)]
#[case(None, Fail, Cat::NewFailure)]
#[case(Some(Fail), Pass, Cat::Fixed)]
#[case(Some(Error), Pass, Cat::Fixed)]
#[case(Some(Fail), Warn, Cat::Changed)]
#[case(Some(Fail), Error, Cat::Changed)]
#[case(Some(Pass), Warn, Cat::Changed)]
#[case(Some(Pass), Skip, Cat::Changed)]
#[case(Some(Fail), Fail, Cat::Same)]
#[case(Some(Pass), Pass, Cat::Same)]
#[case(None, Pass, Cat::Same)]
fn categories(#[case] old: Option<Outcome>, #[case] new: Outcome, #[case] expected: Cat) {
    let (cat, added) = category(old, new);
    assert_eq!(cat, expected);
    assert_eq!(added, old.is_none());
}

#[test]
fn added_removed_not_run_and_rendering() {
    let old = report_with(&[("a", Pass), ("b", Fail), ("gone", Pass), ("later", Pass)]);
    let mut new = report_with(&[("a", Fail), ("b", Pass), ("new", Warn)]);
    new.run_id = "run-0002".into();
    new.complete = false;
    new.not_run = vec!["later".into()];
    new.catalog_hash = "cd".repeat(32);
    let d = compare(&old, &new);
    assert!(d.has_regressions());
    assert_eq!(d.regressions(), 1);
    assert_eq!(
        d.new_failures,
        vec![Change {
            id: "a".into(),
            old: Some(Pass),
            new: Some(Fail),
            message: "a is fail".into()
        }]
    );
    assert_eq!(d.fixed.len(), 1);
    assert_eq!(
        d.added.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["new"]
    );
    assert_eq!(
        d.removed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["gone"]
    );
    assert_eq!(d.not_run, ["later"]);
    assert!(d.catalog_changed);
    let text = d.to_string();
    insta::assert_snapshot!("diff", text);
}

#[test]
fn identical_reports_have_no_diff() {
    let r = sample_report();
    let d = compare(&r, &r);
    assert!(d.is_empty() && !d.has_regressions() && !d.catalog_changed);
    assert_eq!(
        d.render_lines().last().unwrap(),
        "0 new failure(s), 0 fixed, 0 changed, 0 added, 0 removed, 0 not run"
    );
}
