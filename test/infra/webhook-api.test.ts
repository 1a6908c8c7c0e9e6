import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  BULK_DELETE_USERS,
  EDGE_DEFAULTS,
  FUSIONAUTH_PEAK_RATE,
  resolveEdgePolicy,
  SOURCES_AT_LIMIT_ABSORBED,
  WAF_ESTIMATE_HEADROOM,
} from '../../infra/edge-policy.ts';
import { PassportWebhook, WebhookApi, type WebhookApiProps } from '../../infra/index.ts';
import { resources } from './template.ts';

function api(props: WebhookApiProps = {}) {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TheirStack');
  const handler = new LambdaFunction(stack, 'Handler', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
  const webhookApi = new WebhookApi(stack, 'WebhookApi', { ...props, handler });
  return { webhookApi, template: Template.fromStack(stack) };
}

describe('the edge defaults', () => {
  it('let a whole bulk delete of 10,000 users from one FusionAuth address through one window, with headroom for WAF\'s estimate', () => {
    expect(EDGE_DEFAULTS.perSourceWindowSeconds).toBe(600);
    expect(EDGE_DEFAULTS.perSourceLimit).toBe(BULK_DELETE_USERS * WAF_ESTIMATE_HEADROOM);
    expect(EDGE_DEFAULTS.perSourceLimit).toBe(15_000);
  });

  it('carry FusionAuth at its peak and 16 other sources at their per-source limit on the stage', () => {
    const perSourceRate = EDGE_DEFAULTS.perSourceLimit / EDGE_DEFAULTS.perSourceWindowSeconds;
    expect(perSourceRate).toBe(25);
    expect(EDGE_DEFAULTS.rateLimit).toBe(FUSIONAUTH_PEAK_RATE + SOURCES_AT_LIMIT_ABSORBED * perSourceRate);
    expect(EDGE_DEFAULTS.rateLimit).toBe(500);
    expect(EDGE_DEFAULTS.burstLimit).toBe(1000);
    // A bulk delete at FusionAuth's peak lasts 100 s: the stage never refuses it on its own.
    expect(FUSIONAUTH_PEAK_RATE).toBeLessThan(EDGE_DEFAULTS.rateLimit);
  });
});

describe('resolveEdgePolicy', () => {
  it('takes addresses and ranges of both families, written canonically, each once', () => {
    const { allowedSources } = resolveEdgePolicy({
      allowedSources: [' 203.0.113.10 ', '198.51.100.0/24', '203.0.113.10/32', '2001:DB8:0:0::/32', '2001:db8::1', '::ffff:192.0.2.1'],
    });
    expect(allowedSources).toEqual({
      ipv4: ['203.0.113.10/32', '198.51.100.0/24'],
      ipv6: ['2001:db8::/32', '2001:db8::1/128', '::ffff:c000:201/128'],
    });
  });

  it.each([
    [{ allowedSources: ['192.0.2.7/24'] }, /"192.0.2.7\/24" is not written from the range's first address; write 192.0.2.0\/24/],
    [{ allowedSources: ['2001:db8::1/32'] }, /write 2001:db8::\/32/],
    [{ allowedSources: ['0.0.0.0/0'] }, /not an IPv4 or IPv6 address or CIDR range/],
    [{ allowedSources: ['fusionauth.example.com'] }, /"fusionauth.example.com" is not an IPv4 or IPv6 address/],
    [{ allowedSources: ['192.0.2.0/33'] }, /not an IPv4 or IPv6 address or CIDR range/],
    [{ perSourceLimit: 9 }, /api.perSourceLimit must be a whole number from 10 to 2000000000/],
    [{ perSourceLimit: 100.5 }, /api.perSourceLimit must be a whole number/],
    [{ perSourceWindowSeconds: 900 }, /api.perSourceWindow must be one of AWS WAF's windows, 60, 120, 300, 600 seconds; got 900/],
    [{ waf: false, perSourceLimit: 1000 }, /api.perSourceLimit is an AWS WAF rule: it cannot be set with api.waf false/],
    [{ rateLimit: 0 }, /api.rateLimit must be above 0/],
    [{ rateLimit: 20_000 }, /at most 10000 requests per second/],
    [{ burstLimit: 5001 }, /api.burstLimit must be a whole number from 1 to 5000/],
  ])('refuses %j', (settings, message) => {
    expect(() => resolveEdgePolicy(settings)).toThrow(message);
  });
});

describe('WebhookApi, on its own', () => {
  it('keeps strangers out with the allow-list: first in WAF, then in the resource policy', () => {
    const { template } = api({ allowedSources: ['203.0.113.10'] });
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0]!.Properties;
    expect(acl.Rules[0]).toMatchObject({
      Name: 'AllowedSources',
      Priority: 0,
      Statement: { NotStatement: { Statement: { IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/AllowedSourcesIpv4/), 'Arn'] } } } } },
      Action: { Block: { CustomResponse: { ResponseCode: 403, CustomResponseBodyKey: 'sourceNotAllowed' } } },
    });
    template.resourceCountIs('AWS::WAFv2::IPSet', 1);
    template.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: ['203.0.113.10/32'] });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.10/32'] } } },
        ],
      },
    });
  });

  it('without WAF: only the throttle and the resource policy, no web ACL', () => {
    const { template, webhookApi } = api({ waf: false, allowedSources: ['203.0.113.10'] });
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(webhookApi.webAcl).toBeUndefined();
    expect(webhookApi.metricRateLimited()).toBeUndefined();
    expect(webhookApi.policy).toMatchObject({ waf: false, rateLimit: 500, burstLimit: 1000 });
  });

  it('takes the per-source window as a Duration of whole seconds', () => {
    const { template } = api({ perSourceLimit: 2000, perSourceWindow: Duration.minutes(1) });
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0]!.Properties;
    expect(acl.Rules[0].Statement.RateBasedStatement).toEqual({ AggregateKeyType: 'IP', Limit: 2000, EvaluationWindowSec: 60 });
    expect(() => api({ perSourceWindow: Duration.millis(1500) })).toThrow(/api.perSourceWindow must be whole seconds/);
    expect(() => api({ perSourceWindow: Duration.minutes(3) })).toThrow(/one of AWS WAF's windows/);
  });

  it('leaves the account logging role to another stack when told to', () => {
    const { template } = api({ accountLoggingRole: false });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.resourceCountIs('AWS::IAM::Role', 1); // the handler's
  });
});

describe('two webhooks in one stack', () => {
  it('get an API, a web ACL and metrics of their own, and share the one account logging setting', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TwoWebhooks');
    const production = new PassportWebhook(stack, 'Production');
    const staging = new PassportWebhook(stack, 'Staging');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    template.resourceCountIs('AWS::WAFv2::WebACL', 2);
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const names = (type: string) => Object.values(template.findResources(type)).map((resource) => resource.Properties.Name);
    expect(new Set(names('AWS::ApiGateway::RestApi')).size).toBe(2);
    expect(new Set(names('AWS::WAFv2::WebACL')).size).toBe(2);
    expect(production.api.webAcl!.name).not.toBe(staging.api.webAcl!.name);
    // Both stages wait for it.
    const account = Object.keys(template.findResources('AWS::ApiGateway::Account'))[0]!;
    for (const stage of Object.values(template.findResources('AWS::ApiGateway::Stage'))) expect(stage.DependsOn).toContain(account);
    expect(Object.values(resources(template)).filter((resource) => resource.Type === 'AWS::Logs::MetricFilter')).toHaveLength(2);
  });
});
