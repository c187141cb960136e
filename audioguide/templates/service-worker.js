// The guide's service worker, written by each build: it keeps the player page (the "shell") so
// the guide opens without a network, and answers a kept episode's files from the cache the page
// filled, byte ranges included, so its audio plays and seeks offline. Its CONFIG changes with
// every build that changes a file, which is how browsers learn that there is a new version.
"use strict";

var CONFIG = {{ config }};
var SCOPE = new URL(self.registration.scope);
// Cache Storage is shared by the whole origin: names carry the guide's folder.
var PREFIX = "audioguide " + SCOPE.pathname + " ";
var SHELL = PREFIX + "shell " + CONFIG.version;
var SHELL_FILES = new Set(CONFIG.shell);
var EPISODE_OF = {}; // relative URL of a kept file -> its episode's cache name
Object.keys(CONFIG.episodes).forEach(function (slug) {
  var episode = CONFIG.episodes[slug];
  episode.files.forEach(function (file) { EPISODE_OF[file] = PREFIX + episode.cache; });
});

function absolute(path) { return new URL(path, SCOPE).href; }

function fresh(path) { return new Request(absolute(path), { cache: "reload" }); }

async function holds(name, files) {
  for (var file of files) {
    if (!(await caches.match(absolute(file), { cacheName: name }))) return false;
  }
  return true;
}

async function install() {
  var shell = await caches.open(SHELL);
  await shell.addAll(CONFIG.shell.map(fresh));
  // An episode kept at an earlier build is fetched again at this build's version now, so this
  // version of the guide takes over only once the new audio is on the device too.
  var names = await caches.keys();
  for (var slug of Object.keys(CONFIG.episodes)) {
    var episode = CONFIG.episodes[slug], name = PREFIX + episode.cache;
    var keptBefore = names.some(function (n) { return n.startsWith(PREFIX + "episode " + slug + " ") && n !== name; });
    if (!keptBefore || (await holds(name, episode.files))) continue;
    var cache = await caches.open(name);
    try {
      // Audio last, as the page stores it: a cache holding the audio holds everything.
      await cache.addAll(episode.files.slice(1).map(fresh));
      await cache.add(fresh(episode.files[0]));
    } catch (error) {
      await caches.delete(name);
      throw error; // stay on the old version, which still has its audio; retried next visit
    }
  }
}

async function activate() {
  var current = new Set([SHELL]);
  Object.keys(CONFIG.episodes).forEach(function (slug) { current.add(PREFIX + CONFIG.episodes[slug].cache); });
  for (var name of await caches.keys()) {
    if (name.startsWith(PREFIX) && !current.has(name)) await caches.delete(name);
  }
}

async function fromShell(path, request) {
  return (await caches.match(absolute(path), { cacheName: SHELL })) || fetch(request);
}

async function fromKept(name, request) {
  var kept = await caches.match(request.url, { cacheName: name });
  return kept ? answer(request, kept) : fetch(request);
}

async function answer(request, kept) {
  // Media elements ask for byte ranges (and seek with them): a cached response is the whole
  // file, so the part asked for is cut from it here. One range per request, as players ask.
  var blob = await kept.blob(), total = blob.size;
  var headers = { "Content-Type": kept.headers.get("content-type") || "application/octet-stream", "Accept-Ranges": "bytes" };
  var match = /^bytes=(\d*)-(\d*)$/.exec((request.headers.get("range") || "").trim());
  if (!match || (match[1] === "" && match[2] === "")) {
    headers["Content-Length"] = String(total);
    return new Response(blob, { status: 200, headers: headers });
  }
  var start, end;
  if (match[1] === "") {
    start = Math.max(0, total - Number(match[2]));
    end = total - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? total - 1 : Math.min(Number(match[2]), total - 1);
  }
  if (start >= total || start > end) {
    return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + total } });
  }
  headers["Content-Range"] = "bytes " + start + "-" + end + "/" + total;
  headers["Content-Length"] = String(end - start + 1);
  return new Response(blob.slice(start, end + 1), { status: 206, headers: headers });
}

self.addEventListener("install", function (event) { event.waitUntil(install()); });

self.addEventListener("activate", function (event) { event.waitUntil(activate()); });

self.addEventListener("message", function (event) {
  if (event.data === "activate") self.skipWaiting();
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var target = new URL(request.url);
  if (request.method !== "GET" || target.origin !== SCOPE.origin || !target.pathname.startsWith(SCOPE.pathname)) return;
  var path = target.pathname.slice(SCOPE.pathname.length);
  if (request.mode === "navigate" && (path === "" || path === "index.html")) {
    event.respondWith(fromShell("index.html", request));
  } else if (!target.search && SHELL_FILES.has(path)) {
    event.respondWith(fromShell(path, request));
  } else if (EPISODE_OF[path + target.search]) {
    event.respondWith(fromKept(EPISODE_OF[path + target.search], request));
  }
});
