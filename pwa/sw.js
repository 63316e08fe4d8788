// Spiral service worker: precache the shell, serve it offline, never cache API data.
const VERSION = "spiral-shell-v4";
const SHELL = [
  "/", "/manifest.webmanifest", "/app/app.js", "/app/api.js", "/app/i18n.js", "/app/homes.js",
  "/app/dom.js", "/app/outbox.js", "/app/scoring.js", "/app/attendance.js", "/app/reports.js", "/app/vendor/chart.umd.min.js", "/app/style.css", "/app/offline.html", "/app/icons/icon-192.png", "/app/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  // Personal data is never written to the cache: API calls always go to the network.
  if (url.pathname.startsWith("/api/") || url.pathname === "/healthz") return;
  if (event.request.mode === "navigate") {
    event.respondWith(
      fetch(event.request).catch(async () =>
        (await caches.match("/")) || (await caches.match("/app/offline.html"))),
    );
    return;
  }
  event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
});
