//! The control API's routes, token check, JSON errors and audio byte ranges. Handlers run on
//! the tokio runtime; anything that touches the disk or SQLite goes through `spawn_blocking`,
//! and the session itself runs on its own thread ([`Shared::start_session`]).
//!
//! Every route but the web page's static files needs the token: `Authorization: Bearer T`,
//! or `?token=T` for clients that cannot set headers (EventSource, `<audio src>`). Errors are
//! JSON `{"error": "...", "status": N}`: 400 bad body, 401 token, 404 unknown route or
//! session, 405 wrong method, 409 busy/idle, 413 body too large, 416 bad range, 500
//! internal; errors that axum itself produces (413, 400 from an extractor) are turned into
//! the same JSON by [`json_errors`].
//!
//! DNS rebinding and cross-site requests: the `Host` header must name the daemon (loopback
//! address, `localhost`, or the bind address, with the bound port or none), and a
//! state-changing request (POST/PUT/DELETE/PATCH) with an `Origin` must come from the daemon's
//! own pages. Both are refused with 403 before the token is looked at.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::protocol::{DrillRequest, StartRequest, StartResponse};
use super::state::{DrillSpec, RoleplaySpec, SessionSpec, Shared, StartError};
use super::token::same_token;
use crate::app::Input;
use crate::config::CounterpartInput;
use crate::drill::{self, DrillOptions};
use crate::sources::replay::Blocks;

/// How long `start` waits for the session to exist before answering 202 "starting" (a
/// role-play first synthesizes its voice lines, which takes longer the first time).
const START_WAIT: Duration = Duration::from_secs(15);

/// An error answer: status and a one-line message, sent as JSON.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(json!({"error": self.message, "status": self.status.as_u16()})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// Runs blocking work (disk, SQLite) off the runtime's workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

/// The `Host` values (and `Origin`s, as `http://HOST`) the daemon answers to.
#[derive(Debug, Clone)]
struct Hosts {
    allowed: Arc<Vec<String>>,
}

impl Hosts {
    fn new(local: SocketAddr) -> Hosts {
        let port = local.port();
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "[::1]".to_string(),
        ];
        let ip = match local.ip() {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        if !local.ip().is_unspecified() && !names.contains(&ip) {
            names.push(ip);
        }
        let mut allowed = Vec::new();
        for n in names {
            allowed.push(format!("{n}:{port}"));
            allowed.push(n);
        }
        Hosts {
            allowed: Arc::new(allowed),
        }
    }

    fn host_ok(&self, host: &str) -> bool {
        self.allowed.iter().any(|a| a.eq_ignore_ascii_case(host))
    }

    fn origin_ok(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|h| self.host_ok(h))
    }
}

/// Refuses requests for another host name (DNS rebinding) and state-changing requests from
/// another site's page (see the module docs).
async fn check_host(State(hosts): State<Hosts>, req: Request, next: Next) -> Response {
    // HTTP/1.1 requires Host; the Unix-socket client and the tests send `localhost`.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !hosts.host_ok(host) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Host {host:?} is not this daemon; use http://127.0.0.1:PORT or http://localhost:PORT"),
        )
        .into_response();
    }
    let changes_state = matches!(
        *req.method(),
        axum::http::Method::POST
            | axum::http::Method::PUT
            | axum::http::Method::DELETE
            | axum::http::Method::PATCH
    );
    if changes_state {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            if !hosts.origin_ok(origin) {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!("requests from {origin:?} may not change the daemon's state; use the daemon's own page or the CLI"),
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

/// How long a request body may take to arrive (bodies are small JSON objects): a client that
/// sends headers and then stalls would otherwise hold its connection forever.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Ends a request body that has not fully arrived within [`BODY_TIMEOUT`] with an error (the
/// extractor then answers 400, which [`json_errors`] makes JSON).
async fn body_deadline(req: Request, next: Next) -> Response {
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + BODY_TIMEOUT;
    let (parts, body) = req.into_parts();
    let stream = futures_util::stream::unfold(Some(body.into_data_stream()), move |s| async move {
        let mut s = s?;
        match tokio::time::timeout_at(deadline, s.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(s))),
            Ok(Some(Err(e))) => Some((Err(std::io::Error::other(e.to_string())), None)),
            Ok(None) => None,
            Err(_) => Some((
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "the request body did not arrive within {} s; send it whole",
                        BODY_TIMEOUT.as_secs()
                    ),
                )),
                None,
            )),
        }
    });
    next.run(Request::from_parts(parts, Body::from_stream(stream)))
        .await
}

/// Turns axum's plain-text rejections (413 body too large, 400 from an extractor, ...) into
/// the API's JSON error shape. Responses that are already JSON pass through untouched.
async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    // Rejection bodies are one short line; more than 4 KiB is not a rejection message.
    let body = axum::body::to_bytes(resp.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_string();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase()
    } else {
        text
    };
    ApiError::new(status, message).into_response()
}

/// The whole application: web pages, the API behind the token check, JSON fallbacks, the
/// Host/Origin check and JSON errors around all of it. `local` is the bound address.
pub fn router(shared: Arc<Shared>, local: SocketAddr) -> Router {
    let api = Router::new()
        .route("/api/status", get(status))
        .route("/api/sessions", get(list))
        .route("/api/sessions/start", post(start))
        .route("/api/sessions/stop", post(stop))
        .route("/api/sessions/{id}", get(detail).delete(delete_session))
        .route("/api/sessions/{id}/audio", get(audio))
        .route("/api/sessions/{id}/export", get(export))
        .route("/api/sessions/{id}/drill", post(drill_session))
        .route("/api/scenarios", get(scenarios))
        .route("/api/events", get(super::sse::events))
        // route_layer: only matched routes are checked, so unknown paths still answer 404.
        .route_layer(middleware::from_fn_with_state(shared.clone(), auth));
    Router::new()
        .merge(super::web::routes())
        .merge(api)
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no such route; the API lives under /api (see README)",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .with_state(shared)
        .layer(middleware::from_fn(body_deadline))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(
            Hosts::new(local),
            check_host,
        ))
}

#[cfg(test)]
mod host_tests {
    use super::Hosts;

    #[test]
    fn only_the_daemons_own_host_names_are_accepted() {
        let h = Hosts::new("127.0.0.1:7563".parse().unwrap());
        for ok in [
            "127.0.0.1:7563",
            "localhost:7563",
            "[::1]:7563",
            "localhost",
            "LOCALHOST",
        ] {
            assert!(h.host_ok(ok), "{ok}");
        }
        for bad in [
            "evil.example:7563",
            "127.0.0.1:80",
            "localhost.evil:7563",
            "",
        ] {
            assert!(!h.host_ok(bad), "{bad}");
        }
        assert!(h.origin_ok("http://127.0.0.1:7563"));
        assert!(!h.origin_ok("http://evil.example"));
        assert!(!h.origin_ok("null"));
    }
}

/// The token from the `Authorization: Bearer` header or the `token` query parameter.
fn given_token(req: &Request) -> Option<&str> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    header.or_else(|| {
        req.uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")))
    })
}

async fn auth(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    match given_token(&req) {
        Some(t) if same_token(&shared.token, t) => next.run(req).await,
        Some(_) => ApiError::new(StatusCode::UNAUTHORIZED, "wrong token; `ringside status` prints the current one (it changes at every daemon start)").into_response(),
        None => ApiError::new(StatusCode::UNAUTHORIZED, "missing token: send `Authorization: Bearer TOKEN` or `?token=TOKEN` (the daemon prints it; it is in the token file)").into_response(),
    }
}

async fn status(State(shared): State<Arc<Shared>>) -> Json<super::state::Status> {
    Json(shared.status())
}

async fn list(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    let rows = blocking(move || {
        let store = super::state::lock_store(&shared);
        // Sessions recorded by the CLI (`analyze`, `practice`) while the daemon runs: indexed
        // here, so the list is never stale until a restart.
        if let Err(e) = store.index_missing(&shared.sessions_dir) {
            eprintln!("ringside: warning: {e}");
        }
        let rows = store.list().map_err(internal)?;
        drop(store);
        // Each row with its drill totals (`drill.json` changes after indexing, so it is read
        // here); `null` when the session was never drilled or its drill log is unreadable.
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|r| {
                let drill = crate::session::drill::load(&r.dir)
                    .ok()
                    .filter(|l| !l.runs.is_empty())
                    .map(|l| l.summary());
                let mut v = json!(r);
                v["drill"] = json!(drill);
                v
            })
            .collect();
        Ok(rows)
    })
    .await?;
    Ok(Json(json!({ "sessions": rows })))
}

/// Turns a request into a session spec, checking a replay file opens (so a typo is a 400
/// now, not a failed session later). Blocking (reads the WAV header).
fn resolve(shared: &Shared, req: StartRequest) -> Result<SessionSpec, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let speed = req.speed;
    if (req.replay.is_some() || req.sample) && (req.mic.is_some() || req.counterpart.is_some()) {
        return Err(bad(
            "give either replay/sample or mic/counterpart, not both".into(),
        ));
    }
    if req.replay.is_some() && req.sample {
        return Err(bad("give either replay or sample, not both".into()));
    }
    if req.roleplay.is_some() {
        return resolve_roleplay(shared, req);
    }
    if req.output.is_some()
        || req.output_channel.is_some()
        || req.practitioner.is_some()
        || req.practitioner_sink.is_some()
    {
        return Err(bad(
            "output, output_channel, practitioner and practitioner_sink are for a role-play: give \"roleplay\" (a scenario name of GET /api/scenarios) too".into(),
        ));
    }
    let replay = |path: PathBuf, description: String| -> Result<SessionSpec, ApiError> {
        // Only a regular file: opening a FIFO would wait for a writer (and hold up shutdown).
        crate::audio::wav::probe_channels(&path).map_err(|e| bad(format!("cannot replay: {e}")))?;
        Ok(SessionSpec {
            input: Input::Replay {
                path: path.clone(),
                them: None,
                speed,
                blocks: Blocks::default(),
            },
            description,
            mic: Some(format!("replay:{}", path.display())),
            counterpart: None,
            roleplay: None,
            drill: None,
        })
    };
    if let Some(p) = req.replay {
        if !p.is_absolute() {
            return Err(bad(format!(
                "replay path {} must be absolute (the daemon's directory is not yours)",
                p.display()
            )));
        }
        let d = format!("replaying {}", p.display());
        return replay(p, d);
    }
    if req.sample {
        return Ok(SessionSpec {
            input: Input::Sample {
                speed,
                blocks: Blocks::default(),
            },
            description: "replaying the built-in sample call".into(),
            mic: Some("replay:built-in sample call".into()),
            counterpart: None,
            roleplay: None,
            drill: None,
        });
    }
    let mic = req.mic.or_else(|| shared.config.audio.mic.clone());
    let counterpart = match req.counterpart.as_deref() {
        None => shared.config.audio.counterpart.clone(),
        Some(s) => CounterpartInput::parse(s),
    };
    let cp_desc = counterpart.describe();
    Ok(SessionSpec {
        description: format!(
            "live: me = {}, them = {}",
            mic.as_deref().unwrap_or("default input"),
            cp_desc.as_deref().unwrap_or("none")
        ),
        input: Input::Live {
            mic: mic.clone(),
            counterpart,
        },
        mic: Some(mic.unwrap_or_else(|| "default".into())),
        counterpart: cp_desc,
        roleplay: None,
        drill: None,
    })
}

/// A role-play request: the scenario by name (built-in or the user's file), the output device
/// checked now (a missing one is a clear error, not a failed session later), the simulated
/// practitioner's script parsed. Blocking (reads files, lists devices).
fn resolve_roleplay(shared: &Shared, req: StartRequest) -> Result<SessionSpec, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let name = req.roleplay.unwrap_or_default();
    if req.replay.is_some() || req.sample || req.counterpart.is_some() {
        return Err(bad(format!(
            "a role-play's counterpart is the scenario's voice: give roleplay without replay, sample or counterpart (got roleplay {name:?})"
        )));
    }
    let dir = crate::roleplay::scenario::user_dir();
    let scenario = crate::roleplay::scenario::find(&name, &dir).map_err(|e| match e {
        crate::roleplay::ScenarioError::Unknown { known, .. } => bad(format!(
            "unknown scenario {name:?}: pick one of {known} (GET /api/scenarios lists them; your own go in {}/NAME.toml)",
            dir.display()
        )),
        other => bad(format!("scenario {name:?} cannot be used: {other}")),
    })?;
    let (player, practitioner) = resolve_voice(
        shared,
        Voice {
            output: req.output.clone(),
            output_channel: req.output_channel,
            practitioner: req.practitioner,
            practitioner_sink: req.practitioner_sink,
        },
    )?;
    let mic = req.mic.or_else(|| shared.config.audio.mic.clone());
    let output_desc = req
        .output
        .clone()
        .unwrap_or_else(|| "the default output".into());
    Ok(SessionSpec {
        description: format!(
            "role-play {} ({}): me = {}, them = {} through {}{}",
            scenario.name,
            scenario.title,
            mic.as_deref().unwrap_or("default input"),
            scenario.persona_name,
            output_desc,
            if practitioner.is_some() {
                ", simulated practitioner"
            } else {
                ""
            }
        ),
        input: Input::Live {
            mic: mic.clone(),
            counterpart: CounterpartInput::None,
        },
        mic: Some(mic.unwrap_or_else(|| "default".into())),
        counterpart: Some(format!("roleplay:{}", scenario.name)),
        roleplay: Some(RoleplaySpec {
            player,
            practitioner,
            scenario,
        }),
        drill: None,
    })
}

/// The output a counterpart's lines (a role-play's voice, a drill's prompts) go through and
/// the simulated practitioner, as a request gives them.
struct Voice {
    output: Option<String>,
    output_channel: Option<crate::roleplay::OutputChannels>,
    practitioner: Option<PathBuf>,
    practitioner_sink: Option<String>,
}

type Practitioner = (crate::roleplay::Script, crate::roleplay::PractitionerConfig);

/// Checks the output device now (a missing one is a clear error, not a failed session later)
/// and parses the simulated practitioner's script. Blocking (reads files, lists devices).
fn resolve_voice(
    shared: &Shared,
    v: Voice,
) -> Result<(crate::roleplay::PlayerConfig, Option<Practitioner>), ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let unusable = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    let practitioner = match v.practitioner {
        None if v.practitioner_sink.is_some() => {
            return Err(bad(
                "practitioner_sink is where the simulated practitioner speaks: give \"practitioner\" (a script's absolute path) too, or leave practitioner_sink out".into(),
            ))
        }
        None => None,
        Some(p) => {
            if !p.is_absolute() {
                return Err(bad(format!(
                    "practitioner script {} must be an absolute path (the daemon's directory is not yours)",
                    p.display()
                )));
            }
            let loaded = crate::roleplay::practitioner::load(&p, v.practitioner_sink)
                .map_err(|e| bad(format!("practitioner script: {e}")))?;
            crate::roleplay::practitioner::check_paplay()
                .map_err(|e| unusable(format!("simulated practitioner: {e}")))?;
            Some(loaded)
        }
    };
    if let Err(e) = crate::roleplay::playback::find_output(v.output.as_deref()) {
        use crate::roleplay::playback::OutputError;
        return Err(unusable(match e {
            OutputError::NoDefault { host } => format!("no audio output device on the {host} host for the counterpart's voice; plug in a headset or give \"output\" (the page's Output field; `ringside devices` lists them)"),
            OutputError::NotFound { name } => format!("output device {name:?} for the counterpart's voice not found; give another \"output\" (the page's Output field; `ringside devices` lists them) or leave it empty for the default output"),
            other => other.to_string(),
        }));
    }
    let player = crate::roleplay::PlayerConfig {
        output: v.output,
        channels: v.output_channel.unwrap_or_default(),
        start_timeout: Duration::from_secs_f64(shared.config.audio.start_timeout_secs),
        ..Default::default()
    };
    Ok((player, practitioner))
}

/// A drill request for the session in `dir`: planned with the CLI's code ([`drill::plan`]),
/// its voice checked. Blocking (reads the recording, lists devices).
fn resolve_drill(
    shared: &Shared,
    id: &str,
    dir: PathBuf,
    req: DrillRequest,
) -> Result<SessionSpec, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let unusable = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    if req.moments == Some(0) {
        return Err(bad(
            "moments must be 1 or more (leave it out for the debrief's top changes)".into(),
        ));
    }
    let tries = req.tries.unwrap_or(2);
    if !(1..=20).contains(&tries) {
        return Err(bad(format!("tries {tries}: give 1 to 20 tries per moment")));
    }
    // The session's lock, taken before the 202 and held by the drill until it ends: a
    // DELETE or export (of the daemon or the CLI) meanwhile is refused, not raced.
    let lock = crate::session::lock_for_use(&dir).map_err(|e| match e {
        crate::session::SessionError::Recording { .. } => ApiError::new(
            StatusCode::CONFLICT,
            format!("session {id} is in use (being exported, deleted or drilled); try again when that is done"),
        ),
        other => internal(other),
    })?;
    let rules =
        crate::transforms::rewrite::RewriteRules::load(shared.config.coach.rewrites.as_deref())
            .map_err(internal)?;
    let plan = drill::plan(&dir, &rules, req.moments.map(|n| n as usize))
        .map_err(|e| unusable(e.to_string()))?;
    if plan.items.is_empty() {
        return Err(unusable(format!(
            "session {id} has no weak moments to drill: its debrief flagged no line with a rewrite"
        )));
    }
    let (player, practitioner) = resolve_voice(
        shared,
        Voice {
            output: req.output,
            output_channel: req.output_channel,
            practitioner: req.practitioner,
            practitioner_sink: req.practitioner_sink,
        },
    )?;
    let mic = req.mic.or_else(|| shared.config.audio.mic.clone());
    let simulated = practitioner.is_some();
    let description = format!(
        "drill of session {id}: {} moment{}, up to {tries} tr{} each; me = {}{}",
        plan.items.len(),
        if plan.items.len() == 1 { "" } else { "s" },
        if tries == 1 { "y" } else { "ies" },
        mic.as_deref().unwrap_or("default input"),
        if simulated {
            ", simulated practitioner"
        } else {
            ""
        }
    );
    for w in plan.warnings {
        let _ = shared.events.send(super::events::LiveEvent::warning(w));
    }
    Ok(SessionSpec {
        description,
        input: Input::Live {
            mic: mic.clone(),
            counterpart: CounterpartInput::None,
        },
        mic: Some(mic.clone().unwrap_or_else(|| "default".into())),
        counterpart: None,
        roleplay: None,
        drill: Some(DrillSpec {
            session: id.to_string(),
            dir,
            items: plan.items,
            lock: Arc::new(lock),
            options: DrillOptions {
                mic,
                player,
                practitioner,
                max_tries: tries as usize,
                ..Default::default()
            },
        }),
    })
}

/// `POST /api/sessions/{id}/drill`: drills the session's weak moments on the session thread
/// (202 once it runs; its progress is on the event stream). 404 unknown session, 409 while
/// something runs, 422 nothing to drill (no weak moment, unreadable `drill.json`, no output).
async fn drill_session(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: DrillRequest = parse_body(&body)?;
    let s2 = shared.clone();
    let spec = blocking(move || {
        let dir = session_dir(&s2, &id)?;
        // Before reading the recording: a busy daemon says so at once.
        if let Some(what) = busy_with(&s2) {
            return Err(ApiError::new(StatusCode::CONFLICT, what));
        }
        resolve_drill(&s2, &id, dir, req)
    })
    .await?;
    let (session, moments, max_tries) = match &spec.drill {
        Some(d) => (d.session.clone(), d.items.len(), d.options.max_tries),
        None => return Err(internal("a drill without its plan")),
    };
    let input = spec.description.clone();
    shared.start_session(spec).map_err(start_error)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "state": "drilling",
            "session": session,
            "moments": moments,
            "max_tries": max_tries,
            "input": input,
        })),
    ))
}

/// What runs now, said as a 409 would say it (`None`: idle).
fn busy_with(shared: &Shared) -> Option<String> {
    if !shared.is_running() {
        return None;
    }
    let what = match (shared.drilling_id(), shared.running_id()) {
        (Some(d), _) => format!("a drill of session {d}"),
        (None, Some(s)) => format!("session {s}"),
        (None, None) => "a session (starting)".into(),
    };
    Some(format!(
        "{what} is running; stop it first (POST /api/sessions/stop or the page's Stop button)"
    ))
}

fn start_error(e: StartError) -> ApiError {
    match e {
        StartError::Busy(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        StartError::Closing => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        StartError::Spawn(_) => internal(e),
    }
}

/// `GET /api/scenarios`: the role-plays one can start (see [`crate::roleplay::scenario::catalog`]).
async fn scenarios() -> Result<Json<Value>, ApiError> {
    let entries = blocking(|| {
        let dir = crate::roleplay::scenario::user_dir();
        Ok((crate::roleplay::scenario::catalog(&dir), dir))
    })
    .await?;
    Ok(Json(json!({
        "version": 1,
        "scenarios": entries.0,
        "user_dir": entries.1,
    })))
}

/// Parses a JSON body strictly (unknown fields are errors); an empty body is the default.
fn parse_body<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    // An array would deserialize as the struct's fields in order (`[]` started a drill,
    // `["/abs.wav"]` a replay): only an object is a request.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid JSON body: it must be an object ({...}) with named fields",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

async fn start(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<(StatusCode, Json<StartResponse>), ApiError> {
    let req: StartRequest = parse_body(&body)?;
    let s2 = shared.clone();
    let spec = blocking(move || resolve(&s2, req)).await?;
    let input = spec.description.clone();
    let rx = shared.start_session(spec).map_err(start_error)?;
    match tokio::time::timeout(START_WAIT, rx).await {
        Ok(Ok(Ok(id))) => Ok((
            StatusCode::CREATED,
            Json(StartResponse {
                id: Some(id),
                state: "running".into(),
                input,
            }),
        )),
        // The session failed before it got going (e.g. the microphone does not open).
        Ok(Ok(Err(e))) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the session could not start: {e}"),
        )),
        Ok(Err(_)) => Err(internal("the session ended before it started")),
        Err(_) => Ok((
            StatusCode::ACCEPTED,
            Json(StartResponse {
                id: None,
                state: "starting".into(),
                input,
            }),
        )),
    }
}

async fn stop(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    match shared.stop_session() {
        Some(id) => Ok(Json(json!({"state": "stopping", "id": id}))),
        None => Err(ApiError::new(StatusCode::CONFLICT, "no session is running")),
    }
}

/// Whether `id` can be a session id: a directory name of letters, digits, `-` and `_`, so
/// it can never name a path outside the sessions directory (`..`, `/`, `%2F` decoded, ...).
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Session ids are directory names: refuse anything that could walk out of the sessions dir.
fn session_dir(shared: &Shared, id: &str) -> Result<PathBuf, ApiError> {
    if !valid_id(id) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no session {id:?}"),
        ));
    }
    let indexed = super::state::lock_store(shared)
        .get(id)
        .map_err(internal)?
        .map(|r| r.dir);
    let dir = indexed.unwrap_or_else(|| shared.sessions_dir.join(id));
    if !crate::session::store::is_session_dir(&dir) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no session {id:?}; GET /api/sessions lists them"),
        ));
    }
    // A linked session directory is hidden from the list; it is not served either.
    crate::session::real_session_dir(&dir)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e.to_string()))
}

/// Events in one session detail answer, at most (a long call has a few thousand; a log of
/// 300,000 once took the daemon to 955 MB).
pub const EVENTS_PAGE_MAX: usize = 10_000;

/// `?events_from=N&events_limit=M` of the session detail.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsPage {
    events_from: Option<usize>,
    events_limit: Option<usize>,
}

/// `GET /api/sessions/{id}`: the session with one page of its events (`events_total` says
/// how many there are, `events_next` where the next page starts, `null` after the last).
async fn detail(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    axum::extract::Query(page): axum::extract::Query<EventsPage>,
) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let dir = session_dir(&shared, &id)?;
        let from = page.events_from.unwrap_or(0);
        let limit = page
            .events_limit
            .unwrap_or(EVENTS_PAGE_MAX)
            .clamp(1, EVENTS_PAGE_MAX);
        let (s, total) =
            crate::session::store::load_session_page(&dir, from, limit).map_err(internal)?;
        let next = (from.saturating_add(limit) < total).then(|| from + limit);
        let rules =
            crate::transforms::rewrite::RewriteRules::load(shared.config.coach.rewrites.as_deref())
                .map_err(internal)?;
        let debrief = crate::session::debrief::load_or_build(&dir, &s.events, &rules);
        let running = shared.running_id().as_deref() == Some(id.as_str());
        // The drill log (`null` before the first drill; unreadable: said in `log_issues`).
        let mut log_issues = s.log_issues;
        let drill = match crate::session::drill::load(&dir) {
            Ok(l) if l.runs.is_empty() => None,
            Ok(l) => Some(l),
            Err(e) => {
                log_issues.push(e.to_string());
                None
            }
        };
        Ok(Json(json!({
            "id": s.info.id,
            "info": s.info,
            "scorecard": s.scorecard,
            "debrief": debrief,
            "drill": drill,
            "events": s.events,
            "events_from": from,
            "events_total": total,
            "events_next": next,
            "log_issues": log_issues,
            "recording": running,
            "audio": format!("/api/sessions/{id}/audio"),
        })))
    })
    .await
}

/// A `Range` that selects no byte of the file (answered 416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// A single byte range of a `len`-byte file: `Ok(Some((first, last)))` inclusive,
/// `Ok(None)` to serve the whole file (no header, several ranges, or a form we ignore as RFC
/// 9110 allows), `Err(Unsatisfiable)` for a 416.
pub fn parse_range(h: &str, len: u64) -> Result<Option<(u64, u64)>, Unsatisfiable> {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 || len == 0 {
            return Err(Unsatisfiable);
        }
        return Ok(Some((len - n.min(len), len - 1)));
    }
    let Ok(first) = a.parse::<u64>() else {
        return Ok(None);
    };
    let last = if b.is_empty() {
        len.saturating_sub(1)
    } else {
        match b.parse::<u64>() {
            Ok(l) if l >= first => l.min(len.saturating_sub(1)),
            _ => return Ok(None),
        }
    };
    if first >= len {
        return Err(Unsatisfiable);
    }
    Ok(Some((first, last)))
}

/// `DELETE /api/sessions/{id}`: the session directory and its history row. 409 for the
/// session that is running (or still being recorded), 404 for an unknown id.
async fn delete_session(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let dir = session_dir(&shared, &id)?;
        let busy = || {
            ApiError::new(
                StatusCode::CONFLICT,
                format!("session {id} is running; stop it first (POST /api/sessions/stop or the page's Stop button), then delete it"),
            )
        };
        if shared.running_id().as_deref() == Some(id.as_str())
            || shared.drilling_id().as_deref() == Some(id.as_str())
        {
            return Err(busy());
        }
        crate::session::delete_session(&dir).map_err(|e| match e {
            crate::session::SessionError::Recording { .. } => busy(),
            other => internal(other),
        })?;
        super::state::lock_store(&shared)
            .remove(&id)
            .map_err(internal)?;
        Ok(Json(json!({ "deleted": id })))
    })
    .await
}

/// Counts archives being written, for unique temporary names.
static EXPORTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// `GET /api/sessions/{id}/export`: the call as one zip ([`crate::session::archive`]),
/// written to an unnamed temporary file in the (private) sessions directory and streamed.
async fn export(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    let (file, name, len) = blocking(move || {
        use std::io::{Seek, SeekFrom};
        use std::os::unix::fs::OpenOptionsExt;
        let dir = session_dir(&shared, &id)?;
        let busy = || {
            ApiError::new(
                StatusCode::CONFLICT,
                format!("session {id} is being recorded; stop it first, then export it"),
            )
        };
        if shared.running_id().as_deref() == Some(id.as_str()) {
            return Err(busy());
        }
        let rules =
            crate::transforms::rewrite::RewriteRules::load(shared.config.coach.rewrites.as_deref())
                .map_err(internal)?;
        let n = EXPORTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = shared
            .sessions_dir
            .join(format!(".export-{}-{n}.zip.tmp", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| internal(format!("cannot create {}: {e}", tmp.display())))?;
        // Unlinked at once: the archive lives as long as the open file, and nothing is left
        // behind if the daemon dies mid-download.
        let _ = std::fs::remove_file(&tmp);
        let (mut f, _) =
            crate::session::archive::write_archive(&dir, &rules, f).map_err(|e| match e {
                crate::session::SessionError::Recording { .. } => busy(),
                other => internal(other),
            })?;
        let len = f.stream_position().map_err(internal)?;
        f.seek(SeekFrom::Start(0)).map_err(internal)?;
        Ok((f, crate::session::archive::archive_name(&id), len))
    })
    .await?;
    let mut resp = Response::new(file_body(tokio::fs::File::from_std(file), len));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    // The name holds only the id's characters (checked), so it needs no quoting rules.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// `count` bytes of `file` from where it stands, streamed in 64 KiB reads: an hour of stereo
/// audio is 230 MB, not something to buffer.
fn file_body(file: tokio::fs::File, count: u64) -> Body {
    use tokio::io::AsyncReadExt;
    let reader = Some(file.take(count));
    let stream = futures_util::stream::unfold(reader, |r| async move {
        let mut r = r?;
        let mut buf = vec![0u8; 64 * 1024];
        match r.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), Some(r)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Body::from_stream(stream)
}

async fn audio(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    use tokio::io::AsyncSeekExt;
    let dir = blocking(move || session_dir(&shared, &id)).await?;
    let path = dir.join(crate::session::AUDIO_FILE);
    // A regular file, not through a link: a link in a session could serve any file.
    let file = crate::files::open_regular(&path, crate::files::Links::Refuse).map_err(|e| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no audio for this session: {}: {e}", path.display()),
        )
    })?;
    let mut file = tokio::fs::File::from_std(file);
    let len = file.metadata().await.map_err(internal)?.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|h| parse_range(h, len));
    let (status, first, last) = match range {
        Some(Err(Unsatisfiable)) => {
            let mut r = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("range outside the {len}-byte file"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
        Some(Ok(Some((a, b)))) => (StatusCode::PARTIAL_CONTENT, a, b),
        _ => (StatusCode::OK, 0, len.saturating_sub(1)),
    };
    let count = if len == 0 { 0 } else { last - first + 1 };
    file.seek(std::io::SeekFrom::Start(first))
        .await
        .map_err(internal)?;
    let mut resp = Response::new(file_body(file, count));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_cannot_name_a_path() {
        for ok in ["20261126-140509-3fa2c1", "a_b-C9"] {
            assert!(valid_id(ok), "{ok}");
        }
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "a\\b",
            ".hidden",
            "%2e%2e",
            "x\0y",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok(Some((0, 99))));
        assert_eq!(parse_range("bytes=900-", 1000), Ok(Some((900, 999))));
        assert_eq!(parse_range("bytes=-100", 1000), Ok(Some((900, 999))));
        assert_eq!(parse_range("bytes=-5000", 1000), Ok(Some((0, 999))));
        assert_eq!(parse_range("bytes=990-5000", 1000), Ok(Some((990, 999))));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=-0", 1000), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ok(None));
        assert_eq!(parse_range("items=0-1", 1000), Ok(None));
        assert_eq!(parse_range("bytes=5-1", 1000), Ok(None));
    }

    #[test]
    fn start_request_rejects_unknown_fields_and_accepts_empty() {
        let e = parse_body::<StartRequest>(&Bytes::from_static(
            b"{\"replay\":\"/x.wav\",\"sped\":\"max\"}",
        ))
        .unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.contains("sped"), "{}", e.message);
        let r = parse_body::<StartRequest>(&Bytes::from_static(b"  ")).unwrap();
        assert!(r.replay.is_none() && !r.sample);
        let r =
            parse_body::<StartRequest>(&Bytes::from_static(b"{\"sample\":true,\"speed\":\"max\"}"))
                .unwrap();
        assert!(r.sample && r.speed == crate::event::Speed::Max);
    }
}
