//! From an image to a container: how docker combines the image's config with `docker run`'s
//! arguments.
//!
//! - **command** = Entrypoint + (the arguments after the image name, or else the image's
//!   Cmd). So `run IMAGE ls` replaces Cmd but keeps Entrypoint; nothing at all is an error.
//!   `--entrypoint` replaces the image's Entrypoint *and* drops its Cmd (an image's Cmd is
//!   written for its own Entrypoint).
//! - **environment** = the image's Env, then `-e` entries, which win over it (and docker's
//!   defaults fill in what neither sets: chapter 3's `container_env`).
//! - **working directory** = `-w`, or else the image's WorkingDir.

use std::path::PathBuf;

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter05::chapter04::chapter03::ContainerConfig;

use crate::store::Image;

/// What the user gave `run` besides the image.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub command: Vec<String>,
    pub env: Vec<String>,
    pub workdir: Option<PathBuf>,
    /// `--entrypoint`: `Some(vec![])` for `--entrypoint ""`, which clears it.
    pub entrypoint: Option<Vec<String>>,
}

// ANCHOR: container_config
/// The container config for running `image` with `request`, rooted at `rootfs`.
pub fn container_config(
    image: &Image,
    rootfs: PathBuf,
    hostname: &str,
    request: RunRequest,
) -> Result<ContainerConfig, ContainerError> {
    let run = &image.config.config;
    let (entrypoint, image_cmd) = match request.entrypoint {
        Some(entrypoint) => (entrypoint, Vec::new()),
        None => (
            run.entrypoint.clone().unwrap_or_default(),
            run.cmd.clone().unwrap_or_default(),
        ),
    };
    let arguments = if request.command.is_empty() {
        image_cmd
    } else {
        request.command
    };
    let command: Vec<String> = entrypoint.into_iter().chain(arguments).collect();
    if command.is_empty() {
        return Err(ContainerError::Invalid(format!(
            "No command specified: image {} has no Cmd or Entrypoint; give one after the image name",
            image.id.short()
        )));
    }
    let mut config = ContainerConfig::new(rootfs, command, hostname);
    config.env = run.env.iter().cloned().chain(request.env).collect();
    config.working_dir = request
        .workdir
        .or_else(|| (!run.working_dir.is_empty()).then(|| PathBuf::from(&run.working_dir)));
    config.image = Some(image.id.to_string());
    Ok(config)
}
// ANCHOR_END: container_config
