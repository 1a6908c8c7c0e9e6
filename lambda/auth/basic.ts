import { decodeBase64 } from '../http/base64.ts';

/** The `user:password` an `Authorization: Basic <base64>` header carries (RFC 7617), or undefined. */
export function basicCredentials(header: string | undefined): string | undefined {
  const match = /^basic +(\S+)$/i.exec(header ?? '');
  const decoded = match ? decodeBase64(match[1]!)?.toString('utf8') : undefined;
  return decoded?.includes(':') ? decoded : undefined;
}
