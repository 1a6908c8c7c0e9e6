import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
  engines: { node: string };
};

describe('the Node.js the tests run on', () => {
  it('is the pinned `node` devDependency, the version Lambda runs (nodejs24.x)', () => {
    expect(manifest.devDependencies.node).toMatch(/^24\.\d+\.\d+$/);
    expect(process.versions.node).toBe(manifest.devDependencies.node);
    expect(manifest.engines.node).toBe('>=24');
  });
});
