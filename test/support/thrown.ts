/** What `run` throws; a test that expected a throw fails when nothing is thrown. */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but nothing was thrown');
}
