//! What a child does between `fork` and `execve`.
//!
//! A [`ChildPlan`] is plain data: an ordered list of [`ChildStep`]s and the [`ExecPlan`] to
//! finish with. The parent builds it (and can print it: that is what the book shows); the
//! child only runs it. Later chapters add their own steps — enter a namespace's gate, mount a
//! filesystem, pivot into a new root — by implementing [`ChildStep`].

use std::fmt;

use nix::errno::Errno;

use crate::exec::ExecPlan;
use crate::steps::{ChangeDirectory, CloseInheritedFds, ResetSignals};

// ANCHOR: child_step
/// One thing the child does before it execs.
///
/// `run` executes in the freshly forked child. It must be async-signal-safe: make system
/// calls, read fields prepared by the parent, but never allocate, lock, or print (see
/// signal-safety(7)). `Display` describes the step for plans and error messages.
pub trait ChildStep: fmt::Display {
    fn run(&self) -> Result<(), Errno>;
}
// ANCHOR_END: child_step

/// The child's whole program: setup steps in order, then the standard last steps of
/// [`ChildPlan::finishing_steps`], then `execve`.
pub struct ChildPlan {
    pub setup: Vec<Box<dyn ChildStep>>,
    pub exec: ExecPlan,
}

impl ChildPlan {
    /// A plan with no setup of its own: only the finishing steps and exec.
    pub fn new(exec: ExecPlan) -> Self {
        ChildPlan {
            setup: Vec::new(),
            exec,
        }
    }

    /// Adds setup steps; they run in the order given, before the finishing steps.
    pub fn with_setup(mut self, steps: Vec<Box<dyn ChildStep>>) -> Self {
        self.setup.extend(steps);
        self
    }

    // ANCHOR: finishing_steps
    /// The steps every child takes last, just before `execve`:
    /// 1. reset signal dispositions and the mask — both survive exec, and a Rust parent
    ///    ignores `SIGPIPE`, which a shell pipeline in the container must not inherit;
    /// 2. mark every inherited descriptor above 2 close-on-exec, so no host file leaks into
    ///    the container (CVE-2024-21626 was a leaked directory fd used as a working directory);
    /// 3. change into the working directory — last, because earlier steps may change the root.
    pub fn finishing_steps(&self) -> Vec<Box<dyn ChildStep>> {
        let mut steps: Vec<Box<dyn ChildStep>> =
            vec![Box::new(ResetSignals), Box::new(CloseInheritedFds)];
        if let Some(cwd) = &self.exec.cwd {
            steps.push(Box::new(ChangeDirectory::new(cwd)));
        }
        steps
    }
    // ANCHOR_END: finishing_steps
}

impl fmt::Display for ChildPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finishing = self.finishing_steps();
        for (number, step) in self.setup.iter().chain(finishing.iter()).enumerate() {
            writeln!(f, "{:>2}. {step}", number + 1)?;
        }
        writeln!(f, "    {}", self.exec)
    }
}
