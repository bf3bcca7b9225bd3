// The waiter app's service worker: keeps the app shell of this build so the app opens even
// when posd is briefly unreachable. API calls and the live stream are never cached.
const BUILD = '%BUILD%';
const CACHE = `posd-shell-${BUILD}`;
const A = `/a/${BUILD}/`;
const SHELL = ['/', '/manifest.webmanifest',
  ...['shared/base.css', 'shared/i18n.js', 'shared/api.js', 'shared/dom.js', 'shared/live.js', 'shared/login.js',
    'shared/printers.js', 'shared/icon.svg', 'waiter/waiter.css', 'waiter/app.js', 'waiter/store.js',
    'waiter/outbox.js', 'waiter/tables.js', 'waiter/order.js', 'waiter/bill.js', 'waiter/icon-192.png'].map((p) => A + p)];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('posd-shell-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/manager')) return;
  if (url.pathname.startsWith(A)) {
    // Immutable build files: cache first.
    e.respondWith(caches.match(e.request).then((hit) => hit || fetch(e.request)));
  } else if (url.pathname === '/' || url.pathname === '/manifest.webmanifest') {
    // The shell: network first (new builds arrive at once), the cached copy when posd is away.
    e.respondWith(fetch(e.request).catch(() => caches.match(url.pathname)));
  }
});
