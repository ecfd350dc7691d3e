// Export and delete test: `node tests/browser/manage.mjs URL TOKEN EXPORT_ID DELETE_ID OUTDIR`.
// On the review of EXPORT_ID, the Export button downloads the call's zip (saved as
// OUTDIR/export.zip for the Rust side to open). On the review of DELETE_ID, Delete asks in
// the page first: "Keep it" keeps the call, "Delete it" deletes it and returns to the history,
// which no longer lists it. Prints {"archive": PATH, "suggested": NAME} as the last line.
import { launch, check, until, watchErrors } from "./lib.mjs";

const [url, token, exportId, deleteId, outdir] = process.argv.slice(2);
if (!url || !token || !exportId || !deleteId || !outdir) {
  console.error("usage: node manage.mjs URL TOKEN EXPORT_ID DELETE_ID OUTDIR");
  process.exit(2);
}
const { context, close } = await launch();
try {
  const page = await context.newPage();
  const errors = watchErrors(page);
  // Asked from here, not from the page: the page would log the expected 404 as an error.
  const status = async (id) => (await fetch(`${url}/api/sessions/${encodeURIComponent(id)}`,
    { headers: { Authorization: "Bearer " + token } })).status;

  // Export: a real download through the page's link.
  await page.goto(`${url}/?token=${token}#/review/${exportId}`);
  await until(() => page.$$eval("#rv-transcript li.utt", (l) => l.length >= 1), 20000, "transcript lines");
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30000 }), page.click("#rv-export")]);
  const suggested = download.suggestedFilename();
  check(suggested === `ringside-${exportId}.zip`, "download name " + suggested);
  const archive = `${outdir}/export.zip`;
  await download.saveAs(archive);
  check((await download.failure()) === null, "download failed: " + (await download.failure()));

  // Delete: the confirmation step, first declined, then accepted.
  await page.goto(`${url}/#/review/${deleteId}`);
  await until(() => page.$$eval("#rv-transcript li.utt", (l) => l.length >= 1), 20000, "transcript lines of the call to delete");
  check(await page.$eval("#rv-confirm", (e) => e.hidden), "no confirmation before Delete is clicked");
  await page.click("#rv-delete");
  await until(() => page.$eval("#rv-confirm", (e) => !e.hidden), 5000, "the confirmation");
  await page.screenshot({ path: `${outdir}/delete-confirm.png`, fullPage: true });
  await page.click("#rv-delete-no");
  check(await page.$eval("#rv-confirm", (e) => e.hidden), "Keep it closes the confirmation");
  check((await status(deleteId)) === 200, "kept after Keep it");
  await page.click("#rv-delete");
  await page.click("#rv-delete-yes");
  await until(() => page.evaluate(() => location.hash === "#/history"), 10000, "back to the history");
  await until(() => page.$eval("#notice", (e) => !e.hidden && e.textContent.includes("Deleted")), 5000, "the deleted notice");
  await until(() => page.$$eval("#history-rows a", (l) => l.length >= 1), 10000, "history rows");
  const links = await page.$$eval("#history-rows a", (l) => l.map((a) => a.getAttribute("href")));
  check(!links.some((h) => h.includes(deleteId)), "the deleted call is not listed: " + links);
  check(links.some((h) => h.includes(exportId)), "the other call still is: " + links);
  check((await status(deleteId)) === 404, "the API no longer has it");
  await page.screenshot({ path: `${outdir}/history-after-delete.png`, fullPage: true });
  check(errors.length === 0, "no page errors: " + errors.join("; "));
  console.log(JSON.stringify({ archive, suggested }));
} finally {
  await close();
}
