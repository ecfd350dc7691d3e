// Review page test: `node tests/browser/review.mjs URL TOKEN SESSION_ID OUTDIR`.
// Opens the review of a recorded session, plays it and checks that the playhead and the
// highlighted transcript line move, that clicking a cue marker seeks to the cue, and that
// clicking a transcript line seeks to it; the debrief's changes and rewrites are shown; each
// voiced line carries its pitch contour (inline SVG drawn from the prosody the session serves).
import { launch, check, until, watchErrors } from "./lib.mjs";

const [url, token, id, outdir] = process.argv.slice(2);
if (!url || !token || !id || !outdir) {
  console.error("usage: node review.mjs URL TOKEN SESSION_ID OUTDIR");
  process.exit(2);
}
const { context, close } = await launch();
try {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}/?token=${token}#/review/${id}`);
  await until(() => page.$$eval("#rv-transcript li.utt", (l) => l.length >= 2), 20000, "transcript lines");
  await until(() => page.$$eval(".marker", (l) => l.length >= 1), 20000, "cue markers");
  // The waveform is decoded from the WAV in the browser.
  await until(() => page.$eval("#wave-status", (e) => e.hidden), 30000, "the waveform");
  const scorecard = await page.textContent("#scorecard");
  check(scorecard.includes("talk share"), "scorecard shown");
  // The debrief (the session was stopped early, so it may hold fewer than three changes):
  // changes under the scorecard, each with a rewrite, and the rewrites next to their lines.
  const changes = await page.$$eval("#debrief li", (l) => l.map((x) => x.textContent));
  check(changes.length >= 1 && changes.length <= 3 && changes.every((c) => c.includes("Try:")),
    "changes with a rewrite: " + JSON.stringify(changes));
  const tries = await page.$$eval("#rv-transcript li.utt .rewrite", (l) => l.length);
  check(tries >= changes.length, `rewrites next to the flagged lines (${tries})`);
  // Pitch contours: drawn from the session's own prosody records, not recomputed here.
  const served = await page.evaluate(async ([id, token]) => {
    const r = await fetch(`/api/sessions/${encodeURIComponent(id)}`, { headers: { Authorization: "Bearer " + token } });
    const d = await r.json();
    return d.events.filter((e) => e.type === "utterance" && e.prosody && (e.prosody.contour_hz || []).filter((v) => v).length >= 3).length;
  }, [id, token]);
  const contours = await page.$$eval("#rv-transcript li.utt svg.contour path", (l) => l.filter((p) => (p.getAttribute("d") || "").length > 10).length);
  check(served >= 1 && contours === served, `a contour per voiced line (${contours} drawn, ${served} served)`);
  const arrows = await page.$$eval("#rv-transcript li.utt .ending", (l) => l.map((x) => x.textContent));
  check(arrows.every((a) => ["\u2197", "\u2198", "\u2192"].includes(a)), "ending arrows: " + arrows.join(" "));
  await page.screenshot({ path: `${outdir}/review.png`, fullPage: true });

  const state = () => page.evaluate(() => {
    const p = document.getElementById("player");
    const act = document.querySelector("#rv-transcript li.active");
    return {
      t: p.currentTime,
      paused: p.paused,
      head: parseFloat(document.getElementById("playhead").style.left || "0"),
      active: act ? Number(act.dataset.start) : null,
    };
  });
  // Play (autoplay is allowed by the launch flag) and watch the playhead and highlight move.
  await page.evaluate(() => { const p = document.getElementById("player"); p.playbackRate = 2; return p.play(); });
  const s0 = await until(async () => { const s = await state(); return s.t > 0.3 && s.active != null ? s : null; }, 15000, "playback to start");
  const s1 = await until(async () => {
    const s = await state();
    return s.active != null && s.active !== s0.active && s.head > s0.head ? s : null;
  }, 30000, "the highlighted line and the playhead to move");
  check(s1.t > s0.t, `time advances ${s0.t} -> ${s1.t}`);
  await page.screenshot({ path: `${outdir}/review-playing.png`, fullPage: true });

  // Click a cue marker (the last one: furthest from where playback is) -> seek to its time.
  await page.evaluate(() => document.getElementById("player").pause());
  const markers = await page.$$(".marker");
  const target = markers[markers.length - 1];
  const cueTime = Number(await target.getAttribute("data-time"));
  await target.click();
  const s2 = await state();
  check(Math.abs(s2.t - cueTime) < 1.0, `marker click seeks to ${cueTime}, now ${s2.t}`);
  await until(async () => (await state()).active != null, 5000, "a highlighted line after seeking");

  // Click the first transcript line -> seek back to its start.
  const first = await page.$("#rv-transcript li.utt");
  const lineStart = Number(await first.getAttribute("data-start"));
  await first.click();
  await page.evaluate(() => document.getElementById("player").pause());
  const s3 = await state();
  check(Math.abs(s3.t - lineStart) < 1.0, `line click seeks to ${lineStart}, now ${s3.t}`);
  check(errors.length === 0, "no page errors: " + errors.join("; "));
  console.log(JSON.stringify({ marker: cueTime, after_marker: s2.t, line: lineStart, after_line: s3.t, contours, arrows: arrows.length }));
} finally {
  await close();
}
