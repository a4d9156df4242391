//! A container's files as archives and images: `export` (chapter 5) and `commit`
//! (chapter 6), on containers of chapter 7's store.

use std::path::Path;

use chapter07::chapter06::changes::apply_change;
use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::chapter06::chapter05::export::export as export_tar;
use chapter07::chapter06::chapter05::store::LayerStore;
use chapter07::chapter06::chapter05::ContainerFs;
use chapter07::chapter06::commit::{commit as commit_image, CommitInfo};
use chapter07::chapter06::{Digest, ImageStore, Reference};
use chapter07::ContainerStore;

use super::report;
use crate::cli::{CommitArgs, ExportArgs};

/// `export [-o FILE] CONTAINER`: the merged view as one tar (stdout by default).
pub fn export(root: &Path, args: ExportArgs) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        let container = store.get(&args.container)?;
        let layers = LayerStore::open(root)?;
        let fs = ContainerFs::open(&layers, container.id())?;
        match &args.output {
            Some(path) => {
                let file = std::fs::File::create(path).map_err(|error| {
                    ContainerError::io(format!("create {}", path.display()), error)
                })?;
                export_tar(&fs, file)?;
            }
            None => {
                export_tar(&fs, std::io::BufWriter::new(std::io::stdout()))?;
            }
        }
        chapter07::monitor::event(root, "export", &container, &[]);
        Ok(())
    })
}

/// `commit [-m MSG] [-c INSTR]… CONTAINER [REPOSITORY[:TAG]]`: prints the new image id.
pub fn commit(root: &Path, args: CommitArgs) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        let container = store.get(&args.container)?;
        let images = ImageStore::open(root)?;
        let layers = LayerStore::open(root)?;
        let fs = ContainerFs::open(&layers, container.id())?;
        let image = if container.record.image.is_empty() {
            None
        } else {
            let id = Digest::parse(&container.record.image).map_err(ContainerError::Invalid)?;
            Some(images.image(&id)?)
        };
        let mut run_config = image
            .as_ref()
            .map(|i| i.config.config.clone())
            .unwrap_or_default();
        // The container's own process becomes the image's default, as in docker.
        run_config.cmd = Some(container.record.config.cmd.clone());
        for change in &args.changes {
            apply_change(&mut run_config, change).map_err(ContainerError::Invalid)?;
        }
        let reference = args
            .reference
            .as_deref()
            .map(Reference::parse)
            .transpose()
            .map_err(ContainerError::Invalid)?;
        let lock = images.lock()?;
        let info = CommitInfo {
            author: String::new(),
            comment: args.message.clone(),
            created_by: chapter07::listing::command(&container, false)
                .trim_matches('"')
                .to_owned(),
            run_config,
        };
        let id = commit_image(&images, &lock, &fs, image.as_ref(), info)?;
        if let Some(reference) = &reference {
            images.tag(&lock, reference, &id)?;
        }
        chapter07::monitor::event(root, "commit", &container, &[]);
        println!("{id}");
        Ok(())
    })
}
