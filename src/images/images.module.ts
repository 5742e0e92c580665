import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { lingerLimits } from '../common/server-limits.js';
import { AppConfig } from '../config/config.js';
import { LinksModule } from '../links/links.module.js';
import { UploadSpool } from '../storage/upload-spool.js';
import { ImageProcessor } from '../media/image-processor.js';
import { ImageLookup } from './image-lookup.service.js';
import { Image } from './image.entity.js';
import { ImagesController } from './images.controller.js';
import { ImagesService } from './images.service.js';
import { ThumbnailsService } from './thumbnails.service.js';
import { answerTooLarge } from './upload-limit.interceptor.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Image]),
    LinksModule,
    MulterModule.registerAsync({
      inject: [AppConfig, UploadSpool],
      useFactory: (config: AppConfig, spool: UploadSpool) => ({
        storage: spool.engine({
          onTooLarge: (request, removed) =>
            answerTooLarge(request, request.res, config.maxUploadBytes, lingerLimits(config.maxUploadBytes), removed),
        }),
        // Only the `file` part of an authenticated request opens a spool file; any other file part is refused.
        fileFilter: (request, file, accept) => accept(null, file.fieldname === 'file' && !!request.user),
        limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10, fieldSize: 16 * 1024, parts: 12 },
      }),
    }),
  ],
  controllers: [ImagesController],
  providers: [ImagesService, ImageProcessor, ImageLookup, ThumbnailsService],
  exports: [ImagesService, ImageLookup, ThumbnailsService],
})
export class ImagesModule {}
