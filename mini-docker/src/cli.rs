//! The command line, declared with clap: flags and help text mirror docker's.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

/// The default state root, like docker's /var/lib/docker.
pub const DEFAULT_ROOT: &str = "/var/lib/mini-docker";

#[derive(Debug, Parser)]
#[command(
    name = "mini-docker",
    version,
    max_term_width = 100,
    about = "A small container engine, built chapter by chapter",
    after_help = "Run 'mini-docker COMMAND --help' for more information on a command."
)]
pub struct Cli {
    /// Root directory of mini-docker's state (images, layers, containers)
    #[arg(long, global = true, env = "MINI_DOCKER_ROOT", hide_env_values = true, default_value = DEFAULT_ROOT)]
    pub root: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command in a new container, in the foreground
    Run(Box<RunArgs>),
    /// Download an image from a registry
    Pull(PullArgs),
    /// Import the contents from a tarball to create a filesystem image
    Import(ImportArgs),
    /// List images
    Images(ImagesArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(TagArgs),
    /// Remove one or more images
    Rmi(RmiArgs),
    /// Show the history of an image
    History(HistoryArgs),
    /// Return low-level information on images
    Inspect(InspectArgs),
    /// Load images from a tar archive (docker save or OCI layout) or an OCI layout directory
    Load(LoadArgs),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    Save(SaveArgs),
    /// Check that this host can run containers, with a fix for each problem
    Doctor,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Suppress verbose output
    #[arg(short, long)]
    pub quiet: bool,

    /// The image: NAME[:TAG|@DIGEST], e.g. busybox, 127.0.0.1:5000/team/app:v1
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, WORKDIR, USER, STOPSIGNAL)
    #[arg(short = 'c', long = "change", value_name = "INSTRUCTION")]
    pub changes: Vec<String>,

    /// Set commit message for imported image
    #[arg(short = 'm', long, value_name = "TEXT", default_value = "")]
    pub message: String,

    /// The tarball (plain or gzip) of a root filesystem, or - for standard input
    #[arg(value_name = "FILE|-")]
    pub file: String,

    /// The name to give the image
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Only show image IDs
    #[arg(short, long)]
    pub quiet: bool,

    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,

    /// Only images of this repository (and tag)
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    #[arg(value_name = "SOURCE_IMAGE[:TAG]")]
    pub source: String,
    #[arg(value_name = "TARGET_IMAGE[:TAG]")]
    pub target: String,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Force removal of the image
    #[arg(short, long)]
    pub force: bool,

    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only show image IDs
    #[arg(short, long)]
    pub quiet: bool,

    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,

    #[arg(value_name = "IMAGE")]
    pub image: String,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from tar archive file (or OCI layout directory), instead of STDIN
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Suppress the load output
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// `docker run`'s flags that chapters 1–3 give meaning to. `-h` is the hostname, as in
/// docker, so help is `--help` only.
#[derive(Debug, Args)]
#[command(
    disable_help_flag = true,
    override_usage = "mini-docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n       mini-docker run [OPTIONS] --rootfs DIR COMMAND [ARG...]"
)]
pub struct RunArgs {
    /// Run on this directory (read-only, below the container's own layer) instead of an
    /// image; then every argument is the command
    #[arg(long, value_name = "DIR")]
    pub rootfs: Option<PathBuf>,

    /// Container host name [default: the short container id]
    #[arg(short = 'h', long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// PID namespace to use: `host` shares the host's process ids
    #[arg(long, value_name = "MODE", value_parser = ["host"])]
    pub pid: Option<String>,

    /// Set environment variables (KEY=VALUE, or KEY to copy it from this shell)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Working directory inside the container (created if missing)
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<PathBuf>,

    /// Automatically remove the container when it exits
    #[arg(long)]
    pub rm: bool,

    #[command(flatten)]
    pub resources: ResourceArgs,

    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// The image (name, name:tag, or ID), then the command to run and its arguments
    /// [default: the image's Entrypoint and Cmd]
    #[arg(required = true, trailing_var_arg = true, value_name = "IMAGE")]
    pub args: Vec<String>,
}

/// The cgroup flags of `docker run` (chapter 4). Sizes take b, k, m, g units (`200m`).
#[derive(Debug, Args)]
pub struct ResourceArgs {
    /// Memory limit
    #[arg(short = 'm', long, value_name = "BYTES")]
    pub memory: Option<String>,

    /// Memory + swap limit; -1 for unlimited swap [default: twice --memory]
    #[arg(long, value_name = "BYTES", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,

    /// Memory soft limit
    #[arg(long, value_name = "BYTES")]
    pub memory_reservation: Option<String>,

    /// CPU shares (relative weight) [default: 1024]
    #[arg(short = 'c', long, value_name = "SHARES")]
    pub cpu_shares: Option<u64>,

    /// Limit CPU CFS (Completely Fair Scheduler) period, in microseconds
    #[arg(long, value_name = "US")]
    pub cpu_period: Option<u64>,

    /// Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds
    #[arg(long, value_name = "US", allow_negative_numbers = true)]
    pub cpu_quota: Option<i64>,

    /// Number of CPUs
    #[arg(long, value_name = "NUMBER")]
    pub cpus: Option<String>,

    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long, value_name = "LIST")]
    pub cpuset_cpus: Option<String>,

    /// Tune container pids limit (-1 or 0 for unlimited)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub pids_limit: Option<i64>,

    /// Block IO (relative weight), between 10 and 1000
    #[arg(long, value_name = "WEIGHT")]
    pub blkio_weight: Option<u16>,

    /// Limit read rate (bytes per second) from a device
    #[arg(long, value_name = "PATH:RATE")]
    pub device_read_bps: Vec<String>,

    /// Limit write rate (bytes per second) to a device
    #[arg(long, value_name = "PATH:RATE")]
    pub device_write_bps: Vec<String>,

    /// Limit read rate (IO per second) from a device
    #[arg(long, value_name = "PATH:RATE")]
    pub device_read_iops: Vec<String>,

    /// Limit write rate (IO per second) to a device
    #[arg(long, value_name = "PATH:RATE")]
    pub device_write_iops: Vec<String>,
}
