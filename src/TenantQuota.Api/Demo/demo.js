/*
 * demo.js: "Quill", the fake AI writing app of the TenantQuota demo (GET /demo).
 *
 * Every action button spends the demo tenant's quota through POST /demo/act; the answer's message goes in the
 * page's banner and the <tq-quota-meter> beside it shows the same subject's usage. Dependency-free, ES2020.
 * Server text is only ever put in the page with textContent (never innerHTML), and CTA links only when http(s).
 */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const meter = $("meter");
  const ui = {
    tenant: $("tenant"), user: $("user"), newUser: $("new-user"), tier: $("tier"), lang: $("lang"), text: $("text"),
    actions: $("actions"), main: $("main"), error: $("error"), output: $("output"), banner: $("banner"),
    icon: $("banner-icon"), severity: $("banner-severity"), title: $("banner-title"), body: $("banner-body"), cta: $("banner-cta"),
  };
  // Undefined when /widget/tq-quota.js did not load: the app still works, only without a meter.
  const Meter = customElements.get("tq-quota-meter");
  const METER_EN = Meter ? { ...Meter.strings } : null;

  const firstSentence = (text) => (text.match(/[^.!?]+[.!?]?/) || [""])[0].trim().slice(0, 200);
  const firstWords = (text, n) => text.split(/\s+/).filter(Boolean).slice(0, n).join(" ");
  // The two longest distinct words stand in for "what the text is about".
  const keywords = (text) => [...new Set(text.match(/[\p{L}\p{N}]{4,}/gu) || [])].sort((a, b) => b.length - a.length);

  // The page's own words. Everything about quota (messages, CTAs, the meter's rows) comes localized from the server.
  const TEXT = {
    en: {
      pageTitle: "Quill · TenantQuota demo", tagline: "The TenantQuota demo: every button spends quota; watch the meter.",
      tenant: "Tenant", user: "User", newUser: "New user", tier: "Tier", language: "Language", text: "Your text",
      result: "Result", usage: "Your quota", idle: "Press a button to run an AI action.", actions: "AI actions",
      info: "Info", warning: "Warning", error: "Error", labels: {},
      notRun: "Not run: out of quota.", runInstead: (label) => `Run “${label}” instead`,
      meta: (a, nf) => `decision: ${a.decision} · used ${nf.format(a.used)} of ${nf.format(a.hardLimit)} · state: ${a.state}`,
      overage: (n) => `Billed as overage: ${n}`, done: (label, n) => `${label} #${n}: done.`,
      emptyUser: "Enter a user id first.", network: "The demo server could not be reached.",
      failed: (status) => `The demo server answered ${status}.`,
      results: {
        summaries: (n, t) => `Summary #${n}: ${firstSentence(t)}`,
        drafts: (n, t) => `Draft #${n}: Big news! ${firstWords(t, 12)}… Reply to this email for early access.`,
        deep_research: (n, t, [k1 = "it", k2 = "its launch"]) =>
          `Research #${n}: compared 3 sources on “${k1}” and “${k2}”; all agree that ${k1} decides the launch.`,
      },
      sample: "Next Tuesday we launch Lumen, our new smart desk lamp, in twelve countries at once. Early reviewers praised " +
        "its adaptive brightness and week-long battery, while retailers asked for more stock before the holidays. The launch " +
        "event streams live at 10:00, followed by a press Q&A and the first customer deliveries on Friday.",
      meter: METER_EN,
    },
    es: {
      pageTitle: "Quill · demo de TenantQuota", tagline: "La demo de TenantQuota: cada botón gasta cuota; mira el medidor.",
      tenant: "Cliente", user: "Usuario", newUser: "Nuevo usuario", tier: "Plan", language: "Idioma", text: "Tu texto",
      result: "Resultado", usage: "Tu cuota", idle: "Pulsa un botón para ejecutar una acción de IA.", actions: "Acciones de IA",
      info: "Información", warning: "Aviso", error: "Error",
      labels: { summaries: "Resumir", drafts: "Redactar", deep_research: "Investigar a fondo" },
      notRun: "No ejecutado: sin cuota.", runInstead: (label) => `Usar «${label}» en su lugar`,
      meta: (a, nf) => `decisión: ${a.decision} · usados ${nf.format(a.used)} de ${nf.format(a.hardLimit)} · estado: ${a.state}`,
      overage: (n) => `Facturado como excedente: ${n}`, done: (label, n) => `${label} n.º ${n}: hecho.`,
      emptyUser: "Escribe primero un id de usuario.", network: "No se pudo contactar con el servidor de la demo.",
      failed: (status) => `El servidor de la demo respondió ${status}.`,
      results: {
        summaries: (n, t) => `Resumen n.º ${n}: ${firstSentence(t)}`,
        drafts: (n, t) => `Borrador n.º ${n}: ¡Grandes noticias! ${firstWords(t, 12)}… Responde a este correo para tener acceso anticipado.`,
        deep_research: (n, t, [k1 = "esto", k2 = "el lanzamiento"]) =>
          `Investigación n.º ${n}: 3 fuentes comparadas sobre «${k1}» y «${k2}»; todas coinciden en que ${k1} decide el lanzamiento.`,
      },
      sample: "El próximo martes lanzamos Lumen, nuestra nueva lámpara de escritorio inteligente, en doce países a la vez. " +
        "Los primeros analistas elogiaron su brillo adaptable y su batería de una semana, y las tiendas pidieron más unidades " +
        "antes de las fiestas. El evento se emite en directo a las 10:00, con preguntas de la prensa y las primeras entregas el viernes.",
      meter: {
        usedOf: (used, limit) => `${used} de ${limit}`,
        valueText: (used, limit, name) => `${name}: ${used} de ${limit} usados`,
        resetsIn: (relative) => `Se renueva ${relative}`,
        resetsAt: (when) => `Se renueva el ${when}`,
        dismiss: (title) => `Cerrar mensaje: ${title}`,
        unavailable: "El uso no está disponible ahora",
      },
    },
  };
  const ICONS = { info: "ℹ", warning: "⚠", error: "✖" }; // in common fonts; the word beside each carries the meaning

  const state = { config: null, tenantId: "", subjectId: ui.user.value.trim() || "ana", lang: "en", token: null, runs: {}, shown: new Map() };
  const t = () => TEXT[state.lang] || TEXT.en;
  const tenantOf = (id) => state.config.tenants.find((x) => x.id === id);
  const labelOf = (op) => t().labels[op] || (state.config.actions.find((a) => a.operationClass === op) || {}).label || op;
  const safeUrl = (url) => {
    try { const u = new URL(url); return u.protocol === "http:" || u.protocol === "https:" ? u.href : null; } catch { return null; }
  };
  const el = (tag, text, cls) => { const n = document.createElement(tag); n.textContent = text; if (cls) n.className = cls; return n; };

  // One JSON call. A refusal becomes an Error whose message is the problem+json's own words, fit for the error line.
  async function call(path, body, headers = {}) {
    let res;
    try {
      res = await fetch(path, {
        method: body === undefined ? "GET" : "POST", cache: "no-store",
        headers: { Accept: "application/json, application/problem+json", ...(body && { "Content-Type": "application/json" }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch { throw new Error(t().network); }
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error((data && (data.detail || data.title)) || t().failed(res.status));
    return data;
  }

  async function newToken() {
    const session = await call("/demo/session", { tenantId: state.tenantId, subjectId: state.subjectId });
    state.token = session.token;
    return state.token;
  }

  // Changing the meter's token or lang makes it fetch by itself one microtask later; wait for that fetch instead
  // of calling refresh(), which would abort it and send a second request.
  function setMeter(name, value) {
    if (!Meter) return Promise.resolve();
    if (meter.getAttribute(name) === value) return meter.refresh();
    const done = new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        meter.removeEventListener("tq-usage", finish);
        meter.removeEventListener("tq-error", finish);
        resolve();
      };
      const timer = setTimeout(finish, 10000); // never leave the page busy because of the meter
      meter.addEventListener("tq-usage", finish);
      meter.addEventListener("tq-error", finish);
    });
    meter.setAttribute(name, value);
    return done;
  }

  // A new tenant or user is a new subject: new view token, fresh banner and output.
  async function startSession() {
    state.shown.clear();
    state.runs = {};
    clearResult();
    await setMeter("token", await newToken());
  }

  // Product analytics must never get in the user's way: failures are swallowed. keepalive lets the upgrade
  // click's event outlive the navigation it starts.
  async function uxEvent(type, operationClass) {
    if (!operationClass) return;
    const send = (token) => fetch("/v1/ux-events", {
      method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ subjectId: state.subjectId, type, operationClass }),
    });
    try {
      const res = await send(state.token || (await newToken()));
      if (res.status === 401) await send(await newToken()); // view tokens live 15 minutes
    } catch { /* ignored on purpose */ }
  }

  // Every server round trip goes through this queue, so a tier change can never interleave with an action.
  let queue = Promise.resolve();
  function run(task) {
    queue = queue.then(async () => {
      setBusy(true);
      try {
        // A task that returns false changed nothing, so the error line (maybe its twin's) stays.
        if ((await task()) !== false) ui.error.textContent = "";
      } catch (e) {
        ui.error.textContent = (e && e.message) || String(e);
      } finally {
        setBusy(false);
      }
    });
    return queue;
  }

  // Buttons are marked disabled with aria-disabled rather than `disabled`: a disabled button loses keyboard
  // focus, and a key press made while the meter refreshes would be lost. Such a press waits in the queue instead.
  function setBusy(on) {
    ui.main.setAttribute("aria-busy", String(on));
    for (const b of document.querySelectorAll("#actions button, #output button, #new-user")) b.setAttribute("aria-disabled", String(on));
  }

  // At most one action waits behind the one running: a held-down Enter must not spend the whole quota.
  let actsPending = 0;
  function press(op) {
    if (actsPending > 1) return;
    actsPending++;
    run(() => act(op)).then(() => actsPending--);
  }

  function clearResult() {
    showBanner(null);
    ui.output.replaceChildren(el("p", t().idle, "muted"));
  }

  function showBanner(message, op) {
    const m = message && typeof message.title === "string" ? message : null;
    ui.banner.hidden = !m;
    if (!m) return;
    const severity = ICONS[m.severity] ? m.severity : "info";
    // Errors interrupt (alert); nudges and warnings wait for a pause (status).
    ui.banner.setAttribute("role", severity === "error" ? "alert" : "status");
    ui.banner.className = `banner ${severity}`;
    ui.banner.dataset.severity = severity;
    ui.icon.textContent = ICONS[severity];
    ui.severity.textContent = `${t()[severity]}:`;
    ui.title.textContent = m.title;
    ui.body.textContent = m.body ? String(m.body) : "";
    const href = m.cta && m.cta.label ? safeUrl(m.cta.url) : null;
    ui.cta.hidden = !href;
    if (href) {
      ui.cta.href = href;
      ui.cta.textContent = String(m.cta.label);
      ui.cta.dataset.op = op;
    } else ui.cta.removeAttribute("href");
    // Reported once per class and title, the meter's own rule, so repeated identical answers are not counted again.
    if (state.shown.get(op) !== m.title) {
      state.shown.set(op, m.title);
      uxEvent("banner_shown", op);
    }
  }

  function showOutput(a, op) {
    const T = t();
    const nf = new Intl.NumberFormat(state.lang);
    const nodes = [];
    if (a.allowed) {
      const n = (state.runs[op] = (state.runs[op] || 0) + 1);
      const text = ui.text.value.trim();
      nodes.push(el("p", T.results[op] ? T.results[op](n, text, keywords(text)) : T.done(labelOf(op), n)));
    } else {
      nodes.push(el("p", T.notRun));
      // A degrade answer names a cheaper class that still works: offer it.
      if (a.fallbackClass) {
        const b = el("button", T.runInstead(labelOf(a.fallbackClass)), "secondary");
        b.type = "button";
        b.id = "run-fallback";
        b.addEventListener("click", () => press(a.fallbackClass));
        nodes.push(b);
      }
    }
    nodes.push(el("p", T.meta(a, nf), "meta"));
    if (a.billableQuantity > 0) nodes.push(el("p", T.overage(nf.format(a.billableQuantity)), "meta"));
    // Re-rendering removes a focused fallback button: keep keyboard focus in the same place, not on <body>.
    const hadFocus = ui.output.contains(document.activeElement);
    ui.output.replaceChildren(...nodes);
    if (hadFocus) ($("run-fallback") || $(`act-${op}`) || ui.text).focus();
  }

  async function act(op) {
    const answer = await call("/demo/act", { tenantId: state.tenantId, subjectId: state.subjectId, operationClass: op },
      { "Accept-Language": state.lang });
    if (answer.tier) setTier(answer.tier);
    showBanner(answer.message, op);
    showOutput(answer, op);
    // The meter catches up by itself if its fetch is slow; a slow one must not hold the next press in the queue.
    if (Meter) await Promise.race([meter.refresh(), new Promise((resolve) => setTimeout(resolve, 10000))]);
  }

  // The upgrade offer. With billing on, the demo back end opens Stripe Checkout for the next tier
  // (POST /demo/upgrade, which comes back to /demo?tenant=…); without it the CTA's own link is followed,
  // as on a tenant's site.
  function upgrade(href, op) {
    uxEvent("upgrade_clicked", op); // keepalive: it outlives the navigation
    run(async () => {
      const tiers = state.config.tiers;
      const next = tiers[tiers.indexOf(tenantOf(state.tenantId).tier) + 1];
      let target = href;
      if (next && state.config.billing !== false) { // a server that says billing is off is not asked
        try {
          target = safeUrl((await call("/demo/upgrade", { tenantId: state.tenantId, tier: next })).url) || href;
        } catch { /* billing is off (503) or refused: the plain link */ }
      }
      location.assign(target);
    });
  }

  function setTier(tier) {
    tenantOf(state.tenantId).tier = tier;
    ui.tier.value = tier;
  }

  function applyLang(lang) {
    state.lang = TEXT[lang] ? lang : "en";
    const T = t();
    const old = Object.values(TEXT).find((x) => x !== T && x.sample === ui.text.value);
    document.documentElement.lang = state.lang;
    for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = T[n.dataset.i18n];
    ui.actions.setAttribute("aria-label", T.actions);
    for (const b of ui.actions.querySelectorAll("button")) b.textContent = labelOf(b.dataset.op);
    if (!ui.text.value || old) ui.text.value = T.sample; // swap the sample, never the user's own text
    if (Meter) Object.assign(Meter.strings, T.meter);
    clearResult(); // the banner and output were written in the other language
  }

  // Reads the input when its turn comes: Enter fires both submit and change, and the second must see the first's outcome.
  function changeUser(id) {
    if (id !== undefined) ui.user.value = id;
    run(async () => {
      const value = ui.user.value.trim();
      if (!value) {
        ui.user.value = state.subjectId;
        throw new Error(t().emptyUser);
      }
      ui.user.value = value;
      const previous = state.subjectId;
      if (value === previous) return false;
      state.subjectId = value;
      try {
        await startSession();
      } catch (e) {
        state.subjectId = ui.user.value = previous; // refused (e.g. a space in the id): keep the user we had
        throw e;
      }
    });
  }

  async function init() {
    const config = (state.config = await call("/demo/config"));
    for (const x of config.tenants) ui.tenant.append(new Option(x.name || x.id, x.id));
    for (const tier of config.tiers) ui.tier.append(new Option(tier[0].toUpperCase() + tier.slice(1), tier));
    for (const o of [...ui.lang.options]) if (config.locales && !config.locales.includes(o.value)) o.remove();
    for (const a of config.actions) {
      const b = el("button", a.label);
      b.type = "button";
      b.id = `act-${a.operationClass}`;
      b.dataset.op = a.operationClass;
      b.addEventListener("click", () => press(a.operationClass));
      ui.actions.append(b);
    }
    // The meter shows only the classes Quill spends.
    meter.setAttribute("classes", config.actions.map((a) => a.operationClass).join(","));
    // ?tenant= comes back from Stripe Checkout (and from links to one tenant's demo).
    const wanted = new URLSearchParams(location.search).get("tenant");
    state.tenantId = ui.tenant.value = (config.tenants.find((x) => x.id === wanted) || config.tenants[0]).id;
    ui.tier.value = tenantOf(state.tenantId).tier;
    // Start in the browser's language when the server has copy for it.
    const browserLang = (navigator.language || "en").slice(0, 2).toLowerCase();
    if ([...ui.lang.options].some((o) => o.value === browserLang)) ui.lang.value = browserLang;
    applyLang(ui.lang.value);
    if (Meter) meter.setAttribute("lang", state.lang);
    try {
      await startSession();
    } finally {
      // Set after the first token: with a provider and no token yet the meter would ask for a second session.
      if (Meter) meter.tokenProvider = () => newToken().catch(() => null);
    }
  }

  ui.tenant.addEventListener("change", () => run(async () => {
    const previous = state.tenantId;
    state.tenantId = ui.tenant.value;
    try {
      await startSession();
    } catch (e) {
      state.tenantId = ui.tenant.value = previous;
      throw e;
    } finally {
      ui.tier.value = tenantOf(state.tenantId).tier;
    }
  }));
  ui.tier.addEventListener("change", () => run(async () => {
    try {
      const answer = await call("/demo/tier", { tenantId: state.tenantId, tier: ui.tier.value });
      setTier(answer.tier || ui.tier.value);
    } catch (e) {
      ui.tier.value = tenantOf(state.tenantId).tier; // the tenant did not move: show the tier it still has
      throw e;
    }
    await startSession(); // old messages spoke of the old tier
  }));
  ui.lang.addEventListener("change", () => run(async () => {
    applyLang(ui.lang.value);
    await setMeter("lang", state.lang);
  }));
  ui.user.addEventListener("change", () => changeUser());
  $("controls").addEventListener("submit", (e) => { e.preventDefault(); changeUser(); });
  ui.newUser.addEventListener("click", () => changeUser(`user-${1000 + Math.floor(Math.random() * 9000)}`));
  // A plain click on either upgrade offer goes through upgrade(); a ctrl/middle click opens the link as usual.
  ui.cta.addEventListener("click", (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return uxEvent("upgrade_clicked", ui.cta.dataset.op);
    e.preventDefault();
    upgrade(ui.cta.href, ui.cta.dataset.op);
  });
  meter.addEventListener("tq-upgrade-click", (e) => {
    e.preventDefault();
    upgrade(e.detail.url, e.detail.operationClass);
  });
  meter.addEventListener("tq-banner-shown", (e) => uxEvent("banner_shown", e.detail.operationClass));
  meter.addEventListener("tq-banner-dismissed", (e) => uxEvent("banner_dismissed", e.detail.operationClass));

  run(init);
})();
