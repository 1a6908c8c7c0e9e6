import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// Powertools' own variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) win when
// set; these defaults name a local run.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'passport-webhook';
const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE || 'PassportWebhook';

// One of each per container.
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace, serviceName });
