import { randomUUID } from 'node:crypto';
import { FUSIONAUTH_API_KEY_PLACEHOLDER } from '../../infra/names.ts';
import type { FusionAuthApi } from './fusionauth-api.ts';
import { type RegisterOptions, UsageError } from './options.ts';
import { mask } from './redact.ts';
import type { Output } from './run.ts';
import { awsSourceIo, type SourceIo, stackOutputs } from './webhook-source.ts';

/** All the worker ever asks of FusionAuth: `GET /api/user/{id}`. */
export const CONFIRMATION_PERMISSIONS = { endpoints: { '/api/user': ['GET'] } };
const DESCRIPTION = 'passport-webhook: confirms deleted users (GET /api/user only; npm run register)';

/**
 * Creates the key the worker confirms deletions with, allowed GET on /api/user and nothing else
 * (locked to the tenant when the run names one), then prints it or writes it into the stack's
 * secret. A secret that holds a key already is left alone, so a second run creates no key.
 */
export async function provideConfirmationKey(
  api: FusionAuthApi,
  options: RegisterOptions,
  out: Output,
  io: SourceIo = awsSourceIo,
): Promise<void> {
  const wanted = options.confirmationKey;
  if (!wanted) return;
  const tenantId = !options.tenants.global && options.tenants.tenantIds.length === 1 ? options.tenants.tenantIds[0] : undefined;
  const scope = `GET /api/user only${tenantId ? `, tenant ${tenantId}` : ''}`;
  const secretId = wanted.mode === 'stack' ? (wanted.secretId ?? (await secretFromOutputs(options, io))) : undefined;
  if (secretId) {
    const current = (await io.readSecret(secretId)).trim();
    if (current !== '' && current !== FUSIONAUTH_API_KEY_PLACEHOLDER) {
      out.info(`unchanged    confirmation key: the secret ${secretId} holds one (${mask(current)})`);
      return;
    }
  }
  if (options.dryRun) {
    out.info(`would create confirmation key (${scope})${secretId ? `, written to the secret ${secretId}` : ', printed'}`);
    return;
  }
  const created = await api.createApiKey(randomUUID(), {
    permissions: CONFIRMATION_PERMISSIONS,
    ...(tenantId && { tenantId }),
    metaData: { attributes: { description: DESCRIPTION } },
  });
  if (!created.key) throw new Error('FusionAuth created the confirmation key but did not return it.');
  if (secretId) {
    await io.writeSecret(secretId, created.key);
    out.info(`created      confirmation key ${created.id} (${scope}): written to the secret ${secretId}`);
  } else {
    out.info(`created      confirmation key ${created.id} (${scope}):\n\n    ${created.key}\n`);
    out.info('Give it to the worker: FUSIONAUTH_API_KEY for npm start, or the stack\'s FUSIONAUTH_API_KEY secret.');
  }
}

async function secretFromOutputs(options: RegisterOptions, io: SourceIo): Promise<string> {
  const { stack, outputs } = await stackOutputs(options.source, io);
  const arn = outputs.FusionAuthApiKeySecretArn;
  if (typeof arn !== 'string' || arn === '') {
    throw new UsageError(
      `${options.source.outputsFile}, stack ${stack}, has no FusionAuthApiKeySecretArn output: deploy with fusionAuth set ` +
        '(CDK context fusionAuthUrl), or name the secret with --confirmation-key-secret.',
    );
  }
  return arn;
}
