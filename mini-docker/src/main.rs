//! `mini-docker` — the command line of the workshop's container engine.
//!
//! Thin by design: it parses arguments ([`cli`]), calls the chapter libraries
//! ([`commands`]), prints, and exits with docker's codes. No engine logic lives here; each
//! command's work is done by the chapter that teaches it.
//!
//! Exit codes: 125 when mini-docker itself fails (bad flag, bad rootfs, not root), 126 when
//! the command cannot be invoked, 127 when it is not found, otherwise the container's own.

mod cli;
mod commands;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Exit code for mini-docker's own errors, as docker uses it.
const ENGINE_ERROR: i32 = 125;

fn main() {
    chapter06::chapter05::chapter04::chapter03::chapter01::steps::default_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { ENGINE_ERROR } else { 0 };
            let _ = error.print();
            std::process::exit(code);
        }
    };
    let code = match cli.command {
        Command::Run(args) => commands::run::run(&cli.root, *args),
        Command::Pull(args) => commands::pull::pull(&cli.root, args),
        Command::Import(args) => commands::images::import(&cli.root, args),
        Command::Images(args) => commands::images::images(&cli.root, args),
        Command::Tag(args) => commands::images::tag(&cli.root, args),
        Command::Rmi(args) => commands::images::rmi(&cli.root, args),
        Command::History(args) => commands::images::history(&cli.root, args),
        Command::Inspect(args) => commands::images::inspect(&cli.root, args),
        Command::Load(args) => commands::archive::load(&cli.root, args),
        Command::Save(args) => commands::archive::save(&cli.root, args),
        Command::Doctor => commands::doctor::doctor(),
    };
    std::process::exit(code);
}
