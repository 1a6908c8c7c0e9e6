import { readErasureConfig } from '../erasure/erasure-config.ts';
import { createJobRunner, type JobRunner } from '../erasure/job-runner.ts';
import type { Env } from '../env.ts';
import { ConfigurationError } from '../errors.ts';
import { logger, metrics } from '../observability.ts';
import { readReconcileConfig } from '../reconcile/reconcile-config.ts';
import { type ErasureWiringOverrides, wireErasures } from './erasure-wiring.ts';
import { sharedDynamoDbClient } from './shared-clients.ts';
import { openTargets } from './target-wiring.ts';

/**
 * The erasure worker: the same ledger, targets and retry rules as the webhook, fed by the queue,
 * and the one that asks FusionAuth's API. Its bundle carries no authentication code.
 */
export async function createWorker(env: Env, overrides: ErasureWiringOverrides = {}): Promise<JobRunner> {
  const config = readErasureConfig(env);
  if (!overrides.queue && !config.queueUrl) {
    throw new ConfigurationError('DELETION_QUEUE_URL is not set: the worker hands unfinished jobs back to that queue.');
  }
  const reconcileConfig = readReconcileConfig(env);
  if (reconcileConfig && !config.fusionAuth) {
    throw new ConfigurationError('RECONCILE_TABLE_NAME is set, but FUSIONAUTH_URL is not: a reconcile asks FusionAuth\'s API which users still exist.');
  }
  const targets = await openTargets(config, overrides.dynamoDb ?? sharedDynamoDbClient(), logger);
  const wiring = await wireErasures(config, targets, { logger, metrics }, { ...overrides, withUsers: true });
  // Loaded only where the stack schedules reconciles.
  const reconcile =
    reconcileConfig &&
    (await import('../reconcile/reconcile-wiring.ts')).wireReconcile(reconcileConfig, config.fusionAuth!, wiring, { logger, metrics });
  return createJobRunner({ erasures: wiring.erasures, reconcile, logger, metrics });
}
