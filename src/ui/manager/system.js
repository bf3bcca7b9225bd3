// System: version, uptime, disk, license state and site id, installing a license file, and
// restarting order numbers. Fields an older posd does not report show as "unknown".

import { h, fill, confirmSheet } from '../shared/dom.js';
import { t, num } from '../shared/i18n.js';
import { get, post, api } from '../shared/api.js';
import { card, run, errText, fmtDate } from './ui.js';

const bytes = (n) => {
  if (n == null) return t('unknown');
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i += 1; }
  return `${num(Math.round(v * 10) / 10)} ${u[i]}`;
};

const duration = (secs) => {
  if (secs == null) return t('unknown');
  const d = Math.floor(secs / 86400);
  const hh = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return `${d ? `${d}d ` : ''}${hh}h ${m}m`;
};

export default async function systemPage(ctx) {
  let st = {};
  let lic = null;
  let msg = null;
  async function load() {
    st = await get('/api/system/status');
    lic = st.license || (await get('/api/system/license').catch(() => null));
  }

  const dl = (rows) => h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? t('unknown'))]));

  function render() {
    if (!ctx.isCurrent()) return;
    const disk = st.disk || st.storage || null;
    const file = h('input', { type: 'file', accept: '.lic,.license,.txt,text/plain' });
    const text = h('textarea', { rows: 4, placeholder: t('license_file'), class: 'lic-text' });
    fill(ctx.main,
      h('div', { class: 'two' },
        card(t('system'), dl([
          [t('version'), st.version], [t('uptime'), duration(st.uptime)], [t('restaurant'), st.restaurant],
          [t('timezone'), st.timezone], st.demo ? [t('demo_mode'), '✓'] : null,
          [t('disk'), disk ? t('disk_free', { free: bytes(disk.free_bytes ?? disk.free), total: bytes(disk.total_bytes ?? disk.total) }) : t('unknown')],
        ])),
        card(t('license'), lic ? dl([
          [t('license_state'), lic.status || lic.state], [t('site_id'), lic.site_id],
          [t('expires'), lic.expires_at ? fmtDate(lic.expires_at) : lic.trial_ends_at ? fmtDate(lic.trial_ends_at) : null],
        ]) : h('p', { class: 'muted' }, t('unknown')),
        lic?.message ? h('p', { class: lic.serves === false ? 'form-err' : 'muted' }, lic.message) : null,
        h('h3', {}, t('install_license')), file, text,
        msg ? h('p', { class: msg.ok ? 'ok-text' : 'form-err' }, msg.text) : null,
        h('button', { class: 'btn primary', onclick: async () => {
          const body = file.files[0] ? await file.files[0].text() : text.value.trim();
          if (!body) return;
          try {
            await api('POST', '/api/system/license', undefined, { raw: body, headers: { 'content-type': 'text/plain' } });
            msg = { ok: true, text: t('license_installed') };
            await load();
          } catch (e) { msg = { ok: false, text: errText(e) }; }
          render();
        } }, t('install')))),
      card(t('orders'), h('button', { class: 'btn', onclick: async () => {
        if (await confirmSheet(t('reset_numbers'), t('reset_numbers_q'), t('yes'))) run(() => post('/api/orders/reset-numbers'), t('done'));
      } }, t('reset_numbers'))));
  }

  await load();
  render();
  return { onEvent(kind) { if (kind === 'license') load().then(render, () => {}); } };
}
