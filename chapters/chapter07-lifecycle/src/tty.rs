//! Terminal plumbing for `-t`: a pseudo-terminal for the container, raw mode for the client's
//! own terminal, and window sizes.
//!
//! A pty is a pair of devices: what is written to the *master* arrives at the *slave* as if
//! typed, and what the container writes to the slave comes out of the master. The monitor keeps
//! the master; the container gets the slave as stdin, stdout, stderr and controlling terminal,
//! so `tty`, job control, ctrl-c (the line discipline turns it into SIGINT) and full-screen
//! programs work. That line discipline already echoes, edits lines and turns `\n` into `\r\n`,
//! so the attached client puts its own terminal in [`RawMode`] and copies bytes unchanged.
//!
//! Left out on purpose: the pty comes from the monitor's `/dev/pts`. runc opens it inside the
//! container's own devpts instance and passes the master out over a socket, so that the name
//! `/dev/pts/N` also means that device inside the container.

use std::fmt;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::sys::termios::{self, OutputFlags, SetArg, Termios};

/// Both ends of a new pseudo-terminal, close-on-exec.
#[derive(Debug)]
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// Opens a new pty whose slave turns an output `\n` into `\r\n`, like a normal terminal.
pub fn open_pty() -> Result<Pty, nix::Error> {
    // O_NOCTTY: opening a terminal must not make it the monitor's controlling terminal.
    // O_CLOEXEC: no other child forked meanwhile may inherit either end.
    let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    let master = nix::pty::posix_openpt(flags)?;
    // The slave stays locked until unlockpt; see pty(7). (Linux 4.13+ also offers the
    // TIOCGPTPEER ioctl, which opens the slave without going through its path.)
    nix::pty::grantpt(&master)?;
    nix::pty::unlockpt(&master)?;
    let slave_path = nix::pty::ptsname_r(&master)?;
    let slave = nix::fcntl::open(slave_path.as_str(), flags, Mode::empty())?;
    let mut settings = termios::tcgetattr(&slave)?;
    settings.output_flags |= OutputFlags::OPOST | OutputFlags::ONLCR;
    termios::tcsetattr(&slave, SetArg::TCSANOW, &settings)?;
    let master = OwnedFd::from(master);
    Ok(Pty { master, slave })
}

/// The caller's terminal in raw mode until this value is dropped.
///
/// Raw mode (cfmakeraw(3)): no echo, no line buffering, no signals from ctrl-c or ctrl-z, no
/// output processing — every key goes to the container as typed. `Drop` restores the saved
/// settings, but `std::process::exit` runs no destructors: drop the `RawMode` before exiting,
/// or the user's shell is left in raw mode.
pub struct RawMode<'fd> {
    fd: BorrowedFd<'fd>,
    saved: Termios,
}

impl<'fd> RawMode<'fd> {
    /// Saves the settings of the terminal `fd`, then switches it to raw mode.
    pub fn enable(fd: BorrowedFd<'fd>) -> nix::Result<RawMode<'fd>> {
        let saved = termios::tcgetattr(fd)?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(fd, SetArg::TCSANOW, &raw)?;
        Ok(RawMode { fd, saved })
    }
}

impl Drop for RawMode<'_> {
    fn drop(&mut self) {
        // Nothing more can be done if the terminal went away meanwhile.
        let _ = termios::tcsetattr(self.fd, SetArg::TCSANOW, &self.saved);
    }
}

/// The size of the terminal `fd`, as (rows, columns); see TIOCGWINSZ in ioctl_tty(2).
pub fn window_size(fd: BorrowedFd) -> nix::Result<(u16, u16)> {
    let mut size = winsize(0, 0);
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we pass.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut size) })?;
    Ok((size.ws_row, size.ws_col))
}

/// Sets the size of the pty behind `fd` (the monitor passes the master). If the size changed,
/// the kernel sends SIGWINCH to the pty's foreground process group, and full-screen programs
/// in the container redraw.
pub fn set_window_size(fd: BorrowedFd, rows: u16, cols: u16) -> nix::Result<()> {
    let size = winsize(rows, cols);
    // SAFETY: TIOCSWINSZ only reads the struct we pass.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &size) })?;
    Ok(())
}

/// A window size; the pixel sizes are left 0, as docker does, since hardly anything uses them.
fn winsize(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// Child step: make the pty slave the container's controlling terminal and its stdin, stdout
/// and stderr. Runs after clone and before exec, so it only makes system calls.
pub struct ControllingTerminal {
    /// The pty slave, open (close-on-exec) in the parent until the child has been created.
    pub slave_fd: RawFd,
}

impl chapter01::ChildStep for ControllingTerminal {
    fn run(&self) -> Result<(), Errno> {
        // Only a session leader without a terminal may acquire one (TIOCSCTTY in
        // ioctl_tty(2)), so start a new session. setsid fails with EPERM for a process group
        // leader; that is fine if we already lead our own session.
        if let Err(error) = nix::unistd::setsid() {
            if error != Errno::EPERM || nix::unistd::getsid(None)? != nix::unistd::getpid() {
                return Err(error);
            }
        }
        // SAFETY: TIOCSCTTY takes an integer; 0 means "do not steal it from another session".
        Errno::result(unsafe { libc::ioctl(self.slave_fd, libc::TIOCSCTTY, 0) })?;
        // dup2's copies are not close-on-exec: 0, 1 and 2 survive exec, while slave_fd itself
        // (close-on-exec) goes away. If slave_fd already is 0, 1 or 2, clear its flag instead.
        for target in 0..=2 {
            // SAFETY: dup2 and fcntl with integer arguments; dup2 first closes `target`.
            let result = unsafe {
                if self.slave_fd == target {
                    libc::fcntl(target, libc::F_SETFD, 0)
                } else {
                    libc::dup2(self.slave_fd, target)
                }
            };
            Errno::result(result)?;
        }
        Ok(())
    }
}

impl fmt::Display for ControllingTerminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("make the pty its controlling terminal and stdin/stdout/stderr")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chapter01::ChildStep;
    use nix::sys::termios::{ControlFlags, InputFlags, LocalFlags};
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::{fork, ForkResult};
    use std::ffi::CStr;
    use std::fs::File;
    use std::io::Read;
    use std::os::fd::AsFd;

    fn is_cloexec(fd: BorrowedFd) -> bool {
        let flags = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).unwrap();
        flags & libc::FD_CLOEXEC != 0
    }

    #[test]
    fn new_pty_is_close_on_exec_translates_newlines_and_keeps_its_size() {
        let pty = open_pty().unwrap();
        assert!(is_cloexec(pty.master.as_fd()) && is_cloexec(pty.slave.as_fd()));
        let settings = termios::tcgetattr(&pty.slave).unwrap();
        let newline_to_crlf = OutputFlags::OPOST | OutputFlags::ONLCR;
        assert!(settings.output_flags.contains(newline_to_crlf));
        set_window_size(pty.master.as_fd(), 50, 132).unwrap();
        assert_eq!(window_size(pty.slave.as_fd()).unwrap(), (50, 132));
        assert_eq!(window_size(pty.master.as_fd()).unwrap(), (50, 132));
        let not_a_terminal = File::open("/dev/null").unwrap();
        assert_eq!(window_size(not_a_terminal.as_fd()), Err(Errno::ENOTTY));
    }

    #[test]
    fn raw_mode_clears_terminal_processing_and_drop_restores_it() {
        let pty = open_pty().unwrap();
        let before = termios::tcgetattr(&pty.slave).unwrap();
        let cooked = LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG | LocalFlags::IEXTEN;
        assert!(before.local_flags.contains(cooked));
        let raw_mode = RawMode::enable(pty.slave.as_fd()).unwrap();
        let raw = termios::tcgetattr(&pty.slave).unwrap();
        assert!(!raw.local_flags.intersects(cooked));
        let translate_input = InputFlags::ICRNL | InputFlags::IXON;
        assert!(!raw.input_flags.intersects(translate_input));
        assert!(!raw.output_flags.contains(OutputFlags::OPOST));
        assert!(raw.control_flags.contains(ControlFlags::CS8));
        drop(raw_mode);
        assert_eq!(termios::tcgetattr(&pty.slave).unwrap(), before);
    }

    /// Forks a shell on a new pty as a container would start, and returns what it printed.
    fn shell_on_pty(already_session_leader: bool) -> String {
        let pty = open_pty().unwrap();
        set_window_size(pty.master.as_fd(), 37, 101).unwrap();
        let slave_fd = pty.slave.as_raw_fd();
        let step = ControllingTerminal { slave_fd };
        // Everything the child needs is prepared before the fork: it may not allocate.
        let script = c"tty; stty size; : </dev/tty && echo done";
        let [sh, dash_c, script] = [c"/bin/sh", c"-c", script].map(CStr::as_ptr);
        let argv = [sh, dash_c, script, std::ptr::null()];
        // SAFETY: the child only makes system calls until it execs or exits.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => {
                // As if another step had already made the child a session leader.
                if already_session_leader {
                    let _ = nix::unistd::setsid();
                }
                if step.run().is_ok() {
                    // SAFETY: argv is a null-terminated array of C strings that outlive the call.
                    unsafe { libc::execv(sh, argv.as_ptr()) };
                }
                // SAFETY: _exit ends the child without running the parent's atexit handlers.
                unsafe { libc::_exit(127) }
            }
            ForkResult::Parent { child } => {
                // Reading the master fails with EIO once no slave is open: close ours first.
                drop(pty.slave);
                let mut output = Vec::new();
                let error = File::from(pty.master).read_to_end(&mut output).unwrap_err();
                assert_eq!(error.raw_os_error(), Some(libc::EIO));
                assert_eq!(waitpid(child, None).unwrap(), WaitStatus::Exited(child, 0));
                String::from_utf8(output).unwrap()
            }
        }
    }

    #[test]
    fn child_gets_the_pty_as_controlling_terminal_and_stdio() {
        for already_session_leader in [false, true] {
            let output = shell_on_pty(already_session_leader);
            // `tty` names the pty, `stty size` sees the size set before the fork, every line
            // ends in \r\n (ONLCR), and /dev/tty opens: the pty is the controlling terminal.
            let lines: Vec<&str> = output.split("\r\n").collect();
            assert_eq!(lines.len(), 4, "{output:?}");
            let number = lines[0].strip_prefix("/dev/pts/").unwrap();
            assert!(number.parse::<u32>().is_ok(), "{output:?}");
            assert_eq!(lines[1..], ["37 101", "done", ""], "{output:?}");
        }
        let text = ControllingTerminal { slave_fd: 0 }.to_string();
        assert!(text.contains("pty its controlling terminal"), "{text}");
    }
}
