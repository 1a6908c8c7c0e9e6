import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The context object the Lambda runtime passes, for running a handler outside Lambda. */
export function lambdaContext(functionName: string, timeoutMs: number, memoryMb = 256): Context {
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
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
