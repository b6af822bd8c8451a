// The log table: a real <table> with column headers, one row per event, newest first. Values are
// buttons that add themselves as filters; the action opens the detail panel. Arrow keys move
// between rows, Enter opens one.

import { h, lazy, mount } from './dom.js';
import { absoluteTime, actionLabel, dateCell, locationLabel, sourceLabel } from './format.js';

// The filter builder loads when first opened.
const builder = lazy(() => import('./builder.js'));

const COLUMNS = [
  ['Actor', 'actor'], ['Action', 'action'], ['Area', 'area'], ['Resource', 'resource'],
  ['Source', 'source'], ['Location', 'country'], ['Date', null],
];

export function createTable(ctx, { onOpen, onFilter }) {
  const tbody = h('tbody');
  const events = [];
  let focused = 0;
  const head = h('thead', {}, h('tr', {}, COLUMNS.map(([label, field]) => h('th', { scope: 'col' },
    h('span', { text: label }),
    field ? h('button', {
      type: 'button', class: 'col-filter', 'aria-label': `Filter ${label}`, title: `Filter by ${label}`,
      onclick: () => builder().then((m) => m.openBuilder(ctx, { field })),
    }, '▾') : null))));
  const table = h('table', { class: 'log-table' },
    h('caption', { class: 'visually-hidden', text: 'Events, newest first' }), head, tbody);
  const wrap = h('div', { class: 'table-wrap' }, table);

  function valueButton(text, field, value, label) {
    if (!text) return h('span', { class: 'muted', text: '—' });
    return h('button', {
      type: 'button', class: 'value', title: `Filter by ${label}: ${value}`,
      onclick: (e) => { e.stopPropagation(); onFilter({ field, value }); },
    }, text);
  }

  function row(event) {
    const actor = event.actor || {};
    const resource = event.resource || {};
    const tr = h('tr', { tabindex: '-1', dataset: { id: event.id, seq: event.seq } },
      h('td', { class: 'c-actor' },
        valueButton(actor.name || actor.id, 'actor.id', actor.id, 'user'),
        actor.role ? h('div', { class: 'muted small', text: actor.role }) : null),
      h('td', { class: 'c-action' },
        h('button', { type: 'button', class: 'action-link', title: event.action, 'aria-label': `${event.display?.label || actionLabel(event.action)} (${event.action}), open details`,
          onclick: (e) => { e.stopPropagation(); open(event); } }, event.display?.label || actionLabel(event.action)),
        event.outcome === 'failure' ? h('span', { class: 'badge failure', text: 'failed' }) : null),
      h('td', { class: 'c-area' }, valueButton(event.area, 'area', event.area, 'area')),
      h('td', { class: 'c-resource' },
        valueButton(resource.name || resource.id, resource.id ? 'resource.id' : 'resource', resource.id || resource.name, 'resource'),
        resource.type ? h('div', { class: 'muted small', text: resource.type }) : null),
      h('td', { class: 'c-source' }, valueButton(sourceLabel(event.source), 'source', event.source, 'source')),
      h('td', { class: 'c-location' },
        event.context && event.context.location && event.context.location.country
          ? valueButton(locationLabel(event), 'country', event.context.location.country, 'country')
          : h('span', { class: 'muted', text: '—' })),
      h('td', { class: 'c-date' }, h('time', { datetime: event.occurred_at, title: absoluteTime(event.occurred_at), text: dateCell(event.occurred_at) })));
    tr.addEventListener('click', () => open(event));
    return tr;
  }

  function open(event) {
    const rows = [...tbody.rows];
    focused = Math.max(0, rows.findIndex((r) => r.dataset.id === event.id));
    onOpen(event);
  }

  function rows() {
    return [...tbody.querySelectorAll('tr[data-id]')];
  }

  function focusRow(index) {
    const all = rows();
    if (!all.length) return;
    focused = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((r, i) => r.setAttribute('tabindex', i === focused ? '0' : '-1'));
    all[focused].focus();
  }

  tbody.addEventListener('keydown', (e) => {
    const tr = e.target.closest('tr[data-id]');
    if (!tr) return;
    const index = rows().indexOf(tr);
    if (e.key === 'ArrowDown') { e.preventDefault(); focusRow(index + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); focusRow(index - 1); }
    else if (e.key === 'Home') { e.preventDefault(); focusRow(0); }
    else if (e.key === 'End') { e.preventDefault(); focusRow(rows().length - 1); }
    else if (e.key === 'Enter' && e.target === tr) { e.preventDefault(); open(events[index]); }
  });

  function setTabStop() {
    const all = rows();
    all.forEach((r, i) => r.setAttribute('tabindex', i === Math.min(focused, all.length - 1) ? '0' : '-1'));
  }

  return {
    el: wrap,
    size: () => events.length,
    clear() {
      events.length = 0;
      focused = 0;
      tbody.replaceChildren();
    },
    busy(on) {
      table.setAttribute('aria-busy', on ? 'true' : 'false');
    },
    append(list) {
      for (const event of list) {
        events.push(event);
        tbody.append(row(event));
      }
      setTabStop();
    },
    prepend(list) {
      const fresh = list.filter((e) => !events.some((x) => x.id === e.id));
      const empty = tbody.querySelector('tr.empty-row');
      if (empty && fresh.length) empty.remove();
      for (const event of fresh.reverse()) {
        events.unshift(event);
        const tr = row(event);
        tr.classList.add('new');
        tbody.prepend(tr);
      }
      setTabStop();
    },
    setEmpty(node) {
      mount(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: String(COLUMNS.length) }, node)));
    },
    focusFirst: () => focusRow(0),
    redrawDates() {
      for (const time of tbody.querySelectorAll('.c-date time')) {
        time.textContent = dateCell(time.getAttribute('datetime'));
        time.title = absoluteTime(time.getAttribute('datetime'));
      }
    },
    refocus() {
      const all = rows();
      if (all[focused]) all[focused].focus();
    },
  };
}
