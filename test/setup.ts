import { useLocalAwsDefaults } from '../local/aws-env.ts';

// Tests never reach AWS: local endpoints with fixed credentials, no EMF on stdout, and quiet
// Powertools unless a test asks for log lines.
useLocalAwsDefaults(process.env);
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
