// How values are shown: action labels, sources, locations, relative and absolute times.

const SOURCES = { web_ui: 'Web UI', api: 'API', background_task: 'Background Task', cli: 'CLI', system: 'System' };

let timeSettings = { absolute: false, zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' };

/** `{absolute, zone}` from the user's display preference (kept in localStorage). */
export function setTimeSettings(settings) {
  timeSettings = { ...timeSettings, ...settings };
}

export function getTimeSettings() {
  return { ...timeSettings };
}

/** `member.role_changed` → `Member role changed`. */
export function actionLabel(action) {
  if (!action) return '';
  const words = action.replace(/[._-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `web_ui` → `Web UI`; other words as they come, readable. */
export function sourceLabel(source) {
  if (!source) return '';
  if (SOURCES[source]) return SOURCES[source];
  const words = source.replace(/_+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `Berlin, DE` from an event's context. */
export function locationLabel(event) {
  const loc = event.context && event.context.location;
  if (!loc) return '';
  return [loc.city, loc.region, loc.country].filter(Boolean).join(', ');
}

// Building an Intl formatter costs far more than using one (it loads locale data): one per
// language and zone, reused for every row.
const formatters = new Map();
function formatter(kind, options) {
  const lang = document.documentElement.lang || 'en';
  const key = `${kind} ${lang} ${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl[kind](lang, options);
    formatters.set(key, f);
  }
  return f;
}

const UNITS = [
  ['year', 365 * 24 * 3600], ['month', 30 * 24 * 3600], ['week', 7 * 24 * 3600],
  ['day', 24 * 3600], ['hour', 3600], ['minute', 60], ['second', 1],
];

/** "3 minutes ago". */
export function relativeTime(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const rtf = formatter('RelativeTimeFormat', { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return rtf.format(Math.round(seconds / size), unit);
    }
  }
  return iso;
}

/** "21 Nov 2026, 10:00:00 Europe/Berlin" in the chosen time zone. */
export function absoluteTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  try {
    const text = formatter('DateTimeFormat', {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
      timeZone: timeSettings.zone,
    }).format(date);
    return `${text} ${timeSettings.zone}`;
  } catch {
    return date.toISOString();
  }
}

/** The table's date cell text: relative or absolute per the setting. */
export function dateCell(iso) {
  return timeSettings.absolute ? absoluteTime(iso) : relativeTime(iso);
}

/** "1.2 MB". */
export function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function number(n) {
  return formatter('NumberFormat', {}).format(n);
}
