/**
 * `npm run register`: creates or updates this project's webhook in Passport (FusionAuth) and
 * enables its events in the chosen tenants, through FusionAuth's Webhook and Tenant APIs.
 * `npm run register -- --help` lists the options.
 */
import { parseOptions, USAGE, UsageError } from './register/options.ts';
import { register } from './register/run.ts';

try {
  const command = parseOptions(process.argv.slice(2), process.env);
  if (command.help) {
    console.log(USAGE);
  } else {
    for (const warning of command.warnings) console.error(`warning: ${warning}`);
    await register(command.options, { info: (text) => console.log(text) });
  }
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n(npm run register -- --help lists the options.)`);
    process.exitCode = 2;
  } else {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
