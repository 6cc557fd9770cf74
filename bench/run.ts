/**
 * Runs a benchmark's main and always cleans up what it created (databases, servers), also on Ctrl-C.
 * Exits with main's code: non-zero only when the benchmark itself failed, never for a missed target.
 */
export async function runBenchmark(main: () => Promise<number>, cleanUp: () => Promise<void>): Promise<never> {
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('\ninterrupted: cleaning up');
    void cleanUp().finally(() => process.exit(130));
  });
  let exitCode = 1;
  try {
    exitCode = await main();
  } catch (error) {
    console.error('benchmark failed:', error);
  } finally {
    if (!interrupted) await cleanUp();
  }
  process.exit(exitCode);
}
