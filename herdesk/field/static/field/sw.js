/* The service worker of the engineer's phone pages (/field/my/, FLD-2), served by
   /field/my/sw.js after queue.js. It keeps the page shell for use without network (network first;
   the last copy of each page and the static files it used from the cache), keeps a form submitted
   while the network fails in the queue instead of losing it, and sends the queue, with the original
   idempotency keys, when the network returns (Background Sync where the browser has it, and on
   the page's "online" message). */
(function () {
  "use strict";
  var CACHE = "herdesk-field-shell-v1", SCOPE = new URL(self.registration.scope).pathname;

  self.addEventListener("install", function (ev) {
    ev.waitUntil(caches.open(CACHE).then(function (c) { return c.add(SCOPE); }).catch(function () {}).then(function () {
      return self.skipWaiting();
    }));
  });
  self.addEventListener("activate", function (ev) {
    ev.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("herdesk-field-shell-") === 0 && k !== CACHE; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); }).then(flush));
  });

  function tell(sent) {
    return HerdeskFieldQueue.count().then(function (left) {
      return self.clients.matchAll({ type: "window" }).then(function (cs) {
        cs.forEach(function (c) { c.postMessage({ type: "herdesk-field-queue", sent: sent, left: left }); });
      });
    });
  }
  function flush() { return HerdeskFieldQueue.flush().then(tell, function () {}); }

  self.addEventListener("sync", function (ev) { if (ev.tag === "herdesk-field-queue") ev.waitUntil(flush()); });
  self.addEventListener("message", function (ev) {
    var d = ev.data || {};
    if (d.type === "flush") ev.waitUntil(flush());
    // The page names the static files it uses (hashed names): kept for the shell.
    if (d.type === "cache" && Array.isArray(d.urls)) {
      ev.waitUntil(caches.open(CACHE).then(function (c) {
        return Promise.all(d.urls.map(function (u) { return c.add(u).catch(function () {}); }));
      }));
    }
  });

  function offlinePage() {
    return new Response(
      "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
      "<title>离线 · Offline</title><p style='font:18px sans-serif;padding:1rem'>" +
      "网络不可用，页面尚未缓存。<br>No network, and this page is not cached yet.</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }

  self.addEventListener("fetch", function (ev) {
    var req = ev.request, url = new URL(req.url);
    if (url.origin !== self.location.origin) return;
    if (req.method === "POST" && url.pathname.indexOf(SCOPE) === 0) {
      // A form sent while the network fails: queued (the body keeps its idempotency key), and the
      // engineer sees the page again with the queue count instead of an error.
      var copy = req.clone();
      ev.respondWith(fetch(req).catch(function () {
        return copy.blob().then(function (body) {
          return HerdeskFieldQueue.add({ url: req.url, body: body, type: copy.headers.get("Content-Type"), at: Date.now() });
        }).then(function () {
          if (self.registration.sync) self.registration.sync.register("herdesk-field-queue").catch(function () {});
          return caches.match(req.referrer || SCOPE).then(function (r) { return r || offlinePage(); });
        });
      }));
      return;
    }
    if (req.method !== "GET") return;
    if (req.mode === "navigate" && url.pathname.indexOf(SCOPE) === 0) {
      ev.respondWith(fetch(req).then(function (resp) {
        if (resp.ok) { var c = resp.clone(); caches.open(CACHE).then(function (cache) { cache.put(req, c); }); }
        flush();
        return resp;
      }).catch(function () {
        return caches.match(req, { ignoreSearch: false }).then(function (r) {
          return r || caches.match(SCOPE).then(function (s) { return s || offlinePage(); });
        });
      }));
      return;
    }
    if (url.pathname.indexOf("/static/") === 0) {
      ev.respondWith(caches.match(req).then(function (hit) {
        return hit || fetch(req).then(function (resp) {
          if (resp.ok) { var c = resp.clone(); caches.open(CACHE).then(function (cache) { cache.put(req, c); }); }
          return resp;
        });
      }));
    }
  });
})();
