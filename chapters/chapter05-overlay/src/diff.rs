//! `docker diff`: what a container changed, from its upper layer alone.
//!
//! - a whiteout is a deletion (`D`);
//! - any other entry is an addition (`A`) if no lower layer has that path, a change (`C`)
//!   if one does — directories included, since overlayfs copies a directory up when
//!   anything below it changes;
//! - an opaque directory hides everything the lower layers had in it: each of those entries
//!   is reported deleted (`D`), unless the container made it again.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::upper::{entries, EntryKind, UpperEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Changed,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub path: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self.kind {
            ChangeKind::Added => 'A',
            ChangeKind::Changed => 'C',
            ChangeKind::Deleted => 'D',
        };
        write!(f, "{letter} {}", self.path)
    }
}

// ANCHOR: changes
/// The changes of an upper layer over its lower layers (host paths, topmost first), sorted
/// by path like `docker diff`.
pub fn changes(upper: &Path, lowers: &[PathBuf]) -> Vec<Change> {
    let in_lower = |path: &str| visible_below(lowers, path);
    changes_of(&entries(upper), in_lower, |dir| lower_children(lowers, dir))
}

/// The rule itself, with the lower layers behind two questions: does `path` exist below,
/// and what is directly inside directory `dir` below (as container paths)?
pub fn changes_of(
    upper_entries: &[UpperEntry],
    in_lower: impl Fn(&str) -> bool,
    lower_children: impl Fn(&str) -> Vec<String>,
) -> Vec<Change> {
    let mut out = Vec::new();
    for entry in upper_entries {
        let kind = match entry.kind {
            EntryKind::Whiteout => ChangeKind::Deleted,
            _ if in_lower(&entry.path) => ChangeKind::Changed,
            _ => ChangeKind::Added,
        };
        out.push(Change {
            kind,
            path: entry.path.clone(),
        });
        if entry.kind == (EntryKind::Directory { opaque: true }) {
            for hidden in lower_children(&entry.path) {
                let remade = upper_entries.iter().any(|e| e.path == hidden);
                if !remade {
                    out.push(Change {
                        kind: ChangeKind::Deleted,
                        path: hidden,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup();
    out
}
// ANCHOR_END: changes

/// Whether `path` shows in the union of `lowers` (topmost first): the first layer that
/// says anything about it decides — an entry shows it, a whiteout hides it — and a layer
/// where an ancestor is a whiteout, a file, or an opaque directory, stops the search there.
pub fn visible_below(lowers: &[PathBuf], path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for lower in lowers {
        let mut at = lower.clone();
        let mut blocked = false;
        for (depth, part) in parts.iter().enumerate() {
            at.push(part);
            let Ok(meta) = at.symlink_metadata() else {
                break; // this layer says nothing about it; look further down
            };
            let last = depth + 1 == parts.len();
            if is_whiteout(&meta) {
                return false;
            }
            if last {
                return true;
            }
            if !meta.is_dir() {
                return false; // a file where a directory would be hides everything below
            }
            if crate::upper::is_opaque(&at) {
                blocked = true;
            }
        }
        if blocked {
            return false;
        }
    }
    false
}

fn is_whiteout(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// The names directly inside `dir` that show in the union of the lower layers, as
/// container paths.
fn lower_children(lowers: &[PathBuf], dir: &str) -> Vec<String> {
    let mut names: Vec<String> = lowers
        .iter()
        .filter_map(|lower| std::fs::read_dir(lower.join(dir.trim_start_matches('/'))).ok())
        .flat_map(|read| read.flatten())
        .map(|entry| format!("{dir}/{}", entry.file_name().to_string_lossy()))
        .collect();
    names.sort();
    names.dedup();
    names.retain(|name| visible_below(lowers, name));
    names
}
