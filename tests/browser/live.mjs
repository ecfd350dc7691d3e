// Live page test: `node tests/browser/live.mjs URL TOKEN OUTDIR`.
// Starts a real-time replay of the sample call with the page's own button, waits for cues to
// appear in the cue box and transcript lines to roll in, stops the session, then checks the
// history page lists it with its charts. Prints {"session": ID} as the last stdout line.
import { launch, check, until, watchErrors } from "./lib.mjs";

const [url, token, outdir] = process.argv.slice(2);
if (!url || !token || !outdir) {
  console.error("usage: node live.mjs URL TOKEN OUTDIR");
  process.exit(2);
}
const { context, close } = await launch();
try {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}/?token=${token}#/live`);
  check(!page.url().includes("token="), "the token is removed from the address bar");
  await page.waitForSelector("#btn-sample:not([disabled])");
  await page.selectOption("#speed", "realtime");
  await page.click("#btn-sample");
  await until(() => page.$eval("#state", (e) => e.textContent === "running"), 20000, "state running");
  // A cue shows up in the big box, coloured by severity.
  const sev = await until(
    () => page.$eval("#cue", (e) => (e.dataset.severity !== "none" ? e.dataset.severity : null)),
    120000, "a cue in the cue box");
  check(["praise", "nudge", "alert"].includes(sev), "severity " + sev);
  const cueText = await page.textContent("#cue-msg");
  check(cueText.length > 5, "cue text: " + cueText);
  await until(() => page.$$eval("#live-transcript li.utt", (l) => l.length >= 3), 120000, "three transcript lines");
  const levels = await page.$eval("#lvl-me-val", (e) => e.textContent);
  check(levels.includes("dBFS"), "level meter shows dBFS: " + levels);
  const ratio = await page.$eval("#ratio-val", (e) => e.textContent);
  check(ratio.includes("me"), "talk ratio: " + ratio);
  await page.screenshot({ path: `${outdir}/live.png`, fullPage: true });
  const id = await page.$eval("#session-info", (e) => e.textContent.split(" · ").pop());
  await page.click("#btn-stop");
  await until(() => page.$eval("#state", (e) => e.textContent === "idle"), 120000, "state idle after stop");
  await until(() => page.$("#session-info a"), 10000, "review link after the session");
  await page.screenshot({ path: `${outdir}/live-ended.png`, fullPage: true });

  await page.goto(`${url}/#/history`);
  await until(() => page.$$eval("#history-rows tr td a", (l) => l.length >= 1), 10000, "history rows");
  const charts = await page.$$eval("#charts svg", (l) => l.length);
  check(charts === 4, "four charts, got " + charts);
  await page.screenshot({ path: `${outdir}/history.png`, fullPage: true });
  check(errors.length === 0, "no page errors: " + errors.join("; "));
  console.log(JSON.stringify({ session: id, severity: sev, cue: cueText }));
} finally {
  await close();
}
