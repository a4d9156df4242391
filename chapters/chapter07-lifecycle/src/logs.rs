//! Container logs in docker's `json-file` format: written by the monitor, read by `logs`.
//!
//! The monitor reads the container's stdout and stderr pipes and appends one JSON object per
//! line, exactly like docker's default log driver:
//!
//! ```text
//! {"log":"hello\n","stream":"stdout","time":"2026-11-22T06:04:05.123456789Z"}
//! ```
//!
//! - Pipes deliver arbitrary chunks: each stream keeps its unfinished line until the newline
//!   arrives (the newline stays in `log`). A line longer than 16 KiB is cut into pieces without
//!   newline, as docker does, so an endless line cannot eat the monitor's memory.
//! - `log` is a JSON string: bytes that are not UTF-8 become U+FFFD (lossy, like docker; a cut
//!   through a character too). Binary output is damaged, but nothing vanishes without a trace.
//! - Each entry reaches the file in one write(2) on an `O_APPEND` descriptor, so a reader sees
//!   whole lines, or an unfinished last line that it leaves for its next read.
//!
//! ## Left out on purpose
//! Rotation (`--log-opt max-size`), other drivers, reading backwards for `--tail` (we read the
//! whole file), inotify (`-f` polls), and docker's `\u003c` escaping of `<>&` (same when decoded).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// An unfinished line is written out in pieces of this size once it grows longer.
pub const MAX_LINE: usize = 16 * 1024;
const FOLLOW_POLL: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of the file, fields in docker's order.
#[derive(Serialize, Deserialize)]
struct JsonLine {
    log: String,
    stream: Stream,
    time: String,
}

/// Appends a container's output to its log file.
pub struct LogWriter {
    file: File,
    path: PathBuf,
    /// The unfinished line of each stream, indexed by `Stream as usize`.
    partial: [Vec<u8>; 2],
}

impl LogWriter {
    /// Opens (or creates, mode 0640) the log file for appending.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut options = OpenOptions::new();
        options.append(true).create(true).mode(0o640);
        let file = options.open(path).map_err(context("cannot open", path))?;
        Ok(LogWriter {
            file,
            path: path.to_path_buf(),
            partial: Default::default(),
        })
    }

    /// Takes a chunk read from one stream's pipe and writes every line it completes.
    pub fn write(&mut self, stream: Stream, bytes: &[u8], now: SystemTime) -> io::Result<()> {
        let partial = &mut self.partial[stream as usize];
        partial.extend_from_slice(bytes);
        let mut written = 0;
        let mut append_lines = || -> io::Result<()> {
            while let Some(len) = next_entry_len(&partial[written..]) {
                append_entry(&self.file, stream, &partial[written..written + len], now)?;
                written += len;
            }
            Ok(())
        };
        let result = append_lines();
        // Forget what reached the file even after a failure, so a later write cannot repeat it.
        partial.drain(..written);
        result.map_err(context("cannot write to", &self.path))
    }

    /// Writes out the unfinished lines, without newline, once the streams have ended.
    pub fn finish(&mut self, now: SystemTime) -> io::Result<()> {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let partial = std::mem::take(&mut self.partial[stream as usize]);
            if !partial.is_empty() {
                append_entry(&self.file, stream, &partial, now)
                    .map_err(context("cannot write to", &self.path))?;
            }
        }
        Ok(())
    }
}

// ANCHOR: log_line
/// How many bytes of `pending` make the next entry: a line with its newline, or the first
/// `MAX_LINE` bytes of a longer one; `None` while a short unfinished line waits for more.
fn next_entry_len(pending: &[u8]) -> Option<usize> {
    match pending.iter().take(MAX_LINE + 1).position(|&b| b == b'\n') {
        Some(newline) => Some(newline + 1),
        None if pending.len() > MAX_LINE => Some(MAX_LINE),
        None => None,
    }
}

/// Encodes one entry and appends it with a single write(2).
fn append_entry(mut file: &File, stream: Stream, log: &[u8], now: SystemTime) -> io::Result<()> {
    let line = JsonLine {
        log: String::from_utf8_lossy(log).into_owned(),
        stream,
        time: rfc3339_nanos(now),
    };
    let mut encoded = serde_json::to_vec(&line).map_err(io::Error::other)?;
    encoded.push(b'\n');
    // O_APPEND moves to the end and writes in one step, see write(2). A regular file takes the
    // whole buffer in that call unless the disk is full, which write_all then reports.
    file.write_all(&encoded)
}
// ANCHOR_END: log_line

/// `2026-11-22T06:04:05.123456789Z`, the form of the file and of `logs -t`.
fn rfc3339_nanos(time: SystemTime) -> String {
    // humantime panics outside years 1970-9999: clamp rather than crash over a bad clock.
    let last = UNIX_EPOCH + Duration::new(253_402_300_799, 999_999_999);
    humantime::format_rfc3339_nanos(time.clamp(UNIX_EPOCH, last)).to_string()
}

/// One decoded line of a log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub stream: Stream,
    pub time: SystemTime,
    pub log: String,
}

/// Reads a log file as it grows, returning only complete lines.
pub struct LogReader {
    path: PathBuf,
    /// Opened by the first read that finds the file; its file offset is where we stopped.
    file: Option<File>,
    /// The bytes of an unfinished last line, kept until the writer completes it.
    unfinished: Vec<u8>,
}

impl LogReader {
    pub fn new(path: &Path) -> Self {
        LogReader {
            path: path.to_path_buf(),
            file: None,
            unfinished: Vec::new(),
        }
    }

    /// The entries completed since the previous call. A missing file has none (yet).
    pub fn read_new(&mut self) -> io::Result<Vec<LogEntry>> {
        let file = match &mut self.file {
            Some(file) => file,
            None => match File::open(&self.path) {
                Ok(file) => self.file.insert(file),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(context("cannot open", &self.path)(e)),
            },
        };
        let read = file.read_to_end(&mut self.unfinished);
        read.map_err(context("cannot read", &self.path))?;
        let Some(last_newline) = self.unfinished.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let complete: Vec<u8> = self.unfinished.drain(..=last_newline).collect();
        let lines = complete.split(|&b| b == b'\n');
        Ok(lines.filter_map(decode_line).collect())
    }
}

/// One entry; `None` for the empty piece after the last newline and for a line that is not an
/// entry (a monitor killed mid-write tears a line, and the next monitor's first line joins it):
/// skipping it beats refusing to show the rest of the log.
fn decode_line(line: &[u8]) -> Option<LogEntry> {
    let JsonLine { log, stream, time } = serde_json::from_slice(line).ok()?;
    let time = humantime::parse_rfc3339(&time).ok()?;
    Some(LogEntry { stream, time, log })
}

/// Every complete entry of a log file (none if there is no file).
pub fn read_entries(path: &Path) -> io::Result<Vec<LogEntry>> {
    LogReader::new(path).read_new()
}

/// What `mini-docker logs` was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Only the last N of the selected entries; `None` = all.
    pub tail: Option<usize>,
    pub since: Option<SystemTime>,
    pub until: Option<SystemTime>,
    /// Prefix each line with its entry's time and a space, like `docker logs -t`.
    pub timestamps: bool,
    pub follow: bool,
}

impl LogOptions {
    fn selects(&self, entry: &LogEntry) -> bool {
        self.since.map_or(true, |since| entry.time >= since)
            && self.until.map_or(true, |until| entry.time <= until)
    }
}

/// Reads `--tail`: `all` or a number of lines.
pub fn parse_tail(value: &str) -> Result<Option<usize>, String> {
    match value {
        "all" => Ok(None),
        _ => value.parse().map(Some).map_err(|_| {
            format!("invalid value for --tail: {value:?} (expected a number of lines or \"all\")")
        }),
    }
}

/// Prints the log: stdout entries to `out`, stderr entries to `err`. With `follow`, goes on
/// printing new lines until `still_running()` says the container has stopped and the file is
/// read to its end, or until `until` has passed.
pub fn show(
    path: &Path,
    options: &LogOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    still_running: &mut dyn FnMut() -> bool,
) -> io::Result<()> {
    let mut print = |entries: &[LogEntry]| -> io::Result<()> {
        for entry in entries.iter().filter(|entry| options.selects(entry)) {
            let sink: &mut dyn Write = match entry.stream {
                Stream::Stdout => &mut *out,
                Stream::Stderr => &mut *err,
            };
            if options.timestamps {
                write!(sink, "{} ", rfc3339_nanos(entry.time))?;
            }
            sink.write_all(entry.log.as_bytes())?;
        }
        // A follower prints to a terminal or a pipe: show each batch now, not when a buffer fills.
        out.flush()?;
        err.flush()
    };
    let mut reader = LogReader::new(path);
    let mut backlog = reader.read_new()?;
    // Select first, so that `--tail N` shows N entries even when `--since` drops older ones.
    backlog.retain(|entry| options.selects(entry));
    let wanted = options.tail.unwrap_or(usize::MAX);
    let skipped = backlog.len().saturating_sub(wanted);
    print(&backlog[skipped..])?;
    if !options.follow {
        return Ok(());
    }
    loop {
        // Both asked *before* reading: once the container is known to have stopped, its monitor
        // has written everything, so the read below reaches the true end of the log.
        let running = still_running();
        let past_until = options.until.is_some_and(|until| SystemTime::now() > until);
        let batch = reader.read_new()?;
        print(&batch)?;
        if !running || past_until {
            return Ok(());
        }
        if batch.is_empty() {
            std::thread::sleep(FOLLOW_POLL);
        }
    }
}

/// Names what failed on which file: `cannot open /x/y: No such file or directory`.
fn context<'a>(action: &'a str, path: &'a Path) -> impl Fn(io::Error) -> io::Error + 'a {
    move |e| io::Error::new(e.kind(), format!("{action} {}: {e}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Stream::{Stderr, Stdout};
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

    fn at(seconds: u64) -> SystemTime {
        let start = humantime::parse_rfc3339("2026-11-22T06:04:05.123456789Z");
        start.unwrap() + Duration::from_secs(seconds)
    }

    fn new_log() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("container-json.log");
        (dir, path)
    }

    /// `stdout:hello\n` for each entry, one after the other.
    fn logs(entries: Vec<LogEntry>) -> String {
        let text = |e: LogEntry| format!("{:?}:{}", e.stream, e.log).to_lowercase();
        entries.into_iter().map(text).collect()
    }

    #[test]
    fn chunks_become_lines_per_stream_in_docker_format() {
        let (_dir, path) = new_log();
        let mut writer = LogWriter::open(&path).unwrap();
        let mut write = |stream, chunk: &[u8]| writer.write(stream, chunk, at(0)).unwrap();
        write(Stdout, b"hel");
        write(Stderr, b"oops");
        write(Stdout, b"lo\nwor");
        write(Stderr, b"!\n");
        write(Stdout, b"ld\n\nBAD \xff\n");
        let text = std::fs::read_to_string(&path).unwrap();
        let hello =
            r#"{"log":"hello\n","stream":"stdout","time":"2026-11-22T06:04:05.123456789Z"}"#;
        assert!(text.starts_with(&format!("{hello}\n")), "{text}");
        let expected = "stdout:hello\nstderr:oops!\nstdout:world\nstdout:\nstdout:bad \u{fffd}\n";
        assert_eq!(logs(read_entries(&path).unwrap()), expected);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o137, 0, "0640 at most, got {mode:o}");
    }

    #[test]
    fn long_lines_are_cut_at_16k_and_finish_flushes_the_rest() {
        let (_dir, path) = new_log();
        let mut writer = LogWriter::open(&path).unwrap();
        let endless = "a".repeat(40_000);
        for chunk in endless.as_bytes().chunks(3_000) {
            writer.write(Stdout, chunk, at(0)).unwrap();
        }
        let exact = format!("{}\n", "b".repeat(MAX_LINE));
        writer.write(Stderr, exact.as_bytes(), at(0)).unwrap();
        assert_eq!(read_entries(&path).unwrap().len(), 3);
        writer.finish(at(1)).unwrap();
        let entries = read_entries(&path).unwrap();
        let logs: Vec<&str> = entries.iter().map(|entry| entry.log.as_str()).collect();
        let lengths: Vec<usize> = logs.iter().map(|log| log.len()).collect();
        assert_eq!(lengths, [MAX_LINE, MAX_LINE, MAX_LINE + 1, 7_232]);
        assert_eq!([logs[0], logs[1], logs[3]].concat(), endless);
        assert_eq!((entries[2].stream, logs[2]), (Stderr, exact.as_str()));
    }

    #[test]
    fn reader_returns_complete_lines_only() {
        let (_dir, path) = new_log();
        let one = r#"{"log":"one\n","stream":"stdout","time":"2026-11-22T06:04:05Z"}"#;
        std::fs::write(&path, format!("{one}\n{{\"log\":\"tw")).unwrap();
        let mut reader = LogReader::new(&path);
        assert_eq!(logs(reader.read_new().unwrap()), "stdout:one\n");
        assert!(reader.read_new().unwrap().is_empty());
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        let rest = br#"o\n","stream":"stderr","time":"2026-11-22T06:04:06.5Z"}"#;
        file.write_all(rest).unwrap();
        assert!(reader.read_new().unwrap().is_empty(), "still no newline");
        file.write_all(b"\nnot json\n").unwrap();
        assert_eq!(logs(reader.read_new().unwrap()), "stderr:two\n");
    }

    fn shown(path: &Path, options: &LogOptions) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        show(path, options, &mut out, &mut err, &mut || false).unwrap();
        let text = |bytes| String::from_utf8(bytes).unwrap();
        (text(out), text(err))
    }

    #[test]
    fn show_selects_with_tail_since_until_and_timestamps() {
        let (_dir, path) = new_log();
        let mut writer = LogWriter::open(&path).unwrap();
        for i in 0..6 {
            let (stream, line) = ([Stdout, Stderr][i as usize % 2], format!("line {i}\n"));
            writer.write(stream, line.as_bytes(), at(i)).unwrap();
        }
        let text = |out: &str, err: &str| (out.to_string(), err.to_string());
        let mut options = LogOptions::default();
        let all = text("line 0\nline 2\nline 4\n", "line 1\nline 3\nline 5\n");
        assert_eq!(shown(&path, &options), all);
        options.tail = Some(2);
        assert_eq!(shown(&path, &options), text("line 4\n", "line 5\n"));
        (options.since, options.until) = (Some(at(2)), Some(at(4)));
        assert_eq!(shown(&path, &options), text("line 4\n", "line 3\n"));
        options.tail = None;
        assert_eq!(shown(&path, &options), text("line 2\nline 4\n", "line 3\n"));
        (options.tail, options.timestamps) = (Some(1), true);
        let stamped = "2026-11-22T06:04:09.123456789Z line 4\n";
        assert_eq!(shown(&path, &options), text(stamped, ""));
        options.tail = Some(0);
        assert_eq!(shown(&path, &options), text("", ""));
        let missing = Path::new("/nonexistent/mini-docker/container-json.log");
        assert_eq!(shown(missing, &LogOptions::default()), text("", ""));
    }

    #[test]
    fn tail_values() {
        assert_eq!(
            (parse_tail("all"), parse_tail("25")),
            (Ok(None), Ok(Some(25)))
        );
        let expected = r#"invalid value for --tail: "-1" (expected a number of lines or "all")"#;
        assert_eq!(parse_tail("-1"), Err(expected.to_string()));
    }

    #[test]
    fn follow_prints_everything_until_the_container_stops() {
        let (_dir, path) = new_log();
        let running = AtomicBool::new(true);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // The file does not exist yet when the follower starts.
                std::thread::sleep(Duration::from_millis(150));
                let mut log = LogWriter::open(&path).unwrap();
                for i in 0..30 {
                    let (chunk, now) = (format!("{i}\nline "), SystemTime::now());
                    log.write(Stdout, chunk.as_bytes(), now).unwrap();
                    std::thread::sleep(Duration::from_millis(10));
                }
                log.write(Stderr, b"no newline", SystemTime::now()).unwrap();
                log.finish(SystemTime::now()).unwrap();
                running.store(false, SeqCst);
            });
            let options = LogOptions {
                follow: true,
                ..LogOptions::default()
            };
            let mut still_running = || running.load(SeqCst);
            show(&path, &options, &mut out, &mut err, &mut still_running).unwrap();
        });
        let expected: String = (0..30).map(|i| format!("{i}\nline ")).collect();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert_eq!(err, b"no newline");
    }

    #[test]
    fn follow_ends_when_until_has_passed() {
        let (_dir, path) = new_log();
        let (started, now) = (std::time::Instant::now(), SystemTime::now());
        LogWriter::open(&path)
            .unwrap()
            .write(Stdout, b"before\n", now)
            .unwrap();
        let mut options = LogOptions::default();
        (options.follow, options.until) = (true, Some(now + Duration::from_millis(300)));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        show(&path, &options, &mut out, &mut err, &mut || true).unwrap();
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5));
        assert_eq!(out, b"before\n");
    }
}
