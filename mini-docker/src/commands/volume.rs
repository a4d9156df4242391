//! `volume create | ls | rm | inspect` (chapter 7's volume store).

use std::path::Path;

use chapter07::volumes::VolumeStore;
use chapter07::ContainerStore;

use super::{print_error, report};
use crate::cli::VolumeCommand;

pub fn volume(root: &Path, command: VolumeCommand) -> i32 {
    match command {
        VolumeCommand::Create(args) => report(|| {
            let volume = VolumeStore::open(root)?.create(args.name.as_deref())?;
            println!("{}", volume.name);
            Ok(())
        }),
        VolumeCommand::Ls(args) => report(|| {
            let volumes = VolumeStore::open(root)?.list()?;
            if args.quiet {
                for volume in &volumes {
                    println!("{}", volume.name);
                }
                return Ok(());
            }
            let rows: Vec<Vec<String>> = volumes
                .iter()
                .map(|volume| vec!["local".to_owned(), volume.name.clone()])
                .collect();
            print!(
                "{}",
                chapter07::chapter06::format::table(&["DRIVER", "VOLUME NAME"], &rows)
            );
            Ok(())
        }),
        VolumeCommand::Rm(args) => {
            let mut code = 0;
            for name in &args.volumes {
                let removed = VolumeStore::open(root).and_then(|store| {
                    let containers = ContainerStore::open(root)?;
                    let in_use = |volume: &str| -> Vec<String> {
                        containers
                            .list()
                            .into_iter()
                            .filter(|c| {
                                c.record
                                    .mounts
                                    .iter()
                                    .any(|m| m.volume_name() == Some(volume))
                            })
                            .map(|c| c.id().to_owned())
                            .collect()
                    };
                    store.remove(name, &in_use)
                });
                match removed {
                    Ok(()) => println!("{name}"),
                    Err(error) => {
                        print_error(&error);
                        code = 1;
                    }
                }
            }
            code
        }
        VolumeCommand::Inspect(args) => {
            let mut found = Vec::new();
            let mut code = 0;
            for name in &args.volumes {
                match VolumeStore::open(root)
                    .and_then(|store| Ok(store.inspect_json(&store.get(name)?)))
                {
                    Ok(value) => found.push(value),
                    Err(error) => {
                        print_error(&error);
                        code = 1;
                    }
                }
            }
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            if serde::Serialize::serialize(&found, &mut serializer).is_ok() {
                println!("{}", String::from_utf8_lossy(&out));
            }
            code
        }
    }
}
