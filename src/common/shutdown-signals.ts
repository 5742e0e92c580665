/**
 * On the first SIGINT or SIGTERM: says so, runs `close` (the application, then the database), exits 0.
 * Later signals while closing are ignored. For the entry points (the API server and the worker).
 */
export function exitOnShutdownSignal(log: (message: string) => void, doing: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: ${doing}`);
    await close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
