// The unmodified @retracedhq/retraced client against a Trail server. Run by
// `cargo test -p trail-cli --test compat_clients` with TRAIL_URL, RETRACED_KEY (an organization's
// Trail API key), PROJECT_ID (that organization's id) and OTHER_PROJECT_ID in the environment.
// Prints one line per check and `N passed, 0 failed`.

import retraced from '@retracedhq/retraced';

const { Client } = retraced;
const URL_BASE = process.env.TRAIL_URL;
const PROJECT = process.env.PROJECT_ID;
const KEY = process.env.RETRACED_KEY;
const client = new Client({ projectId: PROJECT, apiKey: KEY, endpoint: URL_BASE, component: 'billing', version: '1.2.3' });
// The client's default endpoint style: a path ending in /auditlog.
const prefixed = new Client({ projectId: PROJECT, apiKey: KEY, endpoint: `${URL_BASE}/auditlog` });

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name}\n${err && err.stack ? err.stack : err}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
async function status(promise) {
  try {
    await promise;
  } catch (err) {
    const match = /Unexpected HTTP response: (\d+)/.exec(err.message);
    assert(match, err.message);
    return Number(match[1]);
  }
  throw new Error('no error');
}

const mask = {
  id: true, action: true, description: true, crud: true, is_failure: true, is_anonymous: true,
  created: true, received: true, canonical_time: true, component: true, version: true, external_id: true,
  group: { id: true, name: true },
  actor: { id: true, name: true, href: true, fields: true },
  target: { id: true, name: true, href: true, type: true, fields: true },
  fields: true, metadata: true, source_ip: true, display: { markdown: true },
};

await check('reportEvent answers an id whose hash the client accepts', async () => {
  const id = await client.reportEvent({
    action: 'invoice.sent',
    crud: 'c',
    group: { id: PROJECT, name: 'Acme' },
    created: new Date(Date.now() - 60_000),
    actor: { id: 'rt_alice', name: 'Alice', href: 'https://app.example/users/alice', fields: { dept: 'finance' } },
    target: { id: 'inv:7', name: 'Invoice 7', type: 'invoice', fields: { total: '120' } },
    source_ip: '192.0.2.10',
    description: 'Alice sent invoice 7',
    is_failure: false,
    fields: { 'b=key': 'x;y', a: '50%' },
    external_id: 'ext:1',
    metadata: { k: 'v' },
  });
  assert(typeof id === 'string' && id.length > 0, id);
});

await check('an anonymous event with empty fields and metadata hashes too', async () => {
  const id = await prefixed.reportEvent({ action: 'page.read', crud: 'r', is_anonymous: true, fields: {}, metadata: {} });
  assert(typeof id === 'string', id);
});

await check('reportEvents answers the ids in order', async () => {
  const events = [1, 2, 3, 4, 5].map((i) => ({
    action: 'page.viewed',
    crud: 'r',
    created: new Date(Date.now() - 50_000 + i * 1000),
    actor: { id: 'rt_bob', name: 'Bob' },
    target: { id: `page_${i}`, type: 'page' },
    fields: { n: String(i) },
  }));
  const ids = await client.reportEvents(events);
  assert(Array.isArray(ids) && ids.length === 5 && new Set(ids).size === 5, JSON.stringify(ids));
});

await check('bad events are refused with 400 and nothing stored', async () => {
  for (const bad of [
    { crud: 'c', actor: { id: 'rt_bad' } },
    { action: 'x.y', crud: 'z', actor: { id: 'rt_bad' } },
    { action: 'x.y', crud: 'c' },
    { action: 'x.y', crud: 'c', actor: { id: 'rt_bad' }, fields: { n: 1 } },
    { action: 'x.y', crud: 'c', actor: { id: 'rt_bad' }, source_ip: 'not-an-ip' },
  ]) {
    assert((await status(client.reportEvent(bad))) === 400, JSON.stringify(bad));
  }
  const good = { action: 'x.y', crud: 'c', actor: { id: 'rt_bad' } };
  assert((await status(client.reportEvents([good, { ...good, crud: 'q' }]))) === 400, 'one bad event refuses the bulk');
  const oversized = Array.from({ length: 1001 }, () => good);
  assert((await status(client.reportEvents(oversized))) === 400, 'oversized bulk');
});

await check('a project id linked with `trail orgs link` names the organization', async () => {
  const linked = new Client({ projectId: process.env.LINKED_PROJECT_ID, apiKey: KEY, endpoint: URL_BASE });
  await linked.reportEvent({ action: 'invoice.sent', crud: 'c', actor: { id: 'rt_linked' } });
});

await check('a wrong key or another project is a 401', async () => {
  const wrong = new Client({ projectId: PROJECT, apiKey: 'trail_sk_wrong', endpoint: URL_BASE });
  assert((await status(wrong.reportEvent({ action: 'a.b', crud: 'c', actor: { id: 'rt_bad' } }))) === 401, 'wrong key');
  const other = new Client({ projectId: process.env.OTHER_PROJECT_ID, apiKey: KEY, endpoint: URL_BASE });
  assert((await status(other.reportEvent({ action: 'a.b', crud: 'c', actor: { id: 'rt_bad' } }))) === 401, 'other project');
});

await check('query pages through the results with the right totals and fields', async () => {
  const conn = await client.query({ action: 'page.viewed' }, mask, 2);
  assert(conn.totalCount === 5, `totalCount ${conn.totalCount}`);
  assert(conn.totalPages() === 3, `pages ${conn.totalPages()}`);
  const seen = [...conn.currentResults];
  while (conn.hasNextPage()) {
    await conn.nextPage();
    seen.push(...conn.currentResults);
  }
  assert(seen.length === 5, `saw ${seen.length}`);
  const numbers = seen.map((e) => e.fields.n);
  assert(JSON.stringify(numbers) === JSON.stringify(['5', '4', '3', '2', '1']), `newest first: ${numbers}`);
  assert(seen[0].actor.id === 'rt_bob' && seen[0].target.type === 'page', JSON.stringify(seen[0]));
  assert(seen[0].crud === 'r', seen[0].crud);
  assert(seen[0].canonical_time instanceof Date && !Number.isNaN(seen[0].canonical_time.getTime()), 'canonical_time');
});

await check('query filters on crud, actor and dates, and shows every selected field', async () => {
  const conn = await client.query({ crud: 'c', actor_id: 'rt_alice' }, mask, 10);
  assert(conn.totalCount === 1, `totalCount ${conn.totalCount}`);
  const [event] = conn.currentResults;
  assert(event.action === 'invoice.sent', event.action);
  assert(event.actor.fields.dept === 'finance', JSON.stringify(event.actor));
  assert(event.target.fields.total === '120', JSON.stringify(event.target));
  assert(event.fields.a === '50%', JSON.stringify(event.fields));
  assert(event.group.id === PROJECT, JSON.stringify(event.group));
  assert(event.component === 'billing' && event.version === '1.2.3', `${event.component} ${event.version}`);
  assert(event.external_id === 'ext:1', event.external_id);
  const future = await client.query({ received_start: new Date(Date.now() + 3_600_000) }, mask, 10);
  assert(future.totalCount === 0, `future ${future.totalCount}`);
  const named = await client.query({ actor_name: 'Bob', created_end: new Date(Date.now() + 60_000) }, mask, 10);
  assert(named.totalCount === 5, `named ${named.totalCount}`);
});

await check('getViewerToken opens the embedded Activity Logs page', async () => {
  const token = await client.getViewerToken(PROJECT, 'viewer_1', true);
  assert(token.startsWith('trail_vt_'), token);
  const page = await fetch(`${URL_BASE}/embed?token=${encodeURIComponent(token)}`);
  assert(page.ok && (await page.text()).includes('<html'), `embed ${page.status}`);
  const events = await fetch(`${URL_BASE}/v1/events?q=source:retraced`, { headers: { Authorization: `Bearer ${token}` } });
  assert(events.ok, `events ${events.status}`);
  assert((await events.json()).events.length > 0, 'the viewer sees the events');
  assert((await status(client.getViewerToken('some_group', 'viewer_1', false))) === 403, 'a group inside the project');
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
