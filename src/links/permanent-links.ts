import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.js';
import type { ImageFormat } from '../media/image-format.js';
import type { Variant } from '../tiers/variant.js';
import { linkFile } from './link-file.js';
import { LinkSigner } from './link-signer.js';

/**
 * Permanent links: `/media/{imageId}/{signature}/{variant}.{ext}`, the signature an HMAC over image id and
 * variant. Whether the owner's tier still grants the variant is checked when the link is used.
 */
@Injectable()
export class PermanentLinks {
  constructor(
    private readonly signer: LinkSigner,
    private readonly config: AppConfig,
  ) {}

  url(imageId: string, variant: Variant, format: ImageFormat): string {
    const signature = this.signer.sign(`p:${imageId}:${variant}`);
    return `${this.config.publicUrl}/media/${imageId}/${signature}/${linkFile(variant, format)}`;
  }

  verify(imageId: string, variant: string, signature: string): boolean {
    return this.signer.verify(`p:${imageId}:${variant}`, signature);
  }
}
