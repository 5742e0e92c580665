import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, createLogger } from './app.factory.js';
import { exitOnShutdownSignal } from './common/shutdown-signals.js';
import { loadConfigOrExit } from './config/config.js';
import { resolveDatabase } from './database/resolve-database.js';

async function main(): Promise<void> {
  let config = loadConfigOrExit();
  Logger.overrideLogger(createLogger(config));
  const logger = new Logger('Main');

  const database = await resolveDatabase(config, (message) => logger.log(message));
  config = database.config;

  let app;
  try {
    app = await createApp(config);
    await app.listen(config.port);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.close();
    throw error;
  }
  logger.log(`Listening on ${config.publicUrl} (port ${config.port})`);

  exitOnShutdownSignal(
    (message) => logger.log(message),
    'shutting down',
    async () => {
      await app.close();
      await database.close();
    },
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
