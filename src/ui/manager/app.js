// The manager dashboard: login (managers and the sysadmin), navigation, hash routes, the live
// stream shared by every page. Pages: floor, order, menu, staff, tables, printers, reports,
// history, system; each exports a function (ctx, arg) → {onEvent?}.

import './strings.js';
import { h, fill, toast } from '../shared/dom.js';
import { t, toggleLang } from '../shared/i18n.js';
import { getSession, on, isOnline, logout, get } from '../shared/api.js';
import { connect } from '../shared/live.js';
import { loginScreen } from '../shared/login.js';

const root = document.getElementById('app');
const PAGES = {
  floor: () => import('./floor.js'),
  order: () => import('./order.js'),
  menu: () => import('./menu.js'),
  staff: () => import('./staff.js'),
  tables: () => import('./tables.js'),
  printers: () => import('./printers.js'),
  reports: () => import('./reports.js'),
  history: () => import('./reports.js'),
  system: () => import('./system.js'),
};
const NAV = ['floor', 'menu', 'staff', 'tables', 'printers', 'reports', 'history', 'system'];

let live = null;
let liveUp = false;
let page = null;
let main = null;
let nav = null;
let user = null;

function shell() {
  nav = h('nav', { class: 'side' });
  main = h('main', { class: 'page' });
  fill(root, h('header', { class: 'bar' },
    h('h1', {}, t('app_manager'), h('span', { class: 'sub' }, user.display_name)),
    h('span', { class: ['conn', !(liveUp && isOnline()) && 'off'], id: 'live-dot', title: 'live' }),
    h('button', { class: 'btn ghost small', onclick: () => { toggleLang(); shell(); route(); } }, t('lang_other')),
    h('button', { class: 'btn ghost small', onclick: async () => { await logout(); showLogin(); } }, t('logout'))),
  h('div', { class: 'layout' }, nav, h('div', { class: 'page-col' }, h('div', { id: 'net' }), main)));
  netBanner();
}

function netBanner() {
  const el = document.getElementById('net');
  if (!el) return;
  fill(el, !isOnline() ? h('div', { class: 'banner warn', role: 'alert' }, t('offline'))
    : !liveUp ? h('div', { class: 'banner warn' }, t('reconnecting')) : null);
  document.getElementById('live-dot')?.classList.toggle('off', !(liveUp && isOnline()));
}

async function route() {
  if (!user) return;
  const [, name = 'floor', arg] = location.hash.match(/^#\/(\w+)(?:\/([\w-]+))?/) || [];
  const key = PAGES[name] ? name : 'floor';
  fill(nav, NAV.map((n) => h('a', { href: `#/${n}`, class: ['nav', (n === key || (key === 'order' && n === 'floor')) && 'on'] }, t(`nav_${n}`))));
  const mine = {};
  page = mine;
  fill(main, h('p', { class: 'muted' }, t('loading')));
  try {
    const mod = await PAGES[key]();
    if (page !== mine) return;
    const ctx = { main, user, isCurrent: () => page === mine };
    Object.assign(mine, (await mod.default(ctx, arg, key)) || {});
  } catch (e) {
    if (page === mine) fill(main, h('div', { class: 'banner bad' }, e.offline ? t('offline') : t('error', { detail: e.detail || e.message })));
  }
}

function startLive() {
  live?.close();
  live = connect(getSession().token, (kind, data) => page?.onEvent?.(kind, data), (up) => {
    liveUp = up;
    netBanner();
    if (up) page?.onEvent?.('resync', {});
  });
}

async function boot() {
  try {
    user = await get('/api/auth/me');
  } catch (e) {
    if (!getSession()) return showLogin();
    fill(root, h('div', { class: 'banner warn' }, t('offline')));
    setTimeout(boot, 2000);
    return;
  }
  if (user.role === 'waiter') {
    fill(root, h('header', { class: 'bar' }, h('h1', {}, t('app_manager'))), h('div', { class: 'banner bad' }, t('managers_only')),
      h('p', { class: 'pad' }, h('button', { class: 'btn', onclick: async () => { await logout(); showLogin(); } }, t('logout'))));
    return;
  }
  shell();
  startLive();
  route();
}

function showLogin() {
  document.querySelector('.toasts')?.replaceChildren();
  live?.close();
  user = null;
  page = null;
  loginScreen(root, {
    title: t('app_manager'),
    filter: (u) => u.role !== 'waiter',
    rerender: showLogin,
    onDone: () => boot(),
  });
}

window.addEventListener('hashchange', route);
on('logout', () => { showLogin(); toast(t('session_over'), 'warn'); });
on('online', () => netBanner());

if (getSession()) boot(); else showLogin();
