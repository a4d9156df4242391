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
    let in_lower = |path: &str| {
        let relative = path.trim_start_matches('/');
        lowers
            .iter()
            .any(|lower| lower.join(relative).symlink_metadata().is_ok())
    };
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

/// The names directly inside `dir` in any lower layer, as container paths.
fn lower_children(lowers: &[PathBuf], dir: &str) -> Vec<String> {
    let mut names: Vec<String> = lowers
        .iter()
        .filter_map(|lower| std::fs::read_dir(lower.join(dir.trim_start_matches('/'))).ok())
        .flat_map(|read| read.flatten())
        .map(|entry| format!("{dir}/{}", entry.file_name().to_string_lossy()))
        .collect();
    names.sort();
    names.dedup();
    names
}
