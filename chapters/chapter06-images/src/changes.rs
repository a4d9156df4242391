//! `--change` for `import` and `commit`: Dockerfile instructions applied to an image's run
//! config — `CMD`, `ENTRYPOINT`, `ENV`, `WORKDIR`, `USER`, `STOPSIGNAL`.
//!
//! `CMD` and `ENTRYPOINT` come in two forms (seed 001):
//! - **exec form**, a JSON array: `CMD ["nginx", "-g", "daemon off;"]` — run as it is, so
//!   the program is PID 1 and gets signals itself;
//! - **shell form**, plain text: `CMD nginx -g 'daemon off;'` — stored as
//!   `["/bin/sh", "-c", "nginx -g 'daemon off;'"]`, so a shell is PID 1 and the program
//!   its child (which is why `docker stop` on shell-form images often waits 10 seconds).

use crate::config::RunConfig;

// ANCHOR: apply_change
/// Applies one instruction to `config`; an unknown or malformed one is an error naming it.
pub fn apply_change(config: &mut RunConfig, change: &str) -> Result<(), String> {
    let change = change.trim();
    let (instruction, argument) = change
        .split_once(char::is_whitespace)
        .map(|(i, a)| (i, a.trim()))
        .unwrap_or((change, ""));
    let bad = |why: &str| format!("invalid --change {change:?}: {why}");
    if argument.is_empty() {
        return Err(bad("it has no argument"));
    }
    match instruction.to_ascii_uppercase().as_str() {
        "CMD" => config.cmd = Some(command_form(argument).map_err(|e| bad(&e))?),
        "ENTRYPOINT" => config.entrypoint = Some(command_form(argument).map_err(|e| bad(&e))?),
        "ENV" => {
            for (key, value) in env_pairs(argument).map_err(|e| bad(&e))? {
                config
                    .env
                    .retain(|entry| entry.split('=').next() != Some(key.as_str()));
                config.env.push(format!("{key}={value}"));
            }
        }
        "WORKDIR" if argument.starts_with('/') => config.working_dir = argument.to_owned(),
        "WORKDIR" => return Err(bad("the working directory must be absolute")),
        "USER" => config.user = argument.to_owned(),
        "STOPSIGNAL" => config.stop_signal = argument.to_owned(),
        other => {
            return Err(bad(&format!(
                "{other} is not one of CMD, ENTRYPOINT, ENV, WORKDIR, USER, STOPSIGNAL"
            )))
        }
    }
    Ok(())
}

/// Exec form (a JSON array of strings) as it is; shell form wrapped in `/bin/sh -c`.
pub fn command_form(argument: &str) -> Result<Vec<String>, String> {
    if argument.starts_with('[') {
        if let Ok(words) = serde_json::from_str::<Vec<String>>(argument) {
            return Ok(words);
        }
        // Docker falls back to the shell form when the JSON does not parse; so do we.
    }
    Ok(vec!["/bin/sh".into(), "-c".into(), argument.into()])
}
// ANCHOR_END: apply_change

/// `ENV KEY=VALUE [KEY2=VALUE2 …]`, or the old `ENV KEY VALUE WITH SPACES`.
fn env_pairs(argument: &str) -> Result<Vec<(String, String)>, String> {
    let Some(first) = argument.split_whitespace().next() else {
        return Err("ENV needs a name".into());
    };
    if !first.contains('=') {
        let value = argument[first.len()..].trim();
        return Ok(vec![(first.to_owned(), value.to_owned())]);
    }
    argument
        .split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(format!("{pair:?} is not KEY=VALUE")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_and_shell_forms() {
        let mut config = RunConfig::default();
        apply_change(&mut config, r#"CMD ["sh", "-c", "echo hi"]"#).unwrap();
        assert_eq!(
            config.cmd.as_deref(),
            Some(&["sh".to_owned(), "-c".into(), "echo hi".into()][..])
        );
        apply_change(&mut config, "ENTRYPOINT top -b").unwrap();
        assert_eq!(
            config.entrypoint.as_deref(),
            Some(&["/bin/sh".to_owned(), "-c".into(), "top -b".into()][..])
        );
        apply_change(&mut config, "ENV A=1 B=2").unwrap();
        apply_change(&mut config, "env A 3").unwrap();
        assert_eq!(config.env, ["B=2", "A=3"]);
        assert!(apply_change(&mut config, "WORKDIR relative").is_err());
        assert!(apply_change(&mut config, "RUN apt-get update")
            .unwrap_err()
            .contains("RUN is not one of"));
    }
}
