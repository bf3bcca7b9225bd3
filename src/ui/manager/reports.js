// Reports: the shift report of a business day with charts (by hour, by waiter, by category,
// payment mix), and the order history with filters and pages.

import { h, fill } from '../shared/dom.js';
import { t, money, num } from '../shared/i18n.js';
import { get } from '../shared/api.js';
import { card, table, select, statusPill, fmtDateTime, errText } from './ui.js';
import { bars, hbars, donut } from './charts.js';

const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

async function shift(ctx) {
  let date = today();
  let rep = null;
  let err = null;
  const [products, cats] = await Promise.all([get('/api/products/?all=true'), get('/api/products/categories')]);

  async function load() {
    try { rep = await get(`/api/reports/shift?date=${encodeURIComponent(date)}`); err = null; } catch (e) { rep = null; err = errText(e); }
    render();
  }

  function byCategory() {
    const sums = new Map();
    for (const row of rep.sales_by_product) {
      const p = products.find((x) => x.id === row.product_id);
      const c = cats.find((x) => x.id === p?.category_id);
      const k = c?.name || '—';
      sums.set(k, (sums.get(k) || 0) + row.sales);
    }
    return [...sums].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value);
  }

  function render() {
    if (!ctx.isCurrent()) return;
    const input = h('input', { type: 'date', value: date, onchange: (e) => { date = e.target.value; load(); } });
    const head = card(t('shift_report'), h('div', { class: 'row' }, h('label', { class: 'row' }, t('date'), input)));
    if (err || !rep) { fill(ctx.main, head, err ? h('div', { class: 'banner bad' }, err) : null); return; }
    const tot = rep.totals;
    const hours = rep.sales_by_hour.map((v, i) => ({ label: String(i), value: v }));
    const empty = tot.sales === 0 && tot.orders_opened === 0;
    fill(ctx.main, head,
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('span', {}, t('sales')), h('strong', { class: 'num', id: 'rep-sales' }, money(tot.sales))),
        h('div', { class: 'stat' }, h('span', {}, t('collected')), h('strong', { class: 'num' }, money(tot.collected.total))),
        h('div', { class: 'stat' }, h('span', {}, t('tips')), h('strong', { class: 'num' }, money(tot.tips.total))),
        h('div', { class: 'stat' }, h('span', {}, t('orders')), h('strong', {}, num(tot.orders_opened))),
        h('div', { class: 'stat' }, h('span', {}, t('items_sold')), h('strong', {}, num(tot.items_sold))),
        h('div', { class: 'stat' }, h('span', {}, t('cancelled_items')), h('strong', {}, `${num(tot.cancelled_items)} · ${money(tot.cancelled_value)}`))),
      empty ? h('p', { class: 'muted' }, t('no_data')) : [
        h('div', { class: 'two' },
          card(t('by_hour'), bars(hours, money)),
          card(t('pay_mix'), donut([{ label: t('cash'), value: rep.by_payment_method.cash }, { label: t('card'), value: rep.by_payment_method.card }], money))),
        h('div', { class: 'two' },
          card(t('by_waiter'), hbars(rep.waiters.map((w) => ({ label: w.name || `#${w.waiter_id}`, value: w.sales })).sort((a, b) => b.value - a.value), money)),
          card(t('by_category'), hbars(byCategory(), money))),
      ],
      card(t('by_waiter'), table([
        { label: t('waiter'), cell: (w) => w.name || `#${w.waiter_id}` },
        { label: t('orders_opened'), cls: 'r', cell: (w) => num(w.orders_opened) },
        { label: t('orders_closed'), cls: 'r', cell: (w) => num(w.orders_closed) },
        { label: t('items_sold'), cls: 'r', cell: (w) => num(w.items_sold) },
        { label: t('sales'), cls: 'r', cell: (w) => money(w.sales) },
        { label: t('cash'), cls: 'r', cell: (w) => money(w.collected.cash) },
        { label: t('card'), cls: 'r', cell: (w) => money(w.collected.card) },
        { label: t('tips'), cls: 'r', cell: (w) => money(w.tips.total) },
      ], rep.waiters)));
  }

  await load();
  return { onEvent(kind) { if ((kind === 'payment' || kind === 'order') && date === today()) load(); } };
}

async function history(ctx) {
  const f = { from: today(), to: today(), waiter_id: '', status: '', page: 1 };
  let res = null;
  let err = null;
  const staff = await get('/api/waiters/').catch(() => []);

  async function load() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== '' && v != null) q.set(k, v);
    try { res = await get(`/api/reports/orders/history?${q}`); err = null; } catch (e) { err = errText(e); res = null; }
    render();
  }

  function render() {
    if (!ctx.isCurrent()) return;
    const from = h('input', { type: 'date', value: f.from });
    const to = h('input', { type: 'date', value: f.to });
    const w = select([['', t('any')], ...staff.map((u) => [u.id, u.display_name])], f.waiter_id);
    const st = select([['', t('any')], ...['open', 'partially_paid', 'paid', 'closed', 'cancelled'].map((s) => [s, t(`status_${s}`)])], f.status);
    const pages = res ? Math.max(1, Math.ceil(res.total / res.page_size)) : 1;
    fill(ctx.main,
      card(t('nav_history'), h('form', {
        class: 'row filters',
        onsubmit: (e) => { e.preventDefault(); Object.assign(f, { from: from.value, to: to.value, waiter_id: w.value, status: st.value, page: 1 }); load(); },
      }, h('label', {}, t('from'), from), h('label', {}, t('to'), to), h('label', {}, t('waiter'), w), h('label', {}, t('col_status'), st),
      h('button', { class: 'btn primary', type: 'submit' }, t('search')))),
      err ? h('div', { class: 'banner bad' }, err) : null,
      res ? card(null, table([
        { label: '#', cell: (o) => h('a', { href: `#/order/${o.id}` }, `${o.number}`) },
        { label: t('col_table'), cell: (o) => o.table_label || o.table_number },
        { label: t('col_opened'), cell: (o) => fmtDateTime(o.opened_at) },
        { label: t('col_waiters'), cell: (o) => o.waiters.map((x) => x.name).join(', ') },
        { label: t('col_items'), cls: 'r', cell: (o) => num(o.items.filter((i) => i.status !== 'cancelled').length) },
        { label: t('col_total'), cls: 'r', cell: (o) => money(o.total) },
        { label: t('col_status'), cell: (o) => statusPill(o.status) },
      ], res.items),
      h('div', { class: 'row' },
        h('button', { class: 'btn small', disabled: f.page <= 1, onclick: () => { f.page -= 1; load(); } }, t('prev')),
        h('span', {}, t('page_x', { p: f.page, n: pages })),
        h('button', { class: 'btn small', disabled: f.page >= pages, onclick: () => { f.page += 1; load(); } }, t('next')))) : null);
  }

  await load();
  return {};
}

export default function reportsPage(ctx, arg, key) {
  return key === 'history' ? history(ctx) : shift(ctx);
}
