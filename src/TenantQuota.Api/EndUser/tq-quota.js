/*
 * tq-quota.js: the embeddable quota meter of TenantQuota.
 *
 * One dependency-free file (no framework, no build step, ES2020) that defines the custom element
 * <tq-quota-meter>. It shows one subject's usage per operation class (a meter bar, "used of limit",
 * when the window resets) and the localized message the API attaches to a class near or over its
 * limit, with the API's upgrade CTA. All copy comes from GET {api-base}/v1/me/usage, read with a
 * view token: a short-lived bearer token (≤ 15 min) that can only read one subject's usage.
 *
 * Usage:
 *   <script src="https://quota.example/widget/tq-quota.js"></script>
 *   <tq-quota-meter token="VIEW_TOKEN" lang="es-ES" classes="summaries,images"></tq-quota-meter>
 *   <script>
 *     const meter = document.querySelector("tq-quota-meter");
 *     meter.tokenProvider = async () => (await fetch("/my-backend/quota-view-token")).text();
 *     meter.addEventListener("tq-upgrade-click", e => console.log(e.detail.url));
 *   </script>
 *
 * Attributes:
 *   api-base          API base URL, e.g. "http://127.0.0.1:5080". Default: the origin this script was loaded from.
 *   token             View token, sent as "Authorization: Bearer …".
 *   lang              Locale for numbers/dates and the Accept-Language header. Default: navigator.language.
 *   classes           Comma-separated operation classes to show, in the API's order. Default: all.
 *   refresh-interval  Seconds between polls (default 30; 0 = no polling; values below 5 count as 5).
 *
 * Properties and methods:
 *   tokenProvider     Optional async () => string. Called when there is no token or the API answers 401;
 *                     the request is then retried once with the fresh token.
 *   refresh()         Fetch now. Returns a promise that settles when the fetch is done.
 *   TqQuotaMeter.version / .TQ_QUOTA_VERSION   "1.0.0" (the class: customElements.get("tq-quota-meter")).
 *   TqQuotaMeter.strings   The widget's own English copy (the API localizes everything else); replace
 *                     entries before the elements render to translate it.
 *
 * Events (CustomEvent, bubbles, composed):
 *   tq-usage            detail: the usage JSON, after every successful fetch.
 *   tq-error            detail: {status, problem}: status 0 for network errors, problem the problem+json or null.
 *   tq-upgrade-click    detail: {operationClass, url}. Cancelable: preventDefault() stops the navigation
 *                       (for single-page apps that route themselves).
 *   tq-banner-shown     detail: {operationClass, severity}: a class's message shown for the first time with that title.
 *   tq-banner-dismissed detail: {operationClass, severity}: the user dismissed an info/warning message; it stays
 *                       hidden (for this subject, this browser tab session) until its title changes. Errors cannot
 *                       be dismissed.
 *
 * CSS custom properties (defaults meet WCAG AA: every text colour ≥ 4.5:1 on its background):
 *   --tq-font        font-family                  (system-ui stack)
 *   --tq-text        text                         #1f2328  (15.8:1 on #ffffff)
 *   --tq-muted       secondary text, dismiss ×     #59636e  (6.1:1 on white, ≥ 5.3:1 on the message backgrounds)
 *   --tq-bg          background                   #ffffff
 *   --tq-border      card border                  #d1d9e0  (decorative)
 *   --tq-radius      corner radius                8px
 *   --tq-track       empty part of the bar        #eff2f5
 *   --tq-bar-ok      bar, state ok                #1a7f37  (5.1:1 on white)
 *   --tq-bar-warning bar, state soft_limit        #9a6700  (4.9:1 on white)
 *   --tq-bar-error   bar, state hard_limit; error line text   #cf222e  (5.4:1 on white)
 *   --tq-accent      CTA background, focus ring, info stripe  #0969da  (white CTA text 5.2:1)
 *   --tq-accent-text CTA text                     #ffffff
 *   --tq-info-bg / --tq-warning-bg / --tq-error-bg   message backgrounds   #ddf4ff / #fff8c5 / #ffebe9
 *                    (text 13.8:1 or more on each)
 * The host is display:block; style its size and margins from the page as usual.
 */
(() => {
  "use strict";
  const TQ_QUOTA_VERSION = "1.0.0";
  const TAG = "tq-quota-meter";
  // The script may be included twice (two widgets, two bundles): defining the tag again would throw.
  if (!window.customElements || customElements.get(TAG)) return;

  // document.currentScript only exists while this file first runs, so the default API origin is taken now.
  const SCRIPT_ORIGIN = (() => {
    try { return new URL(document.currentScript.src).origin; } catch { return location.origin; }
  })();
  const STATES = new Set(["ok", "soft_limit", "hard_limit"]);
  const SEVERITIES = new Set(["info", "warning", "error"]);
  const MIN_INTERVAL_S = 5; // a typo such as refresh-interval="0.1" must not hammer the API
  let nextId = 0;

  const CSS = `
:host { display: block; }
:host([hidden]), [hidden] { display: none !important; }
.root { font-family: var(--tq-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif);
  font-size: 14px; line-height: 1.45; color: var(--tq-text, #1f2328); background: var(--tq-bg, #ffffff);
  border: 1px solid var(--tq-border, #d1d9e0); border-radius: var(--tq-radius, 8px); padding: 12px 16px; }
.status { margin: 0; color: var(--tq-muted, #59636e); }
.status.error { color: var(--tq-bar-error, #cf222e); }
.status:not(:empty) + .list:not(:empty) { margin-top: 8px; }
.list { list-style: none; margin: 0; padding: 0; display: grid; gap: 16px; }
.head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
.name { font-weight: 600; }
.count { font-variant-numeric: tabular-nums; white-space: nowrap; }
.track { position: relative; height: 8px; margin: 6px 0 4px; border-radius: 999px; overflow: hidden;
  background: var(--tq-track, #eff2f5); }
.fill { height: 100%; width: 0; border-radius: inherit; background: var(--tq-bar-ok, #1a7f37); transition: width .3s ease; }
.state-soft_limit .fill { background: var(--tq-bar-warning, #9a6700); }
.state-hard_limit .fill { background: var(--tq-bar-error, #cf222e); }
.tick { position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px; background: var(--tq-text, #1f2328); }
.reset { margin: 0; color: var(--tq-muted, #59636e); font-size: 13px; }
.reset .sub:not(:empty)::before { content: " · "; }
.msg { margin-top: 8px; padding: 8px 10px; display: grid; grid-template-columns: 1fr auto; gap: 4px 8px; align-items: start;
  border-left: 4px solid var(--tq-accent, #0969da); border-radius: 4px; background: var(--tq-info-bg, #ddf4ff); }
.msg:empty { margin: 0; padding: 0; border: 0; } /* kept in the DOM: a live region must exist before it speaks */
.msg.warning { border-left-color: var(--tq-bar-warning, #9a6700); background: var(--tq-warning-bg, #fff8c5); }
.msg.error { border-left-color: var(--tq-bar-error, #cf222e); background: var(--tq-error-bg, #ffebe9); }
.msg > :not(.dismiss) { grid-column: 1; margin: 0; }
.msg-title { font-weight: 600; }
.msg > .cta { justify-self: start; margin-top: 4px; padding: 4px 12px; border-radius: 6px; font-weight: 600;
  text-decoration: none; color: var(--tq-accent-text, #ffffff); background: var(--tq-accent, #0969da); }
.msg > .cta:hover { text-decoration: underline; }
.dismiss { grid-column: 2; grid-row: 1; padding: 0 6px; border: 0; border-radius: 4px; background: transparent;
  font: inherit; font-size: 18px; line-height: 1.2; color: var(--tq-muted, #59636e); cursor: pointer; }
.dismiss:hover { color: var(--tq-text, #1f2328); }
a:focus-visible, button:focus-visible, .name:focus-visible { outline: 2px solid var(--tq-accent, #0969da); outline-offset: 2px; }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
  // A constructed stylesheet is shared by every instance and, unlike a <style> element, is not blocked by a
  // host page whose Content-Security-Policy forbids inline styles.
  let sheet = null;
  try { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); } catch { sheet = null; }

  const el = (tag, cls, parent) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  };
  // Rewriting identical text would make some screen readers repeat a live region.
  const setText = (node, text) => { if (node.textContent !== text) node.textContent = text; };
  const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);
  // Only web links: "javascript:", "data:" and relative URLs from the API are never rendered.
  const safeUrl = (url) => {
    try { const u = new URL(url); return u.protocol === "http:" || u.protocol === "https:" ? u.href : null; } catch { return null; }
  };
  const readProblem = async (res) => {
    try { return /json/i.test(res.headers.get("content-type") || "") ? await res.json() : null; } catch { return null; }
  };

  class TqQuotaMeter extends HTMLElement {
    static get observedAttributes() { return ["api-base", "token", "lang", "classes", "refresh-interval"]; }
    static get version() { return TQ_QUOTA_VERSION; }
    static get TQ_QUOTA_VERSION() { return TQ_QUOTA_VERSION; }

    constructor() {
      super();
      const root = this.attachShadow({ mode: "open" });
      if (sheet) root.adoptedStyleSheets = [sheet];
      else el("style", null, root).textContent = CSS;
      const box = el("div", "root", root);
      box.setAttribute("part", "root");
      this._status = el("p", "status", box); // "unavailable" line; polite, polling errors are not emergencies
      this._status.setAttribute("role", "status");
      this._list = el("ul", "list", box);
      this._cards = new Map(); // operationClass -> DOM of its row, updated in place so focus and live regions survive polls
      this._shownTitles = new Map(); // "subject:operationClass" -> last title reported by tq-banner-shown
      this._dismissedMemo = new Map(); // fallback when sessionStorage is unavailable (sandboxed iframes)
      this._data = null;
      this._token = null;
      this._provider = null;
      this._ctrl = null;
      this._timer = 0;
      this._missedPoll = false;
      this._queued = false;
      this._onVisible = () => { if (!document.hidden && this._missedPoll) this.refresh(); };
    }

    get tokenProvider() { return this._provider; }
    set tokenProvider(fn) {
      this._provider = typeof fn === "function" ? fn : null;
      // A page may give only a provider and no token: that is the moment to start. With a token the
      // first request is already on its way and the provider waits for a 401.
      if (this._provider && !this._token && !this._data) this._queueRefresh();
    }

    connectedCallback() {
      document.addEventListener("visibilitychange", this._onVisible);
      this._queueRefresh();
    }

    disconnectedCallback() {
      document.removeEventListener("visibilitychange", this._onVisible);
      clearTimeout(this._timer);
      if (this._ctrl) this._ctrl.abort();
      this._ctrl = null;
    }

    attributeChangedCallback(name, oldValue, value) {
      if (oldValue === value) return;
      if (name === "token") this._token = value || null;
      if (name === "classes") this._render();
      else if (name === "refresh-interval") this._arm();
      else this._queueRefresh();
    }

    // Pages usually set several attributes and properties in a row: coalesce them into one request.
    _queueRefresh() {
      if (this._queued || !this.isConnected) return;
      this._queued = true;
      queueMicrotask(() => { this._queued = false; this.refresh(); });
    }

    _locale() {
      for (const candidate of [this.getAttribute("lang"), navigator.language]) {
        try { if (candidate) return Intl.getCanonicalLocales(candidate)[0]; } catch { /* invalid tag: next */ }
      }
      return "en";
    }

    _interval() {
      const raw = this.getAttribute("refresh-interval");
      const s = raw === null || raw.trim() === "" ? 30 : Number(raw);
      if (!Number.isFinite(s) || s < 0) return 30;
      return s === 0 ? 0 : Math.max(s, MIN_INTERVAL_S);
    }

    // Polls are chained after each fetch (not setInterval) so a slow API never gets overlapping requests.
    _arm() {
      clearTimeout(this._timer);
      const s = this._interval();
      if (!s || !this.isConnected) return;
      this._timer = setTimeout(() => {
        if (document.hidden) { this._missedPoll = true; return; } // no traffic from background tabs
        this.refresh();
      }, s * 1000);
    }

    async _freshToken() {
      if (!this._provider) return null;
      try {
        const t = await this._provider();
        this._token = typeof t === "string" && t ? t : null;
      } catch { this._token = null; }
      return this._token;
    }

    _get(signal) {
      const base = (this.getAttribute("api-base") || SCRIPT_ORIGIN).replace(/\/+$/, "");
      return fetch(`${base}/v1/me/usage`, {
        signal,
        cache: "no-store",
        credentials: "omit", // the bearer token is the only credential: no cookies, no CSRF surface
        headers: {
          Authorization: `Bearer ${this._token}`,
          Accept: "application/json, application/problem+json",
          "Accept-Language": this._locale(),
        },
      });
    }

    async refresh() {
      if (this._ctrl) this._ctrl.abort(); // the newest request wins
      const ctrl = (this._ctrl = new AbortController());
      clearTimeout(this._timer);
      this._missedPoll = false;
      try {
        if (!this._token && !(await this._freshToken())) return; // nothing to ask with yet: wait for a token
        let res = await this._get(ctrl.signal);
        // View tokens expire within 15 minutes: get a new one and retry once, never loop.
        if (res.status === 401 && this._provider && (await this._freshToken()) && !ctrl.signal.aborted) {
          res = await this._get(ctrl.signal);
        }
        if (!res.ok) return this._fail(res.status, await readProblem(res), ctrl);
        const data = await res.json();
        if (!data || !Array.isArray(data.classes)) throw new TypeError("unexpected usage payload");
        if (ctrl.signal.aborted) return;
        this._data = data;
        this._render();
        this._setStatus("", false);
        this._emit("tq-usage", data);
      } catch {
        this._fail(0, null, ctrl); // network, CORS or malformed JSON: all the same to the reader
      } finally {
        if (this._ctrl === ctrl) { this._ctrl = null; this._arm(); }
      }
    }

    // Keep the last good data on screen; only say, briefly, that it may be stale.
    _fail(status, problem, ctrl) {
      if (ctrl.signal.aborted) return; // superseded or disconnected: not an error
      this._setStatus(TqQuotaMeter.strings.unavailable, true);
      this._emit("tq-error", { status, problem });
    }

    _setStatus(text, isError) {
      this._status.classList.toggle("error", isError);
      setText(this._status, text);
    }

    _emit(type, detail, cancelable = false) {
      return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
    }

    _render() {
      if (!this._data) return;
      const filter = (this.getAttribute("classes") || "").split(",").map((s) => s.trim()).filter(Boolean);
      const rows = this._data.classes.filter((c) => c && typeof c.operationClass === "string" &&
        (!filter.length || filter.includes(c.operationClass)));
      const seen = new Set();
      rows.forEach((c, i) => {
        let card = this._cards.get(c.operationClass);
        if (!card) this._cards.set(c.operationClass, (card = this._makeCard()));
        seen.add(c.operationClass);
        card.usage = c;
        this._fillCard(card, c);
        // Move only rows that are out of place: moving a node would drop the keyboard focus inside it.
        if (this._list.children[i] !== card.li) this._list.insertBefore(card.li, this._list.children[i] || null);
      });
      for (const [op, card] of this._cards) if (!seen.has(op)) { card.li.remove(); this._cards.delete(op); }
    }

    _makeCard() {
      const li = el("li");
      const head = el("div", "head", li);
      const name = el("span", "name", head);
      name.id = `tq-name-${++nextId}`;
      name.tabIndex = -1; // focus lands here after a dismiss, instead of being lost with the button
      const count = el("span", "count", head);
      const meter = el("div", "track", li);
      meter.setAttribute("role", "meter");
      meter.setAttribute("aria-valuemin", "0");
      meter.setAttribute("aria-labelledby", name.id);
      const fill = el("div", "fill", meter);
      const tick = el("div", "tick", meter); // where the soft limit starts
      const reset = el("p", "reset", li);
      const resetMain = el("span", null, reset);
      const resetSub = el("span", "sub", reset);
      // Two permanent live regions: changing the role of one region is not announced reliably.
      const status = el("div", "msg", li);
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      const alert = el("div", "msg", li);
      alert.setAttribute("role", "alert");
      return { li, name, count, meter, fill, tick, reset, resetMain, resetSub, status, alert, msgKey: "", usage: null };
    }

    _fillCard(card, c) {
      const S = TqQuotaMeter.strings;
      const locale = this._locale();
      const nf = new Intl.NumberFormat(locale);
      const name = c.displayName || c.operationClass;
      const used = num(c.used), hard = num(c.hardLimit), soft = num(c.softLimit);
      card.li.className = `class state-${STATES.has(c.state) ? c.state : "ok"}`;
      setText(card.name, name);
      setText(card.count, S.usedOf(nf.format(used), nf.format(hard)));
      card.meter.setAttribute("aria-valuemax", String(hard));
      card.meter.setAttribute("aria-valuenow", String(Math.min(used, hard)));
      card.meter.setAttribute("aria-valuetext", S.valueText(nf.format(used), nf.format(hard), name));
      card.fill.style.width = `${hard > 0 ? Math.min(100, (used / hard) * 100) : used > 0 ? 100 : 0}%`;
      card.tick.hidden = !(soft > 0 && soft < hard);
      if (!card.tick.hidden) card.tick.style.left = `${(soft / hard) * 100}%`;

      // The API sends resetsIn/resetsAtLocal already localized; older servers only send the instant.
      const at = new Date(c.resetsAt);
      const formatted = Number.isNaN(at.getTime()) ? ""
        : new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(at);
      const main = c.resetsIn ? S.resetsIn(c.resetsIn) : formatted ? S.resetsAt(formatted) : "";
      setText(card.resetMain, main);
      setText(card.resetSub, c.resetsAtLocal || (c.resetsIn ? formatted : ""));
      card.reset.title = c.resetsAtLocal || formatted;
      card.reset.hidden = !main;
      this._renderMessage(card, c);
    }

    _renderMessage(card, c) {
      const op = c.operationClass;
      const m = c.message && typeof c.message.title === "string" ? c.message : null;
      const severity = m && SEVERITIES.has(m.severity) ? m.severity : "info";
      const show = m && (severity === "error" || this._dismissedTitle(op) !== m.title);
      const cta = show && m.cta ? m.cta : null;
      const href = cta && safeUrl(cta.url);
      const key = show ? JSON.stringify([severity, m.title, m.body, href, cta && cta.label]) : "";
      if (key === card.msgKey) return; // unchanged: leave the live region (and any focus in it) alone
      card.msgKey = key;
      card.status.replaceChildren();
      card.alert.replaceChildren();
      card.status.className = card.alert.className = "msg";
      if (!show) return;

      const box = severity === "error" ? card.alert : card.status;
      box.classList.add(severity);
      el("p", "msg-title", box).textContent = m.title;
      if (m.body) el("p", "msg-body", box).textContent = String(m.body);
      if (href && cta.label) {
        const a = el("a", "cta", box);
        a.href = href;
        a.rel = "noopener noreferrer";
        a.textContent = String(cta.label);
        a.addEventListener("click", (ev) => {
          if (!this._emit("tq-upgrade-click", { operationClass: op, url: href }, true)) ev.preventDefault();
        });
      }
      if (severity !== "error") {
        const b = el("button", "dismiss", box);
        b.type = "button";
        b.setAttribute("aria-label", TqQuotaMeter.strings.dismiss(m.title));
        b.textContent = "×";
        b.addEventListener("click", () => this._dismiss(card, op, m.title, severity));
      }
      // Per subject: after the page switches user, the same title is a new banner for the new user.
      const shownKey = `${(this._data && this._data.subjectId) || ""}:${op}`;
      if (this._shownTitles.get(shownKey) !== m.title) {
        this._shownTitles.set(shownKey, m.title);
        this._emit("tq-banner-shown", { operationClass: op, severity });
      }
    }

    // Dismissals are per subject and per title, and last for the tab session: a new title (the state
    // moved on) shows again, a reload does not bring back what the user already closed.
    _dismissKey(op) { return `tq-quota:dismissed:${(this._data && this._data.subjectId) || ""}:${op}`; }

    _dismissedTitle(op) {
      const key = this._dismissKey(op);
      if (this._dismissedMemo.has(key)) return this._dismissedMemo.get(key);
      try { return sessionStorage.getItem(key); } catch { return null; }
    }

    _dismiss(card, op, title, severity) {
      const key = this._dismissKey(op);
      this._dismissedMemo.set(key, title);
      try { sessionStorage.setItem(key, title); } catch { /* storage blocked: the in-memory copy is enough */ }
      this._renderMessage(card, card.usage);
      card.name.focus();
      this._emit("tq-banner-dismissed", { operationClass: op, severity });
    }
  }

  // The widget's own words; the API localizes everything else. Replace entries to translate them.
  TqQuotaMeter.strings = {
    usedOf: (used, limit) => `${used} of ${limit}`,
    valueText: (used, limit, name) => `${used} of ${limit} ${name} used`,
    resetsIn: (relative) => `Resets ${relative}`,
    resetsAt: (when) => `Resets ${when}`,
    dismiss: (title) => `Dismiss message: ${title}`,
    unavailable: "Usage is unavailable right now",
  };

  customElements.define(TAG, TqQuotaMeter);
})();
