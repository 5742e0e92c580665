import { Global, Module } from '@nestjs/common';
import { TiersService } from './tiers.service.js';

@Global()
@Module({
  providers: [TiersService],
  exports: [TiersService],
})
export class TiersModule {}
