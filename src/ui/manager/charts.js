// Charts drawn as inline SVG by hand: vertical bars (sales by hour), horizontal bars (by
// waiter, by category) and a donut (payment mix). Colours and sizes come from CSS classes.

import { s, h } from '../shared/dom.js';

/** Vertical bars: data [{label, value}], fmt(value) for the tooltip and the top value. */
export function bars(data, fmt) {
  const W = 600, H = 220, P = 28;
  const max = Math.max(1, ...data.map((d) => d.value));
  const bw = (W - P) / data.length;
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' },
    s('line', { x1: P, y1: H - 20, x2: W, y2: H - 20, class: 'axis' }),
    s('text', { x: 0, y: 12, class: 'tick' }, fmt(max)),
    data.map((d, i) => {
      const bh = ((H - 40) * d.value) / max;
      const x = P + i * bw;
      return s('g', {},
        s('rect', { x: x + 2, y: H - 20 - bh, width: Math.max(1, bw - 4), height: bh, class: 'bar', rx: 2 }, s('title', {}, `${d.label}: ${fmt(d.value)}`)),
        i % 2 === 0 ? s('text', { x: x + bw / 2, y: H - 5, class: 'tick', 'text-anchor': 'middle' }, d.label) : null);
    }));
}

/** Horizontal bars with labels and values. */
export function hbars(data, fmt) {
  const rowH = 30, W = 600, L = 170, R = 90;
  const max = Math.max(1, ...data.map((d) => d.value));
  const H = Math.max(rowH, data.length * rowH);
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' },
    data.map((d, i) => {
      const y = i * rowH;
      const w = ((W - L - R) * d.value) / max;
      return s('g', {},
        s('text', { x: L - 8, y: y + 20, class: 'lbl', 'text-anchor': 'end' }, d.label.length > 22 ? `${d.label.slice(0, 21)}…` : d.label),
        s('rect', { x: L, y: y + 5, width: Math.max(1, w), height: rowH - 10, rx: 3, class: `bar c${i % 6}` }),
        s('text', { x: L + w + 6, y: y + 20, class: 'val' }, fmt(d.value)));
    }));
}

/** A donut of parts [{label, value}] with a legend. */
export function donut(parts, fmt) {
  const total = parts.reduce((a, p) => a + p.value, 0);
  const R = 70, C = 2 * Math.PI * R;
  let off = 0;
  const rings = parts.map((p, i) => {
    const len = total ? (C * p.value) / total : 0;
    const el = s('circle', { cx: 100, cy: 100, r: R, class: `ring c${i % 6}`, 'stroke-dasharray': `${len} ${C - len}`, 'stroke-dashoffset': -off, transform: 'rotate(-90 100 100)' });
    off += len;
    return el;
  });
  return h('div', { class: 'donut' },
    s('svg', { viewBox: '0 0 200 200', class: 'chart small', role: 'img' },
      s('circle', { cx: 100, cy: 100, r: R, class: 'ring empty' }), rings,
      s('text', { x: 100, y: 106, 'text-anchor': 'middle', class: 'center' }, fmt(total))),
    h('ul', { class: 'legend-list' }, parts.map((p, i) => h('li', {}, h('span', { class: `sw c${i % 6}` }), `${p.label}: ${fmt(p.value)}${total ? ` (${Math.round((100 * p.value) / total)}%)` : ''}`))));
}
