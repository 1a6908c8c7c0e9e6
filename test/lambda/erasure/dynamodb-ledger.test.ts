import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbErasureLedger } from '../../../lambda/erasure/dynamodb-ledger.ts';
import { claim, confirm, end, request, type Subject } from '../../../lambda/erasure/ledger.ts';
import { ensureLedgerTable } from '../../../local/dynamodb.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';

let dynamo: TestDynamoDb;
let ledger: DynamoDbErasureLedger;
const subject = (userId: string): Subject => ({ userId, scope: 'user', tenantId: undefined });

beforeAll(async () => {
  dynamo = await startTestDynamoDb();
  await ensureLedgerTable(dynamo.client, 'Erasures');
  ledger = new DynamoDbErasureLedger(dynamo.client, 'Erasures');
});
afterAll(() => dynamo.close());

describe('the ledger on DynamoDB', () => {
  it('decides each change on what is stored: twenty concurrent redeliveries and events converge on one cycle', async () => {
    const who = subject('concurrent');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        ledger.update(who.userId, who.scope, (current) => request(current, who, { id: `e${n % 5}`, type: 'user.delete', digest: `d${n % 5}`, at: n }, 1_000 + n)),
      ),
    );
    expect(results.filter((result) => result.outcome === 'new-cycle')).toHaveLength(1);
    expect(results.filter((result) => result.outcome === 'joined')).toHaveLength(4);
    expect(results.filter((result) => result.outcome === 'duplicate')).toHaveLength(15);
    const record = await ledger.get(who.userId, who.scope);
    expect(record).toMatchObject({ state: 'requested', cycle: 1 });
    expect(record!.events.map((event) => event.id).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('lets one of many claimants take a lease', async () => {
    const who = subject('claimed');
    await ledger.update(who.userId, who.scope, (current) => confirm(current, who, 'complete-event', 1));
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, n) => ledger.update(who.userId, who.scope, (current) => claim(current, undefined, `lease-${n}`, 60_000, Date.now()))),
    );
    expect(claims.filter((result) => result.outcome === 'claimed')).toHaveLength(1);
    expect(claims.filter((result) => result.outcome === 'busy')).toHaveLength(9);
  });

  it('indexes what still needs something, by state and age, and nothing else', async () => {
    const now = Date.now();
    for (const [n, userId] of ['old-request', 'new-request', 'unsure', 'settled'].entries()) {
      const who = subject(userId);
      await ledger.update(userId, 'user', (current) => request(current, who, { id: 'x', type: 'user.delete', digest: 'd', at: 1 }, now - (4 - n) * 60_000));
    }
    await ledger.update('unsure', 'user', (current) => end(current, 1, 'unconfirmed', 'no word', now, 86_400));
    await ledger.update('settled', 'user', (current) => end(current, 1, 'rolled-back', 'still there', now, 86_400));

    const summary = await ledger.openSummary();
    // The first test's request (at 1,000) is older still: the oldest of every requested one.
    expect(summary.requested).toEqual({ count: 3, oldestRequestedAt: 1_000 });
    expect(summary.unconfirmed).toEqual({ count: 1, oldestRequestedAt: now - 2 * 60_000 });
    expect((await ledger.list({ state: 'unconfirmed' })).records.map((record) => record.userId)).toEqual(['unsure']);
    expect((await ledger.list({ state: 'rolled-back' })).records.map((record) => record.userId)).toEqual(['settled']);
  });

  it('pages through every record', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await ledger.list({ limit: 2, after });
      seen.push(...page.records.map((record) => record.userId));
      after = page.next;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['concurrent', 'claimed', 'old-request', 'settled']));
  });
});
