import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, type IFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type LambdaName, lambdaCode } from './lambda-assets.ts';

/** Every function of the webhook runs on this: the Node.js the tests run on (the `node` devDependency). */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
/** Graviton: cheaper per millisecond than x86, and nothing in the bundle is native code. */
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;

export interface LambdaFunctionProps {
  /** Which of the two functions' code it runs (infra/lambda-assets.ts). */
  readonly code: LambdaName;
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
 * shared runtime, its code bundled as infra/lambda-assets.ts says, and its own log group and role, the role allowed to write that log
 * group and nothing else until the caller grants more.
 */
export function createLambdaFunction(scope: Construct, id: string, props: LambdaFunctionProps): LambdaFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
  // Its own role rather than AWSLambdaBasicExecutionRole, whose logs permissions cover every log group.
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);
  return new LambdaFunction(scope, id, {
    description: props.description,
    code: lambdaCode(props.code),
    handler: 'index.handler',
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    environment: props.environment,
  });
}

/**
 * GetSecretValue on the secret, and nothing else of Secrets Manager; a secret encrypted with a
 * customer managed key also needs that key to decrypt it.
 */
export function grantSecretRead(fn: IFunction, secret: ISecret): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
  secret.encryptionKey?.grantDecrypt(fn);
}
