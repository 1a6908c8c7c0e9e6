import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTemplate, targetKeyReader } from '../../../lambda/reconcile/key-inverse.ts';
import { parseKeyTemplate, renderKeyTemplate } from '../../../lambda/targets/key-template.ts';
import type { ResolvedTarget } from '../../../lambda/targets/table-schema.ts';
import { checkTargetSpecs } from '../../../lambda/targets/target-spec.ts';

const USER = '5f0c2a9e-7b1d-4e3f-8a6b-2c4d6e8f0a1b';
const TENANT = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d';

/** A target as resolveTarget binds it, on a table keyed PK (and SK). */
function target(spec: Record<string, unknown>, keys: { partition?: string; sort?: string; sortType?: 'S' | 'N' } = {}): ResolvedTarget {
  const [checked] = checkTargetSpecs([{ table: 'T', ...spec }]);
  const partition = { name: keys.partition ?? 'PK', type: 'S' as const };
  const sort = keys.sort ? { name: keys.sort, type: keys.sortType ?? ('S' as const) } : undefined;
  return { ...checked!, indexName: undefined, partition, sort, tableKeys: [partition, ...(sort ? [sort] : [])] };
}

const readerOf = (resolved: ResolvedTarget) => {
  const reading = targetKeyReader(resolved);
  if (!reading.readable) throw new Error(reading.reason);
  return reading.reader;
};

describe('reading a key back as its owner', () => {
  it('{userId}: the whole key, projecting the partition key only', () => {
    const reader = readerOf(target({ attribute: 'userId' }, { partition: 'userId', sort: 'todoId' }));
    expect(reader.attributes).toEqual(['userId']);
    expect(reader.tenantScoped).toBe(false);
    expect(reader.read({ userId: { S: USER }, todoId: { S: 't1' } })).toEqual({ userId: USER, tenantId: undefined, values: { userId: USER } });
  });

  it('USER#{userId} with a Todo prefix: other kinds of item in the partition are no Todo of theirs', () => {
    const reader = readerOf(target({ partitionKey: 'USER#{userId}', sortKeyPrefixes: ['TODO#'] }, { sort: 'SK' }));
    expect(reader.attributes).toEqual(['PK', 'SK']);
    expect(reader.read({ PK: { S: `USER#${USER}` }, SK: { S: 'TODO#1' } })?.userId).toBe(USER);
    expect(reader.read({ PK: { S: `USER#${USER}` }, SK: { S: 'PROFILE' } })).toBeUndefined();
    expect(reader.read({ PK: { S: `ORG#${USER}` }, SK: { S: 'TODO#1' } })).toBeUndefined();
    // A value holding the template's delimiter is no key the erasure renders.
    expect(reader.read({ PK: { S: `USER#${USER}#x` }, SK: { S: 'TODO#1' } })).toBeUndefined();
  });

  it('TENANT#{tenantId} and USER#{userId}#: the tenant and the user, and FusionAuth is asked in the tenant', () => {
    const reader = readerOf(target({ partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}#'] }, { sort: 'SK' }));
    expect(reader.tenantScoped).toBe(true);
    expect(reader.read({ PK: { S: `TENANT#${TENANT}` }, SK: { S: `USER#${USER}#TODO#9` } })).toEqual({
      userId: USER,
      tenantId: TENANT,
      values: { tenantId: TENANT, userId: USER },
    });
    expect(reader.read({ PK: { S: `TENANT#${TENANT}` }, SK: { S: 'SETTINGS' } })).toBeUndefined();
  });

  it('a lowerCase target: literals matched folded, the id as stored (lower case), which renders the same key again', () => {
    const resolved = target({ partitionKey: '$todo#User_{userId}', lowerCase: true });
    const owner = readerOf(resolved).read({ PK: { S: `$todo#user_${USER.toLowerCase()}` } });
    expect(owner?.userId).toBe(USER.toLowerCase());
    expect(renderKeyTemplate(resolved.partitionKey, owner!.values, true, 2048)).toBe(`$todo#user_${USER.toLowerCase()}`);
  });

  it('a number or binary key reads as the erasure renders it', () => {
    const reader = readerOf(target({}, {}));
    expect(reader.read({ PK: { N: '12345' } })?.userId).toBe('12345');
    expect(reader.read({ PK: { B: Buffer.from(USER) } })?.userId).toBe(USER);
  });

  it.each([
    [{ partitionKey: 'EMAIL#{user.email}' }, 'its keys hold {user.email}, which cannot be read back as a FusionAuth user id'],
    [{ partitionKey: '{user.data.appUserId}' }, '{user.data.appUserId}'],
    [{ partitionKey: 'APP#{applicationId}#{userId}', on: ['registration'] }, 'erased only when a registration is deleted'],
  ])('skips %j, saying why', (spec, reason) => {
    const reading = targetKeyReader(target(spec));
    expect(reading).toEqual({ readable: false, reason: expect.stringContaining(reason) });
  });

  it('inverts what renderKeyTemplate renders, for any values without the delimiters', () => {
    const template = parseKeyTemplate('T#{tenantId}#U#{userId}', 'test');
    const value = fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/);
    fc.assert(
      fc.property(value, value, (tenantId, userId) => {
        const key = renderKeyTemplate(template, { tenantId, userId }, false, 2048);
        expect(readTemplate(template, key, false, false)).toEqual({ tenantId, userId });
      }),
    );
  });
});
