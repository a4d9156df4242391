//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use crate::{Action, EntryKind, OverlayForm};

/// Task 1 (4 points). The names in a layer tar that carry one entry of an upper directory.
/// `path` is the entry's path inside the container, like `/bin/vi`; tar names have no leading
/// `/` (drop every leading `/`).
/// - a whiteout becomes one empty marker file: its last component gets the prefix `.wh.`
///   (`/bin/vi` → `bin/.wh.vi`; at the top level, `/top` → `.wh.top`);
/// - an opaque directory is written as itself, then its marker: `/var/log` → `var/log`,
///   `var/log/.wh..wh..opq`;
/// - anything else keeps its name: `/etc/passwd` → `etc/passwd`.
pub fn tar_paths(path: &str, kind: EntryKind) -> Vec<String> {
    todo!("task 1")
}

/// Task 2 (5 points). Reads `name`, the last component of a tar entry's name, in this order:
/// - exactly `.wh..wh..opq` → [`OverlayForm::Opaque`];
/// - any other name starting with `.wh..wh.` → [`OverlayForm::Metadata`] (AUFS, docker's
///   first storage driver, kept hardlink bookkeeping in `.wh..wh.plnk` and friends);
/// - `.wh.` followed by a name → [`OverlayForm::Whiteout`] of that name (`.wh.vi` →
///   `Whiteout("vi")`, `.wh..profile` → `Whiteout(".profile")`);
/// - anything else → [`OverlayForm::Entry`].
///
/// A whiteout of nothing (`.wh.`), of the directory itself (`.wh..`) or of its parent
/// (`.wh...`) is malformed: an error that contains the word `whiteout` and `name` in double
/// quotes (`invalid whiteout ".wh..": it names no entry`).
pub fn overlay_form(name: &str) -> Result<OverlayForm, String> {
    todo!("task 2")
}

/// Task 3 (4 points). The components of a tar entry's name below the target directory, never
/// above it. Split at `/` (several `/` in a row count as one, a trailing `/` adds nothing),
/// then:
/// - a leading `/` is dropped: `/etc/passwd` is the layer's `etc/passwd`, as GNU tar reads it;
/// - `.` components are skipped;
/// - a `..` component, wherever it is, is an error whose message contains `..`.
///
/// An empty list means the target itself (the entry `./`). Other names with dots, like `...`
/// or `..b`, are ordinary names.
pub fn entry_components(name: &str) -> Result<Vec<String>, String> {
    todo!("task 3")
}

/// Task 4a (4 points, with task 4b). What unpacking the tar entries called `names` (in tar
/// order) does, one [`Action`] per name:
/// - the components (task 3) are empty → [`Action::Skip`] (the target's own metadata stays);
/// - otherwise read the last component (task 2) and act in the directory of the others:
///   an entry → `Create(its path)`; `.wh.X` → `Whiteout(path of X)`; the opaque marker →
///   `Opaque(path of its directory)` (`.` at the top level); metadata → `Skip`.
///
/// The first name that task 2 or task 3 refuses stops the plan: the error starts with
/// `layer entry "NAME": ` (the name in double quotes) followed by the reason from task 2 or 3.
pub fn plan_unpack(names: &[&str]) -> Result<Vec<Action>, String> {
    todo!("task 4")
}

/// Task 4b (3 points, with task 4a). The tar names of a whole upper directory, `entries` (in
/// walk order: `(path inside the container, kind)`): the names of task 1 for each entry, in
/// order. An entry that is not a whiteout and whose own name (last component) starts with
/// `.wh.` cannot be carried — it would read as a whiteout when unpacked — and is an error that
/// contains its path as given.
pub fn plan_pack(entries: &[(&str, EntryKind)]) -> Result<Vec<String>, String> {
    todo!("task 4")
}
