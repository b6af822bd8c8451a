// The detail panel: every field of one event, the changes as a before/after table, the context,
// raw JSON with a copy button, and its integrity checked in the browser. Escape closes it.

import { get } from './api.js';
import { announce, h, mount, uid } from './dom.js';
import { absoluteTime, actionLabel, locationLabel, relativeTime, sourceLabel } from './format.js';
import { parseVerifierKey, verifyEvent } from './proof.js';
import { addFilter } from './log_view.js';

let panel = null;
let shownId = null;
let onCloseHook = null;

function keyHandler(e) {
  if (e.key === 'Escape' && panel && !document.querySelector('dialog[open]')) {
    e.preventDefault();
    closeCurrent();
  }
}

let closeCurrent = () => {};

export function closeDetail() {
  if (!panel) return;
  panel.remove();
  panel = null;
  shownId = null;
  document.removeEventListener('keydown', keyHandler);
  if (onCloseHook) onCloseHook();
}

export async function openDetail(ctx, id, { onClose } = {}) {
  if (shownId === id && panel) return;
  closeDetail();
  onCloseHook = onClose;
  shownId = id;
  const titleId = uid('detail-title');
  const body = h('div', { class: 'detail-body' }, h('p', { class: 'muted', text: 'Loading…' }));
  const closeButton = h('button', { type: 'button', class: 'button ghost close', 'aria-label': 'Close details', text: '✕' });
  panel = h('aside', { class: 'detail', role: 'complementary', 'aria-labelledby': titleId, tabindex: '-1' },
    h('div', { class: 'detail-head' }, h('h2', { id: titleId, text: 'Event details' }), closeButton),
    body);
  closeCurrent = () => ctx.update({ event: undefined });
  closeButton.addEventListener('click', closeCurrent);
  document.addEventListener('keydown', keyHandler);
  document.body.append(panel);
  panel.focus();

  let event;
  try {
    event = await get(`/v1/events/${encodeURIComponent(id)}`);
  } catch (error) {
    mount(body, h('p', { class: 'notice error', role: 'alert', text: error.status === 404 ? 'This event does not exist or is not visible to you.' : error.message }));
    return;
  }
  if (shownId !== id) return;
  panel.querySelector('h2').textContent = actionLabel(event.action);
  const filterButton = (text, field, value) => (value === undefined || value === null || value === ''
    ? h('span', { class: 'muted', text: '—' })
    : h('button', { type: 'button', class: 'value', title: `Filter by ${field}: ${value}`, onclick: () => addFilter(ctx, { field, value: String(value) }) }, String(text)));
  const actor = event.actor || {};
  const resource = event.resource || {};
  const context = event.context || {};
  const rows = [
    ['Action', filterButton(event.action, 'action', event.action)],
    ['Description', event.description || '—'],
    ['Outcome', filterButton(event.outcome, 'outcome', event.outcome)],
    ['Actor', h('span', {},
      filterButton(actor.name || actor.id, 'actor.id', actor.id),
      actor.email ? ` ${actor.email}` : '', actor.role ? ` · ${actor.role}` : '', ` · ${actor.type || 'user'}`)],
    ['Area', filterButton(event.area, 'area', event.area)],
    ['Resource', resource.id || resource.name ? h('span', {}, filterButton(resource.name || resource.id, 'resource.id', resource.id || resource.name), resource.type ? ` (${resource.type})` : '') : '—'],
    ['Source', filterButton(sourceLabel(event.source), 'source', event.source)],
    ['Occurred', `${absoluteTime(event.occurred_at)} (${relativeTime(event.occurred_at)})`],
    ['Received', absoluteTime(event.received_at)],
    ['IP address', filterButton(context.ip, 'ip', context.ip)],
    ['User agent', context.user_agent || '—'],
    ['Location', locationLabel(event) ? filterButton(locationLabel(event), 'country', context.location && context.location.country) : '—'],
    ['Event id', event.id],
    ['Sequence', String(event.seq)],
  ];
  const targets = event.targets || [];
  const changes = event.changes || [];
  const integrity = h('div', { class: 'integrity', role: 'status' }, h('p', { class: 'muted', text: 'Checking integrity…' }));
  const raw = JSON.stringify(event, null, 2);
  const copy = h('button', { type: 'button', class: 'button', text: 'Copy JSON' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(raw);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Select the text to copy';
    }
    announce(copy.textContent);
  });
  mount(body,
    h('dl', { class: 'fields' }, rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)])),
    actor.id ? h('button', { type: 'button', class: 'link', text: `Recent activity of ${actor.name || actor.id}`,
      onclick: () => ctx.update({ user: actor.id, q: undefined, action: undefined, area: undefined, source: undefined, outcome: undefined, event: undefined }) }) : null,
    changes.length ? h('section', {}, h('h3', { text: 'Changes' }),
      h('table', { class: 'changes' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Field' }), h('th', { scope: 'col', text: 'Before' }), h('th', { scope: 'col', text: 'After' }))),
        h('tbody', {}, changes.map((c) => h('tr', {}, h('th', { scope: 'row', text: c.field }), h('td', { text: show(c.old) }), h('td', { text: show(c.new) })))))) : null,
    targets.length ? h('section', {}, h('h3', { text: 'Targets' }), h('ul', {}, targets.map((tg) => h('li', { text: [tg.type, tg.name || tg.id].filter(Boolean).join(': ') })))) : null,
    event.metadata && Object.keys(event.metadata).length ? h('section', {}, h('h3', { text: 'Metadata' }),
      h('dl', { class: 'fields' }, Object.entries(event.metadata).flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: show(v) })]))) : null,
    h('section', {}, h('h3', { text: 'Integrity' }), integrity),
    h('section', {}, h('h3', { text: 'Raw JSON' }), copy, h('pre', { class: 'code raw-json', tabindex: '0', text: raw })));
  checkIntegrity(event, integrity);
}

function show(value) {
  if (value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function checkIntegrity(event, el) {
  try {
    let note = null;
    let keys = [];
    if (event.proof) {
      [note, keys] = await Promise.all([
        get('/v1/log/checkpoint', { size: event.proof.tree_size }, { raw: true }).then((r) => r.text()),
        get('/v1/log/public-key', {}, { raw: true }).then((r) => r.text())
          .then((text) => text.split('\n').map(parseVerifierKey).filter(Boolean)),
      ]);
    }
    const result = await verifyEvent(event, note, keys);
    if (result.verified) {
      mount(el, h('p', { class: 'verified' }, h('strong', { text: 'Verified' }),
        ` — included in the signed log of ${result.treeSize} events (checked in this browser: SHA-256 proof, Ed25519 signature).`),
      h('p', { class: 'muted small mono', text: `Signed by ${result.signer}` }),
      h('p', { class: 'muted small mono', text: `Root ${result.root}` }));
    } else {
      mount(el, h('p', { class: result.pending ? 'pending' : 'not-verified' },
        h('strong', { text: result.pending ? 'Not verified yet' : 'Not verified' }), ` — ${result.reason}`));
    }
  } catch (error) {
    mount(el, h('p', { class: 'not-verified' }, h('strong', { text: 'Not verified' }), ` — ${error.message}`));
  }
}
