// The query language as the page writes and reads it: quoting values, composing the toolbar's
// filters with the search box, and turning a query into the builder's Field / Operator / Value
// rows and back (docs/query-language.md).

export const BUILDER_FIELDS = [
  ['action', 'Action'], ['area', 'Area'], ['actor', 'User'], ['actor.email', 'User email'],
  ['actor.role', 'User role'], ['actor.type', 'Actor type'], ['resource', 'Resource'],
  ['resource.type', 'Resource type'], ['source', 'Source'], ['outcome', 'Outcome'], ['ip', 'IP address'],
  ['country', 'Country'], ['id', 'Event id'], ['text', 'Any text'], ['raw', 'Query term'],
];

export const OPERATORS = [
  ['eq', 'is'], ['ne', 'is not'], ['in', 'is any of'], ['contains', 'contains'],
  ['starts_with', 'starts with'], ['exists', 'exists'], ['not_exists', 'does not exist'],
  ['gte', 'at least'], ['lte', 'at most'],
];

const NEEDS_QUOTES = /[\s",:*<>\\]|\.\.|^-/;

/** A value as the query language reads it literally. */
export function quote(value) {
  const text = String(value);
  if (text !== '' && !NEEDS_QUOTES.test(text)) return text;
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `field:value` with the value quoted as needed. */
export function term(field, value) {
  return `${field}:${quote(value)}`;
}

/** The `q` the API gets: the search box first (so error columns match it), then the toolbar's filters. */
export function composeQuery(state) {
  const parts = [];
  if (state.q && state.q.trim()) parts.push(state.q.trim());
  if (state.action) parts.push(state.action.endsWith('.*') ? `action:${quote(state.action.slice(0, -2))}*` : term('action', state.action));
  if (state.area) parts.push(term('area', state.area));
  if (state.user) parts.push(term('actor.id', state.user));
  if (state.source) parts.push(term('source', state.source));
  if (state.outcome) parts.push(term('outcome', state.outcome));
  return parts.join(' ');
}

/** Splits a query into its terms, keeping quotes as written. */
export function tokenize(q) {
  const tokens = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < q.length; i += 1) {
    const c = q[i];
    if (quoted && c === '\\' && i + 1 < q.length) {
      current += c + q[i + 1];
      i += 1;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (!quoted && /\s/.test(c)) {
      if (current) tokens.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) tokens.push(current);
  return tokens;
}

function unquote(text) {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(text);
  return m ? m[1].replace(/\\(["\\])/g, '$1') : null;
}

/** One term as a builder row `{field, op, value}`; terms the builder cannot show become `raw` rows. */
export function termToRow(token) {
  const raw = { field: 'raw', op: 'eq', value: token };
  const negated = token.startsWith('-');
  const body = negated ? token.slice(1) : token;
  const colon = body.indexOf(':');
  if (colon <= 0 || body.slice(0, colon).includes('"')) {
    const text = unquote(body) ?? body;
    if (/[*:]/.test(text) && unquote(body) === null) return raw;
    return { field: 'text', op: negated ? 'ne' : 'contains', value: text };
  }
  const field = body.slice(0, colon).toLowerCase();
  if (!BUILDER_FIELDS.some(([f]) => f === field) || field === 'text' || field === 'raw') return raw;
  const value = body.slice(colon + 1);
  if (value === '*') return { field, op: negated ? 'not_exists' : 'exists', value: '' };
  const quoted = unquote(value);
  if (quoted !== null) return { field, op: negated ? 'ne' : 'eq', value: quoted };
  if (negated) return /[*,<>"]/.test(value) ? raw : { field, op: 'ne', value };
  if (value.startsWith('>=')) return { field, op: 'gte', value: value.slice(2) };
  if (value.startsWith('<=')) return { field, op: 'lte', value: value.slice(2) };
  if (/^\*[^*"]+\*$/.test(value)) return { field, op: 'contains', value: value.slice(1, -1) };
  if (/^[^*",]+\*$/.test(value)) return { field, op: 'starts_with', value: value.slice(0, -1) };
  if (/^[^*",]+(,[^*",]+)+$/.test(value)) return { field, op: 'in', value: value.split(',').join(', ') };
  if (/[*"<>]/.test(value)) return raw;
  return { field, op: 'eq', value };
}

/** A builder row as one query term ('' for an incomplete row). */
export function rowToTerm({ field, op, value }) {
  const v = (value ?? '').trim();
  if (field === 'raw') return v;
  if (field === 'text') {
    if (!v) return '';
    return op === 'ne' ? `-${quote(v)}` : quote(v);
  }
  switch (op) {
    case 'exists': return `${field}:*`;
    case 'not_exists': return `-${field}:*`;
    case 'eq': return v ? term(field, v) : '';
    case 'ne': return v ? `-${term(field, v)}` : '';
    case 'in': {
      const values = v.split(',').map((x) => x.trim()).filter(Boolean);
      return values.length ? `${field}:${values.map(quote).join(',')}` : '';
    }
    case 'contains': return v ? `${field}:*${quote(v)}*` : '';
    case 'starts_with': return v ? `${field}:${quote(v)}*` : '';
    case 'gte': return v ? `${field}:>=${v}` : '';
    case 'lte': return v ? `${field}:<=${v}` : '';
    default: return '';
  }
}

export function queryToRows(q) {
  return tokenize(q || '').map(termToRow);
}

export function rowsToQuery(rows) {
  return rows.map(rowToTerm).filter(Boolean).join(' ');
}
