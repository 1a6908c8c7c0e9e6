import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import {
  LAMBDA_ARCHITECTURE,
  LAMBDA_BUNDLING,
  LAMBDA_RUNTIME,
  lambdaEntry,
  SOURCE_MAPS_ENVIRONMENT,
} from './lambda-bundling.ts';

export interface LambdaFunctionProps {
  /** The file under `lambda/` that exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** What the role is for; IAM shows it next to the role. */
  readonly roleDescription: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * A function of the webhook (constructs `${id}`, `${id}Role` and `${id}Logs` in `scope`): the
 * shared runtime and bundling, and its own log group and role, the role allowed to write that log
 * group and nothing else until the caller grants more.
 */
export function createLambdaFunction(scope: Construct, id: string, props: LambdaFunctionProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
  // Its own role rather than AWSLambdaBasicExecutionRole, whose logs permissions cover every log group.
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, id, {
    description: props.description,
    entry: lambdaEntry(props.entry),
    handler: 'handler',
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    environment: { ...props.environment, ...SOURCE_MAPS_ENVIRONMENT },
    bundling: LAMBDA_BUNDLING,
  });
  return fn;
}

/**
 * GetSecretValue on the secret, and nothing else of Secrets Manager; a secret encrypted with a
 * customer managed key also needs that key to decrypt it.
 */
export function grantSecretRead(fn: IFunction, secret: ISecret): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
  secret.encryptionKey?.grantDecrypt(fn);
}
