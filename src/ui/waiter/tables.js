// The tables grid: every table of every room, coloured by who has it. Free tables open a new
// order on tap; my tables open the order; a colleague's table says whose it is.

import { h, fill, toast } from '../shared/dom.js';
import { t, money } from '../shared/i18n.js';
import { post } from '../shared/api.js';
import { S, isMine, loadTables } from './store.js';
import * as outbox from './outbox.js';
import { topBar, banners } from './app.js';

function kind(tb) {
  if (!tb.order) return 'free';
  if (!isMine(tb.order)) return 'other';
  return tb.status === 'partially_paid' || tb.status === 'paid' ? 'pay' : 'mine';
}

function firstName(id) {
  return (S.names[id] || `#${id}`).split(/[\s(]/)[0];
}

async function open(tb) {
  const k = kind(tb);
  if (k === 'mine' || k === 'pay') {
    location.hash = tb.status === 'paid' ? `#/bill/${tb.order.id}` : `#/order/${tb.order.id}`;
    return;
  }
  if (k === 'other') {
    if (S.user.role === 'waiter') {
      toast(t('table_taken', { n: tb.number, name: S.names[tb.order.waiters[0]] || '?' }), 'warn');
      return;
    }
    location.hash = `#/order/${tb.order.id}`;
    return;
  }
  try {
    const o = await post('/api/orders/', { table_id: tb.id });
    location.hash = `#/order/${o.id}`;
  } catch (e) {
    if (e.code === 'table_busy' && e.body.order_id) {
      await loadTables().catch(() => {});
      const now = S.tables.find((x) => x.id === tb.id);
      if (now?.order && isMine(now.order)) { location.hash = `#/order/${now.order.id}`; return; }
      toast(t('table_taken', { n: tb.number, name: now?.order ? S.names[now.order.waiters[0]] || '?' : '?' }), 'warn');
    } else {
      toast(e.offline ? t('offline') : t('error', { detail: e.detail }), 'bad', 6000);
    }
  }
}

function tile(tb) {
  const k = kind(tb);
  const waiting = tb.order ? outbox.pending(tb.order.id).length : 0;
  let info = '\u00a0';
  if (k === 'mine') info = tb.order.total ? money(tb.order.due) : '—';
  else if (k === 'pay') info = tb.status === 'paid' ? t('st_paid') : `${t('st_partially_paid')} · ${money(tb.order.due)}`;
  else if (k === 'other') info = firstName(tb.order.waiters[0]);
  return h('button', {
    class: ['tile', k],
    dataset: { table: tb.number, status: tb.status, kind: k },
    'aria-label': `${t('table_n', { n: tb.number })} ${t(`legend_${k}`)}`,
    onclick: () => open(tb),
  },
  h('span', { class: 'tnum' }, tb.label || tb.number),
  h('span', { class: 'tinfo' }, info),
  waiting ? h('span', { class: 'tbadge' }, '⏳') : null);
}

export function tablesScreen(ctx) {
  function refresh() {
    const active = S.tables.filter((x) => x.is_active);
    const groups = [...S.groups].sort((a, b) => a.sort_order - b.sort_order || a.id - b.id);
    const sections = groups.map((g) => [g.name, active.filter((x) => x.group_id === g.id)]);
    sections.push([t('ungrouped'), active.filter((x) => !groups.some((g) => g.id === x.group_id))]);
    fill(ctx.root,
      h('div', { class: 'top' },
        topBar(t('tables'), S.user.display_name, {
          extra: h('span', { class: 'row' },
            h('button', { class: 'btn ghost small', onclick: ctx.langToggle }, t('lang_other')),
            h('button', { class: 'btn ghost small', onclick: ctx.doLogout }, t('logout'))),
        }),
        banners()),
      h('div', { class: 'legend' }, ['free', 'mine', 'other', 'pay'].map((k) => h('span', { class: ['lg', k] }, t(`legend_${k}`)))),
      h('main', { class: 'tables' },
        active.length === 0 ? h('p', { class: 'pad' }, t('no_tables')) : null,
        sections.filter(([, list]) => list.length).map(([name, list]) => h('section', {},
          h('h2', { class: 'group' }, name),
          h('div', { class: 'grid' }, list.sort((a, b) => a.number - b.number).map(tile))))));
  }
  refresh();
  return { refresh };
}
