/**
 * The erasure settings' defaults and limits, and the rule for the URLs the functions fetch
 * from. Free of imports, so the CDK construct checks its props against the same numbers.
 */

/** SQS's longest message delay: a first look, a look again, or a second pass waits at most this long. */
export const MAX_DELAY_SECONDS = 900;
// FusionAuth's read timeout is often 2 s and includes the network and a cold start.
export const DEFAULT_INLINE_BUDGET_MS = 1_000;
export const DEFAULT_CONFIRM_DELAY_SECONDS = 10;
/** A bulk delete of 10,000 users can hold its transaction for minutes. */
export const DEFAULT_CONFIRM_WINDOW_SECONDS = 3_600;
/** Two days, so a look's chain always ends well inside the queue's four-day retention. */
export const MAX_CONFIRM_WINDOW_SECONDS = 2 * 24 * 3600;
/**
 * A year: enough to show an erasure to the user who asked for it, or to an auditor, a year on;
 * the receipt holds nothing but the user id, and then it goes.
 */
export const DEFAULT_RETENTION_DAYS = 365;
export const DEFAULT_INDEX_SETTLE_MS = 1_000;
export const DEFAULT_SECRET_CACHE_SECONDS = 300;

/** Hosts a local run reaches over plain HTTP: this machine, or the Docker host from a container. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]', 'host.docker.internal'];

/**
 * https, or http to this machine only (a FusionAuth or key server in Docker): a key or a JWKS
 * fetched in the clear can be read or replaced on the way.
 */
export function isSecureUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOCAL_HOSTS.includes(parsed.hostname));
}
