//! The daemon proper: the listeners (loopback TCP and a Unix socket) and the order of
//! shutdown. The state they share with the session thread is in [`super::state`].
//!
//! Threads: [`run`] and the HTTP handlers run on the tokio runtime.
//!
//! Shutdown order (SIGINT/SIGTERM): refuse new sessions, set the running session's stop flag,
//! wait until its recording is finished and indexed, then end the SSE streams and close the
//! listeners, remove the runtime files, return (exit 0).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::shutdown::Signals;
use super::state::Shared;
use super::token::{self, DaemonInfo};
use super::ControlError;

/// What the daemon needs to run (validated by the `daemon` command).
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    pub bind: IpAddr,
    pub port: u16,
    pub allow_remote: bool,
    pub sessions_dir: PathBuf,
    pub model_path: PathBuf,
    pub token_file: PathBuf,
    /// The Unix socket path; `None`: TCP only.
    pub socket: Option<PathBuf>,
}

/// Fails when a daemon with these runtime files answers on its address (a stale file left
/// by a killed daemon is fine: it is overwritten).
pub fn check_not_running(token_file: &Path) -> Result<(), ControlError> {
    if let Ok(old) = token::read_info(&token::info_path(token_file)) {
        if let Ok(addr) = old.http.parse::<SocketAddr>() {
            if old.pid != std::process::id()
                && std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
            {
                return Err(ControlError::AlreadyRunning {
                    pid: old.pid,
                    http: old.http,
                });
            }
        }
    }
    Ok(())
}

/// Refuses a non-loopback address unless allowed.
pub fn check_bind(addr: IpAddr, allow_remote: bool) -> Result<(), ControlError> {
    if addr.is_loopback() || allow_remote {
        Ok(())
    } else {
        Err(ControlError::NotLoopback { addr })
    }
}

/// Runs the daemon until SIGINT/SIGTERM: binds, writes the runtime files, prints the address
/// (first line of stdout) and the page URL with the token, serves, shuts down in order.
pub async fn run(shared: Arc<Shared>, opts: DaemonOptions) -> Result<(), ControlError> {
    check_bind(opts.bind, opts.allow_remote)?;
    let info_path = token::info_path(&opts.token_file);
    check_not_running(&opts.token_file)?;
    let mut signals = Signals::install().map_err(ControlError::Signals)?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let tcp = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ControlError::Bind { addr, source })?;
    let local = tcp
        .local_addr()
        .map_err(|source| ControlError::Bind { addr, source })?;
    deepen_backlog(&tcp);
    let unix = match &opts.socket {
        Some(p) => {
            if let Some(dir) = p.parent() {
                use std::os::unix::fs::DirBuilderExt;
                let _ = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir);
            }
            // A socket file left by a killed daemon blocks the bind; the check above found
            // no live daemon, so it is stale.
            let _ = std::fs::remove_file(p);
            let l =
                tokio::net::UnixListener::bind(p).map_err(|source| ControlError::BindSocket {
                    path: p.clone(),
                    source,
                })?;
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600));
            Some(l)
        }
        None => None,
    };
    token::write_private(&opts.token_file, &shared.token)?;
    let info = DaemonInfo {
        version: 1,
        pid: std::process::id(),
        http: local.to_string(),
        socket: opts.socket.clone(),
    };
    let info_json = serde_json::to_string(&info).unwrap_or_default();
    token::write_private(&info_path, &info_json)?;

    let app = super::api::router(shared.clone(), local);
    // Bounded accept loops with header timeouts ([`super::listen`]); the Unix socket has its
    // own budget, so a TCP flood leaves `ringside status` answering.
    let tcp_task = tokio::spawn(super::listen::serve(
        tcp,
        app.clone(),
        super::listen::MAX_TCP_CONNECTIONS,
        shared.shutdown.subscribe(),
    ));
    let unix_task = unix.map(|l| {
        tokio::spawn(super::listen::serve(
            l,
            app,
            super::listen::MAX_UNIX_CONNECTIONS,
            shared.shutdown.subscribe(),
        ))
    });

    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // The first line is the contract with scripts and tests: they read the address here.
        writeln!(out, "listening on http://{local}")
            .and_then(|_| writeln!(out, "open http://{local}/?token={}", shared.token))
            .and_then(|_| out.flush())
            .map_err(ControlError::Stdout)?;
    }
    if let Some(p) = &opts.socket {
        eprintln!("ringside: API also on the Unix socket {}", p.display());
    }
    eprintln!(
        "ringside: token in {} ; SIGTERM or Ctrl-C stops the daemon",
        opts.token_file.display()
    );

    let sig = signals.recv().await;
    eprintln!("ringside: {sig}: shutting down");
    if shared.close() {
        eprintln!("ringside: stopping the session and finishing its recording");
        let wait_idle = async {
            while shared.is_running() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            _ = wait_idle => {}
            s = signals.recv() => {
                cleanup(&opts, &info_path);
                return Err(ControlError::Interrupted { signal: s });
            }
        }
    }
    // Ends SSE streams and lets both servers finish their in-flight requests.
    let _ = shared.shutdown.send(true);
    let wait_servers = async {
        let _ = tcp_task.await;
        if let Some(t) = unix_task {
            let _ = t.await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), wait_servers)
        .await
        .is_err()
    {
        eprintln!("ringside: some connections did not close within 5 s; exiting anyway");
    }
    cleanup(&opts, &info_path);
    eprintln!("ringside: daemon stopped");
    Ok(())
}

/// Connections beyond [`super::listen::MAX_TCP_CONNECTIONS`] wait in the kernel's accept
/// queue, which costs the daemon no file descriptor; tokio listens with a queue of 128, so a
/// flood of idle connections would be refused at the door instead of waiting. Linux lets a
/// listening socket's queue be changed by calling `listen` again (capped by
/// `net.core.somaxconn`); if that fails the default queue stays.
fn deepen_backlog(tcp: &tokio::net::TcpListener) {
    use std::os::fd::AsRawFd;
    // SAFETY: listen(2) on a socket this process owns and keeps open.
    let _ = unsafe { libc::listen(tcp.as_raw_fd(), 4096) };
}

fn cleanup(opts: &DaemonOptions, info_path: &Path) {
    let _ = std::fs::remove_file(info_path);
    let _ = std::fs::remove_file(&opts.token_file);
    if let Some(p) = &opts.socket {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_bind_is_refused_unless_allowed() {
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        let e = check_bind(any, false).unwrap_err().to_string();
        assert!(e.contains("allow_remote") && !e.contains('\n'), "{e}");
        check_bind(any, true).unwrap();
        check_bind("::1".parse().unwrap(), false).unwrap();
        check_bind("127.0.0.1".parse().unwrap(), false).unwrap();
    }
}
