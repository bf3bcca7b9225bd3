// Batches on their way to the kitchen. A batch is written here, with its Idempotency-Key,
// BEFORE it is sent; it leaves only when posd answered. If posd is unreachable it stays and is
// resent later with the SAME key, so a batch that did reach posd is never added twice.

import { post } from '../shared/api.js';
import { randomKey } from '../shared/dom.js';
import { S } from './store.js';

const KEY = 'posd.outbox';
const inflight = new Set();

function all() {
  try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch { return []; }
}
function save(list) {
  if (list.length) localStorage.setItem(KEY, JSON.stringify(list));
  else localStorage.removeItem(KEY);
}
const drop = (key) => save(all().filter((e) => e.key !== key));

/** Unsent batches of the logged-in user (optionally of one order). */
export function pending(orderId) {
  return all().filter((e) => e.user_id === S.user?.id && (orderId == null || e.order_id === orderId));
}

const toApi = (l) => ({
  product_id: l.product_id,
  quantity: l.quantity,
  selected_options: l.selected_options,
  removed_ingredients: l.removed_ingredients,
  preferences: l.preferences,
  notes: l.notes || null,
});

/**
 * Try one batch. Resolves {ok, order} when posd took it, {offline} when posd could not be
 * reached (the batch stays queued), {error} when posd refused it (the batch is dropped; the
 * caller gives the lines back to the cart).
 */
async function attempt(entry) {
  if (inflight.has(entry.key)) return { busy: true };
  inflight.add(entry.key);
  try {
    const order = await post(`/api/orders/${entry.order_id}/items`, { items: entry.lines.map(toApi) },
      { headers: { 'idempotency-key': entry.key }, timeout: 15000 });
    drop(entry.key);
    return { ok: true, order };
  } catch (e) {
    if (e.offline) return { offline: true };
    drop(entry.key);
    return { error: e };
  } finally {
    inflight.delete(entry.key);
  }
}

/** Queue a batch and send it now. */
export function send(orderId, tableNumber, lines) {
  const entry = { key: randomKey(), order_id: orderId, table_number: tableNumber, lines, user_id: S.user?.id, at: Date.now() };
  save([...all(), entry]);
  return attempt(entry).then((r) => ({ ...r, entry }));
}

/** Resend everything queued; onResult(entry, result) for each batch that got an answer. */
export async function flush(onResult) {
  for (const entry of pending()) {
    const r = await attempt(entry);
    if (r.offline) return;
    if (!r.busy) onResult(entry, r);
  }
}
