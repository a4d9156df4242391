//! # Chapter 6 — images: a content-addressed store like /var/lib/docker
//!
//! (work in progress: the module map is completed as the modules land)

pub mod digest;
pub mod layers;
pub mod tar_split;

pub use chapter05;
pub use digest::Digest;
