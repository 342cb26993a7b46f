// The service's HTTP API (docs/service.md), and nothing else: every call carries the
// bearer token when one is set, and every failure becomes one ApiError with the
// server's JSON {"detail", "field"?} so the page can say what went wrong in one line.

export class ApiError extends Error {
  constructor(status, detail, field, retryAfter) {
    super(detail || `HTTP ${status}`);
    this.status = status; // 0: the server could not be reached
    this.detail = detail || "";
    this.field = field || null;
    this.retryAfter = retryAfter || null;
  }
}

export class Api {
  constructor(base, getToken) {
    this.base = base.replace(/\/$/, "");
    this.getToken = getToken;
  }

  headers(extra) {
    const h = new Headers(extra || {});
    const token = this.getToken();
    if (token) h.set("Authorization", `Bearer ${token}`);
    return h;
  }

  url(path) {
    return /^https?:/.test(path) ? path : this.base + path;
  }

  async raw(method, path, { json, body, headers, signal } = {}) {
    const h = this.headers(headers);
    if (json !== undefined) {
      h.set("Content-Type", "application/json");
      body = JSON.stringify(json);
    }
    let res;
    try {
      res = await fetch(this.url(path), { method, headers: h, body, signal, cache: "no-store" });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, String(err && err.message ? err.message : err));
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async json(method, path, opts) {
    const res = await this.raw(method, path, opts);
    return res.status === 204 ? null : res.json();
  }

  health() { return this.json("GET", "/v1/health"); }
  options() { return this.json("GET", "/v1/options"); }
  voices() { return this.json("GET", "/v1/voices"); }
  jobs(limit = 20) { return this.json("GET", `/v1/jobs?limit=${limit}`); }
  job(id) { return this.json("GET", `/v1/jobs/${encodeURIComponent(id)}`); }
  cancel(id) { return this.json("DELETE", `/v1/jobs/${encodeURIComponent(id)}`); }
  lexicon() { return this.raw("GET", "/v1/lexicon").then((r) => r.text()); }
  putLexicon(tsv) {
    return this.raw("PUT", "/v1/lexicon", {
      body: tsv, headers: { "Content-Type": "text/tab-separated-values; charset=utf-8" },
    });
  }
  addEntry(written, spoken) { return this.json("POST", "/v1/lexicon/entries", { json: { written, spoken } }); }

  /** preview or render: JSON body, or multipart with the file and a `request` part. */
  post(path, request, file, signal) {
    if (!file) return this.json("POST", path, { json: request, signal });
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("request", new Blob([JSON.stringify(request)], { type: "application/json" }));
    return this.json("POST", path, { body: form, signal });
  }
  preview(request, file, signal) { return this.post("/v1/preview", request, file, signal); }
  render(request, file) { return this.post("/v1/renders", request, file); }

  /** A job file as a Blob (with the token, which an <audio src> could not send). */
  blob(path) { return this.raw("GET", path).then((r) => r.blob()); }

  /**
   * Follow a job until it ends: server-sent events read through fetch (so the token is
   * sent), falling back to polling when the stream is missing or breaks. onDoc gets each
   * job document; resolves with the final one.
   */
  async follow(id, onDoc, signal) {
    const final = (d) => d && ["done", "failed", "cancelled"].includes(d.state);
    let last = null;
    try {
      const res = await this.raw("GET", `/v1/jobs/${encodeURIComponent(id)}/events`, {
        headers: { Accept: "text/event-stream" }, signal,
      });
      if (res.body && (res.headers.get("Content-Type") || "").includes("text/event-stream")) {
        for await (const doc of events(res.body)) {
          last = doc;
          onDoc(doc);
          if (final(doc)) return doc;
        }
      }
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      if (err instanceof ApiError && err.status !== 404 && err.status !== 405 && err.status !== 0) throw err;
    }
    // polling: the stream is not there (or ended early)
    while (!final(last)) {
      if (signal && signal.aborted) throw new DOMException("aborted", "AbortError");
      if (last) await sleep(400, signal);
      last = await this.job(id);
      onDoc(last);
    }
    return last;
  }
}

async function errorOf(res) {
  let detail = "", field = null;
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text);
      if (typeof j.detail === "string") detail = j.detail;
      else if (Array.isArray(j.detail)) detail = j.detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
      else if (j.detail) detail = JSON.stringify(j.detail);
      field = typeof j.field === "string" ? j.field : null;
    } catch (_) {
      detail = text.slice(0, 300);
    }
  } catch (_) { /* no body */ }
  return new ApiError(res.status, detail || res.statusText, field, res.headers.get("Retry-After"));
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const id = setTimeout(resolve, ms);
    if (signal) signal.addEventListener("abort", () => { clearTimeout(id); reject(new DOMException("aborted", "AbortError")); }, { once: true });
  });
}

/** The JSON `data:` of each event of a text/event-stream body. */
async function* events(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
        if (!data) continue;
        try { yield JSON.parse(data); } catch (_) { /* not a job document */ }
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
