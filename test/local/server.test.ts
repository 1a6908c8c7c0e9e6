import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolveTargets } from '../../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../../lambda/targets/target-spec.ts';
import { localClient } from '../../local/dynamodb.ts';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { examplePayload, passportEvent } from '../support/events.ts';
import { fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from '../support/fake-fusionauth.ts';
import { type RunningLocalServer, startLocalServer } from '../support/local-server.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url);
const EXAMPLE_USER = '00000000-0000-0001-0000-000000000000';
const TENANT = '7d3f2c1e-5b4a-4e6f-9a8b-1c2d3e4f5a6b';

const todoTarget = async (client: DynamoDBClient) => (await resolveTargets(client, readTargetsConfig({ TODO_TABLE_NAME: 'Todos' })))[0]!;

async function until(done: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  for (const started = Date.now(); !(await done()); ) {
    if (Date.now() - started > timeoutMs) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let server: RunningLocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.stop();
});

/** The shell lines of the README's Quick start that follow `npm start`, for this server's ports and key. */
function quickStartCommands(): string {
  const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
  const blocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const tryIt = blocks.find((block) => block.includes('curl'));
  if (!tryIt) throw new Error('the Quick start has no curl block');
  return tryIt
    .replace('<the API key npm start printed>', server.apiKey)
    .replaceAll('http://localhost:3000/passport-webhook', server.url);
}

describe('npm start', () => {
  it('prints the webhook URL, a random API key and the DynamoDB endpoint', () => {
    expect(server.url).toMatch(/^http:\/\/localhost:\d+\/passport-webhook$/);
    expect(server.apiKey).toMatch(/^[\w-]{32}$/);
    expect(server.dynamoDbEndpoint).toMatch(/^http:\/\/localhost:\d+$/);
  });

  it("runs the README's Quick start exactly as written", async () => {
    const dynamoDbPort = new URL(server.dynamoDbEndpoint).port;
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', quickStartCommands()], {
      cwd: ROOT,
      env: { ...process.env, DYNAMODB_PORT: dynamoDbPort },
    });
    expect(stdout).toContain('added 5 Todo(s)');
    expect(stdout).toContain('{"status":"accepted","type":"user.delete"}');
    expect(stdout).toContain('{"status":"handled","type":"user.delete.complete"}');
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('0');
    expect(lines.at(-1)).toBe('1 erasure(s): 1 erased');
    expect(stdout).toMatch(/00000000-0000-0001-0000-000000000000\s+user\s+erased\s+\S+\s+complete-event\s+5/);
  });

  describe('over real HTTP', () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: server.apiKey, ...headers },
        body,
      });

    it('records a user.delete, erases on its .complete, and keeps the rest', async () => {
      const client = localClient(server.dynamoDbEndpoint);
      const target = await todoTarget(client);
      await addTodos(client, target, { userId: EXAMPLE_USER }, 30);
      await addTodos(client, target, { userId: 'someone-else' }, 3);
      // The Quick start sent these examples already: each again with an id of its own.
      const fresh = (name: string) => examplePayload(name).replace('e502168a-b469-45d9-a079-fd45f83e0406', `${name}-again`);
      const accepted = await post(fresh('user.delete.json'));
      expect(accepted.status).toBe(200);
      expect(accepted.headers.get('content-type')).toBe('application/json');
      expect(await accepted.json()).toEqual({ status: 'accepted', type: 'user.delete' });
      expect(await countTodos(client, target, { userId: EXAMPLE_USER })).toBe(30);
      const erased = await post(fresh('user.delete.complete.json'));
      expect(await erased.json()).toEqual({ status: 'handled', type: 'user.delete.complete' });
      expect(await countTodos(client, target, { userId: EXAMPLE_USER })).toBe(0);
      expect(await countTodos(client, target, { userId: 'someone-else' })).toBe(3);
      client.destroy();
    });

    it.each<{ name: string; body: string; headers: Record<string, string>; status: number }>([
      { name: 'a wrong key', body: passportEvent({ type: 'test' }), headers: { authorization: 'nope' }, status: 401 },
      { name: 'no key', body: passportEvent({ type: 'test' }), headers: { authorization: '' }, status: 401 },
      { name: 'a test event', body: passportEvent({ type: 'test' }), headers: {}, status: 200 },
      { name: 'broken JSON', body: '{"event"', headers: {}, status: 400 },
      { name: 'a user.delete without a user', body: passportEvent({ type: 'user.delete' }), headers: {}, status: 400 },
      { name: 'a body over 1 MiB', body: passportEvent({ type: 'test', pad: 'x'.repeat(1_100_000) }), headers: {}, status: 413 },
    ])('answers $name with $status', async ({ body, headers, status }) => {
      const response = await post(body, headers);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/json');
      const text = await response.text();
      expect(() => JSON.parse(text)).not.toThrow();
      expect(text).not.toMatch(/\n\s+at /);
    });

    it('passes a binary body through as text, as a REST API without binary media types does', async () => {
      const response = await post(passportEvent({ type: 'test' }), { 'content-type': 'application/octet-stream' });
      expect(response.status).toBe(200);
    });

    it('answers 404 [noRoute] to a GET on the webhook, as the REST API does, and 404 elsewhere', async () => {
      const get = await fetch(server.url);
      expect(get.status).toBe(404);
      expect(await get.json()).toEqual({ errors: [{ code: '[noRoute]', message: 'No such route: the webhook takes POST /passport-webhook.' }] });
      expect((await fetch(new URL('/other', server.url), { method: 'POST' })).status).toBe(404);
    });

    it('prints the edge it emulates, as the construct deploys it by default', () => {
      expect(server.output()).toContain(
        [
          '  Edge           stage throttle 500 req/s, burst 1000 (429 [throttled])',
          '                 AWS WAF: per-source limit 15000 requests per 600 s (429 [rateLimited])',
          "                 allowed sources: any (no allow-list): ALLOWED_SOURCES takes FusionAuth's egress addresses",
        ].join('\n'),
      );
    });

    it('hands the function the payload 1.0 event of a REST API, with the headers API Gateway adds', async () => {
      const response = await post(passportEvent({ type: 'test', id: 'rest-probe' }), { 'x-probe': 'rest' });
      expect(response.status).toBe(200);
      const { deliveries } = (await (await fetch(new URL('/api/deliveries', server.url))).json()) as {
        deliveries: { eventId?: string; headers: Record<string, string> }[];
      };
      const probe = deliveries.find((delivery) => delivery.eventId === 'rest-probe');
      expect(probe?.headers).toMatchObject({ 'x-probe': 'rest', 'x-forwarded-for': expect.stringMatching(/^(127\.0\.0\.1|::1)$/), 'x-forwarded-proto': 'http' });
    });

    it('answers 413 to a body past what Lambda accepts, to a client that sends all of it first', async () => {
      const response = await post('x'.repeat(7 * 1024 * 1024));
      expect(response.status).toBe(413);
    });

    it('answers 413 once a body passes the limit, then takes the rest, so a sender still writing is not reset', async () => {
      const mebibyte = 'x'.repeat(1024 * 1024);
      const outcome = await new Promise<{ status?: number; error?: string }>((resolve) => {
        const seen: { status?: number; error?: string } = {};
        const sending = httpRequest(new URL(server.url), { method: 'POST', headers: { 'content-length': 16 * 1024 * 1024 } });
        sending.on('error', (error: NodeJS.ErrnoException) => (seen.error = error.code ?? error.message));
        sending.on('close', () => resolve(seen));
        sending.on('response', (response) => {
          seen.status = response.statusCode;
          for (let sent = 7; sent < 16; sent++) sending.write(mebibyte);
          sending.end();
          response.resume();
        });
        for (let sent = 0; sent < 7; sent++) sending.write(mebibyte);
      });
      expect(outcome).toEqual({ status: 413 });
    });
  });

  it('stops cleanly on Ctrl-C, freeing its ports', async () => {
    await server.stop();
    expect(server.output()).not.toMatch(/Error|\n\s+at /);
    await expect(fetch(server.url)).rejects.toThrow();
    await expect(fetch(server.dynamoDbEndpoint)).rejects.toThrow();
  });
});

describe('npm start with WEBHOOK_API_KEYS and an external DynamoDB', () => {
  it('uses the given key and creates the table on that endpoint', async () => {
    const first = await startLocalServer({ WEBHOOK_API_KEYS: 'fixed-key,older-key', TODO_TABLE_NAME: 'SharedTodos' });
    try {
      const second = await startLocalServer({
        WEBHOOK_API_KEYS: 'fixed-key',
        TODO_TABLE_NAME: 'SharedTodos',
        AWS_ENDPOINT_URL_DYNAMODB: first.dynamoDbEndpoint,
      });
      try {
        expect(first.apiKey).toBe('fixed-key');
        expect(second.output()).toContain('external; targets SharedTodos, existing; ledger Erasures');
        const response = await fetch(second.url, {
          method: 'POST',
          headers: { authorization: 'fixed-key' },
          body: passportEvent({ type: 'user.delete.complete', user: { id: 'u' } }),
        });
        expect(response.status).toBe(200);
        const older = await fetch(first.url, {
          method: 'POST',
          headers: { authorization: 'older-key' },
          body: passportEvent({ type: 'test' }),
        });
        expect(older.status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });
});

describe('npm start with a user too big for the inline budget', () => {
  it('answers at once and lets the in-process worker finish the erasure', async () => {
    const server = await startLocalServer({ WEBHOOK_API_KEYS: 'k', DELETE_BUDGET_MS: '20' });
    const client = localClient(server.dynamoDbEndpoint);
    try {
      const target = await todoTarget(client);
      await addTodos(client, target, { userId: 'prolific' }, 8_000);
      await addTodos(client, target, { userId: 'modest' }, 4);
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { authorization: 'k' },
        body: passportEvent({ type: 'user.delete.complete', id: 'big-one', user: { id: 'prolific' } }),
      });
      expect(response.status).toBe(200);
      expect(await countTodos(client, target, { userId: 'prolific' })).toBeGreaterThan(0);
      await until(async () => (await countTodos(client, target, { userId: 'prolific' })) === 0);
      expect(await countTodos(client, target, { userId: 'modest' })).toBe(4);
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});

describe('npm start with DATA_DIR', () => {
  it('keeps the Todos on disk from one start to the next', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'passport-webhook-data-'));
    const first = await startLocalServer({ DATA_DIR: dataDir, WEBHOOK_API_KEYS: 'k' });
    expect(first.output()).toContain(`on disk in ${dataDir}`);
    const client = localClient(first.dynamoDbEndpoint);
    await addTodos(client, await todoTarget(client), { userId: 'durable' }, 7);
    client.destroy();
    await first.stop();

    const second = await startLocalServer({ DATA_DIR: dataDir, WEBHOOK_API_KEYS: 'k' });
    try {
      expect(second.output()).toContain('targets Todos, existing');
      const again = localClient(second.dynamoDbEndpoint);
      expect(await countTodos(again, await todoTarget(again), { userId: 'durable' })).toBe(7);
      again.destroy();
    } finally {
      await second.stop();
    }
  });
});

describe('npm start with a FusionAuth to ask', () => {
  it('confirms a deletion FusionAuth sent no .complete for through its API, after the delay', async () => {
    const fa = await startFakeFusionAuth({
      tenants: [fusionAuthTenant(TENANT, 'Default')],
      users: [fusionAuthUser({ id: 'local-user', tenantId: TENANT })],
      apiKeys: [{ key: 'confirm-key', permissions: { endpoints: { '/api/user': ['GET'] } } }],
    });
    const server = await startLocalServer({
      WEBHOOK_API_KEYS: 'k',
      FUSIONAUTH_URL: fa.url,
      FUSIONAUTH_API_KEY: 'confirm-key',
      ERASURE_CONFIRM_DELAY_SECONDS: '1',
      ERASURE_LEDGER_TABLE_NAME: 'ProdErasures',
    });
    const client = localClient(server.dynamoDbEndpoint);
    try {
      expect(server.output()).toContain(`Confirmation   ${fa.url} (the worker asks it 1 s after each request)`);
      const target = await todoTarget(client);
      await addTodos(client, target, { userId: 'local-user' }, 6);
      const post = () =>
        fetch(server.url, { method: 'POST', headers: { authorization: 'k' }, body: passportEvent({ type: 'user.delete', id: 'local', tenantId: TENANT, user: { id: 'local-user' } }) });
      expect(await (await post()).json()).toEqual({ status: 'accepted', type: 'user.delete' });
      // FusionAuth commits; the worker's look finds the user gone.
      fa.users.delete('local-user');
      await until(async () => (await countTodos(client, target, { userId: 'local-user' })) === 0);
      const { stdout } = await run('npm', ['run', '--silent', 'erasures', '--', 'show', 'local-user'], {
        cwd: ROOT,
        env: { ...process.env, DYNAMODB_PORT: new URL(server.dynamoDbEndpoint).port, ERASURE_LEDGER_TABLE_NAME: 'ProdErasures' },
      });
      expect(stdout).toMatch(/state\s+erased/);
      expect(stdout).toMatch(/confirmed\s+\S+ by api/);
      expect(fa.requests.some((request) => request.path === '/api/user/local-user' && request.status === 404)).toBe(true);

      // The deployed stack's ledger, named by cdk deploy --outputs-file (here at npm start's endpoint).
      const outputs = join(mkdtempSync(join(tmpdir(), 'outputs-')), 'outputs.json');
      writeFileSync(outputs, JSON.stringify({ PassportWebhook: { WebhookUrl: 'https://example.com', ErasureLedgerTableName: 'ProdErasures' } }));
      const deployed = await run('npm', ['run', '--silent', 'erasures', '--', '--outputs-file', outputs, '--json'], {
        cwd: ROOT,
        env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: server.dynamoDbEndpoint, ERASURE_LEDGER_TABLE_NAME: '' },
      });
      expect(JSON.parse(deployed.stdout)).toMatchObject({ erasures: [expect.objectContaining({ userId: 'local-user', state: 'erased' })] });
    } finally {
      client.destroy();
      await server.stop();
      await fa.close();
    }
  });
});

describe('npm start with a configuration that cannot work', () => {
  it('refuses deletion targets whose table does not exist, naming it', async () => {
    const failure = await run('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DYNAMODB_PORT: '0', DELETION_TARGETS: '[{"table":"Missing","partitionKey":"USER#{userId}"}]' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('passport-webhook cannot start: The table Missing of the deletion targets does not exist.');
  });

  it('refuses a port that is not one, in one line', async () => {
    const failure = await run('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, PORT: 'abc', DYNAMODB_PORT: '0' } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('passport-webhook cannot start: PORT must be a port number from 0 to 65535; got "abc".');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });

  it('says why in one line and exits 1, before it starts anything', async () => {
    const failure = await run('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DYNAMODB_PORT: '0', WEBHOOK_AUTH: 'signature' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('passport-webhook cannot start: WEBHOOK_AUTH requires signature, but no key is configured');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
    expect(failure?.stdout).not.toContain('running locally');
  });
});
