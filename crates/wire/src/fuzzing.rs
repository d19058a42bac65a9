//! Entry points shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`) and
//! the corpus regression test (`tests/fuzz_corpus.rs`), so that both
//! exercise exactly the same code. Each takes arbitrary bytes and must
//! never panic.

use std::io::Cursor;

use crate::{Config, Decoder, dns, http, quic, tls};

/// A to-server TLS byte stream: record layer, handshake reassembly,
/// ClientHello parsing and the JA4 fingerprint.
pub fn client_hello(data: &[u8]) {
    for h in tls::client_hellos_in_stream(data) {
        let _ = h.hello.ja4(false);
        let _ = h.hello.has_grease();
    }
    if let Ok(h) = tls::parse_client_hello(data) {
        let _ = h.ja4(true);
    }
}

/// QUIC: the bytes as a datagram (header parsing and Initial decryption)
/// and as a decrypted Initial payload (frame walk and CRYPTO reassembly).
pub fn quic_initial(data: &[u8]) {
    let _ = quic::long_headers(data);
    let _ = quic::client_hello_from_datagrams([data]);
    if let Some(h) = quic::hello_from_initial_payload(data) {
        let _ = h.ja4(true);
    }
}

/// HTTP/1.x request heads, fed whole and in two pieces.
pub fn http_request(data: &[u8]) {
    let _ = http::parse_request(data);
    let mut s = http::HttpClientStream::new();
    let mut out = Vec::new();
    let cut = data.len() / 2;
    let used = s.feed(&data[..cut], &mut out);
    let mut rest = data[used..cut].to_vec();
    rest.extend_from_slice(&data[cut..]);
    let _ = s.feed(&rest, &mut out);
}

/// A DNS message (UDP form) and a TCP DNS stream.
pub fn dns_message(data: &[u8]) {
    let _ = dns::parse_message(data);
    let (msgs, _) = dns::split_tcp_messages(data);
    for m in msgs {
        let _ = dns::parse_message(m);
    }
}

/// A whole capture file, decoded to the end with small limits so that
/// eviction and depth paths are reached.
pub fn capture(data: &[u8]) {
    let config = Config { max_flows: 8, reassembly_depth: 4096, ..Config::default() };
    if let Ok(mut d) = Decoder::new(Cursor::new(data), "fuzz", config) {
        for _ in &mut d {}
        let _ = d.stats();
    }
}
