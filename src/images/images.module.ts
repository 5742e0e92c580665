import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import multer from 'multer';
import { AppConfig } from '../config/config.js';
import { LinksModule } from '../links/links.module.js';
import { ImageProcessor } from '../media/image-processor.js';
import { ImageLookup } from './image-lookup.service.js';
import { Image } from './image.entity.js';
import { ImagesController } from './images.controller.js';
import { ImagesService } from './images.service.js';
import { ThumbnailsService } from './thumbnails.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Image]),
    LinksModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        // Uploads stream to disk next to storage (same file system: storing is a rename), under names of our own.
        const dir = join(config.dataDir, 'uploads');
        mkdirSync(dir, { recursive: true });
        return {
          storage: multer.diskStorage({ destination: dir, filename: (_req, _file, cb) => cb(null, randomUUID()) }),
          limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10, fieldSize: 16 * 1024, parts: 12 },
        };
      },
    }),
  ],
  controllers: [ImagesController],
  providers: [ImagesService, ImageProcessor, ImageLookup, ThumbnailsService],
  exports: [ImagesService, ImageLookup, ThumbnailsService],
})
export class ImagesModule {}
