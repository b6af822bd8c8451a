// The SIEM streams page (`streams:manage`): each destination with its health (state, lag, last
// success, last error with the receiver's status), test / pause / resume / replay / delete, and a
// form to add one — Splunk HEC, a signed webhook, syslog or object storage (S3) — with a filter in
// the query language.
// Tokens and secrets are write-only; a webhook secret Trail generates is shown once.

import { del, get, post } from './api.js';
import { announce, field, h, mount } from './dom.js';
import { errorLine, fail, table, when } from './admin.js';
import { number } from './format.js';

const KINDS = [
  ['splunk_hec', 'Splunk HTTP Event Collector', 'Splunk HEC'],
  ['webhook', 'Webhook (Standard Webhooks signatures)', 'Webhook'],
  ['syslog', 'Syslog (RFC 5424 over TCP or TLS)', 'Syslog'],
  ['object_store', 'Object storage (S3 and compatible, hourly files)', 'Object storage'],
];
const FORMATS = [
  ['trail', 'Trail JSON'],
  ['ocsf', 'OCSF'],
  ['ecs', 'Elastic Common Schema'],
  ['cef', 'CEF (syslog only)'],
];
const PLACEHOLDERS = {
  splunk_hec: 'https://splunk.example.com:8088',
  webhook: 'https://hooks.example.com/trail',
  syslog: 'tls://siem.example.com:6514',
  object_store: 's3://my-audit-archive/trail',
};

export async function renderStreams(ctx, container, shown) {
  const { streams } = await get('/v1/streams');
  const error = errorLine();
  const reload = (secret) => renderStreams(ctx, container, secret);
  const act = async (what, fn) => {
    error.hidden = true;
    try {
      await fn();
      announce(what);
      reload();
    } catch (e) {
      fail(error, e);
    }
  };
  const rows = streams.map((s) => {
    const health = s.health;
    const last = health.last_error;
    const paused = health.state === 'paused';
    return h('tr', {},
      h('td', {}, h('strong', { text: s.name }), h('div', { class: 'muted small', text: s.url })),
      h('td', { text: (KINDS.find(([k]) => k === s.kind) || [, , s.kind])[2] }),
      h('td', { text: s.format }),
      h('td', {}, s.filter ? h('code', { text: s.filter }) : h('span', { class: 'muted', text: 'every event' })),
      h('td', {}, h('span', { class: `state ${health.state}`, text: health.state })),
      h('td', { text: lag(health) }),
      h('td', {}, when(health.last_success_at)),
      h('td', { class: 'small', text: last ? `${last.status ? `${last.status}: ` : ''}${last.message || ''}` : '—' }),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'button ghost', text: 'Test', 'aria-label': `Send a test event to ${s.name}`,
          onclick: async () => {
            error.hidden = true;
            try {
              const result = await post(`/v1/streams/${encodeURIComponent(s.id)}/test`);
              const message = result.delivered ? `Test event delivered to ${s.name}.` : `The test event was not delivered: ${result.status ? `${result.status} ` : ''}${result.error || ''}`;
              if (result.delivered) announce(message);
              else fail(error, message);
            } catch (e) {
              fail(error, e);
            }
          } }),
        h('button', { type: 'button', class: 'button ghost', text: paused ? 'Resume' : 'Pause', 'aria-label': `${paused ? 'Resume' : 'Pause'} ${s.name}`,
          onclick: () => act(`${s.name} ${paused ? 'resumed' : 'paused'}.`, () => post(`/v1/streams/${encodeURIComponent(s.id)}/${paused ? 'resume' : 'pause'}`)) }),
        h('button', { type: 'button', class: 'button ghost', text: 'Replay…', 'aria-label': `Replay events to ${s.name}`,
          onclick: () => {
            const from = window.prompt(`Deliver again to “${s.name}” from a time (24h, 7d, 2026-12-01) or #seq (#1200):`, '24h');
            if (!from) return;
            const body = from.trim().startsWith('#') ? { from_seq: Number(from.trim().slice(1)) } : { from: from.trim() };
            act(`${s.name} replays from ${from}.`, () => post(`/v1/streams/${encodeURIComponent(s.id)}/replay`, body));
          } }),
        h('button', { type: 'button', class: 'button ghost', text: 'Delete', 'aria-label': `Delete ${s.name}`,
          onclick: () => {
            if (!window.confirm(`Delete the stream “${s.name}”? Nothing more is sent to it.`)) return;
            act(`${s.name} deleted.`, () => del(`/v1/streams/${encodeURIComponent(s.id)}`));
          } })));
  });

  mount(container, h('div', { class: 'admin-page' },
    h('h1', { class: 'page-title', text: 'SIEM streams' }),
    h('p', { class: 'muted', text: 'Every event is delivered in order, at least once, from a saved position: a receiver that is down gets everything when it is back.' }),
    error,
    shown ? h('div', { class: 'notice success', role: 'alert' },
      h('p', { text: 'The webhook signing secret is shown only now. Copy it to your receiver:' }),
      h('pre', { class: 'code secret', tabindex: '0', text: shown })) : null,
    streams.length ? table('SIEM streams', ['Stream', 'Kind', 'Format', 'Filter', 'State', 'Lag', 'Last success', 'Last error', ''], rows)
      : h('p', { class: 'muted', text: 'No streams yet.' }),
    createForm(error, reload)));
}

/** "12 events, oldest 3 min" — what is waiting to be looked at. */
function lag(health) {
  const events = `${number(health.lag_events)} event${health.lag_events === 1 ? '' : 's'}`;
  const age = health.oldest_undelivered_age_seconds;
  if (!health.lag_events || age == null) return events;
  const oldest = age < 90 ? `${Math.round(age)} s` : age < 5400 ? `${Math.round(age / 60)} min` : `${Math.round(age / 3600)} h`;
  return `${events}, oldest ${oldest}`;
}

function createForm(error, reload) {
  const name = h('input', { type: 'text', required: true, maxlength: '100' });
  const kind = h('select', {}, KINDS.map(([value, text]) => h('option', { value, text })));
  const url = h('input', { type: 'text', required: true });
  const format = h('select', {}, FORMATS.map(([value, text]) => h('option', { value, text })));
  const filter = h('input', { type: 'text', placeholder: 'action:member.* OR outcome:failure' });
  const token = h('input', { type: 'password', autocomplete: 'off' });
  const index = h('input', { type: 'text' });
  const sourcetype = h('input', { type: 'text', placeholder: 'trail:audit' });
  const secret = h('input', { type: 'password', autocomplete: 'off', placeholder: 'whsec_…' });
  const facility = h('input', { type: 'number', min: '0', max: '23', placeholder: '13' });
  const appName = h('input', { type: 'text', placeholder: 'trail' });
  const caCert = h('textarea', { rows: '4', spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE-----' });
  const region = h('input', { type: 'text', placeholder: 'us-east-1' });
  const endpoint = h('input', { type: 'text', placeholder: 'https://minio.example.com:9000' });
  const accessKeyId = h('input', { type: 'text', autocomplete: 'off' });
  const secretAccessKey = h('input', { type: 'password', autocomplete: 'off' });
  const flushSeconds = h('input', { type: 'number', min: '1', max: '3600', placeholder: '60' });
  const byKind = {
    splunk_hec: h('div', {}, field('HEC token', token), field('Index', index, 'Empty: the token’s default index.'), field('Sourcetype', sourcetype)),
    webhook: h('div', {}, field('Signing secret', secret, 'Empty: Trail generates one and shows it once.')),
    syslog: h('div', {}, field('Facility', facility, '0–23; empty: 13 (log audit).'), field('App name', appName),
      field('CA certificate (PEM)', caCert, 'For tls:// destinations signed by a private CA.')),
    object_store: h('div', {}, field('Region', region, 'Empty: us-east-1.'),
      field('Endpoint', endpoint, 'For S3-compatible servers (MinIO, Ceph, R2, Google Cloud Storage); empty: AWS S3.'),
      field('Access key id', accessKeyId), field('Secret access key', secretAccessKey, 'Write-only: never shown again.'),
      field('Write a file at least every (seconds)', flushSeconds, 'A full batch is written at once; empty: 60.')),
  };
  const specific = h('div', {});
  const showKind = () => {
    mount(specific, byKind[kind.value]);
    url.placeholder = PLACEHOLDERS[kind.value];
  };
  kind.addEventListener('change', showKind);
  showKind();
  const form = h('form', { class: 'inline-form' },
    h('h2', { text: 'Add a stream' }),
    field('Name', name), field('Kind', kind), field('Destination URL', url), field('Format', format),
    field('Filter', filter, 'Query language; empty sends every event. A narrow filter to a webhook is an alert rule.'),
    specific,
    h('button', { type: 'submit', class: 'button primary', text: 'Add stream' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const text = (el) => el.value.trim() || undefined;
    const body = { name: name.value.trim(), kind: kind.value, url: url.value.trim(), format: format.value, filter: text(filter) };
    if (kind.value === 'splunk_hec') Object.assign(body, { token: text(token), index: text(index), sourcetype: text(sourcetype) });
    if (kind.value === 'webhook') Object.assign(body, { secret: text(secret) });
    if (kind.value === 'object_store') Object.assign(body, { region: text(region), endpoint: text(endpoint), access_key_id: text(accessKeyId), secret_access_key: text(secretAccessKey),
      flush_seconds: flushSeconds.value ? Number(flushSeconds.value) : undefined });
    if (kind.value === 'syslog') Object.assign(body, { facility: facility.value ? Number(facility.value) : undefined, app_name: text(appName), ca_cert: text(caCert) });
    try {
      const created = await post('/v1/streams', body);
      announce(`${created.name} added.`);
      reload(created.secret);
    } catch (err) {
      fail(error, err);
    }
  });
  return form;
}
