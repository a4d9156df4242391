//! The attached client: what `run` (without `-d`), `start -a` and `attach` do in the
//! caller's terminal while the container runs.
//!
//! One poll(2) loop over three things: the socket to the monitor (output frames, and the
//! exit code at the end), the caller's stdin (with `-i`; scanned for the detach keys,
//! Ctrl-P Ctrl-Q), and a signalfd. Signals are blocked and read from the signalfd rather
//! than handled: SIGWINCH becomes a `Resize` frame; SIGINT, SIGTERM and friends are passed
//! on to the container (docker's `--sig-proxy`), except with a terminal, where Ctrl-C is
//! just a byte the container's terminal turns into SIGINT itself.
//!
//! With `-t` the caller's terminal is put in raw mode, so every key goes to the container
//! unchanged, and restored on the way out — also on detach and on errors.

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::detach::DetachScanner;
use crate::stream::{read_frame, write_frame, Frame, FrameReader};
use crate::tty::{window_size, RawMode};

/// How the attached session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The container ended with this code.
    Exited(i32),
    /// The user typed the detach keys; the container runs on.
    Detached,
    /// The monitor went away without an exit code (killed?).
    Lost,
}

/// What the session does.
pub struct Session {
    /// Forward our stdin (`-i`).
    pub stdin: bool,
    /// The container has a terminal (`-t`): raw mode, window size, no signal proxy.
    pub tty: bool,
    /// The detach sequence (`--detach-keys`), empty for none.
    pub detach_keys: Vec<u8>,
    /// Sends a signal to the container (the signal proxy).
    pub proxy: Box<dyn Fn(Signal)>,
}

const PROXIED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

// ANCHOR: attach
/// Runs the session on `socket` until the container exits or the user detaches.
pub fn attach(mut socket: UnixStream, session: Session) -> std::io::Result<Outcome> {
    let stdin = std::io::stdin();
    let stdin_is_terminal = nix::unistd::isatty(std::io::stdin().as_fd()).unwrap_or(false);
    let mut mask = SigSet::empty();
    for signal in PROXIED {
        mask.add(signal);
    }
    mask.add(Signal::SIGWINCH);
    let mut previous = SigSet::empty();
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut previous))?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)?;
    let raw = if session.tty && stdin_is_terminal {
        Some(RawMode::enable(stdin.as_fd())?)
    } else {
        None
    };
    if session.tty && stdin_is_terminal {
        send_window_size(&mut socket, stdin.as_fd());
    }
    let result = relay(&mut socket, &session, &signals, stdin.as_fd());
    drop(raw);
    drop(signals);
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&previous), None)?;
    result
}
// ANCHOR_END: attach

fn send_window_size(socket: &mut UnixStream, terminal: BorrowedFd<'_>) {
    if let Ok((rows, cols)) = window_size(terminal) {
        let _ = write_frame(socket, &Frame::Resize { rows, cols });
    }
}

fn relay(
    socket: &mut UnixStream,
    session: &Session,
    signals: &SignalFd,
    stdin: BorrowedFd<'_>,
) -> std::io::Result<Outcome> {
    let mut scanner = DetachScanner::new(session.detach_keys.clone());
    let mut reader = FrameReader::default();
    let mut stdin_open = session.stdin;
    let mut buffer = vec![0u8; 32 * 1024];
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    loop {
        let (socket_ready, stdin_ready, signal_ready) =
            wait_for(socket.as_fd(), signals, stdin_open.then_some(stdin))?;
        if signal_ready {
            while let Ok(Some(info)) = signals.read_signal() {
                match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGWINCH) => send_window_size(socket, stdin),
                    Ok(signal) if !session.tty => (session.proxy)(signal),
                    _ => {}
                }
            }
        }
        if stdin_ready {
            match nix::unistd::read(stdin, &mut buffer) {
                Ok(0) | Err(_) => {
                    let held = scanner.finish();
                    if !held.is_empty() {
                        write_frame(socket, &Frame::Stdin(held))?;
                    }
                    write_frame(socket, &Frame::CloseStdin)?;
                    stdin_open = false;
                }
                Ok(n) => {
                    let scan = scanner.feed(&buffer[..n]);
                    if !scan.forward.is_empty() {
                        write_frame(socket, &Frame::Stdin(scan.forward))?;
                    }
                    if scan.detach {
                        return Ok(Outcome::Detached);
                    }
                }
            }
        }
        if socket_ready {
            let n = match socket.read(&mut buffer) {
                Ok(n) => n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            };
            if n == 0 {
                return Ok(Outcome::Lost);
            }
            reader.push(&buffer[..n]);
            while let Some(frame) = reader.next_frame()? {
                match frame {
                    Frame::Stdout(data) => {
                        out.write_all(&data)?;
                        out.flush()?;
                    }
                    Frame::Stderr(data) => {
                        err.write_all(&data)?;
                        err.flush()?;
                    }
                    Frame::Exit(code) => return Ok(Outcome::Exited(code)),
                    _ => {}
                }
            }
        }
    }
}

/// Reads output frames until the exit code, without stdin or signals (for tests and
/// simple callers).
pub fn collect(mut socket: UnixStream) -> std::io::Result<(Vec<u8>, Vec<u8>, Option<i32>)> {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(frame) = read_frame(&mut socket)? {
        match frame {
            Frame::Stdout(data) => out.extend(data),
            Frame::Stderr(data) => err.extend(data),
            Frame::Exit(code) => return Ok((out, err, Some(code))),
            _ => {}
        }
    }
    Ok((out, err, None))
}

// ANCHOR: relay_pty
/// `exec -t`: the caller's terminal (in raw mode) and a pty master the caller holds itself,
/// copied both ways until the process closes the slave (EIO on the master).
pub fn relay_pty(master: &std::os::fd::OwnedFd, interactive: bool) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let is_terminal = nix::unistd::isatty(stdin.as_fd()).unwrap_or(false);
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGWINCH);
    let mut previous = SigSet::empty();
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut previous))?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)?;
    let raw = if is_terminal {
        if let Ok((rows, cols)) = window_size(stdin.as_fd()) {
            let _ = crate::tty::set_window_size(master.as_fd(), rows, cols);
        }
        Some(RawMode::enable(stdin.as_fd())?)
    } else {
        None
    };
    let result = copy_pty(master, interactive, &signals, stdin.as_fd());
    drop(raw);
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&previous), None)?;
    result
}
// ANCHOR_END: relay_pty

fn copy_pty(
    master: &std::os::fd::OwnedFd,
    interactive: bool,
    signals: &SignalFd,
    stdin: BorrowedFd<'_>,
) -> std::io::Result<()> {
    let mut stdin_open = interactive;
    let mut buffer = vec![0u8; 32 * 1024];
    let mut out = std::io::stdout();
    loop {
        let (master_ready, stdin_ready, signal_ready) =
            wait_for(master.as_fd(), signals, stdin_open.then_some(stdin))?;
        if signal_ready {
            while let Ok(Some(_)) = signals.read_signal() {
                if let Ok((rows, cols)) = window_size(stdin) {
                    let _ = crate::tty::set_window_size(master.as_fd(), rows, cols);
                }
            }
        }
        if stdin_ready {
            match nix::unistd::read(stdin, &mut buffer) {
                Ok(0) | Err(_) => stdin_open = false,
                Ok(n) => {
                    let mut data = &buffer[..n];
                    while !data.is_empty() {
                        let written = nix::unistd::write(master, data)?;
                        data = &data[written..];
                    }
                }
            }
        }
        if master_ready {
            match nix::unistd::read(master, &mut buffer) {
                Ok(0) | Err(nix::errno::Errno::EIO) => return Ok(()),
                Ok(n) => {
                    out.write_all(&buffer[..n])?;
                    out.flush()?;
                }
                Err(nix::errno::Errno::EINTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        }
    }
}

/// One poll(2) over the peer (socket or pty master), the signalfd and — while it is open —
/// stdin; which of the three are ready, in that order.
fn wait_for(
    peer: BorrowedFd<'_>,
    signals: &SignalFd,
    stdin: Option<BorrowedFd<'_>>,
) -> std::io::Result<(bool, bool, bool)> {
    let mut fds = vec![
        PollFd::new(peer, PollFlags::POLLIN),
        PollFd::new(signals.as_fd(), PollFlags::POLLIN),
    ];
    if let Some(stdin) = stdin {
        fds.push(PollFd::new(stdin, PollFlags::POLLIN));
    }
    match poll(&mut fds, PollTimeout::NONE) {
        Ok(_) | Err(nix::errno::Errno::EINTR) => {}
        Err(errno) => return Err(errno.into()),
    }
    let fired = |fd: &PollFd| fd.revents().is_some_and(|events| !events.is_empty());
    let stdin_ready = fds.get(2).is_some_and(fired);
    Ok((fired(&fds[0]), stdin_ready, fired(&fds[1])))
}
