// The sandbox console: reads the public API and the control API with the workspace's credentials,
// and re-reads them every 1.5 s while the tab is visible. Everything shown comes over HTTP.
// Modules: api (requests), dom (elements), chart (SVG), batches and journal (the views).
import { client, message } from "./api.js";
import { API, batchView, batchesView } from "./batches.js";
import { h, unavailable, when } from "./dom.js";
import { journalView } from "./journal.js";

const POLL_MS = 1500;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const END_STEPS = 2000; // "to the end" advances event by event; bounded in steps and time
const END_SECONDS = 60;

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
const api = client(() => ({ key: state.key, admin: state.admin }));
// What the views of batches.js and journal.js are handed.
const context = {
  api,
  draw,
  key: () => state.key,
  open: state.open,
  redraw: () => {
    state.shown = "";
    refresh();
  },
};

function say(text, kind) {
  notice.textContent = text || "";
  notice.className = `notice ${kind || ""}`;
}

function draw(signature, build) {
  if (signature === state.shown) return;
  state.shown = signature;
  const scrolled = window.scrollY;
  view.replaceChildren(...[build()].flat());
  window.scrollTo(0, scrolled);
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
    const views = {
      batches: () => (current.batch ? batchView(context, current.batch) : batchesView(context)),
      journal: () => journalView(context),
      workspaces: workspacesView,
    };
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
