// Printers: state and queue (live), settings (the sysadmin may change them), a test print,
// discovery on the network, and which documents print. Endpoints a posd version lacks are
// reported as "not in this version" instead of breaking the page.

import { h, fill, toast } from '../shared/dom.js';
import { t, num } from '../shared/i18n.js';
import { get, post, put } from '../shared/api.js';
import { applyEvent, stateText, inTrouble, fromStatus } from '../shared/printers.js';
import { card, table, run, formSheet, errText } from './ui.js';

export default async function printersPage(ctx) {
  let printers = [];
  let toggles = null;
  let found = null; // null: not searched; 'busy'; array; or an error text
  const load = async () => {
    printers = await get('/api/system/printers');
    const live = fromStatus(await get('/api/system/status').catch(() => ({})));
    printers = printers.map((p) => ({ ...p, ...(live.find((x) => x.id === p.id) || {}) }));
    toggles = await get('/api/system/print-settings').catch(() => null);
  };
  const reload = async () => { await load(); render(); };
  const sysadmin = ctx.user.role === 'sysadmin';

  function edit(p, preset) {
    const v = p || preset || {};
    formSheet(p ? `${t('edit')}: ${p.name}` : t('new_x', { x: t('printer') }), [
      { name: 'name', label: t('col_name'), value: v.name, required: true },
      { name: 'ip_address', label: t('host'), value: v.ip_address, required: true },
      { name: 'port', label: t('port'), kind: 'number', value: v.port ?? 9100 },
      { name: 'code_page', label: t('code_page'), kind: 'select', numeric: false, value: v.code_page || 'cp737',
        options: ['cp737', 'wpc1253', 'iso8859-7', 'pc437', 'pc850', 'pc858', 'wpc1252'].map((c) => [c, c]) },
      { name: 'esc_t', label: t('esc_t'), kind: 'number', value: v.esc_t ?? 14 },
      { name: 'columns', label: t('columns'), kind: 'number', value: v.columns ?? 48 },
      { name: 'backup_printer_id', label: t('backup'), kind: 'select', value: v.backup_printer_id, options: [['', '—'], ...printers.filter((x) => x.id !== p?.id).map((x) => [x.id, x.name])] },
      { name: 'is_active', label: t('in_use'), kind: 'check', value: v.is_active ?? true },
    ], async (b) => {
      if (p) await put(`/api/system/printers/${p.id}`, b); else await post('/api/system/printers', b);
      reload();
    });
  }

  async function discover() {
    found = 'busy';
    render();
    try {
      const r = await get('/api/system/printers/discover?probe=true');
      found = Array.isArray(r) ? r : r.printers || r.found || [];
    } catch (e) {
      found = errText(e);
    }
    render();
  }

  function foundView() {
    if (found === null) return null;
    if (found === 'busy') return h('p', { class: 'muted' }, t('discovering'));
    if (typeof found === 'string') return h('p', { class: 'form-err' }, found);
    if (!found.length) return h('p', { class: 'muted' }, t('found_none'));
    return table([
      { label: t('host'), cell: (f) => f.ip_address || f.host || f.address || '' },
      { label: t('port'), cell: (f) => f.port ?? '' },
      { label: t('col_name'), cell: (f) => f.name || f.model || '' },
      { label: t('state'), cell: (f) => (f.state ? stateText(f.state) : '') },
      { label: '', cls: 'actions', cell: (f) => (sysadmin ? h('button', { class: 'btn small', onclick: () => edit(null, { name: f.name || f.model || '', ip_address: f.ip_address || f.host || f.address, port: f.port }) }, t('use_printer')) : null) },
    ], found);
  }

  function render() {
    if (!ctx.isCurrent()) return;
    fill(ctx.main,
      card(t('printers'),
        sysadmin ? h('div', { class: 'row end' }, h('button', { class: 'btn primary', onclick: () => edit(null) }, t('new_x', { x: t('printer') }))) : h('p', { class: 'muted' }, t('sysadmin_only')),
        table([
          { label: t('col_name'), cell: (p) => h('strong', {}, p.name) },
          { label: t('host'), cell: (p) => `${p.ip_address}:${p.port}` },
          { label: t('state'), cell: (p) => h('span', { class: ['pill', inTrouble(p) ? 'bad' : p.state ? 'ok' : null], dataset: { printerState: p.name } }, p.state ? stateText(p.state) : '—') },
          { label: t('queued'), cls: 'r', cell: (p) => (p.queued != null ? num(p.queued) : '—') },
          { label: t('code_page'), cell: (p) => p.code_page },
          { label: t('in_use'), cell: (p) => (p.is_active ? '✓' : '✕') },
          { label: '', cls: 'actions', cell: (p) => [
            h('button', { class: 'btn small', onclick: () => run(() => post('/api/system/printers/test', { printer_id: p.id }), t('test_sent', { name: p.name })) }, t('test_print')),
            sysadmin ? h('button', { class: 'btn small', onclick: () => edit(p) }, t('edit')) : null,
          ] },
        ], printers)),
      card(t('discover'), h('button', { class: 'btn', id: 'discover', onclick: discover, disabled: found === 'busy' }, t('discover')), foundView()),
      toggles ? card(t('print_settings'), h('div', { class: 'row' }, ['order_tickets', 'bills', 'voids'].map((k) => h('label', { class: 'row check' },
        h('input', { type: 'checkbox', checked: toggles[k], onchange: async (e) => {
          const r = await run(() => put('/api/system/print-settings', { [k]: e.target.checked }));
          if (r) toggles = r; else render();
        } }), t(`ps_${k}`))))) : null);
  }

  await load();
  render();
  return {
    onEvent(kind, d) {
      if (kind === 'printer') { applyEvent(printers, d); render(); } else if (kind === 'resync') reload().catch(() => {});
    },
  };
}
