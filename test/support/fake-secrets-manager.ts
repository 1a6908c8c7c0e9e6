import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** Secret values by id (name or ARN); change one to simulate a rotation. */
  readonly secrets: Map<string, string>;
  /** GetSecretValue calls received, by secret id. */
  readonly calls: string[];
  /** PutSecretValue calls received, by secret id. */
  readonly writes: string[];
  /** While set, every call answers with this HTTP status (an outage). */
  failWith: number | undefined;
  close(): Promise<void>;
}

/**
 * Secrets Manager's GetSecretValue and PutSecretValue over its real wire protocol (JSON 1.1 over HTTP), enough for
 * the SDK (and Powertools Parameters over it) to run its production path against: there is no
 * local Secrets Manager to run instead.
 */
export async function startFakeSecretsManager(initial: Record<string, string> = {}): Promise<FakeSecretsManager> {
  const secrets = new Map(Object.entries(initial));
  const calls: string[] = [];
  const writes: string[] = [];
  const fake: FakeSecretsManager = {
    endpoint: '',
    secrets,
    calls,
    writes,
    failWith: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer(async (request, response) => {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };
    if (fake.failWith) return reply(fake.failWith, { __type: 'InternalServiceError', message: 'fake outage' });
    const target = request.headers['x-amz-target'];
    if (target === 'secretsmanager.PutSecretValue') {
      const { SecretId, SecretString } = JSON.parse(raw) as { SecretId: string; SecretString: string };
      if (!secrets.has(SecretId)) {
        return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      }
      writes.push(SecretId);
      secrets.set(SecretId, SecretString);
      return reply(200, { ARN: SecretId, Name: SecretId.split(':').pop(), VersionId: `v${writes.length + 1}`, VersionStages: ['AWSCURRENT'] });
    }
    if (target !== 'secretsmanager.GetSecretValue') {
      return reply(400, { __type: 'InvalidRequestException', message: `unsupported ${String(target)}` });
    }
    const { SecretId } = JSON.parse(raw) as { SecretId: string };
    calls.push(SecretId);
    const value = secrets.get(SecretId);
    if (value === undefined) {
      return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
    }
    reply(200, {
      ARN: SecretId.startsWith('arn:') ? SecretId : `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}-AbCdEf`,
      Name: SecretId.split(':').pop(),
      SecretString: value,
      VersionId: 'v1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Date.now() / 1000,
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  Object.assign(fake, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return fake;
}
