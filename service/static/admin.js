/*
 * 管理控制台 — the admin console (same origin as the API, no dependencies, no build step).
 * The admin key is asked for once and kept in sessionStorage (this tab only); every admin request
 * sends it as X-API-Key. Server text is only ever inserted with textContent, never as HTML.
 */
(() => {
  "use strict";
  const KEY = "govqa-admin-key";
  const $ = (id) => document.getElementById(id);
  const ENDED = new Set(["已修订", "已废止", "已失效"]);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child != null) node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // ---- API ----
  class ApiError extends Error {}

  async function api(path, options = {}) {
    const headers = Object.assign({ "X-API-Key": sessionStorage.getItem(KEY) || "" }, options.headers || {});
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
    }
    const response = await fetch(path, { method: options.method || "GET", headers, body: options.body });
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      const detail = data && data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : "";
      if (response.status === 401 || response.status === 403) logout(`密钥无效或未启用管理功能：${detail}`);
      throw new ApiError(`${detail || response.statusText}（HTTP ${response.status}）`);
    }
    return data;
  }

  function notify(message, bad = false) {
    $("notice").textContent = message;
    $("notice").classList.toggle("bad", bad);
  }

  const time = (seconds) => new Date(seconds * 1000).toLocaleString("zh-CN", { hour12: false });
  const clausePath = (hit) => (hit.heading_path || []).slice(hit.heading_path[0] === hit.doc_title ? 1 : 0).join(" › ");

  // ---- Login ----
  async function login(key) {
    sessionStorage.setItem(KEY, key);
    try {
      await api("/v1/admin/stats");
    } catch (err) {
      if (!$("login-error").textContent) $("login-error").textContent = `无法进入：${err.message}`;
      return;
    }
    $("login").hidden = true;
    $("console").hidden = false;
    $("logout").hidden = false;
    select("docs");
  }

  function logout(message = "") {
    sessionStorage.removeItem(KEY);
    $("console").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message;
    $("key").value = "";
    $("key").focus();
  }

  // ---- Tabs (arrow keys move between them, as the WAI-ARIA tabs pattern) ----
  const TABS = ["docs", "upload", "hits", "feedback", "unanswered", "stats"];
  const LOADERS = { docs: loadDocuments, feedback: loadFeedback, unanswered: loadUnanswered, stats: loadStats };

  function select(name, focus = false) {
    for (const tab of TABS) {
      const on = tab === name;
      $(`tab-${tab}`).setAttribute("aria-selected", String(on));
      $(`tab-${tab}`).tabIndex = on ? 0 : -1;
      $(`panel-${tab}`).hidden = !on;
    }
    if (focus) $(`tab-${name}`).focus();
    notify("");
    if (LOADERS[name]) LOADERS[name]().catch((err) => notify(`加载失败：${err.message}`, true));
  }

  document.querySelector(".tabs").addEventListener("keydown", (event) => {
    const at = TABS.findIndex((t) => $(`tab-${t}`) === document.activeElement);
    if (at === -1) return;
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step) {
      event.preventDefault();
      select(TABS[(at + step + TABS.length) % TABS.length], true);
    }
  });
  for (const tab of TABS) $(`tab-${tab}`).addEventListener("click", () => select(tab));

  // ---- Documents: search, sort, delete, edit lifecycle/visibility (when the server has the route) ----
  let documents = [];
  let sortKey = "date";
  let sortDir = -1;
  let canPatch = false;

  async function loadDocuments() {
    const [docs, schema] = await Promise.all([api("/v1/admin/documents"), fetch("/openapi.json").then((r) => r.json())]);
    documents = docs;
    const route = (schema.paths || {})["/v1/documents/{doc_id}"] || {};
    canPatch = Boolean(route.patch);
    renderDocuments();
  }

  function cell(value) {
    if (Array.isArray(value)) return value.join("、");
    return value == null ? "" : String(value);
  }

  function renderDocuments() {
    const needle = $("doc-search").value.trim().toLowerCase();
    const rows = documents
      .filter((d) => !needle || [d.title, d.doc_number, d.issuer].some((v) => (v || "").toLowerCase().includes(needle)))
      .sort((a, b) => {
        const x = a[sortKey];
        const y = b[sortKey];
        if (typeof x === "number" && typeof y === "number") return (x - y) * sortDir;
        return cell(x).localeCompare(cell(y), "zh-CN") * sortDir;
      });
    $("doc-count").textContent = `共 ${rows.length} / ${documents.length} 份文件`;
    $("doc-table").querySelector("tbody").replaceChildren(...rows.map((d) => el("tr", { "data-doc-id": d.doc_id },
      el("td", {}, el("a", { href: `/documents/${encodeURIComponent(d.doc_id)}`, target: "_blank", rel: "noopener",
        text: d.title || d.doc_id })),
      el("td", { text: d.doc_number || "" }),
      el("td", { text: d.issuer || "" }),
      el("td", { text: d.date || "" }),
      el("td", { class: ENDED.has(d.status) ? "status-ended" : "", text: d.status || "" }),
      el("td", { text: d.visibility && d.visibility.length ? cell(d.visibility) : (d.status ? "所有人" : "") }),
      el("td", { class: "num", text: String(d.n_chunks) }),
      el("td", {},
        canPatch ? el("button", { type: "button", class: "small", text: "修改", "aria-label": `修改 ${d.title}`,
          onclick: () => editDocument(d) }) : null,
        " ",
        el("button", { type: "button", class: "small", text: "删除", "aria-label": `删除 ${d.title}`,
          onclick: () => deleteDocument(d) })))));
    document.querySelectorAll(".sort").forEach((b) => {
      if (b.dataset.key === sortKey) b.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else b.removeAttribute("aria-sort");
    });
  }

  document.querySelectorAll(".sort").forEach((button) => button.addEventListener("click", () => {
    sortDir = sortKey === button.dataset.key ? -sortDir : 1;
    sortKey = button.dataset.key;
    renderDocuments();
  }));
  $("doc-search").addEventListener("input", renderDocuments);

  async function deleteDocument(doc) {
    if (!window.confirm(`确定删除《${doc.title}》？删除后将无法检索到该文件。`)) return;
    try {
      await api(`/v1/documents/${encodeURIComponent(doc.doc_id)}`, { method: "DELETE" });
      notify(`已删除：${doc.title}`);
      await loadDocuments();
    } catch (err) {
      notify(`删除失败：${err.message}`, true);
    }
  }

  function editDocument(doc) {
    const dialog = $("edit-dialog");
    $("edit-status").value = doc.status || "现行有效";
    $("edit-from").value = doc.effective_from || "";
    $("edit-to").value = doc.effective_to || "";
    $("edit-visibility").value = (doc.visibility || []).join(",");
    dialog.onclose = async () => {
      if (dialog.returnValue !== "save") return;
      const body = {
        status: $("edit-status").value, effective_from: $("edit-from").value, effective_to: $("edit-to").value,
        visibility: $("edit-visibility").value.split(/[,，、]/).map((v) => v.trim()).filter(Boolean),
      };
      try {
        await api(`/v1/documents/${encodeURIComponent(doc.doc_id)}`, { method: "PATCH", json: body });
        notify(`已保存：${doc.title}`);
        await loadDocuments();
      } catch (err) {
        notify(`保存失败：${err.message}`, true);
      }
    };
    dialog.showModal();
  }

  // ---- Upload: drag and drop (or Enter to pick), one request per file with progress ----
  function upload(file) {
    const bar = el("progress", { max: "100", value: "0", "aria-label": `${file.name} 上传进度` });
    const result = el("span", { class: "result", role: "status", text: "上传中…" });
    const item = el("li", { "data-file": file.name }, el("strong", { text: file.name }), bar, result);
    $("upload-list").prepend(item);
    const form = new FormData();
    form.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/documents");
    xhr.setRequestHeader("X-API-Key", sessionStorage.getItem(KEY) || "");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 90);
    });
    xhr.upload.addEventListener("load", () => { result.textContent = "已上传，正在建立索引…"; });
    xhr.addEventListener("load", () => {
      bar.value = 100;
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (xhr.status === 201 && data) {
        const added = data.added.map((d) => `《${d.title}》${d.doc_number ? `（${d.doc_number}）` : ""} ${d.n_chunks} 条`);
        result.className = "result ok";
        result.textContent = `成功：${added.join("；")}${data.errors.length ? `；未能读取：${data.errors.join("；")}` : ""}`;
        if (!$("panel-docs").hidden) loadDocuments();
      } else {
        result.className = "result bad";
        const detail = data && data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : "";
        result.textContent = `失败：${detail || xhr.statusText}（HTTP ${xhr.status}）`;
      }
    });
    xhr.addEventListener("error", () => { result.className = "result bad"; result.textContent = "失败：无法连接服务"; });
    xhr.send(form);
  }

  const drop = $("drop");
  drop.addEventListener("click", () => $("file-input").click());
  drop.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("file-input").click(); }
  });
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    [...event.dataTransfer.files].forEach(upload);
  });
  $("file-input").addEventListener("change", (event) => { [...event.target.files].forEach(upload); event.target.value = ""; });

  // ---- Hit testing: BM25, dense and hybrid side by side ----
  const MODE_NAMES = { bm25: "BM25（关键词）", dense: "向量（语义）", hybrid: "混合（实际使用）" };

  async function hitTest(query) {
    $("hit-query").value = query;
    $("hit-meta").textContent = "检索中…";
    const data = await api("/v1/admin/hit-test", { method: "POST", json: { query, top_k: 10 } });
    $("hit-meta").textContent = `服务器耗时 ${data.server_ms} ms · 分词：${data.tokens.join(" / ")} · 类型：${data.intent}`
      + ` · ${data.confident ? "可回答" : "可能无答案"}（${data.confidence.toFixed(2)}）`;
    $("hit-columns").replaceChildren(...["bm25", "dense", "hybrid"].map((mode) => el("section", { "data-mode": mode },
      el("h3", { text: MODE_NAMES[mode] }),
      el("ol", {}, ...data.modes[mode].map((hit) => el("li", {},
        el("div", { class: "doc" }, el("a", {
          href: `/documents/${encodeURIComponent(hit.doc_id)}?chunk=${encodeURIComponent(hit.chunk_id)}#chunk-${encodeURIComponent(hit.chunk_id)}`,
          target: "_blank", rel: "noopener", text: hit.doc_title }), ` ${hit.doc_number || ""}`),
        el("div", { class: "path", text: clausePath(hit) }),
        el("div", { class: "score", text: `得分 ${hit.score.toFixed(4)}` }),
        el("div", { class: "text", text: hit.text })))))));
  }

  $("hit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    hitTest($("hit-query").value.trim()).catch((err) => { $("hit-meta").textContent = `失败：${err.message}`; });
  });

  // ---- Feedback with filters ----
  async function loadFeedback() {
    const params = new URLSearchParams();
    for (const [name, id] of [["rating", "fb-rating"], ["reason", "fb-reason"], ["days", "fb-days"]]) {
      if ($(id).value) params.set(name, $(id).value);
    }
    const items = await api(`/v1/admin/feedback?${params}`);
    $("fb-table").querySelector("tbody").replaceChildren(...(items.length ? items.map((f) => el("tr", {},
      el("td", { text: time(f.created) }),
      el("td", { text: f.rating === "up" ? "有帮助" : "没帮助" }),
      el("td", { text: f.reason }),
      el("td", { text: f.comment }),
      el("td", {}, el("div", { class: "clip", text: f.question || "" }),
        f.completed && f.completed !== f.question ? el("div", { class: "muted", text: `按“${f.completed}”理解` }) : null),
      el("td", {}, el("div", { class: "clip", text: f.answer || "" }))))
      : [el("tr", {}, el("td", { colspan: "6", class: "muted", text: "暂无反馈" }))]));
  }
  $("fb-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadFeedback().catch((err) => notify(`加载失败：${err.message}`, true));
  });

  // ---- Unanswered questions, grouped ----
  async function loadUnanswered() {
    const groups = await api("/v1/admin/unanswered");
    $("unanswered-list").replaceChildren(...(groups.length ? groups.map((g) => el("li", {},
      el("span", { class: "count", "aria-label": `${g.count} 次`, text: String(g.count) }),
      el("span", { class: "question", text: g.question }), " ",
      el("span", { class: "muted", text: `最近：${time(g.last_asked)}` }), " ",
      el("button", { type: "button", class: "small", text: "测试", "aria-label": `测试 ${g.question}`,
        onclick: () => { select("hits"); hitTest(g.question).catch((err) => notify(err.message, true)); } }),
      g.questions.length > 1 ? el("div", { class: "also", text: `相似问法：${g.questions.slice(1, 6).join("；")}` }) : null))
      : [el("li", { class: "muted", text: "暂无未解决的问题" })]));
  }

  // ---- Index stats and encoder ----
  const STAT_NAMES = [["backend", "后端"], ["encoder", "编码器"], ["documents", "文件数"], ["chunks", "条款数"],
    ["vocabulary", "词表大小"], ["dense_index", "向量索引"], ["built_at", "构建时间"], ["build_seconds", "构建耗时（秒）"],
    ["memory_bytes", "内存（字节）"], ["corpus_fingerprint", "语料指纹"], ["logged_answers", "已记录回答"]];

  async function loadStats() {
    const stats = await api("/v1/admin/stats");
    $("stats").replaceChildren(...STAT_NAMES.filter(([k]) => k in stats).flatMap(([k, label]) =>
      [el("dt", { text: label }), el("dd", { "data-stat": k, text: cell(stats[k]) })]));
  }

  // ---- Start ----
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    login($("key").value);
  });
  $("logout").addEventListener("click", () => logout());
  if (sessionStorage.getItem(KEY)) login(sessionStorage.getItem(KEY));
})();
