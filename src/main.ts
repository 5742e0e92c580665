import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, createLogger } from './app.factory.js';
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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
