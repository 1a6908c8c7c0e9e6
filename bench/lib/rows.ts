/**
 * A row of the table: something of ours measured beside a baseline (or a floor) in the same run,
 * their ratio, and the most that ratio may be. Any module returning rows of this shape can be
 * registered in bench/run.ts.
 */
export interface Row {
  /** What was measured, at what scale. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  /** What the baseline is: "DynamoDB-only bundle", "floor", … */
  readonly baselineName?: string;
  /** Defaults to value / baseline. */
  readonly ratio?: number;
  /** The ratio must not exceed it; none: reported only. */
  readonly target?: number;
  /** What qualifies the numbers, or why a target was missed and what would reach it. */
  readonly note?: string;
}

export const ratioOf = (row: Row): number | undefined => row.ratio ?? (row.baseline === undefined ? undefined : row.value / row.baseline);

export function verdict(row: Row): 'met' | 'not met' | '—' {
  const ratio = ratioOf(row);
  if (row.target === undefined || ratio === undefined) return '—';
  return ratio <= row.target ? 'met' : 'not met';
}

/** Three significant figures at most: these numbers move by more than that between runs. */
const sig = (value: number): string => {
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};

/** A GitHub-flavoured Markdown table: readable in a terminal, pasted as is into bench/README.md. */
export function markdownTable(rows: readonly Row[]): string {
  const header = ['Row', 'Ours', 'Baseline', 'Ratio', 'Target', 'Met'];
  const lines = rows.map((row) => {
    const ratio = ratioOf(row);
    return [
      row.name,
      `${sig(row.value)} ${row.unit}`,
      row.baseline === undefined ? '—' : `${sig(row.baseline)} ${row.unit}${row.baselineName ? ` (${row.baselineName})` : ''}`,
      ratio === undefined ? '—' : `${ratio.toFixed(2)}×`,
      row.target === undefined ? '—' : `≤ ${row.target}×`,
      verdict(row) === 'not met' ? '**not met**' : verdict(row),
    ];
  });
  const widths = header.map((title, n) => Math.max(title.length, ...lines.map((line) => line[n]!.length)));
  const render = (cells: readonly string[]) => `| ${cells.map((cell, n) => cell.padEnd(widths[n]!)).join(' | ')} |`;
  return [render(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}

/** The rows' notes, as a list under the table. */
export const notes = (rows: readonly Row[]): string =>
  rows
    .filter((row) => row.note)
    .map((row) => `- ${row.name}: ${row.note}`)
    .join('\n');
