// The Activity log page: toolbar, histogram, count, the table with keyset paging, the detail
// panel, live mode and export. Every change of filters re-reads count, histogram and the first page.

import { ApiError, get } from './api.js';
import { announce, h, lazy, mount } from './dom.js';
import { t } from './i18n.js';
import { RANGES } from './url_state.js';
import { PAGE_SIZE, dropPrefetched, firstPageKey, prefetchedOr, searchParams } from './boot.js';
import { number } from './format.js';
import { createToolbar } from './toolbar.js';
import { createTable } from './table.js';
import { createHistogram } from './histogram.js';
import { createLive } from './live.js';
import { createViewsBar } from './views.js';
import { createDisplayControl } from './display.js';

// The detail panel (with the proof checker) and the export dialog load when first opened.
const detail = lazy(() => import('./detail.js'));
const exportDialog = lazy(() => import('./export.js'));

export function renderLog(ctx, container) {
  let cursor = null;
  let loading = null;
  let generation = 0;

  const countText = h('span', { class: 'count', 'aria-live': 'polite' });
  const live = createLive(ctx, {
    onEvents: (events) => table.prepend(events),
  });
  const exportButton = ctx.can('events:export')
    ? h('button', { type: 'button', class: 'button', text: t('Export'), onclick: () => exportDialog().then((m) => m.openExportDialog(ctx, searchParams(ctx.state))) })
    : null;
  const notices = h('div', { class: 'notices' });
  const linkProblems = h('div', { class: 'notices' });
  const toolbar = createToolbar(ctx);
  const histogram = createHistogram(ctx);
  const table = createTable(ctx, {
    onOpen: (event) => ctx.update({ event: event.id }),
    onFilter: (patch) => addFilter(ctx, patch),
  });
  const more = h('button', { type: 'button', class: 'button', text: t('Load more'), hidden: true });
  const end = h('p', { class: 'muted end-of-results', hidden: true, text: 'End of results.' });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  more.addEventListener('click', () => loadPage());
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && cursor && !loading && !ctx.embed) loadPage();
  });
  observer.observe(sentinel);

  const summary = h('div', { class: 'summary' },
    countText,
    h('div', { class: 'actions' }, createDisplayControl(() => table.redrawDates()), live.toggle, live.pause, live.status, exportButton));

  mount(container,
    h('div', { class: 'log-page' },
      h('h1', { class: 'page-title', text: ctx.embed ? t('Activity log') : 'Activity Logs' }),
      ctx.embed ? null : createViewsBar(ctx),
      toolbar.el,
      linkProblems,
      notices,
      histogram.el,
      summary,
      live.marker,
      table.el,
      h('div', { class: 'paging' }, more, end, sentinel)));

  if (ctx.problems.length) {
    linkProblems.append(h('p', { class: 'notice warn', role: 'alert' },
      `Part of this link could not be read (${ctx.problems.join(', ')}) and was ignored; showing the rest of the view.`));
    ctx.problems = [];
  }

  async function loadPage() {
    if (loading) return loading;
    const mine = generation;
    more.disabled = true;
    loading = (async () => {
      try {
        const params = searchParams(ctx.state);
        const fetchPage = () => get('/v1/events', { ...params, limit: PAGE_SIZE, cursor });
        // The first page of the first view may already be on its way (boot.js).
        const page = await (cursor ? fetchPage() : prefetchedOr(firstPageKey('page', params), fetchPage));
        if (mine !== generation) return;
        table.append(page.events);
        cursor = page.next_cursor;
        more.hidden = !cursor;
        end.hidden = Boolean(cursor) || table.size() === 0;
      } catch (error) {
        if (mine === generation) showError(error);
      } finally {
        if (mine === generation) loading = null;
        more.disabled = false;
      }
    })();
    return loading;
  }

  function showError(error) {
    if (error instanceof ApiError && error.code === 'invalid_query') {
      toolbar.showQueryError(error);
      table.clear();
      countText.textContent = '';
      return;
    }
    mount(notices, h('p', { class: 'notice error', role: 'alert' },
      error.message || String(error), ' ',
      h('button', { type: 'button', class: 'link', text: 'Retry', onclick: () => refresh() })));
  }

  async function refresh() {
    generation += 1;
    const mine = generation;
    cursor = null;
    loading = null;
    notices.replaceChildren();
    toolbar.clearQueryError();
    table.clear();
    table.busy(true);
    more.hidden = true;
    end.hidden = true;
    const params = searchParams(ctx.state);
    // The first page goes first: the count and the histogram (up to 60 counts) follow it, so
    // they never queue in front of the rows.
    const firstPage = loadPage();
    const counting = prefetchedOr(firstPageKey('count', params), () => get('/v1/events/count', params)).then((answer) => {
      if (mine !== generation) return;
      countText.textContent = `${number(answer.count)} ${answer.count === 1 ? 'event' : 'events'}`;
      announce(countText.textContent);
      if (answer.count === 0) showEmpty();
    }).catch(() => {});
    await firstPage;
    table.busy(false);
    if (mine === generation) histogram.load(params);
    await counting;
    dropPrefetched();
    live.restart(params);
  }

  async function showEmpty() {
    const active = activeFilters(ctx.state);
    if (active.length) {
      table.setEmpty(h('div', { class: 'empty' },
        h('p', { text: t('No events match these filters.') }),
        h('p', { class: 'muted', text: `Active: ${active.join('; ')}.` }),
        h('button', { type: 'button', class: 'button', text: t('Clear filters'), onclick: () => clearFilters(ctx) })));
      return;
    }
    let firstRun = false;
    try {
      const all = await get('/v1/events/count', {});
      firstRun = all.count === 0;
    } catch {
      firstRun = false;
    }
    const org = ctx.me.organization_id || '';
    table.setEmpty(firstRun
      ? h('div', { class: 'empty first-run' },
        h('h2', { text: 'No events yet' }),
        h('p', { text: 'Send this organization its first event with an API key that has the events:write scope:' }),
        h('pre', { class: 'code', text: `curl -sS -X POST '${window.location.origin}/v1/events' \\\n  -H "Authorization: Bearer $TRAIL_KEY" -H 'Content-Type: application/json' \\\n  -d '{"action":"user.login","actor":{"id":"usr_1","name":"Alice Kim"},"source":"web_ui"}'` }),
        org ? h('p', { class: 'muted small', text: `Organization id: ${org}` }) : null)
      : h('div', { class: 'empty' },
        h('p', { text: 'No events in this time range.' }),
        h('button', { type: 'button', class: 'button', text: 'Show the last 90 days', onclick: () => ctx.update({ range: '90d', from: undefined, to: undefined }) })));
  }

  let lastKey = null;
  ctx.listeners.add((state) => {
    if (state.tab !== 'log') return;
    const key = JSON.stringify(searchParams(state));
    toolbar.sync(state);
    if (key !== lastKey) {
      lastKey = key;
      refresh();
    }
    if (state.event) detail().then((m) => m.openDetail(ctx, state.event, { onClose: () => table.refocus() }));
    else if (detail.started()) detail().then((m) => m.closeDetail());
  });
  ctx.listeners.forEach((l) => l(ctx.state, {}));
}

/** Adds a clicked value as a filter. */
export function addFilter(ctx, { field, value }) {
  const toolbarFields = { action: 'action', area: 'area', 'actor.id': 'user', source: 'source', outcome: 'outcome' };
  if (toolbarFields[field]) {
    ctx.update({ [toolbarFields[field]]: value, event: undefined });
    return;
  }
  const q = [ctx.state.q || '', `${field}:${quoteValue(value)}`].join(' ').trim();
  ctx.update({ q, event: undefined });
}

function quoteValue(value) {
  return /[\s",:*<>\\]|^-/.test(value) ? `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : value;
}

/** The active filters in words, for the empty state. */
export function activeFilters(state) {
  const out = [];
  if (state.q) out.push(`search “${state.q}”`);
  for (const key of ['action', 'area', 'user', 'source', 'outcome']) if (state[key]) out.push(`${key} ${state[key]}`);
  const range = RANGES.find(([r]) => r === state.range);
  if (range && state.range !== '90d') out.push(`date ${range[1].toLowerCase()}`);
  return out;
}

export function clearFilters(ctx) {
  ctx.update({ q: undefined, action: undefined, area: undefined, user: undefined, source: undefined, outcome: undefined, range: '90d', from: undefined, to: undefined, view: undefined });
}
