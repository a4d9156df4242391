//! v1 `blkio`: a proportional weight, and throttles per device (`MAJ:MIN RATE`, one write
//! per device — the file takes one line at a time).

use crate::plan::{Controller, Write};
use crate::resources::{DeviceRate, Resources};

pub fn plan(r: &Resources) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(weight) = r.blkio_weight {
        writes.push(
            Write::new(Controller::Io, "blkio.bfq.weight", weight)
                .or_warn("no BFQ I/O scheduler on this host: block I/O weight discarded"),
        );
    }
    let throttles: [(&'static str, &Vec<DeviceRate>); 4] = [
        ("blkio.throttle.read_bps_device", &r.device_read_bps),
        ("blkio.throttle.write_bps_device", &r.device_write_bps),
        ("blkio.throttle.read_iops_device", &r.device_read_iops),
        ("blkio.throttle.write_iops_device", &r.device_write_iops),
    ];
    for (file, rates) in throttles {
        for rate in rates {
            writes.push(Write::new(
                Controller::Io,
                file,
                format!("{} {}", rate.device, rate.rate),
            ));
        }
    }
    writes
}
