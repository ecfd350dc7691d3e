// Drill from the review page: `node tests/browser/drill.mjs URL TOKEN SESSION_ID OUTDIR MIC SINK SCRIPT`.
// First the history page's drill chart is empty. Then on the review of SESSION_ID (the analyzed
// sample call) the Drill button drills its two top moments, two tries each, with the simulated
// practitioner of SCRIPT spoken into MIC and their lines played on SINK's right channel: the page
// shows each moment, "listening", a miss with its hint and a hit, the run's summary, and then
// the call's drill results. Last, the history page's chart shows the call's hit rate. Prints
// {"verdicts": [...], "summary": {...}, "total": {...}, "chart": ..., "table": [...]} last.
import { launch, check, until, watchErrors } from "./lib.mjs";

const [url, token, id, outdir, mic, sink, script] = process.argv.slice(2);
if (!url || !token || !id || !outdir || !mic || !sink || !script) {
  console.error("usage: node drill.mjs URL TOKEN SESSION_ID OUTDIR MIC SINK SCRIPT");
  process.exit(2);
}
const { context, close } = await launch();
try {
  const page = await context.newPage();
  const errors = watchErrors(page);

  // Before any drill: the chart's empty state.
  await page.goto(`${url}/?token=${token}#/history`);
  const empty = await until(() => page.$eval("#drill-chart", (e) => e.textContent.includes("no drills yet") ? e.textContent : null),
    10000, "the empty drill chart");
  check(await page.$$eval("#drill-chart circle.dot", (l) => l.length) === 0, "no points before a drill: " + empty);

  await page.goto(`${url}/?token=${token}#/review/${id}`);
  await until(() => page.$eval("#drill-results", (e) => e.textContent.includes("Not drilled yet")), 20000, "no drill results yet");
  await page.click("#drill-more summary");
  await page.fill("#drill-mic", mic);
  await page.fill("#drill-output", sink);
  await page.selectOption("#drill-channel", "right");
  await page.fill("#drill-practitioner", script);
  await page.fill("#drill-sink", sink);
  await page.fill("#drill-tries", "2");
  await page.fill("#drill-moments", "2");
  await page.click("#rv-drill");

  await until(() => page.$eval("#drill-live", (e) => !e.hidden), 60000, "the drill to start");
  check(await page.$eval("#rv-drill", (e) => e.disabled), "the Drill button is disabled while it runs");
  const moment = await until(() => page.$eval("#drill-moment", (e) => e.textContent.includes("Moment 1 of 2") ? e.textContent : null),
    120000, "the first moment");
  check(moment.includes("Well, I guess so.") && moment.includes("Aim for"), "the moment, their line and the target: " + moment);
  await until(() => page.$("#drill-log li.drill-listening"), 120000, "listening");
  const miss = await until(() => page.$eval("#drill-log", (e) => {
    const m = e.querySelector("li.drill-verdict.miss");
    return m ? m.textContent : null;
  }), 180000, "a miss");
  check(miss.includes("Hint:") && miss.includes("protecting your family"), "the miss shows the rewrite as hint: " + miss);
  const hit = await until(() => page.$eval("#drill-log", (e) => {
    const h = e.querySelector("li.drill-verdict.hit");
    return h ? h.textContent : null;
  }), 180000, "a hit");
  check(!hit.includes("Hint:"), "no hint after a hit: " + hit);
  await until(() => page.$eval("#drill-moment", (e) => e.textContent.includes("Moment 2 of 2")), 180000, "the second moment");
  const summary = await until(() => page.$eval("#drill-log", (e) => {
    const s = e.querySelector("li.drill-summary");
    return s ? { text: s.textContent, tries: Number(s.dataset.tries), hits: Number(s.dataset.hits) } : null;
  }), 300000, "the drill's summary");
  const total = await until(() => page.$eval("#drill-results", (e) => {
    const t = e.querySelector("#drill-total");
    return t ? { text: t.textContent, runs: Number(t.dataset.runs), tries: Number(t.dataset.tries), hits: Number(t.dataset.hits) } : null;
  }), 30000, "the drill results");
  await until(() => page.$eval("#rv-drill", (e) => !e.disabled), 10000, "the Drill button again");
  const verdicts = await page.$$eval("#drill-log li.drill-verdict", (l) => l.map((x) => ({ hit: x.dataset.hit === "true", moment: Number(x.dataset.moment), text: x.textContent })));
  await page.screenshot({ path: `${outdir}/review-drill.png`, fullPage: true });

  // The history page: the call's hit rate in the chart and its table.
  await page.goto(`${url}/?token=${token}#/history`);
  const chart = await until(() => page.$eval("#drill-chart", (e) => {
    const d = e.querySelector("circle.dot title");
    return d ? d.textContent : null;
  }), 10000, "a point in the drill chart");
  const label = await page.$eval("#drill-chart svg", (e) => e.getAttribute("aria-label"));
  const table = await page.$$eval(`#drill-rates tr[data-id="${id}"] td`, (l) => l.map((x) => x.textContent));
  await page.screenshot({ path: `${outdir}/history-drill.png`, fullPage: true });
  check(errors.length === 0, "no page errors: " + errors.join("; "));
  console.log(JSON.stringify({ verdicts, summary, total, chart, label, table }));
} finally {
  await close();
}
