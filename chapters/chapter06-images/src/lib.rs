//! # Chapter 6 — images: a content-addressed store like /var/lib/docker
//!
//! (work in progress: the module map is completed as the modules land)

pub mod blobs;
pub mod changes;
pub mod commit;
pub mod compression;
pub mod config;
pub mod digest;
pub mod format;
pub mod imagedb;
pub mod import;
pub mod layers;
pub mod listing;
pub mod load;
pub mod manifest;
pub mod progress;
pub mod pull;
pub mod reference;
pub mod registry;
pub mod remove;
pub mod repositories;
pub mod run_image;
pub mod save;
pub mod store;
pub mod tar_split;

pub use chapter05;
pub use config::ImageConfig;
pub use digest::Digest;
pub use reference::Reference;
pub use store::{Image, ImageStore, StoreLock};
