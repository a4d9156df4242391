//! The attach protocol: the messages a client and a container's monitor exchange over the
//! monitor's Unix stream socket.
//!
//! A stream socket carries bytes, not messages, so each message is framed: one byte of kind,
//! four bytes of big-endian payload length, the payload. Kinds 0, 1 and 2 are stdin, stdout and
//! stderr, as in docker's multiplexed streams. The monitor polls non-blocking sockets, so a read
//! may stop inside a frame: [`FrameReader`] keeps bytes until a frame is whole. Clients block,
//! and use [`read_frame`]. Left out on purpose: a version handshake (client and monitor are the
//! same binary) and flow control beyond the socket buffers.

use std::io::{self, Read, Write};

/// The largest payload accepted. Senders cut bigger data into several frames; a larger length
/// means a confused or hostile peer, which must not make us buffer gigabytes.
pub const MAX_PAYLOAD: usize = 1 << 20;

const HEADER_LEN: usize = 5;
const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const CLOSE_STDIN: u8 = 3;
const RESIZE: u8 = 4;
const EXIT: u8 = 5;

/// One message: the first three go from client to monitor, the others back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Stdin(Vec<u8>),
    /// The client's stdin reached end-of-file: the monitor closes the container's stdin.
    CloseStdin,
    /// The client's terminal changed size (only meaningful with a pty).
    Resize {
        rows: u16,
        cols: u16,
    },
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// The container ended with this exit code. The monitor sends it to every attached
    /// client, then closes the socket: it is the last frame a client receives.
    Exit(i32),
}

// ANCHOR: write_frame
/// Writes one frame with a single `write_all`, so header and payload leave together. The
/// monitor writes into a `Vec<u8>` to queue frames for its non-blocking sockets.
pub fn write_frame(w: &mut impl Write, frame: &Frame) -> io::Result<()> {
    let fixed: [u8; 4];
    let (kind, payload): (u8, &[u8]) = match frame {
        Frame::Stdin(data) => (STDIN, data),
        Frame::Stdout(data) => (STDOUT, data),
        Frame::Stderr(data) => (STDERR, data),
        Frame::CloseStdin => (CLOSE_STDIN, &[]),
        Frame::Resize { rows, cols } => {
            fixed = (u32::from(*rows) << 16 | u32::from(*cols)).to_be_bytes();
            (RESIZE, &fixed)
        }
        Frame::Exit(code) => {
            fixed = code.to_be_bytes();
            (EXIT, &fixed)
        }
    };
    let len = payload.len();
    if len > MAX_PAYLOAD {
        return Err(invalid(format!("attach frame too large: {len} bytes")));
    }
    w.write_all(&[&[kind][..], &(len as u32).to_be_bytes(), payload].concat())
}
// ANCHOR_END: write_frame

/// Collects bytes as they arrive and hands out whole frames.
#[derive(Debug, Default)]
pub struct FrameReader {
    buffer: Vec<u8>,
}

impl FrameReader {
    /// Appends bytes just read from the socket; they may end in the middle of a frame.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, or `None` until more bytes are pushed. An error means the peer
    /// does not speak this protocol: drop the connection.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        let Some(header) = self.buffer.first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        // The header is checked before the payload arrives: a bad length fails at once.
        let (kind, len) = parse_header(header)?;
        let Some(payload) = self.buffer.get(HEADER_LEN..HEADER_LEN + len) else {
            return Ok(None);
        };
        let frame = decode(kind, payload)?;
        self.buffer.drain(..HEADER_LEN + len);
        Ok(Some(frame))
    }
}

/// Reads one frame from a blocking reader. `None` means end-of-file between two frames;
/// end-of-file inside a frame is an `UnexpectedEof` error.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut header = [0u8; HEADER_LEN];
    match r.read_exact(&mut header[..1]) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        result => result?,
    }
    r.read_exact(&mut header[1..])?;
    let (kind, len) = parse_header(&header)?;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    decode(kind, &payload).map(Some)
}

fn parse_header(header: &[u8; HEADER_LEN]) -> io::Result<(u8, usize)> {
    let [kind, length @ ..] = *header;
    if kind > EXIT {
        return Err(invalid(format!("unknown attach frame kind {kind}")));
    }
    let len = u32::from_be_bytes(length) as usize;
    if len > MAX_PAYLOAD {
        return Err(invalid(format!("attach frame too large: {len} bytes")));
    }
    Ok((kind, len))
}

fn decode(kind: u8, payload: &[u8]) -> io::Result<Frame> {
    let size = payload.len();
    let wrong_size = || invalid(format!("attach frame kind {kind} with {size} bytes"));
    let four_bytes = || <[u8; 4]>::try_from(payload).map_err(|_| wrong_size());
    match kind {
        STDIN => Ok(Frame::Stdin(payload.to_vec())),
        STDOUT => Ok(Frame::Stdout(payload.to_vec())),
        STDERR => Ok(Frame::Stderr(payload.to_vec())),
        CLOSE_STDIN if payload.is_empty() => Ok(Frame::CloseStdin),
        RESIZE => {
            let [r0, r1, c0, c1] = four_bytes()?;
            let (rows, cols) = (u16::from_be_bytes([r0, r1]), u16::from_be_bytes([c0, c1]));
            Ok(Frame::Resize { rows, cols })
        }
        EXIT => Ok(Frame::Exit(i32::from_be_bytes(four_bytes()?))),
        _ => Err(wrong_size()),
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every kind of frame, and the bytes each becomes on the wire.
    fn samples() -> (Vec<Frame>, Vec<Vec<u8>>) {
        let (rows, cols) = (0x0102, 80);
        let resize = Frame::Resize { rows, cols };
        let samples = vec![
            (Frame::Stdin(vec![7]), vec![0, 0, 0, 0, 1, 7]),
            (Frame::Stdout(Vec::new()), vec![1, 0, 0, 0, 0]),
            (Frame::Stderr(vec![9, 8]), vec![2, 0, 0, 0, 2, 9, 8]),
            (Frame::CloseStdin, vec![3, 0, 0, 0, 0]),
            (resize, vec![4, 0, 0, 0, 4, 1, 2, 0, 80]),
            (Frame::Exit(-2), vec![5, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe]),
        ];
        samples.into_iter().unzip()
    }

    #[test]
    fn frames_round_trip_through_both_readers() {
        let (frames, bytes) = samples();
        let mut wire = Vec::new();
        for frame in &frames {
            write_frame(&mut wire, frame).unwrap();
        }
        assert_eq!(wire, bytes.concat());
        // read_frame returns every frame, then None at the end of the input.
        let mut input = wire.as_slice();
        let read: Vec<Frame> = std::iter::from_fn(|| read_frame(&mut input).unwrap()).collect();
        assert_eq!(read, frames);
        for chunk_size in [1, 2, 3, 7, wire.len()] {
            let mut reader = FrameReader::default();
            let mut received = Vec::new();
            for chunk in wire.chunks(chunk_size) {
                reader.push(chunk);
                while let Some(frame) = reader.next_frame().unwrap() {
                    received.push(frame);
                }
            }
            assert_eq!(received, frames, "chunks of {chunk_size}");
        }
    }

    #[test]
    fn end_of_file_inside_a_frame_is_an_error() {
        for bytes in samples().1 {
            for cut in 1..bytes.len() {
                let error = read_frame(&mut &bytes[..cut]).unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{cut}");
            }
        }
    }

    #[test]
    fn bad_frames_are_rejected_even_before_the_payload_arrives() {
        let cases: [(&[u8], &str); 4] = [
            (&[9, 0, 0, 0, 0], "unknown attach frame kind 9"),
            (&[1, 0, 0x10, 0, 1], "too large: 1048577 bytes"),
            (&[4, 0, 0, 0, 3, 1, 2, 3], "kind 4 with 3 bytes"),
            (&[3, 0, 0, 0, 1, 0], "kind 3 with 1 bytes"),
        ];
        for (wire, message) in cases {
            let mut reader = FrameReader::default();
            reader.push(wire);
            let pushed = reader.next_frame().unwrap_err();
            for error in [pushed, read_frame(&mut &wire[..]).unwrap_err()] {
                assert_eq!(error.kind(), io::ErrorKind::InvalidData);
                assert!(error.to_string().contains(message), "{error}");
            }
        }
        let mut wire = Vec::new();
        let too_large = Frame::Stdin(vec![0; MAX_PAYLOAD + 1]);
        let error = write_frame(&mut wire, &too_large).unwrap_err().to_string();
        assert!(error.contains("too large: 1048577 bytes"), "{error}");
        let largest = Frame::Stdin(vec![7; MAX_PAYLOAD]);
        write_frame(&mut wire, &largest).unwrap();
        assert_eq!(read_frame(&mut wire.as_slice()).unwrap(), Some(largest));
    }
}
