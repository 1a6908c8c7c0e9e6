import type { Env } from '../lambda/env.ts';

/**
 * What a local run assumes where nothing is set: the one-table shorthand `Todos` (unless a
 * target list is given) and a ledger table `Erasures`, both of which `npm start` creates.
 */
export function applyLocalDefaults(env: Record<string, string | undefined>): Env {
  if (!env.DELETION_TARGETS?.trim()) env.TODO_TABLE_NAME ||= 'Todos';
  env.ERASURE_LEDGER_TABLE_NAME ||= 'Erasures';
  return env;
}
