// Browser tests of the Activity Logs page, run by `cargo test -p trail-server --test browser`
// (which starts a real server and sets TRAIL_URL and TRAIL_TOKEN). playwright-core drives
// Debian's Chromium. Prints one line per check and "N passed, N failed"; exits non-zero on any
// failure. With TRAIL_SCREENSHOTS=<dir> it also saves the screenshots the README shows.

import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { PASSWORD, XSS_NAME, XSS_RESOURCE, client, seed } from './seed.mjs';
import { timeFirstRows } from './timing.mjs';

const BASE = process.env.TRAIL_URL;
const TOKEN = process.env.TRAIL_TOKEN;
const SHOTS = process.env.TRAIL_SCREENSHOTS || '';
const api = client(BASE, TOKEN);
const results = [];
const T = 15_000;

async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok - ${name}`);
  } catch (error) {
    results.push([name, false]);
    console.log(`FAILED - ${name}: ${error && error.stack ? error.stack.split('\n').slice(0, 3).join(' | ') : error}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

const { acme } = await seed(api);
const ORG = acme.id;
const apiCount = async (params) => (await api.get(`/v1/events/count?${new URLSearchParams({ organization_id: ORG, ...params })}`)).count;

/** The number in "1,234 events", once it equals `want` (or the deadline passes). */
async function waitCount(page, want) {
  await page.waitForFunction((n) => {
    const el = document.querySelector('.summary .count');
    return el && Number(el.textContent.replace(/[^0-9]/g, '')) === n && el.textContent.includes('event');
  }, want, { timeout: T });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, colorScheme: 'light' });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('dialog', async (d) => { pageErrors.push(`unexpected dialog: ${d.message()}`); await d.dismiss(); });

async function signIn(p, email) {
  await p.goto(`${BASE}/`);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { name: 'Activity Logs' }).waitFor({ timeout: T });
}

await check('pages carry a strict Content-Security-Policy', async () => {
  const response = await fetch(`${BASE}/`);
  const csp = response.headers.get('content-security-policy');
  assert(csp && csp.includes("script-src 'self'") && !csp.includes('unsafe'), `CSP: ${csp}`);
  assert(csp.includes("frame-ancestors 'none'"), 'the app may not be framed');
  const embed = (await fetch(`${BASE}/embed`)).headers.get('content-security-policy');
  assert(embed.includes("frame-ancestors 'self'"), `embed CSP: ${embed}`);
});

await check('a wrong password is refused with a message', async () => {
  await page.goto(`${BASE}/`);
  await page.getByLabel('Email').fill('alice@example.com');
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'email or password is wrong' }).waitFor({ timeout: T });
});

await check('sign in shows the log with the seeds’ columns and the total count', async () => {
  await signIn(page, 'alice@example.com');
  const headers = await page.locator('table.log-table thead th').allTextContents();
  const names = headers.map((h) => h.replace(/[^A-Za-z]/g, ''));
  assert(JSON.stringify(names) === JSON.stringify(['Actor', 'Action', 'Area', 'Resource', 'Source', 'Location', 'Date']), `columns ${names}`);
  await waitCount(page, await apiCount({ from: '7d' }));
  const first = page.locator('table.log-table tbody tr').first();
  await first.waitFor({ timeout: T });
  const dates = await page.locator('.c-date time').allInnerTexts();
  assert(dates.some((d) => /\d+ (minutes?|hours?|days?) ago/.test(d)), `relative dates: ${dates.slice(0, 3)}`);
  const title = await page.locator('.c-date time').first().getAttribute('title');
  assert(/\d{2}:\d{2}:\d{2} \S+/.test(title), `exact time and zone on hover: ${title}`);
  await shot(page, 'log');
});

await check('XSS payloads in event fields show as characters and never run', async () => {
  await page.getByText(XSS_NAME, { exact: true }).first().waitFor({ timeout: T });
  await page.getByText(XSS_RESOURCE, { exact: true }).first().waitFor({ timeout: T });
  assert(await page.evaluate(() => window.__xss === undefined), 'a payload ran');
  assert((await page.locator('img[src=x]').count()) === 0, 'an injected element exists');
});

await check('a setting switches to absolute times in a chosen time zone', async () => {
  await page.getByLabel('Absolute times').check();
  await page.getByRole('combobox', { name: 'Time zone' }).selectOption('Asia/Tokyo');
  const first = await page.locator('.c-date time').first().innerText();
  assert(first.endsWith('Asia/Tokyo') && !first.includes('ago'), `date ${first}`);
  await page.getByLabel('Absolute times').uncheck();
  assert((await page.locator('.c-date time').first().innerText()).match(/ago|now/), 'relative again');
});

await check('the organization switcher lists both organizations', async () => {
  const options = await page.getByLabel('Organization').locator('option').allInnerTexts();
  assert(options.includes('Acme') && options.includes('Globex'), `options ${options}`);
});

await check('the Action drop-down groups actions by area with catalogue labels', async () => {
  await page.goto(`${BASE}/`);
  const combo = page.getByRole('combobox', { name: 'Action', exact: true });
  await combo.locator('optgroup[label="Members"] option[value="member.role_changed"]').waitFor({ state: 'attached', timeout: T });
  const members = await combo.locator('optgroup[label="Members"] option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  const texts = Object.fromEntries(members);
  assert(texts['member.role_changed'] === 'Role Changed' && texts['member.invited'] === 'Invited', `Members group ${JSON.stringify(members)}`);
  assert(texts['member.*'] === 'All Members actions', `group option ${JSON.stringify(members)}`);
  const scans = await combo.locator('optgroup[label="Scan"] option').evaluateAll((os) => os.map((o) => o.value));
  assert(scans.includes('scan.started') && scans.includes('scan.finished'), `uncatalogued actions grouped by their area: ${scans}`);
});

for (const [label, value, q] of [
  ['Action', 'member.invited', 'action:member.invited'],
  ['Area', 'scan', 'area:scan'],
  ['User', 'bob@example.com', 'actor.id:bob@example.com'],
  ['Source', 'api', 'source:api'],
  ['Outcome', 'failure', 'outcome:failure'],
]) {
  await check(`the ${label} filter applies as soon as it changes`, async () => {
    await page.goto(`${BASE}/`);
    await page.getByRole('combobox', { name: label, exact: true }).selectOption(value);
    await waitCount(page, await apiCount({ q, from: '7d' }));
    assert(page.url().includes(`${label === 'User' ? 'user' : label.toLowerCase()}=`), `URL ${page.url()}`);
  });
}

await check('the Date filter’s presets and custom From/To apply', async () => {
  await page.goto(`${BASE}/`);
  await page.getByRole('combobox', { name: 'Date' }).selectOption('24h');
  await waitCount(page, await apiCount({ from: '24h' }));
  await page.getByRole('combobox', { name: 'Date' }).selectOption('custom');
  await page.getByLabel('From', { exact: true }).waitFor({ timeout: T });
  const from = new Date(Date.now() - 2 * 864e5);
  const pad = (n) => String(n).padStart(2, '0');
  await page.getByLabel('From', { exact: true }).fill(`${from.getFullYear()}-${pad(from.getMonth() + 1)}-${pad(from.getDate())}T${pad(from.getHours())}:${pad(from.getMinutes())}`);
  const iso = new Date(`${from.getFullYear()}-${pad(from.getMonth() + 1)}-${pad(from.getDate())}T${pad(from.getHours())}:${pad(from.getMinutes())}`).toISOString();
  await waitCount(page, await apiCount({ from: iso }));
});

await check('a query that does not parse is explained inline at its column', async () => {
  await page.goto(`${BASE}/`);
  const box = page.getByRole('searchbox', { name: 'Search' });
  await box.fill('action:member.* actr:alice');
  await box.press('Enter');
  const error = page.locator('.query-error');
  await error.waitFor({ state: 'visible', timeout: T });
  assert((await error.innerText()).includes('could not be read'), await error.innerText());
  assert(await box.getAttribute('aria-invalid') === 'true', 'aria-invalid');
  const caret = await page.locator('.query-error pre.caret').innerText();
  assert(caret.split('\n')[1].indexOf('^') === 'action:member.* '.length, `caret ${JSON.stringify(caret)}`);
});

await check('the builder gives the same result as the equivalent query, and they stay in sync', async () => {
  await page.goto(`${BASE}/`);
  await page.getByRole('button', { name: 'Filters', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Filters' });
  await dialog.getByRole('button', { name: 'Clear all' }).click();
  await dialog.getByRole('button', { name: 'New filter' }).click();
  await dialog.getByLabel('Field 1').selectOption('action');
  await dialog.getByLabel('Operator 1').selectOption('starts_with');
  await dialog.getByLabel('Value 1').fill('member.');
  await dialog.getByRole('button', { name: 'New filter' }).click();
  await dialog.getByLabel('Field 2').selectOption('source');
  await dialog.getByLabel('Operator 2').selectOption('ne');
  await dialog.getByLabel('Value 2').fill('api');
  await shot(page, 'filters');
  await dialog.getByRole('button', { name: 'Apply' }).click();
  const q = 'action:member.* -source:api';
  assert(await page.getByRole('searchbox', { name: 'Search' }).inputValue() === q, 'the search box shows the builder’s query');
  await waitCount(page, await apiCount({ q, from: '7d' }));
  await page.getByRole('button', { name: 'Filters', exact: true }).click();
  assert(await dialog.getByLabel('Value 1').inputValue() === 'member.', 'the builder reads the query back');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
});

await check('a copied link reproduces the view', async () => {
  await page.goto(`${BASE}/`);
  await page.getByRole('combobox', { name: 'Action' }).selectOption('member.role_changed');
  await page.getByRole('combobox', { name: 'Date' }).selectOption('30d');
  const want = await apiCount({ q: 'action:member.role_changed', from: '30d' });
  await waitCount(page, want);
  const other = await context.newPage();
  await other.goto(page.url());
  await waitCount(other, want);
  assert(await other.getByRole('combobox', { name: 'Action' }).inputValue() === 'member.role_changed', 'action restored');
  assert(await other.getByRole('combobox', { name: 'Date' }).inputValue() === '30d', 'range restored');
  await other.close();
});

await check('paging with the keyset cursor reaches the end of a large result', async () => {
  await page.goto(`${BASE}/?area=scan&range=90d`);
  const want = await apiCount({ q: 'area:scan', from: '90d' });
  await waitCount(page, want);
  const end = page.locator('.end-of-results');
  for (let i = 0; i < 40 && !(await end.isVisible()); i += 1) {
    const more = page.getByRole('button', { name: 'Load more' });
    // The infinite scroll may load the last page and hide the button between the check and the
    // click: a click that finds no button is not a failure.
    if (await more.isVisible()) await more.click({ timeout: 2_000 }).catch(() => {});
    await page.waitForTimeout(0);
    await page.waitForFunction(() => !document.querySelector('.paging button:disabled'), null, { timeout: T });
  }
  await end.waitFor({ state: 'visible', timeout: T });
  const rows = await page.locator('table.log-table tbody tr[data-id]').count();
  assert(rows === want, `${rows} rows, ${want} events`);
  const ids = await page.locator('table.log-table tbody tr[data-id]').evaluateAll((trs) => trs.map((t) => t.dataset.id));
  assert(new Set(ids).size === ids.length, 'no event twice');
});

await check('an event opens with every field, its changes and a verified proof', async () => {
  await page.goto(`${BASE}/?action=member.role_changed`);
  await page.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  await page.locator('.action-link').first().click();
  const panel = page.getByRole('complementary');
  await panel.getByRole('heading', { name: 'Role Changed' }).waitFor({ timeout: T });
  await panel.getByRole('table').getByText('Developer').waitFor({ timeout: T });
  await panel.locator('.verified, .not-verified').first().waitFor({ timeout: T });
  const integrity = await panel.locator('.verified, .not-verified').first().innerText();
  assert(integrity.startsWith('Verified'), `integrity: ${integrity}`);
  // The checkpoint's signature was checked against the key the log publishes.
  const vkey = (await (await fetch(`${BASE}/v1/log/public-key`)).text()).trim().split('\n')[0];
  const signedBy = await panel.getByText('Signed by').innerText();
  assert(signedBy.includes(vkey.split('+').slice(0, 2).join('+')), `${signedBy} vs ${vkey}`);
  // The same check refuses an altered note and another key.
  const outcomes = await page.evaluate(async (key) => {
    const proof = await import(document.querySelector('script[src$="/js/main.js"]').src.replace('/main.js', '/proof.js'));
    const note = await (await fetch('/v1/log/checkpoint')).text();
    const keys = [proof.parseVerifierKey(key)];
    const lines = note.split('\n');
    const altered = [lines[0], String(Number(lines[1]) + 1), ...lines.slice(2)].join('\n');
    const other = proof.parseVerifierKey(`${key.split('+')[0]}+${key.split('+')[1]}+${btoa(String.fromCharCode(1, ...new Uint8Array(32).fill(7)))}`);
    return [
      Boolean(await proof.checkSignature(note, keys)),
      Boolean(await proof.checkSignature(altered, keys)),
      Boolean(await proof.checkSignature(note, [other])),
    ];
  }, vkey);
  assert(JSON.stringify(outcomes) === '[true,false,false]', `signature checks ${outcomes}`);
  assert(page.url().includes('event=evt_'), 'the open event is in the URL');
  await shot(page, 'detail');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached', timeout: T });
});

await check('keyboard only: / focuses search, arrows move, Enter opens, Escape closes', async () => {
  await page.goto(`${BASE}/`);
  await page.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  await page.locator('body').press('/');
  assert(await page.evaluate(() => document.activeElement.matches('input.search')), 'search focused');
  await page.keyboard.type('action:member.invited');
  await page.keyboard.press('Enter');
  await waitCount(page, await apiCount({ q: 'action:member.invited', from: '7d' }));
  await page.locator('table.log-table tbody tr[data-id]').first().focus();
  await page.keyboard.press('ArrowDown');
  const second = await page.evaluate(() => document.activeElement.dataset.id);
  const rowIds = await page.locator('table.log-table tbody tr[data-id]').evaluateAll((trs) => trs.map((t) => t.dataset.id));
  assert(second === rowIds[1], 'ArrowDown moved to the second row');
  await page.keyboard.press('Enter');
  await page.getByRole('complementary').waitFor({ timeout: T });
  assert(page.url().includes(`event=${second}`), 'Enter opened that row');
  await page.keyboard.press('Escape');
  await page.getByRole('complementary').waitFor({ state: 'detached', timeout: T });
  assert(await page.evaluate(() => document.activeElement.dataset.id) === second, 'focus returned to the row');
});

await check('live mode puts an event sent during the test at the top', async () => {
  await page.goto(`${BASE}/`);
  await page.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  await page.getByRole('button', { name: 'Live', exact: true }).click();
  await page.getByText('Live: waiting').waitFor({ timeout: T });
  await api.post(`/v1/events?organization_id=${ORG}`, { action: 'live.arrived', actor: { id: 'alice@example.com', name: 'Alice Kim' } });
  await page.locator('table.log-table tbody tr[data-id]').first().getByText('Live arrived').waitFor({ timeout: T });
  await page.getByRole('button', { name: 'Live', exact: true }).click();
});

await check('an export downloads at once and its rows equal the view', async () => {
  await page.goto(`${BASE}/?action=member.invited`);
  await page.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Export' });
  const want = await apiCount({ q: 'action:member.invited', from: '30d' });
  const button = dialog.getByRole('button', { name: `Export ${want} records` });
  await button.waitFor({ timeout: T });
  await shot(page, 'export');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: T }), button.click()]);
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  assert(lines.length === want + 1, `${lines.length - 1} rows, ${want} events`);
  const apiIds = (await api.get(`/v1/events?${new URLSearchParams({ organization_id: ORG, q: 'action:member.invited', from: '30d', limit: '1000' })}`)).events.map((e) => e.id).sort();
  const csvIds = apiIds.filter((id) => text.includes(id));
  assert(csvIds.length === apiIds.length, 'every event of the view is in the file');
});

await check('a large export becomes a job that completes in Export History', async () => {
  await page.goto(`${BASE}/?area=scan`);
  await page.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Export' });
  await dialog.getByLabel('Name').fill('All scans');
  await dialog.getByLabel('Last 90 days').check();
  const want = await apiCount({ q: 'area:scan', from: '90d' });
  await dialog.getByRole('button', { name: `Export ${want.toLocaleString('en')} records` }).click();
  await page.getByRole('heading', { name: 'Export History' }).waitFor({ timeout: T });
  const row = page.locator('tr', { hasText: 'All scans' });
  await row.getByRole('button', { name: 'Download All scans' }).waitFor({ timeout: 30_000 });
  assert((await row.innerText()).includes(want.toLocaleString('en')), 'records shown');
  await shot(page, 'history');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: T }), row.getByRole('button', { name: 'Download All scans' }).click()]);
  const lines = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert(lines.length === want + 1, `${lines.length - 1} rows in the job's file, ${want} events`);
});

await check('a saved view stores and restores the filters', async () => {
  await page.goto(`${BASE}/?source=api&range=30d`);
  await waitCount(page, await apiCount({ q: 'source:api', from: '30d' }));
  await page.getByRole('button', { name: 'Save view' }).click();
  const dialog = page.getByRole('dialog', { name: 'Save view' });
  await dialog.getByLabel('View name').fill('API calls');
  await dialog.getByLabel('Share with the organization').check();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await page.goto(`${BASE}/`);
  const views = page.getByRole('combobox', { name: 'Saved views' });
  await views.locator('option', { hasText: 'API calls' }).waitFor({ state: 'attached', timeout: T });
  await views.selectOption({ label: 'API calls (shared)' });
  await waitCount(page, await apiCount({ q: 'source:api', from: '30d' }));
  assert(await page.getByRole('combobox', { name: 'Source' }).inputValue() === 'api', 'source restored');
  const logged = await api.get(`/v1/events?organization_id=${ORG}&q=action:trail.view.created`);
  assert(logged.events.length === 1, 'the view’s creation is in the log');
});

await check('a malformed link, a server that goes away and an expired session each say so', async () => {
  await page.goto(`${BASE}/?range=fortnight&from=yesterday-ish`);
  await page.getByRole('alert').filter({ hasText: 'could not be read' }).waitFor({ timeout: T });
  await page.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  await page.route('**/v1/**', (route) => route.abort());
  await page.getByRole('combobox', { name: 'Outcome' }).selectOption('failure');
  await page.getByText('Trail cannot be reached').first().waitFor({ timeout: T });
  await page.unroute('**/v1/**');
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await signIn(p2, 'alice@example.com');
  await p2.waitForLoadState('networkidle');
  await other.clearCookies();
  await p2.getByRole('combobox', { name: 'Outcome' }).selectOption('failure');
  await p2.getByText('sign in again').first().waitFor({ timeout: T });
  await p2.getByLabel('Password').waitFor({ timeout: T });
  await other.close();
});

await check('admin pages are there for an owner', async () => {
  await page.goto(`${BASE}/?tab=members`);
  await page.getByRole('heading', { name: 'Members' }).waitFor({ timeout: T });
  await page.getByRole('cell', { name: 'mia@example.com' }).waitFor({ timeout: T });
  await shot(page, 'admin');
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('Key name').fill('backend');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.locator('pre.secret').innerText();
  assert(secret.startsWith('trail_'), 'the secret is shown once');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Retention (days)').waitFor({ timeout: T });
});

await check('the Event types page groups the catalogue, adopts an uncatalogued action and checks a schema before saving', async () => {
  await page.getByRole('link', { name: 'Event types' }).click();
  await page.getByRole('heading', { name: 'Event types' }).waitFor({ timeout: T });
  await page.getByRole('cell', { name: 'Role Changed', exact: true }).waitFor({ timeout: T });
  // The seed's `api_key.created` is not catalogued: adopting it moves it into the catalogue.
  await page.getByRole('button', { name: 'Adopt api_key.created' }).click();
  await page.getByRole('button', { name: 'Edit api_key.created' }).waitFor({ timeout: T });
  assert((await page.getByRole('button', { name: 'Adopt api_key.created' }).count()) === 0, 'adopted once');
  const error = page.locator('.form-error:not([hidden])');
  await page.getByLabel('Action', { exact: true }).fill('scan.finished');
  await page.getByLabel('Label', { exact: true }).fill('Scan Finished');
  await page.getByLabel('Metadata JSON Schema', { exact: true }).fill('{"type": ');
  await page.getByRole('button', { name: 'Save event type' }).click();
  await error.filter({ hasText: 'Metadata JSON Schema is not JSON' }).waitFor({ timeout: T });
  // Valid JSON, not a valid JSON Schema: the API's 400 is shown and nothing is saved.
  await page.getByLabel('Metadata JSON Schema', { exact: true }).fill('{"type": "no-such-type"}');
  await page.getByRole('button', { name: 'Save event type' }).click();
  await page.waitForFunction(() => {
    const e = document.querySelector('.form-error:not([hidden])');
    return e && !e.textContent.includes('is not JSON');
  }, null, { timeout: T });
  const refused = await error.innerText();
  assert(/schema/i.test(refused), `the refusal names the schema: ${refused}`);
  const missing = await fetch(`${BASE}/v1/event-types/scan.finished?organization_id=${ORG}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert(missing.status === 404, `nothing saved: ${missing.status}`);
  await page.getByLabel('Metadata JSON Schema', { exact: true }).fill('{"type": "object", "required": ["target"]}');
  await page.getByRole('button', { name: 'Save event type' }).click();
  await page.getByRole('cell', { name: 'Scan Finished', exact: true }).waitFor({ timeout: T });
  const saved = await api.get(`/v1/event-types/scan.finished?organization_id=${ORG}`);
  assert(saved.version === 1 && saved.metadata_schema.required[0] === 'target', JSON.stringify(saved));
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'event-types');
});

await check('the SIEM streams page adds a webhook (secret shown once), shows its health, tests, pauses and deletes it', async () => {
  await page.getByRole('link', { name: 'SIEM streams' }).click();
  await page.getByRole('heading', { name: 'SIEM streams' }).waitFor({ timeout: T });
  const error = page.locator('.form-error:not([hidden])');
  await page.getByLabel('Name', { exact: true }).fill('Security webhook');
  await page.getByLabel('Kind', { exact: true }).selectOption('webhook');
  // A scheme a webhook cannot use is refused: the API's answer names the field.
  await page.getByLabel('Destination URL', { exact: true }).fill('ftp://hooks.invalid/trail');
  await page.getByLabel('Filter', { exact: true }).fill('outcome:failure');
  await page.getByRole('button', { name: 'Add stream' }).click();
  await error.waitFor({ timeout: T });
  assert(/url|https/i.test(await error.innerText()), `refusal: ${await error.innerText()}`);
  await page.getByLabel('Destination URL', { exact: true }).fill('https://hooks.invalid/trail');
  await page.getByRole('button', { name: 'Add stream' }).click();
  const secret = await page.locator('pre.secret').innerText({ timeout: T });
  assert(secret.startsWith('whsec_'), `the generated secret is shown once: ${secret}`);
  await page.getByRole('cell', { name: /^Security webhook https:/ }).waitFor({ timeout: T });
  await page.getByRole('cell', { name: 'outcome:failure' }).waitFor({ timeout: T });
  // The destination cannot be resolved: the test delivery says so.
  await page.getByRole('button', { name: 'Send a test event to Security webhook' }).click();
  await error.filter({ hasText: 'not delivered' }).waitFor({ timeout: T });
  await page.getByRole('button', { name: 'Pause Security webhook' }).click();
  await page.locator('.state.paused').waitFor({ timeout: T });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'streams');
  const listed = await api.get(`/v1/streams?organization_id=${ORG}`);
  assert(listed.streams.length === 1 && listed.streams[0].health.state === 'paused' && !JSON.stringify(listed).includes(secret), 'paused, secret never returned');
  // The confirmation is the browser's own; answer it yes (the page-wide handler refuses dialogs).
  await page.evaluate(() => { window.confirm = () => true; });
  await page.getByRole('button', { name: 'Delete Security webhook' }).click();
  await page.getByText('No streams yet.').waitFor({ timeout: T });
});

await check('the SIEM streams page adds an S3 archive stream: both credentials required, the secret never shown', async () => {
  const error = page.locator('.form-error:not([hidden])');
  await page.getByLabel('Name', { exact: true }).fill('Archive');
  await page.getByLabel('Kind', { exact: true }).selectOption('object_store');
  await page.getByLabel('Destination URL', { exact: true }).fill('s3://acme-audit-archive/trail');
  await page.getByLabel('Region', { exact: true }).fill('eu-west-1');
  await page.getByLabel('Access key id', { exact: true }).fill('AKIATRAILTEST');
  await page.getByRole('button', { name: 'Add stream' }).click();
  await error.waitFor({ timeout: T });
  assert(/secret_access_key/.test(await error.innerText()), `refusal: ${await error.innerText()}`);
  await page.getByLabel('Secret access key', { exact: true }).fill('s3cr3t-access-value');
  await page.getByRole('button', { name: 'Add stream' }).click();
  await page.getByRole('cell', { name: /^Archive s3:/ }).waitFor({ timeout: T });
  const listed = await api.get(`/v1/streams?organization_id=${ORG}`);
  const archive = listed.streams[0];
  assert(listed.streams.length === 1 && archive.kind === 'object_store' && archive.settings.access_key_id === 'AKIATRAILTEST'
    && archive.settings.region === 'eu-west-1' && archive.secret_set && !JSON.stringify(listed).includes('s3cr3t-access-value'),
    `stored without its secret: ${JSON.stringify(listed)}`);
  await page.evaluate(() => { window.confirm = () => true; });
  await page.getByRole('button', { name: 'Delete Archive' }).click();
  await page.getByText('No streams yet.').waitFor({ timeout: T });
});

await check('a Member sees only their own events, counts and histogram, and no admin pages', async () => {
  const ctx2 = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await ctx2.newPage();
  await signIn(p, 'mia@example.com');
  const own = await apiCount({ q: 'actor.email:mia@example.com', from: '7d' });
  await waitCount(p, own);
  // The count and the rows arrive separately: wait for the rows too.
  await p.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  const actors = await p.locator('table.log-table tbody tr[data-id] .c-actor .value').allInnerTexts();
  assert(actors.length > 0 && actors.every((a) => a === 'Mia Chen'), `actors ${[...new Set(actors)]}`);
  assert((await p.getByRole('link', { name: 'Members' }).count()) === 0, 'no Members page');
  const total = await p.evaluate(async () => (await (await fetch('/v1/events/histogram?from=7d')).json()).total);
  assert(total === own, `histogram ${total} vs ${own}`);
  await ctx2.close();
});

await check('the embedded viewer shows what its token allows, in the host’s colours', async () => {
  const minted = await api.post('/v1/viewer-tokens', { organization_id: ORG, areas: ['member'], expires_in: 600, viewer: { id: 'u_1', name: 'Embedded Viewer' } });
  const ctx3 = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const p = await ctx3.newPage();
  await p.goto(`${BASE}/embed?token=${encodeURIComponent(minted.token)}&accent=d63384&lang=en`);
  await p.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  assert(!p.url().includes('token='), 'the token left the address bar');
  assert((await p.locator('header.topbar').count()) === 0, 'no navigation chrome');
  await waitCount(p, await apiCount({ q: 'area:member', from: '7d' }));
  const areas = await p.locator('.c-area .value').allInnerTexts();
  assert(areas.every((a) => a === 'member'), `areas ${[...new Set(areas)]}`);
  const accent = await p.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
  assert(accent === '#d63384', `accent ${accent}`);
  await shot(p, 'embed');
  await ctx3.close();
});

await check('an expired viewer token in a host page: a clear message and a message to the host', async () => {
  const minted = await api.post('/v1/viewer-tokens', { organization_id: ORG, expires_in: 1, viewer: { id: 'u_2', name: 'Late Viewer' } });
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const ctx5 = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const p = await ctx5.newPage();
  // A host page on the same origin (frame-ancestors 'self'), served by the test itself.
  await p.route(`${BASE}/host-page`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><title>Host</title><script>window.messages = []; addEventListener('message', (e) => messages.push(e.data));</script>
      <iframe title="Activity" width="900" height="600" src="/embed?token=${encodeURIComponent(minted.token)}"></iframe>`,
  }));
  const response = await p.request.get(`${BASE}/embed`);
  assert(!('x-frame-options' in response.headers()), `/embed sends X-Frame-Options ${response.headers()['x-frame-options']}`);
  await p.goto(`${BASE}/host-page`);
  const frame = p.frameLocator('iframe');
  await frame.getByRole('heading', { name: 'This view has expired' }).waitFor({ timeout: T });
  const text = await frame.locator('[role=alert]').innerText();
  assert(/expired/i.test(text), `message: ${text}`);
  await p.waitForFunction(() => window.messages.some((m) => m && m.type === 'trail:token-expired'), null, { timeout: T });
  await ctx5.close();
});

await check('390 px wide: readable, no sideways scrolling of the page', async () => {
  const ctx4 = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const p = await ctx4.newPage();
  await signIn(p, 'alice@example.com');
  await p.locator('table.log-table tbody tr[data-id]').first().waitFor({ timeout: T });
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 390, `page is ${width}px wide`);
  await shot(p, 'mobile');
  await ctx4.close();
});

await check('time to the first rows, against the search API’s own time (reported)', async () => {
  const { pageMs, apiMs } = await timeFirstRows(context, BASE, { waterfall: Boolean(process.env.TRAIL_WATERFALL) });
  assert(Number.isFinite(pageMs) && Number.isFinite(apiMs), 'timings were measured');
});

await check('sign out ends the session and is recorded', async () => {
  await page.goto(`${BASE}/`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: T });
  const me = await page.evaluate(async () => (await fetch('/v1/me')).status);
  assert(me === 401, `after sign-out /v1/me answers ${me}`);
  const log = await api.get(`/v1/events?organization_id=${ORG}&q=action:trail.session.*`);
  const actions = new Set(log.events.map((e) => e.action));
  for (const a of ['trail.session.created', 'trail.session.ended', 'trail.session.failed']) assert(actions.has(a), `${a} missing`);
});

await check('no script errors on any page', async () => {
  assert(pageErrors.length === 0, pageErrors.join('; '));
});

await browser.close();
const passed = results.filter(([, ok]) => ok).length;
const failed = results.length - passed;
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
