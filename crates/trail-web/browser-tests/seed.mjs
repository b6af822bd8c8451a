// Seeds a running Trail through its public API: two organizations, an owner who belongs to both,
// a Member, and events spread over six days, including XSS payloads and a large `scan` area.

export const PASSWORD = 'correct horse battery staple';
export const XSS_NAME = '<script>window.__xss = 1</script>';
export const XSS_RESOURCE = '"><img src=x onerror="window.__xss=2">';

export function client(base, token) {
  async function call(method, path, body) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return json;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    patch: (path, body) => call('PATCH', path, body),
    put: (path, body) => call('PUT', path, body),
  };
}

const ACTORS = [
  { id: 'alice@example.com', name: 'Alice Kim', email: 'alice@example.com', role: 'Owner' },
  { id: 'bob@example.com', name: 'Bob Ray', email: 'bob@example.com', role: 'Developer' },
  { id: 'mia@example.com', name: 'Mia Chen', email: 'mia@example.com', role: 'Member' },
];
const KINDS = [
  ['member.invited', 'web_ui'], ['member.role_changed', 'web_ui'], ['api_key.created', 'api'],
  ['user.login', 'web_ui'], ['integration.updated', 'background_task'],
];
const PLACES = [{ country: 'DE', city: 'Berlin' }, { country: 'US', city: 'Boston' }, { country: 'JP', city: 'Tokyo' }];

export async function seed(api) {
  const acme = await api.post('/v1/organizations', { name: 'Acme' });
  const globex = await api.post('/v1/organizations', { name: 'Globex' });
  await api.post('/v1/members', { organization_id: acme.id, email: 'alice@example.com', name: 'Alice Kim', role: 'owner', password: PASSWORD });
  await api.post('/v1/members', { organization_id: globex.id, email: 'alice@example.com', name: 'Alice Kim', role: 'owner' });
  await api.post('/v1/members', { organization_id: acme.id, email: 'mia@example.com', name: 'Mia Chen', role: 'member', password: PASSWORD });
  // Two catalogued actions in the `members` area; the rest stay uncatalogued.
  await api.put('/v1/event-types/member.role_changed', { organization_id: acme.id, area: 'members', label: 'Role Changed',
    template: '{{ actor.name }} changed {{ resource.name }}\'s role from {{ changes.role.old }} to {{ changes.role.new }}' });
  await api.put('/v1/event-types/member.invited', { organization_id: acme.id, area: 'members', label: 'Invited' });
  const now = Date.now();
  const events = [];
  for (let i = 0; i < 150; i += 1) {
    const [action, source] = KINDS[i % KINDS.length];
    const actor = ACTORS[i % ACTORS.length];
    events.push({
      action,
      source,
      outcome: i % 11 === 0 ? 'failure' : 'success',
      occurred_at: new Date(now - (i * 53 * 60 * 1000) - 60_000).toISOString(),
      actor,
      resource: { type: 'member', id: `usr_${i % 7}`, name: `Person ${i % 7}` },
      context: { ip: `203.0.113.${i % 200}`, user_agent: 'Mozilla/5.0 (Seed)', location: PLACES[i % PLACES.length] },
      changes: action === 'member.role_changed' ? [{ field: 'role', old: 'Developer', new: 'Admin' }] : undefined,
      description: `${actor.name} did ${action}`,
    });
  }
  events.push({
    action: 'member.renamed', source: 'web_ui', occurred_at: new Date(now - 30_000).toISOString(),
    actor: { id: 'eve@example.com', name: XSS_NAME, email: 'eve@example.com' },
    resource: { type: 'member', id: 'usr_x', name: XSS_RESOURCE },
    description: XSS_RESOURCE,
  });
  await api.post(`/v1/events?organization_id=${acme.id}`, events);
  // A large area for paging and export jobs: 1,100 scans.
  const scans = [];
  for (let i = 0; i < 1100; i += 1) {
    scans.push({ action: i % 2 ? 'scan.started' : 'scan.finished', area: 'scan', source: 'background_task',
      occurred_at: new Date(now - i * 7 * 60 * 1000 - 120_000).toISOString(),
      actor: { id: 'scanner', type: 'service', name: 'Scanner' }, resource: { type: 'target', id: `tgt_${i % 20}`, name: `target-${i % 20}.example` } });
  }
  await api.post(`/v1/events?organization_id=${acme.id}`, scans.slice(0, 1000));
  await api.post(`/v1/events?organization_id=${acme.id}`, scans.slice(1000));
  await api.post(`/v1/events?organization_id=${globex.id}`, [{ action: 'globex.only', actor: { id: 'g1', name: 'Gina' } }]);
  return { acme, globex };
}
