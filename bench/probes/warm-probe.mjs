// @ts-check
/**
 * `node warm-probe.mjs <config.json>`: warm handler latency, ours and the baseline's, in one
 * process. Both bundles are loaded (their init is not measured), warmed up, then called in
 * alternating batches (A then B, then B then A, …) so that the machine's noise, GC and JIT
 * land on both alike. Each call is timed alone, from invocation to the settled answer, as
 * Lambda's billed duration counts it. The handlers' logs go to this process's stdout, a file.
 *
 * The config: { handlers: { [name]: bundlePath }, scenarios: [{ name, eventFile }],
 *               calls, batch, warmup }.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from './lambda-context.mjs';
import { report } from './report.mjs';

/**
 * @typedef {{ handlers: Record<string, string>, scenarios: { name: string, eventFile: string }[],
 *             calls: number, batch: number, warmup: number }} Config
 * @typedef {(event: unknown, context: unknown) => Promise<{ statusCode: number }>} Handler
 */

const configFile = process.argv[2];
if (!configFile) throw new Error('usage: node warm-probe.mjs <config.json>');
/** @type {Config} */
const config = JSON.parse(readFileSync(configFile, 'utf8'));

/** @type {[string, Handler][]} */
const handlers = [];
for (const [name, bundle] of Object.entries(config.handlers)) {
  handlers.push([name, (await import(pathToFileURL(bundle).href)).handler]);
}
const context = lambdaContext('bench-warm');

for (const scenario of config.scenarios) {
  const event = JSON.parse(readFileSync(scenario.eventFile, 'utf8'));
  /** @type {Record<string, number[]>} */
  const samples = Object.fromEntries(handlers.map(([name]) => [name, []]));
  /** @type {Record<string, number>} */
  const failures = Object.fromEntries(handlers.map(([name]) => [name, 0]));

  for (const [, handler] of handlers) for (let i = 0; i < config.warmup; i++) await handler(event, context);

  for (let batch = 0, done = 0; done < config.calls; batch++) {
    const size = Math.min(config.batch, config.calls - done);
    const order = batch % 2 === 0 ? handlers : [...handlers].reverse();
    for (const [name, handler] of order) {
      for (let i = 0; i < size; i++) {
        const started = performance.now();
        const { statusCode } = await handler(event, context);
        samples[name].push(performance.now() - started);
        if (statusCode !== 200) failures[name] += 1;
      }
    }
    done += size;
  }
  report({ scenario: scenario.name, samples, failures });
}
process.exit(0);
