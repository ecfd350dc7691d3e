// Role-play from the live page: `node tests/browser/roleplay.mjs URL TOKEN OUTDIR MIC SINK SCRIPT`.
// Picks the insurance scenario in the picker. First with an output device that does not exist:
// the page shows the daemon's one-line error and nothing starts. Then with the test's virtual
// line (the counterpart on the sink's right channel, the simulated practitioner's script spoken
// into MIC): the transcript shows both sides and a cue appears; Stop ends it. Prints
// {"session": ID, "cue": ..., "me": [...], "them": [...]} as the last line.
import { launch, check, until, watchErrors } from "./lib.mjs";

const [url, token, outdir, mic, sink, script] = process.argv.slice(2);
if (!url || !token || !outdir || !mic || !sink || !script) {
  console.error("usage: node roleplay.mjs URL TOKEN OUTDIR MIC SINK SCRIPT");
  process.exit(2);
}
const { context, close } = await launch();
try {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}/?token=${token}#/live`);
  await until(() => page.$$eval("#scenario option", (l) => l.length >= 4), 10000, "the scenarios in the picker");
  const names = await page.$$eval("#scenario option", (l) => l.map((o) => o.value));
  for (const n of ["insurance_cold_call", "saas_renewal", "salary_negotiation", "landlord_rent"]) {
    check(names.includes(n), `${n} in the picker: ${names}`);
  }
  await page.selectOption("#scenario", "insurance_cold_call");
  const about = await page.textContent("#scenario-about");
  check(about.length > 10, "the scenario is described: " + about);
  await page.click("#rp-more summary");

  // A missing output device: a clear error in the page, no session.
  await page.fill("#rp-output", "no-such-output-device");
  await page.click("#btn-roleplay");
  const err = await until(
    () => page.$eval("#notice", (e) => (!e.hidden && e.textContent.includes("no-such-output-device") ? e.textContent : null)),
    20000, "the output error");
  check(err.includes("ringside devices"), "the error says what to do: " + err);
  check((await page.textContent("#state")) === "idle", "nothing started");

  // The real thing, headless: the simulated practitioner over the virtual microphone.
  await page.fill("#rp-mic", mic);
  await page.fill("#rp-output", sink);
  await page.selectOption("#rp-channel", "right");
  await page.fill("#rp-practitioner", script);
  await page.fill("#rp-sink", sink);
  await page.click("#btn-roleplay");
  await until(() => page.$eval("#state", (e) => e.textContent === "running"), 180000, "the role-play to run");
  check(await page.$eval("#btn-roleplay", (e) => e.disabled), "the picker's button is disabled while it runs");
  const info = await page.textContent("#session-info");
  check(info.includes("role-play insurance_cold_call"), "session info: " + info);
  await until(() => page.$$eval("#live-transcript li.utt.them", (l) => l.length >= 1), 120000, "the counterpart's line");
  await until(() => page.$$eval("#live-transcript li.utt.me", (l) => l.length >= 1), 120000, "the practitioner's line");
  const sev = await until(
    () => page.$eval("#cue", (e) => (e.dataset.severity !== "none" ? e.dataset.severity : null)),
    120000, "a cue in the cue box");
  const cue = await page.textContent("#cue-msg");
  await page.screenshot({ path: `${outdir}/roleplay.png`, fullPage: true });
  const id = info.split(" · ").pop().trim();
  await page.click("#btn-stop");
  await until(() => page.$eval("#state", (e) => e.textContent === "idle"), 120000, "idle after stop");
  await until(() => page.$("#session-info a"), 10000, "review link after the role-play");
  const text = (who) => page.$$eval(`#live-transcript li.utt.${who} .text`, (l) => l.map((x) => x.textContent));
  const me = await text("me");
  const them = await text("them");
  // The one expected failure: the browser logs the refused start (422) of the missing output.
  const unexpected = errors.filter((e) => !(e.includes("status of 422") && e.includes("/api/sessions/start")));
  check(unexpected.length === 0, "no page errors: " + unexpected.join("; "));
  console.log(JSON.stringify({ session: id, severity: sev, cue, me, them }));
} finally {
  await close();
}
