//! The command line's self-healing flags, checked and turned into what chapter 7 records:
//! `--restart`, the `--health-*` flags merged over the image's HEALTHCHECK, and podman's
//! `--health-on-failure`.
//!
//! Everything is checked here, before `create` makes anything, so a typo costs one line of
//! error and exit code 125 — never a half-made container.

use std::fmt;

use chapter08::chapter07::create::SelfHealingFlags;
use chapter08::chapter07::spec::HealthConfig;

use crate::health::{HealthCheckRules, HealthFlags};
use crate::restart::RestartPolicy;

/// The flags as typed.
#[derive(Debug, Clone, Default)]
pub struct SelfHealingArgs {
    /// `--restart no|on-failure[:N]|always|unless-stopped`.
    pub restart: Option<String>,
    pub health: HealthFlags,
    /// `--health-on-failure none|kill|restart|stop`.
    pub health_on_failure: Option<String>,
}

/// What the monitor does when a container turns unhealthy (podman's `--health-on-failure`;
/// docker does nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnUnhealthy {
    /// Only report it (`ps`, `inspect`, a `health_status` event): docker's behaviour.
    #[default]
    None,
    /// SIGKILL, as a user's `kill`: the restart policy leaves it down.
    Kill,
    /// SIGKILL, then a restart through the restart machinery, with its backoff.
    Restart,
    /// The stop signal, the stop timeout, then SIGKILL, as a user's `stop`.
    Stop,
}

impl OnUnhealthy {
    pub fn parse(text: &str) -> Result<OnUnhealthy, String> {
        match text {
            "" | "none" => Ok(OnUnhealthy::None),
            "kill" => Ok(OnUnhealthy::Kill),
            "restart" => Ok(OnUnhealthy::Restart),
            "stop" => Ok(OnUnhealthy::Stop),
            other => Err(format!(
                "invalid --health-on-failure {other:?}: use none, kill, restart or stop"
            )),
        }
    }

    /// As recorded in `HostConfig.HealthOnFailure` (empty for `none`, the default).
    pub fn record(self) -> String {
        match self {
            OnUnhealthy::None => String::new(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for OnUnhealthy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnUnhealthy::None => "none",
            OnUnhealthy::Kill => "kill",
            OnUnhealthy::Restart => "restart",
            OnUnhealthy::Stop => "stop",
        })
    }
}

// ANCHOR: parse_args
/// Checks the flags; `image` is the image's HEALTHCHECK (see [`image_healthcheck`]).
pub fn parse_args(
    args: &SelfHealingArgs,
    auto_remove: bool,
    image: Option<&HealthConfig>,
) -> Result<SelfHealingFlags, String> {
    let policy = RestartPolicy::parse(args.restart.as_deref().unwrap_or(""))?;
    if auto_remove && policy != RestartPolicy::No {
        // A container removed at its first exit cannot be restarted.
        return Err("Conflicting options: --restart and --rm".to_owned());
    }
    let on_unhealthy = OnUnhealthy::parse(args.health_on_failure.as_deref().unwrap_or(""))?;
    let healthcheck = HealthConfig::from_flags(&args.health, image)?;
    Ok(SelfHealingFlags {
        restart_policy: policy.to_record(),
        healthcheck,
        health_on_failure: on_unhealthy.record(),
    })
}
// ANCHOR_END: parse_args

/// The HEALTHCHECK an image's config carries (`config.Healthcheck`), if any. A malformed one
/// is ignored, as an image without a check.
pub fn image_healthcheck(
    run_config_rest: &serde_json::Map<String, serde_json::Value>,
) -> Option<HealthConfig> {
    let value = run_config_rest.get("Healthcheck")?;
    serde_json::from_value(value.clone()).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(restart: &str) -> SelfHealingArgs {
        SelfHealingArgs {
            restart: Some(restart.to_owned()),
            ..SelfHealingArgs::default()
        }
    }

    #[test]
    fn restart_with_rm_is_refused() {
        assert_eq!(
            parse_args(&args("always"), true, None).unwrap_err(),
            "Conflicting options: --restart and --rm"
        );
        // `--restart no` says nothing against `--rm`.
        assert!(parse_args(&args("no"), true, None).is_ok());
    }

    #[test]
    fn the_policy_is_recorded_as_docker_does() {
        let flags = parse_args(&args("on-failure:3"), false, None).unwrap();
        assert_eq!(flags.restart_policy.name, "on-failure");
        assert_eq!(flags.restart_policy.maximum_retry_count, 3);
        let flags = parse_args(&SelfHealingArgs::default(), false, None).unwrap();
        assert_eq!(flags.restart_policy.name, "no");
        assert_eq!(flags.healthcheck, None);
        assert_eq!(flags.health_on_failure, "");
    }

    #[test]
    fn health_on_failure_words() {
        for word in ["none", "kill", "restart", "stop"] {
            let parsed = OnUnhealthy::parse(word).unwrap();
            assert_eq!(parsed.to_string(), word);
            assert_eq!(OnUnhealthy::parse(&parsed.record()).unwrap(), parsed);
        }
        assert_eq!(
            OnUnhealthy::parse("reboot").unwrap_err(),
            "invalid --health-on-failure \"reboot\": use none, kill, restart or stop"
        );
    }

    #[test]
    fn the_image_check_is_read_from_the_config() {
        let rest: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
            r#"{"Healthcheck":{"Test":["CMD","/ok"],"Interval":1000000000},"Labels":null}"#,
        )
        .unwrap();
        let check = image_healthcheck(&rest).unwrap();
        assert_eq!(check.test, ["CMD", "/ok"]);
        let flags = SelfHealingArgs {
            health: HealthFlags {
                retries: Some(2),
                ..HealthFlags::default()
            },
            ..SelfHealingArgs::default()
        };
        let merged = parse_args(&flags, false, Some(&check))
            .unwrap()
            .healthcheck
            .unwrap();
        assert_eq!(
            (merged.test.len(), merged.interval, merged.retries),
            (2, 1_000_000_000, 2)
        );
        assert_eq!(image_healthcheck(&serde_json::Map::new()), None);
    }
}
