//! DNS messages over UDP and TCP, decoded with `hickory-proto`.
//!
//! Names are reported as sent: the label bytes joined with dots, case
//! preserved, no trailing root dot (the root itself is the empty string).
//! Answers of type A, AAAA, CNAME and HTTPS are kept, because a later
//! check compares connection addresses with what DNS returned.
//!
//! When hickory rejects a message (odd RDATA in an answer, say) the
//! question section is still read by a small parser here, so a query name
//! is never lost to an unrelated defect elsewhere in the message.

use std::net::IpAddr;

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::rdata::svcb::SvcParamValue;
use hickory_proto::rr::{Name, RData};

/// A DNS question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Question {
    /// The name as sent (case kept, no trailing dot).
    pub name: String,
    /// Query type (1 = A, 28 = AAAA, 65 = HTTPS, ...).
    pub qtype: u16,
}

/// The data of an answer record this crate keeps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum AnswerData {
    /// An IPv4 or IPv6 address (A or AAAA).
    Addr(IpAddr),
    /// A CNAME target.
    Cname(String),
    /// An HTTPS (SVCB) record: target name and address hints.
    Https {
        /// Target name ("" means the owner name).
        target: String,
        /// ipv4hint and ipv6hint addresses.
        hints: Vec<IpAddr>,
        /// Whether the record carries an ECH config.
        ech: bool,
    },
    /// Another record type (the type number).
    Other(u16),
}

/// One answer record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    /// Owner name.
    pub name: String,
    /// Time to live.
    pub ttl: u32,
    /// Record data.
    pub data: AnswerData,
}

/// A decoded DNS message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsMessage {
    /// Transaction id.
    pub id: u16,
    /// True for a response (QR bit).
    pub response: bool,
    /// Response code (0 = NOERROR, 3 = NXDOMAIN).
    pub rcode: u16,
    /// Questions.
    pub questions: Vec<Question>,
    /// Answer section (empty for queries).
    pub answers: Vec<Answer>,
    /// True when hickory could not decode the message and only the header
    /// and questions were read.
    pub partial: bool,
}

/// Renders a name as sent: labels joined by dots, case kept.
pub fn name_to_string(name: &Name) -> String {
    let mut out = String::new();
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_label(&mut out, label);
    }
    out
}

fn push_label(out: &mut String, label: &[u8]) {
    for &b in label {
        if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b:03}"));
        }
    }
}

/// Decodes a DNS message (the UDP payload, or one TCP message without its
/// length prefix). `None` when not even the header and questions parse.
pub fn parse_message(b: &[u8]) -> Option<DnsMessage> {
    match Message::from_vec(b) {
        Ok(m) => Some(from_hickory(&m)),
        Err(_) => parse_questions_only(b),
    }
}

fn from_hickory(m: &Message) -> DnsMessage {
    let questions = m
        .queries()
        .iter()
        .map(|q| Question { name: name_to_string(q.name()), qtype: u16::from(q.query_type()) })
        .collect();
    let answers = m
        .answers()
        .iter()
        .map(|r| {
            let data = match r.data() {
                RData::A(a) => AnswerData::Addr(IpAddr::V4(a.0)),
                RData::AAAA(a) => AnswerData::Addr(IpAddr::V6(a.0)),
                RData::CNAME(c) => AnswerData::Cname(name_to_string(&c.0)),
                RData::HTTPS(h) => {
                    let mut hints = Vec::new();
                    let mut ech = false;
                    for (_, v) in h.svc_params() {
                        match v {
                            SvcParamValue::Ipv4Hint(x) => {
                                hints.extend(x.0.iter().map(|a| IpAddr::V4(a.0)));
                            }
                            SvcParamValue::Ipv6Hint(x) => {
                                hints.extend(x.0.iter().map(|a| IpAddr::V6(a.0)));
                            }
                            SvcParamValue::EchConfigList(_) => ech = true,
                            _ => {}
                        }
                    }
                    AnswerData::Https { target: name_to_string(h.target_name()), hints, ech }
                }
                other => AnswerData::Other(u16::from(other.record_type())),
            };
            Answer { name: name_to_string(r.name()), ttl: r.ttl(), data }
        })
        .collect();
    DnsMessage {
        id: m.id(),
        response: m.message_type() == MessageType::Response,
        rcode: u16::from(m.response_code()),
        questions,
        answers,
        partial: false,
    }
}

/// Reads the header and question section only.
fn parse_questions_only(b: &[u8]) -> Option<DnsMessage> {
    let be16 = |at: usize| Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
    let id = be16(0)?;
    let flags = be16(2)?;
    let qd = be16(4)?;
    let mut at = 12;
    let mut questions = Vec::new();
    for _ in 0..qd.min(64) {
        let (name, next) = read_name(b, at)?;
        let qtype = be16(next)?;
        be16(next + 2)?;
        at = next + 4;
        questions.push(Question { name, qtype });
    }
    Some(DnsMessage {
        id,
        response: flags & 0x8000 != 0,
        rcode: flags & 0x000f,
        questions,
        answers: Vec::new(),
        partial: true,
    })
}

/// Reads a possibly compressed name at `at`; returns it and the offset
/// after it. Pointers may only go backwards, so loops are impossible.
fn read_name(b: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut end = None;
    let mut limit = at;
    for _ in 0..128 {
        let len = *b.get(at)?;
        match len >> 6 {
            0 => {
                if len == 0 {
                    return Some((out, end.unwrap_or(at + 1)));
                }
                let label = b.get(at + 1..at + 1 + usize::from(len))?;
                if !out.is_empty() {
                    out.push('.');
                }
                push_label(&mut out, label);
                at += 1 + usize::from(len);
            }
            3 => {
                let ptr = usize::from(u16::from_be_bytes([len, *b.get(at + 1)?]) & 0x3fff);
                if ptr >= limit {
                    return None;
                }
                end.get_or_insert(at + 2);
                limit = ptr;
                at = ptr;
            }
            _ => return None,
        }
    }
    None
}

/// Splits a TCP DNS stream into length-prefixed messages. Returns the
/// messages found and the bytes consumed.
pub fn split_tcp_messages(buf: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut out = Vec::new();
    let mut used = 0;
    while let Some(len) =
        buf.get(used..used + 2).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
    {
        let Some(msg) = buf.get(used + 2..used + 2 + len) else { break };
        out.push(msg);
        used += 2 + len;
    }
    (out, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_reads_question_with_case() {
        // id, flags (query), qd=1, then a name and a truncated rest.
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03WwW\x07example\x03CoM\x00\x00\x01\x00\x01");
        let d = parse_message(&m).unwrap();
        assert_eq!(d.questions, vec![Question { name: "WwW.example.CoM".into(), qtype: 1 }]);
        let d = parse_questions_only(&m).unwrap();
        assert_eq!(d.questions[0].name, "WwW.example.CoM");
    }

    #[test]
    fn pointer_loops_are_refused() {
        let m = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        assert!(parse_questions_only(&m).is_none());
    }
}
