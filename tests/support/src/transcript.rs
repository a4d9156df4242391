//! Book transcripts produced by tests.
//!
//! The console output shown in the book lives in `book/src/transcripts/<name>.txt`. A live test
//! runs the real command, normalises the output ([`crate::normalize`]) and calls
//! [`assert_transcript`]: it fails when the file differs, so the book cannot drift from what the
//! code does. `UPDATE_TRANSCRIPTS=1 cargo xtask test` rewrites the files instead.

use std::path::PathBuf;

/// The transcripts folder of the book, found from this crate's manifest directory.
pub fn transcripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../book/src/transcripts")
}

/// Compares `actual` with `book/src/transcripts/<name>.txt`, or writes it when
/// `UPDATE_TRANSCRIPTS` is set.
pub fn assert_transcript(name: &str, actual: &str) {
    let path = transcripts_dir().join(format!("{name}.txt"));
    let update = std::env::var_os("UPDATE_TRANSCRIPTS").is_some_and(|v| v != "0");
    if update {
        std::fs::create_dir_all(transcripts_dir()).expect("cannot create book/src/transcripts");
        std::fs::write(&path, actual).expect("cannot write the transcript");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "transcript {} missing ({error}); create it with UPDATE_TRANSCRIPTS=1",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "book transcript {} drifted from what the code prints.\n--- book ---\n{expected}\n--- now ---\n{actual}\n\
         If the change is intended, run with UPDATE_TRANSCRIPTS=1 and review the diff.",
        path.display()
    );
}
