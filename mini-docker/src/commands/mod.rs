//! One module per command; each calls the chapter library that implements it.

pub mod archive;
pub mod doctor;
pub mod images;
pub mod run;

/// Prints an error the way every command does: one line on stderr, prefixed with our name.
pub fn print_error(error: &dyn std::fmt::Display) {
    eprintln!("mini-docker: {error}");
}
