//! `test`: everything CI checks, in the order that fails fastest.

use crate::shell::{cargo, root_runner_env, run};

/// The labs are graded by `check-labs` (their starters fail on purpose).
pub const LABS: [&str; 9] = [
    "lab01", "lab02", "lab03", "lab04", "lab05", "lab06", "lab07", "lab08", "lab09",
];

pub fn test() -> Result<(), String> {
    type Step = (&'static str, fn() -> Result<(), String>);
    let steps: [Step; 6] = [
        ("format", || run(cargo().args(["fmt", "--all", "--check"]))),
        ("lints", lints),
        ("build", || {
            run(cargo().args(["build", "--workspace", "--all-targets"]))
        }),
        ("tests", run_tests),
        ("labs", crate::labs::check_labs),
        ("book", crate::book::book),
    ];
    for (name, step) in steps {
        println!("\n== {name}");
        step().map_err(|e| format!("{name}: {e}"))?;
    }
    println!("\nall checks passed");
    Ok(())
}

/// clippy on everything, then once more on the labs with their reference solutions switched
/// in (that code is only compiled with `--features reference`).
fn lints() -> Result<(), String> {
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    let mut labs = cargo();
    labs.arg("clippy");
    for lab in LABS {
        labs.args(["-p", lab]);
    }
    run(labs.args([
        "--all-targets",
        "--features",
        "reference",
        "--",
        "-D",
        "warnings",
    ]))
}

/// `cargo test` of every package but the labs; live tests run as root (through sudo when
/// needed), and nothing is skipped when CI is set (see testkit::require_root).
fn run_tests() -> Result<(), String> {
    let mut command = cargo();
    command.args(["test", "--workspace", "--no-fail-fast"]);
    for lab in LABS {
        command.args(["--exclude", lab]);
    }
    if let Some((name, value)) = root_runner_env() {
        println!("live tests need root: running test binaries with `{value}`");
        command.env(name, value);
    }
    run(&mut command)
}
