import { createWorker } from './worker-wiring.ts';

// The second entry: SQS invokes it with deletions the webhook queued. Built once per container.
export const handler = createWorker(process.env);
