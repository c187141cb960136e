// Keeping episodes for offline listening: registers the guide's service worker (which answers
// from the caches this script fills) and drives each episode's [data-offline] control. Where
// service workers are unavailable (file://, plain http on a LAN address, some private windows)
// it does nothing and the player works as it always has, online.
(function () {
  "use strict";

  var CONFIRM_MS = 4000; // how long "Remove?" waits for the second tap
  var data = JSON.parse(document.getElementById("guide-data").textContent);
  if (!data.worker || location.protocol === "file:" || !("serviceWorker" in navigator) || !("caches" in window)) return;
  var $ = function (id) { return document.getElementById(id); };
  // Cache Storage is shared by the whole origin: names carry the guide's folder, as the worker's do.
  var prefix = "audioguide " + new URL(".", location.href).pathname + " ";
  var states = {}; // slug -> "none" | "saving" | "kept" | "confirm" | "error"

  function absolute(url) { return new URL(url, location.href).href; }

  function size(bytes) {
    if (bytes >= 1e9) return (bytes / 1e9).toFixed(1) + " GB";
    if (bytes >= 1e6) return (bytes / 1e6).toFixed(1) + " MB";
    return Math.max(1, Math.round(bytes / 1e3)) + " kB";
  }

  function control(ep) { return document.querySelector('[data-offline="' + CSS.escape(ep.slug) + '"]'); }

  // What the control and the episode's line say in each state: [label, spoken label, note].
  var TEXTS = {
    none: function (ep) { return ["Offline", "Keep " + ep.title + " for offline listening", ""]; },
    saving: function (ep, d) {
      return [d.percent + "%", "Saving " + ep.title + " for offline listening, " + d.percent + "%",
        " · saving " + size(d.done) + " of " + size(ep.bytes)];
    },
    kept: function (ep, d) {
      return ["Kept", ep.title + " is kept for offline listening (" + size(d.bytes) + "); tap to remove it",
        " · kept offline, " + size(d.bytes)];
    },
    confirm: function (ep, d) {
      return ["Remove?", "Tap again to remove " + ep.title + " from this device", " · kept offline, " + size(d.bytes)];
    },
    error: function (ep, d) {
      return ["Retry", "Saving " + ep.title + " failed; tap to try again", " · not saved: " + d.reason];
    }
  };

  function show(ep, state, detail) {
    states[ep.slug] = state;
    var button = control(ep), texts = TEXTS[state](ep, detail);
    button.dataset.state = state;
    button.style.setProperty("--done", (detail.percent || 0) + "%");
    button.querySelector(".offline-label").textContent = texts[0];
    button.setAttribute("aria-label", texts[1]);
    button.setAttribute("aria-pressed", String(state === "kept" || state === "confirm"));
    button.parentNode.querySelector(".episode-offline").textContent = texts[2];
  }

  async function keptBytes(ep) {
    // An episode is kept when every one of its files is in its cache (the audio goes in last).
    var name = prefix + ep.cache;
    if (!(await caches.has(name))) return 0;
    var total = 0;
    for (var url of ep.offline) {
      var response = await caches.match(absolute(url), { cacheName: name });
      if (!response) return 0;
      total += Number(response.headers.get("content-length")) || (await response.blob()).size;
    }
    return total;
  }

  async function refresh(ep) {
    var bytes = await keptBytes(ep);
    show(ep, bytes ? "kept" : "none", { bytes: bytes });
    return bytes;
  }

  async function keep(ep) {
    var name = prefix + ep.cache;
    show(ep, "saving", { percent: 0, done: 0 });
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    try {
      var cache = await caches.open(name);
      var audio = ep.offline[0], done = 0;
      for (var url of ep.offline.slice(1).concat([audio])) {
        var response = await fetch(url, { cache: "no-store" });
        if (!response.ok) throw new Error("the server answered " + response.status);
        var headers = { "Content-Type": response.headers.get("content-type") || "application/octet-stream" };
        var length = response.headers.get("content-length");
        if (length && !response.headers.get("content-encoding")) headers["Content-Length"] = length;
        var body = response.body;
        if (url === audio) {
          // Count the audio's bytes as they stream into the cache: that is the visible progress.
          body = body.pipeThrough(new TransformStream({
            transform: function (chunk, out) {
              done += chunk.byteLength;
              var percent = Math.min(99, Math.floor(100 * done / Math.max(ep.bytes, 1)));
              show(ep, "saving", { percent: percent, done: done });
              out.enqueue(chunk);
            }
          }));
        }
        await cache.put(absolute(url), new Response(body, { status: 200, headers: headers }));
      }
    } catch (error) {
      await caches.delete(name);
      show(ep, "error", { reason: navigator.onLine ? String(error.message || error) : "no network" });
      summarise();
      return;
    }
    await refresh(ep);
    summarise();
  }

  async function remove(ep) {
    await caches.delete(prefix + ep.cache);
    await refresh(ep);
    summarise();
  }

  async function summarise() {
    var box = $("offline-summary");
    var kept = 0, bytes = 0;
    for (var ep of data.episodes) {
      var b = await keptBytes(ep);
      if (b) { kept += 1; bytes += b; }
    }
    var text = kept
      ? "Kept on this device for listening offline: " + kept + " episode" + (kept === 1 ? "" : "s") + ", " + size(bytes) + "."
      : "Tap “Offline” beside an episode to keep it on this device and listen without a network.";
    if (navigator.storage && navigator.storage.estimate) {
      try {
        var estimate = await navigator.storage.estimate();
        if (estimate.quota) text += " Storage used by this site: " + size(estimate.usage || 0) + " of " + size(estimate.quota) + ".";
      } catch (e) { /* no estimate: the byte count above is enough */ }
    }
    box.textContent = text;
    box.hidden = false;
  }

  function wire(ep) {
    var button = control(ep), timer = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      var state = states[ep.slug];
      clearTimeout(timer);
      if (state === "none" || state === "error") keep(ep);
      else if (state === "kept") {
        // Removing needs a second tap: offline, a slip of the finger could not be undone.
        show(ep, "confirm", { bytes: 0 });
        keptBytes(ep).then(function (bytes) { show(ep, "confirm", { bytes: bytes }); });
        timer = setTimeout(function () { refresh(ep); }, CONFIRM_MS);
      } else if (state === "confirm") remove(ep);
    });
  }

  function offerUpdate(registration) {
    // A new build's worker waits until it is asked (or every tab of the guide has closed), so
    // audio already playing is never pulled from under the listener.
    function offer(worker) {
      if (!worker || !navigator.serviceWorker.controller) return;
      $("update").hidden = false;
      $("update-now").onclick = function () { worker.postMessage("activate"); };
    }
    offer(registration.waiting);
    registration.addEventListener("updatefound", function () {
      var worker = registration.installing;
      if (worker) worker.addEventListener("statechange", function () { if (worker.state === "installed") offer(worker); });
    });
  }

  var controlled = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener("controllerchange", function () {
    if (controlled) location.reload(); // the new version took over: show its page
    controlled = true;
  });
  navigator.serviceWorker.register(data.worker).then(offerUpdate, function () { /* no offline here */ });
  data.episodes.forEach(function (ep) { wire(ep); refresh(ep); });
  summarise();
})();
