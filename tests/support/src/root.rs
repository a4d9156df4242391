//! Root gating for live tests.
//!
//! A live test starts with `if !testkit::require_root("what it checks") { return; }`.
//! - as root: the test runs;
//! - not root, `CI` unset (a learner's laptop): a loud `SKIPPED` line on the terminal, test passes;
//! - not root, `CI` set: the test *fails* — CI must run every live test.

use std::io::Write;

/// True when the `CI` environment variable is set to anything but `""`, `0` or `false`.
pub fn running_in_ci() -> bool {
    match std::env::var("CI") {
        Ok(value) => !matches!(value.as_str(), "" | "0" | "false"),
        Err(_) => false,
    }
}

/// Whether a test that needs root may run. See the module docs for the three outcomes.
pub fn require_root(what: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    assert!(
        !running_in_ci(),
        "live test `{what}` needs root and CI is set: run the suite as root (cargo xtask test)"
    );
    // The test harness captures `eprintln!` of passing tests; writing to the stderr handle
    // directly bypasses the capture, so the learner sees the skip.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED (needs root): {what} — run `cargo xtask test`, which runs live tests with sudo"
    );
    false
}

/// Says loudly that a check was skipped on this machine, and why (never in CI: callers
/// assert that first).
pub fn skip(what: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what}");
}
