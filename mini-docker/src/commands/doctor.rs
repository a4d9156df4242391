//! `mini-docker doctor`: the host checks of chapter 3.

use chapter06::chapter05::chapter04::chapter03::doctor::{diagnose, HostFacts, Report};

pub fn doctor() -> i32 {
    let checks = diagnose(&HostFacts::gather());
    let report = Report(&checks);
    print!("{report}");
    i32::from(report.failed())
}
