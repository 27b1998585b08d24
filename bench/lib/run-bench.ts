/**
 * Runs a benchmark's main and always cleans up what it made (its schema and
 * Redis keys), also on Ctrl-C, then exits with main's code.
 */
export async function runBench(main: () => Promise<number>, cleanUp: () => Promise<void>): Promise<never> {
  // Ctrl-C during the normal teardown must not start a second one
  let tornDown: Promise<void> | undefined;
  const teardown = () => (tornDown ??= cleanUp());
  let code = 1;
  process.once('SIGINT', () => {
    console.error('interrupted: cleaning up the bench schema and Redis keys');
    void teardown().finally(() => process.exit(130));
  });
  try {
    code = await main();
  } catch (err) {
    console.error(err);
  } finally {
    await teardown();
  }
  process.exit(code);
}

/** Runs cleanup steps in order; a failing (or absent) step never skips the rest. */
export async function cleanUpInOrder(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch {
      // best effort: the next resource still gets closed
    }
  }
}
