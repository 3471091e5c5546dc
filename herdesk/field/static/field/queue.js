/* The engineer's offline queue (FLD-2), shared by the phone pages (field.js) and the service worker
   (sw.js, served with this file in front of it): submissions made without network, kept in
   IndexedDB with their idempotency keys and sent, in order, when the network returns. A submission
   leaves the queue once the server answered it (applied, or refused for good: any status below 500);
   the server applies a key at most once, so a resend after a lost answer changes nothing. */
(function (root) {
  "use strict";
  var DB = "herdesk-field", STORE = "queue";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out;
        out = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(out && "result" in out ? out.result : out); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }
  var Q = {
    add: function (item) { return tx("readwrite", function (s) { return s.add(item); }); },
    all: function () { return tx("readonly", function (s) { return s.getAll(); }); },
    remove: function (id) { return tx("readwrite", function (s) { return s.delete(id); }); },
    count: function () { return tx("readonly", function (s) { return s.count(); }); },
    // Send the queue in order; stop at the first network failure (still offline) or server error.
    // Resolves with the number sent.
    flush: function () {
      if (Q.busy) return Q.busy;
      var sent = 0;
      Q.busy = Q.all().then(function (items) {
        return items.reduce(function (chain, item) {
          return chain.then(function (go) {
            if (!go) return false;
            return fetch(item.url, {
              method: "POST", body: item.body, credentials: "same-origin", redirect: "manual",
              headers: { "Content-Type": item.type || "application/x-www-form-urlencoded" }
            }).then(function (resp) {
              if (resp.type === "opaqueredirect" || resp.status < 500) {
                sent += 1;
                return Q.remove(item.id).then(function () { return true; });
              }
              return false;
            }, function () { return false; });
          });
        }, Promise.resolve(true));
      }).then(function () { Q.busy = null; return sent; }, function (e) { Q.busy = null; throw e; });
      return Q.busy;
    },
    busy: null
  };
  root.HerdeskFieldQueue = Q;
})(self);
