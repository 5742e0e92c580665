import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LinksModule } from '../links/links.module.js';
import { ImageProcessor } from '../media/image-processor.js';
import { UploadEdgeModule } from '../upload-edge/upload-edge.module.js';
import { ImageLookup } from './image-lookup.service.js';
import { ImagePages } from './image-pages.service.js';
import { Image } from './image.entity.js';
import { ImagesController } from './images.controller.js';
import { ImagesRepository } from './images.repository.js';
import { ImagesService } from './images.service.js';
import { ThumbnailsService } from './thumbnails.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Image]), LinksModule, UploadEdgeModule],
  controllers: [ImagesController],
  providers: [ImagesService, ImagesRepository, ImagePages, ImageProcessor, ImageLookup, ThumbnailsService],
  exports: [ImagesService, ImageLookup, ThumbnailsService],
})
export class ImagesModule {}
