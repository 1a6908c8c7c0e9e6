import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambda/errors.ts';
import { checkTargetSpecs, readTargetsConfig } from '../../../lambda/targets/target-spec.ts';
import { thrown } from '../../support/thrown.ts';

const message = (run: () => unknown) => {
  const error = thrown(run);
  expect(error).toBeInstanceOf(ConfigurationError);
  return (error as Error).message;
};

describe('DELETION_TARGETS', () => {
  it('reads a list of targets, each with its defaults and a name', () => {
    const { targets, shorthand } = readTargetsConfig({
      DELETION_TARGETS: JSON.stringify([
        { table: 'App', partitionKey: 'USER#{userId}', sortKeyPrefixes: ['TODO#', 'LIST#'] },
        { table: 'Todos', index: 'byOwner', on: ['user'] },
        { table: 'App', partitionKey: 'ARCHIVE#{userId}', lowerCase: true },
      ]),
    });
    expect(shorthand).toBeUndefined();
    expect(targets.map(({ name, table, index, lowerCase, on }) => ({ name, table, index, lowerCase, on: [...on] }))).toEqual([
      { name: 'App', table: 'App', index: undefined, lowerCase: false, on: ['user', 'registration'] },
      { name: 'Todos/byOwner', table: 'Todos', index: 'byOwner', lowerCase: false, on: ['user'] },
      { name: 'App#2', table: 'App', index: undefined, lowerCase: true, on: ['user', 'registration'] },
    ]);
    expect(targets[1]!.partitionKey.source).toBe('{userId}');
    expect(targets[0]!.sortKeyPrefixes.map((prefix) => prefix.source)).toEqual(['TODO#', 'LIST#']);
  });

  it('keeps TODO_TABLE_NAME as the one-target shorthand, keyed by the user id attribute', () => {
    const { targets, shorthand } = readTargetsConfig({ TODO_TABLE_NAME: 'Todos', TODO_USER_ID_ATTRIBUTE: 'owner', TODO_SORT_KEY_ATTRIBUTE: 'item' });
    expect(shorthand).toEqual({ tableName: 'Todos', userIdAttribute: 'owner', sortKeyAttribute: 'item' });
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ name: 'Todos', table: 'Todos', attribute: 'owner', sortKeyPrefixes: [] });
    expect(readTargetsConfig({ TODO_TABLE_NAME: 'Todos' }).shorthand).toEqual({ tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: undefined });
  });

  it.each([
    [{}, 'Neither DELETION_TARGETS nor TODO_TABLE_NAME is set'],
    [{ DELETION_TARGETS: '[{"table":"A"}]', TODO_TABLE_NAME: 'T' }, 'not both'],
    [{ DELETION_TARGETS: '{' }, 'DELETION_TARGETS is not JSON'],
  ])('refuses %j', (env, text) => {
    expect(message(() => readTargetsConfig(env))).toContain(text);
  });

  it.each([
    [[], 'must be a non-empty array'],
    [{ table: 'A' }, 'must be a non-empty array'],
    [['A'], 'DELETION_TARGETS[0] must be an object'],
    [[{}], 'DELETION_TARGETS[0].table must be a non-empty string'],
    [[{ table: 'A', prefix: 'x' }], 'DELETION_TARGETS[0] has "prefix"'],
    [[{ table: 'A', partitionKey: 'USER' }], 'Deletion target 1 (A) partitionKey "USER" is a constant'],
    [[{ table: 'A', partitionKey: 'TENANT#{tenantId}' }], 'is shared by many users: name the user\'s items with sortKeyPrefixes'],
    [[{ table: 'A', partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['TODO#'] }], 'sortKeyPrefix "TODO#" names no user, in a partition shared by many users'],
    [[{ table: 'A', partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}'] }], 'ends with {userId}: as a prefix it would also match'],
    [[{ table: 'A', sortKeyPrefixes: [] }], 'sortKeyPrefixes must be a non-empty array'],
    [[{ table: 'A', on: ['deleted'] }], 'on must list "user", "registration" or both'],
    [[{ table: 'A', lowerCase: 'yes' }], 'lowerCase must be true or false'],
    [[{ table: 'A', partitionKey: '{email}' }], 'names {email}'],
  ])('refuses %j, naming the target', (specs, text) => {
    expect(message(() => checkTargetSpecs(specs))).toContain(text);
  });
});
