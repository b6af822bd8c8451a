// Starts the page's first requests before the rest of the app has loaded: who is signed in
// (`/v1/me`) and, when the URL shows the Activity log, its first page of events and their count.
// The shell loads this module on its own, `async`, so these requests leave as soon as four small
// modules are parsed instead of after the whole app; the app then takes the answers with
// `takePrefetched` (once) or asks again if a prefetch does not fit or failed.

import { get } from './api.js';
import { composeQuery } from './query.js';
import { readState, timeBounds } from './url_state.js';

/** Events per page of the log. */
export const PAGE_SIZE = 50;

/** The search parameters of a view state (what search, count, histogram, stream and export share). */
export function searchParams(state) {
  const q = composeQuery(state);
  return { q: q || undefined, ...timeBounds(state) };
}

const early = new Map();

function prefetch(key, promise) {
  // Nobody may ever take it (the sign-in page, say): a failure must not surface as unhandled.
  promise.catch(() => {});
  early.set(key, promise);
}

/** The prefetched answer for `key`, at most once; `undefined` when there is none. */
export function takePrefetched(key) {
  const promise = early.get(key);
  early.delete(key);
  return promise;
}

/**
 * Forgets every prefetched answer not taken yet. Called once the first view has rendered and
 * whenever the sign-in page shows, so an answer fetched for one session can never serve another.
 */
export function dropPrefetched() {
  early.clear();
}

/** `fetcher()`, or the prefetched answer for `key` when there is one that succeeded. */
export function prefetchedOr(key, fetcher) {
  const promise = takePrefetched(key);
  return promise ? promise.catch(() => fetcher()) : fetcher();
}

/** The key of the first page and count of a view, for `prefetchedOr`. */
export function firstPageKey(kind, params) {
  return `${kind} ${JSON.stringify(params)}`;
}

// An async module may run before <body> is parsed; only the embed shell (which loads this through
// main.js, after parsing) marks its body.
if (!(document.body && document.body.dataset.mode === 'embed')) {
  prefetch('me', get('/v1/me'));
  // The search runs in the session's own organization; a URL naming another one waits for /v1/me.
  const { state } = readState();
  if (!state.org && (state.tab || 'log') === 'log') {
    const params = searchParams(state);
    prefetch(firstPageKey('page', params), get('/v1/events', { ...params, limit: PAGE_SIZE }));
    prefetch(firstPageKey('count', params), get('/v1/events/count', params));
  }
}
