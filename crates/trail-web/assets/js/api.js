// The one door to Trail's public API. Session callers send the HttpOnly cookie and, on state
// changes, the CSRF token; embedded viewers send their viewer token as a Bearer credential.

const listeners = new Set();
const auth = { viewerToken: null, csrf: null, organizationId: null };

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Called with every ApiError of status 401 (an expired session or viewer token). */
export function onUnauthorized(listener) {
  listeners.add(listener);
}

export function useViewerToken(token) {
  auth.viewerToken = token;
}

export function setCsrf(token) {
  auth.csrf = token;
}

export function setOrganization(id) {
  auth.organizationId = id || null;
}

export function organizationId() {
  return auth.organizationId;
}

export function isViewer() {
  return Boolean(auth.viewerToken);
}

function csrfToken() {
  if (auth.csrf) return auth.csrf;
  const match = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith('trail_csrf='));
  return match ? decodeURIComponent(match.slice('trail_csrf='.length)) : '';
}

/** `/v1/…` path plus query parameters (empty values left out) and the working organization. */
export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  if (auth.organizationId && !auth.viewerToken && !params.has('organization_id')) {
    params.set('organization_id', auth.organizationId);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Request headers for `method`. */
export function headers(method = 'GET', extra = {}) {
  const out = { Accept: 'application/json', ...extra };
  if (auth.viewerToken) out.Authorization = `Bearer ${auth.viewerToken}`;
  else if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) out['X-CSRF-Token'] = csrfToken();
  return out;
}

/** Calls the API; resolves to the parsed JSON (or null for 204), rejects with ApiError. */
export async function api(method, path, { query, body, signal, raw } = {}) {
  let response;
  const init = { method, headers: headers(method), credentials: 'same-origin', signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  try {
    response = await fetch(url(path, query), init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'unreachable', 'Trail cannot be reached. Check your connection; the page retries when you act again.');
  }
  if (raw && response.ok) return response;
  if (response.status === 204) return null;
  let payload = null;
  const text = await response.text();
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const e = payload && payload.error;
    const error = e
      ? new ApiError(response.status, e.code, e.message, e.details || [])
      : new ApiError(response.status, 'http', `Trail answered ${response.status} ${response.statusText}.`);
    if (response.status === 401) listeners.forEach((l) => l(error));
    throw error;
  }
  return payload;
}

export const get = (path, query, opts = {}) => api('GET', path, { ...opts, query });
export const post = (path, body, query) => api('POST', path, { body, query });
export const patch = (path, body, query) => api('PATCH', path, { body, query });
export const put = (path, body, query) => api('PUT', path, { body, query });
export const del = (path, query) => api('DELETE', path, { query });

/** Downloads `path` as a file named by the answer (works for session and viewer callers alike). */
export async function download(path, query, fallbackName) {
  const response = await api('GET', path, { query, raw: true });
  const disposition = response.headers.get('Content-Disposition') || '';
  const match = /filename="([^"]+)"/.exec(disposition);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = match ? match[1] : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return blob;
}
