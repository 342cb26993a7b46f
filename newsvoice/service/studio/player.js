// The result player: audio, the on-air frame (current cue over 16:9 with safe areas),
// a waveform drawn from the decoded audio, and the cue list whose current cue follows
// playback. Cue text is only ever set with textContent.

export function clock(t) {
  t = Math.max(0, t || 0);
  const m = Math.floor(t / 60), s = t - m * 60;
  return `${m}:${s < 10 ? "0" : ""}${s.toFixed(2)}`;
}

/** Index of the cue on screen at time t (cues sorted by start), or -1 between cues. */
export function cueAt(cues, t) {
  let lo = 0, hi = cues.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t < cues[mid].start) hi = mid - 1;
    else if (t >= cues[mid].end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Peak envelope (0..1) of an AudioBuffer's first channel in n bins. */
export function peaksOf(buffer, n) {
  const data = buffer.getChannelData(0);
  const out = new Float32Array(n);
  const step = data.length / n;
  let max = 0;
  for (let i = 0; i < n; i++) {
    let p = 0;
    const a = Math.floor(i * step), b = Math.min(data.length, Math.floor((i + 1) * step));
    for (let k = a; k < b; k++) {
      const v = Math.abs(data[k]);
      if (v > p) p = v;
    }
    out[i] = p;
    if (p > max) max = p;
  }
  if (max > 0) for (let i = 0; i < n; i++) out[i] /= max;
  return out;
}

export class Player {
  constructor(root) {
    this.audio = root.querySelector("#audio");
    this.caption = root.querySelector("#caption");
    this.tc = root.querySelector("#tc");
    this.canvas = root.querySelector("#wave");
    this.list = root.querySelector("#cues");
    this.cues = [];
    this.els = [];
    this.peaks = null;
    this.current = -2;
    this.raf = 0;
    this.duration = 0;
    this.url = null;
    for (const ev of ["play", "pause", "seeked", "timeupdate", "loadedmetadata"]) {
      this.audio.addEventListener(ev, () => { if (!this.raf) this.tick(); });
    }
    this.canvas.addEventListener("click", (e) => {
      const r = this.canvas.getBoundingClientRect();
      this.seek(((e.clientX - r.left) / r.width) * this.length());
    });
    window.addEventListener("resize", () => this.draw(this.audio.currentTime));
  }

  /** Show a result: cues [{start, end, text}] and the audio Blob. */
  load(cues, blob, duration) {
    this.unload();
    this.cues = cues;
    this.duration = duration || (cues.length ? cues[cues.length - 1].end : 0);
    this.list.textContent = "";
    this.els = cues.map((c, i) => {
      const li = document.createElement("li");
      li.className = "cue";
      li.tabIndex = -1;
      li.dataset.n = String(i + 1);
      li.dataset.start = String(c.start);
      li.dataset.end = String(c.end);
      const head = document.createElement("div");
      head.className = "cue-head";
      const n = document.createElement("span");
      n.className = "n";
      n.textContent = String(i + 1);
      const time = document.createElement("span");
      time.className = "time";
      time.textContent = `${clock(c.start)} – ${clock(c.end)}`;
      head.append(n, time);
      const text = document.createElement("p");
      text.className = "text";
      text.lang = "vi";
      c.text.split("\n").forEach((line, k) => {
        if (k) text.appendChild(document.createElement("br"));
        text.appendChild(document.createTextNode(line));
      });
      li.append(head, text);
      li.addEventListener("click", () => this.seekCue(i, true));
      this.list.appendChild(li);
      return li;
    });
    this.url = URL.createObjectURL(blob);
    this.audio.src = this.url;
    this.current = -2;
    this.tick();
    this.decode(blob);
  }

  unload() {
    this.audio.pause();
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.peaks = null;
    this.audio.removeAttribute("src");
    this.audio.load();
  }

  async decode(blob) {
    try {
      const ctx = new OfflineAudioContext(1, 1, 48000);
      const buffer = await ctx.decodeAudioData(await blob.arrayBuffer());
      this.peaks = peaksOf(buffer, 600);
      if (!this.duration) this.duration = buffer.duration;
      this.draw(this.audio.currentTime);
      this.canvas.dataset.drawn = "1";
    } catch (_) {
      this.peaks = null; // cue bands and the playhead are still drawn
    }
  }

  length() {
    const d = this.audio.duration;
    return Number.isFinite(d) && d > 0 ? d : this.duration;
  }

  tick() {
    const t = this.audio.currentTime;
    this.tc.textContent = clock(t);
    this.show(cueAt(this.cues, t), !this.audio.paused);
    this.draw(t);
    this.raf = this.audio.paused ? 0 : requestAnimationFrame(() => this.tick());
  }

  show(i, scroll) {
    if (i === this.current) return;
    if (this.current >= 0 && this.els[this.current]) this.els[this.current].classList.remove("current");
    this.current = i;
    this.caption.textContent = "";
    if (i < 0) return;
    this.cues[i].text.split("\n").forEach((line, k) => {
      if (k) this.caption.appendChild(document.createElement("br"));
      const span = document.createElement("span");
      span.className = "line";
      span.textContent = line;
      this.caption.appendChild(span);
    });
    this.els[i].classList.add("current");
    if (scroll) this.els[i].scrollIntoView({ block: "nearest" });
  }

  seek(t) {
    this.audio.currentTime = t;
    this.tick();
  }

  seekCue(i, focus) {
    if (i < 0 || i >= this.cues.length) return;
    this.audio.currentTime = this.cues[i].start;
    this.tc.textContent = clock(this.cues[i].start);
    this.show(i, true);
    this.draw(this.cues[i].start);
    if (focus) this.els[i].focus({ preventScroll: true });
  }

  step(dir) {
    if (!this.cues.length) return;
    let i;
    if (this.current >= 0) i = this.current + dir;
    else {
      const t = this.audio.currentTime;
      i = 0;
      while (i < this.cues.length && this.cues[i].start <= t) i++;
      if (dir < 0) i -= 1;
    }
    this.seekCue(Math.min(this.cues.length - 1, Math.max(0, i)), true);
  }

  toggle() {
    if (this.audio.paused) {
      const p = this.audio.play();
      if (p && p.catch) p.catch(() => {});
    } else this.audio.pause();
  }

  draw(t) {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const d = this.length();
    if (!d) return;
    const x = (s) => (s / d) * w;
    const strip = 7;
    this.cues.forEach((cue, i) => {
      const x0 = x(cue.start), cw = Math.max(1, x(cue.end) - x0);
      ctx.fillStyle = i === this.current ? "rgba(11, 99, 206, 0.16)" : "rgba(11, 99, 206, 0.05)";
      ctx.fillRect(x0, strip, cw, h - strip);
      ctx.fillStyle = i === this.current ? "#0b63ce" : i % 2 ? "#9cb9e3" : "#6f97d1";
      ctx.fillRect(x0, 0, cw, strip - 2);
    });
    const mid = strip + (h - strip) / 2;
    const peaks = this.peaks;
    if (peaks) {
      const n = peaks.length, played = x(t || 0);
      for (let px = 0; px < w; px++) {
        const a = Math.floor((px / w) * n), b = Math.max(a + 1, Math.floor(((px + 1) / w) * n));
        let p = 0;
        for (let k = a; k < b && k < n; k++) p = Math.max(p, peaks[k]);
        const half = Math.max(0.5, p * ((h - strip) / 2 - 3));
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
}
