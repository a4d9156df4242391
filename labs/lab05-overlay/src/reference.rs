//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).
//!
//! Tasks 1 to 3 are chapter 5's own functions; task 4 composes them the way
//! `chapter05::unpack` and `chapter05::pack` do entry by entry while reading and writing tars.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use chapter05::whiteout::{self, WHITEOUT_PREFIX};

use crate::{Action, EntryKind, OverlayForm};

/// The lab's names are `str`s, so their components are too; lossy is never lossy here.
fn text(name: OsString) -> String {
    name.into_string()
        .unwrap_or_else(|name| name.to_string_lossy().into_owned())
}

fn to_chapter(kind: EntryKind) -> chapter05::upper::EntryKind {
    use chapter05::upper::EntryKind as Chapter;
    // Sizes and link targets do not change a tar name.
    match kind {
        EntryKind::File => Chapter::File { size: 0 },
        EntryKind::Directory { opaque } => Chapter::Directory { opaque },
        EntryKind::Symlink => Chapter::Symlink {
            target: String::new(),
        },
        EntryKind::Whiteout => Chapter::Whiteout,
    }
}

pub fn tar_paths(path: &str, kind: EntryKind) -> Vec<String> {
    whiteout::tar_paths(path, &to_chapter(kind))
}

pub fn overlay_form(name: &str) -> Result<OverlayForm, String> {
    Ok(match whiteout::overlay_form(OsStr::new(name))? {
        whiteout::OverlayForm::Entry => OverlayForm::Entry,
        whiteout::OverlayForm::Whiteout(hidden) => OverlayForm::Whiteout(text(hidden)),
        whiteout::OverlayForm::Opaque => OverlayForm::Opaque,
        whiteout::OverlayForm::Metadata => OverlayForm::Metadata,
    })
}

pub fn entry_components(name: &str) -> Result<Vec<String>, String> {
    let components = chapter05::confined::entry_components(Path::new(name))?;
    Ok(components.into_iter().map(text).collect())
}

/// One entry of `chapter05::unpack::unpack_entry`, without the file work.
fn action(name: &str) -> Result<Action, String> {
    let components = entry_components(name)?;
    let Some((last, dirs)) = components.split_last() else {
        return Ok(Action::Skip);
    };
    let dir = dirs.join("/");
    let inside = |leaf: &str| {
        if dir.is_empty() {
            leaf.to_owned()
        } else {
            format!("{dir}/{leaf}")
        }
    };
    Ok(match overlay_form(last)? {
        OverlayForm::Entry => Action::Create(inside(last)),
        OverlayForm::Whiteout(hidden) => Action::Whiteout(inside(&hidden)),
        OverlayForm::Opaque if dir.is_empty() => Action::Opaque(".".to_owned()),
        OverlayForm::Opaque => Action::Opaque(dir),
        OverlayForm::Metadata => Action::Skip,
    })
}

pub fn plan_unpack(names: &[&str]) -> Result<Vec<Action>, String> {
    names
        .iter()
        .map(|name| action(name).map_err(|reason| format!("layer entry {name:?}: {reason}")))
        .collect()
}

/// `chapter05::pack`'s walk, entry by entry, without the file work.
pub fn plan_pack(entries: &[(&str, EntryKind)]) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for &(path, kind) in entries {
        let own_name = path.rsplit('/').next().unwrap_or(path);
        if kind != EntryKind::Whiteout && own_name.starts_with(WHITEOUT_PREFIX) {
            return Err(format!(
                "{path}: a name starting with {WHITEOUT_PREFIX} would read as a whiteout in a layer tar"
            ));
        }
        names.extend(tar_paths(path, kind));
    }
    Ok(names)
}
