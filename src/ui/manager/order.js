// One order, with the manager's actions: change quantities, cancel items, cancel the whole
// order, add or remove waiters, print the bill, close it when nothing is due.

import { h, fill, confirmSheet } from '../shared/dom.js';
import { t, money, num } from '../shared/i18n.js';
import { get, put, del, post } from '../shared/api.js';
import { card, table, run, statusPill, fmtTime, select, formSheet } from './ui.js';

export default async function orderPage(ctx, arg) {
  const id = Number(arg);
  let o = null;
  let staff = [];
  let printers = [];

  async function load() {
    o = await get(`/api/orders/${id}`);
  }

  const act = async (fn, ok) => {
    const r = await run(fn, ok);
    if (r && r.id) o = r;
    render();
  };

  function lineText(i) {
    const parts = [];
    for (const x of i.selected_options) parts.push(`+ ${x.name}`);
    for (const x of i.preferences) parts.push(`${x.set_name}: ${x.choice_name}`);
    for (const x of i.removed_ingredients) parts.push(t('no_x', { x: x.name }));
    if (i.notes) parts.push(`“${i.notes}”`);
    return parts.join(' · ');
  }

  function render() {
    if (!ctx.isCurrent()) return;
    const live = o.status !== 'closed' && o.status !== 'cancelled';
    const others = staff.filter((u) => !o.waiters.some((w) => w.id === u.id) && u.is_active);
    const waiterSel = select([['', '—'], ...others.map((u) => [u.id, u.display_name])], '');
    const printerSel = select(printers.map((p) => [p.id, p.name]), printers[0]?.id);
    fill(ctx.main,
      h('div', { class: 'row page-head' },
        h('a', { class: 'btn small', href: '#/floor' }, `← ${t('nav_floor')}`),
        h('h2', { class: 'grow' }, `${t('table_n', { n: o.table_label || o.table_number })} · ${t('order_n', { n: o.number })}`),
        statusPill(o.status)),
      h('p', { class: 'muted' }, t('opened_by', { name: o.opened_by_name || o.opened_by, time: fmtTime(o.opened_at) })),
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('span', {}, t('total')), h('strong', { class: 'num' }, money(o.total))),
        h('div', { class: 'stat' }, h('span', {}, t('paid')), h('strong', { class: 'num' }, money(o.paid_total))),
        h('div', { class: 'stat' }, h('span', {}, t('due')), h('strong', { class: 'num' }, money(o.due))),
        h('div', { class: 'stat' }, h('span', {}, t('tips')), h('strong', { class: 'num' }, money(o.tips)))),
      card(t('col_items'), o.items.length ? table([
        { label: t('col_qty'), cls: 'r', cell: (i) => num(i.quantity) },
        { label: t('col_name'), cell: (i) => h('div', {}, h('strong', {}, i.name), h('div', { class: 'muted small' }, lineText(i))) },
        { label: t('col_price'), cls: 'r', cell: (i) => money(i.line_total) },
        { label: t('col_status'), cell: (i) => statusPill(i.status) },
        { label: '', cls: 'actions', cell: (i) => (live && i.status === 'active' ? [
          h('button', { class: 'btn small', onclick: () => editQty(i) }, t('set_qty')),
          h('button', { class: 'btn small danger', onclick: () => cancelItem(i) }, t('cancel_item')),
        ] : null) },
      ], o.items) : h('p', { class: 'muted' }, t('no_items'))),
      h('div', { class: 'two' },
        card(t('col_waiters'),
          h('ul', { class: 'plain' }, o.waiters.map((w) => h('li', { class: 'row' }, h('span', { class: 'grow' }, w.name || `#${w.id}`),
            live && o.waiters.length > 1 ? h('button', { class: 'btn small', onclick: () => act(() => del(`/api/orders/${id}/waiters/${w.id}`)) }, t('remove_waiter')) : null))),
          live ? h('div', { class: 'row' }, waiterSel, h('button', {
            class: 'btn small primary',
            onclick: () => waiterSel.value && act(() => put(`/api/orders/${id}/assign-waiter`, { waiter_id: Number(waiterSel.value) })),
          }, t('assign'))) : null),
        card(t('payments'), o.payments.length ? table([
          { label: '', cell: (p) => fmtTime(p.at) },
          { label: '', cell: (p) => t(p.method) },
          { label: t('total'), cls: 'r', cell: (p) => money(p.amount) },
          { label: t('tip'), cls: 'r', cell: (p) => money(p.tip) },
        ], o.payments) : h('p', { class: 'muted' }, '—'))),
      live ? card(null, h('div', { class: 'row' },
        printers.length ? [printerSel, h('button', { class: 'btn', onclick: () => run(() => post(`/api/orders/${id}/print-bill`, { printer_id: Number(printerSel.value) }), t('done')) }, t('print_bill'))] : null,
        h('span', { class: 'grow' }),
        o.due === 0 ? h('button', { class: 'btn go', onclick: () => act(() => post(`/api/orders/${id}/close`), t('done')) }, t('close_order')) : null,
        h('button', { class: 'btn danger', id: 'cancel-order', onclick: cancelOrder }, t('cancel_order')))) : null);
  }

  function editQty(i) {
    formSheet(`${t('set_qty')}: ${i.name}`, [
      { name: 'quantity', label: t('quantity'), kind: 'number', value: i.quantity },
      { name: 'notes', label: t('notes'), kind: 'text', value: i.notes || '' },
    ], async (v) => {
      o = await put(`/api/orders/${id}/items/${i.id}`, { quantity: v.quantity, notes: v.notes || null });
      render();
    });
  }

  async function cancelItem(i) {
    if (await confirmSheet(t('cancel_item'), t('cancel_item_q', { x: `${i.quantity}× ${i.name}` }), t('cancel_item'), true)) {
      act(() => del(`/api/orders/${id}/items/${i.id}`), t('done'));
    }
  }

  async function cancelOrder() {
    if (await confirmSheet(t('cancel_order'), t('cancel_order_q', { n: o.number, t: o.table_number }), t('cancel_order'), true)) {
      act(() => del(`/api/orders/${id}`), t('done'));
    }
  }

  await load();
  [staff, printers] = await Promise.all([
    get('/api/waiters/').catch(() => []),
    get('/api/system/printers').catch(() => []),
  ]);
  render();
  return {
    onEvent(kind, d) {
      if ((d.order_id === id || kind === 'resync') && ctx.isCurrent()) load().then(render, () => {});
    },
  };
}
