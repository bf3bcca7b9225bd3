// Small building blocks for the dashboard's pages: labelled fields, a form in a sheet, data
// tables, and running an action with a clear success or error toast.

import { h, sheet, toast, append } from '../shared/dom.js';
import { t, parseMoney, moneyInput } from '../shared/i18n.js';

export function errText(e) {
  if (e?.offline) return t('offline');
  if (e?.status === 404 && e.code === 'no_such_endpoint') return t('not_in_version');
  if (e?.status === 403) return t('not_allowed', { detail: e.detail });
  return t('error', { detail: e?.detail || e?.message || String(e) });
}

/** Run an async action; toast its success text or its error. Resolves the result or undefined. */
export async function run(fn, okText = t('saved')) {
  try {
    const r = await fn();
    if (okText) toast(okText, 'ok');
    return r;
  } catch (e) {
    toast(errText(e), 'bad', 7000);
    return undefined;
  }
}

export const field = (label, input, cls) => h('label', { class: ['field', cls] }, h('span', {}, label), input);

/** A money input holding cents in .cents(); reports a typed mistake via .check(label). */
export function moneyField(cents, props = {}) {
  const el = h('input', { inputmode: 'decimal', class: 'money', value: cents == null ? '' : moneyInput(cents), ...props });
  el.cents = () => parseMoney(el.value);
  return el;
}

export function select(options, value, props = {}) {
  return h('select', props, options.map(([v, label]) => h('option', { value: v ?? '', selected: String(v ?? '') === String(value ?? '') }, label)));
}

/**
 * A form in a sheet. fields: [{name, label, kind: text|number|money|select|check|color|password, value, options, required}].
 * onSubmit(values) may throw; the error shows in the form and the sheet stays open.
 */
export function formSheet(title, fields, onSubmit, { wide, extra } = {}) {
  const sh = sheet(title, { wide });
  const inputs = {};
  const err = h('p', { class: 'form-err', role: 'alert' });
  const rows = fields.map((f) => {
    let el;
    if (f.kind === 'select') el = select(f.options, f.value);
    else if (f.kind === 'check') el = h('input', { type: 'checkbox', checked: !!f.value });
    else if (f.kind === 'money') el = moneyField(f.value);
    else el = h('input', { type: f.kind === 'number' ? 'number' : f.kind === 'password' ? 'password' : f.kind === 'color' ? 'color' : 'text', value: f.value ?? '', inputmode: f.kind === 'password' ? 'numeric' : null, required: f.required });
    el.name = f.name;
    inputs[f.name] = el;
    return field(f.label, el, f.kind === 'check' ? 'check' : null);
  });
  const save = h('button', { class: 'btn primary', type: 'submit' }, t('save'));
  const form = h('form', {
    class: 'form',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      const v = {};
      for (const f of fields) {
        const el = inputs[f.name];
        if (f.kind === 'check') v[f.name] = el.checked;
        else if (f.kind === 'money') {
          const c = el.cents();
          if (c == null && (f.required || el.value.trim())) { err.textContent = t('bad_money', { x: f.label }); return; }
          v[f.name] = c;
        } else if (f.kind === 'number') v[f.name] = el.value === '' ? null : Number(el.value);
        else if (f.kind === 'select') v[f.name] = el.value === '' ? null : (f.numeric === false ? el.value : Number.isNaN(Number(el.value)) ? el.value : Number(el.value));
        else v[f.name] = el.value.trim();
      }
      save.disabled = true;
      try {
        await onSubmit(v);
        sh.close();
      } catch (x) {
        err.textContent = errText(x);
      }
      save.disabled = false;
    },
  }, rows, extra || null, err, h('div', { class: 'row end' }, h('button', { class: 'btn', type: 'button', onclick: () => sh.close() }, t('cancel')), save));
  append(sh.body, [form]);
  rows[0]?.querySelector('input,select')?.focus();
  return sh;
}

/** A data table. cols: [{label, cell(row) → node|text, cls}] */
export function table(cols, rows, { rowProps } = {}) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: c.cls }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', rowProps ? rowProps(r) : {}, cols.map((c) => h('td', { class: c.cls }, c.cell(r))))))));
}

export const card = (title, ...kids) => h('section', { class: 'card' }, title ? h('h2', {}, title) : null, kids);

export const statusPill = (st) => h('span', { class: ['pill', `st-${st}`] }, t(`status_${st}`));

export function fmtTime(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function fmtDate(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleDateString([], { day: '2-digit', month: '2-digit', year: 'numeric' });
}

export function fmtDateTime(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString([], { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
}
