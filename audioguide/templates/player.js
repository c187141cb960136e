// The audioguide player: one <audio> element, the guide's data embedded in the page (no fetches,
// so it also works from file://), positions remembered per episode in localStorage.
(function () {
  "use strict";

  var SKIP_SECONDS = 15;
  var RESTART_CHAPTER_AFTER = 3; // "previous chapter" restarts the current one when this far in
  var data = JSON.parse(document.getElementById("guide-data").textContent);
  var audio = document.getElementById("player");
  var $ = function (id) { return document.getElementById(id); };
  var storagePrefix = "audioguide:" + location.pathname + ":";

  var episode = null;        // the selected episode's data
  var chapterIndex = -1;     // index of the chapter playing now
  var cueElements = [];      // transcript spans, in time order
  var cueIndex = -1;
  var pendingSeek = null;    // a seek asked for before the audio's metadata arrived
  var lastSaved = -1;
  var userScrolledAt = 0;

  function store(key, value) {
    try { localStorage.setItem(storagePrefix + key, String(value)); } catch (e) { /* private mode */ }
  }

  function recall(key) {
    try { return localStorage.getItem(storagePrefix + key); } catch (e) { return null; }
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function duration() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : episode.duration_ms / 1000;
  }

  function savedPosition(ep) {
    var value = parseFloat(recall("position:" + ep.slug));
    return isFinite(value) ? value : 0;
  }

  function savePosition(force) {
    if (!episode) return;
    var t = audio.currentTime;
    if (!force && Math.abs(t - lastSaved) < 1) return;
    lastSaved = t;
    store("position:" + episode.slug, t.toFixed(1));
    showProgress(episode);
  }

  function showProgress(ep) {
    var meta = document.querySelector('#episodes li[data-slug="' + CSS.escape(ep.slug) + '"] .episode-progress');
    if (!meta) return;
    var position = savedPosition(ep), total = ep.duration_ms / 1000;
    if (position >= total - 2) meta.textContent = " · played";
    else if (position >= 1) meta.textContent = " · " + clock(total - position) + " left";
    else meta.textContent = "";
  }

  // --- rendering the selected episode's chapters and transcript ---

  function renderChapters() {
    var list = $("chapters");
    list.textContent = "";
    episode.chapters.forEach(function (chapter, index) {
      var button = element("button");
      button.type = "button";
      button.dataset.start = String(chapter.start_ms / 1000);
      button.dataset.index = String(index);
      var at = clock(chapter.start_ms / 1000);
      button.setAttribute("aria-label", "Chapter " + (index + 1) + ": " + chapter.title + ", at " + at);
      button.append(
        element("span", "chapter-number", String(index + 1)),
        element("span", "chapter-title", chapter.title),
        element("span", "chapter-time", at)
      );
      button.addEventListener("click", function () {
        seek(chapter.start_ms / 1000);
        play();
      });
      var item = element("li");
      item.append(button);
      list.append(item);
    });
    if (!episode.chapters.length) list.append(element("li", "empty", "This episode has no chapters."));
  }

  function renderTranscript() {
    var box = $("transcript");
    box.textContent = "";
    cueElements = [];
    var chapters = episode.chapters.length ? episode.chapters : [{ title: "", start_ms: 0, end_ms: Infinity }];
    var next = 0;
    chapters.forEach(function (chapter, index) {
      var isLast = index === chapters.length - 1;
      var paragraph = element("p");
      while (next < episode.cues.length && (isLast || episode.cues[next][0] < chapter.end_ms)) {
        var cue = episode.cues[next++];
        var span = element("span", "cue", cue[2]);
        span.dataset.start = String(cue[0] / 1000);
        span.dataset.end = String(cue[1] / 1000);
        paragraph.append(span, " ");
        cueElements.push(span);
      }
      if (!paragraph.childNodes.length) return;
      if (chapter.title) box.append(element("h3", "", chapter.title));
      box.append(paragraph);
    });
    if (!cueElements.length) box.append(element("p", "empty", "No transcript for this episode."));
  }

  // --- following playback ---

  function indexAt(items, t, startOf) {
    // Last item starting at or before t (binary search: transcripts can be long).
    var lo = 0, hi = items.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (startOf(items[mid]) <= t + 0.001) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function follow() {
    if (!episode) return;
    var t = audio.currentTime;
    var chapter = indexAt(episode.chapters, t, function (c) { return c.start_ms / 1000; });
    if (chapter !== chapterIndex) {
      chapterIndex = chapter;
      document.querySelectorAll("#chapters button").forEach(function (button, index) {
        if (index === chapter) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      });
      $("now-chapter").textContent = chapter >= 0 ? episode.chapters[chapter].title : "";
      updateMetadata();
    }
    var cue = indexAt(cueElements, t, function (span) { return parseFloat(span.dataset.start); });
    if (cue >= 0 && t >= parseFloat(cueElements[cue].dataset.end)) cue = -1;
    if (cue !== cueIndex) {
      if (cueIndex >= 0) cueElements[cueIndex].classList.remove("current");
      cueIndex = cue;
      if (cue >= 0) {
        cueElements[cue].classList.add("current");
        scrollTranscriptTo(cueElements[cue]);
      }
    }
    $("elapsed").textContent = clock(t);
    $("remaining").textContent = "−" + clock(duration() - t);
    var seekBar = $("seek");
    seekBar.max = String(duration());
    if (document.activeElement !== seekBar) seekBar.value = String(t);
  }

  function scrollTranscriptTo(span) {
    // Scroll only the transcript box, and not while the reader is scrolling it themselves.
    if (audio.paused || Date.now() - userScrolledAt < 5000) return;
    var box = $("transcript");
    box.scrollTop = span.offsetTop - box.offsetTop - box.clientHeight / 3;
  }

  // --- controls ---

  function seek(t) {
    t = Math.max(0, Math.min(t, duration()));
    if (audio.readyState >= 1) audio.currentTime = t;
    else pendingSeek = t;
    follow();
  }

  function showPlaying() {
    var button = $("play");
    button.classList.toggle("playing", !audio.paused);
    button.setAttribute("aria-label", audio.paused ? "Play" : "Pause");
  }

  function play() {
    var started = audio.play();
    if (started && started.catch) started.catch(function () { /* needs a user gesture first */ });
  }

  function jumpChapter(step) {
    if (!episode || !episode.chapters.length) return;
    var index = chapterIndex;
    var start = index >= 0 ? episode.chapters[index].start_ms / 1000 : 0;
    if (step < 0 && audio.currentTime - start > RESTART_CHAPTER_AFTER) step = 0;
    index = Math.max(0, Math.min(episode.chapters.length - 1, index + step));
    seek(episode.chapters[index].start_ms / 1000);
  }

  function selectEpisode(slug, autoplay) {
    var next = data.episodes.filter(function (ep) { return ep.slug === slug; })[0] || data.episodes[0];
    if (episode) savePosition(true);
    episode = next;
    chapterIndex = -1;
    cueIndex = -1;
    lastSaved = -1;
    store("episode", episode.slug);
    document.querySelectorAll("#episodes .episode").forEach(function (button) {
      if (button.dataset.slug === episode.slug) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
    $("now-episode").textContent = episode.title;
    $("status").textContent = "";
    renderChapters();
    renderTranscript();
    var position = savedPosition(episode);
    pendingSeek = position < episode.duration_ms / 1000 - 2 ? position : 0;
    audio.src = episode.src;
    audio.playbackRate = audio.defaultPlaybackRate;
    follow();
    updateMetadata();
    if (autoplay) play();
  }

  function setSpeed(rate) {
    audio.defaultPlaybackRate = rate;
    audio.playbackRate = rate;
    $("speed").value = String(rate);
    store("speed", rate);
  }

  // --- Media Session: lock screen, headphones, car ---

  function updateMetadata() {
    if (!episode || !("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    var chapter = chapterIndex >= 0 ? episode.chapters[chapterIndex].title : "";
    var artwork = [];
    if (data.cover) {
      artwork.push({ src: new URL(data.cover, document.baseURI).href, type: data.cover_type });
    }
    navigator.mediaSession.metadata = new MediaMetadata({
      title: episode.title,
      artist: chapter || data.title,
      album: data.title,
      artwork: artwork
    });
  }

  function updatePositionState() {
    if (!("mediaSession" in navigator) || !navigator.mediaSession.setPositionState) return;
    if (!isFinite(audio.duration) || audio.duration <= 0) return;
    try {
      navigator.mediaSession.setPositionState({
        duration: audio.duration,
        playbackRate: audio.playbackRate,
        position: Math.min(audio.currentTime, audio.duration)
      });
    } catch (e) { /* an inconsistent state is not worth failing over */ }
  }

  function setActionHandlers() {
    if (!("mediaSession" in navigator)) return;
    var handlers = {
      play: play,
      pause: function () { audio.pause(); },
      seekbackward: function (details) { seek(audio.currentTime - (details.seekOffset || SKIP_SECONDS)); },
      seekforward: function (details) { seek(audio.currentTime + (details.seekOffset || SKIP_SECONDS)); },
      seekto: function (details) { seek(details.seekTime); },
      previoustrack: function () { jumpChapter(-1); },
      nexttrack: function () { jumpChapter(1); }
    };
    Object.keys(handlers).forEach(function (action) {
      try {
        navigator.mediaSession.setActionHandler(action, handlers[action]);
      } catch (e) { /* an action this browser does not know */ }
    });
  }

  // --- wiring ---

  function start() {
    if (!data.episodes.length) return;
    $("now").hidden = false;
    var feedUrl = $("feed-url");
    if (location.protocol !== "file:") feedUrl.value = new URL(data.feed, document.baseURI).href;
    feedUrl.addEventListener("focus", function () { feedUrl.select(); });

    audio.addEventListener("loadedmetadata", function () {
      if (pendingSeek !== null) {
        audio.currentTime = Math.min(pendingSeek, audio.duration || pendingSeek);
        pendingSeek = null;
      }
      follow();
      updatePositionState();
    });
    audio.addEventListener("timeupdate", function () { follow(); savePosition(false); });
    audio.addEventListener("seeked", function () { follow(); savePosition(true); updatePositionState(); });
    audio.addEventListener("ratechange", updatePositionState);
    audio.addEventListener("pause", function () { savePosition(true); });
    audio.addEventListener("ended", function () { savePosition(true); });
    audio.addEventListener("play", showPlaying);
    audio.addEventListener("pause", showPlaying);
    audio.addEventListener("error", function () {
      $("status").textContent = "The audio could not be loaded. Is the file next to this page?";
    });
    window.addEventListener("pagehide", function () { savePosition(true); });

    $("play").addEventListener("click", function () { if (audio.paused) play(); else audio.pause(); });
    $("back").addEventListener("click", function () { seek(audio.currentTime - SKIP_SECONDS); });
    $("forward").addEventListener("click", function () { seek(audio.currentTime + SKIP_SECONDS); });
    $("prev-chapter").addEventListener("click", function () { jumpChapter(-1); });
    $("next-chapter").addEventListener("click", function () { jumpChapter(1); });
    $("seek").addEventListener("input", function () { seek(parseFloat($("seek").value)); });
    $("speed").addEventListener("change", function () { setSpeed(parseFloat($("speed").value)); });
    $("transcript").addEventListener("click", function (event) {
      var cue = event.target.closest(".cue");
      if (cue) seek(parseFloat(cue.dataset.start));
    });
    ["wheel", "touchmove"].forEach(function (type) {
      $("transcript").addEventListener(type, function () { userScrolledAt = Date.now(); }, { passive: true });
    });
    document.querySelectorAll("#episodes .episode").forEach(function (button) {
      button.addEventListener("click", function () { selectEpisode(button.dataset.slug, true); });
    });

    setActionHandlers();
    data.episodes.forEach(showProgress);
    var speed = parseFloat(recall("speed"));
    setSpeed(speed >= 0.5 && speed <= 3 ? speed : 1);
    selectEpisode(recall("episode"), false);
  }

  start();
})();
