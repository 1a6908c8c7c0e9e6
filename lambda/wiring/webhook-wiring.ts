import { type Authenticator, createAuthenticator } from '../auth/authenticate.ts';
import { readWebhookConfig } from '../config.ts';
import { createDeliveryHandler, type DeliveryDependencies, type DeliveryHandler } from '../delivery.ts';
import type { Env } from '../env.ts';
import { logger, metrics } from '../observability.ts';
import { type ErasureWiringOverrides, wireErasures } from './erasure-wiring.ts';

export interface WebhookOverrides extends ErasureWiringOverrides, Pick<DeliveryDependencies, 'onDelivery'> {
  /** Checks built from another configuration than the environment's (tests of each auth mode). */
  readonly authenticator?: Authenticator;
}

/** The webhook as its environment describes it; a configuration that cannot work throws here, at init. */
export async function createWebhook(env: Env, overrides: WebhookOverrides = {}): Promise<DeliveryHandler> {
  const config = readWebhookConfig(env);
  const { erasures, queue } = await wireErasures(config, { logger, metrics }, overrides);
  return createDeliveryHandler({
    auth: overrides.authenticator ?? createAuthenticator(config.auth),
    erasures,
    todoApplicationId: config.settings.todoApplicationId,
    eraseBeforeCommit: config.eraseBeforeCommit,
    inlineBudgetMs: config.inlineBudgetMs,
    hasQueue: queue !== undefined,
    onDelivery: overrides.onDelivery,
    logger,
    metrics,
  });
}
