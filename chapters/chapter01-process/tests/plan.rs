//! Snapshots of what chapter 1 plans and prints, without running anything.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use chapter01::{ChildPlan, ContainerError, ExecPlan};
use nix::errno::Errno;

#[test]
fn the_childs_plan() {
    let exec = ExecPlan::new(
        vec!["sh".into(), "-c".into(), "echo hi".into()],
        vec!["PATH=/usr/bin:/bin".into()],
    )
    .unwrap()
    .with_cwd("/tmp");
    let candidates: Vec<String> = exec
        .candidates()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    insta::assert_snapshot!(format!(
        "{}candidates: {candidates:?}",
        ChildPlan::new(exec)
    ));
}

#[test]
fn error_messages_and_exit_codes() {
    let errors = [
        ContainerError::Invalid("no command given: say what to run after the options".into()),
        ContainerError::system("fork", Errno::EAGAIN),
        ContainerError::system("clone(CLONE_NEWPID)", Errno::EPERM),
        ContainerError::Setup {
            step: "pivot_root".into(),
            errno: Errno::EINVAL,
        },
        ContainerError::CommandNotInvokable {
            program: "/etc/passwd".into(),
            errno: Errno::EACCES,
        },
        ContainerError::CommandNotFound {
            program: "nginx".into(),
        },
        ContainerError::CommandNotFound {
            program: "/bin/nginx".into(),
        },
    ];
    let table: Vec<String> = errors
        .iter()
        .map(|e| format!("{} {e}", e.exit_code()))
        .collect();
    insta::assert_snapshot!(table.join("\n"));
}
