// The waiter app: boot, login, hash routes (#/tables, #/order/ID, #/bill/ID), the live stream,
// the offline banner and the outbox resend loop. Screens live in tables.js, order.js, bill.js.

import { h, fill, toast } from '../shared/dom.js';
import { t, toggleLang, itemsN } from '../shared/i18n.js';
import { getSession, on, isOnline, logout, probeUntilOnline } from '../shared/api.js';
import { connect } from '../shared/live.js';
import { loginScreen } from '../shared/login.js';
import { applyEvent, troubleLines } from '../shared/printers.js';
import { S, loadTables, loadNames, loadMe, loadMenu, loadPrinters, loadOrder, addToCart } from './store.js';
import * as outbox from './outbox.js';
import { tablesScreen } from './tables.js';
import { orderScreen } from './order.js';
import { billScreen } from './bill.js';

const root = document.getElementById('app');
let live = null;
let screen = null; // {orderId?, refresh()}
let started = false;

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch(() => { /* http on a LAN IP: no SW, app still works */ });
}

/** The header every screen shares. */
export function topBar(title, sub, { back, extra } = {}) {
  return h('header', { class: 'bar' },
    back ? h('button', { class: 'icon-btn', 'aria-label': t('back'), onclick: () => { location.hash = back; } }, '←') : null,
    h('h1', {}, title, sub ? h('span', { class: 'sub' }, sub) : null),
    h('span', { class: ['conn', !(S.live && isOnline()) && 'off'], title: 'live' }),
    extra || null);
}

/** Offline, printer and unsent-batch banners. */
export function banners(orderId) {
  const out = [];
  if (!isOnline()) out.push(h('div', { class: 'banner warn', role: 'alert', id: 'offline' }, t('offline')));
  else if (!S.live) out.push(h('div', { class: 'banner warn' }, t('reconnecting')));
  for (const line of troubleLines(S.printers)) out.push(h('div', { class: 'banner bad printer-trouble' }, h('span', { class: 'bang' }, '!'), line));
  const waiting = outbox.pending(orderId);
  if (waiting.length) {
    const n = waiting.reduce((a, e) => a + e.lines.reduce((x, l) => x + l.quantity, 0), 0);
    out.push(h('div', { class: 'banner warn', id: 'pending' },
      isOnline() ? t('waiting_send', { n: itemsN(n) }) : t('kept_offline', { n: itemsN(n) }),
      h('button', { class: 'btn small', onclick: resend }, t('send_now'))));
  }
  return h('div', { class: 'banners' }, out);
}

export function rerender() {
  if (!getSession()) return showLogin();
  route();
}

async function resend() {
  await outbox.flush((entry, r) => {
    if (r.ok) {
      toast(t('sent_late', { table: entry.table_number, n: itemsN(entry.lines.reduce((a, l) => a + l.quantity, 0)) }), 'ok', 5000);
      S.orders[entry.order_id] = r.order;
    } else if (r.error) {
      addToCart(entry.order_id, entry.lines);
      toast(t('not_sent', { detail: r.error.detail }), 'bad', 8000);
    }
  });
  refreshSoon();
}

let refreshTimer = null;
let refreshOrders = new Set();
/** Refetch tables (and the open order) shortly; events arrive in bursts. */
export function refreshSoon(orderId) {
  if (orderId) refreshOrders.add(orderId);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const ids = [...refreshOrders];
    refreshOrders = new Set();
    try {
      await loadTables();
      for (const id of ids) if (screen?.orderId === id) await loadOrder(id).catch(() => {});
    } catch { /* offline: the banner says so */ }
    screen?.refresh();
  }, 60);
}

function onEvent(kind, d) {
  if (kind === 'printer') {
    applyEvent(S.printers, d);
    screen?.refresh();
  } else if (kind === 'menu') {
    loadMenu().then(() => screen?.refresh(), () => {});
  } else if (kind === 'resync') {
    loadPrinters().catch(() => {});
    refreshSoon(screen?.orderId);
  } else if (kind === 'staff') {
    loadNames().catch(() => {});
  } else if (kind !== 'license') {
    refreshSoon(d.order_id);
  }
}

function startLive() {
  live?.close();
  live = connect(getSession().token, onEvent, (up) => {
    if (S.live !== up) { S.live = up; screen?.refresh(); }
    if (up) refreshSoon(screen?.orderId);
  });
}

async function boot() {
  S.user = S.user || getSession()?.user || null; // whose unsent batches to show before posd answers
  fill(root, h('header', { class: 'bar' }, h('h1', {}, t('app_waiter'))), h('p', { class: 'pad' }, t('loading')));
  for (;;) {
    try {
      await Promise.all([loadMe(), loadNames(), loadTables(), loadMenu(), loadPrinters()]);
      break;
    } catch (e) {
      if (!getSession()) return showLogin();
      // Unreachable: wait for posd. Refused (e.g. 402/423 license): say why, try again soon.
      fill(root, h('header', { class: 'bar' }, h('h1', {}, t('app_waiter'))),
        h('div', { class: ['banner', e.offline ? 'warn' : 'bad'], role: 'alert', id: e.offline ? 'offline' : 'refused' }, e.offline ? t('offline') : e.detail),
        outbox.pending().length ? h('div', { class: 'banner warn', id: 'pending' }, t('kept_offline', { n: itemsN(outbox.pending().reduce((a, x) => a + x.lines.reduce((b, l) => b + l.quantity, 0), 0)) })) : null);
      if (e.offline) await probeUntilOnline();
      else await new Promise((r) => setTimeout(r, 5000));
    }
  }
  started = true;
  startLive();
  route();
  resend();
}

function showLogin() {
  document.querySelector('.toasts')?.replaceChildren();
  live?.close();
  live = null;
  started = false;
  screen = null;
  loginScreen(root, {
    title: t('app_waiter'),
    filter: (u) => u.role !== 'sysadmin',
    rerender: () => showLogin(),
    onDone: () => { if (!location.hash.startsWith('#/tables')) location.hash = '#/tables'; boot(); },
  });
}

function route() {
  if (!started) return;
  const [, name, id] = location.hash.match(/^#\/(\w+)(?:\/(\d+))?/) || [];
  const ctx = { root, langToggle, doLogout };
  if (name === 'order' && id) screen = orderScreen(ctx, Number(id));
  else if (name === 'bill' && id) screen = billScreen(ctx, Number(id));
  else screen = tablesScreen(ctx);
  window.scrollTo(0, 0);
}

function langToggle() {
  toggleLang();
  screen?.refresh();
}

async function doLogout() {
  await logout();
  showLogin();
}

window.addEventListener('hashchange', route);
on('logout', () => { showLogin(); toast(t('session_over'), 'warn'); });
on('online', (up) => {
  screen?.refresh();
  if (up && started) { resend(); loadPrinters().then(() => screen?.refresh(), () => {}); }
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && started) { refreshSoon(screen?.orderId); resend(); }
});
setInterval(() => { if (started && outbox.pending().length && isOnline()) resend(); }, 5000);
// Colleagues' payments reach this phone only as table changes; a slow poll keeps their tiles right.
setInterval(() => { if (started && document.visibilityState === 'visible' && isOnline()) refreshSoon(); }, 30000);

if (getSession()) boot(); else showLogin();
