//! The API token and the daemon's runtime files: the token (0600), and `daemon.json` beside
//! it telling the CLI where the daemon listens. Written by the daemon at start (main thread),
//! read by `ringside start|stop|status`.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ControlError;
use crate::config::Config;

/// Name of the file beside the token that describes the running daemon.
pub const INFO_FILE: &str = "daemon.json";
/// Name of the Unix socket in the runtime directory.
pub const SOCKET_FILE: &str = "daemon.sock";

/// `daemon.json` (version 1): where a running daemon listens. Written 0600 at start, removed
/// at a clean exit; a stale file (daemon killed) is detected by the failed connection.
///
/// ```text
/// {"version":1,"pid":4242,"http":"127.0.0.1:7563","socket":"/run/user/1000/ringside/daemon.sock"}
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DaemonInfo {
    pub version: u32,
    pub pid: u32,
    /// The TCP address actually bound (the real port when 0 was asked for).
    pub http: String,
    #[serde(default)]
    pub socket: Option<PathBuf>,
}

/// `$XDG_RUNTIME_DIR/ringside` (tmpfs, private to the user, cleared at logout), else
/// `<data dir>/ringside/run`.
pub fn runtime_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("ringside");
    }
    let data = crate::config::default_sessions_dir();
    data.parent()
        .map(|p| p.join("run"))
        .unwrap_or_else(|| PathBuf::from("ringside-run"))
}

/// The token file of `cfg` (`daemon.token_file`, else `<runtime dir>/token`).
pub fn token_path(cfg: &Config) -> PathBuf {
    cfg.daemon
        .token_file
        .clone()
        .unwrap_or_else(|| runtime_dir().join("token"))
}

/// `daemon.json` lives beside the token, so a custom `token_file` moves both together.
pub fn info_path(token_file: &Path) -> PathBuf {
    token_file
        .parent()
        .unwrap_or(Path::new("."))
        .join(INFO_FILE)
}

/// A fresh random token: 32 bytes from the kernel's CSPRNG, hex.
pub fn generate() -> Result<String, ControlError> {
    let path = PathBuf::from("/dev/urandom");
    let mut buf = [0u8; 32];
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|source| ControlError::Read { path, source })?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `contents` to `path` with mode 0600 (directory created 0700), replacing it.
pub fn write_private(path: &Path, contents: &str) -> Result<(), ControlError> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let err = |source| ControlError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?;
    }
    // Remove first: `mode` only applies to new files, and an old file may be wider.
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(err)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(err)?;
    f.write_all(contents.as_bytes()).map_err(err)
}

/// Reads the token (whitespace trimmed). A missing file means no daemon runs.
pub fn read_token(path: &Path) -> Result<String, ControlError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ControlError::NotRunning),
        Err(source) => Err(ControlError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads `daemon.json`. A missing file means no daemon runs.
pub fn read_info(path: &Path) -> Result<DaemonInfo, ControlError> {
    let text = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ControlError::NotRunning),
        Err(source) => {
            return Err(ControlError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text).map_err(|e| ControlError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// Compares tokens in time independent of where they differ (no timing oracle).
pub fn same_token(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_64_hex_and_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let t = generate().unwrap();
        assert_eq!(t.len(), 64);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/token");
        write_private(&p, &t).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(read_token(&p).unwrap(), t);
        assert!(same_token(&t, &t));
        assert!(!same_token(&t, "x"));
        let mut other = t.clone();
        other.replace_range(0..1, if t.starts_with('0') { "1" } else { "0" });
        assert!(!same_token(&t, &other));
    }

    #[test]
    fn missing_files_mean_not_running() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_token(&dir.path().join("token")),
            Err(ControlError::NotRunning)
        ));
        assert!(matches!(
            read_info(&dir.path().join(INFO_FILE)),
            Err(ControlError::NotRunning)
        ));
    }
}
