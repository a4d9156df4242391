//! Chapter 9's part of the CLI: registering its hooks (every monitor decides restarts and
//! runs health checks with them), and `system restore`.

use std::path::Path;

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::timearg::parse_go_duration;
use chapter07::ContainerStore;
use chapter09::restart::Backoff;
use chapter09::restore::Restored;
use chapter09::SelfHealingHooks;

use super::{print_error, report};
use crate::cli::Cli;

/// Registers chapter 9's hooks with chapter 7 for this process. Two hidden flags are for
/// tests of the backoff: `--restart-reset-after` shortens docker's 10 s, and
/// `--restart-first-delay` lengthens its 100 ms, so that the doubling stands out from the
/// cost of a start on a slow (emulated) machine.
pub fn register(cli: &Cli) -> Result<(), ContainerError> {
    let mut backoff = Backoff::default();
    let duration = |flag: &str, text: &str| {
        parse_go_duration(text).map_err(|why| ContainerError::Invalid(format!("--{flag}: {why}")))
    };
    if let Some(text) = &cli.restart_reset_after {
        backoff.reset_after = duration("restart-reset-after", text)?;
    }
    if let Some(text) = &cli.restart_first_delay {
        backoff.initial = duration("restart-first-delay", text)?;
    }
    // Lives as long as the process, as registered hooks must.
    chapter07::hooks::register(Box::leak(Box::new(SelfHealingHooks { backoff })));
    Ok(())
}

/// `system restore`: prints the name of each container started; a failure is reported and
/// the others are still tried (exit code 125 if any failed).
pub fn restore(root: &Path) -> i32 {
    let mut failed = false;
    let code = report(|| {
        super::containers::require_root("system restore")?;
        let store = ContainerStore::open(root)?;
        let program = super::containers::monitor_program(root);
        for restored in chapter09::restore::restore(&store, &program) {
            match restored {
                Restored::Started(container) => println!("{}", container.name()),
                Restored::Failed(container, error) => {
                    failed = true;
                    print_error(&format!("cannot restore {}: {error}", container.name()));
                }
            }
        }
        Ok(())
    });
    if failed && code == 0 {
        125
    } else {
        code
    }
}
