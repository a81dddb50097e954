//! A minimal HTTP/1.1 keep-alive client for the load generators. Written by hand, not taken
//! from reqwest or hyper, because the load shares the machine's two cores with the server it
//! measures: a request here is one `write_all` of bytes prepared once and a read of the answer
//! by its `Content-Length`, the way wrk drives a server, so that the numbers are the server's.
//! It speaks only what okienko answers (a status line, headers, a body of known length).

use std::net::SocketAddr;
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Client {
    addr: SocketAddr,
    /// Open connections not in use: a request takes one (or opens one) and gives it back.
    idle: Mutex<Vec<TcpStream>>,
}

impl Client {
    /// A client of `base` (`http://host:port`).
    pub async fn new(base: &str) -> anyhow::Result<Client> {
        let hostport = base
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("only http:// targets: {base}"))?
            .trim_end_matches('/');
        let addr = tokio::net::lookup_host(hostport)
            .await?
            .next()
            .ok_or_else(|| anyhow::anyhow!("no address for {hostport}"))?;
        Ok(Client {
            addr,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends a whole request (head and body, as bytes) and returns the answer's status and
    /// body; None when the connection failed (it is then dropped).
    pub async fn request(&self, request: &[u8]) -> Option<(u16, Vec<u8>)> {
        let pooled = self.idle.lock().ok().and_then(|mut v| v.pop());
        // A pooled connection the server has closed meanwhile (it closes idle ones) fails
        // at once: the request goes again on a new one.
        let (conn, answer) = match pooled {
            Some(mut c) => match exchange(&mut c, request).await {
                Some(a) => (c, a),
                None => self.fresh(request).await?,
            },
            None => self.fresh(request).await?,
        };
        if let Ok(mut v) = self.idle.lock() {
            v.push(conn);
        }
        Some(answer)
    }
}

impl Client {
    async fn fresh(&self, request: &[u8]) -> Option<(TcpStream, (u16, Vec<u8>))> {
        let mut c = TcpStream::connect(self.addr).await.ok()?;
        c.set_nodelay(true).ok()?;
        let answer = exchange(&mut c, request).await?;
        Some((c, answer))
    }
}

async fn exchange(conn: &mut TcpStream, request: &[u8]) -> Option<(u16, Vec<u8>)> {
    conn.write_all(request).await.ok()?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf.split_off(head_end);
    while body.len() < length {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((status, body))
}

/// The bytes of a request: method, path, headers (name, value) and body.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: okienko\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}
