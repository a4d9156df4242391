//! `cargo xtask <task>`: the workshop's tasks, in Rust so they run wherever cargo does.
//!
//! - `setup`: install what is missing (OS packages, mdBook), build, make the busybox rootfs,
//!   run a first container
//! - `test`: every check CI runs: fmt, clippy, all tests (live ones as root), labs, book
//! - `book`: build the book, fail on warnings and broken links
//! - `check-labs`: prove every lab's starter fails and its reference solution passes
//! - `grade LAB`: run one lab's tests and print its score
//! - `bench [start|load|lifecycle|network]`: time container start against runc and unshare, and image load
//!   against `tar -x`, with hyperfine; write the tables into
//!   the book's performance appendix
//! - `demo`: run every chapter's demo in order
//! - `clean`: remove the default state root /var/lib/mini-docker
//!
//! Tasks that need root (installing packages, running containers) use `sudo` when you are
//! not root, and say so before they do.

mod bench;
mod bench_lifecycle;
mod bench_load;
mod bench_network;
mod book;
mod labs;
mod setup;
mod shell;
mod test;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <setup [--no-demo] | test | book | check-labs | grade LAB | bench [start|load|lifecycle|network] | demo | clean>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["setup"] => setup::setup(true),
        ["setup", "--no-demo"] => setup::setup(false),
        ["test"] => test::test(),
        ["book"] => book::book(),
        ["check-labs"] => labs::check_labs(),
        ["grade", lab] => labs::grade(lab).map(|_| ()),
        ["bench"] => bench::bench(None),
        ["bench", which] => bench::bench(Some(which)),
        ["demo"] => setup::demo(),
        ["clean"] => setup::clean(),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
