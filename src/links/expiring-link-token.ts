import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/config.js';
import type { ImageFormat } from '../media/image-format.js';
import type { Variant } from '../tiers/variant.js';
import { LinkForgedError, LinkNotFoundError } from './link.errors.js';
import { LinkSigner } from './link-signer.js';
import { expiringMediaPath } from './media-url.js';

export interface ExpiringLinkClaims {
  linkId: string;
  imageId: string;
  variant: string;
  expiresAt: Date;
}

const MAC_BYTES = 16;
const TOKEN_BYTES = 16 + 16 + 6 + MAC_BYTES;

const uuidToBytes = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex');
const bytesToUuid = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/**
 * Expiring links (shape: media-url.ts): `/media/x/{token}/{variant}.{ext}`. The token packs link id, image id and expiry (ms) with
 * an HMAC over all of them and the variant, so neither the lifetime nor the variant can be changed by
 * editing the URL. Signature and expiry are checked without any I/O; only a live link costs a lookup (for
 * revocation).
 */
@Injectable()
export class ExpiringLinkTokens {
  private readonly verified = new LRUCache<string, ExpiringLinkClaims>({ max: 10_000 });

  constructor(
    private readonly signer: LinkSigner,
    private readonly config: AppConfig,
  ) {}

  private message(c: ExpiringLinkClaims): string {
    return `e:${c.linkId}:${c.imageId}:${c.variant}:${c.expiresAt.getTime()}`;
  }

  url(claims: ExpiringLinkClaims, format: ImageFormat): string {
    const expires = Buffer.alloc(6);
    expires.writeUIntBE(claims.expiresAt.getTime(), 0, 6);
    const mac = Buffer.from(this.signer.sign(this.message(claims)), 'base64url');
    const token = Buffer.concat([uuidToBytes(claims.linkId), uuidToBytes(claims.imageId), expires, mac]);
    return `${this.config.publicUrl}${expiringMediaPath(token.toString('base64url'), claims.variant as Variant, format)}`;
  }

  /** The claims of a well-formed, correctly signed token (expired or not): LinkNotFoundError when malformed, LinkForgedError when the MAC is wrong. */
  verify(token: string, variant: string): ExpiringLinkClaims {
    // A token string that verified once always verifies to the same claims (expiry is judged by the caller).
    // Only genuine tokens are kept, so a forger only ever meets the constant-time check below.
    const key = `${token}/${variant}`;
    const known = this.verified.get(key);
    if (known) return known;
    const claims = this.check(token, variant);
    this.verified.set(key, claims);
    return claims;
  }

  private check(token: string, variant: string): ExpiringLinkClaims {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length !== TOKEN_BYTES || raw.toString('base64url') !== token) throw new LinkNotFoundError();
    const claims: ExpiringLinkClaims = {
      linkId: bytesToUuid(raw.subarray(0, 16)),
      imageId: bytesToUuid(raw.subarray(16, 32)),
      expiresAt: new Date(raw.readUIntBE(32, 6)),
      variant,
    };
    const mac = raw.subarray(38).toString('base64url');
    if (!this.signer.verify(this.message(claims), mac)) throw new LinkForgedError();
    return claims;
  }
}
