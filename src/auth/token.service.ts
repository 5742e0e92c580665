import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock.js';
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly refreshTokens: RefreshTokensService,
    private readonly clock: Clock,
  ) {}

  /** A new pair: a new login family, or the next token of `familyId` (a refresh exchange). */
  async issue(userId: string, familyId: string = randomUUID()): Promise<TokenPairDto> {
    const refreshId = randomUUID();
    const sign = (typ: TokenType, expiresIn: number, jwtid?: string) =>
      this.jwt.signAsync(
        { typ },
        {
          subject: userId,
          expiresIn,
          secret: this.config.jwtSecrets[0],
          algorithm: 'HS256',
          ...(jwtid ? { jwtid } : {}),
        },
      );
    await this.refreshTokens.record({
      id: refreshId,
      familyId,
      userId,
      expiresAt: new Date(this.clock.now().getTime() + this.config.refreshTokenTtl * 1000),
    });
    const [accessToken, refreshToken] = await Promise.all([
      sign('access', this.config.accessTokenTtl),
      sign('refresh', this.config.refreshTokenTtl, refreshId),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.config.accessTokenTtl };
  }

  /** The user (and for refresh tokens the token id) of a valid token of the given type, or null. */
  async verify(token: string, typ: TokenType): Promise<VerifiedToken | null> {
    for (const secret of this.config.jwtSecrets) {
      let claims: TokenClaims;
      try {
        claims = await this.jwt.verifyAsync<TokenClaims>(token, { secret, algorithms: ['HS256'] });
      } catch {
        continue; // try the next secret
      }
      if (claims.typ !== typ || typeof claims.exp !== 'number') return null;
      if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) return null;
      if (typ === 'access') return { userId: claims.sub };
      return typeof claims.jti === 'string' && UUID.test(claims.jti)
        ? { userId: claims.sub, tokenId: claims.jti }
        : null;
    }
    return null;
  }
}
