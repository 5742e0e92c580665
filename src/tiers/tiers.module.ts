import { Global, Module } from '@nestjs/common';
import { TiersRepository } from './tiers.repository.js';
import { TiersService } from './tiers.service.js';

@Global()
@Module({
  providers: [TiersService, TiersRepository],
  exports: [TiersService],
})
export class TiersModule {}
