// The advanced filter builder: Field / Operator / Value rows with "New filter", remove,
// "Clear all" and "Apply". It edits the same query as the search box: opening it reads the
// box's query into rows, applying writes the rows back as the query.

import { h, uid } from './dom.js';
import { BUILDER_FIELDS, OPERATORS, queryToRows, rowsToQuery } from './query.js';

let open = null;

export function openBuilder(ctx, { field } = {}) {
  if (open) open.close();
  const rows = queryToRows(ctx.state.q || '');
  if (field) rows.push({ field, op: 'eq', value: '' });
  if (!rows.length) rows.push({ field: 'action', op: 'eq', value: '' });
  const titleId = uid('builder-title');
  const list = h('div', { class: 'builder-rows' });
  const preview = h('code', { class: 'builder-preview' });
  const dialog = h('dialog', { class: 'dialog builder', 'aria-labelledby': titleId });

  function render() {
    list.replaceChildren(...rows.map((row, index) => rowEl(row, index)));
    preview.textContent = rowsToQuery(rows) || '(every event)';
  }

  function rowEl(row, index) {
    const n = index + 1;
    const fieldSelect = h('select', { 'aria-label': `Field ${n}` },
      BUILDER_FIELDS.map(([value, text]) => h('option', { value, text, selected: value === row.field })));
    const opSelect = h('select', { 'aria-label': `Operator ${n}` },
      OPERATORS.map(([value, text]) => h('option', { value, text, selected: value === row.op })));
    const valueInput = h('input', { type: 'text', 'aria-label': `Value ${n}`, value: row.value || '', disabled: row.op === 'exists' || row.op === 'not_exists' });
    fieldSelect.addEventListener('change', () => { row.field = fieldSelect.value; render(); });
    opSelect.addEventListener('change', () => { row.op = opSelect.value; render(); });
    valueInput.addEventListener('input', () => { row.value = valueInput.value; preview.textContent = rowsToQuery(rows) || '(every event)'; });
    return h('div', { class: 'builder-row', role: 'group', 'aria-label': `Filter ${n}` },
      fieldSelect, opSelect, valueInput,
      h('button', { type: 'button', class: 'button ghost', 'aria-label': `Remove filter ${n}`, text: '✕',
        onclick: () => { rows.splice(index, 1); render(); } }));
  }

  const form = h('form', { method: 'dialog' },
    h('h2', { id: titleId, text: 'Filters' }),
    h('p', { class: 'muted small', text: 'Every row must hold. The search box shows the same filters as a query.' }),
    list,
    h('div', { class: 'builder-tools' },
      h('button', { type: 'button', class: 'button', text: 'New filter', onclick: () => {
        rows.push({ field: 'action', op: 'eq', value: '' });
        render();
        const selects = list.querySelectorAll('select');
        selects[selects.length - 2].focus();
      } }),
      h('button', { type: 'button', class: 'button ghost', text: 'Clear all', onclick: () => { rows.length = 0; render(); } })),
    h('p', { class: 'small' }, 'Query: ', preview),
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'button ghost', text: 'Cancel', onclick: () => close() }),
      h('button', { type: 'submit', class: 'button primary', text: 'Apply' })));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = rowsToQuery(rows);
    close();
    ctx.update({ q: q || undefined, event: undefined, view: undefined });
  });
  dialog.append(form);
  const opener = document.activeElement;
  function close() {
    if (dialog.open) dialog.close();
    dialog.remove();
    open = null;
    if (opener && opener.focus) opener.focus();
  }
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  document.body.append(dialog);
  render();
  dialog.showModal();
  const selects = list.querySelectorAll('input, select');
  if (field && selects.length) selects[selects.length - 1].focus();
  open = { close };
}
