//! The monitor's loop while its container runs: one poll(2) over the container's output,
//! the attach socket, every attached client and the container's pidfd.
//!
//! - Output (a pipe per stream, or the pty master) goes to the json-file log and to every
//!   attached client, framed with its stream ([`crate::stream`]).
//! - Clients send stdin (written to the container with `-i`), `CloseStdin` (closes it for
//!   `run -i` without a terminal: the container sees end-of-file) and window sizes.
//! - The pidfd becomes readable when the container's process ends. The loop then reads
//!   what is left in the pipes — bounded in time, because a process that escaped the
//!   container's PID namespace (`--pid host`) could hold a pipe open forever.
//!
//! Single-threaded on purpose: a monitor is a few hundred kilobytes of memory per
//! container, and poll(2) is all it needs.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant, SystemTime};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::logs::{LogWriter, Stream};
use crate::stdio::MonitorEnds;
use crate::stream::{write_frame, Frame, FrameReader};

/// After the container's process ended, how long the loop keeps reading leftover output.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// A client that drowns us in unread output is let go beyond this much pending data.
const CLIENT_BACKLOG_LIMIT: usize = 4 << 20;

/// One attached client.
struct Client {
    stream: UnixStream,
    reader: FrameReader,
    pending: Vec<u8>,
}

impl Client {
    fn new(stream: UnixStream) -> std::io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Client {
            stream,
            reader: FrameReader::default(),
            pending: Vec::new(),
        })
    }

    /// Queues a frame; false if the client has fallen too far behind (it is dropped).
    fn send(&mut self, frame: &Frame) -> bool {
        let _ = write_frame(&mut self.pending, frame);
        self.flush()
    }

    /// Writes what it can without blocking; false when the client is gone.
    fn flush(&mut self) -> bool {
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return false,
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        self.pending.len() <= CLIENT_BACKLOG_LIMIT
    }
}

/// The container's output sources, in a form the loop can poll and close one by one.
struct Outputs {
    /// (descriptor, stream) pairs still open.
    open: Vec<(OwnedFd, Stream)>,
    /// The container's stdin (pipe write end or the pty master, shared).
    stdin: Option<OwnedFd>,
    terminal: bool,
}

/// What the relay needs from the monitor.
pub struct Relay {
    pub ends: MonitorEnds,
    pub listener: UnixListener,
    pub first_client: Option<UnixStream>,
    pub process: OwnedFd,
    pub log: Option<LogWriter>,
    /// `StdinOnce`: the first client's `CloseStdin` closes the container's stdin.
    pub stdin_once: bool,
    /// Called once, the first time the loop has been idle for [`IDLE_AFTER`]: the monitor
    /// gives back its start-up memory then, not while a short container is still ending.
    pub on_idle: Option<Box<dyn FnOnce()>>,
}

/// How long nothing must happen before `on_idle` runs.
pub const IDLE_AFTER: Duration = Duration::from_secs(1);

impl Relay {
    /// Runs until the container's process has ended and its output is read. Returns the
    /// clients still attached, so the monitor can tell them the exit code.
    pub fn run(self) -> Vec<UnixStream> {
        let Relay {
            ends,
            listener,
            first_client,
            process,
            mut log,
            stdin_once,
            mut on_idle,
        } = self;
        let mut outputs = match ends {
            MonitorEnds::Pipes {
                stdin,
                stdout,
                stderr,
            } => Outputs {
                open: vec![(stdout, Stream::Stdout), (stderr, Stream::Stderr)],
                stdin,
                terminal: false,
            },
            MonitorEnds::Terminal { master } => {
                let input = master.try_clone().ok();
                Outputs {
                    open: vec![(master, Stream::Stdout)],
                    stdin: input,
                    terminal: true,
                }
            }
        };
        let _ = listener.set_nonblocking(true);
        let mut clients: Vec<Client> = first_client
            .and_then(|stream| Client::new(stream).ok())
            .into_iter()
            .collect();
        let mut exited_at: Option<Instant> = None;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            if let Some(when) = exited_at {
                if outputs.open.is_empty() || when.elapsed() > DRAIN_LIMIT {
                    break;
                }
            }
            let timeout = if exited_at.is_some() {
                // While draining, wake up now and then to check the drain deadline.
                Some(Duration::from_millis(100))
            } else {
                on_idle.as_ref().map(|_| IDLE_AFTER)
            };
            let ready = wait_ready(
                &outputs,
                &listener,
                &clients,
                &process,
                exited_at.is_some(),
                timeout,
            );
            if ready.nothing && exited_at.is_none() {
                if let Some(idle) = on_idle.take() {
                    idle();
                }
            }
            // The container's process ended: from now on only drain.
            if ready.process {
                exited_at.get_or_insert_with(Instant::now);
            }
            // In order, stdout before stderr: when both have data, that is the likelier
            // order of writing (two pipes cannot tell; docker's log has the same limit).
            let mut closed = Vec::new();
            for index in ready.outputs {
                let (fd, stream) = &outputs.open[index];
                let stream = *stream;
                match nix::unistd::read(fd, &mut buffer) {
                    // EOF on a pipe; EIO on a pty master once the last slave is closed.
                    Ok(0) | Err(nix::errno::Errno::EIO) => closed.push(index),
                    Ok(n) => {
                        let data = &buffer[..n];
                        if let Some(writer) = log.as_mut() {
                            let _ = writer.write(stream, data, SystemTime::now());
                        }
                        let frame = match stream {
                            Stream::Stdout => Frame::Stdout(data.to_vec()),
                            Stream::Stderr => Frame::Stderr(data.to_vec()),
                        };
                        clients.retain_mut(|client| client.send(&frame));
                    }
                    Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
                    Err(_) => closed.push(index),
                }
            }
            for index in closed.into_iter().rev() {
                outputs.open.remove(index);
            }
            if ready.listener {
                while let Ok((stream, _)) = listener.accept() {
                    if let Ok(client) = Client::new(stream) {
                        clients.push(client);
                    }
                }
            }
            let mut gone = Vec::new();
            for (index, client) in clients.iter_mut().enumerate() {
                if !ready.clients.contains(&index) {
                    if !client.flush() {
                        gone.push(index);
                    }
                    continue;
                }
                if !serve_client(client, &mut outputs, stdin_once, &mut buffer) {
                    gone.push(index);
                }
            }
            for index in gone.into_iter().rev() {
                clients.remove(index);
            }
        }
        if let Some(writer) = log.as_mut() {
            let _ = writer.finish(SystemTime::now());
        }
        clients
            .into_iter()
            .map(|client| {
                let _ = client.stream.set_nonblocking(false);
                let mut stream = client.stream;
                let _ = stream.write_all(&client.pending);
                stream
            })
            .collect()
    }
}

/// Reads a client's frames and acts on them; false when the client has gone.
fn serve_client(
    client: &mut Client,
    outputs: &mut Outputs,
    stdin_once: bool,
    buffer: &mut [u8],
) -> bool {
    match client.stream.read(buffer) {
        Ok(0) => return false,
        Ok(n) => client.reader.push(&buffer[..n]),
        Err(error) if error.kind() == ErrorKind::WouldBlock => return client.flush(),
        Err(error) if error.kind() == ErrorKind::Interrupted => return true,
        Err(_) => return false,
    }
    loop {
        match client.reader.next_frame() {
            Ok(Some(Frame::Stdin(data))) => {
                if let Some(stdin) = &outputs.stdin {
                    // Blocking write: a container that does not read its stdin holds up
                    // only the clients typing into it (the pipe holds 64 KiB).
                    let _ = write_all_fd(stdin.as_fd(), &data);
                }
            }
            Ok(Some(Frame::CloseStdin)) => {
                if stdin_once && !outputs.terminal {
                    outputs.stdin = None;
                }
            }
            Ok(Some(Frame::Resize { rows, cols })) => {
                if outputs.terminal {
                    if let Some((fd, _)) = outputs.open.first() {
                        let _ = crate::tty::set_window_size(fd.as_fd(), rows, cols);
                    }
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return client.flush(),
            Err(_) => return false,
        }
    }
}

fn write_all_fd(fd: BorrowedFd<'_>, mut data: &[u8]) -> nix::Result<()> {
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(errno),
        }
    }
    Ok(())
}

/// Which descriptors poll(2) found ready.
struct Ready {
    /// The timeout passed with nothing ready.
    nothing: bool,
    outputs: Vec<usize>,
    listener: bool,
    clients: Vec<usize>,
    process: bool,
}

fn wait_ready(
    outputs: &Outputs,
    listener: &UnixListener,
    clients: &[Client],
    process: &OwnedFd,
    draining: bool,
    timeout: Option<Duration>,
) -> Ready {
    let input = PollFlags::POLLIN;
    let mut fds: Vec<PollFd> = Vec::new();
    for (fd, _) in &outputs.open {
        fds.push(PollFd::new(fd.as_fd(), input));
    }
    fds.push(PollFd::new(listener.as_fd(), input));
    // A pidfd stays readable once the process has ended: leave it out while draining.
    if !draining {
        fds.push(PollFd::new(process.as_fd(), input));
    }
    for client in clients {
        let mut flags = input;
        if !client.pending.is_empty() {
            flags |= PollFlags::POLLOUT;
        }
        fds.push(PollFd::new(client.stream.as_fd(), flags));
    }
    let timeout = timeout.map_or(PollTimeout::NONE, |timeout| {
        PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX)
    });
    let fired_count = poll(&mut fds, timeout).unwrap_or(0);
    let fired = |fd: &PollFd| fd.revents().is_some_and(|events| !events.is_empty());
    let count = outputs.open.len();
    let first_client = count + if draining { 1 } else { 2 };
    Ready {
        nothing: fired_count == 0,
        outputs: (0..count).filter(|&i| fired(&fds[i])).collect(),
        listener: fired(&fds[count]),
        process: !draining && fired(&fds[count + 1]),
        clients: (0..clients.len())
            .filter(|&i| fired(&fds[first_client + i]))
            .collect(),
    }
}
