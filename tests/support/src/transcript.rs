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

/// A console session for the book: commands as the reader types them, and what they print.
#[derive(Debug, Default)]
pub struct Session {
    text: String,
    replacements: Vec<(String, String)>,
}

impl Session {
    pub fn new() -> Self {
        Session::default()
    }

    /// Shows `actual` (a temporary path, say) as `shown` in everything recorded later.
    pub fn replace(&mut self, actual: impl Into<String>, shown: impl Into<String>) -> &mut Self {
        self.replacements.push((actual.into(), shown.into()));
        self
    }

    fn clean(&self, raw: &str) -> String {
        let replaced = self
            .replacements
            .iter()
            .fold(raw.to_owned(), |text, (actual, shown)| {
                text.replace(actual, shown)
            });
        crate::normalize(&replaced)
    }

    /// Records `shown` (the command line as the book prints it) and its output: stdout, then
    /// stderr, normalised; then `echo $?` when the exit code is not zero.
    pub fn record(&mut self, shown: &str, output: &std::process::Output) -> &mut Self {
        self.text.push_str(&format!("$ {shown}\n"));
        for stream in [&output.stdout, &output.stderr] {
            let text = self.clean(&String::from_utf8_lossy(stream));
            self.text.push_str(&text);
            if !text.is_empty() && !text.ends_with('\n') {
                self.text.push('\n');
            }
        }
        let code = output.status.code().unwrap_or(-1);
        if code != 0 {
            self.text.push_str(&format!("$ echo $?\n{code}\n"));
        }
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Compares the session with its book transcript (see [`assert_transcript`]).
    pub fn assert_matches_book(&self, name: &str) {
        assert_transcript(name, &self.text);
    }
}
