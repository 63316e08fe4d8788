// Spiral service worker: precache the shell and serve it offline. API answers are never put
// in this cache (it is shared by everyone on the device): the page keeps the last data each
// user saw in IndexedDB, per user, and clears it on logout (app/api.js).
// VERSION (the cache's name) and SHELL (what is precached: "/", the offline page and every file
// of pwa/app under its versioned URL) are prepended to this file by the server when it serves
// /sw.js (backend/api/platform/pwa.py), from the files themselves: a changed file changes the
// version, so this worker, so the browser installs it and the old cache is dropped.

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
  // Personal data is never written to this cache: API calls always go to the network.
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

// Web Push. The payload carries neutral text only (no name, no kind of risk); the app shows
// the details after the user opens it.
self.addEventListener("push", (event) => {
  const data = event.data ? event.data.json() : { title: "Spiral", body: "", url: "/#/settings" };
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body, tag: data.tag, renotify: data.level === "red", icon: "/app/icons/icon-192.png",
    badge: "/app/icons/icon-192.png", data: { url: data.url },
  }));
});

// Opens the screen a notification points to: in a window already open if there is one.
async function openFromNotification(notification) {
  notification.close();
  const url = new URL(notification.data?.url || "/", self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (!open) return self.clients.openWindow(url);
  open.postMessage({ type: "open", url });
  return open.focus().catch(() => open);  // focus needs the click's user activation
}
self.openFromNotification = openFromNotification;

self.addEventListener("notificationclick", (event) => event.waitUntil(openFromNotification(event.notification)));
