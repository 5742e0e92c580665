import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Clock } from '../common/clock.js';
import { isUuid } from '../common/uuid.js';
import { AppConfig } from '../config/config.js';
import type { TokenPairDto } from './dto/token.dto.js';
import { RefreshTokensService } from './refresh-tokens.service.js';

type TokenType = 'access' | 'refresh';

interface TokenClaims {
  sub?: unknown;
  typ?: unknown;
  exp?: unknown;
  jti?: unknown;
}

/** A verified token: whose it is, and (refresh tokens) which issued token it is. */
export interface VerifiedToken {
  userId: string;
  tokenId?: string;
}

/**
 * HS256 JWTs. The algorithm is pinned on verify (alg "none" and other algorithms are refused), access and
 * refresh tokens carry their type and are never accepted in each other's place, every configured secret
 * verifies while the first one signs (rotation), and a token must carry an expiry and a UUID subject (a
 * correctly signed token without them was never issued here). Refresh tokens also carry an id (`jti`)
 * recorded in refresh_tokens: each is good for one exchange (RefreshTokensService).
 */
@Injectable()
export class TokenService {
  /** KeyObjects made once: given a string, jsonwebtoken tries to parse it as a public key on every verify. */
  private readonly keys: KeyObject[];
  private readonly accessTokens = new LRUCache<string, { userId: string; exp: number }>({ max: 10_000 });

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly refreshTokens: RefreshTokensService,
    private readonly clock: Clock,
  ) {
    this.keys = config.jwtSecrets.map((secret) => createSecretKey(Buffer.from(secret)));
  }

  /** A new pair: a new login family, or the next token of `familyId`. */
  async issue(userId: string, familyId: string = randomUUID()): Promise<TokenPairDto> {
    const next = this.nextRefresh();
    await this.refreshTokens.record({ ...next, familyId, userId });
    return this.signPair(userId, next.id);
  }

  /** The id and expiry of a refresh token about to be issued (recorded by the caller, then signed). */
  nextRefresh(): { id: string; expiresAt: Date } {
    return {
      id: randomUUID(),
      expiresAt: new Date(this.clock.now().getTime() + this.config.refreshTokenTtl * 1000),
    };
  }

  /** Signs an access token and the refresh token `refreshId` (already recorded). */
  async signPair(userId: string, refreshId: string): Promise<TokenPairDto> {
    const sign = (typ: TokenType, expiresIn: number, jwtid?: string) =>
      this.jwt.signAsync(
        { typ },
        {
          subject: userId,
          expiresIn,
          secret: this.keys[0] as unknown as string,
          algorithm: 'HS256',
          ...(jwtid ? { jwtid } : {}),
        },
      );
    const [accessToken, refreshToken] = await Promise.all([
      sign('access', this.config.accessTokenTtl),
      sign('refresh', this.config.refreshTokenTtl, refreshId),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.config.accessTokenTtl };
  }

  /** The user (and for refresh tokens the token id) of a valid token of the given type, or null. */
  async verify(token: string, typ: TokenType): Promise<VerifiedToken | null> {
    if (typ !== 'access') return this.check(token, typ);
    // An access token that verified once is good until its exp (nothing revokes access tokens), so each is
    // checked once per process; only genuine tokens are kept.
    const known = this.accessTokens.get(token);
    if (known && known.exp * 1000 > this.clock.now().getTime()) return { userId: known.userId };
    const verified = await this.check(token, typ);
    if (verified?.exp !== undefined) this.accessTokens.set(token, { userId: verified.userId, exp: verified.exp });
    return verified && { userId: verified.userId };
  }

  private async check(token: string, typ: TokenType): Promise<(VerifiedToken & { exp?: number }) | null> {
    for (const key of this.keys) {
      let claims: TokenClaims;
      try {
        claims = await this.jwt.verifyAsync<TokenClaims>(token, {
          secret: key as unknown as string,
          algorithms: ['HS256'],
        });
      } catch {
        continue; // try the next secret
      }
      if (claims.typ !== typ || typeof claims.exp !== 'number') return null;
      if (typeof claims.sub !== 'string' || !isUuid(claims.sub)) return null;
      if (typ === 'access') return { userId: claims.sub, exp: claims.exp };
      return typeof claims.jti === 'string' && isUuid(claims.jti) ? { userId: claims.sub, tokenId: claims.jti } : null;
    }
    return null;
  }
}
