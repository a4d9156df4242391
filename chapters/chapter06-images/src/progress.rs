//! What a pull shows while it works: one line per layer.
//!
//! On a terminal the lines are redrawn in place (`a1b2c3d4e5f6: Downloading 1.2MB/4.3MB`),
//! with two ANSI escapes: "cursor up N lines" (`ESC [ N A`) and "erase the line" (`ESC [ 2 K`).
//! Anywhere else — a log, a pipe, a test — only the changes of state are printed, one line
//! each, as docker does when its output is not a terminal.

use std::io::Write;
use std::sync::Mutex;

use crate::format::decimal_size;

/// Where progress goes. Shared by the download threads, so `&self` and `Sync`.
pub trait Progress: Sync {
    /// A layer (by its short id) reached a new state: "Pulling fs layer", "Pull complete"...
    fn status(&self, layer: &str, status: &str);
    /// Bytes of a layer downloaded so far, of `total`.
    fn bytes(&self, layer: &str, done: u64, total: u64);
    /// A line that belongs to no layer ("Digest: …").
    fn line(&self, text: &str);
}

/// Changes of state, one line each.
pub struct PlainProgress<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> PlainProgress<W> {
    pub fn new(out: W) -> Self {
        PlainProgress {
            out: Mutex::new(out),
        }
    }
}

impl<W: Write + Send> Progress for PlainProgress<W> {
    fn status(&self, layer: &str, status: &str) {
        self.line(&format!("{layer}: {status}"));
    }

    fn bytes(&self, _layer: &str, _done: u64, _total: u64) {}

    fn line(&self, text: &str) {
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{text}");
        }
    }
}

/// Layer lines redrawn in place.
pub struct TerminalProgress<W: Write + Send> {
    state: Mutex<Board<W>>,
}

struct Board<W> {
    out: W,
    lines: Vec<(String, String)>,
    drawn: usize,
}

impl<W: Write + Send> TerminalProgress<W> {
    pub fn new(out: W) -> Self {
        TerminalProgress {
            state: Mutex::new(Board {
                out,
                lines: Vec::new(),
                drawn: 0,
            }),
        }
    }

    fn set(&self, layer: &str, text: String) {
        let Ok(mut board) = self.state.lock() else {
            return;
        };
        match board.lines.iter_mut().find(|(id, _)| id == layer) {
            Some(line) => line.1 = text,
            None => board.lines.push((layer.to_owned(), text)),
        }
        board.redraw();
    }
}

impl<W: Write> Board<W> {
    fn redraw(&mut self) {
        let mut frame = String::new();
        if self.drawn > 0 {
            frame.push_str(&format!("\x1b[{}A", self.drawn));
        }
        for (layer, text) in &self.lines {
            frame.push_str(&format!("\x1b[2K{layer}: {text}\n"));
        }
        self.drawn = self.lines.len();
        let _ = self.out.write_all(frame.as_bytes());
        let _ = self.out.flush();
    }
}

impl<W: Write + Send> Progress for TerminalProgress<W> {
    fn status(&self, layer: &str, status: &str) {
        self.set(layer, status.to_owned());
    }

    fn bytes(&self, layer: &str, done: u64, total: u64) {
        const WIDTH: u64 = 30;
        // No total known (0): a full bar.
        let filled = (done.min(total) * WIDTH)
            .checked_div(total)
            .unwrap_or(WIDTH);
        let (filled, width) = (filled as usize, WIDTH as usize);
        let bar = format!(
            "[{}>{}]",
            "=".repeat(filled.saturating_sub(1)),
            " ".repeat(width - filled)
        );
        self.set(
            layer,
            format!(
                "Downloading {bar} {}/{}",
                decimal_size(done),
                decimal_size(total)
            ),
        );
    }

    fn line(&self, text: &str) {
        let Ok(mut board) = self.state.lock() else {
            return;
        };
        // Lines outside the board end it: later layer updates start a new one.
        let _ = writeln!(board.out, "{text}");
        board.lines.clear();
        board.drawn = 0;
    }
}
