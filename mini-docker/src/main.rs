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

use crate::cli::{Cli, Command, SystemCommand};

/// Exit code for mini-docker's own errors, as docker uses it.
const ENGINE_ERROR: i32 = 125;

fn main() {
    chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::steps::default_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { ENGINE_ERROR } else { 0 };
            let _ = error.print();
            std::process::exit(code);
        }
    };
    let registered =
        commands::network::register(&cli).and_then(|()| commands::self_healing::register(&cli));
    if let Err(error) = registered {
        eprintln!("mini-docker: {error}");
        std::process::exit(ENGINE_ERROR);
    }
    let code = match cli.command {
        Command::Run(args) => commands::containers::run(&cli.root, *args),
        Command::Create(args) => commands::containers::create(&cli.root, *args),
        Command::Start(args) => commands::containers::start(&cli.root, args),
        Command::Stop(args) => commands::containers::stop(&cli.root, args),
        Command::Restart(args) => commands::containers::restart(&cli.root, args),
        Command::Kill(args) => commands::containers::kill(&cli.root, args),
        Command::Rm(args) => commands::containers::rm(&cli.root, args),
        Command::Rename(args) => commands::containers::rename(&cli.root, args),
        Command::Wait(args) => commands::containers::wait(&cli.root, args),
        Command::Pause(args) => commands::containers::set_paused(&cli.root, args, true),
        Command::Unpause(args) => commands::containers::set_paused(&cli.root, args, false),
        Command::Port(args) => commands::network::port(&cli.root, args),
        Command::Container(command) => commands::containers::container(&cli.root, command),
        Command::Monitor(args) => commands::containers::monitor(&cli.root, args),
        Command::Ps(args) => commands::observe::ps(&cli.root, args),
        Command::Logs(args) => commands::observe::logs(&cli.root, args),
        Command::Events(args) => commands::observe::events(&cli.root, args),
        Command::Top(args) => commands::observe::top(&cli.root, args),
        Command::Stats(args) => commands::observe::stats(&cli.root, args),
        Command::Diff(args) => commands::observe::diff(&cli.root, args),
        Command::Exec(args) => commands::exec::exec(&cli.root, args),
        Command::Attach(args) => commands::containers::attach(&cli.root, args),
        Command::Export(args) => commands::fs::export(&cli.root, args),
        Command::Commit(args) => commands::fs::commit(&cli.root, args),
        Command::Volume(command) => commands::volume::volume(&cli.root, command),
        Command::Pull(args) => commands::pull::pull(&cli.root, args),
        Command::Import(args) => commands::images::import(&cli.root, args),
        Command::Images(args) => commands::images::images(&cli.root, args),
        Command::Tag(args) => commands::images::tag(&cli.root, args),
        Command::Rmi(args) => commands::images::rmi(&cli.root, args),
        Command::History(args) => commands::images::history(&cli.root, args),
        Command::Inspect(args) => commands::observe::inspect(&cli.root, args),
        Command::Load(args) => commands::archive::load(&cli.root, args),
        Command::Save(args) => commands::archive::save(&cli.root, args),
        Command::Doctor => commands::doctor::doctor(),
        Command::System(SystemCommand::Restore) => commands::self_healing::restore(&cli.root),
    };
    std::process::exit(code);
}
