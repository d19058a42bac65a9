//! Errors: one type, with a kind to branch on, a location and a fix.
//!
//! Building a policy is the only fallible step in rulesim-core, and a user
//! who wrote ten mistakes wants to see ten errors at once. So builders collect
//! every [`Error`] into an [`Errors`] list instead of stopping at the first.

use std::fmt;

use crate::source::Location;

/// What kind of mistake an [`Error`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text could not be parsed (YAML, JSON, rule syntax).
    Syntax,
    /// A domain name that is not valid where it was written.
    InvalidName,
    /// A value of the right type but outside what is allowed.
    InvalidValue,
    /// A key or field that this format does not have.
    UnknownField,
    /// A required key or field is missing.
    MissingField,
    /// `$NAME` used but never defined.
    UndefinedVariable,
    /// Settings that cannot be used together.
    Conflict,
    /// Valid for AWS but not something rulesim can evaluate.
    Unsupported,
    /// A file could not be read.
    Io,
}

/// One problem in a policy, with where it is and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    location: Option<Location>,
    message: String,
    hint: Option<String>,
}

impl Error {
    /// A new error of `kind` with a one-line `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, location: None, message: message.into(), hint: None }
    }

    /// Attaches where the problem is.
    pub fn at(mut self, location: Location) -> Error {
        self.location = Some(location);
        self
    }

    /// Attaches a hint telling the user what to write instead.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where the problem is, if known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The one-line description.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it, if rulesim knows.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Every error found while reading or building a policy, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Errors(Vec<Error>);

impl Errors {
    /// An empty list.
    pub fn new() -> Errors {
        Errors(Vec::new())
    }

    /// Adds one error.
    pub fn push(&mut self, error: Error) {
        self.0.push(error);
    }

    /// Adds every error of `other`.
    pub fn extend(&mut self, other: Errors) {
        self.0.extend(other.0);
    }

    /// Whether no error was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }

    /// `Ok(value)` if empty, otherwise `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Errors> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }
}

impl From<Error> for Errors {
    fn from(error: Error) -> Errors {
        Errors(vec![error])
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// The word of `allowed` closest to `word` (ASCII case ignored), if it is a
/// plausible typo of it: for "did you mean" hints.
pub fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    allowed
        .iter()
        .map(|a| (edit_distance(&lower, &a.to_ascii_lowercase()), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let old = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            prev = old;
        }
    }
    row[b.len()]
}
