// Preloaded (`node --import`) by synth-imports.test.ts: prints, as the process exits, every module
// it loaded, ES modules through a load hook and CommonJS ones from require's cache.
import { createRequire, registerHooks } from 'node:module';

const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  const required = Object.keys(createRequire(import.meta.url).cache);
  process.stdout.write(`${JSON.stringify([...loaded, ...required])}\n`);
});
