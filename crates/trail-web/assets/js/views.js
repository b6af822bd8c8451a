// Saved views: the current filters under a name, shared with the organization or personal, one
// of them the member's default. Stored by the API (`/v1/views`), so they are audited like any
// other change.

import { del, get, patch, post } from './api.js';
import { field, h, uid } from './dom.js';
import { readState, writeState } from './url_state.js';

const VIEW_KEYS = ['q', 'action', 'area', 'user', 'source', 'outcome', 'range', 'from', 'to'];

function filtersOf(state) {
  const out = {};
  for (const key of VIEW_KEYS) if (state[key]) out[key] = state[key];
  return out;
}

export function createViewsBar(ctx) {
  const select = h('select', { 'aria-label': 'Saved views' }, h('option', { value: '', text: 'Saved views' }));
  const save = h('button', { type: 'button', class: 'button ghost', text: 'Save view' });
  const remove = h('button', { type: 'button', class: 'button ghost', text: 'Delete view', hidden: true });
  const bar = h('div', { class: 'views-bar' }, select, save, remove);
  let views = [];

  async function load() {
    try {
      views = (await get('/v1/views')).views;
    } catch {
      bar.hidden = true;
      return;
    }
    select.replaceChildren(h('option', { value: '', text: 'Saved views' }),
      ...views.map((v) => h('option', { value: v.id, text: `${v.name}${v.shared ? ' (shared)' : ''}${v.is_default ? ' ★' : ''}` })));
    select.value = ctx.state.view || '';
    remove.hidden = !ctx.state.view;
    const fresh = !window.location.search || window.location.search === `?org=${ctx.state.org}`;
    const preferred = views.find((v) => v.is_default);
    if (fresh && preferred && !ctx.state.view) apply(preferred);
  }

  function apply(view) {
    const { state } = readState(writeState({ ...view.filters, range: view.filters.range || '7d' }));
    const patchState = { view: view.id, event: undefined };
    for (const key of VIEW_KEYS) patchState[key] = state[key];
    ctx.update(patchState);
    remove.hidden = false;
  }

  select.addEventListener('change', () => {
    const view = views.find((v) => v.id === select.value);
    if (view) apply(view);
    else ctx.update({ view: undefined });
  });

  remove.addEventListener('click', async () => {
    const view = views.find((v) => v.id === ctx.state.view);
    if (!view || !window.confirm(`Delete the saved view “${view.name}”?`)) return;
    await del(`/v1/views/${encodeURIComponent(view.id)}`);
    ctx.update({ view: undefined });
    load();
  });

  save.addEventListener('click', () => {
    const titleId = uid('view-title');
    const current = views.find((v) => v.id === ctx.state.view);
    const name = h('input', { type: 'text', required: true, maxlength: '200', value: current ? current.name : '' });
    const shared = h('input', { type: 'checkbox', checked: current ? current.shared : false });
    const isDefault = h('input', { type: 'checkbox', checked: current ? current.is_default : false });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
    const close = () => { dialog.close(); dialog.remove(); save.focus(); };
    const form = h('form', {},
      h('h2', { id: titleId, text: 'Save view' }),
      field('View name', name),
      h('label', { class: 'check' }, shared, ' Share with the organization'),
      h('label', { class: 'check' }, isDefault, ' Open this view by default'),
      error,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'button ghost', text: 'Cancel', onclick: close }),
        current ? h('button', { type: 'button', class: 'button', text: 'Save as new', onclick: () => submit(false) }) : null,
        h('button', { type: 'submit', class: 'button primary', text: current ? 'Update view' : 'Save' })));
    async function submit(update) {
      const body = { name: name.value.trim(), shared: shared.checked, is_default: isDefault.checked, filters: filtersOf(ctx.state) };
      try {
        const view = update && current
          ? await patch(`/v1/views/${encodeURIComponent(current.id)}`, body)
          : await post('/v1/views', body);
        close();
        ctx.update({ view: view.id }, { push: false });
        load();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); submit(true); });
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    name.focus();
  });

  load();
  return bar;
}
