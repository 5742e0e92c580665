import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../config/config.js';
import { LocalStorage } from './local.storage.js';
import { Storage } from './storage.js';
import { UploadSpool } from './upload-spool.js';

@Global()
@Module({
  providers: [
    UploadSpool,
    {
      provide: Storage,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Storage => new LocalStorage(join(config.dataDir, 'files')),
    },
  ],
  exports: [Storage, UploadSpool],
})
export class StorageModule {}
