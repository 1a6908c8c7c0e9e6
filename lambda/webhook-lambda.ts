import { createWebhook } from './wiring/webhook-wiring.ts';

// Built once per container, at init: a configuration that cannot work (a target whose table is
// missing, a key that is not set) fails here, in the log, before any delivery.
export const handler = await createWebhook(process.env);
