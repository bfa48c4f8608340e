// The batch calls of the workspace, and one batch's page: its chart, contacts, events, webhooks.
import { message } from "./api.js";
import { chart, legend } from "./chart.js";
import { badge, counters, h, ms, progress, unavailable, when } from "./dom.js";

export const API = "/api/public/v1";
const CONTACT_PAGES = 20; // 100 contacts a page

// ctx: {api, draw(signature, build), key()}
export async function batchesView(ctx) {
  const answer = await ctx.api("GET", `${API}/batch-calls?limit=100`);
  if (!answer.ok) {
    ctx.draw(`batches-error:${answer.status}`, () =>
      unavailable("Batches", answer.status === 401 ? `No workspace has the key “${ctx.key()}”.` : message(answer)));
    return;
  }
  const batches = answer.data.data;
  const total = (answer.data.pagination || {}).total ?? batches.length;
  ctx.draw(`batches:${JSON.stringify(batches)}`, () =>
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

async function contactsOf(ctx, id) {
  const contacts = [];
  let total = 0;
  for (let page = 0; page < CONTACT_PAGES; page++) {
    const answer = await ctx.api("GET", `${API}/batch-calls/${encodeURIComponent(id)}/contacts?limit=100&offset=${page * 100}`);
    if (!answer.ok) break;
    contacts.push(...answer.data.data);
    total = answer.data.pagination ? answer.data.pagination.total : contacts.length;
    if (!answer.data.pagination || !answer.data.pagination.has_more) break;
  }
  return { contacts, total };
}

export async function batchView(ctx, id) {
  const path = `${API}/batch-calls/${encodeURIComponent(id)}`;
  const [batchAnswer, contacts, eventsAnswer, deliveriesAnswer] = await Promise.all([
    ctx.api("GET", path), contactsOf(ctx, id), ctx.api("GET", "/_mock/events"), ctx.api("GET", "/_mock/webhooks/deliveries"),
  ]);
  if (!batchAnswer.ok) {
    ctx.draw(`batch-error:${id}:${batchAnswer.status}`, () => [backLink(), unavailable(id, message(batchAnswer))]);
    return;
  }
  const batch = batchAnswer.data.data;
  const events = eventsAnswer.ok ? eventsAnswer.data.data.filter((e) => e.data && e.data.batch_id === id) : [];
  const deliveries = deliveriesAnswer.ok
    ? deliveriesAnswer.data.data.filter((d) => d.body && d.body.data && d.body.data.batch_id === id)
    : [];
  const calls = events.filter((e) => e.event === "call.ended").map((e) => ({ at: ms(e.timestamp), outcome: e.data.outcome }));
  ctx.draw(`batch:${JSON.stringify([batch, contacts, events.length, deliveries])}`, () => [
    backLink(),
    h("section", { class: "card batch-head", "data-batch-id": batch.id },
      h("h2", {}, batch.name, " ", badge(batch.status)),
      h("div", { class: "muted mono" }, batch.id),
      h("div", { class: "batch-summary" }, progress(batch.completed_contacts, batch.total_contacts), counters(batch)),
      h("div", { class: "muted" }, `window ${batch.start_time || "any time"}–${batch.end_time || ""} ${batch.timezone}`,
        ` · ${batch.max_concurrent_calls} line(s) · retries ${batch.retry_failed ? batch.max_retry_attempts : "off"}`)),
    h("section", { class: "card" }, h("h3", {}, "Calls per simulated hour"), chart(calls), legend()),
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

