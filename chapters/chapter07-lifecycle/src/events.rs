//! The event log behind `mini-docker events`, kept without a daemon.
//!
//! Docker's daemon keeps events in memory and streams them to `docker events` clients. We have
//! no daemon, so every process that changes a container (the CLI for create/rename/kill/rm…,
//! the monitor for start/die/oom/health_status…) appends a JSON line to `<root>/events.log`,
//! and `mini-docker events` reads that file, polling it for new lines when following.
//!
//! - A writer opens the file with `O_APPEND` and writes each line with one write(2): the kernel
//!   moves to the end and writes as one step (see `O_APPEND` in open(2)), so the lines of
//!   concurrent writers never interleave.
//! - A reader trusts complete lines only: a last line without its `\n` may be half written. A
//!   follower keeps the offset of the first unread byte. Lines that do not parse are skipped.
//! - Past 1 MiB the appender that notices renames the file to `events.log.1` (replacing the
//!   older copy). Appends and reads hold a shared flock(2) on `events.lock`, the rename an
//!   exclusive one: no write lands in a renamed file and `read` never sees half a rotation.
//!   A follower keeps its descriptor across the rename (it follows the inode, not the name);
//!   when the path names another inode it reads the old file to its end, then opens the new
//!   one. It misses events only if the file rotates twice within one poll (1 MiB in 100 ms).
//!
//! Left out on purpose: the `label`, `daemon`, `network`… filters and `--format`. Events are
//! listed in append order, which two processes may make a few µs out of time order. Times are
//! printed in UTC where docker uses the local time zone.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

const MAX_LOG_BYTES: u64 = 1024 * 1024;
const POLL_INTERVAL: Duration = Duration::from_millis(100);
const FILTER_KEYS: &[&str] = &["container", "event", "image", "name", "type"];

/// One thing that happened to an object (for now always a container). Serialized as one line
/// of `events.log`: `{"time":"…","type":"container","action":"die","id":"…","attributes":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Not before 1970: humantime cannot print earlier times (it panics).
    #[serde(with = "rfc3339_nanos")]
    pub time: SystemTime,
    /// `container`; later also `image`, `network`, `volume`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `create`, `die`…, possibly with a detail: `exec_start: sh -c echo`.
    pub action: String,
    /// The full 64-hex ID.
    pub id: String,
    /// `image`, `name`, `exitCode`, `signal`…, kept sorted by key as docker prints them.
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// A container event happening now.
    pub fn container(action: &str, id: &str, attributes: &[(&str, &str)]) -> Event {
        Event {
            time: SystemTime::now(),
            kind: "container".into(),
            action: action.into(),
            id: id.into(),
            attributes: attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Docker's line: `2026-11-22T06:04:05.123456789Z container die <id> (exitCode=0, name=web)`.
    pub fn text(&self) -> String {
        let time = humantime::format_rfc3339_nanos(self.time);
        let mut line = format!("{time} {} {} {}", self.kind, self.action, self.id);
        let pairs: Vec<String> = self
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !pairs.is_empty() {
            line.push_str(&format!(" ({})", pairs.join(", ")));
        }
        line
    }
}

/// Times in the log are RFC 3339 strings with nanoseconds: exact, sortable and readable.
mod rfc3339_nanos {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use std::time::SystemTime;

    pub fn serialize<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&humantime::format_rfc3339_nanos(*time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SystemTime, D::Error> {
        humantime::parse_rfc3339(&String::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

/// Which events `mini-docker events` shows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events at or after this time.
    pub since: Option<SystemTime>,
    /// Only events at or before this time; following ends once it has passed.
    pub until: Option<SystemTime>,
    /// `--filter` pairs from [`EventFilter::parse_filters`].
    pub filters: Vec<(String, String)>,
}

impl EventFilter {
    /// Parses `--filter KEY=VALUE` arguments; like docker, keys are case-insensitive.
    pub fn parse_filters(args: &[String]) -> Result<Vec<(String, String)>, String> {
        let parse = |arg: &String| {
            let (key, value) = arg
                .split_once('=')
                .ok_or_else(|| "bad format of filter (expected name=value)".to_string())?;
            let key = key.trim().to_ascii_lowercase();
            if !FILTER_KEYS.contains(&key.as_str()) {
                return Err(format!("invalid filter '{key}'"));
            }
            Ok((key, value.trim().to_string()))
        };
        args.iter().map(parse).collect()
    }

    /// Inside the time window and passing every key: values of one key are alternatives (OR),
    /// different keys must all pass (AND).
    pub fn matches(&self, event: &Event) -> bool {
        let in_window = self.since.map_or(true, |since| event.time >= since)
            && self.until.map_or(true, |until| event.time <= until);
        in_window
            && self.filters.iter().all(|(key, _)| {
                let mut values = self.filters.iter().filter(|(other, _)| other == key);
                values.any(|(_, value)| filter_matches(key, value, event))
            })
    }
}

fn filter_matches(key: &str, value: &str, event: &Event) -> bool {
    let name = event.attributes.get("name").map(String::as_str);
    match key {
        // Like docker: a prefix of the ID (the full or short ID) or of the name.
        "container" => event.id.starts_with(value) || name.is_some_and(|n| n.starts_with(value)),
        "name" => name == Some(value),
        // `exec_start` also selects `exec_start: sh -c echo`.
        "event" => event.action == value || event.action.split(':').next() == Some(value),
        "type" => event.kind == value,
        // `busybox` also selects `busybox:latest`.
        "image" => event
            .attributes
            .get("image")
            .is_some_and(|i| i == value || strip_tag(i) == value),
        _ => false,
    }
}

/// `busybox:1.36` or `busybox@sha256:…` → `busybox`; in `localhost:5000/app` the colon is a port.
fn strip_tag(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

/// The event log of one state root.
#[derive(Debug, Clone)]
pub struct EventLog {
    path: PathBuf,
    rotated: PathBuf,
    lock: PathBuf,
    max_bytes: u64,
    poll_interval: Duration,
}

impl EventLog {
    /// `<state_root>/events.log`, with `events.log.1` and `events.lock` beside it.
    pub fn at(state_root: &Path) -> EventLog {
        EventLog {
            path: state_root.join("events.log"),
            rotated: state_root.join("events.log.1"),
            lock: state_root.join("events.lock"),
            max_bytes: MAX_LOG_BYTES,
            poll_interval: POLL_INTERVAL,
        }
    }

    // ANCHOR: append
    /// Appends one event, opening the file each time: callers are short-lived processes.
    pub fn append(&self, event: &Event) -> io::Result<()> {
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');
        let size = {
            let _shared = self.lock(FlockArg::LockShared)?;
            let opened = OpenOptions::new()
                .append(true)
                .create(true)
                .open(&self.path);
            let mut file = opened.context("cannot open", &self.path)?;
            // One write(2), never a loop: a second write could land after another writer's
            // line and tear ours in two. A file writes short only when the disk is full.
            let written = file.write(&line).context("cannot write", &self.path)?;
            if written != line.len() {
                let short = Err(io::Error::new(io::ErrorKind::WriteZero, "short write"));
                return short.context("cannot write", &self.path);
            }
            file.metadata().context("cannot stat", &self.path)?.len()
        };
        if size > self.max_bytes {
            self.rotate()?;
        }
        Ok(())
    }
    // ANCHOR_END: append

    /// Every stored event (`events.log.1`, then `events.log`) that passes `filter`.
    pub fn read(&self, filter: &EventFilter) -> io::Result<Vec<Event>> {
        let mut events = self.read_stored(true)?.0;
        events.retain(|event| filter.matches(event));
        Ok(events)
    }

    /// Writes the text line of each matching event to `out` until `stop()` returns true or
    /// `filter.until` has passed. Like docker, stored events are shown only with `since`.
    pub fn follow(
        &self,
        filter: &EventFilter,
        out: &mut dyn Write,
        stop: &mut dyn FnMut() -> bool,
    ) -> io::Result<()> {
        let (stored, mut cursor) = self.read_stored(filter.since.is_some())?;
        if filter.since.is_some() && print_until(stored, filter, out)? {
            return Ok(());
        }
        while !stop() {
            // Read the clock before polling, so that the last poll still gets events stamped
            // just before `until`.
            let past_until = filter.until.is_some_and(|until| SystemTime::now() > until);
            if print_until(self.poll(&mut cursor)?, filter, out)? || past_until {
                break;
            }
            thread::sleep(self.poll_interval);
        }
        Ok(())
    }

    /// Under the shared lock, so no rotation happens in between: the events of `events.log.1`
    /// (if `with_rotated`) and `events.log`, and a cursor after the last complete line.
    fn read_stored(&self, with_rotated: bool) -> io::Result<(Vec<Event>, Option<Cursor>)> {
        let _shared = self.lock(FlockArg::LockShared)?;
        let mut events = Vec::new();
        if let (true, Some(mut rotated)) = (with_rotated, Cursor::open(&self.rotated)?) {
            events = rotated.read_new()?;
        }
        let mut cursor = Cursor::open(&self.path)?;
        if let Some(current) = cursor.as_mut() {
            events.extend(current.read_new()?);
        }
        Ok((events, cursor))
    }

    /// The events appended since the last poll, following the log across a rotation.
    fn poll(&self, cursor: &mut Option<Cursor>) -> io::Result<Vec<Event>> {
        // Look at the path *before* reading. If it already names another file, ours has been
        // renamed to events.log.1, and the rename waited for the exclusive lock, so every
        // append to our file has finished: reading it to the end now gets all of its lines.
        let at_path = match fs::metadata(&self.path) {
            Ok(meta) => Some((meta.dev(), meta.ino())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).context("cannot stat", &self.path),
        };
        let mut events = Vec::new();
        if let Some(current) = cursor.as_mut() {
            events = current.read_new()?;
        }
        if at_path != cursor.as_ref().map(|c| c.identity) {
            *cursor = Cursor::open(&self.path)?;
            if let Some(new) = cursor.as_mut() {
                events.extend(new.read_new()?);
            }
        }
        Ok(events)
    }

    fn rotate(&self) -> io::Result<()> {
        let _exclusive = self.lock(FlockArg::LockExclusive)?;
        // Look again: another appender may have rotated while we waited for the lock. If the
        // stat fails, skip this rotation; the next append tries again.
        if fs::metadata(&self.path).map_or(0, |meta| meta.len()) > self.max_bytes {
            fs::rename(&self.path, &self.rotated).context("cannot rename", &self.path)?;
        }
        Ok(())
    }

    /// A flock(2) on `events.lock`, released when dropped. Creates the state root if needed.
    fn lock(&self, kind: FlockArg) -> io::Result<Flock<File>> {
        if let Some(root) = self.lock.parent() {
            fs::create_dir_all(root).context("cannot create", root)?;
        }
        let mut options = OpenOptions::new();
        let file = options
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock);
        let file = file.context("cannot open", &self.lock)?;
        Flock::lock(file, kind)
            .map_err(|(_, errno)| errno.into())
            .context("cannot lock", &self.lock)
    }
}

/// Prints the events that pass `filter`, flushing each line for a reader at the other end of a
/// pipe. Returns true when an event later than `filter.until` ends the stream.
fn print_until(events: Vec<Event>, filter: &EventFilter, out: &mut dyn Write) -> io::Result<bool> {
    for event in events {
        if filter.until.is_some_and(|until| event.time > until) {
            return Ok(true);
        }
        if filter.matches(&event) {
            writeln!(out, "{}", event.text())?;
            out.flush()?;
        }
    }
    Ok(false)
}

/// An open log file and the offset of its first unread byte.
struct Cursor {
    file: File,
    path: PathBuf,
    offset: u64,
    /// (device, inode): tells a rotation apart from growth.
    identity: (u64, u64),
}

impl Cursor {
    /// `None` if there is no such file (yet).
    fn open(path: &Path) -> io::Result<Option<Cursor>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context("cannot open", path),
        };
        let meta = file.metadata().context("cannot stat", path)?;
        let (path, identity) = (path.to_path_buf(), (meta.dev(), meta.ino()));
        Ok(Some(Cursor {
            file,
            path,
            offset: 0,
            identity,
        }))
    }

    /// The events in the complete lines written since the last call.
    fn read_new(&mut self) -> io::Result<Vec<Event>> {
        let mut bytes = Vec::new();
        let read = self.file.seek(SeekFrom::Start(self.offset));
        read.and_then(|_| self.file.read_to_end(&mut bytes))
            .context("cannot read", &self.path)?;
        // A last line without its '\n' may still be being written: keep it for next time.
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        self.offset += complete as u64;
        let lines = bytes[..complete].split(|&b| b == b'\n');
        // Skip damaged lines (and the empty piece after the last '\n').
        Ok(lines
            .filter_map(|line| serde_json::from_slice(line).ok())
            .collect())
    }
}

/// Names what failed on which file: `cannot open /x/events.log: Permission denied (os error 13)`.
trait Context<T> {
    fn context(self, what: &str, path: &Path) -> io::Result<T>;
}

impl<T> Context<T> for io::Result<T> {
    fn context(self, what: &str, path: &Path) -> io::Result<T> {
        self.map_err(|e| io::Error::new(e.kind(), format!("{what} {}: {e}", path.display())))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    use std::time::UNIX_EPOCH;

    const ID: &str = "3f2a8d1c5b7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182";
    const NOV_22: u64 = 1_795_327_445; // 2026-11-22T06:04:05Z

    fn event_at(secs: u64, action: &str, attributes: &[(&str, &str)]) -> Event {
        let mut event = Event::container(action, ID, attributes);
        event.time = UNIX_EPOCH + Duration::new(secs, 123_456_789);
        event
    }

    fn top(seq: usize) -> Event {
        Event::container("top", ID, &[("seq", &seq.to_string())])
    }

    fn seqs(events: &[Event]) -> Vec<usize> {
        events
            .iter()
            .map(|e| e.attributes["seq"].parse().unwrap())
            .collect()
    }

    fn filter(args: &[&str]) -> EventFilter {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        EventFilter {
            filters: EventFilter::parse_filters(&args).unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn text_is_dockers_line() {
        let die = event_at(
            NOV_22,
            "die",
            &[("name", "web"), ("image", "busybox"), ("exitCode", "0")],
        );
        let time = "2026-11-22T06:04:05.123456789Z";
        let expected = format!("{time} container die {ID} (exitCode=0, image=busybox, name=web)");
        assert_eq!(die.text(), expected);
        let exec = event_at(NOV_22, "exec_start: sh -c echo", &[]);
        assert_eq!(
            exec.text(),
            format!("{time} container exec_start: sh -c echo {ID}")
        );
    }

    #[test]
    fn events_round_trip_as_json_lines_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::at(dir.path());
        let create = event_at(NOV_22, "create", &[("name", "web"), ("image", "busybox")]);
        let (create, top_1) = (create, top(1));
        log.append(&create).unwrap();
        log.append(&top_1).unwrap();
        let path = dir.path().join("events.log");
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"time\":\"20")
            .unwrap();
        assert_eq!(log.read(&EventFilter::default()).unwrap(), [create, top_1]);
        let expected = serde_json::json!({"time": "2026-11-22T06:04:05.123456789Z",
            "type": "container", "action": "create", "id": ID,
            "attributes": {"image": "busybox", "name": "web"}});
        let first_line = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert_eq!(first_line, expected.to_string());
    }

    #[test]
    fn filter_parsing_and_matching() {
        let parse = |arg: &str| EventFilter::parse_filters(&[arg.to_string()]);
        assert_eq!(parse("foo=bar"), Err("invalid filter 'foo'".into()));
        assert_eq!(
            parse("container"),
            Err("bad format of filter (expected name=value)".into())
        );
        assert_eq!(
            parse(" Event = die "),
            Ok(vec![("event".into(), "die".into())])
        );
        let die = event_at(1, "die", &[("name", "web"), ("image", "busybox:latest")]);
        let exec = event_at(1, "exec_start: sh -c echo", &[("name", "db")]);
        let full_id = format!("container={ID}");
        // (filters, passes `die`, passes `exec`)
        let cases: &[(&[&str], bool, bool)] = &[
            (&["container=web"], true, false),
            (&["container=3f2a8d1c5b7e"], true, true),
            (&[&full_id], true, true),
            (&["name=web"], true, false),
            (&["name=we"], false, false),
            (&["event=die"], true, false),
            (&["event=exec_start"], false, true),
            (&["event=exec_start: sh -c echo"], false, true),
            (&["type=container"], true, true),
            (&["type=image"], false, false),
            (&["image=busybox"], true, false),
            (&["image=busybox:latest"], true, false),
            (&["event=start", "event=die"], true, false), // same key: OR
            (&["event=die", "name=db"], false, false),    // different keys: AND
            (&["event=exec_start", "name=web", "name=db"], false, true),
        ];
        for (args, die_passes, exec_passes) in cases {
            assert_eq!(filter(args).matches(&die), *die_passes, "{args:?} on die");
            assert_eq!(
                filter(args).matches(&exec),
                *exec_passes,
                "{args:?} on exec_start"
            );
        }
    }

    #[test]
    fn since_and_until_are_inclusive_in_read_and_follow() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::at(dir.path());
        (1..=5).for_each(|secs| log.append(&event_at(secs, "start", &[])).unwrap());
        let (since, until) = (event_at(2, "", &[]).time, event_at(4, "", &[]).time);
        let window = EventFilter {
            since: Some(since),
            until: Some(until),
            filters: vec![],
        };
        let expected: Vec<Event> = (2..=4).map(|secs| event_at(secs, "start", &[])).collect();
        assert_eq!(log.read(&window).unwrap(), expected);
        let mut out = Vec::new();
        log.follow(&window, &mut out, &mut || false).unwrap(); // returns: `until` has passed
        let texts: Vec<String> = expected.iter().map(|e| e.text() + "\n").collect();
        assert_eq!(String::from_utf8(out).unwrap(), texts.concat());
    }

    #[test]
    fn concurrent_appends_never_mangle_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::at(dir.path());
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let log = log.clone();
                thread::spawn(move || {
                    (0..200).for_each(|n| log.append(&top(writer * 200 + n)).unwrap())
                })
            })
            .collect();
        writers
            .into_iter()
            .for_each(|writer| writer.join().unwrap());
        let raw = fs::read_to_string(dir.path().join("events.log")).unwrap();
        assert_eq!(raw.lines().count(), 1600);
        let mut seen = seqs(&log.read(&EventFilter::default()).unwrap());
        seen.sort();
        assert_eq!(seen, (0..1600).collect::<Vec<_>>());
    }

    #[test]
    fn rotation_bounds_the_files_and_keeps_the_newest_events() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog {
            max_bytes: 2000,
            ..EventLog::at(dir.path())
        };
        (0..100).for_each(|seq| log.append(&top(seq)).unwrap());
        for name in ["events.log", "events.log.1"] {
            assert!(fs::metadata(dir.path().join(name)).unwrap().len() <= 2000 + 200);
        }
        let kept = seqs(&log.read(&EventFilter::default()).unwrap());
        assert!(kept.len() > 10 && kept.len() < 30, "{}", kept.len());
        assert_eq!(kept, (100 - kept.len()..100).collect::<Vec<_>>());
    }

    #[test]
    fn poll_waits_for_whole_lines_and_drains_a_rotated_file_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::at(dir.path());
        let (_, mut cursor) = log.read_stored(false).unwrap();
        // A line written in two pieces, as a reader may see a writer in the middle of one.
        let line = serde_json::to_vec(&top(0)).unwrap();
        let mut file = File::create(dir.path().join("events.log")).unwrap();
        file.write_all(&line[..20]).unwrap();
        assert!(log.poll(&mut cursor).unwrap().is_empty());
        file.write_all(&line[20..]).unwrap();
        file.write_all(b"\n").unwrap();
        assert_eq!(seqs(&log.poll(&mut cursor).unwrap()), [0]);
        log.append(&top(1)).unwrap(); // written before the rotation, not yet polled
        let eager = EventLog {
            max_bytes: 0,
            ..log.clone()
        };
        eager.rotate().unwrap();
        log.append(&top(2)).unwrap();
        assert_eq!(seqs(&log.poll(&mut cursor).unwrap()), [1, 2]);
    }

    #[test]
    fn follow_streams_new_events_across_rotations_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let poll_interval = Duration::from_millis(5);
        let log = EventLog {
            max_bytes: 16_000,
            poll_interval,
            ..EventLog::at(dir.path())
        };
        log.append(&top(999)).unwrap(); // stored before following: not shown
        let (following, written) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (follower_log, flags) = (log.clone(), (following.clone(), written.clone()));
        let follower = thread::spawn(move || {
            let (mut out, mut polls_after_writer) = (Vec::new(), 0);
            let mut stop = || {
                flags.0.store(true, SeqCst); // `follow` has read past the stored events
                polls_after_writer += usize::from(flags.1.load(SeqCst));
                polls_after_writer > 2
            };
            follower_log
                .follow(&filter(&["event=top"]), &mut out, &mut stop)
                .unwrap();
            String::from_utf8(out).unwrap()
        });
        while !following.load(SeqCst) {
            thread::sleep(Duration::from_millis(1));
        }
        for seq in 0..250 {
            log.append(&top(seq)).unwrap();
            log.append(&Event::container("start", ID, &[])).unwrap(); // filtered out
            thread::sleep(Duration::from_millis(1));
        }
        written.store(true, SeqCst);
        let out = follower.join().unwrap();
        assert!(
            dir.path().join("events.log.1").exists(),
            "the log must have rotated"
        );
        let seen: Vec<&str> = out
            .lines()
            .map(|line| line.split("seq=").nth(1).unwrap())
            .collect();
        assert_eq!(
            seen,
            (0..250).map(|seq| format!("{seq})")).collect::<Vec<_>>()
        );
    }
}
