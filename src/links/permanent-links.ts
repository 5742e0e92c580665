import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.js';
import type { ImageFormat } from '../images/image.entity.js';
import { LinkSigner } from './link-signer.js';

/** "original", or a thumbnail height such as "200". */
export type Variant = 'original' | `${number}`;

export const EXTENSIONS: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg' };
export const CONTENT_TYPES: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg' };

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
    return `${this.config.publicUrl}/media/${imageId}/${signature}/${variant}.${EXTENSIONS[format]}`;
  }

  verify(imageId: string, variant: string, signature: string): boolean {
    return this.signer.verify(`p:${imageId}:${variant}`, signature);
  }
}
