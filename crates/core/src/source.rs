//! Where things came from.
//!
//! Every rule, list entry and policy setting carries a [`Location`] so that a
//! verdict or an error can be explained down to the line a person wrote. A
//! rule that was *generated* (from a domain-list entry) also records which
//! entry it came from, in [`Origin`].

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// A position in a source file: file name, 1-based line and 1-based column.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    /// The file as the user named it (or a pseudo-name such as `<command line>`).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl Location {
    /// A location in `file` at `line`:`column` (both 1-based).
    pub fn new(file: impl Into<Arc<str>>, line: u32, column: u32) -> Location {
        Location { file: file.into(), line, column }
    }

    /// A location for things that have no file, such as built-in defaults.
    pub fn builtin(what: &str) -> Location {
        Location { file: Arc::from(format!("<{what}>")), line: 0, column: 0 }
    }

    /// The same file and line, `delta` characters further right.
    pub fn shifted(&self, delta: u32) -> Location {
        Location { file: self.file.clone(), line: self.line, column: self.column + delta }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// How a rule came to exist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// Written by hand (a Suricata rule string, a structured rule).
    Written,
    /// Generated from one entry of a domain list.
    ListEntry {
        /// The entry as written in the list, e.g. `.wikipedia.org`.
        target: String,
        /// Index of the entry in its list (0-based).
        index: u32,
    },
    /// A catch-all rule an ALLOWLIST adds after its entries (action order only).
    ListTrailer,
}

/// Where a rule came from: its location and its origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Where the rule (or the list entry that generated it) was written.
    pub location: Location,
    /// Whether it was written or generated, and from what.
    pub origin: Origin,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Written => write!(f, "{}", self.location),
            Origin::ListEntry { target, .. } => {
                write!(f, "{} (list entry `{target}`)", self.location)
            }
            Origin::ListTrailer => write!(f, "{} (allowlist catch-all)", self.location),
        }
    }
}
