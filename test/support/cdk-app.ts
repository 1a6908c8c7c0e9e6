import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { definePassportWebhookApp } from '../../infra/define-app.ts';
import type { PassportWebhookStack } from '../../infra/passport-webhook-stack.ts';

/** cdk.json's context: the feature flags `npx cdk synth` applies, which change what CDK renders. */
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
}).context;

export interface SynthesizedApp {
  readonly app: App;
  readonly stack: PassportWebhookStack;
  readonly template: Template;
}

/**
 * The app `npx cdk synth` defines, with these context values added, synthesized without bundling
 * (a placeholder asset) so a test takes seconds; `extend` adds to the stack first. Synthesis runs
 * the cdk-nag checks: it throws on an unacknowledged finding.
 */
export function synthesizeApp(
  context: Record<string, unknown> = {},
  extend: (stack: PassportWebhookStack) => void = () => {},
): SynthesizedApp {
  // CloudFormation's own rules (the built-in validation) cost seconds per app; they run in the real
  // `npx cdk synth` of test/support/synth.ts, where cdk.json makes any finding fail the synthesis.
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = definePassportWebhookApp(app);
  extend(stack);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The template's one resource of `type`, as CloudFormation sees it. */
export function onlyResource(template: Template, type: string): CfnResource {
  const resources = Object.values(template.findResources(type));
  if (resources.length !== 1) throw new Error(`expected one ${type}, found ${resources.length}`);
  return resources[0] as CfnResource;
}

interface CfnResource {
  readonly Properties: Record<string, any>;
  readonly [attribute: string]: any;
}
