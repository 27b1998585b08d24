/**
 * Runs a benchmark's main and always cleans up what it made (its schema and
 * Redis keys), also on Ctrl-C, then exits with main's code.
 */
export async function runBench(main: () => Promise<number>, teardown: () => Promise<void>): Promise<never> {
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
