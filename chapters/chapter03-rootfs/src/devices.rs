//! The device nodes and `/dev` symlinks a container gets — and nothing more.
//!
//! `/dev` inside is a fresh tmpfs, not the host's `/dev`: a container must not reach the
//! host's disks (`/dev/sda`), memory (`/dev/mem`) or terminals. It gets the same short list
//! docker and runc create.

/// A character device (devices.txt in the kernel documentation lists the numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub name: &'static str,
    pub major: u64,
    pub minor: u64,
    pub mode: u32,
}

// ANCHOR: devices
#[rustfmt::skip]
pub const DEVICES: [Device; 6] = [
    Device { name: "null", major: 1, minor: 3, mode: 0o666 },
    Device { name: "zero", major: 1, minor: 5, mode: 0o666 },
    Device { name: "full", major: 1, minor: 7, mode: 0o666 },
    Device { name: "random", major: 1, minor: 8, mode: 0o666 },
    Device { name: "urandom", major: 1, minor: 9, mode: 0o666 },
    Device { name: "tty", major: 5, minor: 0, mode: 0o666 },
];

/// `/dev/NAME -> TARGET`: the standard descriptors through `/proc`, and `ptmx` pointing into
/// the container's own devpts instance.
pub const SYMLINKS: [(&str, &str); 5] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
];
// ANCHOR_END: devices
