// @ts-check
/**
 * `node first-request-probe.mjs <bundle> <event.json>`: a cold start as a caller sees it. This
 * fresh process imports the bundle, invokes its handler once with the API Gateway event and
 * reports the answer; the parent times it from spawn() to the report. The event is read first so
 * that only the import and the invocation are between process start and the answer.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from './lambda-context.mjs';
import { report } from './report.mjs';

const [bundle, eventFile] = process.argv.slice(2);
if (!bundle || !eventFile) throw new Error('usage: node first-request-probe.mjs <bundle> <event.json>');
const event = JSON.parse(readFileSync(eventFile, 'utf8'));

const started = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const imported = performance.now();
const result = await handler(event, lambdaContext('bench-first-request'));
const answered = performance.now();
report({
  statusCode: result?.statusCode,
  importMs: imported - started,
  invokeMs: answered - imported,
  sinceProcessStartMs: answered,
});
// Lambda freezes the sandbox once the handler has answered; the SDK's keep-alive socket would
// otherwise hold this process open.
process.exit(0);
