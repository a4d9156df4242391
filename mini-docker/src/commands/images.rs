//! The image commands of chapter 6: `import`, `images`, `tag`, `rmi`, `history`, `inspect`.
//! Each opens the image store under `--root`, calls chapter 6, and prints like docker.

use std::io::Read;
use std::path::Path;
use std::time::SystemTime;

use chapter06::changes::apply_change;
use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::config::RunConfig;
use chapter06::listing::{history_rows, history_table, image_rows, images_table};
use chapter06::remove::remove_image;
use chapter06::{ImageStore, Reference};

use super::{print_error, report};
use crate::cli::{HistoryArgs, ImagesArgs, ImportArgs, RmiArgs, TagArgs};

fn reference(text: &str) -> Result<Reference, ContainerError> {
    Reference::parse(text).map_err(ContainerError::Invalid)
}

pub fn import(root: &Path, args: ImportArgs) -> i32 {
    report(|| {
        // Everything that can be refused is checked before the store is touched.
        let mut run_config = RunConfig::default();
        for change in &args.changes {
            apply_change(&mut run_config, change).map_err(ContainerError::Invalid)?;
        }
        let name = args.reference.as_deref().map(reference).transpose()?;
        if name.as_ref().is_some_and(|n| n.digest.is_some()) {
            return Err(ContainerError::Invalid(
                "refusing to create a tag with a digest reference".into(),
            ));
        }
        let input: Box<dyn Read> = if args.file == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(
                std::fs::File::open(&args.file)
                    .map_err(|e| ContainerError::io(format!("open {}", args.file), e))?,
            )
        };
        let store = ImageStore::open(root)?;
        let lock = store.lock()?;
        let id =
            chapter06::import::import(&store, &lock, input, &args.file, run_config, &args.message)?;
        if let Some(name) = name {
            store.tag(&lock, &name, &id)?;
        }
        println!("{id}");
        Ok(())
    })
}

pub fn images(root: &Path, args: ImagesArgs) -> i32 {
    report(|| {
        let store = ImageStore::open(root)?;
        let mut rows = image_rows(&store)?;
        if let Some(filter) = &args.reference {
            let wanted = reference(filter)?;
            let tag_given = filter
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'));
            rows.retain(|row| {
                row.repository == wanted.repository()
                    && (!tag_given || Some(&row.tag) == wanted.tag.as_ref())
            });
        }
        print!(
            "{}",
            images_table(&rows, SystemTime::now(), args.no_trunc, args.quiet)
        );
        Ok(())
    })
}

pub fn tag(root: &Path, args: TagArgs) -> i32 {
    report(|| {
        let target = reference(&args.target)?;
        if target.digest.is_some() {
            return Err(ContainerError::Invalid(
                "refusing to create a tag with a digest reference".into(),
            ));
        }
        let store = ImageStore::open(root)?;
        let lock = store.lock()?;
        let id = store.resolve(&args.source)?;
        store.tag(&lock, &target, &id)
    })
}

pub fn rmi(root: &Path, args: RmiArgs) -> i32 {
    let store = match ImageStore::open(root) {
        Ok(store) => store,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    // Like docker: every image is tried; the exit code says whether any failed.
    let mut code = 0;
    for name in &args.images {
        let removed = store
            .lock()
            .and_then(|lock| remove_image(&store, &lock, name, args.force));
        match removed {
            Ok(lines) => lines.iter().for_each(|line| println!("{line}")),
            Err(error) => {
                print_error(&error);
                code = 1;
            }
        }
    }
    code
}

pub fn history(root: &Path, args: HistoryArgs) -> i32 {
    report(|| {
        let store = ImageStore::open(root)?;
        let image = store.image(&store.resolve(&args.image)?)?;
        let rows = history_rows(&store, &image)?;
        print!(
            "{}",
            history_table(&rows, SystemTime::now(), args.no_trunc, args.quiet)
        );
        Ok(())
    })
}
