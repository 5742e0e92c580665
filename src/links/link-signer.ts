import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/config.js';

/**
 * HMAC-SHA256 signatures for links, truncated to 128 bits and base64url-encoded. The first LINK_SECRET
 * signs; every configured secret verifies (rotation). Verification is constant-time and needs no I/O,
 * so a forged link costs one HMAC.
 */
@Injectable()
export class LinkSigner {
  private readonly secrets: Buffer[];

  constructor(config: AppConfig) {
    this.secrets = config.linkSecrets.map((s) => Buffer.from(s));
  }

  private mac(secret: Buffer, message: string): Buffer {
    return createHmac('sha256', secret).update(message).digest().subarray(0, 16);
  }

  sign(message: string): string {
    return this.mac(this.secrets[0], message).toString('base64url');
  }

  verify(message: string, signature: string): boolean {
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== 16 || given.toString('base64url') !== signature) return false;
    let ok = false;
    for (const secret of this.secrets) ok = timingSafeEqual(this.mac(secret, message), given) || ok;
    return ok;
  }
}
