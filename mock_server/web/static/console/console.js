// The sandbox console: reads the public API and the control API with the workspace's credentials,
// and re-reads them every 1.5 s while the tab is visible. Everything shown comes over HTTP.
"use strict";
(function () {
  const API = "/api/public/v1";
  const POLL_MS = 1500;
  const TERMINAL = new Set(["completed", "failed", "cancelled"]);
  const END_STEPS = 2000; // "to the end" advances event by event; bounded in steps and time
  const END_SECONDS = 60;
  const CONTACT_PAGES = 20; // 100 contacts a page

  const state = {
    key: localStorage.getItem("batchcalls.key") || "sk_test_sandbox",
    admin: sessionStorage.getItem("batchcalls.admin") || "",
    clock: null,
    open: new Set(), // journal entries shown opened, by request_id
    shown: "", // signature of what the view shows, to redraw only on change
    polling: false,
    advancing: false,
  };
  const view = document.getElementById("view");
  const notice = document.getElementById("notice");

  // ---- small helpers -------------------------------------------------------------------------
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "style") node.style.cssText = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function headers(extra) {
    // X-Mock-Console marks the console's own polling, so a journal or log can leave it out.
    const sent = { Accept: "application/json", "X-Mock-Console": "1", ...(extra || {}) };
    if (state.key) sent.Authorization = `Bearer ${state.key}`;
    if (state.admin) sent["X-Mock-Admin-Token"] = state.admin;
    return sent;
  }

  async function api(method, path, body) {
    const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    const text = await response.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      /* not JSON: keep the text */
    }
    return { status: response.status, ok: response.ok, data };
  }

  function message(answer) {
    const error = answer.data && answer.data.error;
    if (error && typeof error === "object") return `${answer.status} ${error.code || ""}: ${error.message || ""}`;
    return `${answer.status}: ${typeof answer.data === "string" ? answer.data.slice(0, 200) : "unexpected answer"}`;
  }

  function say(text, kind) {
    notice.textContent = text || "";
    notice.className = `notice ${kind || ""}`;
  }

  function ms(value) {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value === "number") return value > 1e12 ? value : value * 1000;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }

  function when(value) {
    const at = ms(value);
    if (at === null) return "—";
    return new Date(at).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }

  function badge(status) {
    return h("span", { class: `badge status-${status}` }, status);
  }

  function progress(done, total) {
    const pct = total ? Math.round((100 * done) / total) : 0;
    return h("div", { class: "progress", title: `${done} of ${total} contacts done` },
      h("div", { class: "progress-bar", style: `width:${pct}%` }),
      h("span", { class: "progress-text" }, `${done} / ${total}`));
  }

  function counters(batch) {
    const items = [
      ["successful", batch.successful_contacts], ["failed", batch.failed_contacts],
      ["voicemail", batch.voicemail_contacts], ["no answer", batch.no_answer_contacts],
      ["cost", `$${Number(batch.total_cost_usd || 0).toFixed(2)}`],
    ];
    return h("div", { class: "counters" },
      items.map(([name, value]) => h("span", { class: "counter", "data-counter": name }, h("b", {}, value ?? 0), ` ${name}`)));
  }

  function pretty(value) {
    if (value === null || value === undefined || value === "") return "(empty)";
    if (typeof value === "string") {
      try {
        return JSON.stringify(JSON.parse(value), null, 2);
      } catch (error) {
        return value;
      }
    }
    return JSON.stringify(value, null, 2);
  }

  function draw(signature, build) {
    if (signature === state.shown) return;
    state.shown = signature;
    const scrolled = window.scrollY;
    view.replaceChildren(...[build()].flat());
    window.scrollTo(0, scrolled);
  }

  function unavailable(title, text) {
    return h("section", { class: "card empty-state" }, h("h2", {}, title), h("p", {}, text));
  }

  // ---- the clock -----------------------------------------------------------------------------
  function showClock(clock) {
    state.clock = clock;
    document.getElementById("clock-now").textContent = clock ? when(clock.now) : "unavailable";
    document.getElementById("clock-next").textContent = clock
      ? `${clock.mode} clock · next event ${clock.next_event_at ? when(clock.next_event_at).slice(5) : "none due"}`
      : "";
    const manual = clock && clock.mode === "manual";
    for (const button of document.querySelectorAll(".clock button")) {
      button.disabled = !manual || state.advancing;
      button.title = manual ? "" : "start the sandbox with --clock manual to move time by hand";
    }
  }

  async function readClock() {
    const answer = await api("GET", "/_mock/clock");
    showClock(answer.ok ? answer.data : null);
    if (!answer.ok) say(`clock: ${message(answer)}`, "error");
  }

  async function advance(body) {
    const answer = await api("POST", "/_mock/clock/advance", body);
    if (!answer.ok) throw new Error(`advance: ${message(answer)}`);
    showClock(answer.data);
    return answer.data;
  }

  async function withAdvancing(work) {
    if (state.advancing) return;
    state.advancing = true;
    showClock(state.clock);
    try {
      await work();
    } catch (error) {
      say(error.message, "error");
    } finally {
      state.advancing = false;
      showClock(state.clock);
      state.shown = "";
      await refresh();
    }
  }

  // Event by event to `next_event_at` until the batch on screen (or every batch) is done.
  async function advanceToEnd() {
    const batchId = route().batch;
    const started = Date.now();
    let clock = state.clock || (await api("GET", "/_mock/clock")).data;
    let steps = 0;
    for (; steps < END_STEPS && (Date.now() - started) / 1000 < END_SECONDS; steps++) {
      if (!clock || !clock.next_event_at) break;
      if (batchId) {
        const batch = await api("GET", `${API}/batch-calls/${encodeURIComponent(batchId)}`);
        if (!batch.ok || TERMINAL.has(batch.data.data.status)) break;
      }
      const before = clock.next_event_at;
      clock = await advance({ until: before });
      if (clock.next_event_at === before && !clock.events_processed) break; // nothing moves
      if (steps % 10 === 0) say(`advancing… ${when(clock.now)}`);
    }
    say(steps >= END_STEPS ? `stopped after ${END_STEPS} steps` : `advanced to ${when(clock && clock.now)}`);
  }

  // ---- views ---------------------------------------------------------------------------------
  function route() {
    const parts = window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] === "journal") return { tab: "journal" };
    if (parts[0] === "workspaces") return { tab: "workspaces" };
    return { tab: "batches", batch: parts[0] === "batches" ? parts[1] : undefined };
  }

  async function batchesView() {
    const answer = await api("GET", `${API}/batch-calls?limit=100`);
    if (!answer.ok) {
      draw(`batches-error:${answer.status}`, () =>
        unavailable("Batches", answer.status === 401 ? `No workspace has the key “${state.key}”.` : message(answer)));
      return;
    }
    const batches = answer.data.data;
    const total = (answer.data.pagination || {}).total ?? batches.length;
    draw(`batches:${JSON.stringify(batches)}`, () =>
      h("section", { class: "card" },
        h("h2", {}, "Batches ", h("small", {}, `${total} in this workspace${total > batches.length ? `, newest ${batches.length} shown` : ""}`)),
        batches.length
          ? h("table", { class: "batches" },
              h("thead", {}, h("tr", {}, ["Name", "Status", "Progress", "Counters", "Created"].map((t) => h("th", {}, t)))),
              h("tbody", {}, batches.map((b) =>
                h("tr", { "data-batch-id": b.id, class: "clickable", onclick: () => { window.location.hash = `#/batches/${encodeURIComponent(b.id)}`; } },
                  h("td", {}, h("a", { href: `#/batches/${encodeURIComponent(b.id)}` }, b.name), h("div", { class: "muted mono" }, b.id)),
                  h("td", {}, badge(b.status)),
                  h("td", {}, progress(b.completed_contacts, b.total_contacts)),
                  h("td", {}, counters(b)),
                  h("td", { class: "muted" }, when(b.created_at))))))
          : h("p", { class: "muted" }, "No batch calls yet. Create one with POST /api/public/v1/batch-calls.")));
  }

  async function contactsOf(id) {
    const contacts = [];
    let total = 0;
    for (let page = 0; page < CONTACT_PAGES; page++) {
      const answer = await api("GET", `${API}/batch-calls/${encodeURIComponent(id)}/contacts?limit=100&offset=${page * 100}`);
      if (!answer.ok) break;
      contacts.push(...answer.data.data);
      total = answer.data.pagination ? answer.data.pagination.total : contacts.length;
      if (!answer.data.pagination || !answer.data.pagination.has_more) break;
    }
    return { contacts, total };
  }

  async function batchView(id) {
    const path = `${API}/batch-calls/${encodeURIComponent(id)}`;
    const [batchAnswer, contacts, eventsAnswer, deliveriesAnswer] = await Promise.all([
      api("GET", path), contactsOf(id), api("GET", "/_mock/events"), api("GET", "/_mock/webhooks/deliveries"),
    ]);
    if (!batchAnswer.ok) {
      draw(`batch-error:${id}:${batchAnswer.status}`, () => [backLink(), unavailable(id, message(batchAnswer))]);
      return;
    }
    const batch = batchAnswer.data.data;
    const events = eventsAnswer.ok ? eventsAnswer.data.data.filter((e) => e.data && e.data.batch_id === id) : [];
    const deliveries = deliveriesAnswer.ok
      ? deliveriesAnswer.data.data.filter((d) => d.body && d.body.data && d.body.data.batch_id === id)
      : [];
    const calls = events.filter((e) => e.event === "call.ended").map((e) => ({ at: ms(e.timestamp), outcome: e.data.outcome }));
    draw(`batch:${JSON.stringify([batch, contacts, events.length, deliveries])}`, () => [
      backLink(),
      h("section", { class: "card batch-head", "data-batch-id": batch.id },
        h("h2", {}, batch.name, " ", badge(batch.status)),
        h("div", { class: "muted mono" }, batch.id),
        h("div", { class: "batch-summary" }, progress(batch.completed_contacts, batch.total_contacts), counters(batch)),
        h("div", { class: "muted" }, `window ${batch.start_time || "any time"}–${batch.end_time || ""} ${batch.timezone}`,
          ` · ${batch.max_concurrent_calls} line(s) · retries ${batch.retry_failed ? batch.max_retry_attempts : "off"}`)),
      h("section", { class: "card" }, h("h3", {}, "Calls per simulated hour"), CallChart.render(calls), CallChart.legend()),
      h("div", { class: "columns" },
        h("section", { class: "card" },
          h("h3", {}, "Contacts ", h("small", {}, contacts.total > contacts.contacts.length ? `first ${contacts.contacts.length} of ${contacts.total}` : `${contacts.total}`)),
          h("table", { class: "contacts" },
            h("thead", {}, h("tr", {}, ["Contact", "Phone", "Status", "Attempts", "Outcome", "When"].map((t) => h("th", {}, t)))),
            h("tbody", {}, contacts.contacts.map((c) =>
              h("tr", {},
                h("td", {}, [c.first_name, c.last_name].filter(Boolean).join(" ") || c.contact_id, h("div", { class: "muted mono" }, c.contact_id)),
                h("td", { class: "mono" }, c.phone_number),
                h("td", {}, badge(c.call_status)),
                h("td", { class: "num" }, c.attempts),
                h("td", {}, c.outcome ? badge(c.outcome) : "—", c.error_reason ? h("div", { class: "muted" }, c.error_reason) : null),
                h("td", { class: "muted" }, when(c.called_at || c.scheduled_at))))))),
        h("section", { class: "card" },
          h("h3", {}, "Event timeline ", h("small", {}, eventsAnswer.ok ? `${events.length}` : message(eventsAnswer))),
          h("ol", { class: "timeline" }, events.slice().reverse().slice(0, 300).map((e) =>
            h("li", { class: `event event-${e.event.replace(/\./g, "-")}` },
              h("span", { class: "muted mono" }, when(e.timestamp)), " ", h("b", {}, e.event), " ", eventSummary(e)))))),
      h("section", { class: "card" },
        h("h3", {}, "Webhook deliveries ", h("small", {}, deliveriesAnswer.ok ? `${deliveries.length}` : message(deliveriesAnswer))),
        deliveries.length
          ? h("table", { class: "deliveries" },
              h("thead", {}, h("tr", {}, ["Event", "URL", "State", "Attempts"].map((t) => h("th", {}, t)))),
              h("tbody", {}, deliveries.map((d) =>
                h("tr", {},
                  h("td", {}, h("b", {}, d.event), h("div", { class: "muted mono" }, d.event_id)),
                  h("td", { class: "mono" }, d.url),
                  h("td", {}, badge(d.state)),
                  h("td", {}, h("ol", { class: "attempts" }, d.attempts.map((a) =>
                    h("li", { class: a.status_code && a.status_code < 300 ? "ok" : "bad" },
                      `#${a.attempt} ${when(a.at)} → `, a.status_code ? `HTTP ${a.status_code}` : (a.error || "no answer")))))))))
          : h("p", { class: "muted" }, "No webhook deliveries for this batch (set a receiver with PUT /_mock/webhooks)."))]);
  }

  function eventSummary(e) {
    const d = e.data || {};
    if (e.event === "batch.status.changed") return `${d.previous_status} → ${d.status}`;
    if (e.event.startsWith("call.")) {
      return [d.contact_id, d.phone_number, d.attempt ? `attempt ${d.attempt}` : "", d.outcome, d.error_reason, d.duration_seconds !== undefined ? `${d.duration_seconds}s` : ""]
        .filter(Boolean).join(" · ");
    }
    if (e.event === "batch.completed") return `${d.successful_contacts} successful of ${d.total_contacts}`;
    return "";
  }

  function backLink() {
    return h("a", { href: "#/batches", class: "back" }, "← all batches");
  }

  async function journalView() {
    const answer = await api("GET", "/_mock/requests?limit=100");
    if (answer.status === 404 || answer.status === 405) {
      draw("journal-missing", () => unavailable("Request journal",
        "Journal not available: this sandbox has no GET /_mock/requests."));
      return;
    }
    if (!answer.ok) {
      draw(`journal-error:${answer.status}`, () => unavailable("Request journal", message(answer)));
      return;
    }
    const all = answer.data.data || [];
    const entries = all.filter((entry) => !fromConsole(entry));
    const hidden = all.length - entries.length;
    draw(`journal:${JSON.stringify(entries)}:${[...state.open].join(",")}`, () =>
      h("section", { class: "card" },
        h("h2", {}, "Request journal ", h("small", {},
          `${answer.data.total ?? entries.length} kept${answer.data.dropped ? `, ${answer.data.dropped} dropped` : ""}, newest first`
          + (hidden ? `; ${hidden} of this console's own requests not shown` : ""))),
        h("table", { class: "journal" },
          h("thead", {}, h("tr", {}, ["Received", "Simulated", "Request", "Operation", "Status", "ms", "Notes"].map((t) => h("th", {}, t)))),
          h("tbody", {}, entries.map((entry) => journalRows(entry))))));
  }

  function fromConsole(entry) {
    const sent = entry.request_headers || {};
    const pairs = Array.isArray(sent) ? sent : Object.entries(sent);
    return pairs.some(([name]) => String(name).toLowerCase() === "x-mock-console");
  }

  function journalRows(entry) {
    const failed = (entry.validation_errors || []).length > 0;
    const cls = ["journal-entry", "clickable", entry.status >= 500 ? "status-5xx" : entry.status >= 400 ? "status-4xx" : "",
      failed ? "invalid" : "", state.open.has(entry.request_id) ? "open" : ""].filter(Boolean).join(" ");
    const notes = [failed ? `${entry.validation_errors.length} validation error(s)` : "",
      entry.idempotent_replay ? "idempotent replay" : "", entry.fault ? "fault" : "", entry.truncated ? "truncated" : ""].filter(Boolean);
    const toggle = () => {
      if (state.open.has(entry.request_id)) state.open.delete(entry.request_id);
      else state.open.add(entry.request_id);
      state.shown = "";
      refresh();
    };
    const rows = [h("tr", { class: cls, "data-request-id": entry.request_id, onclick: toggle },
      h("td", { class: "muted" }, when(entry.received_at)),
      h("td", { class: "muted" }, when(entry.simulated_at)),
      h("td", { class: "mono" }, h("b", {}, entry.method), " ", entry.path, queryText(entry.query)),
      h("td", { class: "mono" }, entry.operation_id || "—"),
      h("td", {}, h("span", { class: "code" }, entry.status)),
      h("td", { class: "num" }, entry.duration_ms !== undefined ? Number(entry.duration_ms).toFixed(1) : ""),
      h("td", {}, notes.join(" · ")))];
    if (state.open.has(entry.request_id)) {
      rows.push(h("tr", { class: "journal-detail" }, h("td", { colspan: 7 },
        failed ? h("div", { class: "validation" }, h("h4", {}, "Validation errors"),
          h("ul", {}, entry.validation_errors.map((v) => h("li", {}, violation(v))))) : null,
        entry.fault ? h("div", {}, h("h4", {}, "Fault"), h("pre", {}, pretty(entry.fault))) : null,
        h("div", { class: "bodies" },
          h("div", {}, h("h4", {}, `Request · ${entry.request_id}`), h("pre", { class: "headers" }, pretty(entry.request_headers)),
            h("pre", { class: "request-body" }, pretty(entry.request_body))),
          h("div", {}, h("h4", {}, `Response · ${entry.status}`), h("pre", { class: "headers" }, pretty(entry.response_headers)),
            h("pre", { class: "response-body" }, pretty(entry.response_body)))))));
    }
    return rows;
  }

  function violation(v) {
    // {loc: ["body", "name"], msg} as the 422s list them; anything else as JSON.
    if (v && Array.isArray(v.loc)) return [h("code", {}, v.loc.join(".")), ` ${v.msg || v.message || ""}`];
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function queryText(query) {
    // The query as sent: a string, or an object of name → value(s).
    if (!query) return "";
    if (typeof query === "string") return query.startsWith("?") ? query : `?${query}`;
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      for (const one of Array.isArray(value) ? value : [value]) params.append(name, one);
    }
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  async function workspacesView() {
    const parts = [];
    const listed = state.admin ? await api("GET", "/_mock/workspaces") : null;
    const signature = `workspaces:${state.admin ? 1 : 0}:${listed ? JSON.stringify([listed.status, listed.data]) : ""}`;
    draw(signature, () => {
      parts.push(h("section", { class: "card" }, h("h2", {}, "This workspace"),
        h("p", {}, "Key ", h("code", {}, state.key || "(none)"), ". Every request of this console sends it as ",
          h("code", {}, "Authorization: Bearer …"), state.admin ? " with the admin token." : "."),
        h("button", { type: "button", id: "new-workspace", onclick: newWorkspace }, "New workspace")));
      if (!state.admin) {
        parts.push(unavailable("All workspaces", "Enter the admin token above to list every workspace."));
      } else if (listed.status === 404 || listed.status === 405) {
        parts.push(unavailable("All workspaces", "Listing workspaces is not available in this sandbox (no GET /_mock/workspaces)."));
      } else if (!listed.ok) {
        parts.push(unavailable("All workspaces", message(listed)));
      } else {
        const found = Array.isArray(listed.data) ? listed.data : listed.data.data || [];
        parts.push(h("section", { class: "card" }, h("h2", {}, "All workspaces"),
          h("table", { class: "workspaces" },
            h("thead", {}, h("tr", {}, ["Workspace", "Key", ""].map((t) => h("th", {}, t)))),
            h("tbody", {}, found.map((w) => h("tr", {},
              h("td", { class: "mono" }, w.workspace_id || w.id),
              h("td", { class: "mono" }, w.api_key || "—"),
              h("td", {}, w.api_key ? h("button", { type: "button", onclick: () => useKey(w.api_key) }, "Open") : null)))))));
      }
      return parts;
    });
  }

  async function newWorkspace() {
    const answer = await api("POST", "/_mock/workspaces");
    if (!answer.ok) return say(`new workspace: ${message(answer)}`, "error");
    useKey(answer.data.api_key);
    say(`new workspace ${answer.data.workspace_id}: key ${answer.data.api_key}`);
  }

  function useKey(key) {
    state.key = key;
    localStorage.setItem("batchcalls.key", key);
    document.getElementById("key").value = key;
    window.location.hash = "#/batches";
    state.shown = "";
    refresh();
  }

  // ---- polling -------------------------------------------------------------------------------
  async function refresh() {
    if (state.polling) return;
    state.polling = true;
    const current = route();
    for (const tab of document.querySelectorAll(".tabs a[data-tab]")) {
      tab.classList.toggle("active", tab.dataset.tab === current.tab);
    }
    try {
      const views = { batches: () => (current.batch ? batchView(current.batch) : batchesView()), journal: journalView, workspaces: workspacesView };
      await Promise.all([state.advancing ? null : readClock(), views[current.tab]()]);
      document.getElementById("live").classList.remove("down");
    } catch (error) {
      document.getElementById("live").classList.add("down");
      say(`cannot reach the sandbox: ${error.message}`, "error");
    } finally {
      state.polling = false;
    }
  }

  document.getElementById("key").value = state.key;
  document.getElementById("admin-token").value = state.admin;
  document.getElementById("credentials").addEventListener("submit", (event) => {
    event.preventDefault();
    state.admin = document.getElementById("admin-token").value.trim();
    sessionStorage.setItem("batchcalls.admin", state.admin);
    say("");
    useKey(document.getElementById("key").value.trim());
  });
  for (const button of document.querySelectorAll(".clock .advance")) {
    button.addEventListener("click", () => withAdvancing(async () => {
      const clock = await advance({ seconds: Number(button.dataset.seconds) });
      say(`advanced to ${when(clock.now)}: ${clock.events_processed} event(s) run`);
    }));
  }
  document.getElementById("advance-end").addEventListener("click", () => withAdvancing(advanceToEnd));
  window.addEventListener("hashchange", () => { state.shown = ""; say(""); refresh(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
  refresh();
})();
