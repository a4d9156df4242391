//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).
//!
//! The lab's interface *is* chapter 8's: the four tasks are `plan::veth_name`,
//! `plan::mac_for`, `subnet::choose_subnet` and `plan::plan_endpoint`, and the given types
//! and helpers are the chapter's own, so everything is re-exported as it is. A type changed
//! in the chapter breaks the spec's build against this file, which is what `check-labs` is
//! for.

pub use chapter08::plan::{
    mac_for, mac_text, plan_bridge, plan_endpoint, veth_name, BridgeConfig, LinkStep, Side,
    CONTAINER_DEVICE,
};
pub use chapter08::subnet::{choose_subnet, default_pool, routes_from_proc, Ipv4Net};
