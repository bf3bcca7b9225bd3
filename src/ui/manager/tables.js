// Tables and rooms: groups, batch creation, editing, and the floor plan where tables are
// dragged to where they stand (saved as percentages, so any screen shows the same plan).

import { h, fill, toast, confirmSheet } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { get, post, put, del } from '../shared/api.js';
import { card, table, run, formSheet, select } from './ui.js';

export default async function tablesPage(ctx) {
  let tables = [];
  let groups = [];
  let planGroup = null;
  const load = async () => { [tables, groups] = await Promise.all([get('/api/tables/'), get('/api/tables/groups')]); };
  const reload = async () => { await load(); render(); };
  const gname = (id) => groups.find((g) => g.id === id)?.name || '—';
  const gopts = () => [['', '—'], ...groups.map((g) => [g.id, g.name])];

  function editGroup(g) {
    formSheet(g ? `${t('edit')}: ${g.name}` : t('new_x', { x: t('group') }), [
      { name: 'name', label: t('col_name'), value: g?.name, required: true },
      { name: 'sort_order', label: t('sort_order'), kind: 'number', value: g?.sort_order ?? groups.length + 1 },
    ], async (v) => { if (g) await put(`/api/tables/groups/${g.id}`, v); else await post('/api/tables/groups', v); reload(); });
  }

  function batch() {
    formSheet(t('batch'), [
      { name: 'start', label: t('start'), kind: 'number', value: Math.max(0, ...tables.map((x) => x.number)) + 1 },
      { name: 'count', label: t('count'), kind: 'number', value: 5 },
      { name: 'group_id', label: t('group'), kind: 'select', options: gopts(), value: planGroup },
      { name: 'prefix', label: t('prefix') },
    ], async (v) => { await post('/api/tables/batch', { ...v, prefix: v.prefix || null }); toast(t('saved'), 'ok'); reload(); });
  }

  function editTable(x) {
    formSheet(`${t('edit')}: ${t('table_n', { n: x.number })}`, [
      { name: 'number', label: t('number'), kind: 'number', value: x.number },
      { name: 'label', label: t('label'), value: x.label || '' },
      { name: 'group_id', label: t('group'), kind: 'select', options: gopts(), value: x.group_id },
      { name: 'seats', label: t('seats'), kind: 'number', value: x.seats },
      { name: 'is_active', label: t('in_use'), kind: 'check', value: x.is_active },
    ], async (v) => { await put(`/api/tables/${x.id}`, { ...v, label: v.label || null }); reload(); });
  }

  /** Drag a table on the plan; on drop save floor_x/floor_y in percent of the plan. */
  function plan(list) {
    const box = h('div', { class: 'plan', id: 'floor-plan' });
    for (const x of list) {
      const el = h('div', { class: ['ptable', x.order && 'busy'], dataset: { table: x.number }, tabindex: 0 }, x.label || x.number);
      el.style.left = `${x.floor_x ?? 5}%`;
      el.style.top = `${x.floor_y ?? 5}%`;
      el.addEventListener('pointerdown', (e) => {
        e.preventDefault();
        el.setPointerCapture(e.pointerId);
        const r = box.getBoundingClientRect();
        const move = (m) => {
          const px = Math.min(95, Math.max(0, ((m.clientX - r.left) / r.width) * 100 - 3));
          const py = Math.min(92, Math.max(0, ((m.clientY - r.top) / r.height) * 100 - 4));
          el.style.left = `${px}%`;
          el.style.top = `${py}%`;
          el.dataset.x = px.toFixed(1);
          el.dataset.y = py.toFixed(1);
        };
        const up = async () => {
          el.removeEventListener('pointermove', move);
          el.removeEventListener('pointerup', up);
          if (el.dataset.x == null) return;
          const body = { floor_x: Number(el.dataset.x), floor_y: Number(el.dataset.y) };
          delete el.dataset.x;
          delete el.dataset.y;
          await run(() => put(`/api/tables/${x.id}/floorplan`, body), t('moved', { n: x.number }));
        };
        el.addEventListener('pointermove', move);
        el.addEventListener('pointerup', up);
      });
      box.append(el);
    }
    return box;
  }

  function render() {
    if (!ctx.isCurrent()) return;
    if (planGroup == null || !groups.some((g) => g.id === planGroup)) planGroup = groups[0]?.id ?? null;
    const inPlan = tables.filter((x) => x.is_active && x.group_id === planGroup);
    fill(ctx.main,
      card(t('groups'),
        h('ul', { class: 'plain' }, groups.map((g) => h('li', { class: 'row' },
          h('strong', { class: 'grow' }, g.name), h('span', { class: 'muted' }, `${tables.filter((x) => x.group_id === g.id).length}`),
          h('button', { class: 'btn small', onclick: () => editGroup(g) }, t('edit')),
          h('button', { class: 'btn small danger', onclick: async () => {
            if (await confirmSheet(t('delete'), t('confirm_delete', { x: g.name }), t('delete'), true)) { await run(() => del(`/api/tables/groups/${g.id}`), t('deleted')); reload(); }
          } }, '✕')))),
        h('div', { class: 'row' }, h('button', { class: 'btn', onclick: () => editGroup(null) }, t('new_x', { x: t('group') })),
          h('button', { class: 'btn primary', id: 'batch', onclick: batch }, t('batch')))),
      card(t('floor_plan'),
        h('div', { class: 'row' }, select(groups.map((g) => [g.id, g.name]), planGroup, { onchange: (e) => { planGroup = Number(e.target.value); render(); } }),
          h('span', { class: 'muted' }, t('drag_hint'))),
        plan(inPlan)),
      card(t('nav_tables'), table([
        { label: t('number'), cell: (x) => h('strong', {}, x.number) },
        { label: t('label'), cell: (x) => x.label || '' },
        { label: t('group'), cell: (x) => gname(x.group_id) },
        { label: t('seats'), cell: (x) => x.seats ?? '' },
        { label: t('col_status'), cell: (x) => t(`status_${x.status}`) },
        { label: '', cls: 'actions', cell: (x) => h('button', { class: 'btn small', onclick: () => editTable(x) }, t('edit')) },
      ], [...tables].sort((a, b) => a.number - b.number))));
  }

  await load();
  render();
  return { onEvent(kind) { if (kind === 'floor' || kind === 'table' || kind === 'resync') reload().catch(() => {}); } };
}
