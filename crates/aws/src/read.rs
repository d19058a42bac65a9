//! Walking a [`Node`] tree while collecting every error with its place.
//!
//! The AWS shapes are read by hand, field by field, the way
//! `rulesim_core::native` reads YAML: that keeps positions, reports unknown
//! fields and wrong enum values (with a "did you mean"), and collects all
//! problems of a file instead of stopping at the first.

use std::sync::Arc;

use rulesim_core::{Error, ErrorKind, Errors, Location};

use crate::Warning;
use crate::tree::{Key, Node, Pos, Text, Value};

/// Errors and warnings of one file.
pub(crate) struct Ctx {
    /// The file as named in messages.
    pub(crate) file: Arc<str>,
    /// Every error found.
    pub(crate) errors: Errors,
    /// Every warning found.
    pub(crate) warnings: Vec<Warning>,
}

/// An object's fields that passed the allowed-key check.
pub(crate) struct Fields<'n> {
    items: Vec<(&'n Key, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `name`, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&'n Node> {
        self.items.iter().find(|(k, _)| k.name == name).map(|(_, v)| *v)
    }
}

impl Ctx {
    pub(crate) fn new(file: Arc<str>) -> Ctx {
        Ctx { file, errors: Errors::new(), warnings: Vec::new() }
    }

    pub(crate) fn loc(&self, pos: Pos) -> Location {
        Location::new(self.file.clone(), pos.line, pos.col)
    }

    pub(crate) fn err(
        &mut self,
        pos: Pos,
        kind: ErrorKind,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let e = Error::new(kind, message).at(self.loc(pos)).with_hint(hint);
        self.errors.push(e);
    }

    pub(crate) fn warn(&mut self, pos: Pos, message: impl Into<String>) {
        let w = Warning { location: Some(self.loc(pos)), message: message.into() };
        self.warnings.push(w);
    }

    /// The object's fields; an error for a non-object and for each key not
    /// in `allowed` (with the closest allowed key as a suggestion).
    pub(crate) fn object<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Fields<'n> {
        let Value::Object(fields) = &node.value else {
            self.err(
                node.at,
                ErrorKind::InvalidValue,
                format!("{what} must be an object"),
                format!(
                    "write {what} as {{\"Key\": value, ...}}; it accepts {}",
                    allowed.join(", ")
                ),
            );
            return Fields { items: Vec::new() };
        };
        let mut items = Vec::new();
        for (k, v) in fields {
            if allowed.contains(&k.name.as_str()) {
                items.push((k, v));
            } else {
                let hint = match closest(&k.name, allowed) {
                    Some(s) => {
                        format!("did you mean `{s}`? {what} accepts: {}", allowed.join(", "))
                    }
                    None => format!("{what} accepts: {}", allowed.join(", ")),
                };
                self.err(
                    k.at,
                    ErrorKind::UnknownField,
                    format!("unknown field `{}` in {what}", k.name),
                    hint,
                );
            }
        }
        Fields { items }
    }

    /// A required field.
    pub(crate) fn required<'n>(
        &mut self,
        fields: &Fields<'n>,
        at: Pos,
        name: &str,
        what: &str,
    ) -> Option<&'n Node> {
        let v = fields.get(name);
        if v.is_none() {
            self.err(
                at,
                ErrorKind::MissingField,
                format!("{what} has no `{name}`"),
                format!("add `{name}`"),
            );
        }
        v
    }

    pub(crate) fn string<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n Text> {
        match &node.value {
            Value::Str(t) => Some(t),
            _ => {
                self.err(
                    node.at,
                    ErrorKind::InvalidValue,
                    format!("{what} must be a string"),
                    format!("write {what} in double quotes"),
                );
                None
            }
        }
    }

    pub(crate) fn array<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.value {
            Value::Array(items) => items,
            _ => {
                self.err(
                    node.at,
                    ErrorKind::InvalidValue,
                    format!("{what} must be a list"),
                    format!("write {what} as [\"a\", \"b\"]"),
                );
                &[]
            }
        }
    }

    pub(crate) fn strings(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
        let mut out = Vec::new();
        for item in self.array(node, what) {
            if let Some(t) = self.string(item, &format!("each entry of {what}")) {
                out.push((t.text.clone(), item.at));
            }
        }
        out
    }

    /// A whole number in `range` (JSON number, or a numeric string as
    /// CloudFormation and Terraform sometimes write them).
    pub(crate) fn integer(
        &mut self,
        node: &Node,
        what: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let text = match &node.value {
            Value::Number(n) => Some(n.as_str()),
            Value::Str(t) => Some(t.text.as_str()),
            _ => None,
        };
        match text.and_then(|t| {
            t.trim()
                .parse::<i64>()
                .ok()
                .or_else(|| t.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        }) {
            Some(v) if range.contains(&v) => Some(v),
            _ => {
                self.err(
                    node.at,
                    ErrorKind::InvalidValue,
                    format!(
                        "{what} must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                    format!("write {what} as a number such as {}", range.start()),
                );
                None
            }
        }
    }

    /// One of `allowed`; a wrong value is an error naming the valid ones.
    pub(crate) fn one_of<'a>(
        &mut self,
        node: &Node,
        what: &str,
        allowed: &[&'a str],
    ) -> Option<&'a str> {
        let text = self.string(node, what)?.text.clone();
        if let Some(v) = allowed.iter().find(|a| **a == text) {
            return Some(v);
        }
        let hint = match closest(&text, allowed) {
            Some(s) => format!("did you mean `{s}`? valid values: {}", allowed.join(", ")),
            None => format!("valid values: {}", allowed.join(", ")),
        };
        self.err(node.at, ErrorKind::InvalidValue, format!("`{text}` is not a valid {what}"), hint);
        None
    }
}

pub(crate) use rulesim_core::error::closest;
