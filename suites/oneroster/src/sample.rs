//! A small valid bundle of our own, for `accredit demo` and for tests.
//!
//! It is the generator's output for 20 users in mixed mode: every file of the
//! version is shipped, all in bulk except `enrollments.csv` in delta, so every
//! rule of the suite has something to judge and passes.

use std::path::{Path, PathBuf};

use crate::generate::{Config, GenMode, generate_files};
use crate::tables::Version;

/// Users in the sample.
pub const SAMPLE_USERS: u64 = 20;

/// The generator configuration of the sample.
pub fn sample_config(version: Version) -> Config {
    Config {
        version,
        users: SAMPLE_USERS,
        mode: GenMode::Mixed,
        seed: 0x1ed7ec,
    }
}

/// The sample bundle as (file name, bytes) pairs.
pub fn sample_files(version: Version) -> Vec<(String, Vec<u8>)> {
    // In memory and with a fixed, valid configuration generation cannot fail.
    generate_files(&sample_config(version)).unwrap_or_default()
}

/// Writes the sample bundle as a directory `dir/oneroster-<version>-sample/`.
pub fn write_sample_bundle(dir: &Path, version: Version) -> std::io::Result<PathBuf> {
    let root = dir.join(format!("oneroster-{}-sample", version.label()));
    std::fs::create_dir_all(&root)?;
    for (name, bytes) in sample_files(version) {
        std::fs::write(root.join(name), bytes)?;
    }
    Ok(root)
}
