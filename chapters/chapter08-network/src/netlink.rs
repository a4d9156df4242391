//! A small rtnetlink client: the messages `ip link`, `ip addr` and `ip route` send, written
//! by hand.
//!
//! Every network change of chapter 8 (a bridge, a veth pair, an address, a default route) is
//! one request on a `NETLINK_ROUTE` socket, answered by an acknowledgement carrying an errno
//! (see netlink(7) and rtnetlink(7)). Sending them ourselves instead of running `ip` saves a
//! process per step, and shows the exact bytes the kernel receives.
//!
//! A message is a 16-byte `nlmsghdr`, a fixed family header (`ifinfomsg`, `ifaddrmsg` or
//! `rtmsg`) and a list of attributes: `length: u16, kind: u16, payload`, each padded to 4
//! bytes; an attribute may nest more attributes. `Message` builds them, pure functions build
//! each request (unit-tested byte for byte), and [`Netlink`] sends one request and waits for
//! its answer.
//!
//! Left out on purpose: IPv6, multicast notifications, extended ack messages (the errno is
//! enough for our one-line errors), kernel-side dump filtering (`NETLINK_GET_STRICT_CHK`: we
//! filter the few replies ourselves) and any request we do not need.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{self, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol};

/// `VETH_INFO_PEER` from linux/veth.h (libc lacks it): the attribute inside the veth's
/// `IFLA_INFO_DATA` that describes the peer, as an `ifinfomsg` followed by `IFLA_*` attributes.
const VETH_INFO_PEER: u16 = 1;

// libc types the flags and message types as c_int; the header fields are u16.
const REQUEST: u16 = libc::NLM_F_REQUEST as u16;
const ACK: u16 = libc::NLM_F_ACK as u16;
const CREATE_NEW: u16 = (libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16;
const DUMP: u16 = libc::NLM_F_DUMP as u16;
const NLMSG_NOOP: u16 = libc::NLMSG_NOOP as u16;
const NLMSG_ERROR: u16 = libc::NLMSG_ERROR as u16;
const NLMSG_DONE: u16 = libc::NLMSG_DONE as u16;
/// The two high bits of an attribute's kind are flags (linux/netlink.h, NLA_TYPE_MASK).
const ATTRIBUTE_KIND_MASK: u16 = 0x3fff;

const HEADER_LEN: usize = 16; // sizeof(struct nlmsghdr)
const IFINFOMSG_LEN: usize = 16;
const IFADDRMSG_LEN: usize = 8;
/// Dump replies are packed into messages of up to 32 KiB when the reader offers that much.
const RECEIVE_BUFFER_LEN: usize = 64 * 1024;

/// Rounds `len` up to the 4-byte alignment of netlink messages and attributes (NLA_ALIGN).
fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// A request being built. All integers are in native byte order, as netlink wants: the
/// socket never leaves the machine. IP addresses are the exception, in network order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    kind: u16,
    flags: u16,
    /// Family header then attributes, everything after the `nlmsghdr`.
    body: Vec<u8>,
}

impl Message {
    fn new(kind: u16, flags: u16, header: &[u8]) -> Message {
        let mut body = header.to_vec();
        body.resize(align(header.len()), 0);
        Message { kind, flags, body }
    }

    fn attr(&mut self, kind: u16, payload: &[u8]) -> &mut Message {
        let start = self.begin_attr(kind);
        self.body.extend_from_slice(payload);
        self.end_attr(start)
    }

    /// A C string attribute: the kernel accepts names with their terminating NUL, as `ip`
    /// sends them.
    fn attr_str(&mut self, kind: u16, value: &str) -> &mut Message {
        let mut payload = value.as_bytes().to_vec();
        payload.push(0);
        self.attr(kind, &payload)
    }

    fn attr_u32(&mut self, kind: u16, value: u32) -> &mut Message {
        self.attr(kind, &value.to_ne_bytes())
    }

    /// An attribute whose payload is what `build` appends (more attributes, sometimes after a
    /// family header, as for a veth peer).
    fn nested(&mut self, kind: u16, build: impl FnOnce(&mut Message)) -> &mut Message {
        let start = self.begin_attr(kind);
        build(self);
        self.end_attr(start)
    }

    fn begin_attr(&mut self, kind: u16) -> usize {
        let start = self.body.len();
        self.body.extend_from_slice(&0u16.to_ne_bytes()); // length, known in end_attr
        self.body.extend_from_slice(&kind.to_ne_bytes());
        start
    }

    /// Fills in the length of the attribute opened at `start` (without the trailing padding
    /// of its own payload, like the kernel's nla_put) and pads the message.
    fn end_attr(&mut self, start: usize) -> &mut Message {
        let len = u16::try_from(self.body.len() - start).unwrap_or(u16::MAX);
        self.body[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        self.body.resize(align(self.body.len()), 0);
        self
    }

    /// The whole message with its `nlmsghdr`. Port id 0: the kernel fills in ours.
    fn bytes(&self, seq: u32) -> Vec<u8> {
        let len = u32::try_from(HEADER_LEN + self.body.len()).unwrap_or(u32::MAX);
        let mut bytes = Vec::with_capacity(HEADER_LEN + self.body.len());
        bytes.extend_from_slice(&len.to_ne_bytes());
        bytes.extend_from_slice(&self.kind.to_ne_bytes());
        bytes.extend_from_slice(&self.flags.to_ne_bytes());
        bytes.extend_from_slice(&seq.to_ne_bytes());
        bytes.extend_from_slice(&0u32.to_ne_bytes());
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// The attributes in `bytes` as `(kind, payload)`; stops at the first malformed one.
struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Attributes<'a> {
    fn new(bytes: &'a [u8]) -> Attributes<'a> {
        Attributes { rest: bytes }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        let len = usize::from(read_u16(self.rest, 0)?);
        let kind = read_u16(self.rest, 2)? & ATTRIBUTE_KIND_MASK;
        if len < 4 || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let payload = &self.rest[4..len];
        self.rest = &self.rest[align(len).min(self.rest.len())..];
        Some((kind, payload))
    }
}

/// One message of a reply datagram.
struct Reply<'a> {
    kind: u16,
    seq: u32,
    payload: &'a [u8],
}

/// Splits a received datagram into its messages (a dump packs many into one).
fn split_replies(mut bytes: &[u8]) -> io::Result<Vec<Reply<'_>>> {
    let mut replies = Vec::new();
    while !bytes.is_empty() {
        let len = read_u32(bytes, 0).map_or(0, |len| len as usize);
        if len < HEADER_LEN || len > bytes.len() {
            return Err(invalid_data("malformed netlink reply"));
        }
        // Both fields lie inside the HEADER_LEN bytes just checked.
        replies.push(Reply {
            kind: read_u16(bytes, 4).unwrap_or(0),
            seq: read_u32(bytes, 8).unwrap_or(0),
            payload: &bytes[HEADER_LEN..len],
        });
        bytes = &bytes[align(len).min(bytes.len())..];
    }
    Ok(replies)
}

fn read_u16(bytes: &[u8], offset: usize) -> Option<u16> {
    let field = bytes.get(offset..offset + 2)?;
    Some(u16::from_ne_bytes([field[0], field[1]]))
}

fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let field = bytes.get(offset..offset + 4)?;
    Some(u32::from_ne_bytes([field[0], field[1], field[2], field[3]]))
}

fn invalid_data(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// `struct ifinfomsg`: family, padding, device type, index, flags, which flags to change.
fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut header = [0u8; IFINFOMSG_LEN];
    header[0] = libc::AF_UNSPEC as u8;
    header[4..8].copy_from_slice(&index.to_ne_bytes());
    header[8..12].copy_from_slice(&flags.to_ne_bytes());
    header[12..16].copy_from_slice(&change.to_ne_bytes());
    header
}

/// `struct ifaddrmsg`: family, prefix length, flags, scope, index.
fn ifaddrmsg(prefix_len: u8, index: u32) -> [u8; IFADDRMSG_LEN] {
    let mut header = [0u8; IFADDRMSG_LEN];
    header[0] = libc::AF_INET as u8;
    header[1] = prefix_len;
    header[3] = libc::RT_SCOPE_UNIVERSE;
    header[4..8].copy_from_slice(&index.to_ne_bytes());
    header
}

const IFF_UP: u32 = libc::IFF_UP as u32;

fn link_by_name_request(name: &str) -> Message {
    let mut message = Message::new(libc::RTM_GETLINK, REQUEST | ACK, &ifinfomsg(0, 0, 0));
    message.attr_str(libc::IFLA_IFNAME, name);
    message
}

fn link_by_index_request(index: u32) -> Message {
    Message::new(libc::RTM_GETLINK, REQUEST | ACK, &ifinfomsg(index, 0, 0))
}

fn create_bridge_request(name: &str) -> Message {
    let flags = REQUEST | ACK | CREATE_NEW;
    let mut message = Message::new(libc::RTM_NEWLINK, flags, &ifinfomsg(0, 0, 0));
    message
        .attr_str(libc::IFLA_IFNAME, name)
        .nested(libc::IFLA_LINKINFO, |info| {
            info.attr_str(libc::IFLA_INFO_KIND, "bridge");
        });
    message
}

// ANCHOR: create_veth
fn create_veth_request(pair: &VethPair) -> Message {
    let flags = REQUEST | ACK | CREATE_NEW;
    // The host end is born up (ifi_flags/ifi_change) and plugged into IFLA_MASTER by this
    // same request, as `ip link add ... master BR up` does.
    let mut message = Message::new(libc::RTM_NEWLINK, flags, &ifinfomsg(0, IFF_UP, IFF_UP));
    message
        .attr_str(libc::IFLA_IFNAME, &pair.host_name)
        .attr_u32(libc::IFLA_MTU, pair.mtu)
        .attr_u32(libc::IFLA_MASTER, pair.master_index)
        .nested(libc::IFLA_LINKINFO, |info| {
            info.attr_str(libc::IFLA_INFO_KIND, "veth")
                .nested(libc::IFLA_INFO_DATA, |data| {
                    // The peer is a whole link description: its own ifinfomsg (flags 0: it
                    // stays down until the container side sets it up) and attributes.
                    data.nested(VETH_INFO_PEER, |peer| {
                        peer.body.extend_from_slice(&ifinfomsg(0, 0, 0));
                        // A file descriptor is never negative; -1 would only make the kernel
                        // answer EBADF.
                        let netns_fd = u32::try_from(pair.peer_netns_fd).unwrap_or(u32::MAX);
                        peer.attr_str(libc::IFLA_IFNAME, &pair.peer_name)
                            .attr(libc::IFLA_ADDRESS, &pair.peer_mac)
                            .attr_u32(libc::IFLA_NET_NS_FD, netns_fd)
                            .attr_u32(libc::IFLA_MTU, pair.mtu);
                    });
                });
        });
    message
}
// ANCHOR_END: create_veth

fn set_up_request(index: u32) -> Message {
    let header = ifinfomsg(index, IFF_UP, IFF_UP);
    Message::new(libc::RTM_NEWLINK, REQUEST | ACK, &header)
}

fn delete_link_request(index: u32) -> Message {
    Message::new(libc::RTM_DELLINK, REQUEST | ACK, &ifinfomsg(index, 0, 0))
}

/// The broadcast address of `address/prefix_len`; none for /31 and /32, which have no room
/// for one (RFC 3021), as `ip addr add ... brd +` decides.
fn broadcast(address: Ipv4Addr, prefix_len: u8) -> Option<Ipv4Addr> {
    let host_bits = u32::MAX.checked_shr(u32::from(prefix_len)).unwrap_or(0);
    (prefix_len < 31).then(|| Ipv4Addr::from(u32::from(address) | host_bits))
}

fn add_address_request(index: u32, address: Ipv4Addr, prefix_len: u8) -> Message {
    let flags = REQUEST | ACK | CREATE_NEW;
    let mut message = Message::new(libc::RTM_NEWADDR, flags, &ifaddrmsg(prefix_len, index));
    // IFA_LOCAL is the address of this end; IFA_ADDRESS the same on a broadcast link (it
    // would be the far end on a point-to-point one).
    message
        .attr(libc::IFA_LOCAL, &address.octets())
        .attr(libc::IFA_ADDRESS, &address.octets());
    if let Some(broadcast) = broadcast(address, prefix_len) {
        message.attr(libc::IFA_BROADCAST, &broadcast.octets());
    }
    message
}

fn dump_addresses_request(index: u32) -> Message {
    Message::new(libc::RTM_GETADDR, REQUEST | DUMP, &ifaddrmsg(0, index))
}

fn default_route_request(gateway: Ipv4Addr) -> Message {
    // struct rtmsg: family, dst_len (0: the default route), src_len, tos, then table,
    // protocol, scope, type, then u32 flags.
    let mut header = [0u8; 12];
    header[0] = libc::AF_INET as u8;
    header[4..8].copy_from_slice(&[
        libc::RT_TABLE_MAIN,
        libc::RTPROT_BOOT,
        libc::RT_SCOPE_UNIVERSE,
        libc::RTN_UNICAST,
    ]);
    let flags = REQUEST | ACK | CREATE_NEW;
    let mut message = Message::new(libc::RTM_NEWROUTE, flags, &header);
    message.attr(libc::RTA_GATEWAY, &gateway.octets());
    message
}

/// The IPv4 address of an RTM_NEWADDR reply, if it is of link `index`.
fn parse_ipv4_address(reply: &[u8], index: u32) -> Option<(Ipv4Addr, u8)> {
    let family = *reply.first()?;
    if i32::from(family) != libc::AF_INET || read_u32(reply, 4)? != index {
        return None;
    }
    let prefix_len = *reply.get(1)?;
    let (mut local, mut address) = (None, None);
    for (kind, payload) in Attributes::new(reply.get(IFADDRMSG_LEN..)?) {
        match kind {
            libc::IFA_LOCAL => local = Some(payload),
            libc::IFA_ADDRESS => address = Some(payload),
            _ => {}
        }
    }
    // IFA_LOCAL is ours; IFA_ADDRESS alone is what a broadcast link may report.
    let octets: [u8; 4] = local.or(address)?.try_into().ok()?;
    Some((Ipv4Addr::from(octets), prefix_len))
}

/// One end of a veth pair to create, with where its peer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethPair {
    /// e.g. "veth3f2a9c1", stays in the caller's namespace.
    pub host_name: String,
    /// ifindex of the bridge the host end is plugged into (IFLA_MASTER).
    pub master_index: u32,
    /// For both ends (IFLA_MTU).
    pub mtu: u32,
    /// e.g. "eth0", created directly inside the target namespace.
    pub peer_name: String,
    /// An fd of /proc/PID/ns/net (IFLA_NET_NS_FD inside the peer info).
    pub peer_netns_fd: RawFd,
    /// IFLA_ADDRESS of the peer.
    pub peer_mac: [u8; 6],
}

/// A NETLINK_ROUTE socket. It talks to the network namespace of the thread that opened it,
/// for its whole life (a later setns(2) of the thread does not move the socket).
pub struct Netlink {
    socket: OwnedFd,
    next_seq: u32,
}

/// Retries `call` interrupted by a signal handler installed without SA_RESTART.
fn retry<T>(mut call: impl FnMut() -> nix::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(Errno::EINTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

impl Netlink {
    pub fn open() -> io::Result<Netlink> {
        let socket = socket::socket(
            AddressFamily::Netlink,
            socket::SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkRoute,
        )?;
        // Port id 0: the kernel picks a free one for us.
        socket::bind(socket.as_raw_fd(), &NetlinkAddr::new(0, 0))?;
        Ok(Netlink {
            socket,
            next_seq: 1,
        })
    }

    // ANCHOR: request
    /// Sends `message` and collects the payloads of the kernel's answers to it, up to its
    /// ack (NLMSG_ERROR, errno 0 on success) or, for a dump, NLMSG_DONE.
    fn request(&mut self, message: &Message) -> io::Result<Vec<Vec<u8>>> {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let fd = self.socket.as_raw_fd();
        let bytes = message.bytes(seq);
        retry(|| socket::sendto(fd, &bytes, &NetlinkAddr::new(0, 0), MsgFlags::empty()))?;

        let mut buffer = vec![0u8; RECEIVE_BUFFER_LEN];
        let mut answers = Vec::new();
        loop {
            // MSG_TRUNC makes recv return the datagram's real length, so a cut one is seen.
            let len = retry(|| socket::recv(fd, &mut buffer, MsgFlags::MSG_TRUNC))?;
            let datagram = buffer
                .get(..len)
                .ok_or_else(|| invalid_data("netlink reply larger than the receive buffer"))?;
            for reply in split_replies(datagram)? {
                if reply.seq != seq {
                    continue; // a late answer to an earlier request
                }
                match reply.kind {
                    NLMSG_ERROR | NLMSG_DONE => {
                        // Both start with an int: 0 or a negative errno.
                        let error = read_u32(reply.payload, 0).map_or(0, |raw| raw as i32);
                        if error < 0 {
                            return Err(io::Error::from_raw_os_error(-error));
                        }
                        return Ok(answers);
                    }
                    NLMSG_NOOP => {}
                    _ => answers.push(reply.payload.to_vec()),
                }
            }
        }
    }
    // ANCHOR_END: request

    /// ifindex of `name`, None if there is no such link (ENODEV).
    pub fn link_index(&mut self, name: &str) -> io::Result<Option<u32>> {
        match self.request(&link_by_name_request(name)) {
            Err(error) if error.raw_os_error() == Some(libc::ENODEV) => Ok(None),
            Err(error) => Err(error),
            // The answer is an RTM_NEWLINK: an ifinfomsg with ifi_index at offset 4.
            Ok(answers) => match answers.first().and_then(|link| read_u32(link, 4)) {
                Some(index) => Ok(Some(index)),
                None => Err(invalid_data("no link in the kernel's reply")),
            },
        }
    }

    /// MTU of link `index` (RTM_GETLINK reply, IFLA_MTU).
    pub fn link_mtu(&mut self, index: u32) -> io::Result<u32> {
        let answers = self.request(&link_by_index_request(index))?;
        let attributes = answers.first().and_then(|link| link.get(IFINFOMSG_LEN..));
        Attributes::new(attributes.unwrap_or(&[]))
            .find(|(kind, _)| *kind == libc::IFLA_MTU)
            .and_then(|(_, mtu)| read_u32(mtu, 0))
            .ok_or_else(|| invalid_data("no MTU in the kernel's reply"))
    }

    /// `ip link add NAME type bridge`. EEXIST comes back as io::ErrorKind::AlreadyExists.
    pub fn create_bridge(&mut self, name: &str) -> io::Result<()> {
        self.request(&create_bridge_request(name)).map(drop)
    }

    /// `ip link add HOST mtu M master BR up type veth peer name PEER address MAC netns FD
    /// mtu M` in one RTM_NEWLINK: the host end is created up and plugged into the bridge; the
    /// peer is born inside the target namespace with its name, MAC and MTU (it stays down).
    pub fn create_veth(&mut self, pair: &VethPair) -> io::Result<()> {
        self.request(&create_veth_request(pair)).map(drop)
    }

    /// `ip link set dev INDEX up`.
    pub fn set_up(&mut self, index: u32) -> io::Result<()> {
        self.request(&set_up_request(index)).map(drop)
    }

    /// `ip addr add ADDR/PREFIX brd + dev INDEX`. EEXIST → io::ErrorKind::AlreadyExists.
    pub fn add_ipv4_address(
        &mut self,
        index: u32,
        address: Ipv4Addr,
        prefix_len: u8,
    ) -> io::Result<()> {
        if prefix_len > 32 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let request = add_address_request(index, address, prefix_len);
        self.request(&request).map(drop)
    }

    /// The IPv4 addresses of link `index`, with their prefix lengths.
    pub fn ipv4_addresses(&mut self, index: u32) -> io::Result<Vec<(Ipv4Addr, u8)>> {
        let answers = self.request(&dump_addresses_request(index))?;
        let addresses = answers
            .iter()
            .filter_map(|reply| parse_ipv4_address(reply, index));
        Ok(addresses.collect())
    }

    /// `ip route add default via GATEWAY`.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> io::Result<()> {
        self.request(&default_route_request(gateway)).map(drop)
    }

    /// `ip link del INDEX`. Deleting one end of a veth pair deletes both.
    pub fn delete_link(&mut self, index: u32) -> io::Result<()> {
        self.request(&delete_link_request(index)).map(drop)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::fs::File;
    use std::sync::mpsc;

    #[test]
    fn bridge_request_bytes() {
        let ne16 = u16::to_ne_bytes;
        let ne32 = u32::to_ne_bytes;
        let mut expected = Vec::new();
        expected.extend(ne32(60)); // nlmsg_len: 16 + 16 + 12 + 16
        expected.extend(ne16(16)); // nlmsg_type: RTM_NEWLINK
        expected.extend(ne16(0x1 | 0x4 | 0x200 | 0x400)); // REQUEST | ACK | EXCL | CREATE
        expected.extend(ne32(7)); // nlmsg_seq
        expected.extend(ne32(0)); // nlmsg_pid: the kernel
        expected.extend([0, 0]); // ifi_family AF_UNSPEC, padding
        expected.extend(ne16(0)); // ifi_type
        expected.extend(ne32(0)); // ifi_index: none yet
        expected.extend(ne32(0)); // ifi_flags
        expected.extend(ne32(0)); // ifi_change
        expected.extend(ne16(10)); // nla_len: 4 + "mdbr0\0"
        expected.extend(ne16(3)); // nla_type: IFLA_IFNAME
        expected.extend(b"mdbr0\0\0\0"); // the name, NUL, padding to 4
        expected.extend(ne16(16)); // nla_len: 4 + the nested attribute, padded
        expected.extend(ne16(18)); // nla_type: IFLA_LINKINFO
        expected.extend(ne16(11)); // nla_len: 4 + "bridge\0"
        expected.extend(ne16(1)); // nla_type: IFLA_INFO_KIND
        expected.extend(b"bridge\0\0"); // the kind, NUL, padding
        assert_eq!(create_bridge_request("mdbr0").bytes(7), expected);
    }

    /// The attributes of `payload`, checking that they fill it exactly.
    fn children(payload: &[u8]) -> Vec<(u16, &[u8])> {
        let attributes: Vec<_> = Attributes::new(payload).collect();
        // Each attribute is its 4-byte header plus payload, padded: nothing may be left over.
        let consumed: usize = attributes.iter().map(|(_, v)| align(4 + v.len())).sum();
        assert_eq!(consumed, payload.len(), "attributes must fill their parent");
        attributes
    }

    fn find<'a>(attributes: &[(u16, &'a [u8])], kind: u16) -> &'a [u8] {
        let found: Vec<_> = attributes.iter().filter(|(k, _)| *k == kind).collect();
        assert_eq!(found.len(), 1, "attribute {kind} once");
        found[0].1
    }

    #[test]
    fn veth_request_nesting() {
        let pair = VethPair {
            host_name: "veth3f2a9c1".into(),
            master_index: 42,
            mtu: 1400,
            peer_name: "eth0".into(),
            peer_netns_fd: 9,
            peer_mac: [0x02, 0x42, 0xac, 0x11, 0, 2],
        };
        let bytes = create_veth_request(&pair).bytes(1);
        assert_eq!(read_u32(&bytes, 0).unwrap() as usize, bytes.len());
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(read_u16(&bytes, 4).unwrap(), libc::RTM_NEWLINK);
        let header = &bytes[HEADER_LEN..HEADER_LEN + IFINFOMSG_LEN];
        assert_eq!(header, ifinfomsg(0, IFF_UP, IFF_UP));

        let top = children(&bytes[HEADER_LEN + IFINFOMSG_LEN..]);
        let kinds: Vec<u16> = top.iter().map(|(kind, _)| *kind).collect();
        use libc::{IFLA_IFNAME, IFLA_LINKINFO, IFLA_MASTER, IFLA_MTU};
        assert_eq!(kinds, [IFLA_IFNAME, IFLA_MTU, IFLA_MASTER, IFLA_LINKINFO]);
        assert_eq!(find(&top, libc::IFLA_IFNAME), b"veth3f2a9c1\0");
        assert_eq!(find(&top, libc::IFLA_MTU), 1400u32.to_ne_bytes());
        assert_eq!(find(&top, libc::IFLA_MASTER), 42u32.to_ne_bytes());

        let info = children(find(&top, libc::IFLA_LINKINFO));
        assert_eq!(find(&info, libc::IFLA_INFO_KIND), b"veth\0");
        let data = children(find(&info, libc::IFLA_INFO_DATA));
        let peer = find(&data, VETH_INFO_PEER);
        assert_eq!(&peer[..IFINFOMSG_LEN], ifinfomsg(0, 0, 0));
        let peer = children(&peer[IFINFOMSG_LEN..]);
        assert_eq!(find(&peer, libc::IFLA_IFNAME), b"eth0\0");
        assert_eq!(find(&peer, libc::IFLA_ADDRESS), pair.peer_mac);
        assert_eq!(find(&peer, libc::IFLA_NET_NS_FD), 9u32.to_ne_bytes());
        assert_eq!(find(&peer, libc::IFLA_MTU), 1400u32.to_ne_bytes());
    }

    #[test]
    fn address_request_and_reply() {
        let address = Ipv4Addr::new(172, 17, 0, 2);
        let bytes = add_address_request(5, address, 16).bytes(3);
        let body = &bytes[HEADER_LEN..];
        assert_eq!(&body[..IFADDRMSG_LEN], ifaddrmsg(16, 5));
        let attributes = children(&body[IFADDRMSG_LEN..]);
        assert_eq!(find(&attributes, libc::IFA_LOCAL), [172, 17, 0, 2]);
        assert_eq!(find(&attributes, libc::IFA_BROADCAST), [172, 17, 255, 255]);
        // An RTM_NEWADDR reply has the same layout as the request's body.
        assert_eq!(parse_ipv4_address(body, 5), Some((address, 16)));
        assert_eq!(parse_ipv4_address(body, 6), None);

        assert_eq!(broadcast(address, 24), Some(Ipv4Addr::new(172, 17, 0, 255)));
        assert_eq!(broadcast(address, 0), Some(Ipv4Addr::BROADCAST));
        assert_eq!(broadcast(address, 31), None);
        assert_eq!(broadcast(address, 32), None);
    }

    #[test]
    fn attributes_stop_at_a_malformed_length() {
        let mut message = Message::new(0, 0, &[]);
        message.attr_u32(4, 1500);
        let mut bytes = message.body.clone();
        bytes.extend(200u16.to_ne_bytes()); // claims more than is there
        bytes.extend(3u16.to_ne_bytes());
        let kinds: Vec<u16> = Attributes::new(&bytes).map(|(kind, _)| kind).collect();
        assert_eq!(kinds, [4]);
    }

    type Job = Box<dyn FnOnce() + Send>;

    /// A thread in a fresh network namespace of its own, running the jobs it is sent. It
    /// ends, and its namespace with it, when this is dropped.
    struct NetnsThread {
        jobs: mpsc::Sender<Job>,
    }

    impl NetnsThread {
        fn spawn() -> NetnsThread {
            let (jobs, receiver) = mpsc::channel::<Job>();
            std::thread::spawn(move || {
                // Only this thread moves (see unshare(2)); the host is never touched.
                nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
                receiver.into_iter().for_each(|job| job());
            });
            NetnsThread { jobs }
        }

        fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> T {
            let (sender, result) = mpsc::channel();
            let job = Box::new(move || sender.send(job()).unwrap());
            self.jobs.send(job).unwrap();
            result.recv().expect("the job panicked, see above")
        }
    }

    /// `ifi_flags` and the attributes of link `index`, as the kernel reports them.
    fn link_flags_and_attributes(
        netlink: &mut Netlink,
        index: u32,
    ) -> (u32, HashMap<u16, Vec<u8>>) {
        let answers = netlink.request(&link_by_index_request(index)).unwrap();
        let attributes = Attributes::new(&answers[0][IFINFOMSG_LEN..]);
        let attributes = attributes
            .map(|(kind, value)| (kind, value.to_vec()))
            .collect();
        (read_u32(&answers[0], 8).unwrap(), attributes)
    }

    fn root() -> bool {
        let root = nix::unistd::geteuid().is_root();
        if !root {
            eprintln!("!!! SKIPPED: netlink live tests need root (network namespaces) !!!");
        }
        root
    }

    #[test]
    fn live_missing_link_and_duplicate_bridge() {
        if !root() {
            return;
        }
        NetnsThread::spawn().run(|| {
            let mut netlink = Netlink::open().unwrap();
            assert_eq!(netlink.link_index("nosuchlink0").unwrap(), None);
            assert!(netlink.link_index("lo").unwrap().is_some());
            netlink.create_bridge("mdbr-twice").unwrap();
            let error = netlink.create_bridge("mdbr-twice").unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
            let eexist = io::Error::from_raw_os_error(libc::EEXIST);
            assert_eq!(error.to_string(), eexist.to_string()); // no text of ours added
        });
    }

    #[test]
    fn live_bridge_veth_address_route() {
        if !root() {
            return;
        }
        let host = NetnsThread::spawn();
        let container = NetnsThread::spawn();
        let container_netns = container.run(|| File::open("/proc/thread-self/ns/net").unwrap());
        let mac = [0x02, 0x42, 0x0a, 0x63, 0, 2];
        let (gateway, container_ip) = (Ipv4Addr::new(10, 99, 0, 1), Ipv4Addr::new(10, 99, 0, 2));

        let host_veth = host.run(move || {
            let mut netlink = Netlink::open().unwrap();
            netlink.create_bridge("mdbr0").unwrap();
            let bridge = netlink.link_index("mdbr0").unwrap().unwrap();
            netlink.set_up(bridge).unwrap();
            netlink.add_ipv4_address(bridge, gateway, 24).unwrap();
            assert_eq!(netlink.ipv4_addresses(bridge).unwrap(), [(gateway, 24)]);
            let again = netlink.add_ipv4_address(bridge, gateway, 24);
            assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AlreadyExists);

            let pair = VethPair {
                host_name: "vethtest0".into(),
                master_index: bridge,
                mtu: 1400,
                peer_name: "eth0".into(),
                peer_netns_fd: container_netns.as_raw_fd(),
                peer_mac: mac,
            };
            netlink.create_veth(&pair).unwrap();
            let veth = netlink.link_index("vethtest0").unwrap().unwrap();
            assert_eq!(netlink.link_mtu(veth).unwrap(), 1400);
            let (flags, attributes) = link_flags_and_attributes(&mut netlink, veth);
            assert_eq!(flags & IFF_UP, IFF_UP, "the host end is born up");
            assert_eq!(attributes[&libc::IFLA_MASTER], bridge.to_ne_bytes());
            // The peer went straight into the other namespace.
            assert_eq!(netlink.link_index("eth0").unwrap(), None);
            veth
        });

        let route = container.run(move || {
            let mut netlink = Netlink::open().unwrap();
            let eth0 = netlink.link_index("eth0").unwrap().unwrap();
            assert_eq!(netlink.link_mtu(eth0).unwrap(), 1400);
            let (flags, attributes) = link_flags_and_attributes(&mut netlink, eth0);
            assert_eq!(flags & IFF_UP, 0, "the peer is born down");
            assert_eq!(attributes[&libc::IFLA_ADDRESS], mac);
            netlink.add_ipv4_address(eth0, container_ip, 24).unwrap();
            netlink.set_up(eth0).unwrap();
            assert_eq!(
                link_flags_and_attributes(&mut netlink, eth0).0 & IFF_UP,
                IFF_UP
            );
            netlink.add_default_route(gateway).unwrap();
            assert_eq!(netlink.ipv4_addresses(eth0).unwrap(), [(container_ip, 24)]);
            std::fs::read_to_string("/proc/thread-self/net/route").unwrap()
        });
        // Columns: Iface Destination Gateway ..., addresses as native-order hex u32.
        let gateway_hex = format!("{:08X}", u32::from_ne_bytes(gateway.octets()));
        let default = route
            .lines()
            .find(|line| line.starts_with("eth0\t00000000\t"));
        let default = default.expect("a default route via eth0");
        assert_eq!(default.split('\t').nth(2), Some(gateway_hex.as_str()));

        host.run(move || {
            Netlink::open().unwrap().delete_link(host_veth).unwrap();
        });
        container.run(|| {
            assert_eq!(Netlink::open().unwrap().link_index("eth0").unwrap(), None);
        });
    }
}
