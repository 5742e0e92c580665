import { Global, Module } from '@nestjs/common';
import { GrantsService } from './grants.service.js';

@Global()
@Module({
  providers: [GrantsService],
  exports: [GrantsService],
})
export class TiersModule {}
