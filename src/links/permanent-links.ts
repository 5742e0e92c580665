import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/config.js';
import type { ImageFormat } from '../media/image-format.js';
import type { Variant } from '../tiers/variant.js';
import { permanentMediaPath } from './media-url.js';
import { LinkSigner } from './link-signer.js';

/**
 * Permanent links (shape: media-url.ts), the signature an HMAC over image id and
 * variant. Whether the owner's tier still grants the variant is checked when the link is used.
 */
@Injectable()
export class PermanentLinks {
  /** Signatures never change for (image, variant) under one secret: listings sign each link once. */
  private readonly signatures = new LRUCache<string, string>({ max: 20_000 });

  constructor(
    private readonly signer: LinkSigner,
    private readonly config: AppConfig,
  ) {}

  url(imageId: string, variant: Variant, format: ImageFormat): string {
    const message = `p:${imageId}:${variant}`;
    let signature = this.signatures.get(message);
    if (signature === undefined) this.signatures.set(message, (signature = this.signer.sign(message)));
    return `${this.config.publicUrl}${permanentMediaPath(imageId, signature, variant, format)}`;
  }

  /**
   * A link's signature is checked against the one this process already made for (image, variant) (listings
   * and earlier requests fill the cache), in constant time and without an HMAC; otherwise against every
   * secret. Only a link that verified fills the cache, so a forgery always meets the full check.
   */
  verify(imageId: string, variant: string, signature: string): boolean {
    const message = `p:${imageId}:${variant}`;
    const known = this.signatures.get(message);
    if (known !== undefined && sameSignature(known, signature)) return true;
    if (!this.signer.verify(message, signature)) return false;
    if (known === undefined) this.signatures.set(message, this.signer.sign(message));
    return true;
  }
}

/**
 * Constant-time comparison of two signature strings (their length is public: it is fixed): every character
 * is compared whatever differs first, as timingSafeEqual does, without two Buffers on every request.
 */
function sameSignature(known: string, given: string): boolean {
  if (known.length !== given.length) return false;
  let difference = 0;
  for (let i = 0; i < known.length; i++) difference |= known.charCodeAt(i) ^ given.charCodeAt(i);
  return difference === 0;
}
