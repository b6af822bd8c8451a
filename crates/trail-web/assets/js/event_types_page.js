// The Event types page (`event_types:manage`): the organization's catalogue grouped by area, the
// actions seen in events but not catalogued (with counts, adopted in one click), the validation
// mode, a form to add or change an event type (label, area, description, display template,
// metadata JSON Schema, enabled), and the catalogue as one JSON file (export and import).

import { ApiError, del, download, get, patch, post, put } from './api.js';
import { announce, field, h, mount } from './dom.js';
import { errorLine, fail, table, when } from './admin.js';

const MODES = [
  ['off', 'Off — accept every event as sent'],
  ['warn', 'Warn — accept, and mark events that break their schema'],
  ['enforce', 'Enforce — refuse a batch with an event that breaks its schema (422)'],
];

export async function renderEventTypes(ctx, container) {
  const listing = await get('/v1/event-types');
  const error = errorLine();
  const reload = () => renderEventTypes(ctx, container);

  const mode = h('select', { 'aria-label': 'Validation mode' },
    MODES.map(([value, text]) => h('option', { value, text, selected: value === listing.validation })));
  mode.addEventListener('change', async () => {
    try {
      await patch('/v1/settings', { event_type_validation: mode.value });
      announce(`Validation is now ${mode.value}.`);
    } catch (e) {
      fail(error, e);
      mode.value = listing.validation;
    }
  });

  const form = editForm(error, reload);
  const groups = listing.areas.map((group) => h('section', { class: 'catalogue-area' },
    h('h2', { text: group.label }),
    table(`Event types of ${group.label}`, ['Label', 'Action', 'Description', 'Schema', 'Enabled', ''],
      group.event_types.map((t) => h('tr', {},
        h('td', { text: t.label }),
        h('td', {}, h('code', { text: t.action })),
        h('td', { text: t.description || '' }),
        h('td', { text: t.metadata_schema || t.resource_schema || t.targets_schema ? `v${t.version}` : '—' }),
        h('td', { text: t.enabled ? 'Yes' : 'No' }),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'button ghost', text: 'Edit', 'aria-label': `Edit ${t.action}`, onclick: () => form.fill(t) }),
          h('button', { type: 'button', class: 'button ghost', text: 'Delete', 'aria-label': `Delete ${t.action}`,
            onclick: async () => {
              if (!window.confirm(`Remove “${t.label}” (${t.action}) from the catalogue? Its events stay; they show their raw action again.`)) return;
              try {
                await del(`/v1/event-types/${encodeURIComponent(t.action)}`);
                reload();
              } catch (e) {
                fail(error, e);
              }
            } })))))));

  const adopt = async (actions) => {
    try {
      await post('/v1/event-types/adopt', actions ? { actions } : {});
      announce(actions ? `${actions[0]} is catalogued.` : 'Every uncatalogued action is catalogued.');
      reload();
    } catch (e) {
      fail(error, e);
    }
  };
  const uncatalogued = listing.uncatalogued.length
    ? h('section', { class: 'catalogue-area' },
      h('h2', { text: 'Uncatalogued actions' }),
      h('p', { class: 'muted', text: 'Seen in events but not in the catalogue. Adopting one catalogues it with the label and area shown; change them afterwards.' }),
      table('Uncatalogued actions', ['Action', 'Label', 'Area', 'Events', 'First seen', 'Last seen', ''],
        listing.uncatalogued.map((u) => h('tr', {},
          h('td', {}, h('code', { text: u.action })), h('td', { text: u.label }), h('td', { text: u.area }),
          h('td', { text: u.count.toLocaleString() }), h('td', {}, when(u.first_seen)), h('td', {}, when(u.last_seen)),
          h('td', {}, h('button', { type: 'button', class: 'button ghost', text: 'Adopt', 'aria-label': `Adopt ${u.action}`, onclick: () => adopt([u.action]) }))))),
      h('button', { type: 'button', class: 'button', text: 'Adopt all', onclick: () => adopt(null) }))
    : null;

  const file = h('input', { type: 'file', accept: 'application/json,.json', class: 'visually-hidden', 'aria-label': 'Catalogue file to import' });
  file.addEventListener('change', async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    try {
      let body;
      try {
        body = JSON.parse(await chosen.text());
      } catch (e) {
        throw new ApiError(400, 'invalid_json', `${chosen.name} is not JSON: ${e.message}`);
      }
      await post('/v1/event-types/import', body);
      announce(`${chosen.name} imported.`);
      reload();
    } catch (e) {
      fail(error, e);
    }
  });
  const tools = h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'button', text: 'Export catalogue', onclick: () => download('/v1/event-types/export', {}, 'event-types.json').catch((e) => fail(error, e)) }),
    h('button', { type: 'button', class: 'button', text: 'Import catalogue…', onclick: () => file.click() }), file);

  mount(container, h('div', { class: 'admin-page' },
    h('h1', { class: 'page-title', text: 'Event types' }), error,
    h('div', { class: 'inline-form' }, field('Validation of incoming events', mode,
      'Against each event type’s JSON Schemas. Warn and enforce record the schema version an event was checked against.')),
    tools,
    groups.length ? groups : h('p', { class: 'muted', text: 'The catalogue is empty. Adopt the actions your events use, import a catalogue, or add an event type below.' }),
    uncatalogued,
    form.el));
}

/** The add-or-change form; `fill(type)` loads an event type into it for editing. */
function editForm(error, reload) {
  const action = h('input', { type: 'text', required: true, placeholder: 'member.role_changed', pattern: '[a-z0-9_.\\-]+' });
  const label = h('input', { type: 'text', maxlength: '100', placeholder: 'Role Changed' });
  const area = h('input', { type: 'text', placeholder: 'members' });
  const description = h('input', { type: 'text' });
  const template = h('input', { type: 'text', placeholder: '{{ actor.name }} changed {{ resource.name }}’s role' });
  const schema = h('textarea', { rows: '6', spellcheck: 'false', placeholder: '{"type": "object", "required": ["plan"]}' });
  const enabled = h('input', { type: 'checkbox', checked: true });
  const title = h('h2', { text: 'Add an event type' });
  const el = h('form', { class: 'inline-form' }, title,
    field('Action', action), field('Label', label, 'Empty: the action’s words in title case.'),
    field('Area', area, 'Empty: the action’s first segment.'), field('Description', description),
    field('Display template', template, 'A sentence with {{ placeholders }}; shown as text, never as HTML.'),
    field('Metadata JSON Schema', schema, 'Empty: metadata is not checked. A changed schema makes a new version.'),
    h('label', { class: 'check' }, enabled, ' Enabled'),
    h('button', { type: 'submit', class: 'button primary', text: 'Save event type' }));
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    let metadataSchema;
    if (schema.value.trim()) {
      try {
        metadataSchema = JSON.parse(schema.value);
      } catch (err) {
        fail(error, new ApiError(400, 'invalid_json', `Metadata JSON Schema is not JSON: ${err.message}`));
        schema.focus();
        return;
      }
    }
    const body = {
      label: label.value.trim() || undefined,
      area: area.value.trim() || undefined,
      description: description.value.trim() || undefined,
      template: template.value.trim() || undefined,
      metadata_schema: metadataSchema,
      enabled: enabled.checked,
    };
    try {
      await put(`/v1/event-types/${encodeURIComponent(action.value.trim())}`, body);
      announce(`${action.value.trim()} saved.`);
      reload();
    } catch (err) {
      fail(error, err);
    }
  });
  return {
    el,
    fill(t) {
      title.textContent = `Change ${t.action}`;
      action.value = t.action;
      label.value = t.label || '';
      area.value = t.area || '';
      description.value = t.description || '';
      template.value = t.template || '';
      schema.value = t.metadata_schema ? JSON.stringify(t.metadata_schema, null, 2) : '';
      enabled.checked = t.enabled !== false;
      el.scrollIntoView({ block: 'start' });
      label.focus();
    },
  };
}
