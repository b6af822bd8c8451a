// The date display setting: relative ("3 minutes ago") or absolute times, and the time zone of
// absolute times and hovers. Kept in this browser (localStorage), not on the server.

import { h } from './dom.js';
import { getTimeSettings, setTimeSettings } from './format.js';

const ZONES = ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney'];

/** A small "Dates" control; `onChange` redraws what shows times. */
export function createDisplayControl(onChange) {
  const settings = getTimeSettings();
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const zones = [...new Set([local, settings.zone, ...ZONES])];
  const absolute = h('input', { type: 'checkbox', checked: settings.absolute });
  const zone = h('select', { 'aria-label': 'Time zone' },
    zones.map((z) => h('option', { value: z, text: z === local ? `${z} (this device)` : z, selected: z === settings.zone })));
  function save() {
    const next = { absolute: absolute.checked, zone: zone.value };
    setTimeSettings(next);
    try {
      localStorage.setItem('trail.time', JSON.stringify(next));
    } catch {
      /* private mode: the setting lasts for this page */
    }
    onChange();
  }
  absolute.addEventListener('change', save);
  zone.addEventListener('change', save);
  return h('div', { class: 'display-control' },
    h('label', { class: 'check' }, absolute, ' Absolute times'), zone);
}
