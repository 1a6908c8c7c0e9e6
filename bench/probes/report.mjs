// @ts-check
import { writeSync } from 'node:fs';

/**
 * Reports one result to the parent on fd 3, one JSON line: stdout and stderr stay the handler's
 * log, as in Lambda.
 * @param {unknown} message
 */
export const report = (message) => {
  writeSync(3, `${JSON.stringify(message)}\n`);
};
