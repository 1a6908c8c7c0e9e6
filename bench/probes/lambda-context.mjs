// @ts-check
/**
 * The context the Lambda runtime passes a handler, for the probes: they run in plain `node`, as
 * Lambda runs the bundle, so they cannot import local/lambda-context.ts (TypeScript); this is
 * its shape. The defaults are the webhook function's timeout and memory (infra/).
 */
import { randomUUID } from 'node:crypto';

/** @param {string} functionName */
export function lambdaContext(functionName, timeoutMs = 25_000, memoryMb = 512) {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const unsupported = () => {
    throw new Error('callback-style completion is not supported: the handler is async');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `bench/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

