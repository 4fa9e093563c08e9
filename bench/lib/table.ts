/**
 * @file The suite's Markdown report: a header naming the machine and its load, one table row per
 * suite row and thread count, and a legend. Ratios are kiln's median latency over the peer's:
 * below 1, kiln is faster.
 */

import type { RowResult } from './measure.js';

export interface RunInfo {
  readonly target: string;
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  /** 1-minute load averages when the suite started and ended */
  readonly loadStart: number;
  readonly loadEnd: number;
  readonly repeat: number;
  /** outputs written into tensors allocated once (--fetches) */
  readonly fetches?: boolean;
}

/** A latency or compile time in ms: three significant digits or whole ms. */
export function formatMs(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x >= 100) return x.toFixed(0);
  return x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function formatRatio(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(2);
}

/** Text for a table cell: one line, no column separators. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

function maxRel(r: RowResult): string {
  const rels = (r.outputs ?? []).map((o) => o.max_rel);
  if (rels.length === 0) return '—';
  if (rels.some((x) => x === null)) return 'incomparable';
  return Math.max(...rels.map(Number)).toExponential(1);
}

function status(r: RowResult): string {
  if (r.error !== undefined) return cell(`error: ${r.error}`);
  const web = r.web_error === undefined ? '' : cell(`; onnxruntime-web failed: ${r.web_error}`);
  return `${r.ok ? 'ok' : 'FAIL: outputs differ'}${web}`;
}

const HEADER = [
  '| row | threads | kiln ms | ort-node ms | kiln/node | ort-web ms | kiln/web | max rel err | compile cold ms | compile cached ms | status |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
];

export function tableRow(r: RowResult): string {
  const cells = [
    r.row,
    String(r.threads),
    formatMs(r.kiln_ms),
    formatMs(r.peer_ms),
    formatRatio(r.ratio),
    formatMs(r.peer_web_ms),
    formatRatio(r.ratio_web),
    maxRel(r),
    formatMs(r.compile_cold_ms),
    formatMs(r.compile_cached_ms),
    status(r),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The whole report; `legend` maps row names to what they run. */
export function markdownReport(info: RunInfo, results: readonly RowResult[], legend: ReadonlyMap<string, string>): string {
  const lines = [
    `# kiln benchmark suite, target ${info.target}`,
    '',
    `${info.date}, ${info.cpu} (${info.cores} cores), load average ${info.loadStart.toFixed(2)} at start and ${info.loadEnd.toFixed(2)} at end.`,
    `Medians of up to ${info.repeat} timed runs per side (fewer for slow rows), alternating blocks of runs.`,
    ...(info.fetches ? ['Every side writes its outputs into tensors allocated once (`run(feeds, fetches)`), not into new arrays each run.'] : []),
    'kiln/node and kiln/web: kiln latency over the peer latency (below 1: kiln is faster).',
    'max rel err: kiln against onnxruntime-node, largest over outputs of max|kiln − ort| / max|ort|; a row fails beyond 1e-4·max|ort| + 1e-5.',
    '',
    ...HEADER,
    ...results.map(tableRow),
    '',
    ...[...new Set(results.map((r) => r.row))].map((name) => `- ${name}: ${legend.get(name) ?? ''}`),
  ];
  return `${lines.join('\n')}\n`;
}
