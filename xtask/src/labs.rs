//! `check-labs` and `grade`: the labs' tests are their spec; points per test in
//! `labs/<lab>/points.toml`.

use std::collections::BTreeMap;
use std::process::Command;

use crate::shell::{cargo, root_runner_env, show, workspace_root};
use crate::test::LABS;

/// A lab's result: points earned, points possible, and how each test went.
pub struct Grade {
    pub earned: u32,
    pub possible: u32,
    pub results: BTreeMap<String, bool>,
}

/// For every lab: the starter must fail (score below full marks) and the reference
/// solution (`--features reference`: the chapter's own code) must pass with full marks.
pub fn check_labs() -> Result<(), String> {
    for lab in LABS {
        let starter = run_lab(lab, false)?;
        let reference = run_lab(lab, true)?;
        println!(
            "{lab}: starter {}/{} points, reference {}/{} points",
            starter.earned, starter.possible, reference.earned, reference.possible
        );
        if starter.earned >= starter.possible {
            return Err(format!(
                "{lab}: the starter passes every test; the lab teaches nothing"
            ));
        }
        if reference.earned != reference.possible {
            let failed: Vec<&String> = reference
                .results
                .iter()
                .filter(|(_, ok)| !**ok)
                .map(|(name, _)| name)
                .collect();
            return Err(format!("{lab}: the reference solution fails {failed:?}"));
        }
    }
    println!("labs: every starter fails, every reference solution passes");
    Ok(())
}

/// `cargo xtask grade lab01`: the learner's score.
pub fn grade(lab: &str) -> Result<Grade, String> {
    if !LABS.contains(&lab) {
        return Err(format!(
            "unknown lab {lab:?}; the labs are {}",
            LABS.join(", ")
        ));
    }
    let grade = run_lab(lab, false)?;
    for (name, ok) in &grade.results {
        println!("{} {name}", if *ok { "pass" } else { "FAIL" });
    }
    println!("{lab}: {}/{} points", grade.earned, grade.possible);
    Ok(grade)
}

fn run_lab(lab: &str, reference: bool) -> Result<Grade, String> {
    let points = read_points(lab)?;
    let mut command: Command = cargo();
    command.args(["test", "-p", lab, "--no-fail-fast"]);
    if reference {
        command.args(["--features", "reference"]);
    }
    // One thread: the output of each test stays on its own line.
    command.args(["--", "--test-threads", "1"]);
    if let Some((name, value)) = root_runner_env() {
        command.env(name, value);
    }
    command.current_dir(workspace_root());
    println!("+ {}", show(&command));
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo test for {lab}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut results = BTreeMap::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, outcome)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let name = name.rsplit("::").next().unwrap_or(name).to_owned();
        results.insert(name, outcome.trim() == "ok");
    }
    if results.is_empty() {
        return Err(format!(
            "{lab}: no test ran (does it compile?)\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut grade = Grade {
        earned: 0,
        possible: 0,
        results,
    };
    for (test, value) in &points {
        grade.possible += value;
        match grade.results.get(test) {
            Some(true) => grade.earned += value,
            Some(false) => {}
            None => {
                return Err(format!(
                    "{lab}: points.toml names {test}, which did not run"
                ))
            }
        }
    }
    if let Some(unscored) = grade
        .results
        .keys()
        .find(|name| !points.contains_key(*name))
    {
        return Err(format!(
            "{lab}: test {unscored} has no points in points.toml"
        ));
    }
    Ok(grade)
}

/// `labs/<lab>-*/points.toml`: lines of `test_name = points`.
fn read_points(lab: &str) -> Result<BTreeMap<String, u32>, String> {
    let labs_dir = workspace_root().join("labs");
    let dir = std::fs::read_dir(&labs_dir)
        .map_err(|e| format!("{}: {e}", labs_dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{lab}-")))
        })
        .ok_or_else(|| format!("no directory labs/{lab}-*"))?;
    let text = std::fs::read_to_string(dir.join("points.toml"))
        .map_err(|e| format!("{}/points.toml: {e}", dir.display()))?;
    let mut points = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{lab}/points.toml: bad line {line:?}"))?;
        let value = value
            .trim()
            .parse()
            .map_err(|_| format!("{lab}/points.toml: bad points in {line:?}"))?;
        points.insert(name.trim().to_owned(), value);
    }
    Ok(points)
}
