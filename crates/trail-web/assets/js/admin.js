// Administration pages, shown only to roles that allow them: members (invite, change role,
// deactivate), custom roles and their permissions, API keys (secret shown once, revoke, last
// used) and organization settings (retention, longest export window).

import { ApiError, del, get, patch, post } from './api.js';
import { announce, field, h, mount } from './dom.js';
import { absoluteTime, relativeTime } from './format.js';

const PERMISSIONS = ['events:read', 'events:read_own', 'events:export', 'streams:manage', 'members:manage', 'api_keys:manage', 'settings:manage', 'event_types:manage'];
const SCOPES = ['events:write', 'events:read', 'exports', 'admin'];

/** A relative time with the exact one on hover; `—` when there is none. */
export function when(millisOrIso) {
  if (!millisOrIso) return '—';
  return h('time', { datetime: millisOrIso, title: absoluteTime(millisOrIso), text: relativeTime(millisOrIso) });
}

/** The hidden line where a form's error is shown. */
export function errorLine() {
  return h('p', { class: 'form-error', role: 'alert', hidden: true });
}

/** Shows `error` (the API's message) in `line`. */
export function fail(line, error) {
  line.textContent = error instanceof ApiError ? error.message : String(error);
  line.hidden = false;
}

/** An administration table with a caption for screen readers. */
export function table(caption, columns, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'admin-table' },
    h('caption', { class: 'visually-hidden', text: caption }),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, rows)));
}

export function renderAdmin(ctx, container, tab) {
  const render = { members, roles, keys, settings }[tab];
  render(ctx, container);
}

async function members(ctx, container) {
  const [list, roleList] = await Promise.all([get('/v1/members'), get('/v1/roles')]);
  const roleOptions = (selected) => roleList.roles.map((r) => h('option', { value: r.id, text: r.name, selected: r.id === selected }));
  const error = errorLine();
  const rows = list.members.map((m) => {
    const role = h('select', { 'aria-label': `Role of ${m.email}` }, roleOptions(m.role));
    role.addEventListener('change', async () => {
      try {
        await patch(`/v1/members/${encodeURIComponent(m.id)}`, { role: role.value });
        announce(`${m.email} is now ${role.selectedOptions[0].textContent}.`);
      } catch (e) {
        fail(error, e);
        role.value = m.role;
      }
    });
    const active = !m.deactivated_at;
    return h('tr', {},
      h('td', { text: m.name }), h('td', { text: m.email }), h('td', {}, role),
      h('td', { text: active ? 'Active' : 'Deactivated' }),
      h('td', {}, h('button', { type: 'button', class: 'button ghost', text: active ? 'Deactivate' : 'Reactivate',
        onclick: async () => {
          try {
            await patch(`/v1/members/${encodeURIComponent(m.id)}`, { active: !active });
            members(ctx, container);
          } catch (e) {
            fail(error, e);
          }
        } })));
  });
  const email = h('input', { type: 'email', required: true });
  const name = h('input', { type: 'text', required: true });
  const role = h('select', {}, roleOptions('member'));
  const password = h('input', { type: 'password', autocomplete: 'new-password' });
  const form = h('form', { class: 'inline-form' },
    h('h2', { text: 'Invite a member' }),
    field('Email', email), field('Name', name), field('Role', role),
    field('Password', password, 'For a new account: 10 characters or more. Leave empty for an existing account.'),
    h('button', { type: 'submit', class: 'button primary', text: 'Invite' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/v1/members', { email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value || undefined });
      members(ctx, container);
    } catch (err) {
      fail(error, err);
    }
  });
  mount(container, h('div', { class: 'admin-page' }, h('h1', { class: 'page-title', text: 'Members' }), error,
    table('Members', ['Name', 'Email', 'Role', 'Status', ''], rows), form));
}

async function roles(ctx, container) {
  const list = await get('/v1/roles');
  const error = errorLine();
  const rows = list.roles.map((r) => h('tr', {},
    h('td', { text: r.name }), h('td', { text: r.built_in ? 'Built-in' : 'Custom' }),
    h('td', { text: r.permissions.join(', ') }),
    h('td', {}, r.built_in ? null : h('button', { type: 'button', class: 'button ghost', text: 'Delete', 'aria-label': `Delete role ${r.name}`,
      onclick: async () => {
        try {
          await del(`/v1/roles/${encodeURIComponent(r.id)}`);
          roles(ctx, container);
        } catch (e) {
          fail(error, e);
        }
      } }))));
  const name = h('input', { type: 'text', required: true, maxlength: '100' });
  const boxes = PERMISSIONS.map((p) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: p }), ` ${p}`));
  const form = h('form', { class: 'inline-form' },
    h('h2', { text: 'New custom role' }), field('Role name', name),
    h('fieldset', { class: 'checks' }, h('legend', { text: 'Permissions' }), boxes),
    h('button', { type: 'submit', class: 'button primary', text: 'Create role' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const permissions = [...form.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value);
    try {
      await post('/v1/roles', { name: name.value.trim(), permissions });
      roles(ctx, container);
    } catch (err) {
      fail(error, err);
    }
  });
  mount(container, h('div', { class: 'admin-page' }, h('h1', { class: 'page-title', text: 'Roles' }), error,
    table('Roles', ['Name', 'Kind', 'Permissions', ''], rows), form));
}

async function keys(ctx, container, created) {
  const list = await get('/v1/api-keys');
  const error = errorLine();
  const rows = list.api_keys.map((k) => h('tr', {},
    h('td', { text: k.name }), h('td', {}, h('code', { text: k.prefix })), h('td', { text: k.scopes.join(', ') }),
    h('td', {}, when(k.created_at)), h('td', {}, when(k.last_used_at)),
    h('td', { text: k.revoked_at ? 'Revoked' : k.expires_at && new Date(k.expires_at) < new Date() ? 'Expired' : 'Active' }),
    h('td', {}, k.revoked_at ? null : h('button', { type: 'button', class: 'button ghost', text: 'Revoke', 'aria-label': `Revoke key ${k.name}`,
      onclick: async () => {
        if (!window.confirm(`Revoke the key “${k.name}”? Clients using it stop working at once.`)) return;
        try {
          await del(`/v1/api-keys/${encodeURIComponent(k.id)}`);
          keys(ctx, container);
        } catch (e) {
          fail(error, e);
        }
      } }))));
  const name = h('input', { type: 'text', required: true });
  const boxes = SCOPES.map((s) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: s, checked: s === 'events:write' }), ` ${s}`));
  const form = h('form', { class: 'inline-form' },
    h('h2', { text: 'New API key' }), field('Key name', name),
    h('fieldset', { class: 'checks' }, h('legend', { text: 'Scopes' }), boxes),
    h('button', { type: 'submit', class: 'button primary', text: 'Create key' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const scopes = [...form.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value);
    try {
      const key = await post('/v1/api-keys', { name: name.value.trim(), scopes });
      keys(ctx, container, key);
    } catch (err) {
      fail(error, err);
    }
  });
  mount(container, h('div', { class: 'admin-page' }, h('h1', { class: 'page-title', text: 'API keys' }), error,
    created ? h('div', { class: 'notice success', role: 'alert' },
      h('p', { text: `The secret of “${created.name}” is shown only now. Copy it somewhere safe:` }),
      h('pre', { class: 'code secret', tabindex: '0', text: created.secret })) : null,
    table('API keys', ['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'Status', ''], rows), form));
}

async function settings(ctx, container) {
  const current = await get('/v1/settings');
  const error = errorLine();
  const done = h('p', { class: 'muted', role: 'status' });
  const retention = h('input', { type: 'number', min: '1', max: '36500', required: true, value: current.retention_days });
  const window = h('input', { type: 'number', min: '1', max: '36500', value: current.max_export_window_days ?? '' });
  const form = h('form', { class: 'inline-form' },
    field('Retention (days)', retention, 'Events older than this are removed; their hashes stay, so proofs keep working.'),
    field('Longest export window (days)', window, 'Empty: no limit. Exports spanning more days are refused with an explanation.'),
    h('button', { type: 'submit', class: 'button primary', text: 'Save settings' }), done);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    try {
      await patch('/v1/settings', { retention_days: Number(retention.value), max_export_window_days: window.value ? Number(window.value) : null });
      done.textContent = 'Saved.';
    } catch (err) {
      fail(error, err);
    }
  });
  mount(container, h('div', { class: 'admin-page' }, h('h1', { class: 'page-title', text: 'Settings' }), error, form));
}
