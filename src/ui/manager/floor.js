// The live floor: every table with its order, the open orders, totals, who is working and
// the printers. Refetched on each live event (events carry ids, not data).

import { h, fill } from '../shared/dom.js';
import { t, money, num } from '../shared/i18n.js';
import { get } from '../shared/api.js';
import { applyEvent, stateText, inTrouble, fromStatus } from '../shared/printers.js';
import { card, table, statusPill, fmtTime } from './ui.js';

export default async function floor(ctx) {
  let tables = [];
  let groups = [];
  let names = {};
  let printers = [];
  let timer = null;

  async function loadNames() {
    const users = await get('/api/auth/users');
    names = Object.fromEntries(users.map((u) => [u.id, u.display_name]));
  }
  async function loadPrinters() {
    try { printers = fromStatus(await get('/api/system/status')); } catch { printers = []; }
  }
  async function loadTables() {
    [tables, groups] = await Promise.all([get('/api/tables/'), get('/api/tables/groups')]);
  }

  const who = (ids) => ids.map((id) => names[id] || `#${id}`).join(', ');

  function tile(tb) {
    const o = tb.order;
    return h('a', {
      class: ['ftile', `s-${tb.status}`],
      href: o ? `#/order/${o.id}` : null,
      dataset: { table: tb.number, status: tb.status, total: o ? o.total : 0, items: o ? o.items : 0 },
    },
    h('span', { class: 'fnum' }, tb.label || tb.number),
    o ? h('span', { class: 'ftotal num' }, money(o.total)) : h('span', { class: 'fidle' }, t('status_free')),
    o ? h('span', { class: 'fwho' }, who(o.waiters)) : null,
    o && o.due !== o.total ? h('span', { class: 'fdue num' }, `${t('col_due')} ${money(o.due)}`) : null);
  }

  function render() {
    if (!ctx.isCurrent()) return;
    const active = tables.filter((x) => x.is_active);
    const busy = active.filter((x) => x.order);
    const openTotal = busy.reduce((a, x) => a + x.order.total, 0);
    const openDue = busy.reduce((a, x) => a + x.order.due, 0);
    const perWaiter = {};
    for (const x of busy) for (const w of x.order.waiters) {
      perWaiter[w] = perWaiter[w] || { tables: 0, total: 0 };
      perWaiter[w].tables += 1;
      perWaiter[w].total += x.order.total;
    }
    const sorted = [...groups].sort((a, b) => a.sort_order - b.sort_order || a.id - b.id);
    const sections = sorted.map((g) => [g.name, active.filter((x) => x.group_id === g.id)]);
    sections.push([t('ungrouped'), active.filter((x) => !groups.some((g) => g.id === x.group_id))]);
    fill(ctx.main,
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('span', {}, t('busy_tables')), h('strong', { id: 'busy-count' }, `${num(busy.length)} / ${num(active.length)}`)),
        h('div', { class: 'stat' }, h('span', {}, t('open_orders')), h('strong', {}, num(busy.length))),
        h('div', { class: 'stat' }, h('span', {}, t('open_total')), h('strong', { class: 'num', id: 'open-total' }, money(openTotal))),
        h('div', { class: 'stat' }, h('span', {}, t('open_due')), h('strong', { class: 'num' }, money(openDue)))),
      printers.length ? h('div', { class: 'printer-row' }, h('strong', {}, `${t('printers_state')}:`), printers.map((p) => h('span', {
        class: ['pill', inTrouble(p) ? 'bad' : p.state ? 'ok' : null], dataset: { printer: p.name },
      }, `${p.name}: ${p.state ? stateText(p.state) : '—'}${p.queued ? ` · ${t('n_waiting', { n: num(p.queued) })}` : ''}`))) : null,
      h('div', { class: 'floor-cols' },
        h('div', { class: 'floor-main' }, sections.filter(([, l]) => l.length).map(([name, list]) => card(name,
          h('div', { class: 'fgrid' }, list.sort((a, b) => a.number - b.number).map(tile))))),
        h('div', { class: 'floor-side' },
          card(t('waiters_on'), Object.keys(perWaiter).length ? h('ul', { class: 'plain' }, Object.entries(perWaiter).map(([w, v]) => h('li', { class: 'row' },
            h('span', { class: 'grow' }, names[w] || `#${w}`), h('span', { class: 'muted' }, `${num(v.tables)} · `), h('strong', { class: 'num' }, money(v.total))))) : h('p', { class: 'muted' }, t('none'))),
          card(t('open_orders'), busy.length ? table([
            { label: t('col_table'), cell: (x) => h('a', { href: `#/order/${x.order.id}` }, `${x.label || x.number}`) },
            { label: '#', cell: (x) => x.order.number },
            { label: t('col_opened'), cell: (x) => fmtTime(x.order.opened_at) },
            { label: t('col_total'), cls: 'r', cell: (x) => money(x.order.total) },
            { label: t('col_status'), cell: (x) => statusPill(x.order.status) },
          ], busy.sort((a, b) => a.order.opened_at.localeCompare(b.order.opened_at))) : h('p', { class: 'muted' }, t('no_open_orders'))))));
  }

  function soon(what) {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        if (what === 'all') await Promise.all([loadTables(), loadNames(), loadPrinters()]);
        else await loadTables();
      } catch { /* the offline banner says it */ }
      render();
    }, what === 'all' ? 100 : 15);
  }

  await Promise.all([loadTables(), loadNames(), loadPrinters()]);
  render();
  return {
    onEvent(kind, d) {
      if (kind === 'printer') { applyEvent(printers, d); render(); }
      else if (kind === 'resync' || kind === 'staff') soon('all');
      else if (kind !== 'menu' && kind !== 'license') soon('tables');
    },
  };
}
