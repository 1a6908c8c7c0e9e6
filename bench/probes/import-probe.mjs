// @ts-check
/**
 * `node import-probe.mjs <bundle>`: what a cold start spends loading the function. Imports the
 * bundle in this fresh process, as the Lambda runtime does at init, and reports how long the
 * import took: parsing, linking and evaluating the module, which for the webhook includes
 * building the handler (configuration, clients) at init.
 */
import { pathToFileURL } from 'node:url';
import { report } from './report.mjs';

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: node import-probe.mjs <bundle>');
const url = pathToFileURL(bundle).href;

const started = performance.now();
const module = await import(url);
const importMs = performance.now() - started;
if (typeof module.handler !== 'function') throw new Error(`${bundle} exports no handler`);
report({ importMs, sinceProcessStartMs: performance.now() });
process.exit(0);
