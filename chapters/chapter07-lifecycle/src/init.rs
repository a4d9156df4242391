//! `--init`: a tiny init as the container's PID 1, so the command does not have to be one.
//!
//! ## Why PID 1 is special
//! The first process of a PID namespace plays the role `init` plays for the whole system:
//! - **Orphans come to it.** When a process dies, its children are re-parented to PID 1 of
//!   their namespace (or to a nearer "child subreaper", see `PR_SET_CHILD_SUBREAPER` in
//!   prctl(2)). When they end, they stay zombies until PID 1 `wait`s for them. A command that
//!   was never written to be an init — a web server, a shell script — never does, and the
//!   zombies pile up in the process table.
//! - **Signals without a handler do nothing.** The kernel protects an init from being killed by
//!   accident: a signal whose disposition is the default is simply dropped when sent to PID 1
//!   of a namespace, from inside *or from the host*; only SIGKILL and SIGSTOP sent from an
//!   ancestor namespace get through (pid_namespaces(7), "The namespace init process"). So
//!   `docker stop` of a plain `sleep 30` sends SIGTERM, nothing happens, and after the
//!   timeout (10 s) SIGKILL ends it — exit code 137 instead of 143.
//!
//! Docker's `--init` fixes both by bind-mounting a small static binary (tini, as
//! `/sbin/docker-init`) into the container and running it as PID 1 with the command as its
//! argument: tini forwards the signals it gets to the command and reaps every zombie.
//!
//! ## Our twist: the init is the container's own first process
//! We need no binary inside the image. The container's first process — the clone the engine
//! made, already PID 1 of the new namespace — simply does not exec. As the last setup step
//! before exec it forks:
//!
//! ```text
//!   engine ── clone(CLONE_NEWPID) ──▶ PID 1: block all signals, fork
//!                                      ├─ child, PID 2: restore signals, exec the command
//!                                      └─ parent, PID 1: stay as init, never return
//!                                           loop { reap zombies; wait for a signal; forward it }
//!                                           _exit(the command's status)
//! ```
//!
//! That works with any root filesystem (even an image built `FROM scratch`), needs no bind
//! mount and no second binary to ship. It costs something too, and the code deals with it:
//! - The init is a copy of the engine: the same memory image (shared copy-on-write, so it costs
//!   little real memory, though `ps` shows the engine's size) and the same executable —
//!   `/proc/1/exe` inside the container points at the engine binary on the host, and
//!   `/proc/1/environ` holds the engine's environment. A process in the container that could
//!   open those could read secrets or try to overwrite the engine (CVE-2019-5736 did that to
//!   runc through `/proc/self/exe`). So the init makes itself non-dumpable
//!   (`PR_SET_DUMPABLE` 0): then only a process with `CAP_SYS_PTRACE` may open those files, and
//!   a container does not get that capability by default.
//! - It runs no code but this module's loop, so it holds no locks and allocates nothing: after
//!   the engine's `clone` the process inherits the engine's memory, including locks other
//!   threads may have held at that moment (signal-safety(7)). For the same reason it forks
//!   with the raw `clone(2)` system call, not glibc's `fork(3)`, which runs `pthread_atfork`
//!   handlers and takes malloc's locks.
//!
//! ## What `ps` shows for PID 1
//! The init sets its *name* to `init` (`PR_SET_NAME`): `/proc/1/comm`, shown by `ps -o comm`,
//! `top` and `pstree`. Its *command line* (`/proc/1/cmdline`, shown by `ps -ef`, `ps aux` and
//! busybox `ps`) stays the argv of the engine process that cloned the container — in this
//! chapter the monitor, so something like `mini-docker monitor 3f9a1c0e2b7d…` — because the
//! kernel shows the memory where argv was when that process started, and we never exec. It
//! could be overwritten: write over that memory (what `setproctitle(3)` does in BSD and some
//! daemons), or point the kernel elsewhere with `prctl(PR_SET_MM_ARG_START/ARG_END)` (needs
//! `CAP_SYS_RESOURCE`). We don't: the new text cannot be longer than the old without the
//! privileged call, Rust's `std::env::args` reads that same memory, and the truth — "this is
//! the engine, waiting for your command" — is the more useful answer to someone debugging.
//!
//! ## Decisions
//! - **Block every signal before the fork.** A signal sent between the fork and the loop then
//!   waits as pending instead of being lost. The init never runs a handler: it collects
//!   signals with `sigwaitinfo(2)`. (A blocked signal is never dropped as "ignored", not even
//!   for a namespace init: the kernel keeps it pending for when it is unblocked or waited for.)
//! - **Forward everything but SIGCHLD, to the command's process only**, as tini does by
//!   default. That is exactly what `docker kill` would do without `--init`: signal PID 1, the
//!   command. A shell or a supervisor that should pass a signal on to its children does that
//!   itself; signalling the whole group could also hit children the command deliberately
//!   shields from it.
//! - **When the container has a session of its own** (the init leads it, as with `-t`, where
//!   an earlier step calls `setsid` and takes the pty as controlling terminal), **the command
//!   gets a process group of its own and becomes the terminal's foreground group**. Otherwise
//!   Ctrl-C would send SIGINT to the init's group — init *and* command — and the init would
//!   forward it again: the command would get it twice. Now the terminal's signals (SIGINT,
//!   SIGQUIT, SIGTSTP, SIGWINCH) go to the command's group directly and never reach the init.
//!   In someone else's session (a test or demo started from a shell) groups stay as they are:
//!   taking that terminal's foreground would steal it from the shell's job, and a command in a
//!   background group would be stopped (SIGTTIN) as soon as it read the terminal.
//! - **Reap on every SIGCHLD, all of them**, with `waitpid(-1, WNOHANG)` in a loop: several
//!   children ending at once raise one SIGCHLD (standard signals do not queue).
//! - **Exit with the command's status** as a shell reports it: its exit code, or 128 + N when
//!   signal N killed it. (Dying of the same signal instead, as some inits do, would not work
//!   here: PID 1 does not die of signals it has no handler for.)
//! - SIGKILL and SIGSTOP cannot be blocked or caught, so they act on the init itself:
//!   `docker kill` (SIGKILL) ends the init, the kernel then kills everything else in the
//!   namespace, and the engine sees 137 just as without `--init`.
//! - **Also a child subreaper** (`PR_SET_CHILD_SUBREAPER`), so orphans still come to the init
//!   when the container shares the host's PID namespace (`--pid=host`).
//!
//! ## Where the step belongs in a plan
//! Put [`BecomeInit`] *last* among the setup steps: after the root filesystem, the user and
//! the capability steps, so the init is as confined as the command it watches, and after the
//! step that gives a `-t` container its session and terminal, which the init looks for. It may run
//! before the finishing steps of `ChildPlan` (ResetSignals, CloseInheritedFds, chdir) — the
//! init branch never reaches them and does their part itself (SIGCHLD to its default, every
//! inherited descriptor above 2 closed, which matters: the engine learns that the command
//! started when the report pipe's last write end closes) — or after them.
//!
//! ## Left out on purpose
//! - When the command ends, the init reaps the zombies that are there and exits at once; it
//!   does not wait for, or kill, the other processes. The kernel kills everything left in the
//!   namespace when its PID 1 exits. (Without a PID namespace they live on, re-parented.)
//! - tini's options: signalling the whole process group (`-g`), remapping exit codes (`-e`),
//!   a parent-death signal (`-p`), verbosity. Signals sent *to the init by the command itself*
//!   are forwarded back like any other.

use std::fmt;

use chapter06::chapter05::chapter04::chapter03::chapter01::steps::ResetSignals;
use chapter06::chapter05::chapter04::chapter03::chapter01::ChildStep;
use nix::errno::Errno;
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal};

/// Exit code of the init if the command vanished without a status it could collect — only
/// possible if something else reaped it; docker uses 125 for "the engine failed".
const COMMAND_LOST: i32 = 125;

/// The name `ps -o comm`, `top` and `/proc/1/comm` show (at most 15 bytes and a NUL).
const INIT_NAME: &[u8] = b"init\0";

// ANCHOR: become_init
/// The last setup step of `run --init`: fork; the child (PID 2) goes on to exec the command,
/// the parent stays PID 1 as init and never returns (see the module docs).
pub struct BecomeInit;

impl ChildStep for BecomeInit {
    fn run(&self) -> Result<(), Errno> {
        let mut previous = SigSet::empty();
        nix::sys::signal::sigprocmask(
            SigmaskHow::SIG_BLOCK,
            Some(&SigSet::all()),
            Some(&mut previous),
        )?;
        // Before the fork: with SIGCHLD ignored, the kernel would reap the command itself the
        // moment it ends, and its exit status would be lost (wait(2), NOTES).
        // SAFETY: installing SIG_DFL runs no code of ours in a handler.
        unsafe { nix::sys::signal::signal(Signal::SIGCHLD, SigHandler::SigDfl) }?;
        // Before the fork too, so no orphan can slip past; it is not inherited by the child.
        // SAFETY: prctl with integer arguments.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        let own_session = leads_own_session();

        match fork_without_atfork_handlers() {
            Err(errno) => {
                let _ =
                    nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&previous), None);
                Err(errno)
            }
            Ok(0) => become_command(own_session),
            Ok(command) => stay_init(command),
        }
    }
}
// ANCHOR_END: become_init

impl fmt::Display for BecomeInit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "fork: PID 1 stays as init (forward signals, reap zombies), the command runs as PID 2",
        )
    }
}

/// `fork(2)` as the bare system call: `clone` with only the signal to send the parent when the
/// child ends. glibc's `fork(3)` would run atfork handlers and take malloc's locks, which other
/// threads of the engine may have held when the engine cloned us (see the module docs).
/// Returns the child's pid in the parent, 0 in the child.
fn fork_without_atfork_handlers() -> Result<libc::pid_t, Errno> {
    // SAFETY: without CLONE_VM and with no new stack, the child continues on a copy-on-write
    // copy of our stack and memory, exactly as after fork(2). The remaining arguments (parent
    // and child tid pointers, TLS) are unused without the flags that ask for them.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::SIGCHLD as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    Errno::result(pid).map(|pid| pid as libc::pid_t)
}

/// Whether this process leads its session — then the session, and its terminal if it has one,
/// belong to the container alone.
fn leads_own_session() -> bool {
    // SAFETY: getsid and getpid take and return integers. Both count in our PID namespace, and a
    // session led from outside it shows up as 0, never as our pid.
    unsafe { libc::getsid(0) == libc::getpid() }
}

// ANCHOR: become_command
/// The child's side: leave the init's process group (in a session of the container's own) and
/// the init's signal mask behind, then let the plan go on to exec.
fn become_command(own_session: bool) -> Result<(), Errno> {
    if own_session {
        // SAFETY: setpgid, getpid and tcsetpgrp take integer arguments. While every signal is
        // still blocked, tcsetpgrp from what is now a background group cannot stop us with
        // SIGTTOU.
        unsafe {
            libc::setpgid(0, 0);
            // Fails with ENOTTY when the session has no terminal: then there is nothing to do.
            libc::tcsetpgrp(libc::STDIN_FILENO, libc::getpid());
        }
    }
    // Dispositions to their defaults first, then the empty mask: a signal still pending from
    // before must not run a handler inherited from the engine.
    ResetSignals.run()
}
// ANCHOR_END: become_command

/// The parent's side, for the rest of the container's life.
fn stay_init(command: libc::pid_t) -> ! {
    // SAFETY: prctl with integer arguments and a pointer to a static NUL-terminated name.
    unsafe {
        libc::prctl(libc::PR_SET_NAME, INIT_NAME.as_ptr(), 0, 0, 0);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    close_inherited_fds();
    let code = supervise(command);
    // SAFETY: _exit is async-signal-safe and never returns; nothing of the engine's must run.
    unsafe { libc::_exit(code) }
}

// ANCHOR: supervise
/// Reaps, waits for a signal, forwards it; returns the command's status once it has ended.
///
/// Reaping comes first in each round, so no SIGCHLD can be missed: one that arrives after the
/// reaping stays pending (it is blocked) and `sigwaitinfo` returns at once.
fn supervise(command: libc::pid_t) -> i32 {
    let all = SigSet::all();
    loop {
        match reap_zombies(command) {
            Reaped::Command(code) => return code,
            Reaped::NoChildren => return COMMAND_LOST,
            Reaped::StillRunning => {}
        }
        // SAFETY: sigwaitinfo reads the set; a null siginfo pointer is allowed.
        let signal = unsafe { libc::sigwaitinfo(all.as_ref(), std::ptr::null_mut()) };
        // -1 is EINTR (a stop and continue of the init, say): just go round again.
        if signal > 0 && signal != libc::SIGCHLD {
            // ESRCH when the command has just ended: the next round reaps it.
            // SAFETY: kill with integer arguments.
            unsafe { libc::kill(command, signal) };
        }
    }
}
// ANCHOR_END: supervise

/// What one round of reaping found.
#[derive(Debug, PartialEq, Eq)]
enum Reaped {
    /// The command has ended with this status; every other zombie is reaped too.
    Command(i32),
    /// The command is still running.
    StillRunning,
    /// No children at all, and the command was not among the reaped.
    NoChildren,
}

/// Collects every child that has ended. Without `WUNTRACED` a stopped child is not reported,
/// so every pid `waitpid` returns is one that is gone.
fn reap_zombies(command: libc::pid_t) -> Reaped {
    let mut command_code = None;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into our local.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid > 0 {
            if pid == command {
                command_code = Some(exit_code(status));
            }
            continue;
        }
        if pid < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        // 0: children remain, none has ended; -1 (ECHILD): no children left.
        return match (command_code, pid) {
            (Some(code), _) => Reaped::Command(code),
            (None, 0) => Reaped::StillRunning,
            (None, _) => Reaped::NoChildren,
        };
    }
}

/// A wait status as a shell reports it: the exit code, or 128 + the signal that killed it.
fn exit_code(status: libc::c_int) -> i32 {
    if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}

/// Closes every descriptor above 2. The init never execs, so close-on-exec protects nothing
/// here; above all, its copy of the engine's report pipe would keep the engine waiting for
/// end-of-file — for "the command has started" — as long as the container runs.
fn close_inherited_fds() {
    // SAFETY: a raw system call with integer arguments; closing fds this process owns.
    if unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) } == 0 {
        return;
    }
    // Kernels before 5.9 lack close_range: close them one by one, up to the descriptor limit.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    let highest = limit.rlim_cur.min(libc::c_int::MAX as libc::rlim_t) as libc::c_int;
    for fd in 3..highest {
        // SAFETY: closing a number that is not an open fd just returns EBADF.
        unsafe { libc::close(fd) };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use chapter01::{Child, ChildPlan, ContainerError, ExecPlan, ExitStatus};
    use chapter02::{IdMap, Isolation, Namespace, NamespaceSet};
    use chapter06::chapter05::chapter04::chapter03::{chapter01, chapter02};
    use nix::unistd::Pid;

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(exit_code(0), 0);
        assert_eq!(exit_code(3 << 8), 3);
        assert_eq!(exit_code(255 << 8), 255);
        assert_eq!(exit_code(libc::SIGKILL), 137);
        assert_eq!(exit_code(libc::SIGTERM), 143);
        // 0x80 is the core-dump bit: still "killed by SIGSEGV".
        assert_eq!(exit_code(libc::SIGSEGV | 0x80), 139);
    }

    #[test]
    fn the_step_describes_itself() {
        assert_eq!(
            BecomeInit.to_string(),
            "fork: PID 1 stays as init (forward signals, reap zombies), the command runs as PID 2"
        );
    }

    fn is_root() -> bool {
        if nix::unistd::geteuid().is_root() {
            return true;
        }
        eprintln!("!!! SKIPPED: this test needs root (a new PID namespace) !!!");
        false
    }

    /// Kills `pid` if the test is still running after a while, so a bug that makes the engine
    /// wait forever fails the test instead of hanging it. Dropping it calls the dog off.
    struct Watchdog {
        /// The host pid of the container's first process.
        pid: Pid,
        _cancel: mpsc::Sender<()>,
    }

    impl Drop for Watchdog {
        fn drop(&mut self) {
            // A failed assertion must not leave a container behind, still holding the test
            // binary's stdout open for whoever reads it.
            if std::thread::panicking() {
                let _ = nix::sys::signal::kill(self.pid, Signal::SIGKILL);
            }
        }
    }

    fn watchdog(pid: Pid) -> Watchdog {
        let (sender, receiver) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if receiver.recv_timeout(Duration::from_secs(20))
                == Err(mpsc::RecvTimeoutError::Timeout)
            {
                let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
            }
        });
        Watchdog {
            pid,
            _cancel: sender,
        }
    }

    /// Makes the container's first process a session leader, as a `-t` container's is.
    struct NewSession;

    impl ChildStep for NewSession {
        fn run(&self) -> Result<(), Errno> {
            nix::unistd::setsid().map(drop)
        }
    }

    impl fmt::Display for NewSession {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("start a new session")
        }
    }

    /// Makes a pty slave the controlling terminal and stdin of a new session, as `-t` does.
    struct TerminalSession {
        slave: std::os::fd::RawFd,
    }

    impl ChildStep for TerminalSession {
        fn run(&self) -> Result<(), Errno> {
            nix::unistd::setsid()?;
            // SAFETY: ioctl and dup2 with integer arguments on an fd we inherited.
            unsafe {
                Errno::result(libc::ioctl(self.slave, libc::TIOCSCTTY, 0))?;
                Errno::result(libc::dup2(self.slave, libc::STDIN_FILENO))?;
            }
            Ok(())
        }
    }

    impl fmt::Display for TerminalSession {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("take a pty as controlling terminal in a new session")
        }
    }

    /// Starts `/bin/sh -c script` from the host's filesystem in a new PID namespace, after the
    /// given setup steps.
    fn launch(
        script: &str,
        setup: Vec<Box<dyn ChildStep>>,
    ) -> (Result<Child, ContainerError>, Watchdog) {
        let exec = ExecPlan::new(
            vec!["/bin/sh".into(), "-c".into(), script.into()],
            vec!["PATH=/usr/sbin:/usr/bin:/sbin:/bin".into()],
        )
        .unwrap();
        launch_plan(ChildPlan::new(exec).with_setup(setup))
    }

    /// Starts `plan` in a new PID namespace (and nothing else new).
    fn launch_plan(plan: ChildPlan) -> (Result<Child, ContainerError>, Watchdog) {
        let isolation = Isolation {
            namespaces: [Namespace::Pid].into_iter().collect::<NamespaceSet>(),
            hostname: None,
            id_map: IdMap::root_to_unprivileged_range(),
        };
        let created = chapter02::create(&isolation, plan).unwrap();
        let dog = watchdog(created.pid());
        (created.start(), dog)
    }

    fn init_only() -> Vec<Box<dyn ChildStep>> {
        vec![Box::new(BecomeInit)]
    }

    /// Waits until the command has written a whole line to `path`.
    fn read_line_from(path: &Path) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = std::fs::read_to_string(path) {
                if text.ends_with('\n') {
                    return text.trim().to_owned();
                }
            }
            assert!(
                Instant::now() < deadline,
                "{} never written",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// One process as the host's /proc shows it.
    #[derive(Debug)]
    struct Process {
        pid: i32,
        comm: String,
        state: char,
        ppid: i32,
        pgrp: i32,
        /// The foreground process group of the process's terminal; -1 without one.
        tpgid: i32,
    }

    fn process(pid: i32) -> Option<Process> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        let open = stat.find('(')?;
        let close = stat.rfind(')')?;
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // After comm: state ppid pgrp session tty_nr tpgid (proc(5)).
        Some(Process {
            pid,
            comm: stat[open + 1..close].to_owned(),
            state: fields.first()?.chars().next()?,
            ppid: fields.get(1)?.parse().ok()?,
            pgrp: fields.get(2)?.parse().ok()?,
            tpgid: fields.get(5)?.parse().ok()?,
        })
    }

    fn children_of(parent: Pid) -> Vec<Process> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(process)
            .filter(|p| p.ppid == parent.as_raw())
            .collect()
    }

    /// Polls `condition` for up to `limit`.
    fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if condition() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        condition()
    }

    #[test]
    fn the_command_is_pid_2_and_sigterm_reaches_it() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("echo $$ > {}; sleep 30", pid_file.display());
        // A session of its own, as a `-t` container gets: the command gets its own group.
        let (child, _dog) = launch(&script, vec![Box::new(NewSession), Box::new(BecomeInit)]);
        let child = child.unwrap();
        assert_eq!(read_line_from(&pid_file), "2");

        let init = process(child.pid().as_raw()).unwrap();
        assert!(
            eventually(Duration::from_secs(2), || {
                std::fs::read_to_string(format!("/proc/{}/comm", child.pid()))
                    .is_ok_and(|comm| comm == "init\n")
            }),
            "the init did not name itself"
        );
        let commands = children_of(child.pid());
        assert_eq!(commands.len(), 1, "{commands:?}");
        assert_eq!(
            commands[0].pgrp, commands[0].pid,
            "the command leads its own process group"
        );
        assert_ne!(init.pgrp, commands[0].pid);

        let sent = Instant::now();
        child.signal(Signal::SIGTERM).unwrap();
        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(143));
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "took {:?}",
            sent.elapsed()
        );
    }

    #[test]
    fn on_a_terminal_the_command_is_the_foreground_group() {
        if !is_root() {
            return;
        }
        let pty = nix::pty::openpty(None, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("echo $$ > {}; sleep 30", pid_file.display());
        let session = TerminalSession {
            slave: std::os::fd::AsRawFd::as_raw_fd(&pty.slave),
        };
        let (child, _dog) = launch(&script, vec![Box::new(session), Box::new(BecomeInit)]);
        let child = child.unwrap();
        read_line_from(&pid_file);
        let init = process(child.pid().as_raw()).unwrap();
        let commands = children_of(child.pid());
        assert_eq!(commands.len(), 1, "{commands:?}");
        assert_eq!(commands[0].tpgid, commands[0].pid, "{commands:?}");
        assert_eq!(init.tpgid, commands[0].pid, "{init:?}");
        child.signal(Signal::SIGTERM).unwrap();
        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(143));
        drop(pty);
    }

    #[test]
    fn without_the_init_sigterm_to_pid_1_is_dropped() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("echo $$ > {}; sleep 30", pid_file.display());
        let (child, _dog) = launch(&script, vec![]);
        let child = child.unwrap();
        assert_eq!(read_line_from(&pid_file), "1");

        child.signal(Signal::SIGTERM).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(child.try_wait().unwrap(), None, "PID 1 died of SIGTERM");
        child.signal(Signal::SIGKILL).unwrap();
        assert_eq!(child.wait().unwrap().code(), 137);
    }

    #[test]
    fn other_signals_are_forwarded_too() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let script = format!(
            "trap 'exit 42' USR1; echo yes > {}; while :; do sleep 0.05; done",
            ready.display()
        );
        let (child, _dog) = launch(&script, init_only());
        let child = child.unwrap();
        read_line_from(&ready);
        // In the test's session, groups stay as they are.
        let init = process(child.pid().as_raw()).unwrap();
        let commands = children_of(child.pid());
        assert_eq!(commands.len(), 1, "{commands:?}");
        assert_eq!(commands[0].pgrp, init.pgrp);
        child.signal(Signal::SIGUSR1).unwrap();
        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(42));
    }

    #[test]
    fn orphans_are_reaped_and_the_exit_code_is_the_commands() {
        if !is_root() {
            return;
        }
        // The subshell starts a sleep and exits at once: the sleep is orphaned, becomes the
        // init's child, and ends 0.3 s later while the command still runs.
        let (child, _dog) = launch("(sleep 0.3 &) ; sleep 1.5; exit 3", init_only());
        let child = child.unwrap();
        let init = child.pid();
        assert!(
            eventually(Duration::from_secs(1), || {
                children_of(init).iter().any(|p| p.comm == "sleep")
            }),
            "the orphan was never re-parented to the init"
        );
        std::thread::sleep(Duration::from_millis(700));
        let zombies: Vec<Process> = children_of(init)
            .into_iter()
            .filter(|p| p.state == 'Z')
            .collect();
        assert!(zombies.is_empty(), "unreaped: {zombies:?}");
        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(3));
    }

    #[test]
    fn a_command_killed_by_sigkill_gives_137() {
        if !is_root() {
            return;
        }
        let (child, _dog) = launch("kill -9 $$", init_only());
        assert_eq!(child.unwrap().wait().unwrap(), ExitStatus::Exited(137));
    }

    #[test]
    fn a_missing_command_is_reported_and_the_init_ends() {
        if !is_root() {
            return;
        }
        let exec = ExecPlan::new(vec!["/no/such/program".into()], vec![]).unwrap();
        let (started, dog) = launch_plan(ChildPlan::new(exec).with_setup(init_only()));
        let error = started.unwrap_err();
        assert_eq!(error.exit_code(), 127, "{error}");
        // await_exec has reaped the init after the init passed on the command's 127.
        let reaped = nix::sys::wait::waitpid(dog.pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG));
        assert_eq!(reaped, Err(Errno::ECHILD));
    }
}
