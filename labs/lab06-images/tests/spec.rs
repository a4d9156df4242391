//! Lab 6 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use lab06::{
    chain_id, chain_ids, diff_ids, image_id, parse_digest, sha256_digest, top_chain_id,
    unpack_verified, UnpackedLayer,
};
use sha2::{Digest as _, Sha256};
use testkit::TempRoot;

/// The DiffIDs of seed 002's `mysql:5.7.29` image, bottom layer first.
const MYSQL_DIFF_IDS: [&str; 11] = [
    "sha256:f2cb0ecef392f2a630fa1205b874ab2e2aedf96de04d0b8838e4e728e28142da",
    "sha256:a9f6b7c7101b86ffaa53dc29638e577dabf5b24150577a59199d8554d7ce2921",
    "sha256:0c615b40cc37ed667e9cbaf33b726fe986d23e5b2588b7acbd9288c92b8716b6",
    "sha256:ad160f341db9317284bba805a3fe9112d868b272041933552df5ea14647ec54a",
    "sha256:1ea6ef84dc3af6506c26753e9e2cf7c0d6c1c743102b85ebd3ee5e357d7e9bc4",
    "sha256:6fce4d95d4af3777f3e3452e5d17612b7396a36bf0cb588ba2ae1b71d139bab9",
    "sha256:6de3946ea0137e75dcc43a3a081d10dda2fec0d065627a03800a99e4abe2ede4",
    "sha256:a35a4bacba4d5402b85ee6e898b95cc71462bc071078941cbe8c77a6ce2fca62",
    "sha256:1ff9500bdff4455fa89a808685622b64790c321da101d27c17b710f7be2e0e7e",
    "sha256:1cf663d0cb7a52a3a33a7c84ff5290b80966921ee8d3cb11592da332b4a9e016",
    "sha256:bcb387cbc5bcbc8b5c33fbfadbce4287522719db43d3e3a286da74492b7d6eca",
];

/// Their ChainIDs: the names of the image's directories under `layerdb/sha256/`.
const MYSQL_CHAIN_IDS: [&str; 11] = [
    "sha256:f2cb0ecef392f2a630fa1205b874ab2e2aedf96de04d0b8838e4e728e28142da",
    "sha256:bbb9cccab59a16cb6da78f8879e9d07a19e3a8d49010ab9c98a2c348fa116c87",
    "sha256:c8420ebfba3078cd14bed76ee7d244b6ce4abad47f4f4843682eea6f03bd575e",
    "sha256:c92180bc575fea05e5dd83cbad7d2fd1852732f162b00818b101b2baabda04ac",
    "sha256:b1dbb44d9f303b7b24defc06cc8b6c58a38a0c3ed7e917adc309d5a75926dace",
    "sha256:f145e1f715e622fbdb1677a24ca723e52a4bd921ad656faab61f537d3f326c4a",
    "sha256:1dc77e60e1b82d40abf76f305b0854f0e3ad0352f7e18372344b955b84dfe9f5",
    "sha256:5cd9d4347b459686f266ba69f45cd6f971f64e69850b429b3d2d6b78c5eb037a",
    "sha256:9632bc61e24278c76b3585baaf2519305d84360e17033e28d6561f4033bab424",
    "sha256:a29b5a5fab409328504a4486251d0950d7d188ee1927386e4235f73a19cdba53",
    "sha256:16dedb296908d59a876ecd8e4bc95558a5e8ed31f4800299cb9534e23d2e87bc",
];

const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The spec's own SHA-256, to check against.
fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// A config like seed 002's mysql one (compact, as docker writes it).
fn mysql_config() -> String {
    let ids: Vec<String> = MYSQL_DIFF_IDS
        .iter()
        .map(|id| format!("\"{id}\""))
        .collect();
    format!(
        concat!(
            r#"{{"architecture":"amd64","config":{{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","#,
            r#""MYSQL_MAJOR=5.7","MYSQL_VERSION=5.7.29-1debian10"],"Entrypoint":["docker-entrypoint.sh"],"Cmd":["mysqld"],"#,
            r#""ExposedPorts":{{"3306/tcp":{{}},"33060/tcp":{{}}}}}},"created":"2020-02-26T22:36:55.219014389Z","#,
            r#""docker_version":"18.09.7","history":[{{"created":"2020-02-26T00:37:39.301114984Z","#,
            r#""created_by":"/bin/sh -c #(nop) ADD file:e5a364615e0f690 in / "}},{{"created":"2020-02-26T00:37:39.539101838Z","#,
            r#""created_by":"/bin/sh -c #(nop)  CMD [\"bash\"]","empty_layer":true}}],"os":"linux","#,
            r#""rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#
        ),
        ids.join(",")
    )
}

#[test]
fn task1_sha256_digests() {
    assert_eq!(sha256_digest(b""), EMPTY);
    assert_eq!(
        sha256_digest(b"abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256_digest(&vec![b'a'; 1_000_000]),
        "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
    // seed 002: `echo -n "sha256:f2cb… sha256:a9f6…" | sha256sum`
    let text = format!("{} {}", MYSQL_DIFF_IDS[0], MYSQL_DIFF_IDS[1]);
    assert_eq!(sha256_digest(text.as_bytes()), MYSQL_CHAIN_IDS[1]);
    let bytes: Vec<u8> = (0..=255).cycle().take(70_001).collect();
    assert_eq!(sha256_digest(&bytes), sha256(&bytes));
}

#[test]
fn task1_digests_are_parsed_strictly() {
    for digest in MYSQL_DIFF_IDS.iter().chain([&EMPTY]) {
        assert_eq!(parse_digest(digest), Ok(digest[7..].to_owned()), "{digest}");
    }
    let hex = &MYSQL_DIFF_IDS[0][7..];
    let refused = [
        String::new(),
        "sha256:".to_owned(),
        "sha256".to_owned(),
        "md5:d41d8cd98f00b204e9800998ecf8427e".to_owned(),
        format!("sha512:{hex}{hex}"),
        format!("SHA256:{hex}"),
        format!("sha-256:{hex}"),
        hex.to_owned(),
        format!(":{hex}"),
        format!("sha256:{}", &hex[1..]),
        format!("sha256:{hex}0"),
        format!("sha256:{}", hex.to_uppercase()),
        format!("sha256:{}g", &hex[1..]),
        format!("sha256: {}", &hex[1..]),
        format!("sha256:sha256:{}", &hex[7..]),
    ];
    for text in &refused {
        let error = parse_digest(text).unwrap_err();
        assert!(error.contains(&format!("\"{text}\"")), "{text:?}: {error}");
    }
    // A trailing newline, as `cat layerdb/sha256/<id>/diff` might give: not trimmed.
    assert!(parse_digest(&format!("sha256:{hex}\n")).is_err());
}

#[test]
fn task2_a_bottom_layers_chain_id_is_its_diff_id() {
    for diff_id in [MYSQL_DIFF_IDS[0], MYSQL_DIFF_IDS[7], EMPTY] {
        assert_eq!(chain_id(None, diff_id), Ok(diff_id.to_owned()));
    }
    let error = chain_id(None, "sha256:abc").unwrap_err();
    assert!(error.contains("\"sha256:abc\""), "{error}");
    let error = chain_id(Some("f2cb0ecef392"), MYSQL_DIFF_IDS[1]).unwrap_err();
    assert!(error.contains("\"f2cb0ecef392\""), "{error}");
    let error = chain_id(Some(MYSQL_DIFF_IDS[0]), "a9f6b7c7101b").unwrap_err();
    assert!(error.contains("\"a9f6b7c7101b\""), "{error}");
}

#[test]
fn task2_the_seed_002_chain_id() {
    assert_eq!(
        chain_id(Some(MYSQL_DIFF_IDS[0]), MYSQL_DIFF_IDS[1]),
        Ok("sha256:bbb9cccab59a16cb6da78f8879e9d07a19e3a8d49010ab9c98a2c348fa116c87".to_owned())
    );
    // The third layer sits on the chain of the first two, not on the second's DiffID.
    assert_eq!(
        chain_id(Some(MYSQL_CHAIN_IDS[1]), MYSQL_DIFF_IDS[2]),
        Ok(MYSQL_CHAIN_IDS[2].to_owned())
    );
    // Order matters: the same two layers stacked the other way are another filesystem.
    let swapped = chain_id(Some(MYSQL_DIFF_IDS[1]), MYSQL_DIFF_IDS[0]).unwrap();
    assert_eq!(
        swapped,
        sha256(format!("{} {}", MYSQL_DIFF_IDS[1], MYSQL_DIFF_IDS[0]).as_bytes())
    );
    assert_ne!(swapped, MYSQL_CHAIN_IDS[1]);
    // A layer on top of an empty one.
    assert_eq!(
        chain_id(Some(EMPTY), EMPTY),
        Ok(sha256(format!("{EMPTY} {EMPTY}").as_bytes()))
    );
}

#[test]
fn task2_the_chain_ids_of_seed_002s_mysql_image() {
    assert_eq!(
        chain_ids(&MYSQL_DIFF_IDS),
        Ok(MYSQL_CHAIN_IDS.map(String::from).to_vec())
    );
    assert_eq!(chain_ids(&[]), Ok(vec![]));
    assert_eq!(
        chain_ids(&[MYSQL_DIFF_IDS[5]]),
        Ok(vec![MYSQL_DIFF_IDS[5].to_owned()])
    );
    // The same DiffID twice: two layers, two ChainIDs.
    assert_eq!(
        chain_ids(&[EMPTY, EMPTY]),
        Ok(vec![
            EMPTY.to_owned(),
            sha256(format!("{EMPTY} {EMPTY}").as_bytes())
        ])
    );
    let error = chain_ids(&[MYSQL_DIFF_IDS[0], "sha256:xyz", "sha1:abc"]).unwrap_err();
    assert!(error.contains("\"sha256:xyz\""), "{error}");
}

#[test]
fn task3_the_image_id_is_the_digest_of_the_config_bytes() {
    assert_eq!(
        image_id(br#"{"rootfs":{"type":"layers","diff_ids":[]}}"#),
        "sha256:bf3ddafc43cd121d9f11fc7b47e1d9f24aa8038b0d7eff8f9b2da8d6328a0550"
    );
    // The same JSON spaced otherwise: another image.
    assert_eq!(
        image_id(br#"{"rootfs": {"type": "layers", "diff_ids": []}}"#),
        "sha256:6e71a084bf18d433997f2d1d5ffbb0d1038b897dc38f398c668ec541b7a95634"
    );
    let config = mysql_config();
    assert_eq!(image_id(config.as_bytes()), sha256(config.as_bytes()));
    let newline = format!("{config}\n");
    assert_eq!(image_id(newline.as_bytes()), sha256(newline.as_bytes()));
    // Not parsed at all.
    assert_eq!(image_id(b""), EMPTY);
    assert_eq!(image_id(b"not json"), sha256(b"not json"));
}

#[test]
fn task3_diff_ids_are_read_from_the_config() {
    let mysql = mysql_config();
    assert_eq!(
        diff_ids(mysql.as_bytes()),
        Ok(MYSQL_DIFF_IDS.map(String::from).to_vec())
    );
    assert_eq!(
        top_chain_id(mysql.as_bytes()),
        Ok(Some(MYSQL_CHAIN_IDS[10].to_owned()))
    );

    let pretty = format!(
        "{{\n  \"os\": \"linux\",\n  \"rootfs\": {{\n    \"type\": \"layers\",\n    \"diff_ids\": [\n      \"{}\"\n    ]\n  }},\n  \"architecture\": \"arm64\"\n}}\n",
        MYSQL_DIFF_IDS[3]
    );
    assert_eq!(
        diff_ids(pretty.as_bytes()),
        Ok(vec![MYSQL_DIFF_IDS[3].to_owned()])
    );
    assert_eq!(
        top_chain_id(pretty.as_bytes()),
        Ok(Some(MYSQL_DIFF_IDS[3].to_owned()))
    );

    let two = format!(
        r#"{{"rootfs":{{"type":"layers","diff_ids":["{}","{}"]}},"os":"linux"}}"#,
        MYSQL_DIFF_IDS[1], MYSQL_DIFF_IDS[0]
    );
    assert_eq!(
        diff_ids(two.as_bytes()),
        Ok(vec![
            MYSQL_DIFF_IDS[1].to_owned(),
            MYSQL_DIFF_IDS[0].to_owned()
        ])
    );
    assert_eq!(
        top_chain_id(two.as_bytes()),
        Ok(Some(sha256(
            format!("{} {}", MYSQL_DIFF_IDS[1], MYSQL_DIFF_IDS[0]).as_bytes()
        )))
    );

    let empty =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    assert_eq!(diff_ids(empty), Ok(vec![]));
    assert_eq!(top_chain_id(empty), Ok(None));
}

#[test]
fn task3_bad_configs_are_refused() {
    let valid = MYSQL_DIFF_IDS[0];
    let refused: Vec<(String, Option<&str>)> = vec![
        (String::new(), None),
        ("not json".into(), None),
        ("[]".into(), None),
        (r#""rootfs""#.into(), None),
        (r#"{"os":"linux"}"#.into(), None),
        (r#"{"rootfs":"layers"}"#.into(), None),
        (r#"{"rootfs":{"type":"layers"}}"#.into(), None),
        (r#"{"rootfs":{"diff_ids":[]}}"#.into(), None),
        (
            format!(r#"{{"rootfs":{{"type":"layers","diff_ids":"{valid}"}}}}"#),
            None,
        ),
        (
            r#"{"rootfs":{"type":"foo","diff_ids":[]}}"#.into(),
            Some("\"foo\""),
        ),
        (
            r#"{"rootfs":{"type":"Layers","diff_ids":[]}}"#.into(),
            Some("\"Layers\""),
        ),
        (
            r#"{"rootfs":{"type":"layers","diff_ids":["sha256:abc"]}}"#.into(),
            Some("\"sha256:abc\""),
        ),
        (
            format!(
                r#"{{"rootfs":{{"type":"layers","diff_ids":["{valid}","md5:d41d8cd98f00b204e9800998ecf8427e"]}}}}"#
            ),
            Some("\"md5:d41d8cd98f00b204e9800998ecf8427e\""),
        ),
        (
            format!(r#"{{"rootfs":{{"type":"layers","diff_ids":["{valid}",42]}}}}"#),
            None,
        ),
    ];
    for (config, named) in &refused {
        for result in [
            diff_ids(config.as_bytes()).map(|_| ()),
            top_chain_id(config.as_bytes()).map(|_| ()),
        ] {
            let error = result.unwrap_err();
            assert!(
                error.starts_with("invalid image config: "),
                "{config}: {error}"
            );
            if let Some(named) = named {
                assert!(error.contains(named), "{config}: {error}");
            }
        }
    }
}

/// One entry of a test layer: a directory, a file with its content, or a symlink.
enum Kind {
    Dir,
    File(&'static [u8]),
    Symlink(&'static str),
}

/// A layer like seed 001's walkthrough: two whiteouts beside files, one in a directory the
/// tar never names, a symlink, and the `./` entry GNU tar starts with.
const LAYER: [(&str, Kind); 12] = [
    ("./", Kind::Dir),
    ("bin/", Kind::Dir),
    ("bin/busybox", Kind::File(b"busybox binary\n")),
    ("bin/.wh.vi", Kind::File(b"")),
    ("etc/", Kind::Dir),
    ("etc/passwd", Kind::File(b"root:x:0:0:root:/root:/bin/sh\n")),
    ("etc/hostname", Kind::File(b"layer\n")),
    (".wh..profile", Kind::File(b"")),
    ("sbin/", Kind::Dir),
    ("sbin/init", Kind::Symlink("../bin/busybox")),
    ("usr/lib/.wh.libold.so.1", Kind::File(b"")),
    ("var/log/app.log", Kind::File(b"started\n")),
];

/// What LAYER unpacks to, in overlay form (paths sorted).
const UNPACKED: [&str; 15] = [
    ".profile: whiteout",
    "bin: directory",
    "bin/busybox: file \"busybox binary\\n\"",
    "bin/vi: whiteout",
    "etc: directory",
    "etc/hostname: file \"layer\\n\"",
    "etc/passwd: file \"root:x:0:0:root:/root:/bin/sh\\n\"",
    "sbin: directory",
    "sbin/init: symlink to ../bin/busybox",
    "usr: directory",
    "usr/lib: directory",
    "usr/lib/libold.so.1: whiteout",
    "var: directory",
    "var/log: directory",
    "var/log/app.log: file \"started\\n\"",
];

/// A tar of `entries`, each name written as it is (the `tar` crate's `set_path` would refuse
/// `./` and `..`), ending with the two zero blocks and nothing after them.
fn tar_of(entries: &[(&str, Kind)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        let content: &[u8] = match kind {
            Kind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                b""
            }
            Kind::File(content) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(0o644);
                content
            }
            Kind::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_link_name(target).unwrap();
                b""
            }
        };
        header.set_size(content.len() as u64);
        header.set_cksum();
        builder.append(&header, content).unwrap();
    }
    builder.into_inner().unwrap()
}

/// LAYER as GNU tar writes it: padded with zeros to a whole record of 10 240 bytes.
fn layer_tar() -> Vec<u8> {
    let mut tar = tar_of(&LAYER);
    tar.resize(tar.len().next_multiple_of(10240), 0);
    tar
}

/// A reader that hands out at most 97 bytes at a time, like a slow network.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(97);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// A fresh empty target directory.
fn target(root: &TempRoot, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir(&dir).unwrap();
    dir
}

/// Everything below `dir`, one line per entry, sorted by path.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let kind = meta.file_type();
            let line = if kind.is_dir() {
                walk(base, &path, out);
                "directory".to_owned()
            } else if kind.is_file() {
                let content = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                format!("file {content:?}")
            } else if kind.is_symlink() {
                format!(
                    "symlink to {}",
                    std::fs::read_link(&path).unwrap().display()
                )
            } else if kind.is_char_device() && meta.rdev() == 0 {
                "whiteout".to_owned()
            } else {
                format!("something else ({kind:?})")
            };
            out.push((name, line));
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out.into_iter()
        .map(|(name, line)| format!("{name}: {line}"))
        .collect()
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn task4_a_layer_is_unpacked_in_overlay_form() {
    let root = TempRoot::new();
    let dir = target(&root, "layer");
    unpack_verified(layer_tar().as_slice(), &dir, None, None).unwrap();
    assert_eq!(tree(&dir), UNPACKED);
    let dir = target(&root, "on-a-parent");
    unpack_verified(Trickle(&layer_tar()), &dir, Some(MYSQL_CHAIN_IDS[10]), None).unwrap();
    assert_eq!(tree(&dir), UNPACKED);
}

#[test]
fn task4_the_diff_id_covers_the_whole_stream() {
    let root = TempRoot::new();
    let padded = layer_tar();
    let diff_id = sha256(&padded);
    assert_eq!(
        unpack_verified(Trickle(&padded), &target(&root, "padded"), None, None),
        Ok(UnpackedLayer {
            diff_id: diff_id.clone(),
            chain_id: diff_id.clone(),
            entries: 12,
            bytes: 59,
        })
    );

    // The same entries without the padding: another DiffID.
    let bare = tar_of(&LAYER);
    assert!(bare.len() < padded.len());
    let bare_id = sha256(&bare);
    assert_ne!(bare_id, diff_id);
    assert_eq!(
        unpack_verified(bare.as_slice(), &target(&root, "bare"), None, None),
        Ok(UnpackedLayer {
            diff_id: bare_id.clone(),
            chain_id: bare_id,
            entries: 12,
            bytes: 59,
        })
    );

    // On top of seed 002's second layer.
    let parent = MYSQL_CHAIN_IDS[1];
    assert_eq!(
        unpack_verified(Trickle(&padded), &target(&root, "on"), Some(parent), None),
        Ok(UnpackedLayer {
            diff_id: diff_id.clone(),
            chain_id: sha256(format!("{parent} {diff_id}").as_bytes()),
            entries: 12,
            bytes: 59,
        })
    );

    let empty = tar_of(&[]);
    assert_eq!(
        unpack_verified(empty.as_slice(), &target(&root, "empty"), None, None),
        Ok(UnpackedLayer {
            diff_id: sha256(&[0; 1024]),
            chain_id: sha256(&[0; 1024]),
            entries: 0,
            bytes: 0,
        })
    );
}

#[test]
fn task4_a_corrupt_layer_is_refused_and_removed() {
    let root = TempRoot::new();
    let tar = layer_tar();
    let actual = sha256(&tar);

    let dir = target(&root, "right");
    let layer = unpack_verified(Trickle(&tar), &dir, None, Some(&actual)).unwrap();
    assert_eq!(layer.diff_id, actual);
    assert_eq!(tree(&dir), UNPACKED);

    let promised = format!("sha256:{}", "0".repeat(64));
    let dir = target(&root, "wrong");
    assert_eq!(
        unpack_verified(
            Trickle(&tar),
            &dir,
            Some(MYSQL_CHAIN_IDS[0]),
            Some(&promised)
        ),
        Err(format!(
            "layer {promised} is corrupt: its uncompressed content has digest {actual}"
        ))
    );
    assert!(dir.is_dir(), "the target itself stays");
    assert!(is_empty(&dir), "left behind: {:?}", tree(&dir));

    let dir = target(&root, "bad-expected");
    let error = unpack_verified(tar.as_slice(), &dir, None, Some("sha256:nope")).unwrap_err();
    assert!(error.contains("\"sha256:nope\""), "{error}");
    assert!(is_empty(&dir), "written: {:?}", tree(&dir));

    let dir = target(&root, "bad-parent");
    let error = unpack_verified(tar.as_slice(), &dir, Some(&actual[7..]), None).unwrap_err();
    assert!(error.contains(&format!("\"{}\"", &actual[7..])), "{error}");
    assert!(is_empty(&dir), "written: {:?}", tree(&dir));
}

#[test]
fn task4_an_escaping_layer_is_refused() {
    let root = TempRoot::new();
    let dir = target(&root, "target");
    let tar = tar_of(&[
        ("etc/", Kind::Dir),
        ("etc/passwd", Kind::File(b"root:x:0:0::/root:/bin/sh\n")),
        ("../evil", Kind::File(b"escaped\n")),
    ]);
    let error = unpack_verified(tar.as_slice(), &dir, None, None).unwrap_err();
    assert!(error.contains("layer entry \"../evil\""), "{error}");
    assert!(error.contains("\"..\""), "{error}");
    assert!(is_empty(&dir), "left behind: {:?}", tree(&dir));
    assert!(!root.join("evil").exists(), "written outside the target");
}
