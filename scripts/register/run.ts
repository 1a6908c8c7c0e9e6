import { randomUUID } from 'node:crypto';
import { provideConfirmationKey } from './confirmation-key.ts';
import { createFusionAuthApi, endpointOf, type FusionAuthApi } from './fusionauth-api.ts';
import { type FusionAuthState, planRegistration, type Step } from './fusionauth-plan.ts';
import type { RegisterOptions, TenantScope } from './options.ts';
import { mask, redactedBody } from './redact.ts';
import { resolveWebhookTarget } from './webhook-source.ts';

export interface Output {
  info(text: string): void;
}

/**
 * Reads what FusionAuth holds, works out the writes that make it match the options, then sends
 * them one by one (or, in a dry run, prints them). Every read comes before the first write, so
 * a wrong key or tenant changes nothing; a write that fails stops the run, and running it again
 * picks up from what was written.
 */
export async function register(options: RegisterOptions, out: Output): Promise<void> {
  const target = await resolveWebhookTarget(options.source);
  const apiKey = target.apiKey && options.apiKeyHeader ? { header: options.apiKeyHeader, value: target.apiKey.value } : undefined;
  out.info(`Webhook URL   ${target.url.value}  (from ${target.url.origin})`);
  out.info(
    apiKey
      ? `Webhook key   ${mask(apiKey.value)} in header ${apiKey.header}  (from ${target.apiKey?.origin})`
      : 'Webhook key   none: the webhook checks no API key',
  );
  out.info(`FusionAuth    ${options.fusionAuthUrl}\n`);

  const api = createFusionAuthApi(options.fusionAuthUrl, options.fusionAuthApiKey);
  const state = await readState(api, options.tenants);
  const steps = planRegistration(
    {
      url: target.url.value,
      apiKey,
      connectTimeout: options.connectTimeout,
      readTimeout: options.readTimeout,
      events: options.events,
      tenants: options.tenants,
      signingKeyId: options.signingKeyId,
      basicAuth: options.basicAuth,
    },
    options.transactionType,
    state,
    randomUUID(),
  );

  for (const [index, step] of steps.entries()) {
    if (options.dryRun) {
      if (index > 0) out.info('');
      out.info(describeStep(step, true));
      if (step.request) out.info(describeRequest(step, options.fusionAuthApiKey));
    } else {
      if (step.request) await api.send(step.request);
      out.info(describeStep(step, false));
    }
  }
  await provideConfirmationKey(api, options, out);
  out.info(`\n${summary(steps, options.dryRun)}`);
}

async function readState(api: FusionAuthApi, tenants: TenantScope): Promise<FusionAuthState> {
  const [webhooks, chosen] = await Promise.all([
    api.webhooks(),
    // A global webhook takes every tenant's events, so every tenant needs them enabled.
    tenants.global ? api.tenants() : Promise.all(tenants.tenantIds.map((id) => api.tenant(id))),
  ]);
  return { webhooks, tenants: chosen };
}

const PAST = { create: 'created', update: 'updated', unchanged: 'unchanged' } as const;
const FUTURE = { create: 'would create', update: 'would update', unchanged: 'unchanged' } as const;

function describeStep(step: Step, dryRun: boolean): string {
  const verb = (dryRun ? FUTURE : PAST)[step.outcome];
  return `${verb.padEnd(12)} ${step.subject}${step.changes.length > 0 ? `: ${step.changes.join('; ')}` : ''}`;
}

/** The request as the client sends it: its headers (the API key masked) and JSON body (secrets masked). */
function describeRequest(step: Step, fusionAuthApiKey: string): string {
  const { method, path } = endpointOf(step.request!);
  const body = JSON.stringify(redactedBody(step.request!), null, 2);
  return [`${method} ${path}`, `Authorization: ${mask(fusionAuthApiKey)}`, 'Content-Type: application/json', '', ...body.split('\n')]
    .map((line) => `    ${line}`.trimEnd())
    .join('\n');
}

function summary(steps: readonly Step[], dryRun: boolean): string {
  const count = (outcome: Step['outcome']) => steps.filter((step) => step.outcome === outcome).length;
  if (!dryRun) return `Done: ${count('create')} created, ${count('update')} updated, ${count('unchanged')} unchanged.`;
  return (
    `Dry run: ${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged. ` +
    'Nothing was written; only the reads needed to compare were sent.'
  );
}
