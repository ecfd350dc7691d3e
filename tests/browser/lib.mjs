// Shared set-up of the browser tests: the system Chromium (no browser download), headless,
// a fresh profile, no network beyond the daemon on loopback.
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const CHROMIUM = process.env.RINGSIDE_CHROMIUM || "/usr/bin/chromium";

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh --test (installs the chromium package)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ringside-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 860 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

export function check(cond, msg) {
  if (!cond) throw new Error("check failed: " + msg);
}

/** Polls `fn` (async) until it returns a truthy value or `ms` pass. */
export async function until(fn, ms, what) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects console errors and failed requests of a page, to fail on them at the end. */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text() + " " + JSON.stringify(m.location())); });
  return errors;
}
