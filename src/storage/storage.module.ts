import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../config/config.js';
import { LocalStorage } from './local.storage.js';
import { Storage } from './storage.js';

@Global()
@Module({
  providers: [
    {
      provide: Storage,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Storage => new LocalStorage(join(config.dataDir, 'files')),
    },
  ],
  exports: [Storage],
})
export class StorageModule {}
