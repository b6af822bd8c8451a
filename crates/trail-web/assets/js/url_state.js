// The whole view lives in the URL: a copied link opens the same filters, range, event and tab.
// A link that cannot be read is not fatal: its unreadable parts are dropped and named.

export const RANGES = [
  ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'],
  ['90d', 'Last 90 days'], ['custom', 'Custom'],
];
export const TABS = ['log', 'history', 'members', 'roles', 'keys', 'settings', 'event-types', 'streams'];
const TEXT_KEYS = ['q', 'action', 'area', 'user', 'source', 'outcome', 'event', 'org', 'view'];
export const DEFAULT_RANGE = '7d';

/** `{state, problems}` read from `search` (location.search). */
export function readState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const problems = [];
  const state = { range: DEFAULT_RANGE, tab: 'log' };
  for (const key of TEXT_KEYS) {
    const value = params.get(key);
    if (value !== null && value !== '') {
      if (value.length > 2000) problems.push(key);
      else state[key] = value;
    }
  }
  const range = params.get('range');
  if (range !== null) {
    if (RANGES.some(([r]) => r === range)) state.range = range;
    else problems.push('range');
  }
  for (const key of ['from', 'to']) {
    const value = params.get(key);
    if (value === null || value === '') continue;
    if (Number.isNaN(new Date(value).getTime())) problems.push(key);
    else state[key] = new Date(value).toISOString();
  }
  if (state.range === 'custom' && !state.from && !state.to) {
    state.range = DEFAULT_RANGE;
    if (params.has('range')) problems.push('from');
  }
  if (state.from && state.to && state.from >= state.to) {
    problems.push('to');
    delete state.to;
  }
  const tab = params.get('tab');
  if (tab !== null) {
    if (TABS.includes(tab)) state.tab = tab;
    else problems.push('tab');
  }
  if (state.outcome && !['success', 'failure'].includes(state.outcome)) {
    problems.push('outcome');
    delete state.outcome;
  }
  return { state, problems };
}

/** The URL query for `state` (defaults left out). */
export function writeState(state) {
  const params = new URLSearchParams();
  for (const key of TEXT_KEYS) if (state[key]) params.set(key, state[key]);
  if (state.range && state.range !== DEFAULT_RANGE) params.set('range', state.range);
  if (state.range === 'custom') {
    if (state.from) params.set('from', state.from);
    if (state.to) params.set('to', state.to);
  }
  if (state.tab && state.tab !== 'log') params.set('tab', state.tab);
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/** The API's `from`/`to` for the state's range. */
export function timeBounds(state) {
  if (state.range === 'custom') return { from: state.from, to: state.to };
  return { from: state.range, to: undefined };
}

/** The range as milliseconds `[from, to]` (for the histogram and zooming). */
export function rangeMillis(state, now = Date.now()) {
  if (state.range === 'custom') {
    const from = state.from ? new Date(state.from).getTime() : now - 30 * 864e5;
    return [from, state.to ? new Date(state.to).getTime() : now];
  }
  const amount = parseInt(state.range, 10);
  const unit = { h: 3600e3, d: 864e5 }[state.range.slice(-1)];
  return [now - amount * unit, now];
}
