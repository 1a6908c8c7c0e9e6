import { Token } from 'aws-cdk-lib';

/** Hosts a local run reaches over plain HTTP: this machine, or the Docker host from a container. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]', 'host.docker.internal'];

/**
 * The rule the functions apply to the URLs they fetch from (requireSecureUrl in
 * lambda/erasure/erasure-config.ts, repeated here because that module loads the AWS SDK): https,
 * or http to this machine only. A key or a JWKS fetched in the clear can be read or replaced on
 * the way. Throws with `example` as the URL to give instead; a token is left to CloudFormation.
 */
export function checkSecureUrl(url: string, setting: string, example: string): void {
  if (Token.isUnresolved(url)) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const local = parsed !== undefined && LOCAL_HOSTS.includes(parsed.hostname);
  if (parsed?.protocol !== 'https:' && !(parsed?.protocol === 'http:' && local)) {
    throw new Error(`PassportWebhook ${setting} must be an https URL (http only to localhost), such as ${example}; got "${url}".`);
  }
}
