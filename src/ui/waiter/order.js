// The order screen: categories → products, the product sheet (options, one choice per
// preference set, ingredients to leave out, quantity, note), the cart and "Send".

import { h, fill, toast, sheet, append } from '../shared/dom.js';
import { t, money, num, itemsN } from '../shared/i18n.js';
import { S, loadOrder, cart, saveCart, addToCart, cartCount, cartTotal } from './store.js';
import * as outbox from './outbox.js';
import { topBar, banners, refreshSoon } from './app.js';

const hasChoices = (p) => p.options.length || p.ingredients.length || p.preference_sets.length;

/** The words under a line: "+ Cheddar · no Onions · Cooking: Medium · “no salt”". */
export function summary(p, l) {
  const out = [];
  for (const id of l.selected_options) out.push(`+ ${p?.options.find((o) => o.id === id)?.name ?? id}`);
  for (const pr of l.preferences) {
    const set = p?.preference_sets.find((x) => x.id === pr.set_id);
    out.push(`${set?.name ?? ''}: ${set?.choices.find((c) => c.id === pr.choice_id)?.name ?? pr.choice_id}`);
  }
  for (const id of l.removed_ingredients) out.push(t('no_x', { x: p?.ingredients.find((i) => i.id === id)?.name ?? id }));
  if (l.notes) out.push(`“${l.notes}”`);
  return out;
}

function unitPrice(p, opts, prefs) {
  let c = p.base_price;
  for (const id of opts) c += p.options.find((o) => o.id === id)?.extra_cost || 0;
  for (const pr of prefs) {
    c += p.preference_sets.find((s) => s.id === pr.set_id)?.choices.find((x) => x.id === pr.choice_id)?.price_delta || 0;
  }
  return c;
}

const line = (p, quantity, opts = [], removed = [], prefs = [], notes = '') => ({
  product_id: p.id,
  name: p.name,
  quantity,
  unit_price: unitPrice(p, opts, prefs),
  selected_options: [...opts].sort((a, b) => a - b),
  removed_ingredients: [...removed].sort((a, b) => a - b),
  preferences: [...prefs].sort((a, b) => a.set_id - b.set_id),
  notes: notes.trim(),
});

/** The product sheet. onAdd(line) when the waiter taps Add. */
function productSheet(p, onAdd) {
  const opts = new Set();
  const removed = new Set();
  const prefs = new Map(); // set id → choice id
  let qty = 1;
  const sh = sheet(p.name);
  const note = h('input', { type: 'text', class: 'note', maxlength: 200, placeholder: t('note'), 'aria-label': t('note') });
  const addBtn = h('button', { class: 'btn big go', id: 'add-to-cart' });
  const qtyOut = h('output', { class: 'qty num' });

  function update() {
    const missing = p.preference_sets.some((s) => s.required && !prefs.has(s.id));
    const prefList = [...prefs].map(([set_id, choice_id]) => ({ set_id, choice_id }));
    qtyOut.textContent = num(qty);
    addBtn.textContent = t('add_n', { n: num(qty), price: money(unitPrice(p, [...opts], prefList) * qty) });
    addBtn.disabled = missing;
  }
  const pill = (label, on, onclick, cls) => h('button', { class: ['choice', cls, on && 'on'], 'aria-pressed': String(!!on), onclick }, label);

  function body() {
    const parts = [];
    for (const set of p.preference_sets) {
      parts.push(h('h3', {}, set.name, set.required ? h('span', { class: 'muted' }, ` · ${t('required')}`) : null),
        h('div', { class: 'choices', role: 'radiogroup' }, set.choices.map((c) => pill(
          [c.name, c.price_delta ? ` ${c.price_delta > 0 ? '+' : '−'}${money(Math.abs(c.price_delta))}` : ''],
          prefs.get(set.id) === c.id,
          () => { if (prefs.get(set.id) === c.id && !set.required) prefs.delete(set.id); else prefs.set(set.id, c.id); redraw(); },
          'radio'))));
    }
    if (p.options.length) {
      parts.push(h('h3', {}, t('extras')), h('div', { class: 'choices' }, p.options.map((o) => pill(
        [`+ ${o.name}`, o.extra_cost ? ` ${money(o.extra_cost)}` : ''], opts.has(o.id),
        () => { opts.has(o.id) ? opts.delete(o.id) : opts.add(o.id); redraw(); }))));
    }
    if (p.ingredients.length) {
      parts.push(h('h3', {}, t('without')), h('div', { class: 'choices' }, p.ingredients.map((i) => pill(
        removed.has(i.id) ? ['✕ ', h('s', {}, i.name)] : i.name, removed.has(i.id),
        () => { removed.has(i.id) ? removed.delete(i.id) : removed.add(i.id); redraw(); }, 'without'))));
    }
    parts.push(h('h3', {}, t('quantity')), h('div', { class: 'stepper' },
      h('button', { class: 'step', 'aria-label': '−', onclick: () => { qty = Math.max(1, qty - 1); update(); } }, '−'),
      qtyOut,
      h('button', { class: 'step', 'aria-label': '+', onclick: () => { qty = Math.min(99, qty + 1); update(); } }, '+')));
    parts.push(note);
    return parts;
  }
  const choicesBox = h('div', {});
  function redraw() {
    fill(choicesBox, body());
    update();
  }
  addBtn.onclick = () => {
    onAdd(line(p, qty, opts, removed, [...prefs].map(([set_id, choice_id]) => ({ set_id, choice_id })), note.value));
    sh.close();
  };
  append(sh.body, [choicesBox]);
  sh.el.append(h('div', { class: 'sheet-foot' }, addBtn));
  redraw();
}

export function orderScreen(ctx, orderId) {
  let error = null; // text of the last refused send
  let sending = false;
  const state = { orderId, refresh };
  let order = S.orders[orderId];

  const lines = () => cart(orderId);

  function send() {
    const c = lines();
    if (!c.length || sending) return;
    sending = true;
    error = null;
    saveCart(orderId, []);
    refresh();
    const tableNo = order?.table_number ?? '?';
    outbox.send(orderId, tableNo, c).then((r) => {
      sending = false;
      const n = itemsN(cartCount(c));
      if (r.ok) {
        S.orders[orderId] = r.order;
        toast(t('sent', { table: tableNo, n }), 'ok', 4000);
        refreshSoon();
        if (location.hash === `#/order/${orderId}`) location.hash = '#/tables';
        return;
      }
      if (r.error) {
        addToCart(orderId, c);
        error = t('not_sent', { detail: r.error.detail });
      }
      // offline: the batch waits in the outbox; the banner says so and it resends by itself.
      if (location.hash === `#/order/${orderId}`) refresh();
    });
  }

  function openCart() {
    const sh = sheet(t('cart'));
    const draw = () => {
      const c = lines();
      fill(sh.body,
        c.length === 0 ? h('p', { class: 'muted' }, t('cart_empty')) : null,
        h('ul', { class: 'cart-lines' }, c.map((l) => {
          const p = S.products.find((x) => x.id === l.product_id);
          const setQty = (q) => {
            const all = lines();
            const x = all.find((y) => y.id === l.id);
            if (!x) return;
            x.quantity = q;
            saveCart(orderId, all.filter((y) => y.quantity > 0));
            draw();
            refresh();
          };
          return h('li', { class: 'cart-line' },
            h('div', { class: 'grow' },
              h('div', { class: 'cl-name' }, `${num(l.quantity)}× ${l.name}`),
              summary(p, l).map((s) => h('div', { class: ['cl-sub', s.startsWith(t('no_x', { x: '' }).trim()) && 'no'] }, s))),
            h('div', { class: 'cl-right' },
              h('div', { class: 'num' }, money(l.quantity * l.unit_price)),
              h('div', { class: 'stepper small' },
                h('button', { class: 'step', 'aria-label': '−', onclick: () => setQty(l.quantity - 1) }, l.quantity === 1 ? '✕' : '−'),
                h('button', { class: 'step', 'aria-label': '+', onclick: () => setQty(Math.min(99, l.quantity + 1)) }, '+'))));
        })));
      const foot = sh.el.querySelector('.sheet-foot') || sh.el.appendChild(h('div', { class: 'sheet-foot' }));
      fill(foot, h('button', {
        class: 'btn big go', id: 'cart-send', disabled: !c.length,
        onclick: () => { sh.close(); send(); },
      }, c.length ? `${t('send_all', { n: itemsN(cartCount(c)) })} · ${money(cartTotal(c))}` : t('send')));
    };
    draw();
  }

  function tapProduct(p) {
    if (!p.is_available) return;
    if (hasChoices(p)) {
      productSheet(p, (l) => { addToCart(orderId, [l]); refresh(); });
    } else {
      addToCart(orderId, [line(p, 1)]);
      toast(t('added', { name: p.name }), 'ok', 1200);
      refresh();
    }
  }

  function refresh() {
    order = S.orders[orderId] || order;
    if (order && (order.status === 'closed' || order.status === 'cancelled')) {
      fill(ctx.root, topBar(t('table_n', { n: order.table_number }), null, { back: '#/tables' }),
        h('p', { class: 'pad' }, t('order_gone')));
      return;
    }
    const c = lines();
    const catScroll = ctx.root.querySelector('.cats')?.scrollLeft || 0;
    const inCart = (pid) => c.filter((l) => l.product_id === pid).reduce((a, l) => a + l.quantity, 0);
    const cats = S.categories;
    const prods = S.products.filter((p) => p.category_id === S.category).sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name));
    const title = order ? t('table_n', { n: order.table_label || order.table_number }) : t('loading');
    const sub = order ? `#${order.number} · ${money(order.total)}` : null;
    fill(ctx.root,
      h('div', { class: 'top' },
        topBar(title, sub, { back: '#/tables', extra: h('button', { class: 'btn ghost small', id: 'to-bill', onclick: () => { location.hash = `#/bill/${orderId}`; } }, t('bill')) }),
        banners(orderId),
        error ? h('div', { class: 'banner bad', role: 'alert', id: 'send-error' }, error) : null,
        h('nav', { class: 'cats' }, cats.map((cat) => h('button', {
          class: ['cat', cat.id === S.category && 'on'],
          css: cat.color ? { '--c': cat.color } : null,
          onclick: () => { S.category = cat.id; refresh(); },
        }, cat.name)))),
      h('main', { class: 'products' },
        prods.length === 0 ? h('p', { class: 'pad muted' }, t('empty_category')) : null,
        prods.map((p) => h('button', {
          class: ['product', !p.is_available && 'off'],
          dataset: { product: p.name },
          disabled: !p.is_available,
          onclick: () => tapProduct(p),
        },
        h('span', { class: 'pname' }, p.name, !p.is_available ? h('span', { class: 'pill bad' }, t('unavailable')) : null),
        inCart(p.id) ? h('span', { class: 'incart' }, num(inCart(p.id))) : null,
        h('span', { class: 'pprice num' }, money(p.base_price)),
        h('span', { class: 'chev' }, hasChoices(p) ? '›' : '+')))),
      h('footer', { class: 'cartbar' },
        h('button', { class: 'cart-sum', id: 'open-cart', onclick: openCart, disabled: !c.length },
          h('span', { class: 'cs-n' }, c.length ? itemsN(cartCount(c)) : t('cart_empty')),
          c.length ? h('span', { class: 'cs-t num' }, money(cartTotal(c))) : null),
        h('button', { class: 'btn go send', id: 'send', disabled: !c.length || sending, onclick: send }, sending ? t('sending') : t('send'))));
    const nav = ctx.root.querySelector('.cats');
    if (nav) nav.scrollLeft = catScroll;
  }

  refresh();
  loadOrder(orderId).then(() => refresh(), (e) => {
    if (e.status === 404 || e.status === 403) { toast(t('not_allowed', { detail: e.detail }), 'bad'); location.hash = '#/tables'; }
  });
  return state;
}
