import { describe, expect, it } from 'vitest';
import { nextLookIn } from '../../../lambda/erasure/confirmation-schedule.ts';
import { readJob } from '../../../lambda/erasure/jobs.ts';
import { thrown } from '../../support/thrown.ts';

const subject = { userId: 'alice', scope: 'user', tenantId: 't1', values: { userId: 'alice', 'user.email': 'a@example.com' } };

describe('a job message', () => {
  it('is read when every field is well formed', () => {
    const job = { kind: 'confirm', subject, cycle: 2, attempt: 3, hop: 4, firstQueuedAt: 1_000 };
    expect(readJob(JSON.stringify(job))).toEqual(job);
    expect(readJob('{"kind":"sweep"}')).toEqual({ kind: 'sweep' });
  });

  it.each([
    ['not json', '[invalidJSON]'],
    ['{"kind":"delete"}', '[invalid]kind'],
    [JSON.stringify({ kind: 'erase', subject: { ...subject, scope: 'all' }, cycle: 1, hop: 0, firstQueuedAt: 0 }), '[invalid]subject.scope'],
    [JSON.stringify({ kind: 'erase', subject: { ...subject, userId: '' }, cycle: 1, hop: 0, firstQueuedAt: 0 }), '[invalid]subject.userId'],
    [JSON.stringify({ kind: 'erase', subject: { ...subject, values: { userId: 'bob' } }, cycle: 1, hop: 0, firstQueuedAt: 0 }), '[invalid]subject.values'],
    [JSON.stringify({ kind: 'erase', subject, cycle: 0, hop: 0, firstQueuedAt: 0 }), '[invalid]cycle'],
    [JSON.stringify({ kind: 'erase', subject, cycle: 1, hop: -1, firstQueuedAt: 0 }), '[invalid]hop'],
  ])('%s is refused with %s', (body, code) => {
    expect(thrown(() => readJob(body))).toMatchObject({ code });
  });
});

describe('the looks at FusionAuth', () => {
  it('double their wait each time, up to SQS\'s longest delay, and never past the window', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((attempt) => nextLookIn(10, attempt, 3600))).toEqual([10, 20, 40, 80, 160, 320, 640, 900]);
    expect(nextLookIn(10, 3, 25.2)).toBe(26);
    expect(nextLookIn(10, 3, 0)).toBe(0);
    expect(nextLookIn(0, 0, 100)).toBe(1);
  });
});
