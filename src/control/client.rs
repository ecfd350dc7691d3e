//! A tiny blocking HTTP/1.1 client for the CLI (`ringside start|stop|status`) and the tests:
//! one request per connection (`Connection: close`) over the daemon's Unix socket or its TCP
//! address. Runs on the caller's thread; no async runtime needed for three short calls.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use super::token::{self, DaemonInfo};
use super::ControlError;
use crate::config::Config;

/// Where the daemon listens.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(a) => write!(f, "http://{a}"),
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// A response, body read to the end (chunked bodies decoded).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request and reads the whole response.
pub fn request(
    ep: &Endpoint,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Response, ControlError> {
    let err = |message: String| ControlError::Http {
        endpoint: ep.to_string(),
        message,
    };
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    let timeout = Some(Duration::from_secs(60));
    let mut raw = Vec::new();
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound => {
            ControlError::NotRunning
        }
        _ => err(e.to_string()),
    };
    match ep {
        Endpoint::Tcp(a) => {
            let mut s = TcpStream::connect_timeout(a, Duration::from_secs(2)).map_err(io)?;
            s.set_read_timeout(timeout).map_err(io)?;
            s.write_all(req.as_bytes())
                .and_then(|_| s.write_all(body))
                .map_err(io)?;
            s.read_to_end(&mut raw).map_err(io)?;
        }
        Endpoint::Unix(p) => {
            let mut s = UnixStream::connect(p).map_err(io)?;
            s.set_read_timeout(timeout).map_err(io)?;
            s.write_all(req.as_bytes())
                .and_then(|_| s.write_all(body))
                .map_err(io)?;
            s.read_to_end(&mut raw).map_err(io)?;
        }
    }
    parse_response(&raw).map_err(err)
}

fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("response without a header end")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let nl = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&b[..nl]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        b = &b[nl + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&b[..size]);
        b = b.get(size + 2..).unwrap_or_default();
    }
}

/// A located, running daemon: where it listens and its token.
#[derive(Debug, Clone)]
pub struct Daemon {
    pub endpoint: Endpoint,
    /// The TCP address, for URLs shown to the user.
    pub http: String,
    pub token: String,
    pub info: DaemonInfo,
}

impl Daemon {
    /// Finds the daemon of this config from its runtime files: the Unix socket when it exists,
    /// else TCP. `NotRunning` when there are no files or nothing answers.
    pub fn locate(cfg: &Config) -> Result<Daemon, ControlError> {
        let token_file = token::token_path(cfg);
        let info = token::read_info(&token::info_path(&token_file))?;
        let token = token::read_token(&token_file)?;
        let endpoint = match &info.socket {
            Some(p) if p.exists() => Endpoint::Unix(p.clone()),
            _ => Endpoint::Tcp(info.http.parse().map_err(|_| ControlError::NotRunning)?),
        };
        Ok(Daemon {
            endpoint,
            http: info.http.clone(),
            token,
            info,
        })
    }

    /// A JSON call with the token; returns the status and the JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, serde_json::Value), ControlError> {
        let auth = format!("Bearer {}", self.token);
        let bytes = body.map(|b| b.to_string().into_bytes());
        let r = request(
            &self.endpoint,
            method,
            path,
            &[("Authorization", &auth)],
            bytes.as_deref(),
        )?;
        Ok((r.status, r.json()))
    }

    /// The web page's URL with the token.
    pub fn page_url(&self) -> String {
        format!("http://{}/?token={}", self.http, self.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let r = parse_response(b"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!(r.status, 409);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.body, b"{}");
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!(r.body, b"abcde");
    }

    #[test]
    fn nothing_listening_means_not_running() {
        let dir = tempfile::tempdir().unwrap();
        let e = request(
            &Endpoint::Unix(dir.path().join("none.sock")),
            "GET",
            "/",
            &[],
            None,
        )
        .unwrap_err();
        assert!(matches!(e, ControlError::NotRunning), "{e}");
    }
}
