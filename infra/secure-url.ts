import { Token } from 'aws-cdk-lib';
import { isSecureUrl } from '../lambda/erasure/erasure-limits.ts';

/**
 * The rule the functions apply to the URLs they fetch from (lambda/erasure/erasure-limits.ts):
 * https, or http to this machine only. Throws with `example` as the URL to give instead; a token
 * is left to CloudFormation.
 */
export function checkSecureUrl(url: string, setting: string, example: string): void {
  if (Token.isUnresolved(url)) return;
  if (!isSecureUrl(url)) {
    throw new Error(`PassportWebhook ${setting} must be an https URL (http only to localhost), such as ${example}; got "${url}".`);
  }
}
