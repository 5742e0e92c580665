import type { DataSourceOptions } from 'typeorm';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';
import { TypeOrmLogger } from './typeorm-logger.js';
import { DEFAULT_TIMEOUTS, type DatabaseTimeouts, pgClientTimeouts } from '../common/pg-timeouts.js';

export function dataSourceOptions(url: string, timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    uuidExtension: 'pgcrypto', // gen_random_uuid() is built into PostgreSQL 13+
    installExtensions: false,
    logger: new TypeOrmLogger(),
    extra: { max: 20, application_name: 'image-api', ...pgClientTimeouts(timeouts) },
  };
}
