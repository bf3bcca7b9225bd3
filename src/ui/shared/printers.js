// Printer trouble as people say it: "Kitchen: paper out, 3 waiting". Works with or without the
// state/queued fields (older posd versions report printers without them).

import { t, has, num } from './i18n.js';

const FINE = new Set(['ok', 'ready', 'online', 'idle', 'printing', 'unknown']);

/**
 * Printers from GET /api/system/status: the settings in `printers[]`, the live side either on
 * each printer (`state`, `queued`) or in `printer_states[]` by `printer_id`.
 */
export function fromStatus(st) {
  const live = new Map((st?.printer_states || []).map((x) => [x.printer_id, x]));
  return (st?.printers || []).map((p) => {
    const l = live.get(p.id);
    return l ? { ...p, state: l.state, queued: l.queued, detail: l.detail, held: l.held } : { ...p };
  });
}

/** Merge a `printer` live event into a list of printers. */
export function applyEvent(list, ev) {
  const p = list.find((x) => x.id === ev.printer_id);
  if (p) { p.state = ev.state; p.queued = ev.queued; }
  return list;
}

export function stateText(state) {
  if (!state) return t('pstate_unknown');
  const k = `pstate_${state}`;
  return has(k) ? t(k) : state.replace(/_/g, ' ');
}

export function inTrouble(p) {
  if (typeof p.state !== 'string' || FINE.has(p.state)) return false;
  // Switched off on purpose: trouble only when tickets are waiting for it.
  if (p.state === 'inactive' || p.is_active === false) return p.queued > 0;
  return true;
}

/** One line per printer in trouble. */
export function troubleLines(list) {
  return (list || []).filter(inTrouble).map((p) => {
    const q = p.queued > 0 ? `, ${t('n_waiting', { n: num(p.queued) })}` : '';
    return `${p.name}: ${stateText(p.state)}${q}`;
  });
}
