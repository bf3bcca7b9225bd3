// The waiter app's data: what posd told us last (tables, menu, orders, printers) and the cart
// of each order, kept in localStorage so a reload or a dead battery loses nothing.

import { get } from '../shared/api.js';
import { fromStatus } from '../shared/printers.js';

export const S = {
  user: null,
  assists: [],
  names: {}, // user id → display name
  tables: [],
  groups: [],
  products: [],
  categories: [],
  printers: [],
  orders: {}, // id → order JSON
  live: true,
  category: null,
};

export async function loadTables() {
  const [tables, groups] = await Promise.all([get('/api/tables/'), get('/api/tables/groups')]);
  S.tables = tables;
  S.groups = groups;
}

export async function loadNames() {
  const users = await get('/api/auth/users');
  S.names = Object.fromEntries(users.map((u) => [u.id, u.display_name]));
}

export async function loadMe() {
  const me = await get('/api/auth/me');
  S.user = me;
  S.assists = me.assists || [];
}

export async function loadMenu() {
  const [products, categories] = await Promise.all([get('/api/products/'), get('/api/products/categories')]);
  S.products = products;
  S.categories = categories.filter((c) => products.some((p) => p.category_id === c.id));
  if (products.some((p) => p.category_id == null)) S.categories.push({ id: null, name: '…', color: null });
  if (!S.categories.some((c) => c.id === S.category)) S.category = S.categories[0]?.id ?? null;
}

export async function loadPrinters() {
  try {
    const st = await get('/api/system/status');
    S.printers = fromStatus(st);
  } catch (e) {
    if (e.offline) throw e;
    S.printers = []; // older posd or no permission: no printer line, nothing else breaks
  }
}

export async function loadOrder(id) {
  const o = await get(`/api/orders/${id}`);
  S.orders[id] = o;
  return o;
}

/** Is this table's order mine (or of a waiter I assist)? */
export function isMine(order) {
  if (!order || !S.user) return false;
  const ws = order.waiters || [];
  const ids = ws.map((w) => (typeof w === 'object' ? w.id : w));
  return ids.includes(S.user.id) || ids.some((w) => S.assists.includes(w));
}

export const tableById = (id) => S.tables.find((t) => t.id === id);

// ---- carts (per order, in localStorage) ----

const cartKey = (orderId) => `posd.cart.${orderId}`;

export function cart(orderId) {
  try { return JSON.parse(localStorage.getItem(cartKey(orderId)) || '[]'); } catch { return []; }
}

export function saveCart(orderId, lines) {
  if (lines.length) localStorage.setItem(cartKey(orderId), JSON.stringify(lines));
  else localStorage.removeItem(cartKey(orderId));
}

const same = (a, b) => a.product_id === b.product_id && (a.notes || '') === (b.notes || '')
  && JSON.stringify(a.selected_options) === JSON.stringify(b.selected_options)
  && JSON.stringify(a.removed_ingredients) === JSON.stringify(b.removed_ingredients)
  && JSON.stringify(a.preferences) === JSON.stringify(b.preferences);

/** Add lines to an order's cart, merging identical ones. */
export function addToCart(orderId, lines) {
  const c = cart(orderId);
  for (const l of lines) {
    const hit = c.find((x) => same(x, l));
    if (hit) hit.quantity += l.quantity;
    else c.push({ ...l, id: `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` });
  }
  saveCart(orderId, c);
  return c;
}

export const cartCount = (lines) => lines.reduce((n, l) => n + l.quantity, 0);
export const cartTotal = (lines) => lines.reduce((n, l) => n + l.quantity * l.unit_price, 0);
