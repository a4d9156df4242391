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

    /// Bridge of a new state root [default: mini0; any other --root gets one of its own]
    #[arg(
        long,
        global = true,
        env = "MINI_DOCKER_BRIDGE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub bridge: Option<String>,

    /// Subnet of a new state root's bridge [default: the first of docker's pool (172.17.0.0/16
    /// …) that no route of this host overlaps]
    #[arg(
        long,
        global = true,
        env = "MINI_DOCKER_BIP",
        hide_env_values = true,
        value_name = "CIDR"
    )]
    pub bip: Option<String>,

    /// (tests) A run at least this long resets the restart delay [default: 10s]
    #[arg(
        long,
        global = true,
        hide = true,
        env = "MINI_DOCKER_RESTART_RESET_AFTER",
        value_name = "DURATION"
    )]
    pub restart_reset_after: Option<String>,

    /// (tests) The first restart delay, doubled at each restart [default: 100ms]
    #[arg(
        long,
        global = true,
        hide = true,
        env = "MINI_DOCKER_RESTART_FIRST_DELAY",
        value_name = "DURATION"
    )]
    pub restart_first_delay: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and run a new container from an image
    Run(Box<RunArgs>),
    /// Create a new container
    Create(Box<CreateArgs>),
    /// Start one or more stopped containers
    Start(StartArgs),
    /// Stop one or more running containers
    Stop(StopArgs),
    /// Restart one or more containers
    Restart(StopArgs),
    /// Kill one or more running containers
    Kill(KillArgs),
    /// Remove one or more containers
    Rm(RmArgs),
    /// Rename a container
    Rename(RenameArgs),
    /// List containers
    Ps(PsArgs),
    /// Fetch the logs of a container
    Logs(LogsArgs),
    /// Execute a command in a running container
    Exec(ExecArgs),
    /// Attach local standard input, output, and error streams to a running container
    Attach(AttachArgs),
    /// Get real time events from the server
    Events(EventsArgs),
    /// Block until one or more containers stop, then print their exit codes
    Wait(ContainersArgs),
    /// Pause all processes within one or more containers
    Pause(ContainersArgs),
    /// Unpause all processes within one or more containers
    Unpause(ContainersArgs),
    /// List port mappings or a specific mapping for the container
    Port(PortArgs),
    /// Display the running processes of a container
    Top(TopArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(StatsArgs),
    /// Inspect changes to files or directories on a container's filesystem
    Diff(ContainerArg),
    /// Export a container's filesystem as a tar archive
    Export(ExportArgs),
    /// Create a new image from a container's changes
    Commit(CommitArgs),
    /// Manage volumes
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Manage containers
    #[command(subcommand)]
    Container(ContainerCommand),
    /// (internal) The monitor of one container; started by `start`
    #[command(hide = true)]
    Monitor(MonitorArgs),
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
    /// Manage mini-docker itself
    #[command(subcommand)]
    System(SystemCommand),
}

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Start the containers whose restart policy wants them back after a reboot (run it at
    /// boot: see mini-docker/systemd/mini-docker-restore.service)
    Restore,
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
    /// Format output using a Go template, e.g. '{{.State.Status}}' or '{{json .Config}}'
    #[arg(short, long, value_name = "TEMPLATE")]
    pub format: Option<String>,

    /// Only inspect objects of this type (container or image)
    #[arg(long = "type", value_name = "TYPE", value_parser = ["container", "image"])]
    pub kind: Option<String>,

    #[arg(required = true, value_name = "NAME|ID")]
    pub objects: Vec<String>,
}

/// `docker run`: `create` + `start` (+ attach unless `-d`). `-h` is the hostname, as in
/// docker, so help is `--help` only.
#[derive(Debug, Args)]
#[command(
    disable_help_flag = true,
    override_usage = "mini-docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n       mini-docker run [OPTIONS] --rootfs DIR COMMAND [ARG...]"
)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,

    /// Override the key sequence for detaching a container
    #[arg(long, value_name = "KEYS", default_value = "ctrl-p,ctrl-q")]
    pub detach_keys: String,

    #[command(flatten)]
    pub container: ContainerArgs,
}

/// `docker create`.
#[derive(Debug, Args)]
#[command(
    disable_help_flag = true,
    override_usage = "mini-docker create [OPTIONS] IMAGE [COMMAND] [ARG...]\n       mini-docker create [OPTIONS] --rootfs DIR COMMAND [ARG...]"
)]
pub struct CreateArgs {
    #[command(flatten)]
    pub container: ContainerArgs,
}

/// The flags `create` and `run` share.
#[derive(Debug, Args)]
pub struct ContainerArgs {
    /// Assign a name to the container
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Write the container ID to the file
    #[arg(long, value_name = "FILE")]
    pub cidfile: Option<PathBuf>,

    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,

    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,

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

    /// Read in a file of environment variables
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,

    /// Working directory inside the container (created if missing)
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,

    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,

    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long, value_name = "COMMAND")]
    pub entrypoint: Option<String>,

    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long)]
    pub init: bool,

    /// Mount the container's root filesystem as read only
    #[arg(long)]
    pub read_only: bool,

    /// Mount a tmpfs directory (PATH[:OPTIONS])
    #[arg(long, value_name = "PATH[:OPTIONS]")]
    pub tmpfs: Vec<String>,

    /// Bind mount a volume (HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or
    /// CONTAINER-DIR for an anonymous volume)
    #[arg(short = 'v', long = "volume", value_name = "VOLUME")]
    pub volumes: Vec<String>,

    /// Signal to stop the container
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,

    /// Timeout (in seconds) to stop a container
    #[arg(long, value_name = "SECONDS")]
    pub stop_timeout: Option<u64>,

    /// Automatically remove the container when it exits
    #[arg(long)]
    pub rm: bool,

    /// Connect the container to a network: bridge, none, host or container:NAME
    #[arg(long, alias = "net", value_name = "NETWORK", default_value = "bridge")]
    pub network: String,

    /// Publish a container's port to the host ([IP:][HOSTPORT:]CPORT[/PROTO])
    #[arg(short = 'p', long = "publish", value_name = "PORT")]
    pub publish: Vec<String>,

    /// Add link to another container (NAME[:ALIAS])
    #[arg(long = "link", value_name = "NAME[:ALIAS]")]
    pub links: Vec<String>,

    /// Add a custom host-to-IP mapping (HOST:IP)
    #[arg(long = "add-host", value_name = "HOST:IP")]
    pub add_hosts: Vec<String>,

    /// Set custom DNS servers
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,

    /// Restart policy to apply when a container exits (no, on-failure[:max-retries], always,
    /// unless-stopped)
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,

    /// Command to run to check health
    #[arg(long = "health-cmd", value_name = "COMMAND")]
    pub health_cmd: Option<String>,

    /// Time between running the check (ms|s|m|h) [default: 30s]
    #[arg(long = "health-interval", value_name = "TIME")]
    pub health_interval: Option<String>,

    /// Maximum time to allow one check to run (ms|s|m|h) [default: 30s]
    #[arg(long = "health-timeout", value_name = "TIME")]
    pub health_timeout: Option<String>,

    /// Consecutive failures needed to report unhealthy [default: 3]
    #[arg(
        long = "health-retries",
        value_name = "INT",
        allow_negative_numbers = true
    )]
    pub health_retries: Option<i64>,

    /// Start period for the container to initialize before starting health-retries countdown
    /// (ms|s|m|h) [default: 0s]
    #[arg(long = "health-start-period", value_name = "TIME")]
    pub health_start_period: Option<String>,

    /// Time between running the check during the start period (ms|s|m|h) [default: 5s]
    #[arg(long = "health-start-interval", value_name = "TIME")]
    pub health_start_interval: Option<String>,

    /// Disable any container-specified HEALTHCHECK
    #[arg(long = "no-healthcheck")]
    pub no_healthcheck: bool,

    /// Action to take once the container turns unhealthy (none, kill, restart, stop) [default:
    /// none]
    #[arg(long = "health-on-failure", value_name = "ACTION")]
    pub health_on_failure: Option<String>,

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

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short, long)]
    pub attach: bool,

    /// Attach container's STDIN
    #[arg(short, long)]
    pub interactive: bool,

    /// Override the key sequence for detaching a container
    #[arg(long, value_name = "KEYS", default_value = "ctrl-p,ctrl-q")]
    pub detach_keys: String,

    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    #[arg(short, long, value_name = "SECONDS")]
    pub time: Option<u64>,

    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send to the container
    #[arg(short, long, value_name = "SIGNAL")]
    pub signal: Option<String>,

    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short, long)]
    pub force: bool,

    /// Remove anonymous volumes associated with the container
    #[arg(short, long)]
    pub volumes: bool,

    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    #[arg(value_name = "NEW_NAME")]
    pub new_name: String,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    pub all: bool,

    /// Only display container IDs
    #[arg(short, long)]
    pub quiet: bool,

    /// Show the latest created container (includes all states)
    #[arg(short, long)]
    pub latest: bool,

    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,

    /// Format output using a Go template ('table' for a header), e.g.
    /// 'table {{.Names}}\t{{.Status}}'
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short, long)]
    pub follow: bool,

    /// Number of lines to show from the end of the logs
    #[arg(short = 'n', long, value_name = "N", default_value = "all")]
    pub tail: String,

    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,

    /// Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Show logs before a timestamp or relative time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

#[derive(Debug, Args)]
#[command(
    disable_help_flag = true,
    override_usage = "mini-docker exec [OPTIONS] CONTAINER COMMAND [ARG...]"
)]
pub struct ExecArgs {
    /// Detached mode: run command in the background
    #[arg(short, long)]
    pub detach: bool,

    /// Keep STDIN open even if not attached
    #[arg(short, long)]
    pub interactive: bool,

    /// Allocate a pseudo-TTY
    #[arg(short, long)]
    pub tty: bool,

    /// Set environment variables
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,

    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,

    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// The container (name or ID), then the command and its arguments
    #[arg(required = true, num_args = 2.., trailing_var_arg = true, value_name = "CONTAINER COMMAND")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Override the key sequence for detaching a container
    #[arg(long, value_name = "KEYS", default_value = "ctrl-p,ctrl-q")]
    pub detach_keys: String,

    /// Do not attach STDIN
    #[arg(long)]
    pub no_stdin: bool,

    /// Proxy all received signals to the process
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub sig_proxy: bool,

    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Show all events created since timestamp
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Stream events until this timestamp
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Filter output based on conditions provided (container=, event=, image=, type=)
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainersArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainerArg {
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    #[arg(value_name = "CONTAINER")]
    pub container: String,

    /// ps options (default: -ef)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PS OPTIONS"
    )]
    pub ps_options: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    pub no_stream: bool,

    /// Show all containers (default shows just running)
    #[arg(short, long)]
    pub all: bool,

    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Commit message
    #[arg(short, long, value_name = "TEXT", default_value = "")]
    pub message: String,

    /// Apply Dockerfile instruction to the created image
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    pub changes: Vec<String>,

    #[arg(value_name = "CONTAINER")]
    pub container: String,

    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a volume
    Create(VolumeNameArg),
    /// List volumes
    Ls(VolumeLsArgs),
    /// Remove one or more volumes
    Rm(VolumesArgs),
    /// Display detailed information on one or more volumes
    Inspect(VolumesArgs),
}

#[derive(Debug, Args)]
pub struct VolumeNameArg {
    #[arg(value_name = "VOLUME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Only display volume names
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct VolumesArgs {
    #[arg(required = true, value_name = "VOLUME")]
    pub volumes: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Remove all stopped containers
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    #[arg(value_name = "CONTAINER_ID")]
    pub id: String,
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

#[derive(Debug, Args)]
pub struct PortArgs {
    /// The container (name, id or unique id prefix)
    pub container: String,
    /// Only this container port: PORT[/PROTO]
    pub private_port: Option<String>,
}
