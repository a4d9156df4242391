//! `-u user[:group]`: which user a container's command runs as.
//!
//! `docker run -u web` and `docker exec -u 1000:staff` take a user and an optional group, each
//! a name or a numeric id. Names mean what the *container's* `/etc/passwd` and `/etc/group`
//! say, not the host's: the image brings its own users. So the lookup cannot happen in the
//! CLI. For `run` the container's root filesystem exists only inside the child's mount
//! namespace (an overlay mounted after `clone`); for `exec` it is the running container's.
//! The lookup therefore runs in the child, as the [`SwitchUser`] step, after `pivot_root` or
//! after joining the container's mount namespace, just before exec.
//!
//! Code between `clone` and `execve` must not allocate (see signal-safety(7)), so the step
//! reads each file into one fixed 64 KiB buffer on its stack and parses it in place, over
//! `&[u8]`. The parsers ([`parse_passwd_line`], [`parse_group_line`]) and the resolution rules
//! ([`match_user`], [`credentials`], [`resolve`]) are pure functions over byte slices: the unit
//! tests call exactly the code the child runs.
//!
//! The rules follow docker (moby's `user.GetExecUser`):
//! - a numeric user matches a passwd entry by uid, a name by name; the first match wins;
//! - a numeric uid without a passwd entry is allowed: uid N, gid 0, no extra groups;
//! - the primary gid comes from the passwd entry, unless a group is given (by name, or as a
//!   number, which need not exist in `/etc/group`);
//! - supplementary groups are every group whose member list names the user — only when no
//!   group was given (docker: "supplementary group ids only make sense in the implicit form");
//! - a name that is not found is an error; ids must lie in 0..=2147483647.
//!
//! ## Left out on purpose
//! - `HOME`: docker sets `HOME` from the passwd entry when the environment has none. The
//!   environment is prepared before the fork, while the passwd entry is read only in the
//!   child, so this module does not touch it.
//! - `--group-add`, and files larger than 64 KiB (the step fails with `EFBIG`), and users in
//!   more than 64 groups (`E2BIG`).
//! - Malformed lines (a uid that is not a number, too few fields) are skipped, where docker
//!   reads such a uid as 0 — which would make a broken line root.

use std::ffi::CStr;
use std::fmt;

use chapter01::ChildStep;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

/// The largest user or group id docker accepts (it keeps ids within a signed 32-bit int).
pub const MAX_ID: u32 = i32::MAX as u32;

/// How many supplementary groups [`SwitchUser`] can set.
pub const MAX_SUPPLEMENTARY_GROUPS: usize = 64;

/// How much of `/etc/passwd` or `/etc/group` the child reads; a larger file is an error.
pub const USER_FILE_LIMIT: usize = 64 * 1024;

/// `LOGIN_NAME_MAX`: a user name longer than this cannot be kept for the group lookup.
const USER_NAME_MAX: usize = 256;

const PASSWD_PATH: &CStr = c"/etc/passwd";
const GROUP_PATH: &CStr = c"/etc/group";

/// One half of a user spec: a name, or a numeric id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOrId {
    Id(u32),
    Name(String),
}

impl NameOrId {
    /// Reads `text` as an id if it is all digits, otherwise as a name. `what` ("user" or
    /// "group") names the field in error messages.
    fn parse(what: &str, text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err(format!("empty {what} name"));
        }
        let digits = text.strip_prefix('-').unwrap_or(text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<u32>() {
                Ok(id) if id <= MAX_ID => Ok(NameOrId::Id(id)),
                _ => Err(format!(
                    "{what} id {text} out of range: ids must be in range 0-{MAX_ID}"
                )),
            };
        }
        // These bytes cannot occur in a name of /etc/passwd or /etc/group (field and line
        // separators), so such a name could never match anything.
        if let Some(bad) = text.chars().find(|c| matches!(c, ':' | '\n' | '\0' | ',')) {
            return Err(format!("invalid {what} name {text:?}: it contains {bad:?}"));
        }
        Ok(NameOrId::Name(text.to_owned()))
    }

    /// Whether an entry with this name and id is the one meant. A numeric spec never matches
    /// by name, so a user named "1000" can only be chosen as uid 1000 (as in docker).
    fn matches(&self, name: &[u8], id: u32) -> bool {
        match self {
            NameOrId::Id(wanted) => *wanted == id,
            NameOrId::Name(wanted) => wanted.as_bytes() == name,
        }
    }
}

impl fmt::Display for NameOrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameOrId::Id(id) => write!(f, "{id}"),
            NameOrId::Name(name) => f.write_str(name),
        }
    }
}

/// The value of `-u`: `user`, `uid`, `user:group`, `uid:gid`, `user:gid` or `uid:group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub user: NameOrId,
    pub group: Option<NameOrId>,
}

impl UserSpec {
    /// Parses the spec; only its syntax is checked here, names are resolved in the container.
    pub fn parse(spec: &str) -> Result<UserSpec, String> {
        let (user, group) = match spec.split_once(':') {
            Some((user, group)) => (user, Some(group)),
            None => (spec, None),
        };
        let user =
            NameOrId::parse("user", user).map_err(|e| format!("invalid user {spec:?}: {e}"))?;
        let group = group
            .map(|group| NameOrId::parse("group", group))
            .transpose()
            .map_err(|e| format!("invalid user {spec:?}: {e}"))?;
        Ok(UserSpec { user, group })
    }
}

impl fmt::Display for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.user)?;
        if let Some(group) = &self.group {
            write!(f, ":{group}")?;
        }
        Ok(())
    }
}

/// One line of `/etc/passwd` (passwd(5)): `name:password:uid:gid:gecos:home:shell`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswdEntry<'a> {
    pub name: &'a [u8],
    pub uid: u32,
    pub gid: u32,
    /// Empty when the line has no home field.
    pub home: &'a [u8],
}

/// One line of `/etc/group` (group(5)): `name:password:gid:member,member,…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupEntry<'a> {
    pub name: &'a [u8],
    pub gid: u32,
    /// The comma-separated member list, as written.
    pub members: &'a [u8],
}

impl GroupEntry<'_> {
    /// Whether `user` is in the member list.
    pub fn lists(&self, user: &[u8]) -> bool {
        !user.is_empty()
            && self
                .members
                .split(|&b| b == b',')
                .any(|member| member == user)
    }
}

/// The lines of a passwd or group file worth parsing: trimmed, without blank lines and
/// `#` comments (glibc accepts both).
fn records(file: &[u8]) -> impl Iterator<Item = &[u8]> {
    file.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty() && line[0] != b'#')
}

/// A decimal id in 0..=[`MAX_ID`]; anything else (empty, signs, overflow) is `None`.
fn parse_id(field: &[u8]) -> Option<u32> {
    if field.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &byte in field {
        let digit = byte.checked_sub(b'0').filter(|d| *d <= 9)?;
        value = value.checked_mul(10)?.checked_add(u32::from(digit))?;
    }
    (value <= MAX_ID).then_some(value)
}

/// Parses one passwd line; `None` for a line without a name or with a bad uid or gid.
pub fn parse_passwd_line(line: &[u8]) -> Option<PasswdEntry<'_>> {
    let mut fields = line.split(|&b| b == b':');
    let name = fields.next().filter(|name| !name.is_empty())?;
    let _password = fields.next()?;
    let uid = parse_id(fields.next()?)?;
    let gid = parse_id(fields.next()?)?;
    let _gecos = fields.next();
    let home = fields.next().unwrap_or_default();
    Some(PasswdEntry {
        name,
        uid,
        gid,
        home,
    })
}

/// Parses one group line; `None` for a line without a name or with a bad gid.
pub fn parse_group_line(line: &[u8]) -> Option<GroupEntry<'_>> {
    let mut fields = line.splitn(4, |&b| b == b':');
    let name = fields.next().filter(|name| !name.is_empty())?;
    let _password = fields.next()?;
    let gid = parse_id(fields.next()?)?;
    let members = fields.next().unwrap_or_default();
    Some(GroupEntry { name, gid, members })
}

/// What `/etc/passwd` said about the user: step one of the resolution.
///
/// The matched name is copied out of the file buffer, because the child reuses that buffer
/// for `/etc/group`, where the name is needed to find the supplementary groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserMatch {
    pub uid: u32,
    pub gid: u32,
    name: [u8; USER_NAME_MAX],
    name_len: usize,
}

impl UserMatch {
    /// The name of the passwd entry; `None` for a numeric uid that has no entry.
    pub fn name(&self) -> Option<&[u8]> {
        (self.name_len > 0).then(|| &self.name[..self.name_len])
    }
}

/// Finds the user in the passwd file (`None`: the container has no `/etc/passwd`).
///
/// Errors: `ENOENT` for a name with no entry (or no file), `ENAMETOOLONG` for an entry whose
/// name exceeds `LOGIN_NAME_MAX`.
pub fn match_user(user: &NameOrId, passwd: Option<&[u8]>) -> Result<UserMatch, Errno> {
    let mut found = UserMatch {
        uid: 0,
        gid: 0,
        name: [0; USER_NAME_MAX],
        name_len: 0,
    };
    let entry = passwd.and_then(|file| {
        records(file)
            .filter_map(parse_passwd_line)
            .find(|entry| user.matches(entry.name, entry.uid))
    });
    match (entry, user) {
        (Some(entry), _) => {
            let name = found
                .name
                .get_mut(..entry.name.len())
                .ok_or(Errno::ENAMETOOLONG)?;
            name.copy_from_slice(entry.name);
            found.name_len = entry.name.len();
            found.uid = entry.uid;
            found.gid = entry.gid;
        }
        // No entry: a bare uid is still fine, with gid 0 (docker's default).
        (None, NameOrId::Id(uid)) => found.uid = *uid,
        (None, NameOrId::Name(_)) => return Err(Errno::ENOENT),
    }
    Ok(found)
}

/// The ids a process ends up with: what [`SwitchUser`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    groups: [u32; MAX_SUPPLEMENTARY_GROUPS],
    group_count: usize,
}

impl Credentials {
    pub fn supplementary_groups(&self) -> &[u32] {
        &self.groups[..self.group_count]
    }
}

/// Whether step two needs `/etc/group` at all: for an explicit group, or for the
/// supplementary groups of a user that has a name.
pub fn needs_group_file(user: &UserMatch, group: Option<&NameOrId>) -> bool {
    group.is_some() || user.name().is_some()
}

/// Step two: the primary gid and the supplementary groups, from the group file (`None`: the
/// container has no `/etc/group`).
///
/// Errors: `ENOENT` for a group name with no entry (or no file), `E2BIG` for a user listed
/// in more than [`MAX_SUPPLEMENTARY_GROUPS`] groups.
pub fn credentials(
    user: &UserMatch,
    group: Option<&NameOrId>,
    group_file: Option<&[u8]>,
) -> Result<Credentials, Errno> {
    let mut result = Credentials {
        uid: user.uid,
        gid: user.gid,
        groups: [0; MAX_SUPPLEMENTARY_GROUPS],
        group_count: 0,
    };
    let entries = || {
        group_file
            .into_iter()
            .flat_map(records)
            .filter_map(parse_group_line)
    };
    match group {
        Some(wanted) => {
            result.gid = match entries().find(|entry| wanted.matches(entry.name, entry.gid)) {
                Some(entry) => entry.gid,
                None => match wanted {
                    NameOrId::Id(gid) => *gid,
                    NameOrId::Name(_) => return Err(Errno::ENOENT),
                },
            };
        }
        None => {
            let Some(name) = user.name() else {
                return Ok(result);
            };
            for entry in entries().filter(|entry| entry.lists(name)) {
                let slot = result
                    .groups
                    .get_mut(result.group_count)
                    .ok_or(Errno::E2BIG)?;
                *slot = entry.gid;
                result.group_count += 1;
            }
        }
    }
    Ok(result)
}

/// Both steps at once, for callers that hold both files in memory (the tests; a parent that
/// knows the container's files).
pub fn resolve(
    spec: &UserSpec,
    passwd: Option<&[u8]>,
    group: Option<&[u8]>,
) -> Result<Credentials, Errno> {
    let user = match_user(&spec.user, passwd)?;
    credentials(&user, spec.group.as_ref(), group)
}

// ANCHOR: switch_user
/// The child step for `-u`: look the user up in the container's own files, then change ids.
///
/// Runs after the child's root is the container's (after `pivot_root`, or after joining the
/// container's mount namespace) and before exec. If it fails, chapter 1's report pipe carries
/// the errno to the parent, which shows it as
/// `container setup failed at "<this step's Display>": <error> (<ERRNO>)`, so the text names
/// the spec and the files. The errnos: `ENOENT` — a name not found (or the file it needed is
/// missing), `EFBIG` — a file over 64 KiB, `E2BIG` — more than 64 supplementary groups,
/// `EPERM` — the child is not privileged.
pub struct SwitchUser {
    spec: UserSpec,
}

impl SwitchUser {
    pub fn new(spec: UserSpec) -> Self {
        SwitchUser { spec }
    }

    pub fn spec(&self) -> &UserSpec {
        &self.spec
    }
}

impl ChildStep for SwitchUser {
    fn run(&self) -> Result<(), Errno> {
        // One buffer for both files, on the child's stack (1 MiB after chapter 2's clone).
        let mut buffer = [0u8; USER_FILE_LIMIT];
        let user = match_user(&self.spec.user, read_user_file(PASSWD_PATH, &mut buffer)?)?;
        let group = self.spec.group.as_ref();
        let group_file = if needs_group_file(&user, group) {
            read_user_file(GROUP_PATH, &mut buffer)?
        } else {
            None
        };
        apply(&credentials(&user, group, group_file)?)
    }
}
// ANCHOR_END: switch_user

impl fmt::Display for SwitchUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "switch to user \"{}\" (uid/gid from /etc/passwd and /etc/group)",
            self.spec
        )
    }
}

/// Reads a whole small file into `buffer`; `Ok(None)` if it does not exist. Runs in the child:
/// open, read, close — no allocation.
fn read_user_file<'b>(path: &CStr, buffer: &'b mut [u8]) -> Result<Option<&'b [u8]>, Errno> {
    let file = match nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(file) => file,
        Err(Errno::ENOENT) => return Ok(None),
        Err(errno) => return Err(errno),
    };
    let mut filled = 0;
    loop {
        let Some(free) = buffer.get_mut(filled..).filter(|free| !free.is_empty()) else {
            // Full: it fits exactly only if nothing is left to read.
            let mut probe = [0u8; 1];
            return match nix::unistd::read(&file, &mut probe)? {
                0 => Ok(Some(buffer)),
                _ => Err(Errno::EFBIG),
            };
        };
        match nix::unistd::read(&file, free) {
            Ok(0) => return Ok(buffer.get(..filled)),
            Ok(n) => filled += n,
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno),
        }
    }
}

// ANCHOR: apply_credentials
/// setgroups → setgid → setuid, in this order.
///
/// Changing groups needs `CAP_SETGID`. Changing the uid from 0 to anything else clears every
/// capability (capabilities(7), "Effect of user ID changes on capabilities"), so the uid goes
/// last: after it, `setgroups` and `setgid` would fail with `EPERM`. `setgroups` is never
/// skipped, even with an empty list: the child starts with root's supplementary groups, and
/// keeping them would hand the user group 0. As the caller is privileged, `setgid` and
/// `setuid` set the real, effective and saved ids alike (setuid(2)), so there is no way back.
///
/// Raw system calls, not the libc wrappers: glibc applies an id change to every thread it
/// knows of, by signalling them — after `clone`, those are the parent's threads, and the
/// child would wait for them forever. The raw calls change this one thread, which here is
/// the whole process.
fn apply(credentials: &Credentials) -> Result<(), Errno> {
    let groups = credentials.supplementary_groups();
    // SAFETY: system calls with integer arguments and a pointer to `groups.len()` gids that
    // live in `credentials` for the duration of the call.
    unsafe {
        check(libc::syscall(
            libc::SYS_setgroups,
            groups.len() as libc::c_long,
            groups.as_ptr(),
        ))?;
        check(libc::syscall(
            libc::SYS_setgid,
            libc::c_long::from(credentials.gid),
        ))?;
        check(libc::syscall(
            libc::SYS_setuid,
            libc::c_long::from(credentials.uid),
        ))
    }
}
// ANCHOR_END: apply_credentials

fn check(result: libc::c_long) -> Result<(), Errno> {
    if result == -1 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use chapter01::{Child, ChildPlan, ContainerError, ExecPlan, ExitStatus};
    use std::ffi::CString;
    use std::io::Read;
    use std::os::fd::{AsRawFd, OwnedFd};

    const PASSWD: &[u8] = b"\
root:x:0:0:root:/root:/bin/sh
# a comment
   
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
broken:x:notanumber:1::/:/bin/sh
web:x:1000:1001:Web Server:/home/web:/bin/sh
web:x:2000:2000:second entry loses:/:/bin/sh
short:x:1500:1500
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";

    const GROUP: &[u8] = b"\
root:x:0:
wheel:x:10:root,web
staff:x:50:daemon, web,webmaster
web:x:1001:
audio:x:29:webmaster,web
nogroup:x:65534:
";

    fn spec(text: &str) -> UserSpec {
        UserSpec::parse(text).unwrap()
    }

    #[test]
    fn specs_parse_into_names_and_ids() {
        assert_eq!(
            spec("web"),
            UserSpec {
                user: NameOrId::Name("web".into()),
                group: None
            }
        );
        assert_eq!(
            spec("1000:staff"),
            UserSpec {
                user: NameOrId::Id(1000),
                group: Some(NameOrId::Name("staff".into()))
            }
        );
        assert_eq!(spec("web:50").group, Some(NameOrId::Id(50)));
        assert_eq!(spec("0").user, NameOrId::Id(0));
        assert_eq!(spec("web:50").to_string(), "web:50");
    }

    #[test]
    fn bad_specs_are_refused_with_the_reason() {
        for (text, reason) in [
            ("", "empty user name"),
            (":staff", "empty user name"),
            ("web:", "empty group name"),
            ("2147483648", "out of range"),
            ("-1", "out of range"),
            ("99999999999999999999", "out of range"),
            ("web:staff:x", "contains ':'"),
        ] {
            let error = UserSpec::parse(text).unwrap_err();
            assert!(error.contains(reason), "{text:?}: {error}");
        }
        assert!(UserSpec::parse("2147483647").is_ok());
    }

    #[test]
    fn passwd_lines_parse_in_place() {
        let entry = parse_passwd_line(b"web:x:1000:1001:Web Server:/home/web:/bin/sh").unwrap();
        assert_eq!(entry.name, b"web");
        assert_eq!((entry.uid, entry.gid), (1000, 1001));
        assert_eq!(entry.home, b"/home/web");
        assert_eq!(parse_passwd_line(b"short:x:7:8").unwrap().home, b"");
    }

    #[test]
    fn malformed_passwd_lines_are_skipped() {
        for line in [
            &b"broken:x:notanumber:1::/:/bin/sh"[..],
            b":x:0:0::/:/bin/sh",
            b"nogid:x:5",
            b"neg:x:-1:0::/:",
            b"big:x:4294967296:0::/:",
            b"huge:x:2147483648:0::/:",
        ] {
            assert_eq!(
                parse_passwd_line(line),
                None,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn group_lines_and_membership() {
        let staff = parse_group_line(b"staff:x:50:daemon,web,webmaster").unwrap();
        assert_eq!((staff.name, staff.gid), (&b"staff"[..], 50));
        assert!(staff.lists(b"web"));
        assert!(staff.lists(b"daemon"));
        assert!(!staff.lists(b"we"));
        assert!(!staff.lists(b"webmaste"));
        assert!(!staff.lists(b""));
        let empty = parse_group_line(b"root:x:0:").unwrap();
        assert!(!empty.lists(b"root"));
        assert_eq!(parse_group_line(b"nolist:x:3").unwrap().members, b"");
        assert_eq!(parse_group_line(b"bad:x:ten:"), None);
    }

    #[test]
    fn a_name_takes_uid_gid_and_groups_from_the_files() {
        let found = resolve(&spec("web"), Some(PASSWD), Some(GROUP)).unwrap();
        assert_eq!((found.uid, found.gid), (1000, 1001));
        // "staff" lists " web" with a space, which is not the name "web".
        assert_eq!(found.supplementary_groups(), &[10, 29]);
    }

    #[test]
    fn a_numeric_uid_with_an_entry_behaves_like_its_name() {
        let by_id = resolve(&spec("1000"), Some(PASSWD), Some(GROUP)).unwrap();
        let by_name = resolve(&spec("web"), Some(PASSWD), Some(GROUP)).unwrap();
        assert_eq!(by_id, by_name);
    }

    #[test]
    fn a_numeric_uid_without_an_entry_gets_gid_0_and_no_groups() {
        for passwd in [Some(PASSWD), None] {
            let found = resolve(&spec("4242"), passwd, Some(GROUP)).unwrap();
            assert_eq!((found.uid, found.gid), (4242, 0));
            assert!(found.supplementary_groups().is_empty());
        }
    }

    #[test]
    fn unknown_names_are_enoent() {
        assert_eq!(
            resolve(&spec("nosuchuser"), Some(PASSWD), Some(GROUP)),
            Err(Errno::ENOENT)
        );
        assert_eq!(resolve(&spec("web"), None, Some(GROUP)), Err(Errno::ENOENT));
        assert_eq!(
            resolve(&spec("web:nosuchgroup"), Some(PASSWD), Some(GROUP)),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            resolve(&spec("web:staff"), Some(PASSWD), None),
            Err(Errno::ENOENT)
        );
        // A malformed line must not be found by its name.
        assert_eq!(
            resolve(&spec("broken"), Some(PASSWD), None),
            Err(Errno::ENOENT)
        );
    }

    #[test]
    fn an_explicit_group_replaces_the_primary_gid_and_drops_the_extra_groups() {
        let found = resolve(&spec("web:staff"), Some(PASSWD), Some(GROUP)).unwrap();
        assert_eq!((found.uid, found.gid), (1000, 50));
        assert!(found.supplementary_groups().is_empty());
        let numeric = resolve(&spec("web:777"), Some(PASSWD), Some(GROUP)).unwrap();
        assert_eq!(numeric.gid, 777);
        let numeric_no_file = resolve(&spec("4242:777"), None, None).unwrap();
        assert_eq!((numeric_no_file.uid, numeric_no_file.gid), (4242, 777));
        // A numeric group matches by gid, so "29" finds audio even though no group is named "29".
        assert_eq!(
            resolve(&spec("0:29"), Some(PASSWD), Some(GROUP))
                .unwrap()
                .gid,
            29
        );
    }

    #[test]
    fn the_first_matching_entry_wins() {
        let found = resolve(&spec("web"), Some(PASSWD), None).unwrap();
        assert_eq!(found.uid, 1000);
        let second = resolve(&spec("2000"), Some(PASSWD), None).unwrap();
        assert_eq!((second.uid, second.gid), (2000, 2000));
    }

    #[test]
    fn the_group_file_is_read_only_when_it_can_matter() {
        let named = match_user(&NameOrId::Name("web".into()), Some(PASSWD)).unwrap();
        let bare = match_user(&NameOrId::Id(4242), Some(PASSWD)).unwrap();
        assert_eq!(named.name(), Some(&b"web"[..]));
        assert_eq!(bare.name(), None);
        assert!(needs_group_file(&named, None));
        assert!(!needs_group_file(&bare, None));
        assert!(needs_group_file(&bare, Some(&NameOrId::Id(5))));
    }

    #[test]
    fn more_than_64_groups_is_e2big() {
        let mut group = Vec::new();
        for gid in 0..=MAX_SUPPLEMENTARY_GROUPS {
            group.extend_from_slice(format!("g{gid}:x:{}:web\n", 100 + gid).as_bytes());
        }
        assert_eq!(
            resolve(&spec("web"), Some(PASSWD), Some(&group)),
            Err(Errno::E2BIG)
        );
        group.truncate(group.len() - b"g64:x:164:web\n".len());
        let found = resolve(&spec("web"), Some(PASSWD), Some(&group)).unwrap();
        assert_eq!(found.supplementary_groups().len(), MAX_SUPPLEMENTARY_GROUPS);
        assert_eq!(found.supplementary_groups()[63], 163);
    }

    #[test]
    fn the_step_describes_itself_with_the_spec() {
        assert_eq!(
            SwitchUser::new(spec("web")).to_string(),
            "switch to user \"web\" (uid/gid from /etc/passwd and /etc/group)"
        );
        assert!(SwitchUser::new(spec("1:2")).to_string().contains("\"1:2\""));
    }

    #[test]
    fn files_are_read_whole_or_refused_when_too_big() {
        let dir = tempfile::tempdir().unwrap();
        let path =
            |name: &str| std::ffi::CString::new(dir.path().join(name).to_str().unwrap()).unwrap();
        std::fs::write(dir.path().join("small"), b"root:x:0:0::/:\n").unwrap();
        std::fs::write(dir.path().join("exact"), vec![b'#'; USER_FILE_LIMIT]).unwrap();
        std::fs::write(dir.path().join("big"), vec![b'#'; USER_FILE_LIMIT + 1]).unwrap();
        let mut buffer = [0u8; USER_FILE_LIMIT];
        assert_eq!(
            read_user_file(&path("small"), &mut buffer).unwrap(),
            Some(&b"root:x:0:0::/:\n"[..])
        );
        assert_eq!(
            read_user_file(&path("exact"), &mut buffer)
                .unwrap()
                .map(<[u8]>::len),
            Some(USER_FILE_LIMIT)
        );
        assert_eq!(read_user_file(&path("big"), &mut buffer), Err(Errno::EFBIG));
        assert_eq!(read_user_file(&path("missing"), &mut buffer), Ok(None));
    }

    /// Whether a live test (one that needs root) may run: the contract of
    /// `testkit::require_root` — skip loudly on a laptop, fail when `CI` is set.
    pub(crate) fn live_test(what: &str) -> bool {
        if nix::unistd::geteuid().is_root() {
            return true;
        }
        let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
        assert!(!ci, "live test `{what}` needs root and CI is set");
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED (needs root): {what}");
        false
    }

    /// Child step for tests: make the write end of a pipe the child's standard output.
    pub(crate) struct StdoutTo(OwnedFd);

    impl ChildStep for StdoutTo {
        fn run(&self) -> Result<(), Errno> {
            // dup2 clears close-on-exec on the copy, so fd 1 survives exec.
            // SAFETY: dup2 on two descriptor numbers.
            check(unsafe { libc::dup2(self.0.as_raw_fd(), 1) }.into())
        }
    }

    impl fmt::Display for StdoutTo {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("send standard output to the test's pipe")
        }
    }

    /// Starts a child through `spawn`, handing it a [`StdoutTo`] step; returns what the child
    /// wrote to stdout, how it ended, and the extra value `spawn` returned.
    pub(crate) fn capture_stdout<T>(
        spawn: impl FnOnce(StdoutTo) -> Result<(Child, T), ContainerError>,
    ) -> Result<(String, ExitStatus, T), ContainerError> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        // The step owns our only write end; it is dropped with the plan once the child runs,
        // so the read below ends when the child (and its children) close stdout.
        let (child, extra) = spawn(StdoutTo(write))?;
        let mut output = String::new();
        std::fs::File::from(read)
            .read_to_string(&mut output)
            .unwrap();
        Ok((output, child.wait()?, extra))
    }

    /// Child step for tests: a mount namespace of its own in which `passwd` and `group` are
    /// bind-mounted over `/etc/passwd` and `/etc/group` — a container's user files, in miniature.
    struct OwnUserFiles {
        passwd: CString,
        group: CString,
    }

    impl ChildStep for OwnUserFiles {
        fn run(&self) -> Result<(), Errno> {
            use nix::mount::{mount, MsFlags};
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
            // Private first, or the bind mounts would propagate to the host's mount table.
            mount(
                None::<&CStr>,
                c"/",
                None::<&CStr>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&CStr>,
            )?;
            mount(
                Some(self.passwd.as_c_str()),
                PASSWD_PATH,
                None::<&CStr>,
                MsFlags::MS_BIND,
                None::<&CStr>,
            )?;
            mount(
                Some(self.group.as_c_str()),
                GROUP_PATH,
                None::<&CStr>,
                MsFlags::MS_BIND,
                None::<&CStr>,
            )
        }
    }

    impl fmt::Display for OwnUserFiles {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("bind-mount the test's passwd and group files over /etc")
        }
    }

    /// Runs `id FLAG` as `user` (after `before`), through chapter 1's fork path.
    fn id_as(
        user: &str,
        flag: &str,
        before: Vec<Box<dyn ChildStep>>,
    ) -> Result<String, ContainerError> {
        let args = vec!["id".to_owned(), flag.to_owned()];
        let plan = ExecPlan::new(args, vec!["PATH=/usr/bin:/bin".to_owned()])?;
        let spec = UserSpec::parse(user).map_err(ContainerError::Invalid)?;
        let (output, status, ()) = capture_stdout(|stdout| {
            let mut setup = before;
            setup.push(Box::new(stdout));
            setup.push(Box::new(SwitchUser::new(spec)));
            Ok((
                chapter01::spawn(ChildPlan::new(plan).with_setup(setup))?,
                (),
            ))
        })?;
        assert!(status.success(), "id {flag} as {user}: {status}");
        Ok(output.trim().to_owned())
    }

    #[test]
    fn switch_user_takes_ids_from_the_passwd_file() {
        if !live_test("user: -u switches to the user of /etc/passwd") {
            return;
        }
        // The host's /etc/passwd has nobody = 65534, in group nogroup = 65534.
        assert_eq!(id_as("65534", "-u", vec![]).unwrap(), "65534");
        assert_eq!(id_as("nobody", "-u", vec![]).unwrap(), "65534");
        assert_eq!(id_as("nobody", "-g", vec![]).unwrap(), "65534");
        // Root's supplementary groups (0 among them) are gone.
        assert_eq!(id_as("nobody", "-G", vec![]).unwrap(), "65534");
        assert_eq!(id_as("4242:4343", "-g", vec![]).unwrap(), "4343");
        assert_eq!(id_as("4242", "-g", vec![]).unwrap(), "0");
    }

    #[test]
    fn an_unknown_user_fails_naming_it() {
        if !live_test("user: -u with an unknown name fails") {
            return;
        }
        let error = id_as("nosuchuser", "-u", vec![]).unwrap_err();
        assert_eq!(error.exit_code(), 125);
        assert!(
            matches!(
                error,
                ContainerError::Setup {
                    errno: Errno::ENOENT,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("\"nosuchuser\""), "{error}");
    }

    #[test]
    fn the_user_files_are_read_where_the_child_is() {
        if !live_test("user: -u reads the child's own /etc/passwd and /etc/group") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        let group = dir.path().join("group");
        std::fs::write(
            &passwd,
            "root:x:0:0::/root:/bin/sh\nweb:x:1234:2345::/home/web:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            &group,
            "web:x:2345:\nstaff:x:3456:web\nops:x:4567:root,web\n",
        )
        .unwrap();
        let own_files = || -> Vec<Box<dyn ChildStep>> {
            vec![Box::new(OwnUserFiles {
                passwd: CString::new(passwd.to_str().unwrap()).unwrap(),
                group: CString::new(group.to_str().unwrap()).unwrap(),
            })]
        };
        assert_eq!(id_as("web", "-u", own_files()).unwrap(), "1234");
        assert_eq!(id_as("web", "-G", own_files()).unwrap(), "2345 3456 4567");
        assert_eq!(id_as("web:ops", "-G", own_files()).unwrap(), "4567");
        // The host's nobody does not exist in these files.
        let error = id_as("nobody", "-u", own_files()).unwrap_err();
        assert!(
            matches!(
                error,
                ContainerError::Setup {
                    errno: Errno::ENOENT,
                    ..
                }
            ),
            "{error}"
        );
    }
}
