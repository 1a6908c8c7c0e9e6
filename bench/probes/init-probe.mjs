// @ts-check
/**
 * `node init-probe.mjs <bundle> [event.json]`: a cold start, in this fresh process, as the Lambda
 * runtime makes one: import the bundle (which builds the handler at init), then, given an event,
 * invoke it once. Reports on fd 3, so that stdout and stderr stay the handler's log.
 */
import { readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile] = process.argv.slice(2);
if (!bundle) throw new Error('usage: node init-probe.mjs <bundle> [event.json]');
// Read before the clock starts: only the import and the invocation are timed.
const event = eventFile ? JSON.parse(readFileSync(eventFile, 'utf8')) : undefined;
const deadline = Date.now() + 25_000;
const context = { awsRequestId: 'bench-init', functionName: 'bench', getRemainingTimeInMillis: () => deadline - Date.now() };

const started = performance.now();
const cpu = process.cpuUsage();
const { handler } = await import(pathToFileURL(bundle).href);
const importMs = performance.now() - started;
// CPU time as well: on a shared machine it moves less than the wall clock, which waits for the CPU.
const { user, system } = process.cpuUsage(cpu);
const result = event ? await handler(event, context) : undefined;
writeSync(3, `${JSON.stringify({ importMs, importCpuMs: (user + system) / 1000, statusCode: result?.statusCode })}\n`);
// Lambda freezes the sandbox once answered; the SDK's keep-alive sockets would hold this process open.
process.exit(0);
