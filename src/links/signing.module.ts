import { Module } from '@nestjs/common';
import { LinkSigner } from './link-signer.js';
import { PermanentLinks } from './permanent-links.js';

@Module({ providers: [LinkSigner, PermanentLinks], exports: [LinkSigner, PermanentLinks] })
export class SigningModule {}
