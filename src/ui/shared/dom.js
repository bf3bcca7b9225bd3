// Tiny DOM helpers: h() builds elements, toast() and sheet() are the two overlays both apps use.
// No innerHTML with data anywhere: text always goes in as text nodes.

const SVGNS = 'http://www.w3.org/2000/svg';

function apply(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'css') for (const [p, x] of Object.entries(v)) el.style.setProperty(p, x);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k == null || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
}

/** h('button', {class: 'big', onclick}, 'text', child, [more]) */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  apply(el, props);
  return append(el, kids);
}

/** The same for SVG elements. */
export function s(tag, props, ...kids) {
  const el = document.createElementNS(SVGNS, tag);
  apply(el, props);
  return append(el, kids);
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Replace the children of `el`. */
export function fill(el, ...kids) {
  el.replaceChildren();
  return append(el, kids);
}

let toastBox;
/**
 * A short message over the middle of the screen (never over the bars, banners or buttons;
 * taps go through it); kind: ok | warn | bad. A new one replaces the one showing.
 */
export function toast(text, kind = 'ok', ms = 3500) {
  if (!toastBox?.isConnected) toastBox = document.body.appendChild(h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' }));
  const el = h('div', { class: ['toast', kind] }, text);
  toastBox.replaceChildren(el);
  setTimeout(() => el.remove(), ms);
  return el;
}

/**
 * A modal sheet (bottom sheet on phones, centred dialog on wide screens).
 * Returns {el, body, close}. `onclose` runs once when it goes away.
 */
export function sheet(title, { onclose, wide } = {}) {
  const body = h('div', { class: 'sheet-body' });
  const close = () => {
    if (!back.isConnected) return;
    back.remove();
    document.removeEventListener('keydown', esc);
    onclose?.();
  };
  const esc = (e) => e.key === 'Escape' && close();
  const head = h('div', { class: 'sheet-head' },
    h('h2', {}, title),
    h('button', { class: 'icon-btn', 'aria-label': 'close', onclick: close }, '✕'));
  const box = h('div', { class: ['sheet', wide && 'wide'], role: 'dialog', 'aria-modal': 'true' }, head, body);
  const back = h('div', { class: 'sheet-back', onclick: (e) => e.target === back && close() }, box);
  document.body.append(back);
  document.addEventListener('keydown', esc);
  return { el: box, body, close };
}

/** Ask yes/no in a sheet; resolves true when confirmed. */
export function confirmSheet(title, text, yes, danger = false) {
  return new Promise((resolve) => {
    let answered = false;
    const sh = sheet(title, { onclose: () => !answered && resolve(false) });
    append(sh.body, [
      h('p', {}, text),
      h('div', { class: 'row end' },
        h('button', { class: 'btn', onclick: () => sh.close() }, '✕'),
        h('button', { class: ['btn', danger ? 'danger' : 'primary'], onclick: () => { answered = true; sh.close(); resolve(true); } }, yes)),
    ]);
  });
}

/** Random hex for idempotency keys (crypto.randomUUID needs HTTPS; this does not). */
export function randomKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
