// The bill: every line of the order, paid or not; tick lines, choose cash or card, add a tip,
// pay; when nothing is due, close the table.

import { h, fill, toast } from '../shared/dom.js';
import { t, money, num, parseMoney, moneyInput } from '../shared/i18n.js';
import { post } from '../shared/api.js';
import { S, loadOrder, loadTables } from './store.js';
import { topBar, banners } from './app.js';
import { summary } from './order.js';

/** Identical lines (same thing, same choices, same state) shown as one row: "5× Spanakopita". */
function groups(items, products) {
  const out = [];
  const byKey = new Map();
  for (const i of items) {
    const sub = summary(products[i.product_id], {
      selected_options: i.selected_options.map((o) => o.id),
      removed_ingredients: i.removed_ingredients.map((r) => r.id),
      preferences: i.preferences.map((p) => ({ set_id: p.set_id, choice_id: p.choice_id })),
      notes: i.notes,
    });
    const key = JSON.stringify([i.status, i.name, i.unit_price, sub]);
    let g = byKey.get(key);
    if (!g) {
      g = { status: i.status, name: i.name, sub, items: [], quantity: 0, total: 0 };
      byKey.set(key, g);
      out.push(g);
    }
    g.items.push(i);
    g.quantity += i.quantity;
    g.total += i.line_total;
  }
  const rank = { active: 0, paid: 1, cancelled: 2 };
  return out.sort((a, b) => rank[a.status] - rank[b.status]);
}

export function billScreen(ctx, orderId) {
  const picked = new Set();
  let method = 'cash';
  let tip = 0;
  let busy = false;
  let error = null;
  let order = S.orders[orderId];
  let tipText = '';

  const unpaid = () => (order?.items || []).filter((i) => i.status === 'active');

  async function act(fn, okText) {
    if (busy) return;
    busy = true;
    error = null;
    refresh();
    try {
      order = await fn();
      S.orders[orderId] = order;
      toast(okText(order), 'ok', 4000);
      picked.clear();
      tip = 0;
      tipText = '';
      loadTables().catch(() => {});
    } catch (e) {
      error = e.offline ? t('offline') : t('error', { detail: e.detail });
    }
    busy = false;
    refresh();
  }

  function pay() {
    const ids = [...picked];
    const amount = unpaid().filter((i) => picked.has(i.id)).reduce((a, i) => a + i.line_total, 0);
    act(() => post(`/api/orders/${orderId}/pay`, { item_ids: ids, method, tip }),
      () => t('pay_done', { amount: money(amount + tip) }));
  }

  function closeTable() {
    act(() => post(`/api/orders/${orderId}/close`), (o) => t('closed_ok', { n: o.table_number })).then(() => {
      if (!error) location.hash = '#/tables';
    });
  }

  function refresh() {
    order = S.orders[orderId] || order;
    if (!order) {
      fill(ctx.root, topBar(t('bill'), null, { back: '#/tables' }), h('p', { class: 'pad' }, t('loading')));
      return;
    }
    const live = order.status !== 'closed' && order.status !== 'cancelled';
    for (const id of [...picked]) if (!unpaid().some((i) => i.id === id)) picked.delete(id);
    const selTotal = unpaid().filter((i) => picked.has(i.id)).reduce((a, i) => a + i.line_total, 0);
    const products = Object.fromEntries(S.products.map((p) => [p.id, p]));
    const tipInput = h('input', {
      class: 'tip-in num', inputmode: 'decimal', 'aria-label': t('tip'), value: tipText, placeholder: moneyInput(0),
      oninput: (e) => { tipText = e.target.value; const c = parseMoney(tipText); tip = c != null && c >= 0 ? c : 0; payBtn.textContent = payLabel(); },
    });
    const payLabel = () => t('pay_x', { amount: money(selTotal + tip), method: t(method) });
    const payBtn = h('button', { class: 'btn big primary', id: 'pay', disabled: busy || !picked.size, onclick: pay }, payLabel());
    const roundUp = () => {
      const target = Math.ceil((selTotal + 1) / 500) * 500;
      tip = target - selTotal;
      tipText = moneyInput(tip);
      refresh();
    };
    fill(ctx.root,
      h('div', { class: 'top' },
        topBar(`${t('bill')} · ${t('table_n', { n: order.table_label || order.table_number })}`, `${t('order_n', { n: order.number })}`,
          { back: live ? `#/order/${orderId}` : '#/tables' }),
        banners(orderId),
        error ? h('div', { class: 'banner bad', role: 'alert' }, error) : null),
      h('main', { class: 'bill' },
        h('div', { class: 'bill-totals' },
          h('div', {}, h('span', { class: 'muted' }, t('total')), h('strong', { class: 'num' }, money(order.total))),
          h('div', {}, h('span', { class: 'muted' }, t('paid')), h('strong', { class: 'num' }, money(order.paid_total))),
          h('div', { class: 'due' }, h('span', {}, t('due')), h('strong', { class: 'num', id: 'due' }, money(order.due)))),
        order.items.length === 0 ? h('p', { class: 'muted' }, t('no_items')) : null,
        unpaid().length ? h('div', { class: 'row' },
          h('span', { class: 'grow muted' }, t('pick_items')),
          h('button', {
            class: 'btn small', id: 'select-all',
            onclick: () => { if (picked.size === unpaid().length) picked.clear(); else unpaid().forEach((i) => picked.add(i.id)); refresh(); },
          }, picked.size === unpaid().length ? t('select_none') : t('select_all'))) : null,
        h('ul', { class: 'bill-lines' }, groups(order.items, products).map((g) => {
          const st = g.status;
          const ids = g.items.map((i) => i.id);
          const nSel = ids.filter((id) => picked.has(id)).length;
          const setSel = (n) => { ids.forEach((id, k) => (k < n ? picked.add(id) : picked.delete(id))); refresh(); };
          return h('li', {},
            h('button', {
              class: ['bl', st, nSel && 'sel'], disabled: st !== 'active' || !live, 'aria-pressed': String(nSel > 0), dataset: { item: g.name },
              onclick: () => setSel(nSel ? 0 : ids.length),
            },
            h('span', { class: 'box' }, st === 'paid' || nSel ? '✓' : ''),
            h('span', { class: 'grow' }, h('span', { class: 'bl-name' }, `${num(g.quantity)}× ${g.name}`),
              g.sub.length ? h('span', { class: 'bl-sub' }, g.sub.join(' · ')) : null),
            h('span', { class: 'bl-right' },
              h('span', { class: 'num' }, money(g.total)),
              st === 'paid' ? h('span', { class: 'pill ok' }, t('paid')) : st === 'cancelled' ? h('span', { class: 'pill bad' }, t('cancelled')) : null)),
            st === 'active' && live && ids.length > 1 && nSel ? h('div', { class: 'part-pick' },
              h('span', {}, t('selected')),
              h('button', { class: 'step', 'aria-label': '−', onclick: () => setSel(Math.max(0, nSel - 1)) }, '−'),
              h('output', { class: 'num' }, `${num(nSel)} / ${num(ids.length)}`),
              h('button', { class: 'step', 'aria-label': '+', onclick: () => setSel(Math.min(ids.length, nSel + 1)) }, '+')) : null);
        })),
        order.payments.length ? h('details', { class: 'payments' }, h('summary', {}, `${t('payments')} (${order.payments.length})`),
          order.payments.map((p) => h('div', { class: 'row' },
            h('span', { class: 'grow' }, `${new Date(p.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} · ${t(p.method)}`),
            h('span', { class: 'num' }, money(p.amount), p.tip ? ` + ${t('tip')} ${money(p.tip)}` : '')))) : null),
      live ? h('footer', { class: 'paybar' },
        order.due > 0 ? [
          h('div', { class: 'seg', role: 'radiogroup' }, ['cash', 'card'].map((m) => h('button', {
            class: ['segb', method === m && 'on'], id: `method-${m}`, 'aria-pressed': String(method === m),
            onclick: () => { method = m; refresh(); },
          }, t(m)))),
          h('div', { class: 'row tip-row' }, h('label', {}, t('tip')), tipInput,
            h('button', { class: 'btn small', onclick: () => { tip = 0; tipText = ''; refresh(); } }, money(0)),
            h('button', { class: 'btn small', disabled: !picked.size, onclick: roundUp }, t('round_up'))),
          payBtn,
        ] : h('div', {}, h('p', { class: 'ok-text' }, t('nothing_due')),
          h('button', { class: 'btn big go', id: 'close-table', disabled: busy, onclick: closeTable }, t('close_table', { n: order.table_label || order.table_number })))) : null);
  }

  refresh();
  loadOrder(orderId).then(() => refresh(), (e) => {
    if (e.status === 404 || e.status === 403) { toast(t('not_allowed', { detail: e.detail }), 'bad'); location.hash = '#/tables'; }
  });
  return { orderId, refresh };
}
