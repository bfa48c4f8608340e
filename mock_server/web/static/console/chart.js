// Calls per simulated hour, stacked by outcome: a hand-drawn SVG bar chart (no charting library).
const SVG = "http://www.w3.org/2000/svg";
const HOUR = 3600 * 1000;
const MAX_BARS = 72; // past three days of hours, a bar stands for several hours
export const OUTCOMES = [
  { key: "completed", label: "completed", color: "#2f9e6e" },
  { key: "voicemail", label: "voicemail", color: "#7c5cc4" },
  { key: "no_answer", label: "no answer", color: "#e0a030" },
  { key: "failed", label: "failed", color: "#d64545" },
];

// [{at: ms, outcome}] -> {hours: bucket width in hours, bars: [{start: ms, counts: {outcome: n}}]}
function buckets(calls) {
  if (!calls.length) return { hours: 1, bars: [] };
  const times = calls.map((call) => call.at);
  const first = Math.floor(Math.min(...times) / HOUR) * HOUR;
  const last = Math.floor(Math.max(...times) / HOUR) * HOUR;
  const span = (last - first) / HOUR + 1;
  const hours = Math.max(1, Math.ceil(span / MAX_BARS));
  const bars = [];
  for (let start = first; start <= last; start += hours * HOUR) bars.push({ start, counts: {} });
  for (const call of calls) {
    const bar = bars[Math.floor((call.at - first) / (hours * HOUR))];
    const key = OUTCOMES.some((o) => o.key === call.outcome) ? call.outcome : "failed";
    bar.counts[key] = (bar.counts[key] || 0) + 1;
  }
  return { hours, bars };
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function label(ms, withDay) {
  const d = new Date(ms);
  const hh = String(d.getUTCHours()).padStart(2, "0") + ":00";
  if (!withDay) return hh;
  const day = d.toLocaleDateString("en-GB", { timeZone: "UTC", day: "numeric", month: "short" });
  return `${day} ${hh}`;
}

function niceMax(n) {
  for (const step of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000]) {
    if (n <= step * 4) return step * Math.max(1, Math.ceil(n / step));
  }
  return Math.ceil(n / 10000) * 10000;
}

// An <svg class="chart"> of the buckets; one <rect class="bar"> per outcome segment.
export function chart(calls) {
  const { hours, bars } = buckets(calls);
  const width = 760, height = 220, left = 40, right = 12, top = 12, bottom = 44;
  const svg = el("svg", {
    class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `calls per ${hours === 1 ? "simulated hour" : hours + " simulated hours"}, by outcome`,
  });
  const total = Math.max(0, ...bars.map((b) => Object.values(b.counts).reduce((s, n) => s + n, 0)));
  const max = niceMax(Math.max(total, 1));
  const plotW = width - left - right, plotH = height - top - bottom;
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    svg.append(el("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, String((max * i) / 4)));
  }
  if (!bars.length) {
    svg.append(el("text", { x: left + plotW / 2, y: top + plotH / 2, class: "empty", "text-anchor": "middle" },
      "no calls yet: advance the clock"));
    return svg;
  }
  const slot = plotW / Math.max(bars.length, 8);
  const barW = Math.max(2, slot * 0.72);
  const every = Math.ceil(bars.length / 8);
  bars.forEach((bar, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let y = top + plotH;
    for (const outcome of OUTCOMES) {
      const n = bar.counts[outcome.key] || 0;
      if (!n) continue;
      const h = (plotH * n) / max;
      y -= h;
      const rect = el("rect", { x, y, width: barW, height: h, fill: outcome.color, class: "bar", "data-outcome": outcome.key });
      rect.append(el("title", {}, `${label(bar.start, true)} UTC: ${n} ${outcome.label}`));
      svg.append(rect);
    }
    if (i % every === 0) {
      const newDay = i === 0 || new Date(bar.start).getUTCHours() < hours;
      svg.append(el("text", { x: x + barW / 2, y: height - bottom + 16, class: "axis", "text-anchor": "middle" },
        label(bar.start, newDay)));
    }
  });
  svg.append(el("text", { x: left, y: height - 6, class: "axis caption" },
    `calls per ${hours === 1 ? "hour" : hours + " hours"} (simulated, UTC)`));
  return svg;
}

// The key of the colours, as HTML (text in SVG cannot be measured before it is drawn).
export function legend() {
  const box = document.createElement("div");
  box.className = "legend";
  for (const outcome of OUTCOMES) {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = outcome.color;
    item.append(swatch, outcome.label);
    box.append(item);
  }
  return box;
}
