import { describe, expect, it } from 'vitest';
import { readJob } from '../../../lambda/erasure/jobs.ts';
import { decodeKey, encodeKey } from '../../../lambda/reconcile/key-scan.ts';

const RUN = '0b7c0003-1d2e-4f30-8a4b-000000000003';

describe('reconcile jobs on the queue', () => {
  it.each([
    { kind: 'reconcile-start' },
    { kind: 'reconcile-page', runId: RUN, target: 1, segment: 3, page: 0 },
    { kind: 'reconcile-page', runId: RUN, target: 0, segment: 0, page: 7, startKey: '{"PK":{"S":"a"}}' },
    { kind: 'reconcile-finish', runId: RUN },
    { kind: 'reconcile-finish', runId: RUN, after: 'user-1' },
  ])('reads %j as it was sent', (job) => expect(readJob(JSON.stringify(job))).toEqual(job));

  it.each([
    [{ kind: 'reconcile-page', runId: 'not-a-run', target: 0, segment: 0, page: 0 }, "runId must be a run's id"],
    [{ kind: 'reconcile-page', runId: RUN, target: -1, segment: 0, page: 0 }, 'target must be a whole number'],
    [{ kind: 'reconcile-page', runId: RUN, target: 0, segment: 0, page: 0, startKey: {} }, 'startKey must be a string'],
    [{ kind: 'reconcile-finish', runId: RUN, after: 3 }, 'after must be a string'],
  ])('refuses %j', (job, message) => expect(() => readJob(JSON.stringify(job))).toThrow(message));

  it('carries a Scan position through JSON, binary keys included', () => {
    const key = { PK: { S: 'USER#1' }, SK: { N: '42' }, B: { B: Buffer.from([0, 255, 7]) } };
    expect(decodeKey(encodeKey(key))).toEqual(key);
    expect(encodeKey(undefined)).toBeUndefined();
  });
});
