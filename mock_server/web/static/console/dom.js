// Building the page: elements, dates, and the small pieces every view shows.
export function h(tag, props, ...children) {
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

export function ms(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value > 1e12 ? value : value * 1000;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

export function when(value) {
  const at = ms(value);
  if (at === null) return "—";
  return new Date(at).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function badge(status) {
  return h("span", { class: `badge status-${status}` }, status);
}

export function progress(done, total) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  return h("div", { class: "progress", title: `${done} of ${total} contacts done` },
    h("div", { class: "progress-bar", style: `width:${pct}%` }),
    h("span", { class: "progress-text" }, `${done} / ${total}`));
}

export function counters(batch) {
  const items = [
    ["successful", batch.successful_contacts], ["failed", batch.failed_contacts],
    ["voicemail", batch.voicemail_contacts], ["no answer", batch.no_answer_contacts],
    ["cost", `$${Number(batch.total_cost_usd || 0).toFixed(2)}`],
  ];
  return h("div", { class: "counters" },
    items.map(([name, value]) => h("span", { class: "counter", "data-counter": name }, h("b", {}, value ?? 0), ` ${name}`)));
}

export function pretty(value) {
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

export function unavailable(title, text) {
  return h("section", { class: "card empty-state" }, h("h2", {}, title), h("p", {}, text));
}
