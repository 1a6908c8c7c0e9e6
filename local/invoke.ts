/**
 * `npm run invoke -- <event.json> [--template <file>] [--function <logicalId>] [--env-vars <file>]`
 *
 * What `sam local invoke -t cdk.out/PassportWebhookStack.template.json <function> -e <event>
 * --env-vars env.local.json` does, without Docker: it loads the function's bundled asset from
 * cdk.out through the template's Handler string, sets the template's environment and then
 * env.local.json's, calls the handler once with the event and a Lambda context, and prints the
 * result. Run `npx cdk synth` first, and again after a handler change.
 *
 * The function is WebhookFunction (API Gateway events, e.g. events/user-delete.json) unless
 * `--function DeletionWorkerFunction` names the deletion worker (SQS events, e.g.
 * events/erasure-job.json), which prints `{"batchItemFailures":[...]}` as Lambda gets it.
 *
 * As with sam local, the result is the only thing on stdout (the function's logs go to stderr),
 * and env.local.json sets only the variables the template declares. Unlike sam local's container,
 * this runs on the Docker host itself, so `host.docker.internal` (the host, seen from a container)
 * becomes `localhost`: the same env.local.json serves both.
 */
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FUNCTION_LOGICAL_ID, STACK_ID, WORKER_FUNCTION_LOGICAL_ID } from '../infra/names.ts';
import { useLocalAwsDefaults } from './aws-env.ts';
import { lambdaContext } from './lambda-context.ts';

const USAGE =
  'usage: npm run invoke -- <event.json> [--template <file>] [--function <logicalId>] [--env-vars <file>]\n' +
  `  --function ${FUNCTION_LOGICAL_ID} (default) with events/user-delete.json, or ${WORKER_FUNCTION_LOGICAL_ID} with events/erasure-job.json`;
const DEFAULT_TEMPLATE = `cdk.out/${STACK_ID}.template.json`;
const DEFAULT_ENV_VARS = 'env.local.json';
/** Where the Node.js runtime looks for the handler's module, in this order. */
const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs'];

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A problem with the command line or the synthesized files, not with the handler. */
class SetupError extends Error {}

const note = (message: string) => console.error(`invoke: ${message}`);

function readJson(path: string, what: string, hint = ''): unknown {
  if (!existsSync(path)) throw new SetupError(`${what} ${path} does not exist.${hint}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SetupError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The function to run: the one named, else WebhookFunction, else the template's only Node.js function. */
function findFunction(resources: Record<string, CfnResource>, requested: string | undefined): [string, CfnResource] {
  const functions = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
  const wanted = requested ?? FUNCTION_LOGICAL_ID;
  const named = functions.find(([id]) => id === wanted);
  if (named) return named;
  const nodeFunctions = functions.filter(([, { Properties }]) => String(Properties?.Runtime).startsWith('nodejs'));
  if (!requested && nodeFunctions.length === 1) return nodeFunctions[0]!;
  const ids = functions.map(([id]) => id).join(', ') || 'none';
  throw new SetupError(`The template has no function ${wanted}; its functions: ${ids}. Name one with --function.`);
}

/** The bundled code: sam local and this script both find it through the asset metadata CDK writes. */
function assetDirectory(templatePath: string, id: string, resource: CfnResource): string {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') {
    throw new SetupError(`${id} has no "aws:asset:path" metadata: synthesize with \`npx cdk synth\`, which writes it.`);
  }
  const directory = resolve(dirname(templatePath), assetPath);
  if (!existsSync(directory)) throw new SetupError(`${id}'s asset ${directory} is missing: run \`npx cdk synth\` again.`);
  return directory;
}

/** `index.handler` names the export `handler` of `index.js`, `.mjs` or `.cjs`, as the Node.js runtime reads it. */
function handlerModule(directory: string, handler: unknown): { handler: string; file: string; exportName: string } {
  if (typeof handler !== 'string' || !/^[^.]+\.[^.]+$/.test(basename(handler))) {
    throw new SetupError(`Handler ${JSON.stringify(handler)} is not of the form "file.export".`);
  }
  const dot = handler.lastIndexOf('.');
  const [modulePath, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
  const file = MODULE_EXTENSIONS.map((extension) => join(directory, modulePath + extension)).find(existsSync);
  if (!file) throw new SetupError(`No ${modulePath}${MODULE_EXTENSIONS.join('/')} in ${directory}.`);
  return { handler, file, exportName };
}

/**
 * The template's Environment.Variables, then the env-vars file's `Parameters` and its entry for
 * this function, as sam local merges them: a variable the template does not declare stays unset.
 */
function functionEnvironment(id: string, resource: CfnResource, envVarsPath: string | undefined) {
  const declared = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {});
  const environment: Record<string, string> = {};
  const unresolved = new Set<string>();
  for (const [name, value] of Object.entries(declared)) {
    if (typeof value === 'string') environment[name] = value;
    else unresolved.add(name); // a Ref or Fn::: only CloudFormation knows its value
  }
  if (envVarsPath !== undefined) {
    const file = readJson(envVarsPath, 'The env-vars file') as Record<string, Record<string, unknown> | undefined>;
    for (const [name, value] of Object.entries({ ...file.Parameters, ...file[id] })) {
      if (!(name in declared)) {
        note(`${name} from ${envVarsPath} is ignored, as sam local ignores it: the template does not declare it.`);
        continue;
      }
      environment[name] = String(value);
      unresolved.delete(name);
    }
  }
  for (const [name, value] of Object.entries(environment)) {
    if (!value.includes('host.docker.internal')) continue;
    environment[name] = value.replaceAll('host.docker.internal', 'localhost');
    note(`${name}=${environment[name]} (host.docker.internal is this machine, seen from a container)`);
  }
  for (const name of unresolved) note(`${name} is left unset: the template sets it from a CloudFormation reference.`);
  return { environment, unresolved };
}

function parseCommandLine() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      template: { type: 'string', default: DEFAULT_TEMPLATE },
      function: { type: 'string' },
      'env-vars': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new SetupError(USAGE);
  // The default env-vars file is optional; one named on the command line must exist.
  const envVars = values['env-vars'] ?? (existsSync(DEFAULT_ENV_VARS) ? DEFAULT_ENV_VARS : undefined);
  return { eventPath: positionals[0]!, templatePath: values.template, functionId: values.function, envVars };
}

/** How Lambda reports a failed invocation; sam local prints the same on stdout. */
const errorResult = (error: unknown) =>
  error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') ?? [] }
    : { errorType: typeof error, errorMessage: String(error), trace: [] };

async function main(): Promise<number> {
  const { eventPath, templatePath, functionId, envVars } = parseCommandLine();
  const template = readJson(templatePath, 'The template', ' Run `npx cdk synth` first.') as {
    Resources?: Record<string, CfnResource>;
  };
  const [id, resource] = findFunction(template.Resources ?? {}, functionId);
  const directory = assetDirectory(templatePath, id, resource);
  const { handler, file, exportName } = handlerModule(directory, resource.Properties?.Handler);
  const event = readJson(eventPath, 'The event file');
  const { environment, unresolved } = functionEnvironment(id, resource, envVars);

  const timeoutSeconds = Number(resource.Properties?.Timeout ?? 3);
  const memoryMb = Number(resource.Properties?.MemorySize ?? 128);
  const functionName = typeof resource.Properties?.FunctionName === 'string' ? resource.Properties.FunctionName : id;
  Object.assign(process.env, environment, {
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${String(resource.Properties?.Runtime)}`,
    _HANDLER: handler,
    LAMBDA_TASK_ROOT: dirname(file),
  });
  // A container starts with the template's variables only; this process has the shell's, and
  // these would change the function where sam local's would not.
  for (const name of Object.keys(process.env)) {
    if (/^(POWERTOOLS_|AWS_ENDPOINT_URL)/.test(name) && !(name in environment)) delete process.env[name];
  }
  for (const name of unresolved) delete process.env[name];
  useLocalAwsDefaults(process.env);
  // NODE_OPTIONS is read when a process starts; the one flag the template sets can still be honoured.
  if (environment.NODE_OPTIONS?.includes('--enable-source-maps')) process.setSourceMapsEnabled(true);

  // A handler that returns nothing answers null, as Lambda's does.
  const writeResult = (result: unknown) => writeSync(1, `${JSON.stringify(result ?? null)}\n`);
  // Powertools writes log lines and EMF metrics to stdout; here stdout carries only the result.
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

  note(`${id}: ${file} (${exportName}), ${memoryMb} MB, ${timeoutSeconds} s, event ${eventPath}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    // Imported only now: like a Lambda container, the module reads its environment at init.
    const exported = ((await import(pathToFileURL(file).href)) as Record<string, unknown>)[exportName];
    if (typeof exported !== 'function') throw new SetupError(`${file} does not export a function "${exportName}".`);
    const context = lambdaContext(functionName, timeoutSeconds * 1000, memoryMb);
    const timedOut = new Promise<never>((_, reject) => {
      const error = new Error(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
      timer = setTimeout(() => reject(error), timeoutSeconds * 1000);
    });
    writeResult(await Promise.race([exported(event, context), timedOut]));
    return 0;
  } catch (error) {
    if (error instanceof SetupError) throw error;
    writeResult(errorResult(error));
    return 1;
  } finally {
    clearTimeout(timer);
  }
}

try {
  // Exit now, as Lambda freezes the sandbox once the handler has answered: open keep-alive
  // sockets of the SDK would otherwise hold the process.
  process.exit(await main());
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(error.message);
  process.exit(2);
}
