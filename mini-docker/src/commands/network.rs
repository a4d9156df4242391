//! Chapter 8's part of the CLI: registering its hooks (every command, and every monitor,
//! runs with them), and `port`.

use std::path::Path;

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::ContainerStore;
use chapter08::bridge::BridgeOptions;
use chapter08::NetworkHooks;

use super::report;
use crate::cli::{Cli, PortArgs};

/// Registers chapter 8's hooks with chapter 7 for this process, with `--bridge`/`--bip`.
pub fn register(cli: &Cli) -> Result<(), ContainerError> {
    if let Some(name) = &cli.bridge {
        chapter08::bridge::check_name(name)?;
    }
    let subnet = match &cli.bip {
        Some(text) => Some(text.parse().map_err(ContainerError::Invalid)?),
        None => None,
    };
    let hooks = NetworkHooks {
        bridge: BridgeOptions {
            name: cli.bridge.clone(),
            subnet,
        },
    };
    // Lives as long as the process, as registered hooks must.
    chapter07::hooks::register(Box::leak(Box::new(hooks)));
    Ok(())
}

/// `port CONTAINER [PORT[/PROTO]]`
pub fn port(root: &Path, args: PortArgs) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        let container = store.get(&args.container)?;
        let lines = chapter08::ports::port_lines(
            &container.state.network_settings.ports,
            container.name(),
            args.private_port.as_deref(),
        )
        .map_err(ContainerError::Invalid)?;
        for line in lines {
            println!("{line}");
        }
        Ok(())
    })
}
