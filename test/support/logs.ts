/** What Powertools writes to stdout and stderr (errors) while `run` runs, one parsed object per line. */
export async function captureLogs(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  let captured = '';
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      captured += chunk.toString();
      return true;
    }) as typeof stream.write;
  }
  try {
    await run();
  } finally {
    streams.forEach((stream, i) => {
      stream.write = writes[i]!;
    });
  }
  return captured
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
