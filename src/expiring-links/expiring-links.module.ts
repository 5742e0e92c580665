import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ImagesModule } from '../images/images.module.js';
import { LinksModule } from '../links/links.module.js';
import { ExpiringLink } from './expiring-link.entity.js';
import { ExpiringLinksController } from './expiring-links.controller.js';
import { ExpiringLinksService } from './expiring-links.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([ExpiringLink]), ImagesModule, LinksModule],
  controllers: [ExpiringLinksController],
  providers: [ExpiringLinksService],
  exports: [ExpiringLinksService],
})
export class ExpiringLinksModule {}
