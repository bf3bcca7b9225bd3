// Staff: create accounts, reset PINs, block and unblock, unlock after wrong PINs, assistants.

import { h, fill, confirmSheet } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { get, post, put, del } from '../shared/api.js';
import { card, table, run, formSheet, fmtDateTime } from './ui.js';

export default async function staffPage(ctx) {
  let users = [];
  const load = async () => { users = await get('/api/waiters/'); };
  const reload = async () => { await load(); render(); };
  const name = (id) => users.find((u) => u.id === id)?.display_name || `#${id}`;
  const act = async (fn, ok) => { await run(fn, ok); reload(); };

  function create() {
    formSheet(t('new_x', { x: t('staff') }), [
      { name: 'display_name', label: t('display_name'), required: true },
      { name: 'username', label: t('username'), required: true },
      { name: 'role', label: t('role'), kind: 'select', numeric: false, value: 'waiter', options: ['waiter', 'manager'].map((r) => [r, t(`role_${r}`)]) },
      { name: 'pin', label: t('pin'), kind: 'password', required: true },
    ], async (v) => { await post('/api/waiters/', v); reload(); });
  }

  function resetPin(u) {
    formSheet(`${t('reset_pin')}: ${u.display_name}`, [{ name: 'pin', label: t('pin'), kind: 'password', required: true }],
      async (v) => { await put(`/api/waiters/${u.id}/reset-pin`, v); reload(); });
  }

  function assistant(u) {
    const others = users.filter((x) => x.id !== u.id && x.is_active);
    formSheet(`${t('set_assistant')}: ${u.display_name}`, [
      { name: 'assistant_id', label: t('col_assistant'), kind: 'select', value: u.assistant_id, options: others.map((x) => [x.id, x.display_name]) },
    ], async (v) => { await post(`/api/waiters/${u.id}/assign-assistant`, v); reload(); });
  }

  function state(u) {
    if (!u.is_active) return h('span', { class: 'pill bad' }, t('blocked'));
    if (u.locked_until && new Date(u.locked_until) > new Date()) return h('span', { class: 'pill warn' }, t('locked_until', { time: fmtDateTime(u.locked_until) }));
    return h('span', { class: 'pill ok' }, t('status_active'));
  }

  function render() {
    if (!ctx.isCurrent()) return;
    fill(ctx.main, card(t('staff'),
      h('div', { class: 'row end' }, h('button', { class: 'btn primary', id: 'new-user', onclick: create }, t('new_x', { x: t('staff') }))),
      table([
        { label: t('col_name'), cell: (u) => h('strong', {}, u.display_name) },
        { label: t('col_user'), cell: (u) => u.username },
        { label: t('col_role'), cell: (u) => t(`role_${u.role}`) },
        { label: t('col_status'), cell: state },
        { label: t('col_assistant'), cell: (u) => (u.assistant_id ? name(u.assistant_id) : '—') },
        { label: '', cls: 'actions', cell: (u) => u.role === 'sysadmin' ? null : [
          h('button', { class: 'btn small', onclick: () => resetPin(u) }, t('reset_pin')),
          u.locked_until && new Date(u.locked_until) > new Date() ? h('button', { class: 'btn small primary', onclick: () => act(() => put(`/api/waiters/${u.id}/unlock`, {}), t('done')) }, t('unlock')) : null,
          h('button', { class: 'btn small', onclick: () => act(() => put(`/api/waiters/${u.id}/block`, { blocked: u.is_active }), t('done')) }, u.is_active ? t('block') : t('unblock')),
          u.assistant_id
            ? h('button', { class: 'btn small', onclick: () => act(() => del(`/api/waiters/${u.id}/assistant`), t('done')) }, t('remove_assistant'))
            : h('button', { class: 'btn small', onclick: () => assistant(u) }, t('set_assistant')),
          h('button', { class: 'btn small danger', onclick: async () => {
            if (await confirmSheet(t('delete'), t('confirm_delete', { x: u.display_name }), t('delete'), true)) act(() => del(`/api/waiters/${u.id}`), t('deleted'));
          } }, '✕'),
        ] },
      ], users.filter((u) => u.role !== 'sysadmin'))));
  }

  await load();
  render();
  return { onEvent(kind) { if (kind === 'staff' || kind === 'resync') reload().catch(() => {}); } };
}
