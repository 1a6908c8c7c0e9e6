import { describe, expect, it } from 'vitest';
import { ReconcileProgress } from '../../local/reconcile-progress.ts';

const stream = () => {
  const written: string[] = [];
  return { written, stream: { write: (text: string) => written.push(text) > 0, isTTY: false } as unknown as NodeJS.WriteStream };
};

describe('reconcile progress', () => {
  it('redraws one line in place on a terminal, ending each phase with a newline', () => {
    const { written, stream: out } = stream();
    const progress = new ReconcileProgress(out, true);
    progress.update({ phase: 'scan', items: 1_000, checked: 50, missing: 3 });
    progress.update({ phase: 'erase', erased: 1, total: 3, todosDeleted: 20 });
    progress.end();
    const text = written.join('');
    expect(text).toMatch(/^\r\x1b\[2Kscan: 1,000 items scanned, 50 users checked, 3 missing · [\d,]+ items\/s · [\d,]+ users\/s · \d+s/);
    expect(text).toContain('\n\r\x1b[2Kerase: [#######.............] 1/3 erased, 20 Todos deleted · ');
    expect(text).toMatch(/left · \d+s(\r\x1b\[2K.*)?\n$/);
  });

  it('writes plain lines elsewhere: the first of each phase, then at most one a second, and the last', () => {
    const { written, stream: out } = stream();
    const progress = new ReconcileProgress(out, false);
    for (let erased = 1; erased <= 100; erased += 1) progress.update({ phase: 'erase', erased, total: 100, todosDeleted: erased * 20 });
    progress.end();
    expect(written.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(written[0]).toMatch(/^erase: \[\.{20}\] 1\/100 erased, 20 Todos deleted/);
    expect(written.at(-1)).toMatch(/^erase: \[#{20}\] 100\/100 erased, 2,000 Todos deleted/);
    expect(written.length).toBeLessThan(10);
  });
});
