// Export: the dialog (name, CSV / JSON / NDJSON, Last 30 days / Last 90 days / Custom, the
// current filters, "Export N records") and the Export History page. Small exports download at
// once through the search's file download; large ones become jobs shown in the history.

import { ApiError, download, get, post } from './api.js';
import { field, h, mount, uid, announce } from './dom.js';
import { absoluteTime, bytes, number, relativeTime } from './format.js';
import { t } from './i18n.js';

/** Exports up to this many records download at once; more become a job. */
export const DIRECT_LIMIT = 1000;

function localDate(iso) {
  return iso ? iso.slice(0, 10) : '';
}

export function openExportDialog(ctx, params) {
  const titleId = uid('export-title');
  const name = h('input', { type: 'text', name: 'name', value: `Activity log ${new Date().toISOString().slice(0, 10)}`, maxlength: '200' });
  const formatGroup = h('fieldset', { class: 'radios' }, h('legend', { text: 'Export as' }),
    ['csv', 'json', 'ndjson'].map((f, i) => h('label', {}, h('input', { type: 'radio', name: 'format', value: f, checked: i === 0 }), ` ${f.toUpperCase()}`)));
  const custom = ctx.state.range === 'custom';
  const frames = [['last_30_days', 'Last 30 days'], ['last_90_days', 'Last 90 days'], ['custom', 'Custom']];
  const frameGroup = h('fieldset', { class: 'radios' }, h('legend', { text: 'Time frame' }),
    frames.map(([value, text]) => h('label', {}, h('input', { type: 'radio', name: 'time_frame', value, checked: custom ? value === 'custom' : value === 'last_30_days' }), ` ${text}`)));
  const from = h('input', { type: 'date', name: 'from', 'aria-label': 'From', value: localDate(ctx.state.from) || localDate(new Date(Date.now() - 7 * 864e5).toISOString()) });
  const to = h('input', { type: 'date', name: 'to', 'aria-label': 'To', value: localDate(ctx.state.to) });
  const customFields = h('div', { class: 'custom-range' }, field('From', from), field('To', to));
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary', text: 'Export records' });
  const dialog = h('dialog', { class: 'dialog export-dialog', 'aria-labelledby': titleId });
  let count = null;
  let settings = null;

  function chosen(nameOf) {
    return dialog.querySelector(`input[name=${nameOf}]:checked`).value;
  }

  function bounds() {
    const frame = chosen('time_frame');
    if (frame === 'last_30_days') return { from: '30d' };
    if (frame === 'last_90_days') return { from: '90d' };
    return { from: from.value || undefined, to: to.value ? new Date(new Date(to.value).getTime() + 864e5).toISOString().slice(0, 10) : undefined };
  }

  function windowDays() {
    const frame = chosen('time_frame');
    if (frame !== 'custom') return frame === 'last_30_days' ? 30 : 90;
    const start = from.value ? new Date(from.value).getTime() : 0;
    const end = to.value ? new Date(to.value).getTime() + 864e5 : Date.now();
    return Math.ceil((end - start) / 864e5);
  }

  async function recount() {
    customFields.hidden = chosen('time_frame') !== 'custom';
    submit.disabled = true;
    message.hidden = true;
    const limit = settings && settings.max_export_window_days;
    if (limit && windowDays() > limit) {
      message.textContent = `This organization exports at most ${limit} days at a time (its longest export window). Choose a shorter time frame and export the rest separately.`;
      message.hidden = false;
      submit.textContent = 'Export records';
      return;
    }
    try {
      const answer = await get('/v1/events/count', { q: params.q, ...bounds() });
      count = answer.count;
      submit.textContent = `Export ${number(count)} ${count === 1 ? 'record' : 'records'}`;
      submit.disabled = count === 0;
    } catch (error) {
      message.textContent = error.message;
      message.hidden = false;
    }
  }

  const form = h('form', { method: 'dialog' },
    h('h2', { id: titleId, text: t('Export') }),
    field('Name', name),
    formatGroup, frameGroup, customFields,
    h('p', { class: 'small' }, 'Filters: ', h('code', { text: params.q || 'none (every event)' })),
    h('p', { class: 'muted small', text: `Up to ${number(DIRECT_LIMIT)} records download at once; larger exports run in the background and appear in Export History.` }),
    message,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'button ghost', text: 'Cancel', onclick: () => close() }),
      submit));
  form.addEventListener('change', recount);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    const format = chosen('format');
    try {
      if (count !== null && count <= DIRECT_LIMIT) {
        await download('/v1/events', { q: params.q, ...bounds(), format }, `${name.value || 'export'}.${format}`);
        announce('Export downloaded.');
        close();
      } else {
        const frame = chosen('time_frame');
        const body = { name: name.value || undefined, format, q: params.q, time_frame: frame };
        if (frame === 'custom') Object.assign(body, bounds());
        await post('/v1/exports', body);
        close();
        ctx.update({ tab: 'history', event: undefined });
      }
    } catch (error) {
      message.textContent = error instanceof ApiError && error.code === 'limit_exceeded'
        ? `${error.message}`
        : error.message;
      message.hidden = false;
      submit.disabled = false;
    }
  });
  dialog.append(form);
  const opener = document.activeElement;
  function close() {
    if (dialog.open) dialog.close();
    dialog.remove();
    if (opener && opener.focus) opener.focus();
  }
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
  name.focus();
  get('/v1/settings').then((s) => { settings = s; }).catch(() => {}).finally(recount);
}

function who(createdBy) {
  if (!createdBy) return '—';
  if (typeof createdBy === 'string') return createdBy;
  return createdBy.name || createdBy.email || createdBy.id || '—';
}

function status(job) {
  switch (job.status) {
    case 'running': return `Running ${job.progress !== undefined && job.progress !== null ? `${Math.round(job.progress * (job.progress <= 1 ? 100 : 1))}%` : ''}`.trim();
    case 'failed': return `Failed: ${job.error || 'unknown reason'}`;
    case 'completed': return 'Completed';
    case 'expired': return 'Expired';
    default: return 'Queued';
  }
}

export function renderHistory(ctx, container) {
  const tbody = h('tbody');
  const note = h('p', { class: 'muted', role: 'status' });
  let timer = null;
  mount(container, h('div', { class: 'history-page' },
    h('h1', { class: 'page-title', text: t('Export History') }),
    note,
    h('div', { class: 'table-wrap' }, h('table', { class: 'history-table' },
      h('caption', { class: 'visually-hidden', text: 'Exports, newest first' }),
      h('thead', {}, h('tr', {}, ['Name', 'Created by', 'Created', 'Format', 'Records', 'Size', 'Status', 'File'].map((c) => h('th', { scope: 'col', text: c })))),
      tbody))));

  async function load() {
    if (!container.isConnected || ctx.state.tab !== 'history') return;
    let answer;
    try {
      answer = await get('/v1/exports');
    } catch (error) {
      note.textContent = error.message;
      return;
    }
    const jobs = answer.exports;
    note.textContent = jobs.length ? '' : 'No exports yet. Use Export on the Activity log to make one.';
    mount(tbody, jobs.map((job) => h('tr', { dataset: { id: job.id, status: job.status } },
      h('td', { text: job.name }),
      h('td', { text: who(job.created_by) }),
      h('td', {}, h('time', { datetime: job.created_at, title: absoluteTime(job.created_at), text: relativeTime(job.created_at) })),
      h('td', { text: (job.format || '').toUpperCase() }),
      h('td', { text: job.record_count !== undefined && job.record_count !== null ? number(job.record_count) : '—' }),
      h('td', { text: bytes(job.file_size) || '—' }),
      h('td', { class: `status ${job.status}`, text: status(job) }),
      h('td', {}, job.status === 'completed'
        ? h('button', { type: 'button', class: 'button', text: 'Download', 'aria-label': `Download ${job.name}`,
          onclick: () => download(`/v1/exports/${encodeURIComponent(job.id)}/download`, {}, job.name) })
        : null))));
    clearTimeout(timer);
    if (jobs.some((j) => j.status === 'queued' || j.status === 'running')) timer = setTimeout(load, 1000);
  }
  load();
}
