//! `mini-docker load` and `save`: image archives in and out (chapter 6).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::ImageStore;

use super::report;
use crate::cli::{LoadArgs, SaveArgs};

/// A file in the store's scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub fn load(root: &Path, args: LoadArgs) -> i32 {
    report(|| {
        let store = ImageStore::open(root)?;
        // A tar is read by seeking, so standard input is copied to a file first.
        let (input, _scratch) = match args.input {
            Some(path) => (path, None),
            None => {
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    return Err(ContainerError::Invalid(
                        "requested load from stdin, but stdin is a terminal: use -i FILE or redirect".into(),
                    ));
                }
                let path = root.join(format!(
                    "image/overlay2/layerdb/tmp/stdin-{}.tar",
                    std::process::id()
                ));
                let scratch = Scratch(path.clone());
                let mut file = std::fs::File::create(&path)
                    .map_err(|e| ContainerError::io(format!("create {}", path.display()), e))?;
                std::io::copy(&mut stdin.lock(), &mut file)
                    .map_err(|e| ContainerError::io("read standard input", e))?;
                (path, Some(scratch))
            }
        };
        let lock = store.lock()?;
        for image in chapter06::load::load(&store, &lock, &input)? {
            if !args.quiet {
                image.lines().iter().for_each(|line| println!("{line}"));
            }
        }
        Ok(())
    })
}

pub fn save(root: &Path, args: SaveArgs) -> i32 {
    report(|| {
        let store = ImageStore::open(root)?;
        match args.output {
            Some(path) => {
                // Written beside the target, then renamed: never a half archive under its name.
                let mut partial = path.clone().into_os_string();
                partial.push(".partial");
                let partial = PathBuf::from(partial);
                let _scratch = Scratch(partial.clone());
                let file = std::fs::File::create(&partial)
                    .map_err(|e| ContainerError::io(format!("create {}", partial.display()), e))?;
                chapter06::save::save(&store, &args.images, std::io::BufWriter::new(file))?;
                std::fs::rename(&partial, &path)
                    .map_err(|e| ContainerError::io(format!("rename to {}", path.display()), e))?;
                Ok(())
            }
            None => {
                let stdout = std::io::stdout();
                if stdout.is_terminal() {
                    return Err(ContainerError::Invalid(
                        "cowardly refusing to save to a terminal. Use the -o flag or redirect"
                            .into(),
                    ));
                }
                chapter06::save::save(&store, &args.images, std::io::BufWriter::new(stdout.lock()))
            }
        }
    })
}
