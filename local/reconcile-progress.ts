import type { ProgressEvent } from '../lambda/reconcile/reconcile-run.ts';

/**
 * How a reconcile shows where it is: a bar redrawn in place on a terminal (items scanned, users
 * checked, erased, rate, time left), plain lines elsewhere (a log, a test), at most one a second
 * and one at the end of each phase. Always on stderr: stdout holds the report.
 */
export class ReconcileProgress {
  readonly #started = performance.now();
  #phaseStarted = performance.now();
  #phase: ProgressEvent['phase'] | undefined;
  #last: ProgressEvent | undefined;
  #printedAt = 0;
  #drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly terminal: boolean = stream.isTTY === true,
  ) {}

  update(event: ProgressEvent): void {
    if (event.phase !== this.#phase) {
      this.end();
      this.#phase = event.phase;
      this.#phaseStarted = performance.now();
    }
    this.#last = event;
    const now = performance.now();
    const first = this.#printedAt === 0 || this.#printedAt < this.#phaseStarted;
    if (!first && now - this.#printedAt < (this.terminal ? 100 : 1_000)) return;
    this.#printedAt = now;
    this.#print(event);
  }

  /** The last state of the phase, on a line of its own. */
  end(): void {
    if (this.#last && (this.#printedAt === 0 || !this.terminal || this.#drawn)) this.#print(this.#last);
    if (this.terminal && this.#drawn) this.stream.write('\n');
    this.#drawn = false;
    this.#last = undefined;
  }

  #print(event: ProgressEvent): void {
    const text = this.#describe(event);
    if (this.terminal) {
      this.stream.write(`\r\x1b[2K${text}`);
      this.#drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  #describe(event: ProgressEvent): string {
    const seconds = Math.max(0.001, (performance.now() - this.#phaseStarted) / 1000);
    const elapsed = `${Math.round((performance.now() - this.#started) / 1000)}s`;
    if (event.phase === 'scan') {
      return `scan: ${n(event.items)} items scanned, ${n(event.checked)} users checked, ${n(event.missing)} missing · ${n(event.items / seconds)} items/s · ${n(event.checked / seconds)} users/s · ${elapsed}`;
    }
    const [done, total, what] = event.phase === 'erase' ? [event.erased, event.total, 'erased'] : [event.resolved, event.total, 'unconfirmed resolved'];
    const rate = done / seconds;
    const left = rate > 0 ? `~${Math.ceil((total - done) / rate)}s left` : '';
    const extra = event.phase === 'erase' ? `, ${n(event.todosDeleted)} Todos deleted` : '';
    return `${event.phase}: ${bar(done, total)} ${n(done)}/${n(total)} ${what}${extra} · ${rate.toFixed(1)}/s ${left} · ${elapsed}`.trimEnd();
  }
}

const n = (value: number): string => Math.round(value).toLocaleString('en-US');

function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
