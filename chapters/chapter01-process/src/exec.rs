//! The command a child will `execve(2)`, prepared before the fork.
//!
//! Why prepare? After `fork` in a program that has threads, only async-signal-safe work is
//! allowed in the child (see signal-safety(7)): another thread may have held the allocator's
//! lock at the moment of the fork, and the child's copy of that lock stays locked forever.
//! So everything that needs memory — C strings for argv and envp, the full path of every place
//! `$PATH` says the program could be — is built here, in the parent. The child only walks
//! ready-made arrays.

use std::ffi::{CString, OsStr};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::ContainerError;

/// The search path a container gets when its environment sets none (docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What to execute: the program, its arguments, its environment, and where to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecPlan {
    /// `args[0]` is the program, looked up in `$PATH` unless it contains a `/`.
    pub args: Vec<String>,
    /// `KEY=VALUE` strings, exactly as the process will see them.
    pub env: Vec<String>,
    /// The working directory to change into just before exec; `None` keeps the current one.
    pub cwd: Option<PathBuf>,
}

impl ExecPlan {
    /// A plan that runs `args` with the given environment in the current directory.
    pub fn new(args: Vec<String>, env: Vec<String>) -> Result<Self, ContainerError> {
        if args.is_empty() {
            return Err(ContainerError::Invalid(
                "no command given: say what to run after the options".into(),
            ));
        }
        Ok(ExecPlan {
            args,
            env,
            cwd: None,
        })
    }

    /// Starts the command in `cwd` (resolved in whatever root the child has by then).
    pub fn with_cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// The program as the user wrote it.
    pub fn program(&self) -> &str {
        &self.args[0]
    }

    /// The `PATH` from the plan's own environment, or [`DEFAULT_PATH`].
    pub fn search_path(&self) -> &str {
        self.env
            .iter()
            .find_map(|kv| kv.strip_prefix("PATH="))
            .unwrap_or(DEFAULT_PATH)
    }

    // ANCHOR: candidates
    /// Every path `execve` should try, in order, like `execvp(3)` does: the program itself if it
    /// contains a slash, otherwise each `$PATH` directory joined with it. An empty `$PATH`
    /// entry means the current directory.
    pub fn candidates(&self) -> Vec<PathBuf> {
        let program = self.program();
        if program.contains('/') {
            return vec![PathBuf::from(program)];
        }
        self.search_path()
            .split(':')
            .map(|dir| if dir.is_empty() { "." } else { dir })
            .map(|dir| Path::new(dir).join(program))
            .collect()
    }
    // ANCHOR_END: candidates

    /// Builds the C strings and pointer arrays `execve` takes. Done in the parent.
    pub fn prepare(&self) -> Result<PreparedExec, ContainerError> {
        let to_c = |what: &str, bytes: &[u8]| {
            CString::new(bytes).map_err(|_| {
                ContainerError::Invalid(format!(
                    "{what} {:?} contains a NUL byte",
                    String::from_utf8_lossy(bytes)
                ))
            })
        };
        let argv: Vec<CString> = self
            .args
            .iter()
            .map(|a| to_c("argument", a.as_bytes()))
            .collect::<Result<_, _>>()?;
        let envp: Vec<CString> = self
            .env
            .iter()
            .map(|e| to_c("environment entry", e.as_bytes()))
            .collect::<Result<_, _>>()?;
        let candidates: Vec<CString> = self
            .candidates()
            .iter()
            .map(|p| to_c("path", p.as_os_str().as_bytes()))
            .collect::<Result<_, _>>()?;
        Ok(PreparedExec::new(argv, envp, candidates))
    }
}

impl fmt::Display for ExecPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exec {:?}", self.args)?;
        if let Some(cwd) = &self.cwd {
            write!(f, " in {}", cwd.display())?;
        }
        Ok(())
    }
}

/// argv, envp and the candidate paths as C data, ready for `execve` in the child.
///
/// The pointer arrays point into the `CString`s owned by the same value; a `CString`'s bytes
/// live on the heap and do not move when the value moves, so the pointers stay valid.
pub struct PreparedExec {
    _argv: Vec<CString>,
    _envp: Vec<CString>,
    candidates: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    envp_ptrs: Vec<*const libc::c_char>,
}

impl PreparedExec {
    fn new(argv: Vec<CString>, envp: Vec<CString>, candidates: Vec<CString>) -> Self {
        // execve(2) wants NULL-terminated arrays of pointers.
        let argv_ptrs = argv
            .iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        let envp_ptrs = envp
            .iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        PreparedExec {
            _argv: argv,
            _envp: envp,
            candidates,
            argv_ptrs,
            envp_ptrs,
        }
    }

    // ANCHOR: exec_in_child
    /// Tries each candidate path with `execve(2)`. Returns only if every attempt failed, with
    /// the errno that best explains why — the same choice `execvp(3)` makes: a permission
    /// problem on any candidate beats "not found", because the program *is* there.
    ///
    /// Runs in the child after fork: no allocation, no locks.
    pub fn exec_in_child(&self) -> nix::errno::Errno {
        use nix::errno::Errno;
        let mut best = Errno::ENOENT;
        for path in &self.candidates {
            // SAFETY: `path`, `argv_ptrs` and `envp_ptrs` are valid NUL-terminated strings
            // and NULL-terminated arrays owned by `self`, which outlives this call.
            unsafe {
                libc::execve(
                    path.as_ptr(),
                    self.argv_ptrs.as_ptr(),
                    self.envp_ptrs.as_ptr(),
                );
            }
            match Errno::last() {
                // Not here (or a path component is not a directory): try the next one.
                Errno::ENOENT | Errno::ENOTDIR => {}
                // Found but not runnable: remember it and keep looking, like execvp.
                Errno::EACCES => best = Errno::EACCES,
                // Anything else (ENOEXEC, E2BIG, ELOOP, ...) is final.
                other => return other,
            }
        }
        best
    }
    // ANCHOR_END: exec_in_child

    /// The path that a failure message should name.
    pub fn display_program(&self) -> String {
        self._argv
            .first()
            .map(|c| String::from_utf8_lossy(c.as_bytes()).into_owned())
            .unwrap_or_default()
    }
}

/// The `KEY=VALUE` form of an environment variable, for building [`ExecPlan::env`].
pub fn env_entry(key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> String {
    format!(
        "{}={}",
        key.as_ref().to_string_lossy(),
        value.as_ref().to_string_lossy()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str], env: &[&str]) -> ExecPlan {
        ExecPlan::new(
            args.iter().map(|s| s.to_string()).collect(),
            env.iter().map(|s| s.to_string()).collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_program_with_a_slash_is_not_searched() {
        assert_eq!(
            plan(&["./run.sh"], &["PATH=/bin"]).candidates(),
            vec![PathBuf::from("./run.sh")]
        );
    }

    #[test]
    fn path_comes_from_the_plans_own_environment() {
        assert_eq!(
            plan(&["ls"], &["HOME=/", "PATH=/opt/bin::/bin"]).candidates(),
            vec![
                PathBuf::from("/opt/bin/ls"),
                PathBuf::from("./ls"),
                PathBuf::from("/bin/ls")
            ]
        );
    }

    #[test]
    fn without_path_the_default_is_used() {
        assert_eq!(plan(&["sh"], &[]).candidates().len(), 6);
        assert_eq!(
            plan(&["sh"], &[]).candidates()[0],
            PathBuf::from("/usr/local/sbin/sh")
        );
    }

    #[test]
    fn an_empty_command_is_refused() {
        let error = ExecPlan::new(vec![], vec![]).unwrap_err();
        assert_eq!(error.exit_code(), 125);
    }

    #[test]
    fn nul_bytes_are_refused_before_the_fork() {
        let error = plan(&["echo", "a\0b"], &[]).prepare().err().unwrap();
        assert!(error.to_string().contains("NUL byte"), "{error}");
    }
}
