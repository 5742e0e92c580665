import { Module } from '@nestjs/common';
import { ExpiringLinkTokens } from './expiring-link-token.js';
import { LinkSigner } from './link-signer.js';
import { PermanentLinks } from './permanent-links.js';

@Module({
  providers: [LinkSigner, PermanentLinks, ExpiringLinkTokens],
  exports: [LinkSigner, PermanentLinks, ExpiringLinkTokens],
})
export class LinksModule {}
