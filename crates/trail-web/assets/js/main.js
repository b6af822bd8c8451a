// Entry point: decides between the embedded viewer, the sign-in page and the app, and makes sure
// no failure ever leaves a blank page.

import { ApiError, get, onUnauthorized, setOrganization } from './api.js';
import { h, lazy, mount } from './dom.js';
import { startShell } from './shell.js';
import { setTimeSettings } from './format.js';
import { dropPrefetched, takePrefetched } from './boot.js';

// Not needed by a signed-in first view: loaded when used.
const signin = lazy(() => import('./signin.js'));
const embed = lazy(() => import('./embed.js'));

function main() {
  const el = document.getElementById('main');
  el.classList.remove('boot');
  return el;
}

/** A clear message in place of the page, with a way forward. */
export function showFatal(message, action) {
  mount(main(), h('section', { class: 'notice error', role: 'alert' },
    h('h1', { text: 'Something went wrong' }),
    h('p', { text: message }),
    action || h('button', { type: 'button', class: 'button', text: 'Reload', onclick: () => window.location.reload() })));
}

function reportUnexpected(error) {
  const message = error instanceof ApiError ? error.message : `An unexpected error stopped this part of the page (${error && error.message ? error.message : error}).`;
  const banner = h('div', { class: 'toast error', role: 'alert' }, message,
    h('button', { type: 'button', class: 'link', text: 'Dismiss', onclick: () => banner.remove() }));
  document.body.append(banner);
}

window.addEventListener('unhandledrejection', (event) => {
  if (event.reason && event.reason.name === 'AbortError') return;
  event.preventDefault();
  reportUnexpected(event.reason);
});
window.addEventListener('error', (event) => reportUnexpected(event.error || event.message));

/** The sign-in page; answers prefetched for a session that is gone are dropped first. */
function askToSignIn(message) {
  dropPrefetched();
  signin().then((m) => m.showSignIn(main(), { onSignedIn: startApp, message }));
}

async function startApp() {
  try {
    const prefs = JSON.parse(localStorage.getItem('trail.time') || '{}');
    setTimeSettings(prefs);
  } catch {
    /* preferences are optional */
  }
  let me;
  try {
    me = await (takePrefetched('me') || get('/v1/me'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      askToSignIn();
      return;
    }
    showFatal(error.message || String(error));
    return;
  }
  if (me.kind !== 'member') {
    askToSignIn('This page is for people signed in with their email and password.');
    return;
  }
  setOrganization(me.organization_id);
  onUnauthorized(() => askToSignIn('Your session has expired; sign in again.'));
  startShell(main(), me, { onSignedOut: () => askToSignIn('You are signed out.') });
}

if (document.body.dataset.mode === 'embed') {
  embed().then((m) => m.startEmbed(main())).catch((error) => showFatal(error.message || String(error)));
} else {
  startApp();
}
