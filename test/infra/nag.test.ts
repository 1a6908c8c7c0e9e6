import { Validations } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { synthesizeApp } from '../support/cdk-app.ts';

const EXISTING_RESOURCES = {
  todoTableName: 'Todos',
  auth: 'api-key,signature,basic',
  apiKeyHeader: 'X-API-Key',
  apiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/api-key-AbC123',
  signingKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/signing-key-AbC123',
  basicAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/basic-AbC123',
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:webhook-alarms',
};
/** Every secret generated: the API key, the signing key and the FusionAuth key's placeholder. */
const GENERATED_SECRETS = { auth: 'api-key,signature', fusionAuthUrl: 'https://auth.example.com' };
/**
 * Deletion targets on imported tables (one with `attribute`, whose Query may read any of its
 * table's indexes) and FusionAuth's API with an existing key.
 */
const TARGETS_AND_FUSIONAUTH = {
  deletionTargets: JSON.stringify([
    { table: 'Todos', attribute: 'ownerId' },
    { table: 'Notes', index: 'byUser', partitionKey: 'USER#{userId}' },
  ]),
  fusionAuthUrl: 'https://auth.example.com',
  fusionAuthApiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/fusionauth-key-AbC123',
};
const TODOS_INDEXES = 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/Todos/index/*]';
/** FusionAuth's egress addresses listed, and no WAF: the resource policy alone keeps strangers off the function. */
const NO_WAF = { waf: 'false', allowedSources: '203.0.113.10,2001:db8::/32' };
/** Every REST API finding the construct acknowledges, on the construct it concerns. */
const API = 'PassportWebhookStack/Webhook/Api/RestApi';
const REST_API_ACKNOWLEDGEMENTS = [
  ['Annotation::AwsSolutions-APIG2', API],
  ['Annotation::AwsSolutions-APIG6', `${API}/DeploymentStage.prod`],
  ['Annotation::AwsSolutions-APIG4', `${API}/Default/passport-webhook/POST`],
  ['Annotation::AwsSolutions-COG4', `${API}/Default/passport-webhook/POST`],
  [
    'Annotation::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'PassportWebhookStack/ApiGatewayAccountLogging/Role',
  ],
];

/** Every acknowledgement in the app, by rule id, with its reason and where it was made. */
function acknowledgements(root: IConstruct) {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ id, reason, path: construct.node.path })),
  );
}

describe('cdk-nag AWS Solutions checks', () => {
  it.each([
    ['with the defaults', {}],
    ['with every auth mode, an existing table, secrets and alarm topic', EXISTING_RESOURCES],
    ['with generated API key, signing and FusionAuth key secrets', GENERATED_SECRETS],
    ['with deletion targets on imported tables and FusionAuth\'s API', TARGETS_AND_FUSIONAUTH],
    ['with FusionAuth\'s egress addresses and no WAF', NO_WAF],
  ])('find nothing unacknowledged in the app %s', (_, context) => {
    const { app } = synthesizeApp(context);
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  });

  it.each([
    [
      'generated secrets',
      GENERATED_SECRETS,
      [
        ['Annotation::AwsSolutions-SMG4', 'PassportWebhookStack/Webhook/ApiKeySecret'],
        ['Annotation::AwsSolutions-SMG4', 'PassportWebhookStack/Webhook/SigningKeySecret'],
        ['Annotation::AwsSolutions-SMG4', 'PassportWebhookStack/Webhook/FusionAuthApiKeySecret'],
        ...REST_API_ACKNOWLEDGEMENTS,
      ],
    ],
    [
      'a target that may read any index of its table',
      TARGETS_AND_FUSIONAUTH,
      [
        ['Annotation::AwsSolutions-SMG4', 'PassportWebhookStack/Webhook/ApiKeySecret'],
        [`Annotation::${TODOS_INDEXES}`, 'PassportWebhookStack/Webhook/ErasureWorker/FunctionRole'],
        [`Annotation::${TODOS_INDEXES}`, 'PassportWebhookStack/Webhook/FunctionRole'],
        ...REST_API_ACKNOWLEDGEMENTS,
      ],
    ],
    [
      'no WAF, which only then is acknowledged, on the stage',
      NO_WAF,
      [
        ['Annotation::AwsSolutions-SMG4', 'PassportWebhookStack/Webhook/ApiKeySecret'],
        ...REST_API_ACKNOWLEDGEMENTS.slice(0, 2),
        ['Annotation::AwsSolutions-APIG3', `${API}/DeploymentStage.prod`],
        ...REST_API_ACKNOWLEDGEMENTS.slice(2),
      ],
    ],
  ])('are acknowledged only where needed, each with its reason, on the construct it concerns: %s', (_, context, expected) => {
    const { app } = synthesizeApp(context);
    const found = acknowledgements(app);
    expect(found.map(({ id, path }) => [id, path])).toEqual(expected);
    for (const { reason } of found) expect(reason.length).toBeGreaterThan(80);
  });

  it('run when the app synthesizes, and fail it on a finding nobody acknowledged', () => {
    // A topic that accepts publishing over plain HTTP: AwsSolutions-SNS3.
    const withAFinding = () => synthesizeApp({}, (stack) => new Topic(stack, 'Unchecked'));
    expect(withAFinding).toThrow(/AwsSolutions-SNS3/);
  });
});
