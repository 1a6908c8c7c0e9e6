import { describe, expect, it } from 'vitest';
import { requireId } from '../../../lambda/events/fields.ts';
import { thrown } from '../../support/thrown.ts';

describe('requireId', () => {
  it.each(['00000000-0000-0001-0000-000000000000', 'alice', 'ü-ñ', 'a'.repeat(255)])('accepts %j', (id) => {
    expect(requireId(id, 'event.user.id')).toBe(id);
  });

  it.each([undefined, null])('calls %j missing', (id) => {
    expect(thrown(() => requireId(id, 'event.user.id'))).toMatchObject({ statusCode: 400, code: '[missing]event.user.id' });
  });

  it.each([
    '',
    ' ',
    ' alice',
    'alice\n',
    'al\u0000ice',
    'al\u007fice',
    '\ud800',
    'a'.repeat(256),
    42,
    true,
    {},
    ['alice'],
  ])('calls %j invalid', (id) => {
    expect(thrown(() => requireId(id, 'event.user.id'))).toMatchObject({ statusCode: 400, code: '[invalid]event.user.id' });
  });
});
