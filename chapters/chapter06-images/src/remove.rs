//! `docker rmi`: take a name off an image, and delete the image when nothing names it.
//!
//! - By name (`busybox:latest`): the name goes. If it was the image's last name, the image
//!   goes too — unless a container was made from it (then `-f` is needed).
//! - By ID: the image goes with all its names; if it has names in several repositories,
//!   `-f` is needed (you probably meant one of them).
//! - When an image goes, its layers that nothing else reaches go with it.
//!
//! Each line of the result is what docker prints: `Untagged: …` and `Deleted: sha256:…`.

use chapter05::chapter04::chapter03::chapter01::ContainerError;

use crate::reference::Reference;
use crate::repositories::Repositories;
use crate::store::{ImageStore, StoreLock};

// ANCHOR: remove_image
pub fn remove_image(
    store: &ImageStore,
    lock: &StoreLock,
    name: &str,
    force: bool,
) -> Result<Vec<String>, ContainerError> {
    let id = store.resolve(name)?;
    let mut names = Repositories::load(store.root())?;
    let by_name = Reference::parse(name)
        .ok()
        .filter(|reference| names.resolve(reference).as_ref() == Some(&id));
    let users = store.containers_using(&id);
    let mut lines = Vec::new();
    match by_name {
        Some(reference) => {
            let last_name = names.tags_of(&id).len() + names.digests_of(&id).len() == 1;
            if last_name && !users.is_empty() && !force {
                return Err(conflict(&format!(
                    "unable to remove repository reference {name:?} (must force) - container {} is using its referenced image {}",
                    short(&users[0]),
                    id.short()
                )));
            }
            names.untag(&reference);
            lines.push(format!("Untagged: {reference}"));
            if !last_name {
                names.save(store.root())?;
                return Ok(lines);
            }
        }
        None => {
            let repositories: std::collections::BTreeSet<String> = names
                .tags_of(&id)
                .iter()
                .chain(names.digests_of(&id).iter())
                .filter_map(|n| n.split(['@']).next())
                .map(|n| n.rsplit_once(':').map_or(n, |(repo, _)| repo).to_owned())
                .collect();
            if repositories.len() > 1 && !force {
                return Err(conflict(&format!(
                    "unable to delete {} (must be forced) - image is referenced in multiple repositories",
                    id.short()
                )));
            }
            if !users.is_empty() && !force {
                return Err(conflict(&format!(
                    "unable to delete {} (must be forced) - image is being used by container {}",
                    id.short(),
                    short(&users[0])
                )));
            }
            lines.extend(
                names
                    .forget(&id)
                    .into_iter()
                    .map(|n| format!("Untagged: {n}")),
            );
        }
    }
    names.save(store.root())?;
    store.images.remove(&id)?;
    lines.push(format!("Deleted: {id}"));
    for layer in store.collect_garbage(lock)? {
        lines.push(format!("Deleted: {layer}"));
    }
    Ok(lines)
}
// ANCHOR_END: remove_image

fn conflict(message: &str) -> ContainerError {
    ContainerError::Invalid(format!("conflict: {message}"))
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
