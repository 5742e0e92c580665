import { Injectable } from '@nestjs/common';
import { PrincipalCache } from '../auth/principal-cache.service.js';
import { PasswordService } from '../users/password.service.js';
import { UsersService } from '../users/users.service.js';
import { InvalidCredentialsError, InvalidTokenError } from './auth.errors.js';
import type { TokenPairDto } from './dto/token.dto.js';
import { LoginLimiterService } from './login-limiter.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { TokenService } from './token.service.js';

export interface Credentials {
  username: string;
  password: string;
  /** The client's address, for the login limit. */
  address: string;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiterService,
    private readonly principals: PrincipalCache,
    private readonly refreshTokens: RefreshTokensService,
  ) {}

  /**
   * The one login flow, for the API and the admin panel: take an attempt from the limit, verify the password,
   * give the attempt back on success. Unknown user, wrong password and (with requireAdmin) a non-administrator
   * cost the same hash verification and get the same InvalidCredentialsError.
   */
  async verifyCredentials(
    { username, password, address }: Credentials,
    { requireAdmin = false } = {},
  ): Promise<{ id: string; username: string; isAdmin: boolean }> {
    await this.limiter.consume(username, address);
    const user = await this.users.findCredentials(username);
    const ok = await this.passwords.verify(user?.passwordHash, password);
    if (!ok || !user || (requireAdmin && !user.isAdmin)) throw new InvalidCredentialsError();
    await this.limiter.succeeded(username, address);
    return { id: user.id, username: user.username, isAdmin: user.isAdmin };
  }

  async login(credentials: Credentials): Promise<TokenPairDto> {
    const user = await this.verifyCredentials(credentials);
    return this.tokens.issue(user.id);
  }

  /** Rotation: the token is spent; a spent token presented again revokes every token of its login. */
  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const invalid = () => new InvalidTokenError('The refresh token is invalid or expired; log in again');
    const verified = await this.tokens.verify(refreshToken, 'refresh');
    if (!verified?.tokenId || !(await this.principals.forUser(verified.userId))) throw invalid();
    const next = this.tokens.nextRefresh();
    const outcome = await this.refreshTokens.use(verified.tokenId, verified.userId, next);
    if (!outcome.ok) {
      if (outcome.reused) {
        throw new InvalidTokenError('The refresh token was already used; every token of that login is revoked');
      }
      throw invalid();
    }
    return this.tokens.signPair(verified.userId, next.id);
  }
}
