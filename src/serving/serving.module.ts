import { Module } from '@nestjs/common';
import { ExpiringLinksModule } from '../expiring-links/expiring-links.module.js';
import { ImagesModule } from '../images/images.module.js';
import { LinksModule } from '../links/links.module.js';
import { ServingService } from './serving.service.js';

/**
 * Serving links: the top of the feature graph (it reads images, expiring links, grants and storage). No
 * controller: `/media` is answered by mediaRequestHandler, ahead of the router (see app.factory.ts).
 */
@Module({
  imports: [ImagesModule, ExpiringLinksModule, LinksModule],
  providers: [ServingService],
  exports: [ServingService],
})
export class ServingModule {}
