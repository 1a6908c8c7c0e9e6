import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigurationError } from '../errors.ts';
import { fieldsFor } from './erasure-plan.ts';
import type { TemplateField } from './key-template.ts';
import { type ResolvedTarget, resolveTargets } from './table-schema.ts';
import type { ErasureScope, TargetsConfig } from './target-spec.ts';

/** The deletion targets of a function: their fields known at once, their keys once the tables are described. */
export interface TargetCatalog {
  /** The event fields the targets of `scope` read. */
  fieldsFor(scope: ErasureScope): readonly TemplateField[];
  /** Every target bound to its table, described once per container. */
  resolved(): Promise<readonly ResolvedTarget[]>;
}

/**
 * Describes the tables at init, so that a target that cannot work (a table or index that does
 * not exist, a Scan-only layout) stops the function before any delivery. A failure that says
 * nothing about the targets (DynamoDB unreachable for a moment) does not: the tables are
 * described again when an erasure first needs them, and deliveries that erase nothing never wait.
 */
export async function openTargetCatalog(
  client: DynamoDBClient,
  config: TargetsConfig,
  onDeferred: (error: unknown) => void = () => {},
): Promise<TargetCatalog> {
  let resolved: Promise<readonly ResolvedTarget[]> | undefined;
  const resolve = () => {
    resolved ??= resolveTargets(client, config).catch((error: unknown) => {
      resolved = undefined;
      throw error;
    });
    return resolved;
  };
  try {
    await resolve();
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    onDeferred(error);
  }
  const fields = new Map<ErasureScope, readonly TemplateField[]>();
  return {
    fieldsFor(scope) {
      let list = fields.get(scope);
      if (!list) fields.set(scope, (list = fieldsFor(config.targets, scope)));
      return list;
    },
    resolved: resolve,
  };
}
