import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { MediaController } from './media.controller.js';

@Module({
  imports: [ImagesModule],
  controllers: [MediaController],
})
export class LinksModule {}
