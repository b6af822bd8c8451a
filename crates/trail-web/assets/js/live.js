// Live mode: reads `GET /v1/events/stream` (server-sent events) with fetch, so that viewer tokens
// can send their Authorization header, resumes with `Last-Event-ID` after a drop, puts new
// matching events at the top, and shows "N new events" instead when the reader scrolled away.

import { headers, url } from './api.js';
import { announce, h } from './dom.js';
import { t } from './i18n.js';

/** Parses SSE text into `{id, event, data}` messages; returns the unparsed rest. */
export function parseSse(buffer, onMessage) {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    const message = { event: 'message', data: '' };
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const key = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (key === 'data') message.data += (message.data ? '\n' : '') + value;
      else if (key === 'id') message.id = value;
      else if (key === 'event') message.event = value;
    }
    onMessage(message);
  }
  return rest;
}

export function createLive(ctx, { onEvents }) {
  const toggle = h('button', { type: 'button', class: 'button live-toggle', 'aria-pressed': 'false', text: t('Live') });
  const pause = h('button', { type: 'button', class: 'button ghost', 'aria-pressed': 'false', text: 'Pause', hidden: true });
  const marker = h('button', { type: 'button', class: 'new-events', hidden: true });
  const status = h('span', { class: 'muted small live-status', role: 'status' });
  let on = false;
  let paused = false;
  let controller = null;
  let params = {};
  let lastId = null;
  let held = [];
  let retry = 1000;

  function away() {
    const table = document.querySelector('.log-table');
    return table ? table.getBoundingClientRect().top < -40 : false;
  }

  function deliver(events) {
    if (paused || away()) {
      held = held.concat(events);
      marker.textContent = `${held.length} new ${held.length === 1 ? 'event' : 'events'}`;
      marker.hidden = false;
      return;
    }
    onEvents(events);
    announce(`${events.length} new ${events.length === 1 ? 'event' : 'events'}`);
  }

  function flush() {
    if (held.length) onEvents(held);
    held = [];
    marker.hidden = true;
  }

  marker.addEventListener('click', () => {
    flush();
    window.scrollTo({ top: 0 });
  });

  async function connect() {
    if (!on) return;
    controller = new AbortController();
    const extra = lastId ? { 'Last-Event-ID': lastId } : {};
    try {
      const response = await fetch(url('/v1/events/stream', params), { headers: headers('GET', { ...extra, Accept: 'text/event-stream' }), credentials: 'same-origin', signal: controller.signal });
      if (!response.ok) {
        let message = `Live mode stopped (${response.status}).`;
        try {
          message = (await response.json()).error.message;
        } catch {
          /* keep the status line */
        }
        status.textContent = message;
        setOn(false);
        return;
      }
      status.textContent = 'Live: waiting for new events…';
      retry = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = parseSse(buffer + value, (message) => {
          if (message.id) lastId = message.id;
          if (message.event === 'events' && message.data) {
            const events = JSON.parse(message.data);
            deliver(Array.isArray(events) ? events : [events]);
          } else if (message.event === 'close') {
            status.textContent = `Live mode was interrupted: ${JSON.parse(message.data).message} Reconnecting…`;
          }
        });
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      status.textContent = 'Live mode lost its connection; reconnecting…';
    }
    // Whatever ended the read, the request must not stay open behind a reconnect.
    if (controller) controller.abort();
    if (on) {
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    }
  }

  function setOn(value) {
    on = value;
    toggle.setAttribute('aria-pressed', String(on));
    toggle.classList.toggle('on', on);
    pause.hidden = !on;
    if (!on) {
      if (controller) controller.abort();
      controller = null;
      flush();
      if (!status.textContent.startsWith('Live mode')) status.textContent = '';
    }
  }

  toggle.addEventListener('click', () => {
    status.textContent = '';
    setOn(!on);
    if (on) {
      lastId = null;
      connect();
    }
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) flush();
  });

  return {
    toggle,
    pause,
    status,
    marker,
    restart(next) {
      params = { q: next.q };
      if (on) {
        if (controller) controller.abort();
        lastId = null;
        connect();
      }
    },
  };
}
