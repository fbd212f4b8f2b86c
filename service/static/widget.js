/*
 * 政策文件问答 — embeddable chat widget (self-contained, no dependencies, no build step).
 *
 * Embed:  <script src="http://host:8000/widget.js" data-api-base="http://host:8000"></script>
 *         data-api-base is optional; by default the API is the origin this script was loaded from.
 *         data-timeout-ms (default 60000): a question not answered in full by then is aborted
 *         (AbortController) and the message says so.
 * Access: data-token="<JWT>" sends "Authorization: Bearer <JWT>" with every request; or
 *         data-token-callback="portalToken" names a global function returning the token (or a Promise
 *         of it), called before each request so a portal can hand out short-lived tokens. Without
 *         either, the caller is anonymous and sees public documents only. A 401 is shown as an error.
 *
 * Protocol: POST {apiBase}/v1/ask/stream  with JSON {"question": "...", "top_k": 5, "history": [...]}
 *   history: the earlier turns of this conversation, oldest first, {question, chunk_ids, answer} (kept here,
 *   the service is stateless); a follow-up such as "那高龄补贴呢？" is completed from them.
 * The response is a Server-Sent Events stream (UTF-8), read with fetch + ReadableStream:
 *   event: citations  data: {"answer_id", "question", "completed_question", "answerable",
 *                            "citations": [{n, chunk_id, doc_id, doc_title, doc_number, heading_path, text, quote,
 *                                           source_url}]}
 *   event: delta      data: {"text": "..."}          (zero or more; pieces of the answer, appended)
 *   event: done       data: {"answer", "answerable", "took_ms"}   (final answer; the message is re-rendered)
 *   event: error      data: {"message": "..."}
 * Answer text carries markers [1], [2] … that refer to citations[n-1]; each becomes a button that
 * opens a citation card with a "查看原文" link to the source view. Under a finished answer, 有帮助 / 没帮助
 * buttons post {answer_id, rating, reason, comment} to {apiBase}/v1/feedback.
 * Server text is only ever inserted as text nodes, never as HTML.
 * The finished answer message gets data-done="true"; an unanswerable one gets class "not-found".
 */
(() => {
  "use strict";
  if (window.__govQaWidgetLoaded) return;
  window.__govQaWidgetLoaded = true;

  const script = document.currentScript;
  const apiBase = ((script && script.dataset.apiBase) ||
    (script && script.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, "");
  const timeoutMs = Math.max(1000, Number(script && script.dataset.timeoutMs) || 60000);

  // ---- Who is asking: a bearer token from the page (attribute) or from the portal (callback) ----
  async function authHeaders() {
    let token = script && script.dataset.token;
    const callbackName = script && script.dataset.tokenCallback;
    if (callbackName && typeof window[callbackName] === "function") {
      token = await window[callbackName]();
    }
    return typeof token === "string" && token.trim() ? { Authorization: `Bearer ${token.trim()}` } : {};
  }

  const TEXT = {
    title: "政策文件问答",
    subtitle: "依据政府公开文件作答，标注出处",
    open: "打开政策文件问答",
    close: "关闭",
    placeholder: "请输入您的问题，例如：农村老人的基础养老金今年涨多少？",
    send: "发送",
    intro: "您好！请输入政策问题，我会引用相关文件条款作答。点击答案中的 [1] 等标记可查看原文。",
    emptyHint: "请先输入问题。",
    sources: "来源：",
    related: "相关条款（仅供参考）：",
    notFound: "未找到明确规定",
    docNumber: "文号：",
    clause: "条款：",
    requestFailed: "请求失败：",
    networkFailed: "无法连接问答服务，请稍后重试。",
    serverError: "服务出错：",
    interrupted: "回答中断，请重试。",
    timedOut: (seconds) => `服务在 ${seconds} 秒内没有答完，已停止等待，请稍后重试。`,
    thinking: "正在检索文件…",
    understood: (q) => `按“${q}”理解`,
    viewSource: "查看原文",
    helpful: "有帮助",
    unhelpful: "没帮助",
    reasonLabel: "问题类型",
    reasons: ["答非所问", "引用不准确", "内容过时", "没有找到", "其他"],
    commentLabel: "补充说明（可选）",
    submit: "提交反馈",
    thanks: "感谢您的反馈！",
    feedbackFailed: "反馈提交失败：",
  };
  const MAX_HISTORY = 5;

  const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.root { font: 14px/1.6 "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
  color: #1f2933; }
.launcher { position: fixed; right: 24px; bottom: 24px; z-index: 2147483000; width: 56px; height: 56px;
  border: none; border-radius: 50%; background: #b71c1c; color: #fff; cursor: pointer;
  box-shadow: 0 4px 14px rgba(0,0,0,.25); display: flex; align-items: center; justify-content: center; }
.launcher:hover { background: #9a1515; }
.launcher:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #f6c343; outline-offset: 2px; }
.panel { position: fixed; right: 24px; bottom: 92px; z-index: 2147483000; width: min(400px, calc(100vw - 32px));
  height: min(600px, calc(100vh - 120px)); display: flex; flex-direction: column; background: #fff;
  border-radius: 12px; box-shadow: 0 10px 40px rgba(0,0,0,.25); overflow: hidden; }
.panel[hidden] { display: none; }
.header { background: #b71c1c; color: #fff; padding: 10px 14px; display: flex; align-items: center; gap: 8px; }
.header h2 { margin: 0; font-size: 16px; font-weight: 600; }
.header p { margin: 0; font-size: 12px; opacity: .85; }
.header .close { margin-left: auto; background: transparent; border: none; color: #fff; font-size: 22px;
  line-height: 1; cursor: pointer; padding: 2px 6px; border-radius: 4px; }
.messages { flex: 1; overflow-y: auto; padding: 12px; background: #f5f6f8; display: flex; flex-direction: column;
  gap: 10px; }
.intro { color: #52606d; font-size: 13px; margin: 0; }
.msg { max-width: 92%; padding: 8px 12px; border-radius: 10px; white-space: pre-wrap; word-break: break-word; }
.msg.user { align-self: flex-end; background: #b71c1c; color: #fff; border-bottom-right-radius: 2px; }
.msg.bot { align-self: flex-start; background: #fff; border: 1px solid #e4e7eb; border-bottom-left-radius: 2px; }
.msg.bot.not-found { background: #fff8e6; border-color: #f0c36d; }
.msg.bot.error { background: #fdecec; border-color: #f5a3a3; color: #8a1c1c; }
.nf-label { display: flex; align-items: center; gap: 6px; font-weight: 600; color: #8a5a00;
  margin-bottom: 4px; }
.nf-label .icon { width: 18px; height: 18px; border-radius: 50%; background: #e0a100; color: #fff;
  display: inline-flex; align-items: center; justify-content: center; font-size: 12px; }
.cite { font: inherit; font-size: 12px; padding: 0 4px; margin: 0 1px; border: 1px solid #c9a0a0; border-radius: 4px;
  background: #fbeaea; color: #9a1515; cursor: pointer; vertical-align: baseline; line-height: 1.4; }
.cite[aria-expanded="true"] { background: #b71c1c; color: #fff; }
.sources { margin-top: 6px; padding-top: 6px; border-top: 1px dashed #d2d6dc; font-size: 12px; color: #52606d;
  white-space: normal; }
.src-row { padding: 1px 0; color: #3e4c59; }
.src { background: none; border: none; padding: 0 1px; font: inherit; color: #9a1515; cursor: pointer; }
.src:hover { text-decoration: underline; }
.src-doc { margin-left: 4px; }
.card { margin-top: 6px; padding: 8px 10px; border-left: 3px solid #b71c1c; background: #fafafa; border-radius: 4px;
  font-size: 13px; white-space: normal; }
.not-found .card { border-left-color: #e0a100; }
.card[hidden] { display: none; }
.card .doc { font-weight: 600; }
.card .meta { color: #52606d; font-size: 12px; }
.card .passage { margin: 6px 0 0; white-space: pre-wrap; color: #323f4b; }
.card mark { background: #ffe58a; color: inherit; padding: 0 1px; }
.card .source { display: inline-block; margin-top: 4px; color: #9a1515; font-size: 12px; }
.understood { font-size: 12px; color: #52606d; margin-bottom: 4px; white-space: normal; }
.feedback { margin-top: 6px; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; white-space: normal;
  font-size: 12px; color: #52606d; }
.feedback button { font: inherit; font-size: 12px; padding: 1px 8px; border: 1px solid #cbd2d9; border-radius: 10px;
  background: #fff; color: #3e4c59; cursor: pointer; }
.feedback button[aria-pressed="true"] { background: #b71c1c; border-color: #b71c1c; color: #fff; }
.feedback form { display: flex; flex-direction: column; gap: 4px; width: 100%; }
.feedback select, .feedback textarea { font: inherit; font-size: 12px; border: 1px solid #cbd2d9; border-radius: 6px;
  padding: 3px 6px; }
.typing { display: inline-flex; gap: 4px; align-items: center; color: #7b8794; font-size: 12px; }
.typing i { width: 6px; height: 6px; border-radius: 50%; background: #9aa5b1; animation: blink 1.2s infinite; }
.typing i:nth-child(2) { animation-delay: .2s; } .typing i:nth-child(3) { animation-delay: .4s; }
@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
.composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e4e7eb; background: #fff; }
.composer input { flex: 1; min-width: 0; font: inherit; padding: 8px 10px; border: 1px solid #cbd2d9;
  border-radius: 8px; color: inherit; background: #fff; }
.composer .send { font: inherit; padding: 0 16px; border: none; border-radius: 8px; background: #b71c1c;
  color: #fff; cursor: pointer; }
.composer .send:disabled { background: #cbd2d9; cursor: not-allowed; }
.hint { color: #b71c1c; font-size: 12px; padding: 0 12px 6px; background: #fff; }
.hint:empty { display: none; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

  // ---- DOM helpers: every node is built programmatically; server strings go in as text only ----
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

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 " +
      "0v2h2V9h-2zm4 0v2h2V9h-2z");
    svg.append(path);
    return svg;
  }

  // ---- SSE parsing (line based, per the EventSource spec; tolerant of arbitrary chunk splits) ----
  async function readSse(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder("utf-8");
    let buffer = "";
    let eventName = "";
    let dataLines = [];
    const dispatch = () => {
      if (dataLines.length) onEvent(eventName || "message", dataLines.join("\n"));
      eventName = "";
      dataLines = [];
    };
    const consumeLine = (line) => {
      if (line === "") return dispatch();
      if (line.startsWith(":")) return undefined; // comment / keep-alive
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") eventName = value;
      else if (field === "data") dataLines.push(value);
      return undefined;
    };
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? `${decoder.decode()}\n` : decoder.decode(value, { stream: true });
      // A trailing "\r" may be the first half of "\r\n": keep it until more arrives.
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = done ? "" : lines.pop();
      lines.forEach(consumeLine);
      if (done) break;
    }
    dispatch(); // a final event without its blank line
  }

  // ---- Rendering of one bot answer ----
  function highlighted(text, quote) {
    const at = quote ? text.indexOf(quote) : -1;
    if (at === -1) return [text];
    return [text.slice(0, at), el("mark", { text: quote }), text.slice(at + quote.length)];
  }

  function clausePath(citation) {
    const path = (citation.heading_path || []).slice();
    if (path.length && path[0] === citation.doc_title) path.shift();
    return path.join(" › ");
  }

  function citationCard(citation) {
    const path = clausePath(citation);
    return el("div", { class: "card", "data-n": String(citation.n), role: "note" },
      el("div", { class: "doc", text: `[${citation.n}] ${citation.doc_title || ""}` }),
      citation.doc_number ? el("div", { class: "meta", text: TEXT.docNumber + citation.doc_number }) : null,
      path ? el("div", { class: "meta", text: TEXT.clause + path }) : null,
      citation.note ? el("div", { class: "meta lifecycle", text: citation.note }) : null,
      el("p", { class: "passage" }, ...highlighted(citation.text || "", citation.quote || "")),
      sourceLink(citation));
  }

  function sourceLink(citation) {
    if (typeof citation.source_url !== "string" || !citation.source_url.startsWith("/")) return null;
    const url = new URL(citation.source_url, `${apiBase}/`);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return el("a", { class: "source", href: url.href, target: "_blank", rel: "noopener", text: TEXT.viewSource });
  }

  // ---- Thumbs up / down with a reason ----
  async function sendFeedback(answerId, rating, reason, comment) {
    let response;
    try {
      response = await fetch(`${apiBase}/v1/feedback`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(await authHeaders()) },
        body: JSON.stringify({ answer_id: answerId, rating, reason, comment }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new Error(err && err.name === "TimeoutError" ? `${Math.round(timeoutMs / 1000)} 秒内无响应` : "无法连接服务");
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  }

  function feedbackBar(answerId) {
    const status = el("span", { class: "fb-status", role: "status" });
    const bar = el("div", { class: "feedback" });
    const done = () => { bar.replaceChildren(el("span", { class: "fb-status", role: "status", text: TEXT.thanks })); };
    const fail = (err) => { status.textContent = TEXT.feedbackFailed + err.message; };
    const up = el("button", { type: "button", class: "fb-up", "aria-pressed": "false", text: TEXT.helpful,
      onclick: () => sendFeedback(answerId, "up", "", "").then(done, fail) });
    const down = el("button", { type: "button", class: "fb-down", "aria-pressed": "false",
      text: TEXT.unhelpful, "aria-expanded": "false", onclick: () => openForm() });
    function openForm() {
      if (bar.querySelector("form")) return;
      down.setAttribute("aria-pressed", "true");
      down.setAttribute("aria-expanded", "true");
      const reason = el("select", { "aria-label": TEXT.reasonLabel },
        ...TEXT.reasons.map((r) => el("option", { value: r, text: r })));
      const comment = el("textarea", { rows: "2", maxlength: "2000", "aria-label": TEXT.commentLabel,
        placeholder: TEXT.commentLabel });
      const form = el("form", { class: "fb-form" }, reason, comment,
        el("button", { type: "submit", class: "fb-submit", text: TEXT.submit }));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        sendFeedback(answerId, "down", reason.value, comment.value.trim()).then(done, fail);
      });
      bar.append(form);
      reason.focus();
    }
    bar.append(up, down, status);
    return bar;
  }

  class BotMessage {
    constructor(container) {
      this.citations = [];
      this.answer = "";
      this.answerable = true;
      this.open = new Set();
      this.body = el("div", { class: "answer" },
        el("span", { class: "typing" }, el("i"), el("i"), el("i"), el("span", { class: "sr-only", text: TEXT.thinking })));
      this.sources = el("div", { class: "sources", hidden: "" });
      this.cards = el("div", { class: "cards" });
      this.node = el("div", { class: "msg bot", "data-done": "false" }, this.body, this.sources, this.cards);
      container.append(this.node);
    }

    setCitations(data) {
      this.citations = Array.isArray(data.citations) ? data.citations : [];
      if (typeof data.answer_id === "string") this.answerId = data.answer_id;
      if (typeof data.completed_question === "string" && data.completed_question) {
        this.node.insertBefore(el("div", { class: "understood", text: TEXT.understood(data.completed_question) }),
          this.body);
      }
      this.setAnswerable(data.answerable);
      this.renderSources();
    }

    setAnswerable(answerable) {
      this.answerable = answerable !== false;
      this.node.classList.toggle("not-found", !this.answerable);
    }

    citation(n) {
      return this.citations.find((c) => Number(c.n) === n) || this.citations[n - 1];
    }

    toggle(n) {
      if (this.open.has(n)) this.open.delete(n);
      else this.open.add(n);
      let card = this.cards.querySelector(`.card[data-n="${n}"]`);
      if (!card) card = this.cards.appendChild(citationCard(this.citation(n)));
      card.hidden = !this.open.has(n);
      if (!card.hidden) card.scrollIntoView({ block: "nearest", behavior: "smooth" });
      this.body.querySelectorAll(`.cite[data-n="${n}"]`)
        .forEach((b) => b.setAttribute("aria-expanded", String(this.open.has(n))));
    }

    renderAnswer() {
      const parts = [];
      if (!this.answerable) {
        parts.push(el("div", { class: "nf-label" }, el("span", { class: "icon", "aria-hidden": "true", text: "!" }),
          TEXT.notFound));
      }
      let last = 0;
      for (const match of this.answer.matchAll(/\[(\d+)\]/g)) {
        const n = Number(match[1]);
        if (!this.citation(n)) continue;
        parts.push(this.answer.slice(last, match.index));
        parts.push(el("button", {
          type: "button", class: "cite", "data-n": String(n), "aria-expanded": String(this.open.has(n)),
          "aria-label": `查看引用 ${n}`, text: `[${n}]`, onclick: () => this.toggle(n),
        }));
        last = match.index + match[0].length;
      }
      parts.push(this.answer.slice(last));
      this.body.replaceChildren(...parts);
    }

    renderSources() {
      if (!this.citations.length) return;
      // One row per document: "[1][2] 文件标题（文号）" — every [n] opens its passage.
      const rows = new Map();
      for (const c of this.citations) {
        const key = `${c.doc_title}\u0000${c.doc_number}`;
        if (!rows.has(key)) {
          rows.set(key, el("div", { class: "src-row" }, el("span", {
            class: "src-doc", text: `${c.doc_title || ""}${c.doc_number ? `（${c.doc_number}）` : ""}`,
          })));
        }
        const row = rows.get(key);
        row.insertBefore(el("button", {
          type: "button", class: "src", "data-n": String(c.n), "aria-label": `查看引用 ${c.n}`, text: `[${c.n}]`,
          onclick: () => this.toggle(Number(c.n)),
        }), row.lastChild);
      }
      this.sources.replaceChildren(el("div", { text: this.answerable ? TEXT.sources : TEXT.related }), ...rows.values());
      this.sources.hidden = false;
    }

    appendDelta(text) {
      this.answer += text;
      this.renderAnswer();
    }

    finish(data) {
      if (typeof data.answer === "string") this.answer = data.answer;
      if ("answerable" in data) this.setAnswerable(data.answerable);
      this.renderAnswer();
      this.renderSources();
      if (typeof data.took_ms === "number") this.node.dataset.tookMs = String(Math.round(data.took_ms));
      if (typeof data.answer_id === "string") this.answerId = data.answer_id;
      if (this.answerId) this.node.append(feedbackBar(this.answerId));
      this.node.dataset.done = "true";
    }

    fail(message) {
      this.node.classList.add("error");
      this.body.replaceChildren(el("span", { text: message }));
      this.node.dataset.done = "true";
    }
  }

  // ---- Talking to the service ----
  function describeDetail(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => (d && d.msg) || JSON.stringify(d)).join("；");
    return detail == null ? "" : JSON.stringify(detail);
  }

  async function ask(question, message, history) {
    // One deadline for the whole exchange (connecting, waiting, streaming): aborting ends fetch and the stream.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
    const failed = (text) => message.fail(timedOut ? TEXT.timedOut(Math.round(timeoutMs / 1000)) : text);
    try {
      await exchange(question, message, history, controller.signal, failed);
    } finally {
      clearTimeout(timer);
    }
  }

  async function exchange(question, message, history, signal, failed) {
    let response;
    try {
      response = await fetch(`${apiBase}/v1/ask/stream`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...(await authHeaders()) },
        body: JSON.stringify({ question, top_k: 5, history }),
        signal,
      });
    } catch (err) {
      failed(TEXT.networkFailed);
      return;
    }
    if (!response.ok) {
      let detail = "";
      try {
        const body = await response.text();
        try { detail = describeDetail(JSON.parse(body).detail); } catch (err) { detail = body.slice(0, 200); }
      } catch (err) { /* body unreadable: keep the status line */ }
      failed(`${TEXT.requestFailed}${detail || response.statusText || "未知错误"}（HTTP ${response.status}）`);
      return;
    }
    try {
      await readSse(response, (event, raw) => {
        if (message.node.dataset.done === "true") return;
        const data = JSON.parse(raw);
        if (event === "citations") message.setCitations(data);
        else if (event === "delta") message.appendDelta(String(data.text || ""));
        else if (event === "done") message.finish(data);
        else if (event === "error") message.fail(TEXT.serverError + (data.message || "未知错误"));
      });
    } catch (err) {
      failed(TEXT.interrupted);
      return;
    }
    if (message.node.dataset.done !== "true") {
      if (message.answer) message.finish({});
      else failed(TEXT.interrupted);
    }
  }

  // ---- Widget shell ----
  function mount() {
    const host = el("div", { id: "gov-qa-widget" });
    const shadow = host.attachShadow({ mode: "open" });
    const messages = el("div", { class: "messages", "aria-live": "polite", "aria-relevant": "additions text" },
      el("p", { class: "intro", text: TEXT.intro }));
    const input = el("input", { type: "text", placeholder: TEXT.placeholder, "aria-label": TEXT.placeholder,
      maxlength: "500", autocomplete: "off" });
    const send = el("button", { type: "submit", class: "send", text: TEXT.send });
    const hint = el("div", { class: "hint", role: "status" });
    const form = el("form", { class: "composer" }, input, send);
    const panel = el("div", { class: "panel", role: "dialog", "aria-label": TEXT.title, hidden: "" },
      el("div", { class: "header" },
        el("div", {}, el("h2", { text: TEXT.title }), el("p", { text: TEXT.subtitle })),
        el("button", { type: "button", class: "close", "aria-label": TEXT.close, text: "×",
          onclick: () => setOpen(false) })),
      messages, hint, form);
    const launcher = el("button", { type: "button", class: "launcher", "aria-label": TEXT.open,
      "aria-expanded": "false", onclick: () => setOpen(panel.hidden) }, chatIcon());

    function setOpen(open) {
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", String(open));
      if (open) input.focus();
      else launcher.focus();
    }

    let busy = false;
    const history = []; // this conversation's finished turns, oldest first (the service keeps none)
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const question = input.value.trim();
      if (busy) return;
      if (!question) {
        hint.textContent = TEXT.emptyHint;
        input.focus();
        return;
      }
      hint.textContent = "";
      busy = true;
      send.disabled = true;
      input.value = "";
      messages.append(el("div", { class: "msg user", text: question }));
      const message = new BotMessage(messages);
      const scroll = new MutationObserver(() => { messages.scrollTop = messages.scrollHeight; });
      scroll.observe(message.node, { childList: true, subtree: true, characterData: true });
      messages.scrollTop = messages.scrollHeight;
      try {
        await ask(question, message, history.slice(-MAX_HISTORY));
        if (message.node.dataset.done === "true" && !message.node.classList.contains("error")) {
          history.push({ question, chunk_ids: message.citations.map((c) => String(c.chunk_id)), answer: message.answer });
        }
      } finally {
        scroll.disconnect();
        busy = false;
        send.disabled = false;
        input.focus();
      }
    });
    input.addEventListener("input", () => { hint.textContent = ""; });
    panel.addEventListener("keydown", (event) => { if (event.key === "Escape") setOpen(false); });

    shadow.append(el("style", { text: CSS }), el("div", { class: "root" }, launcher, panel));
    document.body.append(host);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
