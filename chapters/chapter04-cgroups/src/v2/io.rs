//! v2 `io`: `io.bfq.weight` (the BFQ scheduler's weight, same 1–1000 range as v1), and
//! `io.max` with all four throttles of a device on one line:
//! `MAJ:MIN rbps=N wbps=N riops=N wiops=N`.

use std::collections::BTreeMap;

use crate::plan::{Controller, Write};
use crate::resources::{DeviceNumber, Resources};

pub fn plan(r: &Resources) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(weight) = r.blkio_weight {
        writes.push(
            Write::new(Controller::Io, "io.bfq.weight", weight)
                .or_warn("no BFQ I/O scheduler on this host: block I/O weight discarded"),
        );
    }
    let mut per_device: BTreeMap<DeviceNumber, Vec<String>> = BTreeMap::new();
    for (key, rates) in [
        ("rbps", &r.device_read_bps),
        ("wbps", &r.device_write_bps),
        ("riops", &r.device_read_iops),
        ("wiops", &r.device_write_iops),
    ] {
        for rate in rates {
            per_device
                .entry(rate.device)
                .or_default()
                .push(format!("{key}={}", rate.rate));
        }
    }
    for (device, limits) in per_device {
        writes.push(Write::new(
            Controller::Io,
            "io.max",
            format!("{device} {}", limits.join(" ")),
        ));
    }
    writes
}
