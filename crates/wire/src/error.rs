//! The one error type of the crate.
//!
//! Only problems that stop a capture from being read at all (or from being
//! read further) are errors. Bad packets inside a readable capture are not:
//! they are counted in [`crate::Stats`] and decoding goes on.

use std::fmt;

/// Why a capture could not be read (or could not be read to its end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system refused to open or read the file.
    Io,
    /// The file does not start with a pcap or pcapng magic number.
    NotACapture,
    /// A capture format variant this crate does not read.
    Unsupported,
    /// The file ends in the middle of a header or record.
    Truncated,
    /// A header or record holds impossible values (damage in the middle of
    /// the file, or not really a capture).
    Corrupt,
}

/// A capture could not be read, or could not be read past some point.
///
/// The message names the capture, says what is wrong, where (byte offset and
/// the number of the last good packet, when known) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    source_name: String,
    detail: String,
    offset: Option<u64>,
    packets_read: Option<u64>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, source_name: &str, detail: impl Into<String>) -> Self {
        Error {
            kind,
            source_name: source_name.to_owned(),
            detail: detail.into(),
            offset: None,
            packets_read: None,
        }
    }

    /// A capture that could not be opened or read (`source_name` names it).
    pub fn io(source_name: &str, error: &std::io::Error) -> Self {
        Error::new(ErrorKind::Io, source_name, format!("cannot open: {error}"))
    }

    pub(crate) fn at(mut self, offset: u64, packets_read: u64) -> Self {
        self.offset = Some(offset);
        self.packets_read = Some(packets_read);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The name of the capture (usually its path) as given to the reader.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// Byte offset in the file where the damage was found, if known.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// How many packets were read successfully before the damage, if known.
    pub fn packets_read(&self) -> Option<u64> {
        self.packets_read
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source_name, self.detail)?;
        if let (Some(off), Some(n)) = (self.offset, self.packets_read) {
            write!(f, " (at byte offset {off}, after packet {n})")?;
        }
        let hint = match self.kind {
            ErrorKind::Io => "check the path and its permissions",
            ErrorKind::NotACapture => {
                "give a pcap or pcapng file (e.g. written by tcpdump -w or dumpcap); \
                 decompress .gz files first"
            }
            ErrorKind::Unsupported => "convert it with `editcap -F pcapng IN OUT` and retry",
            ErrorKind::Truncated => {
                "the packets before this point were decoded; the capture was probably \
                 cut short while being written"
            }
            ErrorKind::Corrupt => {
                "the packets before this point were decoded; repair the file with \
                 `pcapfix` or cut it with `editcap -r`"
            }
        };
        write!(f, "; {hint}")
    }
}

impl std::error::Error for Error {}
