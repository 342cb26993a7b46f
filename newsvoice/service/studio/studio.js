// newsvoice Studio: paste / drop / URL → preview (headline, sentences and readings,
// dropped lines) → options → render with progress → player with cues → history and
// lexicon. Built on the public API only (docs/service.md). No libraries, no network
// beyond this server. Data is only ever put on the page with textContent or form
// values; strings come from strings.js.

import { Api, ApiError } from "./api.js";
import { Player, clock } from "./player.js";
import { LANGS, t } from "./strings.js";

const $ = (id) => document.getElementById(id);
const KEY = { token: "newsvoice-studio:token", lang: "newsvoice-studio:lang" };
const FILE_TYPES = /\.(txt|md|html?|docx)$/i;
const SUB_FORMATS = ["srt", "vtt", "ttml", "avid"]; // when /v1/options gives no choices
const PREVIEW_DEBOUNCE_MS = 450;

function stored(key, fallback) {
  try { return localStorage.getItem(key) ?? fallback; } catch (_) { return fallback; }
}
function store(key, value) {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch (_) { /* private mode: kept for this page only */ }
}

const state = {
  lang: LANGS.includes(stored(KEY.lang, "vi")) ? stored(KEY.lang, "vi") : "vi",
  token: stored(KEY.token, ""),
  source: { kind: "text" }, // or {kind: "file", file} / {kind: "url", url}
  keep: [], // dropped lines the producer kept
  preview: null,
  previewSeq: 0,
  previewAbort: null,
  voices: [],
  specs: {},
  defaults: {},
  job: null, // the job being followed or shown
  follow: null, // AbortController of the job being followed
  jobs: [],
  lexicon: [],
  health: undefined, // GET /v1/health, null when it failed
};

const api = new Api(location.origin, () => state.token);
const player = new Player(document);

/** The UI string for key (with {params}); the key itself if the table lacks it. */
function tr(key, params) {
  return t(state.lang, key, params) ?? key;
}
/** A code from the server (dropped reason, flag rule, state) in the UI language. */
function label(prefix, code) {
  return t(state.lang, `${prefix}.${code}`) ?? String(code);
}
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k === "dataset") Object.assign(e.dataset, v);
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// ------------------------------------------------------------------ strings, tabs

function applyStrings() {
  document.documentElement.lang = state.lang;
  $("lang").value = state.lang;
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = tr(e.dataset.t);
  for (const e of document.querySelectorAll("[data-t-placeholder]")) e.placeholder = tr(e.dataset.tPlaceholder);
  for (const e of document.querySelectorAll("[data-t-aria-label]")) e.setAttribute("aria-label", tr(e.dataset.tAriaLabel));
  document.title = tr("app.title");
  showSource();
  if (state.health !== undefined) showHealth();
  renderVoices();
  renderOptionChoices();
  if (state.preview) renderPreview(state.preview);
  renderHistory();
  renderLexicon();
  if (state.job) showJobState(state.job);
  if (player.cues.length) $("cues-h").textContent = tr("result.cues", { n: player.cues.length });
}

function showTab(name) {
  for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== `screen-${name}`;
  document.body.dataset.screen = name;
  if (name === "history") loadHistory();
  if (name === "lexicon") loadLexicon();
  if (name === "result") player.draw(player.audio.currentTime);
}

// ------------------------------------------------------------------ errors

let alertAction = null;
/** One clear line for a failure; an optional button (e.g. the offline voice). */
function showError(message, action) {
  $("alert-text").textContent = message;
  const b = $("alert-action");
  alertAction = action ? action.run : null;
  b.hidden = !action;
  if (action) b.textContent = action.label;
  $("alert").hidden = false;
}
/** A passing confirmation (saved, reused), cleared after a while. */
let noticeTimer = 0;
function say(message) {
  $("notice").textContent = message;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { $("notice").textContent = ""; }, 6000);
}
function hideError() {
  $("alert").hidden = true;
  alertAction = null;
}
function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  if (err.status === 0) return tr("error.network");
  if (err.status === 401) return tr("error.auth");
  if (err.status === 413) return tr("error.tooBig", { detail: err.detail });
  if (err.status === 429) return tr("error.rate", { s: err.retryAfter || "?" });
  if (err.status === 404) return err.detail && err.detail !== "Not Found" ? err.detail : tr("error.notFound");
  if (err.field) return tr("error.field", { field: err.field, detail: err.detail });
  if (err.status === 422 || err.status === 400) return err.detail;
  return tr("error.generic", { status: err.status, detail: err.detail });
}
function fail(err) {
  if (err && err.name === "AbortError") return;
  showError(errorText(err));
  if (err instanceof ApiError && err.status === 401) $("token-box").open = true;
}

// ------------------------------------------------------------------ input

function showSource() {
  const s = state.source;
  $("source").textContent =
    s.kind === "file" ? tr("input.source.file", { name: s.file.name })
      : s.kind === "url" ? tr("input.source.url", { url: s.url })
        : tr("input.source.text");
  $("clear-source").hidden = s.kind === "text";
}

function setSource(source) {
  state.source = source;
  state.keep = [];
  showSource();
  preview();
}

function takeFile(file) {
  if (!file) return;
  if (!FILE_TYPES.test(file.name)) {
    showError(tr("error.fileType"));
    return;
  }
  hideError();
  setSource({ kind: "file", file });
}

/** The article part of a preview/render request (the file goes as multipart). */
function articleRequest() {
  const s = state.source;
  const req = {};
  if (s.kind === "url") req.url = s.url;
  else if (s.kind === "text") req.text = $("text").value;
  if (state.keep.length) req.keep_lines = state.keep.slice();
  return req;
}
function hasArticle() {
  return state.source.kind !== "text" || $("text").value.trim() !== "";
}

function insertBreak() {
  const ta = $("text");
  const ms = Math.max(100, Math.min(10000, parseInt($("break-ms").value, 10) || 500));
  const mark = `<break time="${ms}ms"/>`;
  const a = ta.selectionStart ?? ta.value.length, b = ta.selectionEnd ?? a;
  const before = ta.value.slice(0, a), after = ta.value.slice(b);
  const pad = before && !/\s$/.test(before) ? " " : "";
  const tail = after && !/^\s/.test(after) ? " " : "";
  ta.value = before + pad + mark + tail + after;
  const at = (before + pad + mark + tail).length;
  ta.focus();
  ta.setSelectionRange(at, at);
  if (state.source.kind !== "text") setSource({ kind: "text" });
  else schedulePreview();
}

// ------------------------------------------------------------------ preview

let previewTimer = 0;
function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, PREVIEW_DEBOUNCE_MS);
}

async function preview() {
  clearTimeout(previewTimer);
  if (state.previewAbort) state.previewAbort.abort();
  if (!hasArticle()) {
    state.preview = null;
    $("preview-body").hidden = true;
    $("preview-status").hidden = false;
    $("preview-status").textContent = tr("preview.empty");
    return;
  }
  const seq = ++state.previewSeq;
  const abort = new AbortController();
  state.previewAbort = abort;
  $("preview").classList.add("busy");
  $("preview-status").hidden = false;
  $("preview-status").textContent = tr("preview.loading");
  try {
    const file = state.source.kind === "file" ? state.source.file : null;
    const doc = await api.preview(articleRequest(), file, abort.signal);
    if (seq !== state.previewSeq) return;
    state.preview = doc;
    hideError();
    renderPreview(doc);
  } catch (err) {
    if (seq !== state.previewSeq) return;
    if (err instanceof ApiError && err.status === 429) {
      // previews count towards the token's rate limit: wait as told, then read again
      $("preview-status").textContent = tr("error.rate", { s: err.retryAfter || 5 });
      previewTimer = setTimeout(preview, 1000 * Math.min(60, Number(err.retryAfter) || 5));
      return;
    }
    $("preview-status").textContent = "";
    fail(err);
  } finally {
    if (seq === state.previewSeq) $("preview").classList.remove("busy");
  }
}

/** text as nodes, every occurrence of a needle wrapped in <mark> (flag attached). */
function highlighted(text, needles) {
  const frag = document.createDocumentFragment();
  const hits = [];
  for (const n of needles) {
    if (!n.text) continue;
    let from = 0, at;
    while ((at = text.indexOf(n.text, from)) >= 0) {
      hits.push({ at, end: at + n.text.length, flag: n.flag });
      from = at + n.text.length;
    }
  }
  hits.sort((a, b) => a.at - b.at || b.end - a.end);
  let pos = 0;
  for (const h of hits) {
    if (h.at < pos) continue; // overlaps an earlier mark
    if (h.at > pos) frag.append(text.slice(pos, h.at));
    const m = el("mark", { class: "flag", tabindex: "0", title: tr("fix.title", { message: h.flag.message || h.flag.rule }) }, text.slice(h.at, h.end));
    m.flag = h.flag;
    frag.append(m);
    pos = h.end;
  }
  if (pos < text.length) frag.append(text.slice(pos));
  return frag;
}

function renderPreview(doc) {
  $("preview-status").hidden = true;
  $("preview-body").hidden = false;
  $("headline").textContent = doc.headline || tr("preview.noHeadline");
  const sentences = doc.sentences || [];
  $("sentences-h").textContent = tr("preview.sentences", { n: sentences.length });
  const list = $("sentences");
  const fixForm = $("fix-form");
  if (list.contains(fixForm)) closeFix();
  list.textContent = "";
  let flagged = 0;
  for (const s of sentences) {
    const flags = s.flags || [];
    flagged += flags.length;
    const li = el("li", { class: flags.length ? "sentence flagged" : "sentence", dataset: { index: String(s.index) } });
    const written = el("p", { class: "written", lang: "vi" });
    written.append(highlighted(s.written || "", flags.map((f) => ({ text: f.token, flag: f }))));
    const spoken = el("p", { class: "spoken", lang: "vi" }, el("span", { class: "label", text: tr("preview.spoken") }));
    spoken.append(highlighted(s.spoken || "", flags.map((f) => ({ text: f.reading, flag: f }))));
    li.append(written, spoken);
    if (flags.length) {
      const ul = el("ul", { class: "flags" });
      for (const f of flags) {
        ul.append(el("li", null,
          el("b", { text: label("rule", f.rule) }), " ",
          el("span", { lang: "vi", text: `${f.token || ""} → ${f.reading || ""}` }),
          f.message ? el("span", { class: "muted", text: ` · ${f.message}` }) : null));
      }
      li.append(ul);
    }
    li.append(el("button", { type: "button", class: "link fix-btn", text: tr("fix.button"), onclick: () => openFix(li, null) }));
    list.append(li);
  }
  const fc = $("flag-count");
  fc.hidden = !flagged;
  fc.textContent = flagged ? tr("preview.flags", { n: flagged }) : "";

  const dropped = doc.dropped || [];
  $("dropped-h").textContent = tr("preview.dropped", { n: dropped.length });
  const dl = $("dropped");
  dl.textContent = "";
  if (!dropped.length) dl.append(el("li", { class: "muted none", text: tr("preview.noDropped") }));
  for (const d of dropped) {
    dl.append(el("li", null,
      el("span", { class: "reason", text: label("reason", d.reason) }), " ",
      el("span", { class: "line", lang: "vi", text: d.line }), " ",
      el("button", { type: "button", class: "keep", text: tr("preview.keep"), onclick: () => keepLine(d.line) })));
  }
  $("kept").hidden = !state.keep.length;
  $("kept-text").textContent = tr("preview.kept", { n: state.keep.length });
}

function keepLine(line) {
  if (!state.keep.includes(line)) state.keep.push(line);
  preview();
}

// inline fix of a reading: lexicon entry, then a new preview
function openFix(li, flag) {
  const form = $("fix-form");
  li.append(form);
  form.hidden = false;
  const sel = window.getSelection();
  const picked = sel && !sel.isCollapsed && li.querySelector(".written").contains(sel.anchorNode)
    ? sel.toString().replace(/\s+/g, " ").trim() : "";
  $("fix-written").value = flag ? flag.token || "" : picked;
  $("fix-spoken").value = flag ? flag.reading || "" : "";
  ($("fix-written").value ? $("fix-spoken") : $("fix-written")).focus();
  $("fix-spoken").select();
}
function closeFix() {
  const form = $("fix-form");
  form.hidden = true;
  document.body.append(form);
}
async function saveFix(e) {
  e.preventDefault();
  const clean = (s) => s.replace(/[\t\r\n]+/g, " ").replace(/\s+/g, " ").trim().normalize("NFC");
  const written = clean($("fix-written").value), spoken = clean($("fix-spoken").value);
  if (!written || !spoken) return;
  try {
    await api.addEntry(written, spoken);
    closeFix();
    say(tr("fix.saved", { written, spoken }));
    state.lexicon = null; // reload on the lexicon tab
    await preview();
  } catch (err) { fail(err); }
}

// ------------------------------------------------------------------ options

function showHealth() {
  const h = state.health;
  $("health").textContent = h ? tr("health.ok", { queue: h.queue, workers: h.workers }) : tr("health.down");
  $("health").classList.toggle("down", !h);
}

async function loadSetup() {
  try {
    state.health = await api.health();
  } catch (err) {
    state.health = null;
    if (err instanceof ApiError && err.status === 401) fail(err);
  }
  showHealth();
  try {
    const opts = await api.options();
    const list = Array.isArray(opts) ? opts : opts.options || opts.specs || [];
    state.specs = Object.fromEntries(list.map((s) => [s.name, s]));
    state.defaults = (!Array.isArray(opts) && opts.defaults) || {};
  } catch (err) { fail(err); }
  try {
    const v = await api.voices();
    state.voices = Array.isArray(v) ? v : v.voices || [];
  } catch (err) { fail(err); }
  renderVoices(true);
  renderOptionChoices(true);
}

function optDefault(name) {
  if (name in state.defaults) return state.defaults[name];
  const spec = state.specs[name];
  return spec ? spec.default : undefined;
}

function voiceKey(engine, voice) { return `${engine}\t${voice ?? ""}`; }
function findVoice(engine, voice) {
  return state.voices.find((v) => v.engine === engine && (voice == null || v.voice === voice))
    || state.voices.find((v) => v.engine === engine);
}

function renderVoices(reset) {
  const sel = $("voice");
  const was = reset ? null : sel.value;
  sel.textContent = "";
  sel.append(el("option", { value: "auto\t", text: tr("options.voice.auto") }));
  const engines = [...new Set(state.voices.map((v) => v.engine))];
  for (const engine of engines) {
    const group = el("optgroup", { label: engine });
    for (const v of state.voices.filter((x) => x.engine === engine)) {
      const where = v.online ? tr("options.online") : tr("options.offline");
      group.append(el("option", { value: voiceKey(v.engine, v.voice), dataset: { online: String(!!v.online) },
        text: `${v.online ? "☁" : "●"} ${v.label || v.voice} · ${where}` }));
    }
    sel.append(group);
  }
  if (was !== null && [...sel.options].some((o) => o.value === was)) sel.value = was;
  else {
    const engine = optDefault("engine") || "auto", voice = optDefault("voice");
    const v = engine === "auto" ? null : findVoice(engine, voice);
    sel.value = v ? voiceKey(v.engine, v.voice) : "auto\t";
  }
}

function renderOptionChoices(reset) {
  const loud = $("loudness");
  const was = reset ? null : loud.value;
  const spec = state.specs.loudness;
  const choices = spec && spec.choices && spec.choices.length ? spec.choices : ["ebu-r128", "atsc-a85", "web", "none"];
  loud.textContent = "";
  for (const c of choices) loud.append(el("option", { value: c, text: t(state.lang, `options.loudness.${c}`) ?? c }));
  loud.value = was ?? optDefault("loudness") ?? choices[0];

  const box = $("subs");
  const checked = reset ? new Set([].concat(optDefault("subs") || ["srt"])) : new Set(selectedSubs());
  const subsSpec = state.specs.subs;
  const formats = subsSpec && subsSpec.choices && subsSpec.choices.length ? subsSpec.choices : SUB_FORMATS;
  box.textContent = "";
  for (const f of formats) {
    box.append(el("label", { class: "inline" },
      el("input", { type: "checkbox", name: "subs", value: f, checked: checked.has(f) }), " ",
      t(state.lang, `options.subs.${f}`) ?? f));
  }
  if (reset) {
    const speed = state.specs.speed;
    if (speed) {
      if (speed.lo != null) $("speed").min = String(speed.lo);
      if (speed.hi != null) $("speed").max = String(speed.hi);
    }
    $("speed").value = String(optDefault("speed") ?? 1);
    const fit = optDefault("fit");
    if (fit) {
      $("fit").value = String(fit);
      $("pace-fit").checked = true;
    }
    showPace();
  }
}
function selectedSubs() {
  return [...document.querySelectorAll('#subs input[name="subs"]:checked')].map((i) => i.value);
}
function showPace() {
  const fit = $("pace-fit").checked;
  $("fit-row").hidden = !fit;
  $("speed-row").hidden = fit;
  $("speed-out").textContent = `${Number($("speed").value).toFixed(2)}×`;
}

/** The render options the producer chose, named as the option table names them. */
function chosenOptions() {
  const [engine, voice] = $("voice").value.split("\t");
  const o = { engine };
  if (voice) o.voice = voice;
  if ($("pace-fit").checked && $("fit").value.trim()) o.fit = $("fit").value.trim();
  else o.speed = Number($("speed").value);
  o.loudness = $("loudness").value;
  o.subs = selectedSubs();
  return o;
}

// ------------------------------------------------------------------ render, progress

async function startRender(request, file) {
  hideError();
  stopFollowing();
  $("render").disabled = true;
  $("progress").hidden = false;
  $("stage").textContent = tr("render.starting");
  $("bar").removeAttribute("value");
  $("cancel").disabled = false;
  try {
    const res = await api.render(request, file);
    state.job = { id: res.id, state: "queued", request };
    await followJob(res.id, res.reused);
  } catch (err) {
    $("progress").hidden = true;
    fail(err);
  } finally {
    $("render").disabled = false;
  }
}

function renderNow() {
  if (!hasArticle()) {
    showError(tr("preview.empty"));
    return;
  }
  const request = { ...articleRequest(), options: chosenOptions() };
  startRender(request, state.source.kind === "file" ? state.source.file : null);
}

function stopFollowing() {
  if (state.follow) state.follow.abort();
  state.follow = null;
}

async function followJob(id, reused) {
  const abort = new AbortController();
  state.follow = abort;
  try {
    const doc = await api.follow(id, (d) => { state.job = d; showJobState(d); }, abort.signal);
    state.follow = null;
    if (doc.state === "done") {
      $("progress").hidden = true;
      if (reused) say(tr("render.reused"));
      await openResult(doc);
    } else if (doc.state === "failed") {
      $("progress").hidden = true;
      jobFailed(doc);
    } else {
      $("cancel").disabled = true;
      $("bar").value = 0;
    }
    loadHistory();
  } catch (err) {
    if (err && err.name === "AbortError") return;
    throw err;
  }
}

function stageText(doc) {
  if (doc.state === "queued") return tr("render.queued");
  if (doc.state === "cancelled") return tr("render.cancelled");
  if (doc.state === "done") return tr("render.done");
  if (doc.state === "failed") return tr("error.job", { error: doc.error || "" });
  const p = doc.progress;
  if (doc.stage === "synthesising" && p && p.total) return tr("stage.synthesisingN", { done: p.done, total: p.total });
  if (doc.stage) return label("stage", doc.stage);
  return tr("render.starting");
}

function showJobState(doc) {
  if ($("progress").hidden) return;
  $("stage").textContent = stageText(doc);
  const p = doc.progress;
  if (doc.stage === "synthesising" && p && p.total) $("bar").value = p.done / p.total;
  else if (doc.state === "done") $("bar").value = 1;
  else $("bar").removeAttribute("value");
  $("cancel").disabled = !["queued", "running"].includes(doc.state);
}

/** A failed job: its one-line error; an unreachable online voice offers the offline one. */
function jobFailed(doc) {
  const o = (doc.request && doc.request.options) || {};
  const used = findVoice(o.engine, o.voice);
  const offline = state.voices.find((v) => !v.online && v.engine === "espeak") || state.voices.find((v) => !v.online);
  if (doc.exit_code === 3 && used && used.online && offline) {
    const name = `${offline.engine} ${offline.voice}`;
    showError(`${tr("error.online", { voice: `${used.engine} ${used.voice}` })} ${doc.error || ""}`.trim(), {
      label: tr("error.useOffline", { voice: name }),
      run: () => {
        $("voice").value = voiceKey(offline.engine, offline.voice);
        const req = { ...doc.request, options: { ...o, engine: offline.engine, voice: offline.voice } };
        const file = state.source.kind === "file" && !req.text && !req.url ? state.source.file : null;
        startRender(req, file);
      },
    });
  } else {
    showError(tr("error.job", { error: doc.error || doc.state }));
  }
}

async function cancelJob() {
  if (!state.job) return;
  $("cancel").disabled = true;
  try {
    await api.cancel(state.job.id);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) fail(err);
  }
}

// ------------------------------------------------------------------ result

function fileName(url) {
  try {
    return decodeURIComponent(new URL(url, location.origin).pathname.split("/").pop());
  } catch (_) { return "file"; }
}

async function openResult(doc) {
  state.job = doc;
  showTab("result");
  $("result-empty").hidden = true;
  $("result-body").hidden = false;
  $("result-title").textContent = doc.title || tr("history.untitled");
  $("result-meta").textContent = tr("result.loading");
  const outputs = doc.outputs || {};
  const files = $("files");
  files.textContent = "";
  for (const [name, url] of Object.entries(outputs)) {
    if (name === "review") continue;
    const text = name === "audio" ? tr("result.audio", { ext: fileName(url).split(".").pop() })
      : name === "manifest" ? tr("result.manifest") : name.toUpperCase();
    files.append(downloadLink(url, text, name));
  }
  if (doc.zip) files.append(downloadLink(doc.zip, tr("result.zip"), "zip"));
  if (outputs.review) files.append(el("a", { href: outputs.review, target: "_blank", rel: "noopener", dataset: { kind: "review" }, text: tr("result.review") }));
  try {
    const [manifest, audio] = await Promise.all([
      api.blob(outputs.manifest).then((b) => b.text()).then(JSON.parse),
      api.blob(outputs.audio),
    ]);
    if (state.job !== doc) return;
    const cues = (manifest.cues || []).map((c) => ({ start: +c.start, end: +c.end, text: String(c.text ?? "") }));
    player.load(cues, audio, manifest.duration_s);
    $("cues-h").textContent = tr("result.cues", { n: cues.length });
    const engine = manifest.engine ? `${manifest.engine} ${manifest.voice || ""}`.trim() : "";
    $("result-meta").textContent = [engine, manifest.duration_s ? tr("result.duration", { clock: clock(manifest.duration_s) }) : ""]
      .filter(Boolean).join(" · ");
  } catch (err) {
    $("result-meta").textContent = "";
    fail(err);
  }
}

/** A link to a job file; with a token it is fetched with the header and saved as a blob. */
function downloadLink(url, text, kind) {
  const name = kind === "zip" ? `${fileName(url) === "zip" ? "newsvoice" : fileName(url)}.zip`.replace(/\.zip\.zip$/, ".zip") : fileName(url);
  const a = el("a", { href: url, download: name, dataset: { kind }, text });
  a.addEventListener("click", async (e) => {
    if (!state.token) return; // the server is open: a plain link works
    e.preventDefault();
    try {
      const blob = await api.blob(url);
      const href = URL.createObjectURL(blob);
      const tmp = el("a", { href, download: name });
      document.body.append(tmp);
      tmp.click();
      tmp.remove();
      setTimeout(() => URL.revokeObjectURL(href), 2000);
    } catch (err) { fail(err); }
  });
  return a;
}

// ------------------------------------------------------------------ history

async function loadHistory() {
  try {
    const res = await api.jobs(20);
    state.jobs = Array.isArray(res) ? res : res.jobs || [];
    renderHistory();
  } catch (err) { fail(err); }
}

function jobTitle(job) {
  if (job.title) return job.title;
  const r = job.request || {};
  if (r.text) return r.text.trim().split("\n")[0].slice(0, 80);
  if (r.url) return r.url;
  return tr("history.untitled");
}

function renderHistory() {
  const ul = $("jobs");
  ul.textContent = "";
  $("history-empty").hidden = state.jobs.length > 0;
  for (const job of state.jobs) {
    const r = job.request || {};
    const canRepost = !!(r.text || r.url);
    const when = job.created ? new Date(typeof job.created === "number" ? job.created * 1000 : job.created) : null;
    ul.append(el("li", { class: `job ${job.state}`, dataset: { id: job.id, state: job.state } },
      el("span", { class: `state ${job.state}`, text: label("state", job.state) }),
      el("span", { class: "title", lang: "vi", text: jobTitle(job) }),
      el("span", { class: "when muted", text: when && !Number.isNaN(when.getTime()) ? when.toLocaleString(state.lang === "vi" ? "vi-VN" : "en-GB") : "" }),
      job.error ? el("span", { class: "error", text: job.error }) : null,
      el("span", { class: "actions" },
        el("button", { type: "button", class: "open", disabled: !["done", "queued", "running"].includes(job.state), text: tr("history.open"),
          onclick: () => reopen(job) }),
        el("button", { type: "button", class: "rerender", disabled: !canRepost, text: tr("history.rerender"),
          onclick: () => rerender(job) }))));
  }
}

async function reopen(job) {
  try {
    const doc = await api.job(job.id);
    if (doc.state === "done") await openResult(doc);
    else if (doc.state === "failed") jobFailed(doc);
    else if (doc.state === "queued" || doc.state === "running") {
      // still going: follow it on the compose screen, with its progress and cancel
      showTab("compose");
      stopFollowing();
      state.job = doc;
      $("progress").hidden = false;
      showJobState(doc);
      await followJob(doc.id, false);
    }
  } catch (err) { fail(err); }
}

function rerender(job) {
  showTab("compose");
  startRender(job.request, null);
}

// ------------------------------------------------------------------ lexicon

function parseTsv(text) {
  return text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith("#")).map((l) => l.split("\t"));
}

async function loadLexicon() {
  try {
    state.lexicon = parseTsv(await api.lexicon());
    renderLexicon();
  } catch (err) { fail(err); }
}

function renderLexicon() {
  const rows = $("lexicon-rows");
  rows.textContent = "";
  const lex = state.lexicon || [];
  $("lexicon-count").textContent = lex.length ? tr("lexicon.count", { n: lex.length }) : tr("lexicon.empty");
  for (const [w, s] of lex) {
    rows.append(el("tr", null, el("td", { lang: "vi", text: w }), el("td", { lang: "vi", text: s ?? "" }),
      el("td", null, el("button", { type: "button", class: "delete", text: tr("lexicon.delete"), onclick: () => deleteEntry(w) }))));
  }
}

async function deleteEntry(written) {
  try {
    const rows = parseTsv(await api.lexicon()).filter((r) => r[0] !== written);
    await api.putLexicon(rows.map((r) => r.join("\t")).join("\n") + (rows.length ? "\n" : ""));
    await loadLexicon();
    say(tr("lexicon.deleted", { written }));
    if (state.preview) preview();
  } catch (err) { fail(err); }
}

async function downloadLexicon() {
  try {
    const text = await api.lexicon();
    const href = URL.createObjectURL(new Blob([text], { type: "text/tab-separated-values;charset=utf-8" }));
    const a = el("a", { href, download: "lexicon.tsv" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 2000);
  } catch (err) { fail(err); }
}

async function uploadLexicon(file) {
  if (!file) return;
  try {
    const text = (await file.text()).normalize("NFC");
    await api.putLexicon(text);
    await loadLexicon();
    $("lexicon-count").textContent = tr("lexicon.uploaded", { n: state.lexicon.length });
    if (state.preview) preview();
  } catch (err) { fail(err); }
}

// ------------------------------------------------------------------ keyboard, wiring

function onKey(e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  if (document.body.dataset.screen !== "result" || !player.cues.length) return;
  const tag = e.target.tagName;
  if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || e.target.isContentEditable) return;
  if (e.key === " " || e.key === "Spacebar") {
    if (/^(BUTTON|A|AUDIO|SUMMARY)$/.test(tag)) return;
    e.preventDefault();
    player.toggle();
  } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    if (tag === "AUDIO") return;
    e.preventDefault();
    player.step(e.key === "ArrowRight" ? 1 : -1);
  }
}

function wire() {
  for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("lang").addEventListener("change", () => {
    state.lang = $("lang").value;
    store(KEY.lang, state.lang);
    applyStrings();
  });
  $("token").value = state.token;
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = $("token").value.trim();
    store(KEY.token, state.token);
    say(tr(state.token ? "token.saved" : "token.cleared"));
    $("token-box").open = false;
    hideError();
    loadSetup().then(() => { if (hasArticle()) preview(); });
  });
  $("alert-close").addEventListener("click", hideError);
  $("alert-action").addEventListener("click", () => {
    const run = alertAction;
    hideError();
    if (run) run();
  });

  const text = $("text");
  text.addEventListener("input", () => {
    if (state.source.kind !== "text") {
      state.source = { kind: "text" };
      state.keep = [];
      showSource();
    }
    schedulePreview();
  });
  $("break-btn").addEventListener("click", insertBreak);
  $("file").addEventListener("change", (e) => { takeFile(e.target.files[0]); e.target.value = ""; });
  $("url-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const url = $("url").value.trim();
    if (url) setSource({ kind: "url", url });
  });
  $("clear-source").addEventListener("click", () => setSource({ kind: "text" }));
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const f = e.dataTransfer && e.dataTransfer.files ? e.dataTransfer.files[0] : null;
    takeFile(f);
  });
  // a file dropped anywhere else must not navigate away from the page
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());

  $("sentences").addEventListener("click", (e) => {
    const m = e.target.closest("mark.flag");
    if (m) openFix(m.closest("li.sentence"), m.flag);
  });
  $("sentences").addEventListener("keydown", (e) => {
    const m = e.target.closest && e.target.closest("mark.flag");
    if (m && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      openFix(m.closest("li.sentence"), m.flag);
    }
  });
  $("fix-form").addEventListener("submit", saveFix);
  $("fix-cancel").addEventListener("click", closeFix);
  $("unkeep").addEventListener("click", () => { state.keep = []; preview(); });

  for (const r of document.querySelectorAll('input[name="pace"]')) r.addEventListener("change", showPace);
  $("speed").addEventListener("input", showPace);
  $("render").addEventListener("click", renderNow);
  $("cancel").addEventListener("click", cancelJob);
  $("rerender-current").addEventListener("click", () => { if (state.job) rerender(state.job); });
  $("audio").addEventListener("error", () => {
    if (player.url && $("audio").currentSrc === player.url) showError(tr("error.audio"));
  });

  $("history-refresh").addEventListener("click", loadHistory);
  $("lexicon-download").addEventListener("click", downloadLexicon);
  $("lexicon-file").addEventListener("change", (e) => { uploadLexicon(e.target.files[0]); e.target.value = ""; });
  document.addEventListener("keydown", onKey);
}

wire();
applyStrings();
showTab("compose");
loadSetup();
// test hook: the state of the page for the browser tests (read-only use)
window.studio = { state, player };
