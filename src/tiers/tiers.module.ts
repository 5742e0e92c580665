import { Global, Module } from '@nestjs/common';
import { GrantsService } from './grants.service.js';
import { TiersService } from './tiers.service.js';

@Global()
@Module({
  providers: [GrantsService, TiersService],
  exports: [GrantsService, TiersService],
})
export class TiersModule {}
