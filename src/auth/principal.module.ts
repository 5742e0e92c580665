import { Global, Module } from '@nestjs/common';
import { PrincipalCache } from './principal-cache.service.js';
import { PrincipalsRepository } from './principals.repository.js';

/** The principal cache for every module (the guard, serving, thumbnails, the admin panel) and the worker. */
@Global()
@Module({
  providers: [PrincipalsRepository, PrincipalCache],
  exports: [PrincipalCache],
})
export class PrincipalModule {}
