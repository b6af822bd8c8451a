// Events over the selected time range, from `GET /v1/events/histogram`. Dragging across the bars
// zooms into that span (a custom From/To range).

import { get } from './api.js';
import { h, svg } from './dom.js';
import { absoluteTime, number } from './format.js';

const WIDTH = 1000;
const HEIGHT = 80;

export function createHistogram(ctx) {
  const caption = h('p', { class: 'muted small histogram-caption' });
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', class: 'histogram-svg', role: 'img', 'aria-label': 'Events over time' });
  const el = h('figure', { class: 'histogram', 'aria-label': 'Events over time' }, chart, caption);
  let data = null;
  let controller = null;
  let drag = null;
  const selection = svg('rect', { class: 'histogram-selection', y: 0, height: HEIGHT, width: 0, x: 0 });

  async function load(params) {
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      data = await get('/v1/events/histogram', params, { signal: controller.signal });
      draw();
    } catch (error) {
      if (error.name === 'AbortError') return;
      chart.replaceChildren();
      caption.textContent = `The histogram is unavailable: ${error.message}`;
    }
  }

  function draw() {
    const buckets = data.buckets;
    const max = Math.max(1, ...buckets.map((b) => b.count));
    const w = WIDTH / Math.max(1, buckets.length);
    chart.replaceChildren(...buckets.map((b, i) => {
      const height = b.count ? Math.max(2, (b.count / max) * (HEIGHT - 4)) : 0;
      return svg('rect', { class: 'bar', x: (i * w + 0.5).toFixed(2), width: Math.max(1, w - 1).toFixed(2), y: (HEIGHT - height).toFixed(2), height: height.toFixed(2) },
        svg('title', { text: `${absoluteTime(b.start)}: ${number(b.count)}` }));
    }), selection);
    chart.setAttribute('aria-label', `Events over time: ${number(data.total)} in ${buckets.length} buckets of ${data.bucket}, at most ${number(max)} in one. Drag across the chart to zoom in.`);
    caption.textContent = `${absoluteTime(data.from)} – ${absoluteTime(data.to)} · one bar per ${data.bucket} · drag to zoom`;
  }

  function toX(event) {
    const box = chart.getBoundingClientRect();
    return Math.max(0, Math.min(WIDTH, ((event.clientX - box.left) / box.width) * WIDTH));
  }

  chart.addEventListener('pointerdown', (e) => {
    if (!data) return;
    drag = { start: toX(e) };
    chart.setPointerCapture(e.pointerId);
  });
  chart.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const x = toX(e);
    selection.setAttribute('x', Math.min(drag.start, x));
    selection.setAttribute('width', Math.abs(x - drag.start));
  });
  chart.addEventListener('pointerup', (e) => {
    if (!drag) return;
    const x = toX(e);
    const [a, b] = [Math.min(drag.start, x), Math.max(drag.start, x)];
    drag = null;
    selection.setAttribute('width', 0);
    if (b - a < 4) return;
    const from = new Date(data.from).getTime();
    const span = new Date(data.to).getTime() - from;
    ctx.update({
      range: 'custom',
      from: new Date(from + (a / WIDTH) * span).toISOString(),
      to: new Date(from + (b / WIDTH) * span).toISOString(),
      event: undefined,
    });
  });

  return { el, load };
}
