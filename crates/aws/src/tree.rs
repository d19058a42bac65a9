//! A document tree that remembers where every value was written.
//!
//! AWS JSON, CloudFormation (JSON or YAML), and Terraform plans all become a
//! [`Node`] tree before any reader looks at them. Every node, every object
//! key, and every character of every string keeps its line and column. So an
//! unknown field, a wrong enum value, or a bad keyword deep inside a
//! `RulesString` is reported where the user wrote it. serde_json only gives
//! positions for syntax errors, so JSON is parsed here by a small strict
//! parser. YAML goes through saphyr's marked tree and is converted.

use std::sync::Arc;

use rulesim_core::{Error, ErrorKind, Location};
use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    /// Line, 1-based.
    pub(crate) line: u32,
    /// Column, 1-based, in characters.
    pub(crate) col: u32,
}

impl Pos {
    /// The same line, `chars` columns further right.
    pub(crate) fn shift(self, chars: usize) -> Pos {
        Pos { line: self.line, col: self.col + chars as u32 }
    }
}

/// A string value and where each of its characters came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Text {
    /// The decoded string.
    pub(crate) text: String,
    /// Where runs of the decoded string start in the source, by byte offset
    /// into `text`. Between two segments the source advances one column per
    /// character and never crosses a line.
    segments: Vec<(usize, Pos)>,
}

impl Text {
    /// A string that starts at `pos` and maps column for column, starting a
    /// new source line after every `\n` (a plain file, a YAML block scalar).
    pub(crate) fn lines(text: String, first: Pos, indent_col: u32) -> Text {
        let mut segments = vec![(0, first)];
        for (line, (i, _)) in (first.line + 1..).zip(text.match_indices('\n')) {
            segments.push((i + 1, Pos { line, col: indent_col }));
        }
        Text { text, segments }
    }

    /// A string assembled from pieces: `segments` are (byte offset in
    /// `text`, source position of that byte), sorted by offset.
    pub(crate) fn from_segments(text: String, segments: Vec<(usize, Pos)>) -> Text {
        Text { text, segments }
    }

    /// Where byte `offset` of the decoded string was written.
    pub(crate) fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let i = self.segments.partition_point(|(b, _)| *b <= offset);
        let Some(&(start, pos)) = self.segments.get(i.saturating_sub(1)) else {
            return Pos::default();
        };
        let chars = self.text.get(start..offset).map_or(0, |s| s.chars().count());
        Pos { line: pos.line, col: pos.col + chars as u32 }
    }
}

/// An object key and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    /// The key.
    pub(crate) name: String,
    /// Its position.
    pub(crate) at: Pos,
}

/// A value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// `null` (or an empty YAML value).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string.
    Str(Text),
    /// An array / sequence.
    Array(Vec<Node>),
    /// An object / mapping, keys in written order.
    Object(Vec<(Key, Node)>),
    /// A YAML tag such as CloudFormation's `!Ref`, with the tagged value.
    Tagged(String, Box<Node>),
}

/// A value and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// Where the value starts.
    pub(crate) at: Pos,
    /// The value.
    pub(crate) value: Value,
}

impl Node {
    /// The value of `key`, if this is an object that has it.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(fields) => fields.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(t) => Some(&t.text),
            _ => None,
        }
    }
}

/// Nesting deeper than this is rejected instead of overflowing the stack.
const MAX_DEPTH: usize = 128;

/// Parses `source` as JSON. `file` names it in the error.
pub(crate) fn parse_json(file: &Arc<str>, source: &str) -> Result<Node, Error> {
    let mut p = JsonParser { src: source, bytes: source.as_bytes(), i: 0, line: 1, col: 1 };
    let fail = |p: &JsonParser<'_>, message: String| {
        Error::new(ErrorKind::Syntax, format!("invalid JSON: {message}"))
            .at(Location::new(file.clone(), p.line, p.col))
            .with_hint("check the quoting, commas and brackets around this position")
    };
    p.ws();
    let node = p.value(0).map_err(|m| fail(&p, m))?;
    p.ws();
    if p.i < p.bytes.len() {
        return Err(fail(&p, "unexpected text after the end of the document".into()));
    }
    Ok(node)
}

struct JsonParser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: u32,
    col: u32,
}

impl JsonParser<'_> {
    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    /// Advances over one character.
    fn bump(&mut self) -> Option<char> {
        let c = self.src.get(self.i..)?.chars().next()?;
        self.i += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.bump();
            Ok(())
        } else {
            Err(format!("expected {what}, found {}", self.found()))
        }
    }

    fn found(&self) -> String {
        match self.src.get(self.i..).and_then(|s| s.chars().next()) {
            None => "the end of the file".into(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        let at = self.pos();
        let value = match self.peek() {
            Some(b'{') => {
                self.bump();
                let mut fields: Vec<(Key, Node)> = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.bump();
                } else {
                    loop {
                        self.ws();
                        let key_at = self.pos();
                        if self.peek() != Some(b'"') {
                            return Err(format!("expected a quoted key, found {}", self.found()));
                        }
                        let key = self.string()?;
                        if fields.iter().any(|(k, _)| k.name == key.text) {
                            self.line = key_at.line;
                            self.col = key_at.col;
                            return Err(format!("duplicate key \"{}\"", key.text));
                        }
                        self.ws();
                        self.expect(b':', "`:` after the key")?;
                        self.ws();
                        let v = self.value(depth + 1)?;
                        fields.push((Key { name: key.text, at: key_at }, v));
                        self.ws();
                        match self.peek() {
                            Some(b',') => {
                                self.bump();
                            }
                            Some(b'}') => {
                                self.bump();
                                break;
                            }
                            _ => {
                                return Err(format!(
                                    "expected `,` or `}}`, found {}",
                                    self.found()
                                ));
                            }
                        }
                    }
                }
                Value::Object(fields)
            }
            Some(b'[') => {
                self.bump();
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.bump();
                } else {
                    loop {
                        self.ws();
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.peek() {
                            Some(b',') => {
                                self.bump();
                            }
                            Some(b']') => {
                                self.bump();
                                break;
                            }
                            _ => {
                                return Err(format!("expected `,` or `]`, found {}", self.found()));
                            }
                        }
                    }
                }
                Value::Array(items)
            }
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') => self.word("true", Value::Bool(true))?,
            Some(b'f') => self.word("false", Value::Bool(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
                    self.bump();
                }
                let text = &self.src[start..self.i];
                if text.parse::<f64>().is_err() {
                    return Err(format!("`{text}` is not a number"));
                }
                Value::Number(text.to_string())
            }
            _ => return Err(format!("expected a value, found {}", self.found())),
        };
        Ok(Node { at, value })
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.src.get(self.i..).is_some_and(|s| s.starts_with(word)) {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(value)
        } else {
            Err(format!("expected a value, found {}", self.found()))
        }
    }

    /// A string; the cursor is on the opening quote.
    fn string(&mut self) -> Result<Text, String> {
        self.bump();
        let mut out = String::new();
        let mut segments = vec![(0, self.pos())];
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated string".into());
            };
            match c {
                b'"' => {
                    self.bump();
                    return Ok(Text { text: out, segments });
                }
                b'\\' => {
                    let escape_at = self.pos();
                    self.bump();
                    let Some(e) = self.bump() else {
                        return Err("unterminated string".into());
                    };
                    let decoded = match e {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => self.unicode_escape()?,
                        other => {
                            self.line = escape_at.line;
                            self.col = escape_at.col;
                            return Err(format!("invalid escape `\\{other}` in a string"));
                        }
                    };
                    segments.push((out.len(), escape_at));
                    out.push(decoded);
                    segments.push((out.len(), self.pos()));
                }
                0..=0x1f => {
                    return Err(
                        "control character (such as a raw newline) in a string; write it as `\\n`"
                            .into(),
                    );
                }
                _ => {
                    let Some(ch) = self.bump() else {
                        return Err("unterminated string".into());
                    };
                    out.push(ch);
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let text = self.src.get(self.i..self.i + 4).ok_or("truncated `\\u` escape")?;
        let v = u32::from_str_radix(text, 16).map_err(|_| format!("invalid `\\u{text}` escape"))?;
        for _ in 0..4 {
            self.bump();
        }
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.src.get(self.i..).is_some_and(|s| s.starts_with("\\u")) {
                self.bump();
                self.bump();
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return char::from_u32(c).ok_or_else(|| "invalid surrogate pair".into());
                }
            }
            return Err("unpaired surrogate in `\\u` escape".into());
        }
        char::from_u32(hi).ok_or_else(|| "invalid `\\u` escape".into())
    }
}

/// Parses `source` as one YAML document (CloudFormation's short-form tags
/// such as `!Ref` are kept as [`Value::Tagged`]).
pub(crate) fn parse_yaml(file: &Arc<str>, source: &str) -> Result<Node, Error> {
    let docs = MarkedYamlOwned::load_from_str(source).map_err(|e| {
        let m = e.marker();
        Error::new(ErrorKind::Syntax, format!("invalid YAML: {}", e.info()))
            .at(Location::new(file.clone(), m.line() as u32, m.col() as u32 + 1))
            .with_hint("check the indentation and quoting around this position")
    })?;
    let lines: Vec<&str> = source.split('\n').collect();
    match docs.as_slice() {
        [doc] => Ok(convert(doc, &lines, 0)),
        [] => Err(Error::new(ErrorKind::MissingField, "the file is empty")
            .at(Location::new(file.clone(), 1, 1))
            .with_hint("write a template or rule group into it")),
        [_, second, ..] => {
            Err(Error::new(ErrorKind::Syntax, "the file holds several YAML documents")
                .at(Location::new(file.clone(), second.span.start.line() as u32, 1))
                .with_hint("keep one document: remove the `---` separator"))
        }
    }
}

fn convert(node: &MarkedYamlOwned, lines: &[&str], depth: usize) -> Node {
    let at = Pos { line: node.span.start.line() as u32, col: node.span.start.col() as u32 + 1 };
    let value = if depth > MAX_DEPTH {
        Value::Null
    } else {
        match &node.data {
            YamlDataOwned::Value(ScalarOwned::String(s)) => Value::Str(yaml_text(s, at, lines)),
            YamlDataOwned::Value(ScalarOwned::Integer(i)) => Value::Number(i.to_string()),
            YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => Value::Number(f.to_string()),
            YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Value::Bool(*b),
            YamlDataOwned::Value(ScalarOwned::Null) => Value::Null,
            YamlDataOwned::Representation(s, _, _) => Value::Str(yaml_text(s, at, lines)),
            YamlDataOwned::Sequence(items) => {
                Value::Array(items.iter().map(|i| convert(i, lines, depth + 1)).collect())
            }
            YamlDataOwned::Mapping(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let key = convert(k, lines, depth + 1);
                        let name = match &key.value {
                            Value::Str(t) => t.text.clone(),
                            Value::Number(n) => n.clone(),
                            Value::Bool(b) => b.to_string(),
                            _ => String::new(),
                        };
                        (Key { name, at: key.at }, convert(v, lines, depth + 1))
                    })
                    .collect(),
            ),
            YamlDataOwned::Tagged(tag, inner) => {
                let name = format!("{}{}", tag.handle, tag.suffix);
                Value::Tagged(name, Box::new(convert(inner, lines, depth + 1)))
            }
            _ => Value::Null,
        }
    };
    Node { at, value }
}

/// Where the characters of a YAML string scalar starting at `at` came from:
/// exact for plain, quoted and literal block scalars.
fn yaml_text(s: &str, at: Pos, lines: &[&str]) -> Text {
    let line = lines.get(at.line.saturating_sub(1) as usize).copied().unwrap_or("");
    let first = line.chars().nth(at.col.saturating_sub(1) as usize);
    match first {
        Some('|' | '>') => {
            // Content starts on the next line, at the block's indentation.
            let indent = lines
                .iter()
                .skip(at.line as usize)
                .find(|l| !l.trim().is_empty())
                .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
            let col = indent as u32 + 1;
            Text::lines(s.to_string(), Pos { line: at.line + 1, col }, col)
        }
        Some('"' | '\'') => {
            Text::lines(s.to_string(), Pos { line: at.line, col: at.col + 1 }, at.col + 1)
        }
        _ => Text::lines(s.to_string(), at, at.col),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn file() -> Arc<str> {
        Arc::from("t.json")
    }

    #[test]
    fn json_positions_of_keys_values_and_string_characters() {
        let src = "{\n  \"A\": [1, true],\n  \"B\": \"x\\\"y\\nz\"\n}";
        let root = parse_json(&file(), src).unwrap();
        let Value::Object(fields) = &root.value else { panic!() };
        assert_eq!(fields[0].0.at, Pos { line: 2, col: 3 });
        assert_eq!(fields[1].1.at, Pos { line: 3, col: 8 });
        let Value::Str(t) = &fields[1].1.value else { panic!() };
        assert_eq!(t.text, "x\"y\nz");
        assert_eq!(t.pos(0), Pos { line: 3, col: 9 });
        assert_eq!(t.pos(2), Pos { line: 3, col: 12 }, "after the escaped quote");
        assert_eq!(t.pos(4), Pos { line: 3, col: 15 }, "after the \\n escape");
    }

    #[test]
    fn json_errors_name_the_place() {
        let cases = [
            ("{\"a\": 1,}", "1:9", "expected a quoted key"),
            ("{\"a\": [1 2]}", "1:10", "expected `,` or `]`"),
            ("{\"a\": \"x\ny\"}", "1:9", "control character"),
            ("{\"a\": 1, \"a\": 2}", "1:10", "duplicate key"),
            ("{\"a\": tru}", "1:7", "expected a value"),
            ("[1] x", "1:5", "unexpected text"),
            ("", "1:1", "expected a value"),
        ];
        for (src, at, msg) in cases {
            let e = parse_json(&file(), src).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("t.json:{at}: error: invalid JSON: {msg}")),
                "{src}: {e}"
            );
        }
        let deep = "[".repeat(1000);
        assert!(parse_json(&file(), &deep).is_err());
    }

    #[test]
    fn yaml_tags_and_block_scalars_keep_positions() {
        let src = "A: !Ref Foo\nB:\n  Rules: |\n    pass tls any\n    drop tls\n";
        let root = parse_yaml(&file(), src).unwrap();
        let a = root.get("A").unwrap();
        let Value::Tagged(tag, inner) = &a.value else { panic!("{a:?}") };
        assert_eq!(tag, "!Ref");
        assert_eq!(inner.as_str(), Some("Foo"));
        let Value::Str(t) = &root.get("B").unwrap().get("Rules").unwrap().value else { panic!() };
        assert_eq!(t.pos(0), Pos { line: 4, col: 5 });
        assert_eq!(t.pos(t.text.find("drop").unwrap() + 1), Pos { line: 5, col: 6 });
    }
}
