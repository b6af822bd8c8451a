// The toolbar: the search box (query language, parse errors shown at the reported column) and the
// filters Action, Area, User, Source, Outcome and Date, which apply as soon as they change.

import { get } from './api.js';
import { h, lazy, uid } from './dom.js';
import { t } from './i18n.js';
import { actionLabel, sourceLabel } from './format.js';
import { RANGES, timeBounds } from './url_state.js';

// The filter builder loads when first opened.
const builder = lazy(() => import('./builder.js'));

function select(label, name) {
  return h('select', { name, 'aria-label': label });
}

function labelled(text, control) {
  const id = control.id || uid(control.name || 'c');
  control.id = id;
  return h('div', { class: 'tool' }, h('label', { for: id, text }), control);
}

/** `<input type=datetime-local>` value for an ISO time, in local time. */
function localInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function createToolbar(ctx) {
  const errorId = uid('q-error');
  const search = h('input', {
    type: 'search', name: 'q', class: 'search', 'aria-label': 'Search', placeholder: 'Search — e.g. actor:alice action:member.* -source:api',
    autocomplete: 'off', spellcheck: 'false',
  });
  const queryError = h('div', { id: errorId, class: 'query-error', role: 'alert', hidden: true });
  const filtersButton = h('button', { type: 'button', class: 'button', text: t('Filters'), 'aria-haspopup': 'dialog', onclick: () => builder().then((m) => m.openBuilder(ctx, {})) });
  const searchForm = h('form', { class: 'search-form', role: 'search' },
    search, h('button', { type: 'submit', class: 'button primary', text: t('Search') }), filtersButton);
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.update({ q: search.value.trim() || undefined, event: undefined });
  });

  const action = select('Action', 'action');
  const area = select('Area', 'area');
  const user = select('User', 'user');
  const source = select('Source', 'source');
  const outcome = select('Outcome', 'outcome');
  const range = select('Date', 'range');
  for (const [value, text] of RANGES) range.append(h('option', { value, text }));
  const from = h('input', { type: 'datetime-local', name: 'from', 'aria-label': 'From' });
  const to = h('input', { type: 'datetime-local', name: 'to', 'aria-label': 'To' });
  const custom = h('div', { class: 'custom-range' }, labelled('From', from), labelled('To', to));

  for (const [control, key] of [[action, 'action'], [area, 'area'], [user, 'user'], [source, 'source'], [outcome, 'outcome']]) {
    control.addEventListener('change', () => ctx.update({ [key]: control.value || undefined, event: undefined }));
  }
  range.addEventListener('change', () => {
    if (range.value === 'custom') {
      const now = Date.now();
      ctx.update({ range: 'custom', from: ctx.state.from || new Date(now - 7 * 864e5).toISOString(), to: ctx.state.to || undefined });
    } else {
      ctx.update({ range: range.value, from: undefined, to: undefined });
    }
  });
  for (const [input, key] of [[from, 'from'], [to, 'to']]) {
    input.addEventListener('change', () => {
      const value = input.value ? new Date(input.value).toISOString() : undefined;
      ctx.update({ range: 'custom', [key]: value });
    });
  }

  const el = h('div', { class: 'toolbar' },
    searchForm,
    queryError,
    h('div', { class: 'filters', role: 'group', 'aria-label': 'Filters' },
      labelled('Action', action), labelled('Area', area), labelled('User', user),
      labelled('Source', source), labelled('Outcome', outcome), labelled('Date', range), custom));

  let facetsKey = null;
  async function loadFacets(state) {
    const bounds = timeBounds(state);
    const key = JSON.stringify(bounds);
    if (key === facetsKey) return;
    facetsKey = key;
    // The drop-downs' values can wait for the rows.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const facet = (field) => get('/v1/events/facets', { field, limit: 200, ...bounds }).then((a) => a.values).catch(() => []);
    const [actions, areas, users, sources] = await Promise.all([facet('action'), facet('area'), facet('actor.id'), facet('source')]);
    fillActions(actions);
    fill(area, 'All areas', areas.map((v) => [v.value, v.value]));
    fill(user, 'All users', users.map((v) => [v.value, v.value]));
    fill(source, 'All sources', sources.map((v) => [v.value, sourceLabel(v.value)]));
    fill(outcome, 'Any outcome', [['success', 'Success'], ['failure', 'Failure']]);
    sync(ctx.state);
  }

  function fill(control, allText, options) {
    control.replaceChildren(h('option', { value: '', text: allText }),
      ...options.map(([value, text]) => h('option', { value, text })));
  }

  // Actions grouped by their catalogue area (`area_label`), each shown by its label; an area whose
  // actions share one first segment also offers "All <area> actions" (`segment.*`).
  function fillActions(values) {
    const byArea = new Map();
    for (const v of values) {
      const area = v.area || v.value.split('.')[0];
      if (!byArea.has(area)) byArea.set(area, { label: v.area_label || area, actions: [] });
      byArea.get(area).actions.push(v);
    }
    action.replaceChildren(h('option', { value: '', text: t('All actions') }));
    const groups = [...byArea.values()].sort((a, b) => a.label.localeCompare(b.label));
    for (const group of groups) {
      const text = (v) => v.label || actionLabel(v.value);
      const prefixes = new Set(group.actions.map((v) => v.value.split('.')[0]));
      const all = prefixes.size === 1
        ? [h('option', { value: `${[...prefixes][0]}.*`, text: `All ${group.label} actions` })]
        : [];
      action.append(h('optgroup', { label: group.label }, ...all,
        ...group.actions.sort((a, b) => text(a).localeCompare(text(b)))
          .map((v) => h('option', { value: v.value, text: text(v), title: v.value }))));
    }
  }

  function ensureOption(control, value) {
    if (value && ![...control.options].some((o) => o.value === value)) control.append(h('option', { value, text: value }));
  }

  function sync(state) {
    if (document.activeElement !== search) search.value = state.q || '';
    for (const [control, key] of [[action, 'action'], [area, 'area'], [user, 'user'], [source, 'source'], [outcome, 'outcome']]) {
      if (!control.options.length) fill(control, key === 'action' ? t('All actions') : 'All', []);
      ensureOption(control, state[key]);
      control.value = state[key] || '';
    }
    range.value = state.range;
    custom.hidden = state.range !== 'custom';
    from.value = localInput(state.from);
    to.value = localInput(state.to);
    loadFacets(state);
  }

  return {
    el,
    sync,
    focusSearch: () => search.focus(),
    showQueryError(error) {
      const detail = (error.details && error.details[0]) || {};
      const column = Number.isInteger(detail.column) ? detail.column : null;
      const q = ctx.state.q || '';
      queryError.replaceChildren(
        h('p', {}, h('strong', { text: 'The search could not be read: ' }), error.message),
        column !== null && column <= q.length + 1
          ? h('pre', { class: 'caret', 'aria-hidden': 'true', text: `${q}\n${' '.repeat(Math.max(0, column - 1))}^` })
          : null,
        detail.suggestion ? h('p', { class: 'muted', text: `Did you mean ${detail.suggestion}?` }) : null);
      queryError.hidden = false;
      search.setAttribute('aria-invalid', 'true');
      search.setAttribute('aria-describedby', errorId);
    },
    clearQueryError() {
      queryError.hidden = true;
      search.removeAttribute('aria-invalid');
      search.removeAttribute('aria-describedby');
    },
  };
}

// `/` focuses the search box from anywhere but a text field.
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  const tag = (e.target.tagName || '').toLowerCase();
  if (['input', 'textarea', 'select'].includes(tag) || e.target.isContentEditable) return;
  const box = document.querySelector('input.search');
  if (box) {
    e.preventDefault();
    box.focus();
    box.select();
  }
});
