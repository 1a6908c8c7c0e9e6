import { describe, expect, it } from 'vitest';
import { synthesizeApp } from '../support/cdk-app.ts';

/**
 * The template with what changes on every build taken out: asset hashes (the bundles' content)
 * and the CDK version's bootstrap parameter. What is left changes only when the infrastructure
 * does, so a change nobody meant shows up in review as a diff of this snapshot.
 */
function normalised(template: unknown): unknown {
  const text = JSON.stringify(template, null, 2)
    .replace(/[0-9a-f]{64}(\.zip|\.json)?/g, (_, ext: string | undefined) => `<asset hash>${ext ?? ''}`)
    .replace(/"cdk-[0-9a-z]{9}-assets-/g, '"cdk-<qualifier>-assets-');
  return JSON.parse(text);
}

describe('the synthesized template', () => {
  it('is the reviewed one, by default', async () => {
    const { template } = synthesizeApp();
    await expect(JSON.stringify(normalised(template.toJSON()), null, 2) + '\n').toMatchFileSnapshot('__snapshots__/passport-webhook.template.json');
  });

  it('is the reviewed one with FusionAuth\'s API, an allow-list and a scheduled reconcile', async () => {
    const { template } = synthesizeApp({ fusionAuthUrl: 'https://auth.example.com', allowedSources: '203.0.113.10/32', reconcileSchedule: 'rate(1 day)' });
    await expect(JSON.stringify(normalised(template.toJSON()), null, 2) + '\n').toMatchFileSnapshot(
      '__snapshots__/passport-webhook-all-features.template.json',
    );
  });
});
