//! Carrying out a [`crate::plan`] with netlink ([`crate::netlink`]).
//!
//! Host-side steps use a netlink socket opened in the host's namespace. Container-side
//! steps need a socket *inside* the container's network namespace: a netlink socket talks
//! to the namespace of the thread that opened it, for its whole life. So we open it on a
//! short-lived thread that first joins the container's namespace with `setns(2)` — only
//! that thread moves (network namespaces are per thread; see setns(2)), the monitor stays
//! where it is.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use nix::sched::CloneFlags;

use crate::netlink::{Netlink, VethPair};
use crate::plan::{LinkStep, Side};

fn failed(step: &LinkStep) -> impl FnOnce(std::io::Error) -> ContainerError + '_ {
    move |error| ContainerError::io(format!("network setup failed at \"{step}\""), error)
}

/// The index of host link `name`, or an error naming it.
fn index_of(netlink: &mut Netlink, name: &str) -> Result<u32, ContainerError> {
    netlink
        .link_index(name)
        .map_err(|error| ContainerError::io(format!("find link {name}"), error))?
        .ok_or_else(|| ContainerError::Invalid(format!("there is no network link {name}")))
}

// ANCHOR: apply
/// Runs `steps` in order. `container_netns` is an open `/proc/PID/ns/net` of the
/// container, needed when a step has a container side.
pub fn apply(steps: &[LinkStep], container_netns: Option<&File>) -> Result<(), ContainerError> {
    let mut host =
        Netlink::open().map_err(|error| ContainerError::io("open a netlink socket", error))?;
    let mut inside: Option<Netlink> = None;
    for step in steps {
        let side = match step {
            LinkStep::AddAddress { side, .. } | LinkStep::LinkUp { side, .. } => *side,
            LinkStep::AddDefaultRoute { .. } => Side::Container,
            _ => Side::Host,
        };
        let netlink = match side {
            Side::Host => &mut host,
            Side::Container => {
                if inside.is_none() {
                    let netns = container_netns.ok_or_else(|| {
                        ContainerError::Invalid(format!("{step}: no container namespace given"))
                    })?;
                    inside = Some(open_inside(netns)?);
                }
                // Just filled in above.
                inside
                    .as_mut()
                    .ok_or_else(|| ContainerError::Invalid("no socket".into()))?
            }
        };
        apply_step(netlink, step, container_netns)?;
    }
    Ok(())
}
// ANCHOR_END: apply

/// How long a start waits for the kernel to finish destroying the last run's veth pair.
const LAST_PAIR_GRACE: Duration = Duration::from_secs(5);

// ANCHOR: create_veth
/// Creates the pair. Its host end is named after the container ([`crate::plan::veth_name`]),
/// so a start soon after the last run ended (`restart`, a restart policy) can find the last
/// run's end still there: nobody deletes it, the kernel destroys the pair with the old
/// network namespace — from a work queue, a little after the last process left it. So a
/// taken name is waited for, not deleted: it is not ours to hurry, and it may not be ours
/// at all. A name that stays taken (a `--network container:` neighbour still holding the
/// old namespace, another container whose id starts with the same seven characters) fails
/// after the wait with the kernel's EEXIST, as it would have at once.
fn create_veth(netlink: &mut Netlink, pair: &VethPair) -> std::io::Result<()> {
    let deadline = Instant::now() + LAST_PAIR_GRACE;
    loop {
        match netlink.create_veth(pair) {
            Err(error)
                if error.kind() == std::io::ErrorKind::AlreadyExists
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}
// ANCHOR_END: create_veth

fn apply_step(
    netlink: &mut Netlink,
    step: &LinkStep,
    container_netns: Option<&File>,
) -> Result<(), ContainerError> {
    match step {
        LinkStep::CreateBridge { name } => netlink.create_bridge(name).map_err(failed(step)),
        LinkStep::CreateVeth {
            host,
            master,
            mtu,
            peer,
            peer_mac,
        } => {
            let netns = container_netns.ok_or_else(|| {
                ContainerError::Invalid(format!("{step}: no container namespace given"))
            })?;
            let pair = VethPair {
                host_name: host.clone(),
                master_index: index_of(netlink, master)?,
                mtu: *mtu,
                peer_name: peer.clone(),
                peer_netns_fd: netns.as_raw_fd(),
                peer_mac: *peer_mac,
            };
            create_veth(netlink, &pair).map_err(failed(step))
        }
        LinkStep::AddAddress {
            device,
            address,
            prefix_len,
            ..
        } => {
            let index = index_of(netlink, device)?;
            match netlink.add_ipv4_address(index, *address, *prefix_len) {
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                other => other.map_err(failed(step)),
            }
        }
        LinkStep::LinkUp { device, .. } => {
            let index = index_of(netlink, device)?;
            netlink.set_up(index).map_err(failed(step))
        }
        LinkStep::AddDefaultRoute { gateway } => {
            netlink.add_default_route(*gateway).map_err(failed(step))
        }
        LinkStep::RouteLocalnet { device } => {
            let path = format!("/proc/sys/net/ipv4/conf/{device}/route_localnet");
            std::fs::write(&path, "1").map_err(failed(step))
        }
    }
}

// ANCHOR: open_inside
/// A netlink socket inside the namespace `netns` (see the module docs).
fn open_inside(netns: &File) -> Result<Netlink, ContainerError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                nix::sched::setns(netns, CloneFlags::CLONE_NEWNET).map_err(|errno| {
                    ContainerError::system("join the container's network namespace", errno)
                })?;
                Netlink::open().map_err(|error| {
                    ContainerError::io("open a netlink socket in the container", error)
                })
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
// ANCHOR_END: open_inside

/// Deletes host link `name` if it exists (deleting one end of a veth pair deletes both).
pub fn delete_link(name: &str) -> Result<(), ContainerError> {
    let mut netlink =
        Netlink::open().map_err(|error| ContainerError::io("open a netlink socket", error))?;
    match netlink.link_index(name) {
        Ok(Some(index)) => match netlink.delete_link(index) {
            // Gone meanwhile (its namespace died): what we wanted.
            Err(error) if error.raw_os_error() == Some(libc::ENODEV) => Ok(()),
            other => {
                other.map_err(|error| ContainerError::io(format!("delete link {name}"), error))
            }
        },
        Ok(None) => Ok(()),
        Err(error) => Err(ContainerError::io(format!("find link {name}"), error)),
    }
}
