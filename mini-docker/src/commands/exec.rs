//! `exec`: a new process in a running container — its namespaces, its cgroup, its root,
//! its environment (chapter 7's `enter`).

use std::os::fd::AsRawFd;
use std::path::Path;

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::{ChildStep, ContainerError};
use chapter07::chapter06::chapter05::chapter04::chapter03::config::env_from_args;
use chapter07::enter::{spawn_in, ExecRequest};
use chapter07::{Container, ContainerStore};

use super::print_error;
use crate::cli::ExecArgs;

pub fn exec(root: &Path, args: ExecArgs) -> i32 {
    match exec_in(root, &args) {
        Ok(code) => code,
        Err(error) => {
            print_error(&error);
            error.exit_code()
        }
    }
}

fn exec_in(root: &Path, args: &ExecArgs) -> Result<i32, ContainerError> {
    let (reference, command) = args
        .args
        .split_first()
        .ok_or_else(|| ContainerError::Invalid("exec needs a container and a command".into()))?;
    let store = ContainerStore::open(root)?;
    let container = store.get(reference)?;
    if container.running_pid().is_none() {
        return Err(ContainerError::Invalid(format!(
            "container {} is not running",
            container.id()
        )));
    }
    if container.state.paused {
        return Err(ContainerError::Invalid(format!(
            "container {} is paused, unpause the container before exec",
            container.id()
        )));
    }
    let mut request = ExecRequest::for_container(
        &container,
        command.to_vec(),
        env_from_args(&args.env, |key| std::env::var(key).ok()),
        args.workdir.as_deref(),
        args.user.as_deref(),
    )?;
    let detail = command.join(" ");
    chapter07::monitor::event(root, &format!("exec_create: {detail}"), &container, &[]);
    let terminal = if args.tty {
        Some(
            chapter07::tty::open_pty()
                .map_err(|errno| ContainerError::system("open a pseudo-terminal", errno))?,
        )
    } else {
        None
    };
    let mut extra_steps: Vec<Box<dyn ChildStep>> = Vec::new();
    if let Some(pty) = &terminal {
        extra_steps.push(Box::new(chapter07::tty::ControllingTerminal {
            slave_fd: pty.slave.as_raw_fd(),
        }));
    } else if args.detach {
        extra_steps.push(Box::new(chapter07::stdio::RedirectStdio {
            fds: [dev_null()?, dev_null()?, dev_null()?],
        }));
    } else if !args.interactive {
        extra_steps.push(Box::new(chapter07::stdio::RedirectStdio {
            fds: [dev_null()?, 1, 2],
        }));
    }
    request.extra_steps = extra_steps;
    let child = spawn_in(request)?;
    chapter07::monitor::event(root, &format!("exec_start: {detail}"), &container, &[]);
    if args.detach {
        return Ok(0);
    }
    let code = match terminal {
        Some(pty) => {
            drop(pty.slave);
            relay_terminal(&pty.master, args.interactive)?;
            child.wait()?.code()
        }
        None => child.wait()?.code(),
    };
    exec_died(root, &container, code);
    Ok(code)
}

fn exec_died(root: &Path, container: &Container, code: i32) {
    chapter07::monitor::event(
        root,
        "exec_die",
        container,
        &[("exitCode", &code.to_string())],
    );
}

/// A /dev/null descriptor that stays open for the rest of this (short-lived) process.
fn dev_null() -> Result<i32, ContainerError> {
    let file = std::fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|error| ContainerError::io("open /dev/null", error))?;
    Ok(std::os::fd::IntoRawFd::into_raw_fd(file))
}

/// `exec -t`: copy between our terminal (raw) and the pty master until the process closes
/// its side.
fn relay_terminal(master: &std::os::fd::OwnedFd, interactive: bool) -> Result<(), ContainerError> {
    chapter07::client::relay_pty(master, interactive)
        .map_err(|error| ContainerError::io("relay the terminal", error))
}
