//! Chapter 1 demo: start a command as a child process and report how it ended.
//!
//! ```text
//! cargo run -p chapter01 -- run /bin/sh -c 'exit 3'
//! cargo run -p chapter01 -- run /bin/sh -c 'kill -9 $$'
//! ```

use chapter01::{spawn, ChildPlan, ExecPlan};

const USAGE: &str = "usage: chapter01 run COMMAND [ARG...]

Starts COMMAND as a child process (fork + exec), waits for it, and says how it ended.
The exit code is the child's, or 128+N if signal N killed it; 126 if COMMAND may not be
run, 127 if it does not exist, 125 if starting it failed in any other way.";

fn main() {
    chapter01::steps::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args.split_first() {
        Some((verb, rest)) if verb == "run" && !rest.is_empty() => rest.to_vec(),
        Some((verb, _)) if verb == "--help" || verb == "-h" => {
            println!("{USAGE}");
            return;
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(125);
        }
    };
    std::process::exit(run(command));
}

// ANCHOR: demo
fn run(command: Vec<String>) -> i32 {
    // A plain process inherits its parent's environment; containers will not (chapter 3).
    let env = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let plan = match ExecPlan::new(command, env) {
        Ok(plan) => ChildPlan::new(plan),
        Err(error) => return fail(&error),
    };
    let child = match spawn(plan) {
        Ok(child) => child,
        Err(error) => return fail(&error),
    };
    println!("parent: started child pid {}", child.pid());
    match child.wait() {
        Ok(status) => {
            println!("parent: child pid {} {status}", child.pid());
            status.code()
        }
        Err(error) => fail(&error),
    }
}
// ANCHOR_END: demo

fn fail(error: &chapter01::ContainerError) -> i32 {
    eprintln!("chapter01: {error}");
    error.exit_code()
}
