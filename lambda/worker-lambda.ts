import { createWorker } from './wiring/worker-wiring.ts';

// The second entry: SQS invokes it with the erasure jobs the webhook and the worker queued.
export const handler = await createWorker(process.env);
