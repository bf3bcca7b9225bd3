// Greek and English UI strings, locale-aware numbers and money (integer cents in the API).
// Every visible string goes through t(); apps add their own keys with extend().

const dict = {
  en: {
    app_waiter: 'posd waiter',
    app_manager: 'posd manager',
    lang_other: 'Ελληνικά',
    who_are_you: 'Who are you?',
    enter_pin: 'PIN for {name}',
    pin_ok: 'OK',
    pin_clear: 'Clear',
    pin_back: 'Back',
    change_user: 'Not you?',
    wrong_pin: 'Wrong PIN. Try again.',
    locked: 'Too many wrong PINs: {name} is locked for {mins} min. A manager can unlock it now.',
    throttled: 'Too many wrong PINs from this phone. Wait {secs} s.',
    no_users: 'No staff yet. A manager must create accounts first.',
    logout: 'Log out',
    loading: 'Loading…',
    offline: 'No connection to posd. Check the Wi-Fi; nothing you typed is lost.',
    reconnecting: 'Live updates paused, reconnecting…',
    back: 'Back',
    cancel: 'Cancel',
    close: 'Close',
    save: 'Save',
    retry: 'Retry',
    error: 'Something went wrong: {detail}',
    not_allowed: 'Not allowed: {detail}',
    session_over: 'Your session ended. Please log in again.',
    // tables
    tables: 'Tables',
    legend_free: 'Free',
    legend_mine: 'Mine',
    legend_other: 'Colleague',
    legend_pay: 'To pay',
    table_n: 'Table {n}',
    table_of: "{name}'s table",
    table_taken: 'Table {n} belongs to {name}.',
    st_partially_paid: 'part paid',
    st_paid: 'paid, close it',
    no_tables: 'No tables yet. A manager adds them in the dashboard.',
    ungrouped: 'Other tables',
    pending_n: '{n} unsent',
    // order
    menu: 'Menu',
    bill: 'Bill',
    order_n: 'Order #{n}',
    add: 'Add',
    add_n: 'Add {n} · {price}',
    extras: 'Extras',
    without: 'Without',
    no_x: 'no {x}',
    quantity: 'Quantity',
    note: 'Note for the kitchen',
    required: 'choose one',
    cart: 'Cart',
    cart_empty: 'Nothing to send yet. Tap a product.',
    items_n: '{n} items',
    item_1: '1 item',
    send: 'Send',
    send_all: 'Send {n} to kitchen/bar',
    sending: 'Sending…',
    sent: 'Table {table}: {n} sent ✓',
    sent_late: 'Table {table}: {n} sent after reconnect ✓',
    not_sent: 'NOT sent: {detail}. Your cart is kept.',
    kept_offline: 'posd is unreachable. {n} kept on this phone; they will be sent automatically when it is back.',
    waiting_send: 'Waiting to send: {n}',
    send_now: 'Send now',
    added: '+1 {name}',
    unavailable: 'sold out',
    remove: 'Remove',
    empty_category: 'Nothing in this category.',
    // bill
    paid: 'Paid',
    cancelled: 'Cancelled',
    select_all: 'Select all unpaid',
    select_none: 'Clear selection',
    selected: 'Selected',
    due: 'Due',
    total: 'Total',
    cash: 'Cash',
    card: 'Card',
    tip: 'Tip',
    round_up: 'Round up',
    pay_x: 'Pay {amount} · {method}',
    pay_done: 'Payment of {amount} recorded ✓',
    close_table: 'Close table {n}',
    closed_ok: 'Table {n} closed ✓',
    nothing_due: 'Everything is paid.',
    pick_items: 'Tick the items being paid.',
    no_items: 'No items on this order yet.',
    payments: 'Payments',
    order_gone: 'This order is closed or was cancelled.',
    // printers
    pstate_ok: 'ready',
    pstate_offline: 'offline',
    pstate_paper_out: 'paper out',
    pstate_paper_low: 'paper low',
    pstate_cover_open: 'cover open',
    pstate_error: 'error',
    pstate_held: 'jobs held',
    pstate_inactive: 'switched off',
    pstate_unknown: 'unknown',
    n_waiting: '{n} waiting',
  },
  el: {
    app_waiter: 'posd σερβιτόρος',
    app_manager: 'posd διαχείριση',
    lang_other: 'English',
    who_are_you: 'Ποιος είσαι;',
    enter_pin: 'PIN για {name}',
    pin_ok: 'OK',
    pin_clear: 'Καθαρ.',
    pin_back: 'Πίσω',
    change_user: 'Δεν είσαι εσύ;',
    wrong_pin: 'Λάθος PIN. Δοκίμασε ξανά.',
    locked: 'Πολλά λάθος PIN: ο λογαριασμός {name} κλείδωσε για {mins} λεπτά. Ένας υπεύθυνος μπορεί να τον ξεκλειδώσει τώρα.',
    throttled: 'Πολλά λάθος PIN από αυτό το κινητό. Περίμενε {secs} δ.',
    no_users: 'Δεν υπάρχει προσωπικό. Ο υπεύθυνος πρέπει να δημιουργήσει λογαριασμούς.',
    logout: 'Έξοδος',
    loading: 'Φόρτωση…',
    offline: 'Δεν υπάρχει σύνδεση με το posd. Έλεγξε το Wi-Fi· τίποτα δεν χάνεται.',
    reconnecting: 'Οι ζωντανές ενημερώσεις σταμάτησαν, επανασύνδεση…',
    back: 'Πίσω',
    cancel: 'Άκυρο',
    close: 'Κλείσιμο',
    save: 'Αποθήκευση',
    retry: 'Ξανά',
    error: 'Κάτι πήγε στραβά: {detail}',
    not_allowed: 'Δεν επιτρέπεται: {detail}',
    session_over: 'Η σύνδεσή σου έληξε. Συνδέσου ξανά.',
    tables: 'Τραπέζια',
    legend_free: 'Ελεύθερο',
    legend_mine: 'Δικό μου',
    legend_other: 'Συνάδελφος',
    legend_pay: 'Πληρωμή',
    table_n: 'Τραπέζι {n}',
    table_of: 'Τραπέζι: {name}',
    table_taken: 'Το τραπέζι {n} το έχει ο/η {name}.',
    st_partially_paid: 'μερικώς πληρ.',
    st_paid: 'πληρώθηκε, κλείσ’ το',
    no_tables: 'Δεν υπάρχουν τραπέζια. Ο υπεύθυνος τα προσθέτει στη διαχείριση.',
    ungrouped: 'Άλλα τραπέζια',
    pending_n: '{n} σε αναμονή',
    menu: 'Μενού',
    bill: 'Λογαριασμός',
    order_n: 'Παραγγελία #{n}',
    add: 'Προσθήκη',
    add_n: 'Προσθήκη {n} · {price}',
    extras: 'Έξτρα',
    without: 'Χωρίς',
    no_x: 'χωρίς {x}',
    quantity: 'Ποσότητα',
    note: 'Σημείωση για την κουζίνα',
    required: 'διάλεξε ένα',
    cart: 'Καλάθι',
    cart_empty: 'Τίποτα για αποστολή. Πάτα ένα προϊόν.',
    items_n: '{n} είδη',
    item_1: '1 είδος',
    send: 'Αποστολή',
    send_all: 'Αποστολή {n} σε κουζίνα/μπαρ',
    sending: 'Αποστολή…',
    sent: 'Τραπέζι {table}: στάλθηκαν {n} ✓',
    sent_late: 'Τραπέζι {table}: στάλθηκαν {n} μετά την επανασύνδεση ✓',
    not_sent: 'ΔΕΝ στάλθηκε: {detail}. Το καλάθι κρατήθηκε.',
    kept_offline: 'Το posd δεν απαντά. {n} κρατήθηκαν στο κινητό και θα σταλούν αυτόματα μόλις επανέλθει.',
    waiting_send: 'Σε αναμονή αποστολής: {n}',
    send_now: 'Αποστολή τώρα',
    added: '+1 {name}',
    unavailable: 'τελείωσε',
    remove: 'Αφαίρεση',
    empty_category: 'Καμία επιλογή σε αυτή την κατηγορία.',
    paid: 'Πληρώθηκε',
    cancelled: 'Ακυρώθηκε',
    select_all: 'Επιλογή απλήρωτων',
    select_none: 'Καμία επιλογή',
    selected: 'Επιλεγμένα',
    due: 'Υπόλοιπο',
    total: 'Σύνολο',
    cash: 'Μετρητά',
    card: 'Κάρτα',
    tip: 'Φιλοδώρημα',
    round_up: 'Στρογγ.',
    pay_x: 'Πληρωμή {amount} · {method}',
    pay_done: 'Καταχωρήθηκε πληρωμή {amount} ✓',
    close_table: 'Κλείσιμο τραπεζιού {n}',
    closed_ok: 'Το τραπέζι {n} έκλεισε ✓',
    nothing_due: 'Όλα πληρώθηκαν.',
    pick_items: 'Σημείωσε τα είδη που πληρώνονται.',
    no_items: 'Η παραγγελία δεν έχει ακόμη είδη.',
    payments: 'Πληρωμές',
    order_gone: 'Η παραγγελία έκλεισε ή ακυρώθηκε.',
    pstate_ok: 'έτοιμος',
    pstate_offline: 'εκτός σύνδεσης',
    pstate_paper_out: 'τέλος χαρτιού',
    pstate_paper_low: 'λίγο χαρτί',
    pstate_cover_open: 'ανοιχτό καπάκι',
    pstate_error: 'σφάλμα',
    pstate_held: 'εργασίες σε αναμονή',
    pstate_inactive: 'απενεργοποιημένος',
    pstate_unknown: 'άγνωστο',
    n_waiting: '{n} σε αναμονή',
  },
};

const LOCALES = { en: 'en-GB', el: 'el-GR' };
let lang = localStorage.getItem('posd.lang') || ((navigator.language || '').startsWith('el') ? 'el' : 'en');
if (!dict[lang]) lang = 'en';
let currency = 'EUR';
let moneyFmt;
let numFmt;

function rebuild() {
  moneyFmt = new Intl.NumberFormat(LOCALES[lang], { style: 'currency', currency });
  numFmt = new Intl.NumberFormat(LOCALES[lang]);
  document.documentElement.lang = lang;
}
rebuild();

/** Add an app's own strings: extend({en: {...}, el: {...}}). */
export function extend(more) {
  for (const l of Object.keys(more)) Object.assign(dict[l], more[l]);
}

/** Translate `key`, filling {placeholders} from `vars`. Unknown keys show as themselves. */
export function t(key, vars) {
  let s = dict[lang][key] ?? dict.en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** Does a translation exist for `key`? */
export const has = (key) => key in dict[lang] || key in dict.en;

export const getLang = () => lang;
export const locale = () => LOCALES[lang];

export function setLang(l) {
  lang = dict[l] ? l : 'en';
  localStorage.setItem('posd.lang', lang);
  rebuild();
}

export const toggleLang = () => setLang(lang === 'el' ? 'en' : 'el');

export function setCurrency(c) {
  if (typeof c === 'string' && /^[A-Z]{3}$/.test(c)) {
    currency = c;
    rebuild();
  }
}

/** Integer cents → "€12.50" / "12,50 €". */
export const money = (cents) => moneyFmt.format((cents || 0) / 100);
export const num = (n) => numFmt.format(n || 0);

/** A euro amount typed by a person ("12,5", "12.50") → cents, or null when it is not one. */
export function parseMoney(text) {
  const s = String(text ?? '').trim().replace(/\s|€/g, '').replace(',', '.');
  if (!/^-?\d+(\.\d{0,2})?$/.test(s)) return null;
  return Math.round(parseFloat(s) * 100);
}

/** Cents → "12.50" for an input field (always a dot-free locale-neutral form the parser reads). */
export const moneyInput = (cents) => ((cents || 0) / 100).toFixed(2);

/** "1 item" / "3 items" */
export const itemsN = (n) => (n === 1 ? t('item_1') : t('items_n', { n: num(n) }));
