//! Snapshots of chapter 6's pure parts: reading references, and the `images` and `history`
//! tables for fixed rows at a fixed "now".

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use chapter06::digest::{chain_ids, Digest};
use chapter06::listing::{history_table, images_table, HistoryRow, ImageRow};
use chapter06::Reference;

#[test]
fn references_are_read_like_docker() {
    let inputs = [
        "busybox",
        "busybox:1.36",
        "library/busybox:latest",
        "docker.io/library/busybox",
        "team/app:v2",
        "localhost/app",
        "localhost:5000/app:dev",
        "127.0.0.1:5000/team/app",
        "registry.example.com/a/b/c:1.0-rc_1",
        "busybox@sha256:7b3ccabffc97de872a30dfd234fd972a66d247c8cfc69b0550f276481852627c",
        "busybox:1.36@sha256:7b3ccabffc97de872a30dfd234fd972a66d247c8cfc69b0550f276481852627c",
        "Busybox",
        "busybox:",
        "busybox:-x",
        "bus..ybox",
        "a__b/c--d.e_f",
        "busybox@sha256:abc",
        "host:port/app",
        "",
    ];
    let lines: Vec<String> = inputs
        .iter()
        .map(|input| match Reference::parse(input) {
            Ok(r) => format!(
                "{input:?} => domain {} path {} tag {:?} digest {} | shown {r} | api {}",
                r.domain,
                r.path,
                r.tag.as_deref().unwrap_or("-"),
                r.digest
                    .as_ref()
                    .map_or("-".to_owned(), |d| d.short().to_owned()),
                r.api_host()
            ),
            Err(error) => format!("{input:?} => {error}"),
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

fn digest(n: u8) -> Digest {
    Digest::of(&[n])
}

#[test]
fn images_and_history_tables() {
    let now = humantime::parse_rfc3339("2026-11-22T12:00:00Z").unwrap();
    let at = |ago: u64| humantime::format_rfc3339(now - Duration::from_secs(ago)).to_string();
    let rows = vec![
        ImageRow {
            repository: "busybox".into(),
            tag: "latest".into(),
            id: digest(1),
            created: Some(at(3 * 3600)),
            size: 4_261_412,
        },
        ImageRow {
            repository: "127.0.0.1:5000/team/app".into(),
            tag: "v2".into(),
            id: digest(2),
            created: Some(at(90)),
            size: 77_800_000,
        },
        ImageRow {
            repository: "<none>".into(),
            tag: "<none>".into(),
            id: digest(3),
            created: None,
            size: 0,
        },
    ];
    let history = vec![
        HistoryRow {
            image: Some(digest(2)),
            created: Some(at(90)),
            created_by:
                "/bin/sh -c echo a very long command that docker cuts at forty-five characters"
                    .into(),
            size: 1200,
            comment: "".into(),
        },
        HistoryRow {
            image: None,
            created: Some(at(20 * 86400)),
            created_by: String::new(),
            size: 4_261_412,
            comment: "Imported from -".into(),
        },
    ];
    let text = format!(
        "{}\n{}\n{}\n{}",
        images_table(&rows, now, false, false),
        images_table(&rows, now, false, true),
        history_table(&history, now, false, false),
        history_table(&history, now, true, false),
    );
    insta::assert_snapshot!(text);
    assert!(SystemTime::now() > now - Duration::from_secs(1 << 30));
}

#[test]
fn chain_ids_of_a_stack() {
    let diff_ids: Vec<Digest> = (0..3).map(digest).collect();
    let chain = chain_ids(&diff_ids);
    assert_eq!(chain[0], diff_ids[0]);
    assert_eq!(
        chain[1],
        Digest::of(format!("{} {}", diff_ids[0], diff_ids[1]).as_bytes())
    );
    assert_eq!(
        chain[2],
        Digest::of(format!("{} {}", chain[1], diff_ids[2]).as_bytes())
    );
}
