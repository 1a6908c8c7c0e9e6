import type { Measure, Row, Target } from './rows.ts';

const grouped = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Three significant figures at most: enough for numbers that move by several percent between runs. */
const sig = (value: number): string => {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return grouped(value, digits);
};

export function formatMeasure(measure: Measure): string {
  if (measure.label) return measure.label;
  const { value, unit } = measure;
  switch (unit) {
    case 'bytes':
      return value >= 1024 * 1024 ? `${sig(value / (1024 * 1024))} MiB` : `${sig(value / 1024)} KiB`;
    case 'requests':
      return grouped(value);
    case 'req/s':
      return `${grouped(value)} req/s`;
    default:
      return `${sig(value)} ${unit}`;
  }
}

export function formatRatio(row: Row): string {
  const ratio = `${row.ratio.toFixed(2)}×`;
  // Against the naive way the gain is what matters: say it as "N× less".
  if (row.target?.kind === 'expected-gain') return `${ratio} (${(1 / row.ratio).toFixed(1)}× ${row.target.what})`;
  return ratio;
}

export function formatTarget(target: Target | undefined): string {
  if (!target) return '—';
  switch (target.kind) {
    case 'max-ratio':
      return `≤ ${target.max}×`;
    case 'baseline-plus-retries':
      return target.retries === 0 ? '= floor (0 retries)' : `≤ floor + ${target.retries} retries`;
    case 'expected-gain':
      return `${target.low}–${target.high}× ${target.what} (expected)`;
  }
}

/** A GitHub-flavoured Markdown table: readable in a terminal, and pasted as is into the README. */
export function markdownTable(rows: readonly Row[]): string {
  const header = ['Benchmark', 'Ours', 'Baseline', 'Ratio', 'Target', 'Result'];
  const lines = rows.map((r) => [
    `${r.section}: ${r.label}`,
    formatMeasure(r.ours),
    `${formatMeasure(r.baseline)} (${r.baselineName})`,
    formatRatio(r),
    formatTarget(r.target),
    r.verdict === 'miss' ? '**miss**' : r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}

/** The rows' notes, numbered as footnotes under the table. */
export function notes(rows: readonly Row[]): string {
  return rows
    .filter((r) => r.note)
    .map((r) => `- ${r.section}: ${r.label}: ${r.note}`)
    .join('\n');
}

/** How to read the table, printed under it. */
export const LEGEND = [
  'Ratio: ours ÷ baseline. Where runs repeat in pairs (cold start, deletion, throughput) it is the median of the',
  'per-pair ratios, which cancels the drift of a shared machine and so can differ from the ratio of the medians shown.',
  'Targets are the issue\'s; "expected" rows restate what the issue expects, not a target.',
].join('\n');
