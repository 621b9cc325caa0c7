//! `cargo xtask`: the project's task runner (invoked through the alias in
//! `.cargo/config.toml`).
//!
//! Why an xtask rather than a Makefile or shell scripts: it runs anywhere
//! Rust does, it is the single place that knows what "run every test" means
//! (the README and `.ci/run` both call `cargo xtask test`), and it can check
//! and install the machine prerequisites the tests need (a headless Chromium
//! and its chromedriver for the report end-to-end test, the OpenSSL headers
//! the `openssl` crate builds against, rustfmt and clippy) before anything
//! else compiles. The prerequisites are a data table ([`PREREQUISITES`]), so
//! a suite that needs, say, a Python venv or npm packages adds a row (and an
//! [`Install`] variant) rather than another script.
//!
//! It is deliberately dependency-light (only `anyhow`, with a hand-written
//! argument parser) so that it compiles in seconds on a clean machine, before
//! the rest of the workspace.
//!
//! Commands:
//!
//! - `cargo xtask test [--no-install] [--skip-lint] [-- <test-runner args>]`
//! - `cargo xtask prereqs [--no-install]`
//! - `cargo xtask demo [<accredit demo args>]`
//! - `cargo xtask bench [--quick] [<cargo bench args>] [-- <criterion args>]`

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--no-install] [--skip-lint] [-- <args for the test runner>]
        check (and unless --no-install, install) the prerequisites and the
        Python interop peers (xtask/python-requirements.txt, in
        target/accredit-venv), then cargo fmt --check, cargo clippy
        -D warnings, and every test
        (cargo nextest if installed, plus doctests; else cargo test)
  prereqs [--no-install]
        only the prerequisite step of `test`
  demo [<args>]
        cargo run --release -p accredit -- demo <args>
  bench [--quick] [<cargo bench args>] [-- <criterion args>]
        cargo bench --workspace --bench '*' (the criterion benches);
        --quick passes criterion's --quick
  help
        this message
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let mut args = env::args_os().skip(1);
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let rest: Vec<OsString> = args.collect();
    let ws = Workspace::locate()?;
    match command.to_str() {
        Some("test") => test(&ws, TestOptions::parse(rest)?),
        Some("prereqs") => {
            let install = parse_prereq_flags(rest)?;
            ensure_prerequisites(install, true)?;
            Ok(ExitCode::SUCCESS)
        }
        Some("demo") => {
            let mut cmd = ws.cargo();
            cmd.args(["run", "--release", "-p", "accredit", "--", "demo"])
                .args(rest);
            Ok(exit_code_of(&run_status(&mut cmd)?))
        }
        Some("bench") => bench(&ws, rest),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprint!("xtask: unknown command {command:?}\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

// ---------------------------------------------------------------------------
// Workspace and process helpers
// ---------------------------------------------------------------------------

struct Workspace {
    root: PathBuf,
    /// The `cargo` that invoked us (so toolchain overrides carry over).
    cargo: OsString,
}

impl Workspace {
    fn locate() -> Result<Self> {
        let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
            .context("CARGO_MANIFEST_DIR is not set: run this through `cargo xtask ...`")?;
        let root = Path::new(&manifest_dir)
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        if !root.join("Cargo.toml").is_file() {
            bail!("no Cargo.toml at the workspace root {}", root.display());
        }
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ok(Self { root, cargo })
    }

    fn cargo(&self) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.current_dir(&self.root);
        cmd
    }
}

/// Describes a command for messages: `cargo clippy --workspace ...`.
fn describe(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(cmd.get_program())
        .to_string_lossy()
        .into_owned();
    cmd.get_args().fold(program, |mut line, arg| {
        let _ = write!(line, " {}", arg.to_string_lossy());
        line
    })
}

fn run_status(cmd: &mut Command) -> Result<std::process::ExitStatus> {
    let line = describe(cmd);
    eprintln!("xtask: running `{line}`");
    cmd.status()
        .with_context(|| format!("could not start `{line}`"))
}

/// Runs a command, succeeding only if it exits with status 0.
fn run_checked(cmd: &mut Command) -> Result<()> {
    let status = run_status(cmd)?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

/// Runs a probe command quietly; true if it could start and exited 0.
fn probe(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn exit_code_of(status: &std::process::ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

/// `--workspace`, unless the user's arguments pick packages (`-p`), which
/// `--workspace` would override.
fn workspace_unless_packages(args: &[OsString]) -> Option<&'static str> {
    let picks = args.iter().any(|a| {
        a.to_str()
            .is_some_and(|a| a.starts_with("-p") || a == "--package" || a.starts_with("--package="))
    });
    (!picks).then_some("--workspace")
}

fn is_ci() -> bool {
    env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn is_root() -> bool {
    // std has no getuid(); /proc is always there on the Linux machines
    // where installing is possible at all.
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1)) // effective uid
            == Some("0")
    })
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

// ---------------------------------------------------------------------------
// Prerequisites
// ---------------------------------------------------------------------------

/// How to tell whether a prerequisite is present.
enum Check {
    /// The command runs and exits 0.
    Command(&'static str, &'static [&'static str]),
    /// An executable, at the path in the environment variable if that is set
    /// (then it is the user's business, never installed), else at `default`.
    Executable {
        env: &'static str,
        default: &'static str,
    },
}

/// How to install a missing prerequisite. Extend with e.g. a Python venv
/// (`python3 -m venv target/xtask-venv` + pip) or npm packages when a suite
/// needs them.
enum Install {
    /// Debian packages, installed with one `apt-get install` (as root) for
    /// everything missing.
    Apt(&'static [&'static str]),
    /// Rust toolchain components, installed with `rustup component add`.
    Rustup(&'static str),
}

struct Prerequisite {
    name: &'static str,
    why: &'static str,
    check: Check,
    install: Install,
    /// Needed only by the lint steps (so `--skip-lint` does not need it).
    lint_only: bool,
}

/// Everything the build and the tests need beyond the Rust toolchain.
const PREREQUISITES: &[Prerequisite] = &[
    Prerequisite {
        name: "rustfmt",
        why: "`cargo fmt --check`",
        check: Check::Command("cargo", &["fmt", "--version"]),
        install: Install::Rustup("rustfmt"),
        lint_only: true,
    },
    Prerequisite {
        name: "clippy",
        why: "`cargo clippy -D warnings`",
        check: Check::Command("cargo", &["clippy", "--version"]),
        install: Install::Rustup("clippy"),
        lint_only: true,
    },
    Prerequisite {
        name: "pkg-config",
        why: "locates OpenSSL for the openssl crate's build script",
        check: Check::Command("pkg-config", &["--version"]),
        install: Install::Apt(&["pkg-config"]),
        lint_only: false,
    },
    Prerequisite {
        name: "OpenSSL development files",
        why: "the openssl crate links the system OpenSSL",
        check: Check::Command("pkg-config", &["--exists", "openssl"]),
        install: Install::Apt(&["libssl-dev"]),
        lint_only: false,
    },
    Prerequisite {
        name: "chromium",
        why: "headless browser for the report end-to-end test",
        check: Check::Executable {
            env: "ACCREDIT_CHROMIUM",
            default: "/usr/bin/chromium",
        },
        install: Install::Apt(&["chromium"]),
        lint_only: false,
    },
    Prerequisite {
        name: "chromedriver",
        why: "WebDriver server for the report end-to-end test",
        check: Check::Executable {
            env: "ACCREDIT_CHROMEDRIVER",
            default: "/usr/bin/chromedriver",
        },
        install: Install::Apt(&["chromium-driver"]),
        lint_only: false,
    },
];

enum Presence {
    Present,
    Missing,
    /// Missing and not ours to install (a user-set path that is wrong).
    Broken(String),
}

fn check(check: &Check) -> Presence {
    match check {
        Check::Command(program, args) => {
            if probe(program, args) {
                Presence::Present
            } else {
                Presence::Missing
            }
        }
        Check::Executable { env: var, default } => match env::var_os(var) {
            Some(path) if is_executable(Path::new(&path)) => Presence::Present,
            Some(path) => Presence::Broken(format!(
                "{var}={} is not an executable file (unset it to use {default})",
                Path::new(&path).display()
            )),
            None if is_executable(Path::new(default)) => Presence::Present,
            None => Presence::Missing,
        },
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Checks every prerequisite (all but the lint tools unless `lint`) and, if
/// `install`, installs the missing ones.
fn ensure_prerequisites(install: bool, lint: bool) -> Result<()> {
    let mut missing: Vec<&Prerequisite> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    for p in PREREQUISITES.iter().filter(|p| lint || !p.lint_only) {
        match check(&p.check) {
            Presence::Present => eprintln!("xtask: prerequisite ok: {}", p.name),
            Presence::Missing => {
                eprintln!("xtask: prerequisite MISSING: {} ({})", p.name, p.why);
                missing.push(p);
            }
            Presence::Broken(why) => broken.push(format!("{}: {why}", p.name)),
        }
    }
    if !broken.is_empty() {
        bail!("prerequisites misconfigured:\n  {}", broken.join("\n  "));
    }
    if missing.is_empty() {
        return Ok(());
    }

    let mut apt_packages: Vec<&str> = Vec::new();
    let mut components: Vec<&str> = Vec::new();
    for p in &missing {
        match p.install {
            Install::Apt(pkgs) => apt_packages.extend(pkgs),
            Install::Rustup(component) => components.push(component),
        }
    }
    let apt_command = format!(
        "sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {}'",
        apt_packages.join(" ")
    );
    let rustup_command = format!("rustup component add {}", components.join(" "));
    let mut commands: Vec<&str> = Vec::new();
    if !apt_packages.is_empty() {
        commands.push(&apt_command);
    }
    if !components.is_empty() {
        commands.push(&rustup_command);
    }
    let names = missing
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ");
    if !install {
        bail!(
            "missing prerequisites: {names} (--no-install given). Install them with:\n  {}",
            commands.join("\n  ")
        );
    }

    let started = Instant::now();
    if !apt_packages.is_empty() {
        if !is_root() {
            bail!(
                "missing prerequisites: {names}; xtask installs Debian packages only when run \
                 as root. Run:\n  {}",
                commands.join("\n  ")
            );
        }
        if !probe("apt-get", &["--version"]) {
            bail!(
                "missing prerequisites: {names}, and there is no apt-get to install them with \
                 (xtask installs on Debian/Ubuntu only); install the equivalents of the Debian \
                 packages `{}` yourself (set ACCREDIT_CHROMIUM / ACCREDIT_CHROMEDRIVER if the \
                 browser is not in /usr/bin)",
                apt_packages.join(" ")
            );
        }
        eprintln!(
            "xtask: installing Debian packages: {}",
            apt_packages.join(" ")
        );
        for args in [
            &["update"][..],
            &["install", "-y", "--no-install-recommends"][..],
        ] {
            let mut cmd = Command::new("apt-get");
            cmd.args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(std::process::Stdio::null());
            if args[0] == "install" {
                cmd.args(&apt_packages);
            }
            run_checked(&mut cmd)?;
        }
    }
    if !components.is_empty() {
        if !probe("rustup", &["--version"]) {
            bail!(
                "missing prerequisites: {names}; install the Rust components {} with your \
                 toolchain manager (there is no rustup)",
                components.join(", ")
            );
        }
        run_checked(
            Command::new("rustup")
                .args(["component", "add"])
                .args(&components),
        )?;
    }
    eprintln!("xtask: installed in {}", secs(started.elapsed()));

    let still_missing: Vec<&str> = missing
        .iter()
        .filter(|p| !matches!(check(&p.check), Presence::Present))
        .map(|p| p.name)
        .collect();
    if !still_missing.is_empty() {
        bail!(
            "still missing after installing: {}",
            still_missing.join(", ")
        );
    }
    Ok(())
}

fn parse_prereq_flags(args: Vec<OsString>) -> Result<bool> {
    let mut install = true;
    for arg in args {
        match arg.to_str() {
            Some("--no-install") => install = false,
            _ => bail!("prereqs: unknown argument {arg:?}\n\n{USAGE}"),
        }
    }
    Ok(install)
}

// ---------------------------------------------------------------------------
// cargo xtask test
// ---------------------------------------------------------------------------

struct TestOptions {
    install: bool,
    lint: bool,
    runner_args: Vec<OsString>,
}

impl TestOptions {
    fn parse(args: Vec<OsString>) -> Result<Self> {
        let mut opts = Self {
            install: true,
            lint: true,
            runner_args: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.to_str() {
                Some("--no-install") => opts.install = false,
                Some("--skip-lint") => opts.lint = false,
                Some("--") => {
                    opts.runner_args = args.by_ref().collect();
                }
                _ => bail!(
                    "test: unknown argument {arg:?} (test runner arguments go after `--`)\n\n{USAGE}"
                ),
            }
        }
        Ok(opts)
    }
}

/// A directory under the system temp dir, removed on drop (std only, to keep
/// xtask dependency-light).
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(prefix: &str) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("could not create {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The environment every test process gets.
fn test_env(ws: &Workspace, scratch: &ScratchDir) -> Result<Vec<(&'static str, OsString)>> {
    let mut vars: Vec<(&'static str, OsString)> = vec![
        ("INSTA_UPDATE", "no".into()),
        (
            "ACCREDIT_HISTORY_DB",
            scratch.0.join("history.sqlite").into_os_string(),
        ),
    ];
    for (var, default) in [
        ("ACCREDIT_CHROMEDRIVER", "/usr/bin/chromedriver"),
        ("ACCREDIT_CHROMIUM", "/usr/bin/chromium"),
    ] {
        vars.push((var, env::var_os(var).unwrap_or_else(|| default.into())));
    }

    let (schema_dir, from_env) = match env::var_os("ACCREDIT_SCHEMA_DIR") {
        Some(dir) => (PathBuf::from(dir), true),
        None => (ws.root.join("..").join("shared").join("schemas"), false),
    };
    if schema_dir.is_dir() {
        vars.push(("ACCREDIT_SCHEMA_DIR", schema_dir.into_os_string()));
    } else {
        let origin = if from_env {
            "ACCREDIT_SCHEMA_DIR points at"
        } else {
            "the shared schemas directory (../shared/schemas beside the workspace) is missing:"
        };
        let msg = format!(
            "{origin} {}, which is not a directory; the schema-validation tests need the \
             1EdTech JSON schemas there (or set ACCREDIT_SCHEMA_DIR)",
            schema_dir.display()
        );
        if is_ci() {
            bail!("{msg}");
        }
        eprintln!("xtask: warning: {msg}; leaving ACCREDIT_SCHEMA_DIR unset");
    }
    if let Some(ci) = env::var_os("CI") {
        vars.push(("CI", ci));
    }
    let python = env::var_os("ACCREDIT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| venv_python(ws));
    if python.is_file() {
        vars.push(("ACCREDIT_PYTHON", python.into_os_string()));
    }
    Ok(vars)
}

// ---------------------------------------------------------------------------
// Python peers (interop tests against real third-party implementations)
// ---------------------------------------------------------------------------

/// The pinned requirements of the interop peers.
fn python_requirements(ws: &Workspace) -> PathBuf {
    ws.root.join("xtask").join("python-requirements.txt")
}

fn venv_dir(ws: &Workspace) -> PathBuf {
    ws.root.join("target").join("accredit-venv")
}

fn venv_python(ws: &Workspace) -> PathBuf {
    venv_dir(ws).join("bin").join("python")
}

/// Creates `target/accredit-venv` and installs the pinned peers into it when the
/// requirements changed since the last install (a copy of the installed
/// requirements file is kept in the venv). Returns the venv's python.
fn ensure_python_peers(ws: &Workspace, install: bool) -> Result<PathBuf> {
    let reqs_path = python_requirements(ws);
    let reqs = std::fs::read_to_string(&reqs_path)
        .with_context(|| format!("reading {}", reqs_path.display()))?;
    let python = venv_python(ws);
    let stamp = venv_dir(ws).join("requirements.installed");
    let installed = std::fs::read_to_string(&stamp).ok();
    if python.is_file() && installed.as_deref() == Some(reqs.as_str()) {
        eprintln!("xtask: python peers ok ({})", venv_dir(ws).display());
        return Ok(python);
    }
    if !install {
        bail!(
            "the Python interop peers are not installed (--no-install given). Install them with:\n  \
             python3 -m venv {venv} && {venv}/bin/pip install -r {reqs}",
            venv = venv_dir(ws).display(),
            reqs = reqs_path.display()
        );
    }
    let started = Instant::now();
    if !python.is_file() {
        if !probe("python3", &["--version"]) {
            bail!(
                "python3 is needed for the interop peers (pylti1p3, lti1p3platform, oneroster) and was not found"
            );
        }
        run_checked(
            Command::new("python3")
                .args(["-m", "venv"])
                .arg(venv_dir(ws)),
        )
        .context(
            "creating the Python venv (on Debian, `apt-get install python3-venv` if this fails)",
        )?;
    }
    run_checked(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "-r",
            ])
            .arg(&reqs_path)
            .stdin(std::process::Stdio::null()),
    )
    .context("installing the Python interop peers from PyPI")?;
    std::fs::write(&stamp, &reqs).with_context(|| format!("writing {}", stamp.display()))?;
    eprintln!(
        "xtask: python peers installed in {}",
        secs(started.elapsed())
    );
    Ok(python)
}

fn has_nextest(ws: &Workspace) -> bool {
    ws.cargo()
        .args(["nextest", "--version"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_tests(ws: &Workspace, runner_args: &[OsString]) -> Result<()> {
    let scratch = ScratchDir::new("accredit-xtask")?;
    let vars = test_env(ws, &scratch)?;
    for (var, value) in &vars {
        eprintln!("xtask: test env {var}={}", value.to_string_lossy());
    }
    let with_env = |cmd: &mut Command| {
        for (var, value) in &vars {
            cmd.env(var, value);
        }
    };

    // Doctests run first: the closing line of the whole run must be the main
    // runner's summary (CI reads it to know how many tests ran), not a doctest
    // binary's "0 passed".
    let mut doc = ws.cargo();
    doc.args(["test", "--doc"])
        .args(workspace_unless_packages(runner_args));
    with_env(&mut doc);
    run_checked(&mut doc)?;

    // --no-fail-fast: one CI run reports every failing test, not just the first.
    if has_nextest(ws) {
        let mut cmd = ws.cargo();
        cmd.args(["nextest", "run", "--no-fail-fast"])
            .args(workspace_unless_packages(runner_args))
            .args(runner_args);
        with_env(&mut cmd);
        run_checked(&mut cmd)
    } else {
        eprintln!("xtask: cargo-nextest not installed; using cargo test");
        let mut cmd = ws.cargo();
        cmd.args(["test", "--no-fail-fast", "--lib", "--bins", "--tests"])
            .args(workspace_unless_packages(runner_args))
            .args(runner_args);
        with_env(&mut cmd);
        run_checked(&mut cmd)
    }
}

fn test(ws: &Workspace, opts: TestOptions) -> Result<ExitCode> {
    type Step<'a> = (&'static str, Box<dyn FnOnce() -> Result<()> + 'a>);
    let mut steps: Vec<Step<'_>> = vec![(
        "prerequisites",
        Box::new(|| ensure_prerequisites(opts.install, opts.lint)),
    )];
    if opts.lint {
        steps.push((
            "fmt",
            Box::new(|| run_checked(ws.cargo().args(["fmt", "--all", "--", "--check"]))),
        ));
        steps.push((
            "clippy",
            Box::new(|| {
                run_checked(ws.cargo().args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            }),
        ));
    }
    steps.push((
        "python peers",
        Box::new(|| ensure_python_peers(ws, opts.install).map(|_| ())),
    ));
    let runner_args = opts.runner_args;
    steps.push(("tests", Box::new(move || run_tests(ws, &runner_args))));

    let started = Instant::now();
    let mut done: Vec<String> = Vec::new();
    for (name, step) in steps {
        eprintln!("xtask: == {name} ==");
        let step_started = Instant::now();
        if let Err(err) = step() {
            eprintln!("xtask: error: {err:#}");
            eprintln!(
                "xtask test: FAILED at step `{name}` after {} (passed: {})",
                secs(started.elapsed()),
                if done.is_empty() {
                    "none".to_owned()
                } else {
                    done.join(", ")
                }
            );
            return Ok(ExitCode::FAILURE);
        }
        done.push(format!("{name} {}", secs(step_started.elapsed())));
    }
    eprintln!(
        "xtask test: OK in {} ({})",
        secs(started.elapsed()),
        done.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------
// cargo xtask bench
// ---------------------------------------------------------------------------

fn bench(ws: &Workspace, args: Vec<OsString>) -> Result<ExitCode> {
    let mut cargo_args: Vec<OsString> = Vec::new();
    let mut criterion_args: Vec<OsString> = Vec::new();
    let mut quick = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--quick") => quick = true,
            Some("--") => criterion_args.extend(args.by_ref()),
            _ => cargo_args.push(arg),
        }
    }
    if quick {
        // criterion 0.8: stop each benchmark once the significance level is reached.
        criterion_args.push("--quick".into());
    }
    let mut cmd = ws.cargo();
    // `--bench '*'`: only the `[[bench]]` (criterion) targets. Plain
    // `cargo bench` and even `--benches` also run lib targets under libtest,
    // which rejects criterion's flags ("Unrecognized option: 'quick'").
    cmd.arg("bench")
        .args(workspace_unless_packages(&cargo_args))
        .args(["--bench", "*"])
        .args(cargo_args);
    if !criterion_args.is_empty() {
        cmd.arg("--").args(criterion_args);
    }
    Ok(exit_code_of(&run_status(&mut cmd)?))
}
