// The login screen both apps use: tap your name, type the PIN on a big keypad.
// Lockout (account_locked) and throttling (too_many_attempts) are said plainly, with a
// countdown from posd's retry_after.

import { h, fill } from './dom.js';
import { t, toggleLang } from './i18n.js';
import { get, login, ApiError } from './api.js';

/**
 * Render into `root`. opts: {title, filter(user) → bool, onDone(user), rerender()}.
 */
export async function loginScreen(root, opts) {
  let users = [];
  let chosen = null;
  let pin = '';
  let msg = null; // {text, kind}
  let waitUntil = 0;
  let timer = null;

  const langBtn = () => h('button', { class: 'btn ghost small', onclick: () => { toggleLang(); opts.rerender(); } }, t('lang_other'));

  const head = () => h('header', { class: 'bar' }, h('h1', {}, opts.title), langBtn());

  const message = () => (msg ? h('p', { class: ['login-msg', msg.kind], role: 'alert', id: 'login-msg' }, msg.text) : null);

  function showError(e) {
    if (e instanceof ApiError && e.status === 429) {
      const secs = Math.max(1, Number(e.retryAfter) || 60);
      if (e.code === 'account_locked') {
        // Not blocked here: a manager may unlock the account at any moment.
        msg = { text: t('locked', { name: chosen.display_name, mins: Math.ceil(secs / 60) }), kind: 'bad' };
      } else {
        waitUntil = Date.now() + secs * 1000;
        tick();
      }
    } else if (e instanceof ApiError && (e.status === 402 || e.status === 423)) {
      msg = { text: e.detail, kind: 'bad' }; // the license message says what to do
    } else if (e instanceof ApiError && e.status === 401) {
      msg = { text: t('wrong_pin'), kind: 'bad' };
    } else if (e.offline) {
      msg = { text: t('offline'), kind: 'warn' };
    } else {
      msg = { text: t('error', { detail: e.detail || e.message }), kind: 'bad' };
    }
  }

  function tick() {
    clearTimeout(timer);
    const left = Math.ceil((waitUntil - Date.now()) / 1000);
    if (left > 0) {
      msg = { text: t('throttled', { secs: left }), kind: 'bad', throttle: true };
      timer = setTimeout(() => { tick(); render(); }, 1000);
    } else if (msg?.throttle) {
      msg = null;
    }
  }

  async function submit() {
    if (!pin || Date.now() < waitUntil) return;
    const tried = pin;
    pin = '';
    render(true);
    try {
      const user = await login(chosen.username, tried);
      clearTimeout(timer);
      opts.onDone(user);
    } catch (e) {
      showError(e);
      render();
    }
  }

  function press(k) {
    msg = Date.now() < waitUntil ? msg : null;
    if (k === 'C') pin = '';
    else if (k === '⌫') pin = pin.slice(0, -1);
    else if (pin.length < 8) pin += k;
    render();
  }

  function keypad(busy) {
    const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'C', '0', '⌫'];
    return h('div', { class: 'keypad' },
      keys.map((k) => h('button', {
        class: ['key', k === 'C' || k === '⌫' ? 'key-fn' : null],
        'aria-label': k === 'C' ? t('pin_clear') : k === '⌫' ? t('pin_back') : k,
        disabled: busy,
        onclick: () => press(k),
      }, k)),
      h('button', { class: 'key key-ok', disabled: busy || pin.length < 4 || Date.now() < waitUntil, onclick: submit }, t('pin_ok')));
  }

  function render(busy = false) {
    if (!chosen) {
      const list = users.filter(opts.filter || (() => true));
      fill(root, head(), h('main', { class: 'login' },
        h('h2', {}, t('who_are_you')),
        message(),
        list.length === 0 ? h('p', {}, t('no_users')) : null,
        h('div', { class: 'names' }, list.map((u) => h('button', {
          class: 'name-btn',
          dataset: { user: u.username },
          onclick: () => { chosen = u; pin = ''; msg = null; render(); },
        }, h('span', { class: 'avatar' }, initials(u.display_name)), h('span', {}, u.display_name))))));
      // For the first-load figure: the moment a person can start using the app.
      if (!performance.getEntriesByName('posd-usable').length) performance.mark('posd-usable');
      return;
    }
    fill(root, head(), h('main', { class: 'login' },
      h('h2', {}, t('enter_pin', { name: chosen.display_name })),
      h('div', { class: 'pin-dots', 'aria-label': 'PIN' },
        Array.from({ length: Math.max(4, pin.length) }, (_, i) => h('span', { class: ['dot', i < pin.length && 'on'] }))),
      message(),
      keypad(busy),
      h('button', { class: 'btn ghost', onclick: () => { chosen = null; msg = null; pin = ''; render(); } }, t('change_user'))));
  }

  document.onkeydown = (e) => {
    if (!chosen || !root.isConnected || !root.querySelector('.keypad')) return;
    if (/^\d$/.test(e.key)) press(e.key);
    else if (e.key === 'Backspace') press('⌫');
    else if (e.key === 'Enter') submit();
  };

  fill(root, head(), h('main', { class: 'login' }, h('p', {}, t('loading'))));
  for (;;) {
    try {
      users = await get('/api/auth/users');
      break;
    } catch (e) {
      fill(root, head(), h('main', { class: 'login' }, h('p', { class: 'login-msg warn' }, e.offline ? t('offline') : t('error', { detail: e.detail || e.message }))));
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  render();
}

/** "Maria Papa" → "MP", "Waiter 07" → "W07". */
export function initials(name) {
  const words = String(name || '?').split(/[\s()]+/).filter(Boolean);
  const last = words[words.length - 1] || '';
  if (words.length > 1 && /^\d+$/.test(last)) return (words[0][0] + last).toUpperCase().slice(0, 3);
  return words.filter((w) => /\p{L}/u.test(w[0])).slice(0, 2).map((w) => w[0]).join('').toUpperCase() || '?';
}
