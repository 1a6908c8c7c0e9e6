import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambda/errors.ts';
import { parseKeyTemplate, renderKeyTemplate } from '../../../lambda/targets/key-template.ts';
import { thrown } from '../../support/thrown.ts';

const parse = (source: string) => parseKeyTemplate(source, 'partitionKey');

describe('key templates', () => {
  it('parse literal text and fields, and know which name a user', () => {
    expect(parse('USER#{userId}')).toMatchObject({ fields: ['userId'], userSpecific: true, endsWithField: true, delimiters: new Set(['#']) });
    expect(parse('TENANT#{tenantId}#')).toMatchObject({ fields: ['tenantId'], userSpecific: false, endsWithField: false });
    expect(parse('{user.data.appUserId}')).toMatchObject({ fields: ['user.data.appUserId'], userSpecific: true, delimiters: new Set() });
    expect(parse('$app#user_{user.email}').delimiters).toEqual(new Set(['$', '#', '_']));
  });

  it.each([
    ['{', 'has a "{" without its "}"'],
    ['USER#}', 'has a "}" without its "{"'],
    ['{name}', 'names {name}; a template takes {userId}'],
    ['{user.data.}', 'names {user.data.}'],
    ['{userId}{tenantId}', 'puts {userId} and {tenantId} side by side'],
    ['', 'must be a non-empty string'],
  ])('refuse %j: %s', (source, message) => {
    const error = thrown(() => parse(source));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(message);
  });

  it('render the values, folding case when asked', () => {
    const template = parse('USER#{userId}#{tenantId}');
    expect(renderKeyTemplate(template, { userId: 'Ab', tenantId: 't' }, false, 100)).toBe('USER#Ab#t');
    expect(renderKeyTemplate(template, { userId: 'Ab', tenantId: 't' }, true, 100)).toBe('user#ab#t');
  });

  it('refuse a value that holds a delimiter of the template, or a key longer than DynamoDB takes', () => {
    const template = parse('USER#{userId}');
    expect(thrown(() => renderKeyTemplate(template, { userId: 'a#b' }, false, 100))).toMatchObject({
      statusCode: 400,
      code: '[invalid]event.user.id',
      message: expect.stringContaining('uses as a delimiter'),
    });
    expect(thrown(() => renderKeyTemplate(template, { userId: 'x'.repeat(100) }, false, 100))).toMatchObject({ statusCode: 400, code: '[invalid]key' });
    // Without literal text nothing can pass for a delimiter.
    expect(renderKeyTemplate(parse('{userId}'), { userId: 'a#b' }, false, 100)).toBe('a#b');
  });
});
