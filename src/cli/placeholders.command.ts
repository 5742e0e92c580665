import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Image } from '../images/image.entity.js';
import { ImagesRepository } from '../images/images.repository.js';
import { PlaceholdersBackfill } from '../images/placeholders.backfill.js';
import { ImageProcessor } from '../media/image-processor.js';
import { StorageModule } from '../storage/storage.module.js';

/** `placeholders`: what it needs besides the database (storage and sharp), loaded only for this command. */
export function placeholdersModule(module: Type, imports: DynamicModule['imports']): DynamicModule {
  return {
    module,
    imports: [...(imports ?? []), StorageModule, TypeOrmModule.forFeature([Image])],
    providers: [ImagesRepository, ImageProcessor, PlaceholdersBackfill],
  };
}

export async function runPlaceholders(app: INestApplicationContext): Promise<string> {
  const { filled, skipped } = await app.get(PlaceholdersBackfill).run();
  return `Placeholders: ${filled} made${skipped ? `, ${skipped} skipped (see the warnings above)` : ''}`;
}
