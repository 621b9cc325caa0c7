//! A small valid bundle of our own, for `accredit demo` and for tests.
//!
//! It exercises what the suite checks today (manifest semantics and exact
//! headers): every file of the version is declared, a few are shipped in bulk
//! mode, the rest are `absent`. Row values are placeholders until the value
//! rules and the generator (`accredit generate oneroster`) land.

use std::path::{Path, PathBuf};

use crate::tables::Version;

/// Files shipped in the sample (the others are declared `absent`).
const SHIPPED: &[&str] = &["orgs.csv", "users.csv", "classes.csv", "enrollments.csv"];

/// The sample bundle as (file name, bytes) pairs.
pub fn sample_files(version: Version) -> Vec<(String, Vec<u8>)> {
    let mut manifest = format!(
        "propertyName,value\r\nmanifest.version,{}\r\noneroster.version,{}\r\n",
        crate::tables::MANIFEST_VERSION,
        version.label()
    );
    let mut files = Vec::new();
    for (file, header) in version.files() {
        let shipped = SHIPPED.contains(file);
        manifest.push_str(&format!(
            "file.{},{}\r\n",
            file.trim_end_matches(".csv"),
            if shipped { "bulk" } else { "absent" }
        ));
        if shipped {
            let row: Vec<String> = header.iter().map(|c| format!("sample-{c}")).collect();
            files.push((
                file.to_string(),
                format!("{}\r\n{}\r\n", header.join(","), row.join(",")).into_bytes(),
            ));
        }
    }
    manifest.push_str("source.systemName,accredit sample SIS\r\n");
    files.insert(0, ("manifest.csv".to_string(), manifest.into_bytes()));
    files
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
