import { Module } from '@nestjs/common';
import { ExpiringLinksModule } from '../expiring-links/expiring-links.module.js';
import { ImagesModule } from '../images/images.module.js';
import { MediaController } from './media.controller.js';

@Module({
  imports: [ImagesModule, ExpiringLinksModule],
  controllers: [MediaController],
})
export class LinksModule {}
