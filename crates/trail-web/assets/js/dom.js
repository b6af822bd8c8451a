// DOM helpers. Everything that comes from an event or the API is set as text (textContent or an
// attribute value), never parsed as HTML: a name such as `<script>` shows as those characters.

/** Creates an element. `attrs`: `class`, `text`, `on<event>` handlers, `dataset`, booleans, other attributes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** SVG element (same rules as `h`). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A unique element id with a readable prefix. */
export function uid(prefix = 'id') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** Says `message` to screen readers through the polite live region. */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => { region.textContent = message; }, 30);
}

/**
 * A module loaded on first use, so that the first view does not wait for code it does not run:
 * `const detail = lazy(() => import('./detail.js'))`, then `detail().then((m) => …)`.
 * `detail.started()` says whether it was asked for yet.
 */
export function lazy(load) {
  let promise = null;
  const get = () => {
    promise ||= load();
    return promise;
  };
  get.started = () => promise !== null;
  return get;
}

/** A labelled form control: <label>text <control></label> wrapper. */
export function field(labelText, control, hint) {
  const id = control.id || uid('f');
  control.id = id;
  return h('div', { class: 'field' },
    h('label', { for: id, text: labelText }),
    control,
    hint ? h('small', { class: 'muted', text: hint }) : null);
}
