//! One module per group of commands; each calls the chapter library that implements it.

pub mod archive;
pub mod containers;
pub mod doctor;
pub mod exec;
pub mod fs;
pub mod images;
pub mod network;
pub mod observe;
pub mod pull;
pub mod self_healing;
pub mod volume;

/// Prints an error the way every command does: one line on stderr, prefixed with our name.
pub fn print_error(error: &dyn std::fmt::Display) {
    eprintln!("mini-docker: {error}");
}

/// Runs `work`, printing its error the docker way; the exit code is 0 or the error's.
pub fn report(
    work: impl FnOnce() -> Result<
        (),
        chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError,
    >,
) -> i32 {
    match work() {
        Ok(()) => 0,
        Err(error) => {
            print_error(&error);
            error.exit_code()
        }
    }
}
