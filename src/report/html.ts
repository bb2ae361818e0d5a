/**
 * html.ts - the report as one self-contained HTML page: inline CSS, the
 * chart as inline SVG (geometry from d3-scale and d3-shape, computed here),
 * no script, no fonts, no requests.  A Content-Security-Policy of
 * default-src 'none' makes the "no network" promise checkable: a browser
 * refuses anything the page would try to load.
 *
 * Every string that came from events (workload, exe, call site, syscall
 * names) is written by a hostile workload and goes through esc().
 *
 * The chart's rects carry data-syscall / data-start / data-count, and a
 * <details> table under it lists the same numbers: the browser test reads
 * both, and a reader who cannot see colours has the table.
 */
import { scaleLinear, scaleUtc } from 'd3-scale';
import { stack, stackOrderNone, stackOffsetNone } from 'd3-shape';
import type { ModelRow, ReportModel, Timeline } from './model.js';
import type { SuggestedChange } from './suggest.js';

export interface HtmlOptions {
  /** Workload rows shown at most (default 200; the rest summed in a note). */
  maxRows?: number;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ESC[c]!);
const num = (n: number): string => n.toLocaleString('en-US');

// Tableau 10: distinguishable, colour-blind aware; grey is kept for "other".
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const OTHER = '#bab0ac';

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${ms / 1000} s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  if (ms < 86_400_000) return `${ms / 3_600_000} h`;
  return `${ms / 86_400_000} d`;
}

/** "2026-12-02 08:26:40.123" (UTC), the precision the bucket needs. */
function stamp(ms: number, bucketMs = 1000): string {
  const s = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  return bucketMs < 1000 ? s : s.slice(0, 19);
}

/** Axis labels in UTC at the precision the time range needs. */
function tickFormat(bucketMs: number, spanMs: number): (d: Date) => string {
  return (d) => {
    const s = d.toISOString();
    if (spanMs > 2 * 86_400_000) return `${s.slice(5, 10)} ${s.slice(11, 16)}`;
    if (bucketMs >= 60_000) return s.slice(11, 16);
    if (bucketMs >= 1000) return s.slice(11, 19);
    return s.slice(11, 23);
  };
}

function chart(t: Timeline): string {
  if (t.buckets === 0 || t.series.length === 0) return '<p class="empty">No events with a time: nothing to draw.</p>';
  const W = 960;
  const H = 300;
  const m = { top: 12, right: 30, bottom: 36, left: 56 };
  const iw = W - m.left - m.right;
  const ih = H - m.top - m.bottom;
  const keys = t.series.map((_, i) => i);
  const rows = Array.from({ length: t.buckets }, (_, b) => t.series.map((s) => s.counts[b]!));
  const stacked = stack<number[], number>()
    .keys(keys)
    .value((d, k) => d[k]!)
    .order(stackOrderNone)
    .offset(stackOffsetNone)(rows);
  const max = Math.max(1, ...rows.map((r) => r.reduce((a, b) => a + b, 0)));
  // nice(5): the top of the axis is a labelled tick, so no bar rises above the last label.
  const y = scaleLinear().domain([0, max]).nice(5).range([ih, 0]);
  const x = scaleUtc()
    .domain([new Date(t.startMs), new Date(t.startMs + t.buckets * t.bucketMs)])
    .range([0, iw]);
  const bw = iw / t.buckets;
  const gap = bw > 6 ? 1 : 0;
  const color = (i: number) => (t.series[i]!.syscall === 'other' && i === t.series.length - 1 ? OTHER : PALETTE[i % PALETTE.length]!);
  const out: string[] = [];
  out.push(
    `<svg id="timeline-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" ` +
      `aria-label="Violations per ${esc(duration(t.bucketMs))}, stacked by syscall">`,
  );
  out.push(`<g transform="translate(${m.left},${m.top})">`);
  // Grid and y axis.
  for (const v of y.ticks(5)) {
    const yy = y(v).toFixed(1);
    out.push(`<line class="grid" x1="0" x2="${iw}" y1="${yy}" y2="${yy}"/><text class="tick" x="-8" y="${yy}" dy="0.32em" text-anchor="end">${num(v)}</text>`);
  }
  // Bars: one rect per (bucket, series) with a count.
  stacked.forEach((layer, si) => {
    const s = t.series[si]!;
    out.push(`<g class="series" data-syscall="${esc(s.syscall)}" fill="${color(si)}">`);
    layer.forEach(([y0, y1], b) => {
      const n = y1 - y0;
      if (n <= 0) return;
      const start = t.startMs + b * t.bucketMs;
      const h = Math.max(0.5, y(y0) - y(y1));
      out.push(
        `<rect class="bar" data-syscall="${esc(s.syscall)}" data-bucket="${b}" data-start="${new Date(start).toISOString()}" data-count="${n}" ` +
          `x="${(b * bw + gap / 2).toFixed(2)}" y="${y(y1).toFixed(2)}" width="${Math.max(0.5, bw - gap).toFixed(2)}" height="${h.toFixed(2)}">` +
          `<title>${esc(s.syscall)}: ${num(n)} at ${esc(stamp(start, t.bucketMs))} UTC (+${esc(duration(t.bucketMs))})</title></rect>`,
      );
    });
    out.push('</g>');
  });
  // x axis.
  out.push(`<line class="axis" x1="0" x2="${iw}" y1="${ih}" y2="${ih}"/>`);
  const fmt = tickFormat(t.bucketMs, t.buckets * t.bucketMs);
  for (const d of x.ticks(6)) {
    const xx = x(d).toFixed(1);
    out.push(`<line class="axis" x1="${xx}" x2="${xx}" y1="${ih}" y2="${ih + 5}"/><text class="tick" x="${xx}" y="${ih + 18}" text-anchor="middle">${esc(fmt(d))}</text>`);
  }
  out.push(`<text class="axis-label" x="${-ih / 2}" y="-42" transform="rotate(-90)" text-anchor="middle">violations per ${esc(duration(t.bucketMs))}</text>`);
  out.push('</g></svg>');
  // Legend (HTML, so long names wrap) with each series' total.
  out.push('<ul class="legend" id="timeline-legend">');
  t.series.forEach((s, i) => {
    out.push(`<li data-syscall="${esc(s.syscall)}" data-total="${s.total}"><span class="swatch" style="background:${color(i)}"></span>${esc(s.syscall)} <span class="n">${num(s.total)}</span></li>`);
  });
  out.push('</ul>');
  // The same numbers as a table.
  const nonEmpty = rows.map((r, b) => [b, r] as const).filter(([, r]) => r.some((n) => n > 0));
  out.push(`<details><summary>Chart data (${num(nonEmpty.length)} non-empty buckets of ${esc(duration(t.bucketMs))}, UTC)</summary>`);
  out.push(`<table class="data" id="timeline-data"><thead><tr><th>bucket start</th>${t.series.map((s) => `<th class="num">${esc(s.syscall)}</th>`).join('')}</tr></thead><tbody>`);
  for (const [b, r] of nonEmpty) {
    out.push(`<tr><td>${esc(stamp(t.startMs + b * t.bucketMs, t.bucketMs))}</td>${r.map((n) => `<td class="num">${n ? num(n) : ''}</td>`).join('')}</tr>`);
  }
  out.push('</tbody></table></details>');
  return out.join('\n');
}

/** A time to the second; the exact ISO time in the tooltip. */
function timeCell(isoTime: string): string {
  return `<td class="time" title="${esc(isoTime)}">${esc(isoTime.replace('T', ' ').slice(0, 19))}</td>`;
}

function outcomeCell(r: ModelRow): string {
  return `<span class="pill ${esc(r.outcome)}">${esc(r.outcome)}</span>`;
}

function workloadTable(rows: ModelRow[], max: number): string {
  if (rows.length === 0) return '<p class="empty">No violations.</p>';
  const shown = rows.slice(0, max);
  const out: string[] = [];
  out.push(
    '<table id="workload-table"><thead><tr><th>workload</th><th>syscall</th><th class="num">count</th><th>action</th><th>outcome</th>' +
      '<th class="num">processes</th><th class="num">hosts</th><th>first seen (UTC)</th><th>last seen (UTC)</th></tr></thead><tbody>',
  );
  let i = 0;
  while (i < shown.length) {
    const w = shown[i]!.workload;
    let j = i;
    while (j < shown.length && shown[j]!.workload === w) j++;
    for (let k = i; k < j; k++) {
      const r = shown[k]!;
      out.push(
        `<tr data-workload="${esc(r.workload)}" data-syscall="${esc(r.syscall)}" data-count="${r.count}">` +
          (k === i ? `<th scope="rowgroup" rowspan="${j - i}" class="workload">${esc(w)}</th>` : '') +
          `<td class="syscall">${esc(r.syscall)}</td><td class="num count">${num(r.count)}</td><td class="action">${esc(r.actionText)}</td>` +
          `<td class="outcome">${outcomeCell(r)}</td><td class="num">${r.processes ? num(r.processes) : '–'}</td><td class="num">${num(r.hosts)}</td>` +
          `${timeCell(r.firstSeen)}${timeCell(r.lastSeen)}</tr>`,
      );
    }
    i = j;
  }
  out.push('</tbody></table>');
  if (rows.length > max) {
    const rest = rows.slice(max).reduce((n, r) => n + r.count, 0);
    out.push(`<p class="note">${num(rows.length - max)} more rows (${num(rest)} violations) not shown; the totals above include them.</p>`);
  }
  return out.join('\n');
}

function callSiteTable(m: ReportModel): string {
  if (m.callSites.length === 0) return '<p class="empty">No call sites in this input.</p>';
  const out = ['<table id="callsite-table"><thead><tr><th>call site</th><th>syscall</th><th>executable</th><th class="num">workloads</th><th class="num">count</th></tr></thead><tbody>'];
  for (const c of m.callSites) {
    out.push(
      `<tr data-callsite="${esc(c.callSite)}" data-count="${c.count}"><td class="mono">${esc(c.callSite)}</td><td>${esc(c.syscall)}</td>` +
        `<td class="mono">${esc(c.exe)}</td><td class="num">${num(c.workloads)}</td><td class="num">${num(c.count)}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

function diffBlock(s: SuggestedChange | string | undefined): string {
  if (s === undefined) return '<p class="empty">No profile given: run with --profile P.json to see the change as a diff.</p>';
  if (typeof s === 'string') return `<p class="empty">${esc(s)}</p>`;
  const notes: string[] = [];
  if (s.unnamed.length) notes.push(`<p class="note">Denied calls known only by number (no name for a profile rule): ${esc(s.unnamed.join(', '))}.</p>`);
  if (!s.diff) return `<p class="empty">Nothing was denied: ${esc(s.profile)} needs no change.</p>${notes.join('')}`;
  const lines = s.diff
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => {
      const cls = l.startsWith('+++') || l.startsWith('---') ? 'hdr' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx';
      return `<span class="${cls}">${esc(l)}</span>`;
    });
  return (
    `<p>Allowing <strong>${esc(s.allow.join(', '))}</strong> in <code>${esc(s.profile)}</code> removes the denials above. ` +
    'Check that each call is really needed first: a denial is often the profile doing its job.</p>' +
    `<pre class="diff" id="profile-diff">${lines.join('')}</pre>${notes.join('')}`
  );
}

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);margin:0}.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.verdict{margin:18px 0 6px;padding:12px 16px;border-radius:6px;border-left:6px solid}
.verdict h2{border:0;margin:0 0 4px;padding:0;font-size:17px}.verdict p{margin:2px 0}
.verdict.pass{background:#dafbe1;border-color:var(--pass)}.verdict.pass h2{color:var(--pass)}
.verdict.warn{background:#fff8c5;border-color:#d4a72c}.verdict.warn h2{color:var(--warn)}
.verdict.fail{background:#ffebe9;border-color:var(--fail)}.verdict.fail h2{color:var(--fail)}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 0;padding:0;list-style:none}
.tiles li{flex:1 1 120px;border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:var(--soft)}
.tiles .v{display:block;font-size:20px;font-weight:600}.tiles .k{color:var(--muted);font-size:12px}
svg{max-width:100%;height:auto;display:block}svg text{font-size:11px;fill:var(--muted)}svg .axis-label{font-size:12px}
svg .grid{stroke:#eaeef2}svg .axis{stroke:#8c959f}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;list-style:none;padding:0;margin:6px 0 8px 56px}
.legend .swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}.legend .n{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--soft);font-weight:600;font-size:12.5px;white-space:nowrap}th.workload{font-weight:600;min-width:11em;max-width:22em;overflow-wrap:anywhere;background:#fbfcfd}
.num{text-align:right;font-variant-numeric:tabular-nums}td.time{white-space:nowrap;color:var(--muted);font-size:12.5px}
.pill{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;background:var(--soft);border:1px solid var(--line)}
.pill.denied{background:#ffebe9;border-color:#ffcecb;color:#a40e26}.pill.killed{background:#cf222e;border-color:#cf222e;color:#fff}
.pill.allowed{background:#fff8c5;border-color:#eed888;color:#7d4e00}
details{margin:6px 0}summary{cursor:pointer;color:var(--muted)}table.data td,table.data th{padding:2px 6px;font-size:12px}
pre.diff{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;line-height:1.35}
pre.diff span{display:block}.diff .add{background:#dafbe1;color:#116329}.diff .del{background:#ffebe9;color:#82071e}.diff .hunk{color:#0550ae}.diff .hdr{font-weight:600}
.empty,.note{color:var(--muted)}footer{margin-top:32px;color:var(--muted);font-size:12px}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dl.run dt{color:var(--muted)}dl.run dd{margin:0}
`;

/** The whole page. */
export function renderHtml(m: ReportModel, suggestion: SuggestedChange | string | undefined, opts: HtmlOptions = {}): string {
  const maxRows = opts.maxRows ?? 200;
  const range = m.firstSeen ? `${stamp(Date.parse(m.firstSeen))} – ${stamp(Date.parse(m.lastSeen!))} UTC` : 'no events';
  const tiles: [string, number, string][] = [
    ['violations', m.events, 'events'],
    ['syscalls', m.syscalls, 'syscalls'],
    ['workloads', m.workloads, 'workloads'],
    ['processes', m.processes, 'processes'],
    ['hosts', m.hosts, 'hosts'],
    ['duplicates dropped', m.duplicates, 'duplicates'],
  ];
  const run = m.run
    ? `<dl class="run" id="run-info"><dt>command</dt><dd class="mono">${esc(m.run.command.join(' '))}</dd><dt>profile</dt><dd class="mono">${esc(m.run.profile)}</dd>` +
      `<dt>mode</dt><dd>${esc(m.run.mode)}</dd><dt>exit</dt><dd>${esc(m.run.exit.signal ? `signal ${m.run.exit.signal}` : `code ${m.run.exit.code}`)} (status ${m.run.exit.status})</dd></dl>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="sigsys report">
<title>${esc(m.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(m.title)}</h1>
<p class="meta">Source <span class="mono">${esc(m.source)}</span> · ${esc(range)}${m.modes.length ? ` · mode ${esc(m.modes.join(', '))}` : ''}</p>
${run}
</header>
<section class="verdict ${m.verdict.level}" id="verdict" data-level="${m.verdict.level}">
<h2>${esc(m.verdict.headline)}</h2>
${m.verdict.details.map((d) => `<p>${esc(d)}</p>`).join('\n')}
</section>
<ul class="tiles" id="totals">
${tiles.map(([k, v, id]) => `<li data-key="${id}" data-value="${v}"><span class="v">${id === 'processes' && v === 0 && m.events > 0 ? '–' : num(v)}</span><span class="k">${esc(k)}</span></li>`).join('\n')}
</ul>
<section id="timeline">
<h2>Violations over time, per syscall</h2>
${chart(m.timeline)}
</section>
<section id="workloads">
<h2>Workloads × syscalls</h2>
${workloadTable(m.rows, maxRows)}
</section>
<section id="callsites">
<h2>Top call sites</h2>
${callSiteTable(m)}
</section>
<section id="suggestion">
<h2>Suggested profile change</h2>
${diffBlock(suggestion)}
</section>
<footer>Generated by sigsys at ${esc(m.generatedAt)}. Times are UTC. Events are counted once (duplicates from at-least-once delivery are dropped).</footer>
</main>
</body>
</html>
`;
}
