import { createWebhook } from './wiring.ts';

// Built once per container, at init: a configuration that cannot work fails here, in the log,
// before any delivery.
export const handler = createWebhook(process.env);
