// Ringside web pages (live coaching, review, history), served by `ringside daemon`.
// No libraries: plain DOM, EventSource for live events, Web Audio decodeAudioData for the
// review waveform, inline SVG for charts. The token comes from the page URL (?token=...),
// printed by `ringside daemon` / `ringside status`; it is kept in sessionStorage and removed
// from the address bar so it does not end up in screenshots or history.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "ringside-token";
const token = (() => {
  const q = new URLSearchParams(location.search).get("token");
  if (q) {
    sessionStorage.setItem(TOKEN_KEY, q);
    history.replaceState(null, "", location.pathname + location.hash);
  }
  return q || sessionStorage.getItem(TOKEN_KEY) || "";
})();

function notice(msg) {
  const n = $("notice");
  n.textContent = msg || "";
  n.hidden = !msg;
}

async function api(path, opts = {}) {
  const r = await fetch(path, {
    ...opts,
    headers: { Authorization: "Bearer " + token, ...(opts.body ? { "Content-Type": "application/json" } : {}) },
  });
  let body = null;
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const msg = (body && body.error) || r.status + " " + r.statusText;
    if (r.status === 401) notice("The daemon did not accept the token: open the URL printed by `ringside status`.");
    throw new Error(msg);
  }
  return body;
}

const fmtTime = (s) => {
  if (s == null || !isFinite(s)) return "–";
  s = Math.max(0, s);
  const m = Math.floor(s / 60), sec = Math.floor(s % 60);
  return m + ":" + String(sec).padStart(2, "0");
};
const pct = (x) => (x == null ? "–" : Math.round(x * 100) + "%");
const actLabel = (a) => (a || "").replace(/_/g, " ");
const cueLabel = (c) => (c || "").replace(/_/g, " ");
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

// The pitch contour of an utterance (its prosody record, served with the session) as a small
// inline SVG: semitones around the utterance's median, 20 ms a point, gaps where unvoiced.
const ARROWS = { rise: "\u2197", fall: "\u2198", level: "\u2192" };
function contourSvg(p) {
  const pts = (p && p.contour_hz) || [];
  const voiced = pts.filter((v) => v);
  if (voiced.length < 3) return null;
  const ref = p.f0_median_hz || voiced[Math.floor(voiced.length / 2)];
  const W = 96, H = 22, span = 12; // +-6 semitones fill the height
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "contour");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  const title = document.createElementNS(ns, "title");
  title.textContent = `pitch: median ${Math.round(ref)} Hz` + (p.f0_range_st ? `, range ${p.f0_range_st.toFixed(1)} st` : "") +
    `, ending ${p.end}` + (p.rate_syl_s ? `, ${p.rate_syl_s.toFixed(1)} syllables/s` : "");
  svg.append(title);
  let d = "", pen = false;
  pts.forEach((v, i) => {
    if (!v) { pen = false; return; }
    const st = 12 * Math.log2(v / ref);
    const x = (i / Math.max(1, pts.length - 1)) * (W - 2) + 1;
    const y = Math.min(H - 1, Math.max(1, H / 2 - (st / span) * H));
    d += (pen ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
    pen = true;
  });
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
}

function utteranceLine(u) {
  const li = el("li", "utt " + u.speaker);
  li.append(el("span", "t", fmtTime(u.start)), el("span", "sp " + u.speaker, u.speaker), el("span", "text", u.text),
    el("span", "act " + u.act + (u.unsure ? " unsure" : ""), actLabel(u.act) + (u.unsure ? " (unsure)" : "")));
  const p = u.prosody;
  if (p && ARROWS[p.end]) {
    const a = el("span", "ending " + p.end, ARROWS[p.end]);
    a.title = "ending " + p.end + (p.end_slope_st_s != null ? ` (${p.end_slope_st_s.toFixed(1)} st/s)` : "");
    li.append(a);
  }
  const svg = contourSvg(p);
  if (svg) li.append(svg);
  li.title = u.why || "";
  li.dataset.start = u.start;
  li.dataset.end = u.end;
  return li;
}
function cueLine(c) {
  const li = el("li", "cue-line " + c.severity);
  li.append(el("span", "t", fmtTime(c.time)), el("span", "msg", c.message));
  li.dataset.start = c.time;
  return li;
}

// ---------------------------------------------------------------- routing
const pages = ["live", "review", "history"];
let leave = null;
// A message for the next page (e.g. "Deleted …" after leaving the review of a deleted call).
let flash = null;
function route() {
  if (leave) { leave(); leave = null; }
  const [, page, arg] = (location.hash || "#/live").split("/");
  const name = pages.includes(page) ? page : "live";
  for (const p of pages) $("page-" + p).hidden = p !== name;
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.nav === name));
  if (!token) {
    notice("No token: open the URL printed by `ringside daemon` (or `ringside status`), which ends in ?token=…");
    return;
  }
  notice(flash || "");
  flash = null;
  if (name === "live") leave = live();
  else if (name === "review") leave = review(decodeURIComponent(arg || ""));
  else leave = historyPage();
}
window.addEventListener("hashchange", route);

function setState(state) {
  const s = $("state");
  s.textContent = state;
  s.className = "pill " + state;
}

// ---------------------------------------------------------------- live page
function live() {
  let es = null;
  let cueTimer = null;
  let talk = { me: 0, them: 0 };
  let running = false;
  const list = $("live-transcript");

  function showCue(c) {
    const box = $("cue");
    box.className = "cue " + c.severity;
    box.dataset.severity = c.severity;
    box.dataset.cue = c.id;
    $("cue-msg").textContent = c.message;
    $("cue-meta").textContent = c.severity + " · " + cueLabel(c.id) + " · " + fmtTime(c.time);
    clearTimeout(cueTimer);
    // One cue at a time; an old one fades so a glance tells it is not news.
    cueTimer = setTimeout(() => box.classList.add("stale"), 12000);
  }
  function resetCue(msg) {
    const box = $("cue");
    box.className = "cue none";
    box.dataset.severity = "none";
    delete box.dataset.cue;
    $("cue-msg").textContent = msg;
    $("cue-meta").textContent = "";
  }
  function addLine(li) {
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
    list.append(li);
    while (list.children.length > 400) list.firstChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }
  function addUtterance(u) {
    talk[u.speaker] += Math.max(0, u.end - u.start);
    const total = talk.me + talk.them;
    if (total > 0) {
      $("ratio-me").style.width = (100 * talk.me / total).toFixed(1) + "%";
      $("ratio-val").textContent = "me " + pct(talk.me / total) + " · them " + pct(talk.them / total);
    }
    addLine(utteranceLine(u));
  }
  function level(id, db) {
    const w = db == null ? 0 : Math.max(0, Math.min(100, (db + 60) / 60 * 100));
    $("lvl-" + id).style.width = w.toFixed(0) + "%";
    $("lvl-" + id + "-val").textContent = db == null ? "–" : Math.round(db) + " dBFS";
  }
  function setRunning(r, info) {
    running = r;
    setState(r ? "running" : "idle");
    $("btn-stop").disabled = !r;
    $("btn-sample").disabled = r;
    $("btn-live").disabled = r;
    $("btn-roleplay").disabled = r || !$("scenario").value;
    $("session-info").textContent = info || "";
  }
  function clearSession() {
    list.replaceChildren();
    talk = { me: 0, them: 0 };
    $("ratio-me").style.width = "50%";
    $("ratio-val").textContent = "–";
  }
  function handle(type, d) {
    switch (type) {
      case "hello":
        // Also after a reconnect: catch up with whatever happened while disconnected.
        if (d.session_id && !running) init();
        if (!d.session_id && running) setRunning(false);
        break;
      case "session_started":
        clearSession();
        resetCue("Listening…");
        setRunning(true, d.input + " · " + d.id);
        break;
      case "utterance": addUtterance(d); break;
      // Delivery cues past the live pacing (one per 30 s) wait for the review.
      case "cue": if (!d.review_only) { showCue(d); addLine(cueLine(d)); } break;
      case "level": level("me", d.me_dbfs); level("them", d.them_dbfs); break;
      case "device": addLine(cueLine({ time: d.time, severity: "alert", message: d.speaker + " input " + d.event + ": " + d.detail })); break;
      case "warning": notice(d.message); break;
      case "lagged": notice("This page fell behind and missed " + d.missed + " events."); break;
      case "session_ended":
        setRunning(false, d.error ? "session failed: " + d.error : "");
        if (d.error) notice("The session failed: " + d.error);
        $("cue").classList.add("stale");
        level("me", null); level("them", null);
        if (d.id) {
          const a = el("a", null, "Review this call");
          a.href = "#/review/" + encodeURIComponent(d.id);
          $("session-info").replaceChildren(a);
        }
        break;
    }
  }
  const types = ["hello", "session_started", "utterance", "cue", "level", "device", "warning", "lagged", "session_ended"];
  function connect() {
    es = new EventSource("/api/events?token=" + encodeURIComponent(token));
    for (const t of types) es.addEventListener(t, (e) => handle(t, JSON.parse(e.data)));
    es.onerror = () => setState("offline");
    es.onopen = () => setState(running ? "running" : "idle");
  }
  async function init() {
    try {
      const s = await api("/api/status");
      if (s.state === "running") {
        setRunning(true, (s.input || "") + (s.session_id ? " · " + s.session_id : ""));
        resetCue("Listening…");
        if (s.session_id) {
          const det = await api("/api/sessions/" + encodeURIComponent(s.session_id));
          let last = null;
          for (const e of det.events) {
            if (e.type === "utterance") addUtterance(e);
            if (e.type === "cue" && !e.review_only) { addLine(cueLine(e)); last = e; }
          }
          if (last) showCue(last);
        }
      } else {
        setRunning(false);
        resetCue("No call running. Start one below.");
      }
    } catch (e) { notice(String(e.message || e)); }
  }
  async function start(body) {
    notice("");
    try {
      const r = await api("/api/sessions/start", { method: "POST", body: JSON.stringify(body) });
      // 202: still starting (a role-play synthesizes its voice first); session_started follows.
      if (r && r.state === "starting" && !running) $("session-info").textContent = "starting: " + r.input + "…";
    } catch (e) { notice("Could not start: " + e.message); }
  }
  const onSample = () => start({ sample: true, speed: $("speed").value });
  const onLive = () => start({ speed: $("speed").value });
  // The role-play picker: built-in scenarios and the user's files (unusable ones disabled,
  // with the reason as their tooltip).
  let scenarios = [];
  function describeScenario() {
    const s = scenarios.find((x) => x.name === $("scenario").value);
    $("scenario-about").textContent = s ? s.persona + ": " + s.situation + (s.source === "file" ? " (" + s.path + ")" : "") : "";
    $("btn-roleplay").disabled = running || !s;
  }
  async function loadScenarios() {
    const sel = $("scenario");
    try {
      const r = await api("/api/scenarios");
      scenarios = r.scenarios.filter((x) => !x.error);
      sel.replaceChildren();
      const groups = [["built-in", "Built-in"], ["file", "Yours (" + r.user_dir + ")"]];
      for (const [src, label] of groups) {
        const list = r.scenarios.filter((x) => x.source === src);
        if (!list.length) continue;
        const g = el("optgroup");
        g.label = label;
        for (const x of list) {
          const o = el("option", null, x.error ? x.name + " (cannot be used)" : x.title);
          o.value = x.name;
          if (x.error) { o.disabled = true; o.title = x.error; }
          g.append(o);
        }
        sel.append(g);
      }
      describeScenario();
    } catch (e) {
      sel.replaceChildren(el("option", null, "no scenarios: " + e.message));
    }
  }
  const onRoleplay = () => {
    const body = { roleplay: $("scenario").value };
    const opt = (field, id) => { const v = $(id).value.trim(); if (v) body[field] = v; };
    opt("mic", "rp-mic");
    opt("output", "rp-output");
    opt("practitioner", "rp-practitioner");
    opt("practitioner_sink", "rp-sink");
    if ($("rp-channel").value !== "all") body.output_channel = $("rp-channel").value;
    start(body);
  };
  $("scenario").onchange = describeScenario;
  $("btn-roleplay").onclick = onRoleplay;
  loadScenarios();
  const onStop = async () => { try { await api("/api/sessions/stop", { method: "POST" }); } catch (e) { notice(e.message); } };
  $("btn-sample").onclick = onSample;
  $("btn-live").onclick = onLive;
  $("btn-stop").onclick = onStop;
  connect();
  init();
  return () => { if (es) es.close(); clearTimeout(cueTimer); };
}

// ---------------------------------------------------------------- review page
function review(id) {
  const player = $("player");
  const canvas = $("wave");
  const wrap = $("wave-wrap");
  const list = $("rv-transcript");
  let duration = 0;
  let lines = [];
  let active = -1;
  let peaks = null;
  let raf = 0;
  let stopped = false;

  list.replaceChildren();
  $("markers").replaceChildren();
  $("scorecard").replaceChildren();
  $("wave-status").textContent = "loading audio…";
  $("wave-status").hidden = false;
  $("rv-title").textContent = "Session " + id;
  const audioUrl = "/api/sessions/" + encodeURIComponent(id) + "/audio?token=" + encodeURIComponent(token);
  player.src = audioUrl;
  // Export: one zip, downloaded by the browser (the token rides in the URL like the audio's).
  $("rv-export").href = "/api/sessions/" + encodeURIComponent(id) + "/export?token=" + encodeURIComponent(token);
  $("rv-export").setAttribute("download", "ringside-" + id + ".zip");
  // Delete: a confirmation step in the page, then back to the history.
  $("rv-confirm").hidden = true;
  $("rv-delete").disabled = false;
  $("rv-delete").onclick = () => { $("rv-confirm").hidden = false; $("rv-delete").disabled = true; $("rv-delete-no").focus(); };
  $("rv-delete-no").onclick = () => { $("rv-confirm").hidden = true; $("rv-delete").disabled = false; };
  $("rv-delete-yes").onclick = async () => {
    try {
      await api("/api/sessions/" + encodeURIComponent(id), { method: "DELETE" });
      flash = "Deleted the call " + id + ".";
      location.hash = "#/history";
    } catch (e) {
      $("rv-confirm").hidden = true;
      $("rv-delete").disabled = false;
      notice("Could not delete: " + e.message);
    }
  };

  // Drill: the call's weak moments said again, out loud, on the daemon (its progress comes on
  // the event stream); the results of every drill of the call under it.
  const drill = drillPanel(id);

  function seek(t) {
    player.currentTime = Math.max(0, Math.min(t, duration || t));
    paint();
  }
  function draw() {
    const w = canvas.clientWidth, h = canvas.height;
    canvas.width = w;
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, w, h);
    if (!peaks) return;
    const mid = h / 2;
    const cols = peaks.length;
    for (let x = 0; x < w; x++) {
      const i = Math.floor(x / w * cols);
      const [me, them] = peaks[i] || [0, 0];
      g.fillStyle = "#5aa9ff";
      g.fillRect(x, mid - me * (mid - 4), 1, me * (mid - 4));
      g.fillStyle = "#f0a35e";
      g.fillRect(x, mid, 1, them * (mid - 4));
    }
  }
  function placeMarkers(cues) {
    const box = $("markers");
    box.replaceChildren();
    if (!duration) return;
    for (const c of cues) {
      const left = (100 * c.time / duration) + "%";
      const line = el("div", "marker-line " + c.severity);
      line.style.left = left;
      const m = el("button", "marker " + c.severity);
      m.style.left = left;
      m.dataset.time = c.time;
      m.title = fmtTime(c.time) + " · " + cueLabel(c.id) + ": " + c.message;
      m.setAttribute("aria-label", m.title);
      m.onclick = (e) => { e.stopPropagation(); seek(c.time); };
      box.append(line, m);
    }
  }
  function paint() {
    const t = player.currentTime || 0;
    if (duration) $("playhead").style.left = (100 * t / duration) + "%";
    // The line being spoken: the last one that started at or before t.
    let idx = -1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].start <= t + 0.05) idx = i; else break;
    }
    if (idx !== active) {
      if (active >= 0) lines[active].li.classList.remove("active");
      active = idx;
      if (idx >= 0) {
        lines[idx].li.classList.add("active");
        lines[idx].li.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    }
  }
  function loop() {
    if (stopped) return;
    paint();
    raf = requestAnimationFrame(loop);
  }
  wrap.onclick = (e) => {
    const r = wrap.getBoundingClientRect();
    if (duration) seek((e.clientX - r.left) / r.width * duration);
  };
  const onResize = () => draw();
  window.addEventListener("resize", onResize);

  function renderScorecard(sc, info) {
    const box = $("scorecard");
    const section = (title, rows) => {
      box.append(el("h2", null, title));
      const dl = el("dl");
      for (const [k, v, cls] of rows) dl.append(el("dt", null, k), el("dd", cls || "", v));
      box.append(dl);
    };
    const share = sc.me.share;
    section("Talk", [
      ["My talk share", pct(share), share == null ? "" : share <= 0.5 ? "good" : "bad"],
      ["Longest monologue (me)", fmtTime(sc.me.longest_monologue)],
      ["Longest monologue (them)", fmtTime(sc.them.longest_monologue)],
      ["Pause before answering", sc.avg_pause_before_me == null ? "–" : sc.avg_pause_before_me.toFixed(1) + " s"],
      ["Their pause before answering", sc.avg_pause_before_them == null ? "–" : sc.avg_pause_before_them.toFixed(1) + " s"],
      ["Fillers (me)", String(sc.me.fillers)],
    ]);
    section("Questions", [
      ["Questions", String(sc.questions.total)],
      ["No-oriented", String(sc.questions.no), sc.questions.no > 0 ? "good" : ""],
      ["Calibrated (how/what)", String(sc.questions.calibrated), sc.questions.calibrated > 0 ? "good" : ""],
      ["Yes-questions", String(sc.questions.yes), sc.questions.yes > 2 ? "bad" : ""],
      ["Yes-ladders", String(sc.yes_ladders), sc.yes_ladders > 0 ? "bad" : "good"],
      ["Labels", String(sc.labels)],
    ]);
    section("Them", [
      ["No's heard", String(sc.nos_heard)],
      ["Counterfeit yeses", String(sc.counterfeit_yeses)],
      ["\u201cThat's right\u201d", String(sc.thats_rights)],
      ["Commitments", String(sc.commitment_yeses), sc.commitment_yeses > 0 ? "good" : ""],
      ["Commitment reached", sc.commitment_reached ? "yes" : "no", sc.commitment_reached ? "good" : "bad"],
    ]);
    $("rv-sub").textContent = (info.started_at || "").replace("T", " ").slice(0, 16) + " · " + fmtTime(info.duration) +
      (info.finished ? "" : " · unfinished");
  }

  // The debrief: the changes that would have helped most, under the scorecard; each seeks to
  // its moment when clicked.
  function renderDebrief(d) {
    const box = $("scorecard");
    const top = (d && d.top || []).map((uid) => d.moments.find((m) => m.utterance_id === uid)).filter(Boolean);
    box.append(el("h2", null, "Debrief"));
    if (!top.length) { box.append(el("p", "muted", "No flagged lines: nothing to rewrite.")); return; }
    const ol = el("ol", "debrief");
    ol.id = "debrief";
    for (const m of top) {
      const li = el("li", "debrief-item " + m.severity);
      li.dataset.start = m.start;
      li.append(el("div", "dm-head", fmtTime(m.start) + " · " + m.flags.map(cueLabel).join(", ")),
        el("div", "dm-said", "\u201c" + m.text + "\u201d"));
      if (m.rewrite) li.append(el("div", "dm-try", "Try: \u201c" + m.rewrite.text + "\u201d"));
      li.onclick = () => { seek(m.start); player.play().catch(() => {}); };
      ol.append(li);
    }
    box.append(ol);
  }

  async function load() {
    let det;
    try { det = await api("/api/sessions/" + encodeURIComponent(id)); } catch (e) { notice(e.message); return; }
    duration = det.info.duration || 0;
    renderScorecard(det.scorecard, det.info);
    renderDebrief(det.debrief);
    renderDrillResults(det.drill);
    const rewrites = new Map((det.debrief && det.debrief.moments || []).filter((m) => m.rewrite).map((m) => [m.utterance_id, m]));
    const cues = [];
    const items = [];
    for (const e of det.events) {
      if (e.type === "utterance") {
        const li = utteranceLine(e);
        const m = e.speaker === "me" ? rewrites.get(e.id) : null;
        // The rewrite sits next to the moment it would have replaced.
        if (m) li.append(el("div", "rewrite", "Try: \u201c" + m.rewrite.text + "\u201d (" + actLabel(m.rewrite.act) + ")"));
        items.push({ start: e.start, li });
      }
      if (e.type === "cue") { cues.push(e); items.push({ start: e.time, li: cueLine(e), cue: true }); }
    }
    items.sort((a, b) => a.start - b.start || (a.cue ? 1 : -1));
    for (const it of items) {
      it.li.onclick = () => { seek(it.start); player.play().catch(() => {}); };
      list.append(it.li);
    }
    lines = items.filter((it) => !it.cue);
    placeMarkers(cues);
    paint();
    // Waveform: the WAV decoded in the browser (left = me above the axis, right = them below).
    try {
      const r = await fetch(audioUrl);
      const buf = await r.arrayBuffer();
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const audio = await ctx.decodeAudioData(buf);
      ctx.close();
      duration = audio.duration || duration;
      const cols = 2000;
      const chans = [audio.getChannelData(0), audio.numberOfChannels > 1 ? audio.getChannelData(1) : null];
      const per = Math.max(1, Math.floor(audio.length / cols));
      peaks = [];
      for (let c = 0; c < cols; c++) {
        const pk = [0, 0];
        for (let k = 0; k < 2; k++) {
          const ch = chans[k];
          if (!ch) continue;
          let m = 0;
          for (let i = c * per, end = Math.min(ch.length, (c + 1) * per); i < end; i += 4) {
            const v = Math.abs(ch[i]);
            if (v > m) m = v;
          }
          pk[k] = Math.min(1, m * 1.6);
        }
        peaks.push(pk);
      }
      $("wave-status").hidden = true;
      draw();
      placeMarkers(cues);
    } catch (e) {
      $("wave-status").textContent = "waveform unavailable: " + (e.message || e);
    }
  }
  player.onloadedmetadata = () => { if (isFinite(player.duration) && player.duration > 0 && !peaks) duration = player.duration; };
  load();
  loop();
  return () => {
    stopped = true;
    drill.close();
    cancelAnimationFrame(raf);
    window.removeEventListener("resize", onResize);
    player.pause();
    player.removeAttribute("src");
    player.load();
  };
}

// ---------------------------------------------------------------- drill (review page)
/** The drills of a call (its `drill.json`, `null` before the first): one row per run. */
function renderDrillResults(log) {
  const box = $("drill-results");
  box.replaceChildren();
  const runs = (log && log.runs) || [];
  if (!runs.length) {
    box.append(el("p", "muted", "Not drilled yet. Drill plays their line before each weak moment of this call; you answer out loud and hear whether you hit the rewrite's technique."));
    return;
  }
  const tries = runs.reduce((a, r) => a + r.tries, 0), hits = runs.reduce((a, r) => a + r.hits, 0);
  const sum = el("p", "drill-total", `${runs.length} drill${runs.length === 1 ? "" : "s"}: ${tries} tries, ${hits} hits, hit rate ${pct(tries ? hits / tries : null)}`);
  sum.id = "drill-total";
  Object.assign(sum.dataset, { runs: runs.length, tries, hits });
  const table = el("table", "drill-runs");
  const head = el("tr");
  for (const h of ["Drill", "When", "Moments", "Tries", "Hits", "Hit rate"]) head.append(el("th", null, h));
  table.append(head);
  runs.forEach((r, i) => {
    const tr = el("tr", "drill-run");
    Object.assign(tr.dataset, { tries: r.tries, hits: r.hits });
    const cells = [String(i + 1), (r.started || "").slice(0, 16).replace("T", " ") + (r.finished ? "" : " (stopped)"),
      String(r.moments.length), String(r.tries), String(r.hits), pct(r.tries ? r.hits / r.tries : null)];
    for (const c of cells) tr.append(el("td", null, c));
    table.append(tr);
  });
  box.append(sum, table);
}

/** The Drill button, its settings and the live view of a drill of session `id`. */
function drillPanel(id) {
  const btn = $("rv-drill");
  const live = $("drill-live");
  const log = $("drill-log");
  let mine = false;
  let ready = null;
  live.hidden = true;
  log.replaceChildren();
  $("drill-moment").replaceChildren();
  btn.disabled = false;
  const status = (t) => { $("drill-status").textContent = t; };
  const es = new EventSource("/api/events?token=" + encodeURIComponent(token));
  const hello = new Promise((resolve) => { ready = resolve; });
  const on = (type, f) => es.addEventListener(type, (e) => f(JSON.parse(e.data)));
  on("hello", () => ready());
  on("drill_started", (d) => {
    mine = d.session === id;
    btn.disabled = true;
    if (!mine) return;
    live.hidden = false;
    log.replaceChildren();
    status(`Drilling ${d.moments} moment${d.moments === 1 ? "" : "s"}, up to ${d.max_tries} tries each…`);
  });
  on("drill_moment", (d) => {
    if (!mine) return;
    const box = $("drill-moment");
    box.replaceChildren(
      el("div", "dm-head", `Moment ${d.index + 1} of ${d.total} · ${fmtTime(d.time)} · ${cueLabel(d.flag)}`),
      el("div", "dm-said", "You said: \u201c" + d.said + "\u201d"),
      el("div", "dm-prompt", d.prompt ? "They say: \u201c" + d.prompt + "\u201d" : (d.situation || "")),
      el("div", "dm-aim", "Aim for: " + d.technique + " (" + actLabel(d.target) + ")"));
    box.dataset.index = d.index;
    const li = el("li", "drill-moment-line", `Moment ${d.index + 1}: ${fmtTime(d.time)}, aim for ${actLabel(d.target)}`);
    log.append(li);
    status(`Moment ${d.index + 1} of ${d.total}: listen to their line…`);
  });
  on("drill_listening", (d) => {
    if (!mine) return;
    status(`Listening… (moment ${d.moment + 1}, try ${d.try_number}): answer out loud`);
    log.append(el("li", "drill-listening", `Try ${d.try_number}: listening…`));
  });
  on("drill_verdict", (d) => {
    if (!mine) return;
    const li = el("li", "drill-verdict " + (d.hit ? "hit" : "miss"));
    li.dataset.hit = d.hit;
    li.dataset.moment = d.moment;
    const heard = d.act == null ? "nothing before the timeout" : "\u201c" + d.text + "\u201d (" + actLabel(d.act) + ")";
    li.append(el("span", "verdict", d.hit ? "HIT" : "MISS"), el("span", "heard", " Heard: " + heard));
    if (!d.hit) li.append(el("span", "aim", " · not " + actLabel(d.target)));
    if (d.hint) li.append(el("div", "hint", "Hint: \u201c" + d.hint + "\u201d"));
    log.append(li);
    status(d.hit ? "Hit!" : d.more ? "Missed: read the hint, then try again." : "Missed.");
  });
  on("drill_summary", (d) => {
    if (d.session !== id) return;
    const s = el("li", "drill-summary", `Drill done: ${d.moments} moments, ${d.tries} tries, ${d.hits} hits, hit rate ${pct(d.hit_rate)}` + (d.finished ? "" : " (stopped early)"));
    Object.assign(s.dataset, { tries: d.tries, hits: d.hits });
    log.append(s);
  });
  on("drill_ended", async (d) => {
    btn.disabled = false;
    if (d.session !== id || !mine) return;
    mine = false;
    $("drill-stop").disabled = true;
    status(d.error ? "The drill failed." : "Drill over.");
    if (d.error) notice("The drill failed: " + d.error);
    try { renderDrillResults((await api("/api/sessions/" + encodeURIComponent(id))).drill); } catch (e) { notice(e.message); }
  });
  on("warning", (d) => { if (mine) notice(d.message); });
  btn.onclick = async () => {
    notice("");
    const body = {};
    const str = (k, elid) => { const v = $(elid).value.trim(); if (v) body[k] = v; };
    const num = (k, elid) => { const v = $(elid).value.trim(); if (v) body[k] = Number(v); };
    str("mic", "drill-mic"); str("output", "drill-output"); str("output_channel", "drill-channel");
    str("practitioner", "drill-practitioner"); str("practitioner_sink", "drill-sink");
    num("tries", "drill-tries"); num("moments", "drill-moments");
    btn.disabled = true;
    await hello; // subscribed before the drill starts: no event is missed
    try {
      await api("/api/sessions/" + encodeURIComponent(id) + "/drill", { method: "POST", body: JSON.stringify(body) });
      $("drill-stop").disabled = false;
    } catch (e) {
      btn.disabled = false;
      notice("Could not start the drill: " + e.message);
    }
  };
  $("drill-stop").onclick = async () => {
    try { await api("/api/sessions/stop", { method: "POST" }); status("Stopping after this try…"); } catch (e) { notice(e.message); }
  };
  return { close: () => es.close() };
}

// ---------------------------------------------------------------- history page
function chart(title, rows, get, opts = {}) {
  const W = 300, H = 110, P = 18;
  const pts = rows.map((r, i) => [i, get(r)]).filter(([, v]) => v != null);
  const box = el("div", "chart");
  box.append(el("h3", null, title));
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const max = Math.max(opts.max || 0, ...pts.map(([, v]) => v), 1);
  const x = (i) => P + (rows.length > 1 ? i / (rows.length - 1) : 0.5) * (W - 2 * P);
  const y = (v) => H - P - (v / max) * (H - 2 * P);
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    svg.append(e);
    return e;
  };
  if (opts.ref != null) {
    add("line", { class: "ref", x1: P, x2: W - P, y1: y(opts.ref), y2: y(opts.ref) });
    add("text", { class: "axis", x: W - P, y: y(opts.ref) + 11, "text-anchor": "end" }, (opts.refLabel || ""));
  }
  add("text", { class: "axis", x: 2, y: P - 4 }, opts.fmt ? opts.fmt(max) : String(max));
  add("text", { class: "axis", x: 2, y: H - P + 3 }, "0");
  if (rows.length) {
    const day = (r) => (r.started_at || "").slice(5, 10);
    add("text", { class: "axis", x: P, y: H - 1 }, day(rows[0]));
    if (rows.length > 1) add("text", { class: "axis", x: W - P, y: H - 1, "text-anchor": "end" }, day(rows[rows.length - 1]));
  }
  if (pts.length > 1) add("polyline", { class: "line", points: pts.map(([i, v]) => x(i) + "," + y(v)).join(" ") });
  for (const [i, v] of pts) {
    const c = add("circle", { class: "dot", cx: x(i), cy: y(v), r: 3 });
    c.dataset.value = v;
    const t = document.createElementNS(NS, "title");
    t.textContent = (rows[i].started_at || "").slice(0, 16).replace("T", " ") + ": " + (opts.fmt ? opts.fmt(v) : v) +
      (opts.detail ? " " + opts.detail(rows[i]) : "");
    c.append(t);
  }
  if (!pts.length) add("text", { class: "axis empty", x: W / 2, y: H / 2, "text-anchor": "middle" }, opts.empty || "no data yet");
  if (opts.label) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", opts.label); }
  box.append(svg);
  return box;
}

/** Drill hit rate per drilled call over time (hits per try over all of the call's drills), with
 * the same figures as a table for screen readers and copying, and an empty state. */
function drillChart(rows) {
  const drilled = rows.filter((r) => r.drill && r.drill.hit_rate != null);
  const detail = (r) => `(${r.drill.hits} of ${r.drill.tries} tries, ${r.drill.runs} drill${r.drill.runs === 1 ? "" : "s"}; latest ${pct(r.drill.last_hit_rate)})`;
  const label = drilled.length
    ? "Drill hit rate per drilled call, oldest first: " + drilled.map((r) => (r.started_at || "").slice(0, 10) + " " + pct(r.drill.hit_rate)).join(", ")
    : "No drills yet";
  const c = chart("Drill hit rate", drilled, (r) => r.drill.hit_rate, {
    max: 1, ref: 0.5, refLabel: "50%", fmt: (v) => Math.round(v * 100) + "%", detail, label,
    empty: "no drills yet: Drill on a call's review page",
  });
  const box = $("drill-chart");
  box.replaceChildren(c);
  const det = el("details", "drill-table");
  det.append(el("summary", null, "Drill hit rate as a table"));
  const table = el("table", "history");
  table.id = "drill-rates";
  const head = el("tr");
  for (const h of ["Call", "Drills", "Tries", "Hits", "Hit rate", "Latest drill"]) head.append(el("th", null, h));
  table.append(head);
  for (const r of drilled) {
    const tr = el("tr");
    tr.dataset.id = r.id;
    const a = el("a", null, (r.started_at || "").slice(0, 16).replace("T", " "));
    a.href = "#/review/" + encodeURIComponent(r.id);
    const first = el("td");
    first.append(a);
    tr.append(first);
    for (const v of [r.drill.runs, r.drill.tries, r.drill.hits, pct(r.drill.hit_rate), pct(r.drill.last_hit_rate)]) tr.append(el("td", null, String(v)));
    table.append(tr);
  }
  if (!drilled.length) {
    const tr = el("tr");
    const td = el("td", "muted", "No drills yet.");
    td.colSpan = 6;
    tr.append(td);
    table.append(tr);
  }
  det.append(table);
  box.append(det);
}

function historyPage() {
  (async () => {
    let data;
    try { data = await api("/api/sessions"); } catch (e) { notice(e.message); return; }
    const rows = data.sessions;
    const charts = $("charts");
    charts.replaceChildren(
      chart("Talk share (me)", rows, (r) => r.talk_share_me, { max: 1, ref: 0.43, refLabel: "43%: winning calls", fmt: (v) => Math.round(v * 100) + "%" }),
      chart("Yes-ladders", rows, (r) => r.yes_ladders),
      chart("No-questions", rows, (r) => r.no_questions),
      chart("Commitments", rows, (r) => r.commitments),
    );
    drillChart(rows);
    const tbody = $("history-rows");
    tbody.replaceChildren();
    for (const r of rows.slice().reverse()) {
      const tr = el("tr");
      const a = el("a", null, "review");
      a.href = "#/review/" + encodeURIComponent(r.id);
      const cells = [(r.started_at || "").slice(0, 16).replace("T", " "), fmtTime(r.duration), pct(r.talk_share_me),
        r.yes_ladders, r.no_questions, r.commitments, r.cues_total];
      for (const c of cells) tr.append(el("td", null, String(c)));
      const td = el("td");
      td.append(a);
      tr.append(td);
      tr.onclick = () => { location.hash = a.getAttribute("href"); };
      tbody.append(tr);
    }
    if (!rows.length) {
      const tr = el("tr");
      const td = el("td", "muted", "No calls yet. Start one on the Live page.");
      td.colSpan = 8;
      tr.append(td);
      tbody.append(tr);
    }
  })();
  return null;
}

route();
