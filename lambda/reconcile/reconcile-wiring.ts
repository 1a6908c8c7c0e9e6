import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { credentialSource, parseList } from '../auth/credential-source.ts';
import type { FusionAuthApiConfig } from '../erasure/erasure-config.ts';
import { powertoolsErasureMetrics } from '../erasure/erasure-metrics.ts';
import { fusionAuthUserSearch, fusionAuthUsers } from '../erasure/fusionauth-users.ts';
import type { ErasureWiring } from '../wiring/erasure-wiring.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { ReconcileConfig } from './reconcile-config.ts';
import { ReconcileRunStore } from './reconcile-run-store.ts';
import { ScheduledReconcile } from './scheduled-reconcile.ts';
import { getChecker, searchChecker } from './user-checker.ts';

/** The worker's scheduled reconcile, on the worker's own clients, targets, ledger, queue and FusionAuth key. */
export function wireReconcile(
  config: ReconcileConfig,
  fusionAuth: FusionAuthApiConfig,
  wiring: ErasureWiring,
  { logger, metrics }: { readonly logger: Logger; readonly metrics: Metrics },
): ScheduledReconcile {
  if (!wiring.queue) throw new Error('a scheduled reconcile needs the job queue');
  const apiKey = credentialSource(fusionAuth.apiKey, parseList, 'FusionAuth API key');
  const search = fusionAuthUserSearch({ url: fusionAuth.url, apiKey });
  const users = fusionAuthUsers({ url: fusionAuth.url, apiKey });
  return new ScheduledReconcile({
    runs: new ReconcileRunStore(wiring.dynamoDb, config.tableName),
    client: wiring.dynamoDb,
    targets: wiring.targets,
    ledger: wiring.ledger,
    checkerFor: (requestsPerSecond) => {
      const rateLimiter = new RateLimiter(requestsPerSecond);
      return config.lookup === 'search' ? searchChecker(search, { rateLimiter, batchSize: config.batchSize }) : getChecker(users, { rateLimiter });
    },
    erasures: wiring.erasures,
    queue: wiring.queue,
    config,
    metrics: powertoolsErasureMetrics(metrics),
    logger,
  });
}
