//! `mini-docker pull`, and the pull `run` does for an image it does not have (chapter 6).

use std::io::{IsTerminal, Write};
use std::path::Path;

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::progress::{PlainProgress, Progress, TerminalProgress};
use chapter06::pull::Pulled;
use chapter06::{Digest, ImageStore, Reference};

use super::report;
use crate::cli::PullArgs;

pub fn pull(root: &Path, args: PullArgs) -> i32 {
    report(|| {
        let reference = Reference::parse(&args.reference).map_err(ContainerError::Invalid)?;
        let store = ImageStore::open(root)?;
        if args.quiet {
            pull_with(&store, &reference, &PlainProgress::new(std::io::sink()))?;
            println!("{}", full_name(&reference));
            return Ok(());
        }
        pull_reporting(&store, &reference, Output::Stdout).map(|_| ())
    })
}

/// Where a pull's report goes: stdout for `pull`, stderr for the pull `run` does (its
/// stdout is the container's).
#[derive(Clone, Copy)]
pub enum Output {
    Stdout,
    Stderr,
}

/// Pulls with docker's output: progress, then the digest, the status and the full name.
pub fn pull_reporting(
    store: &ImageStore,
    reference: &Reference,
    output: Output,
) -> Result<Digest, ContainerError> {
    let (terminal, sink): (bool, Box<dyn Write + Send>) = match output {
        Output::Stdout => (std::io::stdout().is_terminal(), Box::new(std::io::stdout())),
        Output::Stderr => (std::io::stderr().is_terminal(), Box::new(std::io::stderr())),
    };
    let progress: Box<dyn Progress> = if terminal {
        Box::new(TerminalProgress::new(sink))
    } else {
        Box::new(PlainProgress::new(sink))
    };
    let pulled = pull_with(store, reference, progress.as_ref())?;
    let status = if pulled.up_to_date {
        "Image is up to date for"
    } else {
        "Downloaded newer image for"
    };
    progress.line(&format!("Digest: {}", pulled.manifest_digest));
    progress.line(&format!("Status: {status} {reference}"));
    if let Output::Stdout = output {
        progress.line(&full_name(reference));
    }
    Ok(pulled.id)
}

fn pull_with(
    store: &ImageStore,
    reference: &Reference,
    progress: &dyn Progress,
) -> Result<Pulled, ContainerError> {
    chapter06::pull::pull(store, reference, progress)
}

/// `docker.io/library/busybox:latest`: the name with nothing left implicit.
fn full_name(reference: &Reference) -> String {
    let mut name = format!("{}/{}", reference.domain, reference.path);
    if let Some(tag) = &reference.tag {
        name.push_str(&format!(":{tag}"));
    }
    if let Some(digest) = &reference.digest {
        name.push_str(&format!("@{digest}"));
    }
    name
}
