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

  function chapterLink(ep, index) {
    // Deep links are #<slug>/<chapter number>, numbered from 1 as listeners count chapters.
    return "#" + encodeURIComponent(ep.slug) + "/" + (index + 1);
  }

  function renderChapters() {
    var list = $("chapters");
    list.textContent = "";
    episode.chapters.forEach(function (chapter, index) {
      var link = element("a", "chapter");
      link.href = chapterLink(episode, index);
      link.dataset.start = String(chapter.start_ms / 1000);
      link.dataset.index = String(index);
      var at = clock(chapter.start_ms / 1000);
      link.setAttribute("aria-label", "Chapter " + (index + 1) + ": " + chapter.title + ", at " + at);
      link.append(
        element("span", "chapter-number", String(index + 1)),
        element("span", "chapter-title", chapter.title),
        element("span", "chapter-time", at)
      );
      link.addEventListener("click", function (event) {
        // The link is there to be copied or shared; tapping it plays here without a navigation.
        if (event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        seek(chapter.start_ms / 1000);
        play();
      });
      var item = element("li");
      item.append(link);
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
    // Until the audio's metadata arrives, a seek asked for is where the listener is.
    var t = pendingSeek !== null ? pendingSeek : audio.currentTime;
    var chapter = indexAt(episode.chapters, t, function (c) { return c.start_ms / 1000; });
    if (chapter !== chapterIndex) {
      chapterIndex = chapter;
      document.querySelectorAll("#chapters a").forEach(function (link, index) {
        if (index === chapter) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
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
    if (started && started.catch) {
      started.catch(function (error) {
        // Browsers refuse to start sound before the listener has touched the page (a scanned
        // code opens a link without a tap): the chapter is ready, one tap plays it.
        if (error && error.name === "NotAllowedError") $("status").textContent = "Tap play to listen.";
      });
    }
  }

  function jumpChapter(step) {
    if (!episode || !episode.chapters.length) return;
    var index = chapterIndex;
    var start = index >= 0 ? episode.chapters[index].start_ms / 1000 : 0;
    if (step < 0 && audio.currentTime - start > RESTART_CHAPTER_AFTER) step = 0;
    index = Math.max(0, Math.min(episode.chapters.length - 1, index + step));
    seek(episode.chapters[index].start_ms / 1000);
  }

  function findEpisode(slug) {
    return data.episodes.filter(function (ep) { return ep.slug === slug; })[0];
  }

  function selectEpisode(slug, autoplay) {
    var next = findEpisode(slug) || data.episodes[0];
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
    // Lock screens show the title largest: the chapter playing is what a listener looks for.
    navigator.mediaSession.metadata = new MediaMetadata({
      title: chapter || episode.title,
      artist: chapter ? episode.title : data.title,
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

  // --- deep links and sharing ---

  function openLink(hash, reloaded) {
    // #<slug>/<n> opens chapter n of that episode and plays it; #<slug> opens the episode.
    var match = /^#([^/]+)(?:\/(\d+))?$/.exec(hash);
    var ep = match && findEpisode(decodeURIComponent(match[1]));
    if (!ep) return false;
    var number = match[2] ? parseInt(match[2], 10) : 0;
    if (ep !== episode) selectEpisode(ep.slug, false);
    var chapter = episode.chapters[number - 1];
    if (chapter) {
      var position = savedPosition(episode) * 1000;
      // A reload keeps the listener's place inside the linked chapter; opening the link starts it.
      var resume = reloaded && position >= chapter.start_ms && position < chapter.end_ms;
      seek(resume ? position / 1000 : chapter.start_ms / 1000);
    } else if (number) {
      $("status").textContent = "This episode has no chapter " + number + ".";
    }
    play();
    return true;
  }

  function wasReloaded() {
    var entry = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    return !!entry && entry.type === "reload";
  }

  function share() {
    if (!episode) return;
    var page = location.href.split("#")[0];
    var url = page + chapterLink(episode, Math.max(0, chapterIndex));
    var title = chapterIndex >= 0 ? episode.chapters[chapterIndex].title + " · " + episode.title : episode.title;
    if (navigator.share) {
      navigator.share({ title: title, url: url }).catch(function () { /* the listener cancelled */ });
    } else if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(
        function () { $("status").textContent = "Link copied: " + url; },
        function () { $("status").textContent = "Link: " + url; }
      );
    } else {
      $("status").textContent = "Link: " + url;
    }
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
    audio.addEventListener("playing", function () {
      if ($("status").textContent === "Tap play to listen.") $("status").textContent = "";
    });
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
    $("share").addEventListener("click", share);
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
    window.addEventListener("hashchange", function () { openLink(location.hash, false); });
    if (!openLink(location.hash, wasReloaded())) selectEpisode(recall("episode"), false);
  }

  start();
})();
