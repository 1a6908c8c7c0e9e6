import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addTodos } from '../../local/todo-admin.ts';
import { httpApiEvent, passportEvent } from '../support/events.ts';
import { startTodoTable, type TestTodoTable } from '../support/todo-table.ts';
import { captureLogs, TEST_KEY, testWebhook } from '../support/webhook.ts';

let todos: TestTodoTable;
beforeAll(async () => {
  todos = await startTodoTable();
});
afterAll(() => todos.close());

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [field: string]: unknown;
}

describe('EMF metrics', () => {
  it('records each delivery by type and outcome, with its duration and the Todos deleted', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    try {
      await addTodos(todos.client, todos.table, 'metered', 7);
      const handler = testWebhook(todos, { metrics: new Metrics({ namespace: 'PassportWebhook', serviceName: 'passport-webhook' }) });
      const lines = await captureLogs(async () => {
        await handler(httpApiEvent({ body: passportEvent({ type: 'user.delete', user: { id: 'metered' } }), headers: { authorization: TEST_KEY } }));
        await handler(httpApiEvent({ body: passportEvent({ type: 'test' }), headers: { authorization: 'wrong' } }));
      });
      const emf = lines.filter((line) => '_aws' in line) as unknown as Emf[];
      expect(emf).toHaveLength(2);
      const [handled, rejected] = emf as [Emf, Emf];
      expect(handled._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: 'PassportWebhook',
        Dimensions: [expect.arrayContaining(['service', 'eventType', 'outcome'])],
      });
      expect(handled._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual(['Deliveries', 'DeliveryDuration', 'TodosDeleted']);
      expect(handled).toMatchObject({ eventType: 'user.delete', outcome: 'handled', Deliveries: 1, TodosDeleted: 7 });
      expect(rejected).toMatchObject({ eventType: 'none', outcome: 'rejected', Deliveries: 1 });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
