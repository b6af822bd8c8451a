// The signed-in frame: header with the organization switcher and sign-out, navigation (only the
// pages the member's role allows), and the current page. The view state lives in the URL.

import { get, post, setOrganization } from './api.js';
import { h, lazy, mount } from './dom.js';
import { readState, writeState } from './url_state.js';
import { renderLog } from './log_view.js';

const PAGES = [
  ['log', 'Activity log', null],
  ['history', 'Export History', 'events:export'],
  ['members', 'Members', 'members:manage'],
  ['roles', 'Roles', 'members:manage'],
  ['keys', 'API keys', 'api_keys:manage'],
  ['settings', 'Settings', 'settings:manage'],
  ['event-types', 'Event types', 'event_types:manage'],
  ['streams', 'SIEM streams', 'streams:manage'],
];

/** Pages loaded only when opened, so that the Activity log's first load does not wait for them. */
const admin = lazy(() => import('./admin.js'));
const LAZY = {
  history: () => import('./export.js').then((m) => m.renderHistory),
  members: () => admin().then((m) => (ctx, page) => m.renderAdmin(ctx, page, 'members')),
  roles: () => admin().then((m) => (ctx, page) => m.renderAdmin(ctx, page, 'roles')),
  keys: () => admin().then((m) => (ctx, page) => m.renderAdmin(ctx, page, 'keys')),
  settings: () => admin().then((m) => (ctx, page) => m.renderAdmin(ctx, page, 'settings')),
  'event-types': () => import('./event_types_page.js').then((m) => m.renderEventTypes),
  streams: () => import('./streams_page.js').then((m) => m.renderStreams),
};

/** The context every page gets: who is signed in, the view state and how to change it. */
export function createContext(me, { embed = false } = {}) {
  const { state, problems } = readState();
  const ctx = {
    me,
    embed,
    state,
    problems,
    permissions: new Set(me.permissions || []),
    listeners: new Set(),
    can(permission) {
      return this.permissions.has(permission);
    },
    /** Merges `patch` into the state, updates the URL, and tells the listeners. */
    update(patch, { push = true } = {}) {
      Object.assign(this.state, patch);
      for (const [key, value] of Object.entries(patch)) if (value === undefined || value === '') delete this.state[key];
      const next = `${window.location.pathname}${writeState(this.state)}`;
      if (next !== `${window.location.pathname}${window.location.search}`) {
        if (push) window.history.pushState(null, '', next);
        else window.history.replaceState(null, '', next);
      }
      this.listeners.forEach((l) => l(this.state, patch));
    },
  };
  if (embed) {
    ctx.permissions = new Set(me.export ? ['events:read', 'events:export'] : ['events:read']);
  }
  return ctx;
}

export function startShell(container, me, { onSignedOut }) {
  if (!me.organization_id && me.organizations && me.organizations.length) setOrganization(me.organizations[0].id);
  const ctx = createContext(me);
  if (ctx.state.org && ctx.state.org !== me.organization_id && me.organizations.some((o) => o.id === ctx.state.org)) {
    switchOrganization(ctx.state.org);
    return;
  }
  const orgSelect = h('select', { 'aria-label': 'Organization', class: 'org-switcher' },
    me.organizations.map((o) => h('option', { value: o.id, text: o.name || o.id, selected: o.id === me.organization_id })));
  orgSelect.addEventListener('change', () => switchOrganization(orgSelect.value));

  async function switchOrganization(id) {
    setOrganization(id);
    const next = await get('/v1/me', { organization_id: id });
    const url = new URL(window.location.href);
    url.search = writeState({ range: ctx.state.range, tab: 'log', org: id });
    window.history.pushState(null, '', url);
    startShell(container, next, { onSignedOut });
  }

  const signOut = h('button', { type: 'button', class: 'button ghost', text: 'Sign out' });
  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    try {
      await post('/v1/auth/logout');
    } finally {
      onSignedOut();
    }
  });

  const nav = h('nav', { 'aria-label': 'Pages', class: 'nav' });
  const page = h('div', { class: 'page' });
  const orgName = me.organizations.find((o) => o.id === me.organization_id);
  const header = h('header', { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Trail'),
    me.organizations.length > 1 ? orgSelect : h('span', { class: 'org-name', text: orgName ? orgName.name : '' }),
    nav,
    h('div', { class: 'who' },
      h('span', { class: 'who-name', text: me.user.name || me.user.email }),
      h('span', { class: 'muted small', text: me.role_name || '' })),
    signOut);
  mount(container, header, page);

  function renderNav() {
    mount(nav, h('ul', {},
      PAGES.filter(([, , permission]) => !permission || ctx.can(permission)).map(([tab, label]) =>
        h('li', {}, h('a', {
          href: writeState({ ...ctx.state, tab, event: undefined }) || '?',
          'aria-current': ctx.state.tab === tab ? 'page' : null,
          text: label,
          onclick: (event) => {
            event.preventDefault();
            ctx.update({ tab, event: undefined });
          },
        })))));
  }

  let shownTab = null;
  function renderPage() {
    renderNav();
    if (shownTab === ctx.state.tab) return;
    shownTab = ctx.state.tab;
    ctx.listeners.clear();
    ctx.listeners.add(() => {
      if (shownTab !== ctx.state.tab) renderPage();
    });
    const allowed = PAGES.find(([tab]) => tab === ctx.state.tab);
    if (!allowed || (allowed[2] && !ctx.can(allowed[2]))) {
      mount(page, h('section', { class: 'notice', role: 'alert' },
        h('h1', { text: 'Not available' }),
        h('p', { text: 'Your role does not include this page. Ask an administrator of the organization for access.' })));
      return;
    }
    if (ctx.state.tab === 'log') {
      renderLog(ctx, page);
      return;
    }
    const tab = ctx.state.tab;
    LAZY[tab]().then((render) => {
      if (shownTab === tab) return render(ctx, page);
      return null;
    });
  }
  window.onpopstate = () => {
    const { state } = readState();
    ctx.state = state;
    shownTab = null;
    renderPage();
  };
  renderPage();
}
