import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fusionAuthUserSearch, fusionAuthUsers } from '../../../lambda/erasure/fusionauth-users.ts';
import type { KeyOwner } from '../../../lambda/reconcile/key-inverse.ts';
import { HopelessRatioError, MissingUserFinder } from '../../../lambda/reconcile/missing-user-finder.ts';
import { RateLimiter } from '../../../lambda/reconcile/rate-limiter.ts';
import { FusionAuthRefusedError, FusionAuthUnavailableError, getChecker, searchChecker, type UserChecker } from '../../../lambda/reconcile/user-checker.ts';
import { type FakeFusionAuth, fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from '../../support/fake-fusionauth.ts';

const TENANT = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d';
const id = (n: number) => `5f0c2a9e-7b1d-4e3f-8a6b-${String(n).padStart(12, '0')}`;
const PRESENT = [1, 2, 3, 4, 5].map(id);
const ABSENT = [6, 7].map(id);
const FAST = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

let fa: FakeFusionAuth;
const apiKey = (key: string) => ({ list: async () => [key] });
const search = (key = fa.apiKey) =>
  searchChecker(fusionAuthUserSearch({ url: fa.url, apiKey: apiKey(key) }), { rateLimiter: new RateLimiter(Infinity), retry: FAST, batchSize: 3 });
const get = (key = fa.apiKey) => getChecker(fusionAuthUsers({ url: fa.url, apiKey: apiKey(key) }), { rateLimiter: new RateLimiter(Infinity), retry: FAST, concurrency: 2 });

beforeAll(async () => {
  fa = await startFakeFusionAuth({
    tenants: [fusionAuthTenant(TENANT, 'Default')],
    users: PRESENT.map((user) => fusionAuthUser({ id: user, tenantId: TENANT, registrations: [{ applicationId: '3c219e58-ed0e-4b18-ad48-f4f92793ae32' }] })),
    apiKeys: [{ key: 'get-only-key-0123456789', permissions: { endpoints: { '/api/user': ['GET'] } } }],
  });
});
afterAll(() => fa?.close());
beforeEach(() => {
  fa.faults.clear();
  fa.requests.splice(0);
});

describe.each([
  ['POST /api/user/search', search, '/api/user/search'],
  ['GET /api/user/{id}', get, /^\/api\/user\//],
] as const)('asking FusionAuth with %s', (_, checker, path) => {
  it('tells the present (with their registrations) from the absent, in the tenant asked', async () => {
    const { present, absent } = await checker().check([...PRESENT, ...ABSENT], TENANT);
    expect(present.map(({ id: user }) => user).sort()).toEqual(PRESENT);
    expect(present[0]!.applicationIds).toEqual(['3c219e58-ed0e-4b18-ad48-f4f92793ae32']);
    expect([...absent].sort()).toEqual(ABSENT);
  });

  it('backs off on 429 and 5xx, then answers', async () => {
    fa.faults.fail({ path, status: 429, times: 1, headers: { 'Retry-After': '0' } });
    fa.faults.fail({ path, status: 503, times: 1 });
    const { absent } = await checker().check([...PRESENT, ...ABSENT], undefined);
    expect([...absent].sort()).toEqual(ABSENT);
    expect(fa.requests.filter(({ status }) => status === 429 || status === 503)).toHaveLength(2);
  });

  it('gives up after its retries, with nothing read as absent', async () => {
    fa.faults.fail({ path, status: 500, times: 100 });
    await expect(checker().check(ABSENT, undefined)).rejects.toThrow(FusionAuthUnavailableError);
  });
});

it('a 401 stops at once, naming the endpoint and method the key needs', async () => {
  const refused = search('get-only-key-0123456789').check(PRESENT, undefined);
  await expect(refused).rejects.toThrow(FusionAuthRefusedError);
  await expect(refused).rejects.toThrow('the key must be allowed POST on /api/user/search');
  expect(fa.requests.map(({ status }) => status)).toEqual([401]);
  // The same key may GET.
  expect((await get('get-only-key-0123456789').check(ABSENT, undefined)).absent).toHaveLength(2);
});

describe('the missing-user finder', () => {
  /** A checker over a fixed set, recording each call and how many ran at once. */
  function fakeChecker(present: ReadonlySet<string>) {
    const calls: { ids: readonly string[]; tenantId: string | undefined }[] = [];
    let running = 0;
    let most = 0;
    const checker: UserChecker = {
      method: 'search',
      batchSize: 10,
      async check(ids, tenantId) {
        calls.push({ ids, tenantId });
        most = Math.max(most, (running += 1));
        await new Promise((resolve) => setTimeout(resolve, 1));
        running -= 1;
        return { present: ids.filter((user) => present.has(user)).map((user) => ({ id: user, applicationIds: [] })), absent: ids.filter((user) => !present.has(user)) };
      },
    };
    return { checker, calls, most: () => most };
  }
  const owner = (userId: string, tenantId?: string): KeyOwner => ({ userId, tenantId, values: { userId, ...(tenantId && { tenantId }) } });

  it('asks about each owner once per window, per tenant, in batches, some at once; counts items of the missing', async () => {
    const users = Array.from({ length: 200 }, (_, n) => id(n));
    const present = new Set(users.filter((_, n) => n % 10 !== 0));
    const { checker, calls, most } = fakeChecker(present);
    const finder = new MissingUserFinder(checker, { concurrency: 3, maxMissing: 1, recentCapacity: 1_000 });
    // Each user's items come together, as a Scan returns them: three items each, in two pages.
    for (const page of [users.slice(0, 100), users.slice(100)]) {
      await finder.take('Todos', page.flatMap((user, n) => [owner(user, n % 2 ? TENANT : undefined), owner(user, n % 2 ? TENANT : undefined), owner(user)]));
    }
    await finder.take('Todos', [owner('legacy-1'), owner('legacy-1'), owner('legacy-2')]);
    await finder.flush();
    expect(finder.tally).toEqual({ checked: 200, missing: 20 });
    expect([...finder.missing.values()].map(({ userId, todos }) => [userId, todos.Todos])).toEqual(users.filter((user) => !present.has(user)).map((user) => [user, 3]));
    expect(finder.notFusionAuthIds).toEqual({ items: 3, ids: 2, examples: ['legacy-1', 'legacy-2'] });
    expect(calls.every(({ ids }) => ids.length <= 10)).toBe(true);
    expect(new Set(calls.map(({ tenantId }) => tenantId))).toEqual(new Set([undefined, TENANT]));
    expect(most()).toBeLessThanOrEqual(3);
  });

  it('with a tiny window only asks again, never misses', async () => {
    const users = Array.from({ length: 50 }, (_, n) => id(n));
    const { checker, calls } = fakeChecker(new Set(users.slice(1)));
    const finder = new MissingUserFinder(checker, { concurrency: 2, maxMissing: 1, recentCapacity: 2 });
    // The same owners twice, far apart: the window has forgotten them.
    await finder.take('Todos', users.map((user) => owner(user)));
    await finder.flush();
    await finder.take('Notes', users.map((user) => owner(user)));
    await finder.flush();
    expect([...finder.missing.values()].map(({ userId, todos }) => [userId, todos])).toEqual([[users[0], { Todos: 1, Notes: 1 }]]);
    expect(calls.flatMap(({ ids }) => ids).length).toBeGreaterThan(50);
  });

  it('stops once the missing share is hopeless', async () => {
    const { checker } = fakeChecker(new Set());
    const finder = new MissingUserFinder(checker, { concurrency: 2, maxMissing: 0.2 });
    const users = Array.from({ length: 5_000 }, (_, n) => owner(id(n)));
    await expect(
      (async () => {
        for (let start = 0; start < users.length; start += 100) await finder.take('Todos', users.slice(start, start + 100));
        await finder.flush();
      })(),
    ).rejects.toThrow(HopelessRatioError);
    expect(finder.tally.checked).toBeLessThan(2_000);
  });
});
