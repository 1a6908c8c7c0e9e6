import { SOURCE_MAPS_ENVIRONMENT } from '../../infra/lambda-bundling.ts';
import { FUNCTION_LOGICAL_ID } from '../../infra/names.ts';
import type { Template } from './bundles.ts';
import { LOCAL_AWS, TODO_TABLE } from './local-dynamodb.ts';

/** The one API key every benchmark sends; the handlers under test accept only it. */
export const BENCH_API_KEY = 'bench-webhook-key-0123456789abcdef';

/** What CloudFormation resolves at deploy time (Refs, GetAtts), as this machine stands it in. */
const STAND_INS: Readonly<Record<string, string>> = { TODO_TABLE_NAME: TODO_TABLE.tableName };

/**
 * The function's environment as the synthesized template declares it (log level, service
 * names, NODE_OPTIONS for source maps, …), with local stand-ins for deploy-time values, the
 * API key in place of the secret, dynalite as the endpoint, and what the Lambda runtime itself
 * provides (region, credentials). Nothing else from the shell: every process under test gets
 * the same environment, so the baseline pays for the same NODE_OPTIONS as ours.
 */
export function lambdaEnvironment(declared: Readonly<Record<string, unknown>>, endpoint: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(declared)) {
    if (typeof value === 'string') env[name] = value;
    else if (STAND_INS[name] !== undefined) env[name] = STAND_INS[name];
    // Other deploy-time values (the secret's ARN) have no local meaning: WEBHOOK_API_KEYS replaces it.
  }
  return {
    ...env,
    ...LOCAL_AWS,
    WEBHOOK_API_KEYS: BENCH_API_KEY,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  };
}

/** The variables the template declares for the function; values CloudFormation resolves are objects. */
export const declaredEnvironment = (template: Template): Record<string, unknown> =>
  (template.Resources[FUNCTION_LOGICAL_ID]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
  {};

/** What the function declares when no template could be synthesized: infra's defaults, by hand. */
export const FALLBACK_ENVIRONMENT: Readonly<Record<string, unknown>> = {
  TODO_TABLE_NAME: { Ref: 'TodoTable' },
  POWERTOOLS_SERVICE_NAME: 'passport-webhook',
  POWERTOOLS_METRICS_NAMESPACE: 'PassportWebhook',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  ...SOURCE_MAPS_ENVIRONMENT,
};
