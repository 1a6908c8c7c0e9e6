import { afterEach, describe, expect, it, vi } from 'vitest';
import { DELIVERY_METRIC_DIMENSIONS, ERASURE_METRIC_DIMENSIONS, type ErasureMetricName } from '../../lambda/metric-schema.ts';
import { httpApiEvent, passportEvent } from '../support/events.ts';
import { captureLogs } from '../support/logs.ts';
import { startLocalWebhook, TEST_KEY } from '../support/local-webhook.ts';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [field: string]: unknown;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** The dashboard's SEARCH schema names exactly these, `service` among them (infra/webhook-monitoring.ts). */
const schema = (dimensions: readonly string[]) => [...dimensions, 'service'].sort();

describe('EMF metrics', () => {
  it('record each delivery by type and outcome, and each lifecycle step, with exactly the dimensions the dashboard searches', async () => {
    // Metrics are built at import from the environment, as in a Lambda container.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'PassportWebhook');
    vi.resetModules();
    const { startLocalWebhook: start } = (await import('../support/local-webhook.ts')) as { startLocalWebhook: typeof startLocalWebhook };
    const webhook = await start();
    try {
      const invoke = (body: string, key = TEST_KEY) => webhook.handler(httpApiEvent({ body, headers: { authorization: key } }));
      const lines = await captureLogs(async () => {
        await invoke(passportEvent({ type: 'user.delete', id: 'd1', user: { id: 'metered' } }));
        await invoke(passportEvent({ type: 'user.delete.complete', id: 'c1', user: { id: 'metered' } }));
        await invoke(passportEvent({ type: 'test' }), 'wrong');
        await invoke(passportEvent({ type: 'made.up.type' }));
      });
      const emf = lines.filter((line) => '_aws' in line) as unknown as Emf[];
      const deliveries = emf.filter((line) => 'Deliveries' in line);
      expect(deliveries.map(({ eventType, outcome }) => ({ eventType, outcome }))).toEqual([
        { eventType: 'user.delete', outcome: 'accepted' },
        { eventType: 'user.delete.complete', outcome: 'handled' },
        { eventType: 'none', outcome: 'rejected' },
        // Any string can be sent as a type: unknown ones share one value, so the dimension stays bounded.
        { eventType: 'other', outcome: 'ignored' },
      ]);
      for (const line of deliveries) {
        expect(line._aws.CloudWatchMetrics[0]!.Namespace).toBe('PassportWebhook');
        expect(line._aws.CloudWatchMetrics[0]!.Dimensions.map((set) => [...set].sort())).toEqual([schema(DELIVERY_METRIC_DIMENSIONS)]);
      }
      const lifecycle = emf.filter((line) => !('Deliveries' in line));
      const names = lifecycle.map((line) => line._aws.CloudWatchMetrics[0]!.Metrics[0]!.Name);
      expect(names).toEqual(['ErasuresRequested', 'ErasuresConfirmed', 'TodosErased', 'ErasuresErased', 'ErasureDuration']);
      for (const line of lifecycle) {
        const name = line._aws.CloudWatchMetrics[0]!.Metrics[0]!.Name as ErasureMetricName;
        expect(line._aws.CloudWatchMetrics[0]!.Dimensions.map((set) => [...set].sort())).toEqual([schema(ERASURE_METRIC_DIMENSIONS[name])]);
      }
      expect(lifecycle[1]).toMatchObject({ scope: 'user', method: 'complete-event', ErasuresConfirmed: 1 });
    } finally {
      await webhook.close();
    }
  });
});
