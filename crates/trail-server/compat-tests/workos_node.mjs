// The unmodified @workos-inc/node client against a Trail server. Run by
// `cargo test -p trail-cli --test compat_clients` with TRAIL_URL, WORKOS_KEY, LIMITED_KEY, ORG_ID
// and OTHER_ORG_ID in the environment. Prints one line per check and `N passed, 0 failed`.

import {
  BadRequestException,
  NotFoundException,
  RateLimitExceededException,
  UnauthorizedException,
  UnprocessableEntityException,
  WorkOS,
} from '@workos-inc/node';

const url = new URL(process.env.TRAIL_URL);
const ORG = process.env.ORG_ID;
const OTHER_ORG = process.env.OTHER_ORG_ID;
const connect = (key) =>
  new WorkOS(key, { apiHostname: url.hostname, port: Number(url.port), https: false });
const workos = connect(process.env.WORKOS_KEY);

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
async function rejects(promise, Exception, inspect = () => {}) {
  try {
    await promise;
  } catch (err) {
    // The client exports most exception classes; ConflictException only by name.
    const ok = typeof Exception === 'string' ? err && err.name === Exception : err instanceof Exception;
    assert(ok, `${err && err.name} is not ${Exception.name || Exception}: ${err && err.message}`);
    inspect(err);
    return;
  }
  throw new Error(`no ${Exception.name || Exception}`);
}

const now = Date.now();
const event = (overrides = {}) => ({
  action: 'invoice.paid',
  occurredAt: new Date(now - 60_000),
  version: 1,
  actor: { id: 'node_user', type: 'user', name: 'Node User', metadata: { tier: 'gold' } },
  targets: [{ id: 'inv_1', type: 'invoice', name: 'Invoice 1' }],
  context: { location: '198.51.100.4', userAgent: 'Node test' },
  metadata: { amount: 120, currency: 'EUR' },
  ...overrides,
});

await check('createEvent sends one event', async () => {
  await workos.auditLogs.createEvent(ORG, event());
});

await check('createEvent retried with its idempotencyKey stores it once', async () => {
  const options = { idempotencyKey: `node-${now}` };
  const ev = event({ action: 'invoice.refunded', actor: { id: 'node_idem', type: 'user' } });
  await workos.auditLogs.createEvent(ORG, ev, options);
  await workos.auditLogs.createEvent(ORG, ev, options);
  await rejects(
    workos.auditLogs.createEvent(ORG, event({ action: 'invoice.voided', actor: { id: 'node_idem', type: 'user' } }), options),
    'ConflictException',
  );
});

await check('an event without an action is a BadRequestException', async () => {
  await rejects(
    workos.auditLogs.createEvent(ORG, event({ action: undefined, actor: { id: 'node_bad', type: 'user' } })),
    BadRequestException,
    (err) => {
      assert(err.code === 'invalid_audit_log', err.code);
      assert(err.errors.some((e) => e.field === 'event.action'), JSON.stringify(err.errors));
    },
  );
});

await check('another organization is a NotFoundException', async () => {
  await rejects(workos.auditLogs.createEvent(OTHER_ORG, event({ actor: { id: 'node_other', type: 'user' } })), NotFoundException);
});

await check('a wrong key is an UnauthorizedException', async () => {
  await rejects(connect('trail_sk_wrong').auditLogs.createEvent(ORG, event({ actor: { id: 'node_badkey', type: 'user' } })), UnauthorizedException);
});

await check('too many events is a RateLimitExceededException with retryAfter', async () => {
  const limited = connect(process.env.LIMITED_KEY);
  for (let i = 0; i < 500; i += 1) {
    try {
      await limited.auditLogs.createEvent(ORG, event({ action: 'rate.probe', actor: { id: `node_rate_${i}`, type: 'user' } }));
    } catch (err) {
      assert(err instanceof RateLimitExceededException, `${err.name}: ${err.message}`);
      assert(Number(err.retryAfter) >= 1, `retryAfter ${err.retryAfter}`);
      return;
    }
  }
  throw new Error('never rate limited');
});

await check('createSchema versions like WorkOS and echoes the metadata types', async () => {
  const schema = {
    action: 'invoice.paid',
    actor: { metadata: { tier: 'string' } },
    targets: [{ type: 'invoice', metadata: { total: 'number' } }],
  };
  const first = await workos.auditLogs.createSchema(schema);
  assert(first.version === 1, `version ${first.version}`);
  assert(first.actor.metadata.tier === 'string', JSON.stringify(first.actor));
  assert(first.targets[0].metadata.total === 'number', JSON.stringify(first.targets));
  const same = await workos.auditLogs.createSchema(schema);
  assert(same.version === 1, `version ${same.version}`);
  const second = await workos.auditLogs.createSchema({ ...schema, metadata: { amount: 'number' } });
  assert(second.version === 2, `version ${second.version}`);
  assert(second.metadata.amount === 'number', JSON.stringify(second.metadata));
  assert(typeof second.createdAt === 'string', second.createdAt);
});

await check('a schema target without a type is an UnprocessableEntityException', async () => {
  await rejects(workos.auditLogs.createSchema({ action: 'bad.schema', targets: [{ type: '' }] }), UnprocessableEntityException);
});

await check('createExport, getExport until ready, and a plain GET of its url', async () => {
  let exported = await workos.auditLogs.createExport({
    organizationId: ORG,
    rangeStart: new Date(now - 3_600_000),
    rangeEnd: new Date(now + 3_600_000),
    actions: ['invoice.paid', 'invoice.refunded'],
    targets: ['invoice'],
  });
  assert(exported.state === 'pending', exported.state);
  const deadline = Date.now() + 60_000;
  while (exported.state === 'pending' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    exported = await workos.auditLogs.getExport(exported.id);
  }
  assert(exported.state === 'ready', exported.state);
  const response = await fetch(exported.url);
  assert(response.ok, `GET ${exported.url}: ${response.status}`);
  const rows = (await response.text()).trim().split('\n').slice(1);
  assert(rows.length === 2, rows.join('\n'));
});

await check('getExport of an unknown export is a NotFoundException', async () => {
  await rejects(workos.auditLogs.getExport('exp_unknown'), NotFoundException);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
