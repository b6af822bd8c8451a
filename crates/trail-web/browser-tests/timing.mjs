// Time from navigation to the Activity Logs page's first rows, as the median of 7 loads in a
// signed-in browser context, next to the search API's own time. Used by run.mjs (the browser
// tests) and runnable on its own against any server, e.g. a release build on a quiet machine:
//
//   trail serve --data-dir /tmp/timing --admin-token "$TOKEN" &
//   TRAIL_URL=http://127.0.0.1:8480 TRAIL_TOKEN="$TOKEN" node timing.mjs [--waterfall]
//
// On its own it seeds the server (seed.mjs: a fresh data directory is needed) and signs in.

import { chromium } from 'playwright-core';
import { PASSWORD, client, seed } from './seed.mjs';

const LOADS = 7;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Loads `${base}/?range=90d` LOADS times in `context` (signed in); the moment the first row enters
 * the document is recorded by the page itself (a MutationObserver installed before navigation),
 * since a poll from the test would add its own round trips. Prints and answers the medians.
 */
export async function timeFirstRows(context, base, { waterfall = false } = {}) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.querySelector('table.log-table tr[data-id]')) {
        window.__firstRow = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const samples = [];
  for (let i = 0; i < LOADS; i += 1) {
    await page.goto(`${base}/?range=90d`);
    await page.waitForFunction(() => window.__firstRow, null, { timeout: 15_000 });
    samples.push(await page.evaluate(() => {
      const search = performance.getEntriesByType('resource').find((e) => e.name.includes('/v1/events?'));
      return { page: window.__firstRow, api: search ? search.responseEnd - search.requestStart : NaN };
    }));
  }
  if (waterfall) {
    // Where the time goes on the last load: each request's start and end after navigation.
    const rows = await page.evaluate(() => [
      ...performance.getEntriesByType('navigation').map((e) => ['document', 0, e.responseEnd, e.domInteractive]),
      ...performance.getEntriesByType('resource').map((e) => [e.name.replace(location.origin, ''), e.startTime, e.responseEnd]),
      ['first row', window.__firstRow, window.__firstRow],
    ]);
    for (const [name, start, end, extra] of rows) console.log(`waterfall: ${start.toFixed(1).padStart(7)} ${end.toFixed(1).padStart(7)} ${name}${extra ? ` (interactive ${extra.toFixed(1)})` : ''}`);
  }
  await page.close();
  const pageMs = median(samples.map((x) => x.page));
  const apiMs = median(samples.map((x) => x.api));
  const all = samples.map((x) => x.page.toFixed(0)).join(', ');
  console.log(`timing: first rows ${pageMs.toFixed(0)} ms after navigation (median of ${LOADS}: ${all}); the search API took ${apiMs.toFixed(0)} ms of it; the page adds ${(pageMs - apiMs).toFixed(0)} ms (HTML, modules, /v1/me, rendering)`);
  return { pageMs, apiMs };
}

// Run on its own: seed, sign in, measure.
if (import.meta.url === `file://${process.argv[1]}`) {
  const base = process.env.TRAIL_URL;
  await seed(client(base, process.env.TRAIL_TOKEN));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill('alice@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Activity Logs' }).waitFor({ timeout: 15_000 });
  await page.close();
  await timeFirstRows(context, base, { waterfall: process.argv.includes('--waterfall') });
  await browser.close();
}
