import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { AppConfig } from '../config/config.js';
import type { TokenPairDto } from './dto/token.dto.js';

type TokenType = 'access' | 'refresh';

interface TokenClaims {
  sub: string;
  typ: TokenType;
}

/**
 * HS256 JWTs. The algorithm is pinned on verify (alg "none" and other algorithms are refused), access and
 * refresh tokens carry their type and are never accepted in each other's place, and every configured
 * secret verifies while the first one signs (rotation).
 */
@Injectable()
export class TokenService {
  /** KeyObjects made once: given a string, jsonwebtoken tries to parse it as a public key on every verify. */
  private readonly keys: KeyObject[];

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {
    this.keys = config.jwtSecrets.map((secret) => createSecretKey(Buffer.from(secret)));
  }

  async issue(userId: string): Promise<TokenPairDto> {
    const sign = (typ: TokenType, expiresIn: number) =>
      this.jwt.signAsync({ typ } satisfies Omit<TokenClaims, 'sub'>, {
        subject: userId,
        expiresIn,
        secret: this.keys[0] as unknown as string,
        algorithm: 'HS256',
      });
    const [accessToken, refreshToken] = await Promise.all([
      sign('access', this.config.accessTokenTtl),
      sign('refresh', this.config.refreshTokenTtl),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.config.accessTokenTtl };
  }

  /** The user id in a valid token of the given type, or null. */
  async verify(token: string, typ: TokenType): Promise<string | null> {
    for (const key of this.keys) {
      try {
        const claims = await this.jwt.verifyAsync<TokenClaims>(token, {
          secret: key as unknown as string,
          algorithms: ['HS256'],
        });
        return claims.typ === typ && typeof claims.sub === 'string' ? claims.sub : null;
      } catch {
        // try the next secret
      }
    }
    return null;
  }
}
