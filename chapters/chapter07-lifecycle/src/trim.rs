//! Giving back the memory a monitor needed only to start its container.
//!
//! A monitor is the whole mini-docker binary, and starting a container runs a good part of
//! it: argument parsing, JSON, the image store, cgroups, the overlay plan. Every code page
//! that ran is mapped into the monitor and counts in its resident set (RSS) — the kernel
//! even maps neighbouring pages on each fault ("fault-around"). Then, for hours, the monitor
//! runs one small poll loop.
//!
//! So once the container runs, the monitor drops those pages from its page tables:
//! `madvise(MADV_DONTNEED)` on every file mapping it never wrote to. Nothing is lost — the
//! pages stay in the page cache, shared with every other process running the binary, and the
//! ones the loop still needs fault straight back in (see madvise(2)). What is never safe to
//! drop: a private mapping with pages of its own (`Anonymous` in smaps — writable data,
//! relocated read-only data): those would revert to the file's bytes. Those are kept, as is
//! the heap, which `malloc_trim(3)` shrinks instead.

use std::fs;

/// One mapping of /proc/self/smaps that may be dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Droppable {
    start: usize,
    end: usize,
}

// ANCHOR: release
/// Drops the startup pages (see the module docs). Best effort: errors are ignored, the
/// monitor just stays bigger.
pub fn release_startup_memory() {
    // SAFETY: malloc_trim only returns free heap memory to the kernel.
    unsafe { libc::malloc_trim(0) };
    let Ok(smaps) = fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    for mapping in droppable(&smaps) {
        // SAFETY: the range is one of our own file mappings without private pages (checked
        // from smaps just now; this process is single-threaded, so nothing remaps it
        // meanwhile): dropping it loses no data, later accesses fault the file's pages in.
        unsafe {
            libc::madvise(
                mapping.start as *mut libc::c_void,
                mapping.end - mapping.start,
                libc::MADV_DONTNEED,
            );
        }
    }
}
// ANCHOR_END: release

/// The file mappings of `smaps` that are not writable and have no private (anonymous)
/// pages.
fn droppable(smaps: &str) -> Vec<Droppable> {
    let mut found = Vec::new();
    let mut current: Option<(Droppable, bool)> = None;
    for line in smaps.lines() {
        if let Some((range, rest)) = header(line) {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let perms = fields.first().copied().unwrap_or("");
            let path = fields.get(4).copied().unwrap_or("");
            let file_backed = path.starts_with('/');
            current = Some((range, file_backed && !perms.contains('w')));
        } else if let Some(kib) = line.strip_prefix("Anonymous:") {
            if let Some((range, candidate)) = current.take() {
                let private_pages = kib.trim().trim_end_matches("kB").trim() != "0";
                if candidate && !private_pages {
                    found.push(range);
                }
            }
        }
    }
    found
}

/// `start-end rest…` of a mapping's first line; `None` for the `Key: value` lines.
fn header(line: &str) -> Option<(Droppable, &str)> {
    let (range, rest) = line.split_once(' ')?;
    let (start, end) = range.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    Some((Droppable { start, end }, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0a0000000-55d0a0093000 r--p 00000000 fe:00 5440154    /usr/bin/mini-docker
Rss:                 592 kB
Anonymous:             0 kB
55d0a0093000-55d0a04d9000 r-xp 00185000 fe:00 5440154    /usr/bin/mini-docker
Anonymous:             0 kB
55d0a04d9000-55d0a04fa000 r--p 005ca000 fe:00 5440154    /usr/bin/mini-docker
Anonymous:           132 kB
55d0a04fa000-55d0a04fb000 rw-p 005eb000 fe:00 5440154    /usr/bin/mini-docker
Anonymous:             4 kB
55d0a1000000-55d0a1068000 rw-p 00000000 00:00 0          [heap]
Anonymous:           288 kB
7ffe1ca60000-7ffe1ca81000 rw-p 00000000 00:00 0          [stack]
Anonymous:           128 kB
";

    #[test]
    fn only_unwritten_file_mappings_are_dropped() {
        let ranges = droppable(SMAPS);
        assert_eq!(
            ranges,
            [
                Droppable {
                    start: 0x55d0a0000000,
                    end: 0x55d0a0093000
                },
                Droppable {
                    start: 0x55d0a0093000,
                    end: 0x55d0a04d9000
                },
            ]
        );
    }
}
