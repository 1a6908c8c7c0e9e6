import { describe, expect, it } from 'vitest';
import { basicCredentials } from '../../../lambda/auth/basic.ts';

const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;

describe('basicCredentials', () => {
  it.each([
    [basic('passport:s3cret'), 'passport:s3cret'],
    [basic('passport:with:colons'), 'passport:with:colons'],
    [basic('ü:ñ'), 'ü:ñ'],
    [`basic ${Buffer.from('a:b').toString('base64')}`, 'a:b'],
    [`BASIC  ${Buffer.from('a:b').toString('base64')}`, 'a:b'],
  ])('reads %j', (header, pair) => {
    expect(basicCredentials(header)).toBe(pair);
  });

  it.each([
    undefined,
    '',
    'Basic',
    'Basic ',
    basic('no-colon'),
    'Basic not base64!',
    `Bearer ${Buffer.from('a:b').toString('base64')}`,
    `Basic ${Buffer.from('a:b').toString('base64url')}x`,
    `Basic ${Buffer.from('a:b').toString('base64')} extra`,
  ])('finds no credentials in %j', (header) => {
    expect(basicCredentials(header)).toBeUndefined();
  });
});
