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

  async function loadNames() {
    const users = await get('/api/auth/users');
    names = Object.fromEntries(users.map((u) => [u.id, u.display_name]));
  }
  async function loadPrinters() {
    try { printers = fromStatus(await get('/api/system/status')); } catch { printers = []; }
  }
  async function loadTables() {
    tables = await get('/api/tables/');
  }
  async function loadGroups() {
    groups = await get('/api/tables/groups');
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

  let view = localStorage.getItem('posd.floorView') === 'plan' ? 'plan' : 'grid';

  /** The same tables where they stand (the floor plan of the Tables page), live. */
  function plan(list) {
    const box = h('div', { class: 'plan live' });
    for (const tb of list) {
      const o = tb.order;
      const el = h('a', {
        class: ['ptable', `s-${tb.status}`], href: o ? `#/order/${o.id}` : null,
        dataset: { table: tb.number, status: tb.status, total: o ? o.total : 0 },
        title: o ? `${who(o.waiters)} · ${money(o.total)}` : t('status_free'),
      }, h('span', {}, tb.label || tb.number), o ? h('small', { class: 'num' }, money(o.total)) : null);
      el.style.left = `${tb.floor_x ?? 5}%`;
      el.style.top = `${tb.floor_y ?? 5}%`;
      box.append(el);
    }
    return box;
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
        h('div', { class: 'floor-main' },
          h('div', { class: 'seg-row', role: 'radiogroup' }, ['grid', 'plan'].map((v) => h('button', {
            class: ['btn small', view === v && 'primary'], id: `view-${v}`, 'aria-pressed': String(view === v),
            onclick: () => { view = v; localStorage.setItem('posd.floorView', v); render(); },
          }, t(`view_${v}`)))),
          sections.filter(([, l]) => l.length).map(([name, list]) => card(name, view === 'plan'
            ? plan(list)
            : h('div', { class: 'fgrid' }, list.sort((a, b) => a.number - b.number).map(tile))))),
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

  // One fetch at a time, newest wins: events arriving while a fetch runs mark what is stale,
  // and one more round follows, so a slow answer can never overwrite a newer one.
  const TABLES = 1, GROUPS = 2, NAMES = 4, PRINTERS = 8;
  let stale = 0;
  let pulling = false;
  async function pull(what) {
    stale |= what;
    if (pulling) return;
    pulling = true;
    while (stale) {
      const now = stale;
      stale = 0;
      try {
        await Promise.all([
          now & TABLES ? loadTables() : null,
          now & GROUPS ? loadGroups() : null,
          now & NAMES ? loadNames() : null,
          now & PRINTERS ? loadPrinters() : null,
        ]);
      } catch { /* the offline banner says it */ }
      render();
    }
    pulling = false;
  }

  await Promise.all([loadTables(), loadGroups(), loadNames(), loadPrinters()]);
  render();
  return {
    onEvent(kind, d) {
      if (kind === 'printer') { applyEvent(printers, d); render(); }
      else if (kind === 'resync') pull(TABLES | GROUPS | NAMES | PRINTERS);
      else if (kind === 'staff') pull(NAMES);
      else if (kind === 'floor') pull(TABLES | GROUPS);
      else if (kind !== 'menu' && kind !== 'license') pull(TABLES);
    },
  };
}
