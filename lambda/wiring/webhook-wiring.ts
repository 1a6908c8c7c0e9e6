import { type Authenticator, createAuthenticator } from '../auth/authenticate.ts';
import { readWebhookConfig } from '../config.ts';
import { createDeliveryHandler, type DeliveryDependencies, type DeliveryHandler } from '../delivery.ts';
import type { ErasureService } from '../erasure/erasure-service.ts';
import type { Env } from '../env.ts';
import { logger, metrics } from '../observability.ts';
import type { ErasureWiringOverrides } from './erasure-wiring.ts';
import { sharedDynamoDbClient } from './shared-clients.ts';
import { openTargets } from './target-wiring.ts';

export interface WebhookOverrides extends ErasureWiringOverrides, Pick<DeliveryDependencies, 'onDelivery'> {
  /** Checks built from another configuration than the environment's (tests of each auth mode). */
  readonly authenticator?: Authenticator;
}

/** The webhook as its environment describes it; a configuration that cannot work throws here, at init. */
export async function createWebhook(env: Env, overrides: WebhookOverrides = {}): Promise<DeliveryHandler> {
  const config = readWebhookConfig(env);
  const targets = await openTargets(config, overrides.dynamoDb ?? sharedDynamoDbClient(), logger);
  // The erasure code is loaded with the first delivery that erases: a container that sees only
  // logins never evaluates it.
  let wired: Promise<ErasureService> | undefined;
  const erasures = () =>
    (wired ??= import('./erasure-wiring.ts')
      .then(({ wireErasures }) => wireErasures(config, targets, { logger, metrics }, overrides))
      .then(({ erasures }) => erasures)
      .catch((error: unknown) => {
        wired = undefined;
        throw error;
      }));
  return createDeliveryHandler({
    auth: overrides.authenticator ?? createAuthenticator(config.auth),
    erasures,
    todoApplicationId: config.settings.todoApplicationId,
    eraseBeforeCommit: config.eraseBeforeCommit,
    inlineBudgetMs: config.inlineBudgetMs,
    hasQueue: overrides.queue !== undefined || config.queueUrl !== undefined,
    onDelivery: overrides.onDelivery,
    logger,
    metrics,
  });
}
