// newsvoice review page: player, on-air captions, cue list, waveform, lexicon fixes.
// Inlined into every page; no network, no libraries. Article text is only ever set
// with textContent or form values, never parsed as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var audio = document.getElementById("audio");
  var caption = document.getElementById("caption");
  var tc = document.getElementById("tc");
  var canvas = document.getElementById("wave");
  var cueEls = Array.prototype.slice.call(document.querySelectorAll("#cues .cue"));
  var cues = cueEls.map(function (el, i) {
    return { el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end),
             lines: (data.cues[i] ? data.cues[i].text : "").split("\n") };
  });
  var current = -2;
  var raf = 0;

  function clock(t) {
    t = Math.max(0, t || 0);
    var m = Math.floor(t / 60), s = t - m * 60;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(2);
  }

  function duration() {
    var d = audio.duration;
    return isFinite(d) && d > 0 ? d : (data.duration || (cues.length ? cues[cues.length - 1].end : 0));
  }

  // index of the cue on screen at time t, or -1 between cues
  function cueAt(t) {
    var lo = 0, hi = cues.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (t < cues[mid].start) hi = mid - 1;
      else if (t >= cues[mid].end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  function setCaption(i) {
    caption.textContent = "";
    if (i < 0) return;
    cues[i].lines.forEach(function (line, k) {
      if (k) caption.appendChild(document.createElement("br"));
      var span = document.createElement("span");
      span.className = "line";
      span.textContent = line;
      caption.appendChild(span);
    });
  }

  // the word timeline of the current cue (when the manifest has one): click a word to hear it
  var words = data.words || [];
  var wordRow = null;
  function showWords(i) {
    if (wordRow) { wordRow.remove(); wordRow = null; }
    var range = i >= 0 && data.cues[i] ? data.cues[i].words : null;
    if (!range || range[1] <= range[0]) return;
    wordRow = document.createElement("p");
    wordRow.className = "words";
    for (var k = range[0]; k < range[1]; k++) {
      var span = document.createElement("span");
      span.textContent = words[k].text;
      span.dataset.wordStart = words[k].start;  // not data-start: that marks cues
      span.dataset.wordEnd = words[k].end;
      span.addEventListener("click", function (e) {
        e.stopPropagation();
        seekTo(parseFloat(e.currentTarget.dataset.wordStart));
      });
      wordRow.appendChild(span);
      wordRow.appendChild(document.createTextNode(" "));
    }
    var spoken = cues[i].el.querySelector(".spoken");
    if (spoken) spoken.parentNode.insertBefore(wordRow, spoken);
    else cues[i].el.appendChild(wordRow);
  }
  function markWord(t) {
    if (!wordRow) return;
    Array.prototype.forEach.call(wordRow.children, function (s) {
      s.classList.toggle("now", parseFloat(s.dataset.wordStart) <= t && t < parseFloat(s.dataset.wordEnd));
    });
  }

  function show(i, scroll) {
    if (i === current) return;
    if (current >= 0) cues[current].el.classList.remove("current");
    current = i;
    setCaption(i);
    showWords(i);
    if (i >= 0) {
      cues[i].el.classList.add("current");
      if (scroll) cues[i].el.scrollIntoView({ block: "nearest" });
    }
  }

  function tick() {
    var t = audio.currentTime;
    tc.textContent = clock(t);
    show(cueAt(t), !audio.paused);
    markWord(t);
    drawWave(t);
    raf = audio.paused ? 0 : requestAnimationFrame(tick);
  }

  function seekTo(t) {
    audio.currentTime = t;
    tick();
  }

  function seekCue(i, focus) {
    if (i < 0 || i >= cues.length) return;
    audio.currentTime = cues[i].start;
    tc.textContent = clock(cues[i].start);
    show(i, true);
    markWord(cues[i].start);
    drawWave(cues[i].start);
    if (focus) cues[i].el.focus({ preventScroll: true });
  }

  function togglePlay() {
    if (audio.paused) {
      var p = audio.play();
      if (p && p.catch) p.catch(function () {});
    } else {
      audio.pause();
    }
  }

  ["play", "pause", "seeked", "timeupdate", "loadedmetadata"].forEach(function (ev) {
    audio.addEventListener(ev, function () {
      if (!raf) tick();
    });
  });
  audio.addEventListener("error", function () {
    document.getElementById("audio-missing").hidden = false;
  });

  cueEls.forEach(function (el, i) {
    el.addEventListener("click", function (e) {
      var sel = window.getSelection();
      if (sel && !sel.isCollapsed && el.contains(sel.anchorNode)) return; // selecting a word to fix
      if (e.target.closest("a, input, textarea")) return;
      seekCue(i, true);
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll(".warnings a[data-cue]"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      seekCue(parseInt(a.dataset.cue, 10) - 1, true);
    });
  });

  // "N to check" in the header opens the warnings
  Array.prototype.forEach.call(document.querySelectorAll('a[href="#warnings"]'), function (a) {
    a.addEventListener("click", function () {
      Array.prototype.forEach.call(document.querySelectorAll("#warnings details"), function (d) { d.open = true; });
    });
  });

  // keyboard: space plays/pauses, arrows move between cues (form fields and buttons keep their keys)
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    var tag = e.target.tagName;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || e.target.isContentEditable) return;
    if (e.key === " " || e.key === "Spacebar") {
      if (/^(BUTTON|A|AUDIO|SUMMARY)$/.test(tag)) return;
      e.preventDefault();
      togglePlay();
    } else if (e.key === "ArrowRight" || e.key === "ArrowDown") {
      if (tag === "AUDIO") return;
      e.preventDefault();
      seekCue(nextCue(1), true);
    } else if (e.key === "ArrowLeft" || e.key === "ArrowUp") {
      if (tag === "AUDIO") return;
      e.preventDefault();
      seekCue(nextCue(-1), true);
    }
  });

  function nextCue(dir) {
    var t = audio.currentTime;
    if (current >= 0) return Math.min(cues.length - 1, Math.max(0, current + dir));
    var i = 0;
    while (i < cues.length && cues[i].start <= t) i++;  // first cue after t
    return dir > 0 ? Math.min(i, cues.length - 1) : Math.max(0, i - 1);
  }

  // waveform: peak envelope, one band per cue, cue starts, playhead
  function drawWave(t) {
    if (!canvas.getContext) return;
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var d = duration();
    if (!d) return;
    var x = function (s) { return (s / d) * w; };
    var strip = 7;  // cue marks: a band per cue along the top, a line at each cue start
    cues.forEach(function (c, i) {
      var x0 = x(c.start), cw = Math.max(1, x(c.end) - x0);
      ctx.fillStyle = i === current ? "rgba(11, 99, 206, 0.16)" : "rgba(11, 99, 206, 0.05)";
      ctx.fillRect(x0, strip, cw, h - strip);
      ctx.fillStyle = i === current ? "#0b63ce" : (i % 2 ? "#9cb9e3" : "#6f97d1");
      ctx.fillRect(x0, 0, cw, strip - 2);
      ctx.fillStyle = "rgba(11, 99, 206, 0.45)";
      ctx.fillRect(x0, strip, 1, h - strip);
    });
    var peaks = data.peaks || [];
    var mid = strip + (h - strip) / 2, n = peaks.length;
    if (n) {
      var played = x(t || 0);
      for (var px = 0; px < w; px++) {
        var a = Math.floor((px / w) * n), b = Math.max(a + 1, Math.floor(((px + 1) / w) * n));
        var p = 0;
        for (var k = a; k < b && k < n; k++) p = Math.max(p, peaks[k]);
        var half = Math.max(0.5, p * ((h - strip) / 2 - 3));
        ctx.fillStyle = px < played ? "#0b63ce" : "#7b8794";
        ctx.fillRect(px, mid - half, 1, half * 2);
      }
    } else {
      ctx.fillStyle = "#7b8794";
      ctx.fillRect(0, mid, w, 1);
    }
    ctx.fillStyle = "#b42318";
    ctx.fillRect(Math.min(w - 2, x(t || 0)), 0, 2, h);
  }

  canvas.addEventListener("click", function (e) {
    var r = canvas.getBoundingClientRect();
    seekTo(((e.clientX - r.left) / r.width) * duration());
  });
  window.addEventListener("resize", function () { drawWave(audio.currentTime); });

  // pronunciation fixes: written<TAB>spoken lines for --lexicon
  var form = document.getElementById("fix-form");
  var written = document.getElementById("fix-written");
  var spoken = document.getElementById("fix-spoken");
  var tsv = document.getElementById("fix-tsv");
  var status = document.getElementById("fix-status");
  var chip = document.getElementById("fix-chip");
  var storeKey = "newsvoice-lexicon:" + location.pathname;
  var fixes = [];
  try { fixes = JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (err) { fixes = []; }

  function clean(s) { return s.replace(/[\t\r\n]+/g, " ").replace(/\s+/g, " ").trim(); }
  function lexiconText() { return fixes.map(function (f) { return f[0] + "\t" + f[1]; }).join("\n") + (fixes.length ? "\n" : ""); }
  function renderFixes() {
    tsv.value = lexiconText();
    try { localStorage.setItem(storeKey, JSON.stringify(fixes)); } catch (err) { /* private mode */ }
  }
  function say(msg) { status.textContent = msg; }

  function selectedWritten() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.anchorNode) return "";
    var node = sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement;
    var host = node && node.closest(".written");
    if (!host || !host.contains(sel.focusNode)) return "";
    var text = clean(sel.toString());
    return text.length <= 100 ? text : "";
  }

  document.addEventListener("selectionchange", function () {
    var text = selectedWritten();
    if (!text) return;
    written.value = text;
    chip.textContent = "Fix how “" + text + "” is said…";
    chip.hidden = false;
  });
  chip.addEventListener("click", function () {
    chip.hidden = true;
    spoken.focus();
    spoken.scrollIntoView({ block: "center" });
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var w = clean(written.value), s = clean(spoken.value);
    if (!w || !s) return;
    fixes = fixes.filter(function (f) { return f[0] !== w; });
    fixes.push([w, s]);
    renderFixes();
    written.value = "";
    spoken.value = "";
    chip.hidden = true;
    say("added: " + w);
  });

  document.getElementById("fix-copy").addEventListener("click", function () {
    var text = lexiconText();
    var fallback = function () {
      tsv.focus();
      tsv.select();
      try { document.execCommand("copy"); say("copied"); } catch (err) { say("select the text and copy it"); }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { say("copied"); }, fallback);
    } else {
      fallback();
    }
  });

  document.getElementById("fix-download").addEventListener("click", function () {
    var url = URL.createObjectURL(new Blob([lexiconText()], { type: "text/tab-separated-values;charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = "lexicon.tsv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  });

  document.getElementById("fix-clear").addEventListener("click", function () {
    fixes = [];
    renderFixes();
    say("cleared");
  });

  renderFixes();
  tick();
})();
