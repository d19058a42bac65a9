//! HTTP/1.x request heads: the request line and the Host header.
//!
//! Values are kept as sent: a Host with a port, upper-case letters or a
//! trailing dot is reported byte for byte, and a missing Host is `None`
//! (HTTP/1.0 and 0.9 allow that). An absolute-form target (a proxy request)
//! has its authority reported separately. Several requests on a kept-alive
//! connection are read one after the other; request bodies with a
//! Content-Length are skipped, while a chunked body ends the inspection of
//! the connection (later requests would need a chunk parser). After a
//! CONNECT request the stream belongs to the tunnelled protocol, which the
//! caller inspects afresh (a ClientHello through an HTTPS proxy).

/// Largest request head accepted (request line and headers).
pub const MAX_HEAD: usize = 64 * 1024;

/// An HTTP/1.x request head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    /// Method token (`GET`, `CONNECT`, ...).
    pub method: Vec<u8>,
    /// Request target as sent.
    pub target: Vec<u8>,
    /// Version (`HTTP/1.1`); empty for an HTTP/0.9 simple request.
    pub version: Vec<u8>,
    /// The first Host header value (surrounding whitespace removed).
    pub host: Option<Vec<u8>>,
    /// Number of Host headers (more than one is suspicious).
    pub host_headers: u32,
    /// The header names as Suricata's `http.header_names` buffer holds
    /// them: `\r\nHost\r\nUser-Agent\r\n\r\n`; empty for a request
    /// without headers.
    pub header_names: Vec<u8>,
    /// Authority of an absolute-form or authority-form (CONNECT) target.
    pub target_authority: Option<Vec<u8>>,
    /// Content-Length, if given.
    pub content_length: Option<u64>,
    /// Transfer-Encoding: chunked.
    pub chunked: bool,
}

/// Result of looking for a request at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Parsed {
    /// A complete head; `usize` bytes were used.
    Request(Request, usize),
    /// More bytes are needed.
    Incomplete,
    /// Not an HTTP request.
    Invalid,
}

/// Whether `buf` starts like an HTTP request (a method token and a space).
/// `None` means more bytes are needed to tell.
pub fn looks_like_request(buf: &[u8]) -> Option<bool> {
    for (i, b) in buf.iter().enumerate().take(24) {
        match b {
            b' ' => return Some(i > 0),
            b'A'..=b'Z' | b'-' | b'_' => {}
            _ => return Some(false),
        }
    }
    if buf.len() >= 24 { Some(false) } else { None }
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = b {
        b = rest;
    }
    b
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses one request head at the start of `buf`.
pub fn parse_request(buf: &[u8]) -> Parsed {
    match looks_like_request(buf) {
        Some(true) => {}
        Some(false) => return Parsed::Invalid,
        None => return Parsed::Incomplete,
    }
    let Some(line_end) = buf.iter().position(|&b| b == b'\n') else {
        return if buf.len() > MAX_HEAD { Parsed::Invalid } else { Parsed::Incomplete };
    };
    let line = trim(&buf[..line_end]);
    let mut parts = line.splitn(3, |&b| b == b' ');
    let method = parts.next().unwrap_or_default().to_vec();
    let target = parts.next().unwrap_or_default().to_vec();
    let version = trim(parts.next().unwrap_or_default()).to_vec();
    let mut req = Request {
        method,
        target_authority: authority_of(&target),
        target,
        version,
        host: None,
        host_headers: 0,
        header_names: Vec::new(),
        content_length: None,
        chunked: false,
    };
    if req.version.is_empty() {
        // HTTP/0.9: the request line is the whole request.
        return Parsed::Request(req, line_end + 1);
    }
    // The head ends at an empty line (CRLF CRLF, or bare LF LF).
    let rest = &buf[line_end + 1..];
    let end = match (find(rest, b"\r\n\r\n"), find(rest, b"\n\n")) {
        (Some(a), Some(b)) => (a + 4).min(b + 2),
        (Some(a), None) => a + 4,
        (None, Some(b)) => b + 2,
        (None, None) if rest.starts_with(b"\r\n") => 2,
        (None, None) if rest.starts_with(b"\n") => 1,
        (None, None) => {
            return if buf.len() > MAX_HEAD { Parsed::Invalid } else { Parsed::Incomplete };
        }
    };
    if line_end + 1 + end > MAX_HEAD {
        return Parsed::Invalid;
    }
    for header in rest[..end].split(|&b| b == b'\n') {
        let Some(colon) = header.iter().position(|&b| b == b':') else { continue };
        let name = trim(&header[..colon]);
        let value = trim(&header[colon + 1..]);
        req.header_names.extend_from_slice(b"\r\n");
        req.header_names.extend_from_slice(name);
        if name.eq_ignore_ascii_case(b"host") {
            req.host_headers += 1;
            if req.host.is_none() {
                req.host = Some(value.to_vec());
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            req.content_length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            req.chunked = value.to_ascii_lowercase().ends_with(b"chunked");
        }
    }
    if !req.header_names.is_empty() {
        req.header_names.extend_from_slice(b"\r\n\r\n");
    }
    Parsed::Request(req, line_end + 1 + end)
}

fn authority_of(target: &[u8]) -> Option<Vec<u8>> {
    if target.starts_with(b"/") || target == b"*" {
        return None;
    }
    let rest = match find(target, b"://") {
        Some(i) => &target[i + 3..],
        // CONNECT host:port
        None => target,
    };
    let end = rest.iter().position(|&b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    let auth = &rest[..end];
    let auth = match auth.iter().rposition(|&b| b == b'@') {
        Some(i) => &auth[i + 1..],
        None => auth,
    };
    if auth.is_empty() { None } else { Some(auth.to_vec()) }
}

/// Stateful reader of the requests on one connection's to-server stream.
#[derive(Debug, Clone, Default)]
pub struct HttpClientStream {
    skip_body: u64,
    stopped: bool,
    tunnel: bool,
    requests: u32,
}

impl HttpClientStream {
    /// A reader at the start of a connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// True once nothing more can be read (chunked body, non-HTTP data).
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// True after a CONNECT request: the bytes that follow belong to the
    /// tunnelled protocol (usually TLS), not to HTTP.
    pub fn tunnelled(&self) -> bool {
        self.tunnel
    }

    /// Requests read so far.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// Consumes what it can from the front of `buf`; completed request
    /// heads go to `out`. Returns the bytes consumed.
    pub fn feed(&mut self, buf: &[u8], out: &mut Vec<Request>) -> usize {
        let mut used = 0;
        loop {
            if self.stopped {
                return buf.len();
            }
            if self.tunnel {
                return used;
            }
            let rest = &buf[used..];
            if self.skip_body > 0 {
                let n = (rest.len() as u64).min(self.skip_body);
                self.skip_body -= n;
                used += n as usize;
                if self.skip_body > 0 {
                    return used;
                }
                continue;
            }
            // Stray line ends between requests are allowed.
            let blank = rest.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
            used += blank;
            let rest = &buf[used..];
            if rest.is_empty() {
                return used;
            }
            match parse_request(rest) {
                Parsed::Request(req, n) => {
                    used += n;
                    self.requests += 1;
                    if req.method == b"CONNECT" {
                        self.tunnel = true;
                    } else if req.chunked {
                        self.stopped = true;
                    } else if let Some(len) = req.content_length {
                        self.skip_body = len;
                    }
                    out.push(req);
                }
                Parsed::Incomplete => return used,
                Parsed::Invalid => self.stopped = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_absolute_form() {
        let r = b"GET http://twitter.com/home HTTP/1.1\r\nHost: twitter.com\r\nX: y\r\n\r\n";
        let Parsed::Request(req, n) = parse_request(r) else { panic!() };
        assert_eq!(n, r.len());
        assert_eq!(req.host.as_deref(), Some(&b"twitter.com"[..]));
        assert_eq!(req.target_authority.as_deref(), Some(&b"twitter.com"[..]));
        assert_eq!(req.header_names, b"\r\nHost\r\nX\r\n\r\n");
    }

    #[test]
    fn header_names_buffer_is_absent_without_headers() {
        let Parsed::Request(req, _) = parse_request(b"GET / HTTP/1.0\r\n\r\n") else { panic!() };
        assert!(req.header_names.is_empty());
        assert_eq!(req.host, None);
    }

    #[test]
    fn keepalive_with_body_and_split_head() {
        let mut s = HttpClientStream::new();
        let mut out = Vec::new();
        let data = b"POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: B.example:8080\r\n\r\n";
        let n1 = s.feed(&data[..40], &mut out);
        let n2 = s.feed(&data[n1..], &mut out);
        assert_eq!(n1 + n2, data.len());
        let hosts: Vec<_> = out.iter().map(|r| r.host.clone().unwrap()).collect();
        assert_eq!(hosts, vec![b"a.example".to_vec(), b"B.example:8080".to_vec()]);
    }

    #[test]
    fn http10_without_host() {
        let Parsed::Request(req, _) = parse_request(b"GET / HTTP/1.0\r\nUser-Agent: x\r\n\r\n")
        else {
            panic!()
        };
        assert_eq!(req.host, None);
        assert_eq!(parse_request(b"\x16\x03\x01"), Parsed::Invalid);
    }
}
