//! Talking to a registry (the Docker Registry HTTP API v2, which OCI calls the distribution
//! spec): authentication ([`auth`]) and the requests a pull makes ([`client`]).

pub mod auth;
pub mod client;

pub use client::RegistryClient;
