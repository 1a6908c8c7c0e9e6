import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambda/errors.ts';
import { resolveTarget } from '../../../lambda/targets/target-keys.ts';
import { checkTargetSpecs, type DeletionTargetSpec } from '../../../lambda/targets/target-spec.ts';
import { thrown } from '../../support/thrown.ts';

/** What DescribeTable answers for a table keyed `todoId`, with a GSI on `userId` and one on `owner` with a numeric sort key. */
const CAPSTONE: TableDescription = {
  TableName: 'Capstone',
  AttributeDefinitions: [
    { AttributeName: 'todoId', AttributeType: 'S' },
    { AttributeName: 'userId', AttributeType: 'S' },
    { AttributeName: 'owner', AttributeType: 'S' },
    { AttributeName: 'createdAt', AttributeType: 'N' },
  ],
  KeySchema: [{ AttributeName: 'todoId', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    { IndexName: 'byUser', KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }] },
    { IndexName: 'byOwner', KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }] },
  ],
};
const NUMERIC: TableDescription = {
  TableName: 'Legacy',
  AttributeDefinitions: [{ AttributeName: 'appUserId', AttributeType: 'N' }, { AttributeName: 'ts', AttributeType: 'N' }],
  KeySchema: [{ AttributeName: 'appUserId', KeyType: 'HASH' }, { AttributeName: 'ts', KeyType: 'RANGE' }],
};

const resolve = (spec: Omit<DeletionTargetSpec, 'table'>, table = CAPSTONE) => resolveTarget(checkTargetSpecs([{ table: table.TableName!, ...spec }])[0]!, table);

describe('binding a target to its table', () => {
  it('takes the keys and their types from the table, and deletes by the table key', () => {
    expect(resolve({ index: 'byUser' })).toMatchObject({
      indexName: 'byUser',
      partition: { name: 'userId', type: 'S' },
      sort: undefined,
      tableKeys: [{ name: 'todoId', type: 'S' }],
    });
    expect(resolve({ partitionKey: '{user.data.appUserId}' }, NUMERIC)).toMatchObject({
      indexName: undefined,
      partition: { name: 'appUserId', type: 'N' },
      sort: { name: 'ts', type: 'N' },
      tableKeys: [{ name: 'appUserId', type: 'N' }, { name: 'ts', type: 'N' }],
    });
  });

  it('finds the index an attribute is the partition key of', () => {
    expect(resolve({ attribute: 'owner' }).indexName).toBe('byOwner');
    expect(resolve({ attribute: 'todoId' }).indexName).toBeUndefined();
  });

  it.each([
    [{ index: 'byEmail' }, CAPSTONE, 'table Capstone has no index byEmail (its indexes: byUser, byOwner)'],
    [{ attribute: 'author' }, CAPSTONE, 'only a Scan could find a user\'s items. Add a global secondary index on author'],
    [{ index: 'byUser', attribute: 'owner' }, CAPSTONE, 'index byUser is keyed by userId, not owner'],
    [{ index: 'byUser', sortKeyPrefixes: ['TODO#'] }, CAPSTONE, 'has sortKeyPrefixes, but what it queries has no sort key'],
    [{ index: 'byOwner', sortKeyPrefixes: ['1'] }, CAPSTONE, 'the sort key createdAt is a number, which begins_with cannot match'],
    [{ partitionKey: 'USER#{userId}' }, NUMERIC, 'the partition key appUserId is a number, so its template must be one field alone'],
  ])('refuses %j on %s with its message', (spec, table, text) => {
    const error = thrown(() => resolve(spec, table));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(text);
  });

  it('holds the shorthand to the key names it was given', () => {
    const [target] = checkTargetSpecs([{ table: 'Legacy', attribute: 'appUserId' }]);
    expect(thrown(() => resolveTarget(target!, NUMERIC, { tableName: 'Legacy', userIdAttribute: 'appUserId', sortKeyAttribute: 'todoId' }))).toMatchObject({
      message: "TODO_SORT_KEY_ATTRIBUTE is todoId, but table Legacy's sort key is ts.",
    });
  });
});
