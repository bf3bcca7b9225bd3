// The posd API client: bearer token in localStorage, JSON in and out, typed failures.
// ApiError carries posd's {code, detail, retry_after}; Offline means posd could not be reached.

const KEY = 'posd.session';
let session = null;
try { session = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch { session = null; }

const listeners = { online: [], logout: [] };
let online = true;

export const on = (what, fn) => listeners[what].push(fn);
const emit = (what, v) => listeners[what].forEach((fn) => fn(v));

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || `http_${status}`;
    this.detail = body?.detail || `HTTP ${status}`;
    this.body = body || {};
    this.retryAfter = body?.retry_after;
  }
}

export class Offline extends Error {
  constructor() { super('posd is unreachable'); this.offline = true; }
}

export const getSession = () => session;
export const isOnline = () => online;

export function setSession(s) {
  session = s;
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

function setOnline(v) {
  if (v !== online) { online = v; emit('online', v); }
}

/**
 * Call the API. opts: {headers, raw (a Blob/string body sent as is), timeout (ms)}.
 * Resolves with the JSON body (null for 204); rejects with ApiError or Offline.
 */
export async function api(method, path, body, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (session?.token) headers.authorization = `Bearer ${session.token}`;
  let payload;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeout || 10000);
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, signal: ctl.signal, cache: 'no-store' });
  } catch {
    setOnline(false);
    throw new Offline();
  } finally {
    clearTimeout(timer);
  }
  // A proxy or a restarting appliance may answer 502/503/504 without posd's error shape.
  if (res.status >= 502 && res.status <= 504 && !(res.headers.get('content-type') || '').includes('json')) {
    setOnline(false);
    throw new Offline();
  }
  setOnline(true);
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && session && !path.startsWith('/api/auth/login')) {
      setSession(null);
      emit('logout', err);
    }
    throw err;
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b, o) => api('POST', p, b, o);
export const put = (p, b, o) => api('PUT', p, b, o);
export const del = (p) => api('DELETE', p);

let probing = null;
/** While offline, ask /api/system/health every `ms` until posd answers. */
export function probeUntilOnline(ms = 2000) {
  if (probing) return probing;
  probing = new Promise((resolve) => {
    const tick = async () => {
      try {
        await api('GET', '/api/system/health', undefined, { timeout: 3000 });
        probing = null;
        resolve();
      } catch {
        setTimeout(tick, ms);
      }
    };
    tick();
  });
  return probing;
}

on('online', (v) => { if (!v) probeUntilOnline(); });

/** Log in; stores the session. */
export async function login(username, pin) {
  const r = await api('POST', '/api/auth/login', { username, pin });
  setSession({ token: r.access_token, user: r.user, expires_at: r.expires_at });
  return r.user;
}

export async function logout() {
  try { await api('POST', '/api/auth/logout'); } catch { /* the session is dropped locally anyway */ }
  setSession(null);
}
