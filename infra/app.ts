/** The CDK app of cdk.json: `npx cdk synth`, `npx cdk deploy`. Settings come from CDK context. */
import { App } from 'aws-cdk-lib';
import { definePassportWebhookApp } from './define-app.ts';

definePassportWebhookApp(new App());
