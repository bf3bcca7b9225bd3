// The menu editor: categories; products with options, removable ingredients, preference sets
// (one choice each), availability, the printer they print at, and a photo.

import { h, fill, sheet, toast, confirmSheet, append } from '../shared/dom.js';
import { t, money } from '../shared/i18n.js';
import { get, post, put, del, api } from '../shared/api.js';
import { card, table, run, formSheet, field, moneyField, select, errText } from './ui.js';

export default async function menuPage(ctx) {
  let cats = [];
  let products = [];
  let printers = [];
  let filter = '';
  let showHidden = false;

  async function load() {
    [cats, products, printers] = await Promise.all([
      get('/api/products/categories'), get('/api/products/?all=true'), get('/api/system/printers').catch(() => []),
    ]);
  }
  const reload = async () => { await load(); render(); };
  const catName = (id) => cats.find((c) => c.id === id)?.name || '—';

  function editCategory(c) {
    formSheet(c ? `${t('edit')}: ${c.name}` : t('new_x', { x: t('category') }), [
      { name: 'name', label: t('col_name'), value: c?.name, required: true },
      { name: 'color', label: t('color'), kind: 'color', value: c?.color || '#2980b9' },
      { name: 'sort_order', label: t('sort_order'), kind: 'number', value: c?.sort_order ?? cats.length },
    ], async (v) => {
      if (c) await put(`/api/products/categories/${c.id}`, v);
      else await post('/api/products/categories', v);
      toast(t('saved'), 'ok');
      reload();
    });
  }

  /** Rows of {id?, name, price} with add/remove; returns {el, values()}. */
  function partRows(list, priceKey, withPrice = true) {
    const box = h('div', { class: 'parts' });
    const rows = [];
    const addRow = (p = {}) => {
      const name = h('input', { value: p.name || '', placeholder: t('col_name'), 'aria-label': t('col_name') });
      const price = withPrice ? moneyField(p[priceKey] ?? 0, { 'aria-label': t(priceKey) }) : null;
      const row = { id: p.id, name, price, el: null };
      row.el = h('div', { class: ['part-row', !withPrice && 'noprice'] }, name, price, h('button', { type: 'button', class: 'btn small', 'aria-label': t('remove'), onclick: () => { row.el.remove(); rows.splice(rows.indexOf(row), 1); } }, '✕'));
      rows.push(row);
      box.append(row.el);
    };
    (list || []).forEach(addRow);
    const el = h('div', {}, box, h('button', { type: 'button', class: 'btn small', onclick: () => addRow() }, t('add_row')));
    const values = () => rows.filter((r) => r.name.value.trim()).map((r) => {
      const v = { name: r.name.value.trim() };
      if (r.id) v.id = r.id;
      if (withPrice) {
        const c = r.price.cents();
        if (c == null) throw new Error(t('bad_money', { x: r.name.value }));
        v[priceKey] = c;
      }
      return v;
    });
    return { el, values };
  }

  function setEditor(sets) {
    const box = h('div', {});
    const items = [];
    const addSet = (s = { choices: [] }) => {
      const name = h('input', { value: s.name || '', placeholder: t('col_name'), 'aria-label': t('col_name') });
      const required = h('input', { type: 'checkbox', checked: !!s.required });
      const choices = partRows(s.choices, 'price_delta');
      const it = { id: s.id, name, required, choices };
      it.el = h('div', { class: 'set-box' },
        h('div', { class: 'row' }, name, h('label', { class: 'row' }, required, t('req')),
          h('button', { type: 'button', class: 'btn small', onclick: () => { it.el.remove(); items.splice(items.indexOf(it), 1); } }, '✕')),
        h('div', { class: 'muted small' }, t('choices')), choices.el);
      items.push(it);
      box.append(it.el);
    };
    (sets || []).forEach(addSet);
    return {
      el: h('div', {}, box, h('button', { type: 'button', class: 'btn small', onclick: () => addSet() }, t('add_set'))),
      values: () => items.filter((i) => i.name.value.trim()).map((i) => ({
        ...(i.id ? { id: i.id } : {}), name: i.name.value.trim(), required: i.required.checked, choices: i.choices.values(),
      })),
    };
  }

  function editProduct(p) {
    const sh = sheet(p ? `${t('edit')}: ${p.name}` : t('new_x', { x: t('product') }), { wide: true });
    const name = h('input', { value: p?.name || '', required: true });
    const desc = h('input', { value: p?.description || '' });
    const cat = select([['', '—'], ...cats.map((c) => [c.id, c.name])], p?.category_id ?? (filter || ''));
    const price = moneyField(p?.base_price ?? 0);
    const zone = select([['', t('no_printer')], ...printers.map((x) => [x.id, x.name])], p?.printer_zone_id ?? '');
    const sort = h('input', { type: 'number', value: p?.sort_order ?? 0 });
    const avail = h('input', { type: 'checkbox', checked: p ? p.is_available : true });
    const active = h('input', { type: 'checkbox', checked: p ? p.is_active : true });
    const opts = partRows(p?.options, 'extra_cost');
    const ings = partRows(p?.ingredients, 'extra_cost', false);
    const sets = setEditor(p?.preference_sets);
    const err = h('p', { class: 'form-err', role: 'alert' });
    const file = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp' });
    const img = p?.image_url ? h('img', { class: 'thumb', src: p.image_url, alt: '' }) : null;
    const save = async () => {
      err.textContent = '';
      try {
        const base = price.cents();
        if (base == null) throw new Error(t('bad_money', { x: t('base_price') }));
        const body = {
          name: name.value.trim(), description: desc.value.trim() || null,
          category_id: cat.value ? Number(cat.value) : null, base_price: base,
          printer_zone_id: zone.value ? Number(zone.value) : null, sort_order: Number(sort.value) || 0,
          is_available: avail.checked, is_active: active.checked,
          options: opts.values(), ingredients: ings.values(), preference_sets: sets.values(),
        };
        const saved = p ? await put(`/api/products/${p.id}`, body) : await post('/api/products', body);
        if (file.files[0]) {
          await api('POST', `/api/products/${saved.id}/image`, undefined, { raw: file.files[0], headers: { 'content-type': file.files[0].type || 'application/octet-stream' } });
        }
        toast(t('saved'), 'ok');
        sh.close();
        reload();
      } catch (e) {
        err.textContent = e.status || e.offline ? errText(e) : e.message;
      }
    };
    append(sh.body, [h('div', { class: 'form grid2' },
      field(t('col_name'), name), field(t('category'), cat),
      field(t('base_price'), price), field(t('printer_zone'), zone),
      field(t('description'), desc), field(t('sort_order'), sort),
      field(t('available'), avail, 'check'), field(t('active'), active, 'check')),
    h('h3', {}, t('options')), opts.el,
    h('h3', {}, t('ingredients')), ings.el,
    h('h3', {}, t('preference_sets')), sets.el,
    h('h3', {}, t('image')), h('div', { class: 'row' }, img, file),
    err,
    h('div', { class: 'row end' }, h('button', { class: 'btn', onclick: () => sh.close() }, t('cancel')), h('button', { class: 'btn primary', id: 'save-product', onclick: save }, t('save')))]);
  }

  function render() {
    if (!ctx.isCurrent()) return;
    const list = products.filter((p) => (showHidden || p.is_active) && (filter === '' || p.category_id === Number(filter)))
      .sort((a, b) => (a.category_id ?? 0) - (b.category_id ?? 0) || a.sort_order - b.sort_order);
    const catSel = select([['', t('all_categories')], ...cats.map((c) => [c.id, c.name])], filter, { onchange: (e) => { filter = e.target.value; render(); } });
    fill(ctx.main,
      card(t('categories'),
        h('div', { class: 'chips' }, cats.map((c) => h('span', { class: 'chip', css: c.color ? { '--c': c.color } : null },
          h('span', { class: 'swatch' }), c.name,
          h('button', { class: 'btn small ghost', onclick: () => editCategory(c) }, t('edit')),
          h('button', { class: 'btn small ghost', onclick: async () => {
            if (await confirmSheet(t('delete'), t('confirm_delete', { x: c.name }), t('delete'), true)) { await run(() => del(`/api/products/categories/${c.id}`), t('deleted')); reload(); }
          } }, '✕')))),
        h('button', { class: 'btn', onclick: () => editCategory(null) }, t('new_x', { x: t('category') }))),
      card(t('products'),
        h('div', { class: 'row' }, catSel,
          h('label', { class: 'row' }, h('input', { type: 'checkbox', checked: showHidden, onchange: (e) => { showHidden = e.target.checked; render(); } }), t('show_hidden')),
          h('span', { class: 'grow' }),
          h('button', { class: 'btn primary', id: 'new-product', onclick: () => editProduct(null) }, t('new_x', { x: t('product') }))),
        table([
          { label: t('col_name'), cell: (p) => h('div', {}, h('strong', {}, p.name), p.is_active ? null : h('span', { class: 'pill' }, '✕')) },
          { label: t('category'), cell: (p) => catName(p.category_id) },
          { label: t('col_price'), cls: 'r', cell: (p) => money(p.base_price) },
          { label: t('printer_zone'), cell: (p) => printers.find((x) => x.id === p.printer_zone_id)?.name || '—' },
          { label: t('available'), cell: (p) => h('button', {
            class: ['btn small', p.is_available ? null : 'danger'], dataset: { avail: p.name },
            onclick: async () => { await run(() => put(`/api/products/${p.id}`, { is_available: !p.is_available })); reload(); },
          }, p.is_available ? t('mark_sold_out') : t('mark_available')) },
          { label: '', cls: 'actions', cell: (p) => h('button', { class: 'btn small', onclick: () => editProduct(p) }, t('edit')) },
        ], list, { rowProps: (p) => ({ class: p.is_available ? null : 'dim' }) })));
  }

  await load();
  render();
  return { onEvent(kind) { if (kind === 'menu' || kind === 'resync') reload().catch(() => {}); } };
}
