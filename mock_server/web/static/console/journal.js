// The request journal (GET /_mock/requests): newest first, 4xx/5xx and failed validations
// highlighted, a click opens an entry's bodies. The console's own requests are left out.
import { message } from "./api.js";
import { h, pretty, unavailable, when } from "./dom.js";

// ctx: {api, draw(signature, build), open: the request ids shown opened, redraw()}
export async function journalView(ctx) {
  const answer = await ctx.api("GET", "/_mock/requests?limit=100");
  if (answer.status === 404 || answer.status === 405) {
    ctx.draw("journal-missing", () => unavailable("Request journal",
      "Journal not available: this sandbox has no GET /_mock/requests."));
    return;
  }
  if (!answer.ok) {
    ctx.draw(`journal-error:${answer.status}`, () => unavailable("Request journal", message(answer)));
    return;
  }
  const all = answer.data.data || [];
  const entries = all.filter((entry) => !fromConsole(entry));
  const hidden = all.length - entries.length;
  ctx.draw(`journal:${JSON.stringify(entries)}:${[...ctx.open].join(",")}`, () =>
    h("section", { class: "card" },
      h("h2", {}, "Request journal ", h("small", {},
        `${answer.data.total ?? entries.length} kept${answer.data.dropped ? `, ${answer.data.dropped} dropped` : ""}, newest first`
        + (hidden ? `; ${hidden} of this console's own requests not shown` : ""))),
      h("table", { class: "journal" },
        h("thead", {}, h("tr", {}, ["Received", "Simulated", "Request", "Operation", "Status", "ms", "Notes"].map((t) => h("th", {}, t)))),
        h("tbody", {}, entries.map((entry) => journalRows(entry, ctx))))));
}

function fromConsole(entry) {
  const sent = entry.request_headers || {};
  const pairs = Array.isArray(sent) ? sent : Object.entries(sent);
  return pairs.some(([name]) => String(name).toLowerCase() === "x-mock-console");
}

function journalRows(entry, ctx) {
  const failed = (entry.validation_errors || []).length > 0;
  const cls = ["journal-entry", "clickable", entry.status >= 500 ? "status-5xx" : entry.status >= 400 ? "status-4xx" : "",
    failed ? "invalid" : "", ctx.open.has(entry.request_id) ? "open" : ""].filter(Boolean).join(" ");
  const notes = [failed ? `${entry.validation_errors.length} validation error(s)` : "",
    entry.idempotent_replay ? "idempotent replay" : "", entry.fault ? "fault" : "", entry.truncated ? "truncated" : ""].filter(Boolean);
  const toggle = () => {
    if (ctx.open.has(entry.request_id)) ctx.open.delete(entry.request_id);
    else ctx.open.add(entry.request_id);
    ctx.redraw();
  };
  const rows = [h("tr", { class: cls, "data-request-id": entry.request_id, onclick: toggle },
    h("td", { class: "muted" }, when(entry.received_at)),
    h("td", { class: "muted" }, when(entry.simulated_at)),
    h("td", { class: "mono" }, h("b", {}, entry.method), " ", entry.path, queryText(entry.query)),
    h("td", { class: "mono" }, entry.operation_id || "—"),
    h("td", {}, h("span", { class: "code" }, entry.status)),
    h("td", { class: "num" }, entry.duration_ms !== undefined ? Number(entry.duration_ms).toFixed(1) : ""),
    h("td", {}, notes.join(" · ")))];
  if (ctx.open.has(entry.request_id)) {
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

