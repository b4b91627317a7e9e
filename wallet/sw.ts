/**
 * The wallet's service worker: keeps the app shell (page, script, manifest, icons) in a
 * versioned cache so the wallet opens offline, and answers navigations inside its scope
 * with the cached page. It never touches other requests: check-ins and proofs go to the
 * kiosk, exposure reports to the chain endpoint, always over the network.
 */

/** Replaced at build time by a hash of the bundle, so a new build replaces the cache. */
declare const WALLET_VERSION: string;

interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface WorkerScope {
  location: Location;
  registration: { scope: string };
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
}

const sw = globalThis as unknown as WorkerScope;
const CACHE = `waymark-wallet-${WALLET_VERSION}`;
const SHELL = ['./', 'app.js', 'manifest.webmanifest', 'icon.svg', 'icon-192.png', 'icon-512.png', 'config.json'];

sw.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('waymark-wallet-') && name !== CACHE) await caches.delete(name);
    await sw.clients.claim();
  })());
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  const scope = new URL(sw.registration.scope);
  // only the wallet's own files: a kiosk serving /wallet/ has its API on the same origin
  if (req.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const rel = url.pathname.slice(scope.pathname.length);
  if (req.mode === 'navigate' || rel === '' || rel === 'index.html') {
    // the page: from the network when it answers (so an update arrives), else the cached copy
    event.respondWith((async () => {
      try {
        const res = await fetch(req);
        if (res.ok) return res;
      } catch {
        // offline: the cached page below
      }
      return (await caches.match(new URL('./', scope).href, { cacheName: CACHE })) ?? Response.error();
    })());
    return;
  }
  if (!SHELL.includes(rel)) return;
  event.respondWith(caches.match(req, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit ?? fetch(req)));
});
