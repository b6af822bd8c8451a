// The embedded viewer (`/embed?token=…`): no navigation chrome, scoped as the viewer token says,
// colours and language from query parameters, and a postMessage hook so the host page can hand
// over a fresh token before the current one expires (docs/embedding.md).

import { ApiError, get, onUnauthorized, useViewerToken } from './api.js';
import { h, mount } from './dom.js';
import { setLanguage, t } from './i18n.js';
import { createContext } from './shell.js';
import { renderLog } from './log_view.js';
import { renderHistory } from './export.js';

const COLOUR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;
const THEME = { accent: '--accent', bg: '--bg', fg: '--fg', surface: '--surface' };
const REFRESH_BEFORE_MS = 60_000;

function applyTheme(params) {
  const root = document.documentElement;
  for (const [param, variable] of Object.entries(THEME)) {
    const value = params.get(param);
    if (value && COLOUR.test(value)) root.style.setProperty(variable, value.startsWith('#') ? value : `#${value}`);
  }
  const scheme = params.get('theme');
  if (scheme === 'light' || scheme === 'dark') root.dataset.theme = scheme;
}

function expiredMessage(container, text) {
  mount(container, h('section', { class: 'notice error', role: 'alert' },
    h('h1', { text: 'This view has expired' }),
    h('p', { text }),
    h('p', { class: 'muted', text: 'Reload the page that contains this activity log to continue.' })));
}

export async function startEmbed(container) {
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token');
  setLanguage(params.get('lang') || 'en');
  applyTheme(params);
  const parentOrigin = params.get('parent_origin') || '*';
  if (!token) {
    expiredMessage(container, 'No viewer token was given: the host page must open /embed?token=… with a token from POST /v1/viewer-tokens.');
    return;
  }
  // The token leaves the address bar (and so any Referer or history entry) at once.
  params.delete('token');
  window.history.replaceState(null, '', `${window.location.pathname}${params.toString() ? `?${params}` : ''}`);
  useViewerToken(token);

  const notifyParent = (message) => {
    if (window.parent !== window) window.parent.postMessage(message, parentOrigin);
  };
  onUnauthorized((error) => {
    notifyParent({ type: 'trail:token-expired' });
    expiredMessage(container, error.message);
  });

  let me;
  try {
    me = await get('/v1/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    throw error;
  }

  let timer = null;
  function schedule(expiresAt) {
    clearTimeout(timer);
    const wait = Math.max(0, new Date(expiresAt).getTime() - Date.now() - REFRESH_BEFORE_MS);
    timer = setTimeout(() => notifyParent({ type: 'trail:token-expiring', expires_at: expiresAt }), wait);
  }
  window.addEventListener('message', async (event) => {
    if (event.source !== window.parent) return;
    if (parentOrigin !== '*' && event.origin !== parentOrigin) return;
    const data = event.data || {};
    if (data.type !== 'trail:token' || typeof data.token !== 'string' || !data.token.startsWith('trail_vt_')) return;
    useViewerToken(data.token);
    try {
      const next = await get('/v1/me');
      schedule(next.expires_at);
      notifyParent({ type: 'trail:token-accepted', expires_at: next.expires_at });
    } catch {
      /* onUnauthorized already said so */
    }
  });
  schedule(me.expires_at);
  notifyParent({ type: 'trail:ready', expires_at: me.expires_at });

  const ctx = createContext({ ...me, organizations: [], permissions: [] }, { embed: true });
  const page = h('div', { class: 'page' });
  const tabs = me.export
    ? h('nav', { class: 'embed-tabs', 'aria-label': 'Pages' },
      h('button', { type: 'button', text: t('Activity log'), onclick: () => ctx.update({ tab: 'log' }) }),
      h('button', { type: 'button', text: t('Export History'), onclick: () => ctx.update({ tab: 'history' }) }))
    : null;
  mount(container, tabs, page);
  let shown = null;
  function render() {
    const tab = ctx.state.tab === 'history' && me.export ? 'history' : 'log';
    if (tab === shown) return;
    shown = tab;
    ctx.listeners.clear();
    ctx.listeners.add(render);
    if (tab === 'history') renderHistory(ctx, page);
    else renderLog(ctx, page);
  }
  render();
}
