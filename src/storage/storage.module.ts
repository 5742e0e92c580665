import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../config/config.js';
import { LocalStorage } from './local.storage.js';
import type { S3Storage } from './s3.storage.js';
import { Storage } from './storage.js';

@Global()
@Module({
  providers: [
    {
      provide: Storage,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<Storage> => {
        if (config.storage === 'local') return new LocalStorage(join(config.dataDir, 'files'));
        // The AWS SDK is loaded only with STORAGE=s3 (memory of a process that stores locally).
        const storage = new (await import('./s3.storage.js')).S3Storage(config.s3!);
        try {
          // A missing bucket or rejected credentials stop the start, with the reason on one line.
          await storage.check();
        } catch (error) {
          storage.close();
          throw error;
        }
        return storage;
      },
    },
  ],
  exports: [Storage],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(Storage) private readonly storage: Storage) {}

  onApplicationShutdown(): void {
    (this.storage as Partial<S3Storage>).close?.();
  }
}
