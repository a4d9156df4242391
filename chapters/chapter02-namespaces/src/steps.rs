//! What the child does inside its new namespaces, before anything else.

use std::ffi::{CString, OsStr};
use std::fmt;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;

use chapter01::ChildStep;
use nix::errno::Errno;

// ANCHOR: gate
/// Waits until the host opens the gate (writes one byte), or gives up if the host went away.
///
/// The child inherited both ends of the gate pipe; it closes its copy of the write end first,
/// otherwise it would keep the pipe open itself and never see end-of-file.
pub struct WaitForGate {
    pub read_end: RawFd,
    pub write_end: RawFd,
}

impl ChildStep for WaitForGate {
    fn run(&self) -> Result<(), Errno> {
        // SAFETY: both are fds of the gate pipe, inherited by this child; nothing else uses them.
        unsafe { libc::close(self.write_end) };
        let mut byte = [0u8; 1];
        loop {
            // SAFETY: reading one byte into a stack buffer.
            let n = unsafe { libc::read(self.read_end, byte.as_mut_ptr().cast(), 1) };
            match n {
                1 => break,
                // The host closed the gate without opening it: it gave up on us.
                0 => return Err(Errno::ECANCELED),
                _ if Errno::last() == Errno::EINTR => continue,
                _ => return Err(Errno::last()),
            }
        }
        // SAFETY: closing our read end, which is not used again.
        unsafe { libc::close(self.read_end) };
        Ok(())
    }
}
// ANCHOR_END: gate

impl fmt::Display for WaitForGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wait until the host opens the gate")
    }
}

// ANCHOR: become_root
/// Switches to uid 0 and gid 0 of the new user namespace.
///
/// The child was root on the host, which the id map does not cover, so inside it shows up
/// as 65534. It does hold every capability in its new namespace, so it may change ids; and
/// it must, or `execve` would drop those capabilities for a non-root program
/// (capabilities(7), "Capabilities and execution of programs by root").
///
/// Raw system calls, not glibc's `setresuid(3)` and friends: glibc applies an id change to
/// every thread of the process it believes in, signalling them and taking internal locks —
/// after `clone`, those threads are the parent's, and the locks may be held forever.
pub struct BecomeRoot;

impl ChildStep for BecomeRoot {
    fn run(&self) -> Result<(), Errno> {
        // SAFETY: plain system calls with integer arguments (and a null group list).
        unsafe {
            raw(libc::syscall(libc::SYS_setresgid, 0, 0, 0))?;
            // Drop the host's supplementary groups. Not allowed (EPERM) after an unprivileged
            // parent wrote "deny" to /proc/PID/setgroups: then the process keeps them — that
            // is what "deny" is for (user_namespaces(7)) — and they show up as 65534.
            match raw(libc::syscall(
                libc::SYS_setgroups,
                0,
                std::ptr::null::<libc::gid_t>(),
            )) {
                Ok(()) | Err(Errno::EPERM) => {}
                Err(errno) => return Err(errno),
            }
            raw(libc::syscall(libc::SYS_setresuid, 0, 0, 0))
        }
    }
}

/// A raw system call's result: 0 is success, -1 sets errno.
fn raw(result: libc::c_long) -> Result<(), Errno> {
    if result == -1 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

impl fmt::Display for BecomeRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("become uid 0 / gid 0 of the user namespace")
    }
}

/// `unshare(CLONE_NEWCGROUP)`: a cgroup namespace rooted at the cgroup the host has just
/// put us in (see [`Isolation::clone_flags`](crate::Isolation::clone_flags)).
pub struct UnshareCgroupNamespace;

impl ChildStep for UnshareCgroupNamespace {
    fn run(&self) -> Result<(), Errno> {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWCGROUP)
    }
}

impl fmt::Display for UnshareCgroupNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unshare the cgroup namespace (rooted at the cgroup the host put us in)")
    }
}

/// `sethostname(2)`: only the new UTS namespace sees it.
pub struct SetHostname {
    pub name: CString,
}

impl ChildStep for SetHostname {
    fn run(&self) -> Result<(), Errno> {
        nix::unistd::sethostname(OsStr::from_bytes(self.name.as_bytes()))
    }
}

impl fmt::Display for SetHostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "set hostname to {:?}", self.name.to_string_lossy())
    }
}

/// Brings the loopback interface up. A new network namespace has `lo`, but down.
pub struct LoopbackUp;

impl ChildStep for LoopbackUp {
    fn run(&self) -> Result<(), Errno> {
        set_interface_up(b"lo")
    }
}

impl fmt::Display for LoopbackUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bring up the loopback interface lo")
    }
}

// ANCHOR: interface_up
/// `ip link set NAME up`, the old way: read the interface flags with `SIOCGIFFLAGS`, add
/// `IFF_UP`, write them back with `SIOCSIFFLAGS` (netdevice(7)). Allocation-free.
pub fn set_interface_up(name: &[u8]) -> Result<(), Errno> {
    let socket = InterfaceSocket::open()?;
    let mut request = interface_request(name)?;
    socket.ioctl(libc::SIOCGIFFLAGS, &mut request)?;
    // SAFETY: after SIOCGIFFLAGS the union holds the flags.
    unsafe { request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    socket.ioctl(libc::SIOCSIFFLAGS, &mut request)
}
// ANCHOR_END: interface_up

/// Whether interface `name` of the caller's network namespace is up.
pub fn interface_is_up(name: &str) -> Result<bool, Errno> {
    let socket = InterfaceSocket::open()?;
    let mut request = interface_request(name.as_bytes())?;
    socket.ioctl(libc::SIOCGIFFLAGS, &mut request)?;
    // SAFETY: after SIOCGIFFLAGS the union holds the flags.
    let flags = unsafe { request.ifr_ifru.ifru_flags };
    Ok(flags & libc::IFF_UP as libc::c_short != 0)
}

fn interface_request(name: &[u8]) -> Result<libc::ifreq, Errno> {
    // SAFETY: ifreq is plain old data; all zeroes is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    if name.len() >= request.ifr_name.len() {
        return Err(Errno::ENAMETOOLONG);
    }
    for (slot, byte) in request.ifr_name.iter_mut().zip(name) {
        *slot = *byte as libc::c_char;
    }
    Ok(request)
}

/// A datagram socket, only used as a handle for interface ioctls; closed on drop.
struct InterfaceSocket(RawFd);

impl InterfaceSocket {
    fn open() -> Result<Self, Errno> {
        // SAFETY: plain socket(2) call.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(Errno::last());
        }
        Ok(InterfaceSocket(fd))
    }

    fn ioctl(&self, request: libc::Ioctl, ifreq: &mut libc::ifreq) -> Result<(), Errno> {
        // SAFETY: both interface ioctls take a pointer to an ifreq we own.
        let result = unsafe { libc::ioctl(self.0, request, ifreq as *mut libc::ifreq) };
        Errno::result(result).map(drop)
    }
}

impl Drop for InterfaceSocket {
    fn drop(&mut self) {
        // SAFETY: we own this fd.
        unsafe { libc::close(self.0) };
    }
}
