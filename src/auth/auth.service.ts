import { Injectable, UnauthorizedException } from '@nestjs/common';
import { GrantsService } from '../tiers/grants.service.js';
import { UsersService } from '../users/users.service.js';
import type { LoginDto, TokenPairDto } from './dto/token.dto.js';
import { LoginLimiterService } from './login-limiter.service.js';
import { PasswordService } from './password.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { TokenService } from './token.service.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiterService,
    private readonly grants: GrantsService,
    private readonly refreshTokens: RefreshTokensService,
  ) {}

  async login({ username, password }: LoginDto, address: string): Promise<TokenPairDto> {
    await this.limiter.assertAllowed(username, address);
    const credentials = await this.users.findCredentials(username);
    // Unknown user and wrong password: same work (a dummy hash is verified), same answer.
    if (!(await this.passwords.verify(credentials?.passwordHash, password)) || !credentials) {
      await this.limiter.recordFailure(username, address);
      throw new UnauthorizedException('Wrong username or password');
    }
    await this.limiter.reset(username, address);
    return this.tokens.issue(credentials.id);
  }

  /** Rotation: the token is spent; a spent token presented again revokes every token of its login. */
  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const invalid = () => new UnauthorizedException('The refresh token is invalid or expired; log in again');
    const verified = await this.tokens.verify(refreshToken, 'refresh');
    if (!verified?.tokenId || !(await this.grants.forUser(verified.userId))) throw invalid();
    const outcome = await this.refreshTokens.use(verified.tokenId, verified.userId);
    if (!outcome.ok) {
      if (outcome.reused) {
        throw new UnauthorizedException('The refresh token was already used; every token of that login is revoked');
      }
      throw invalid();
    }
    return this.tokens.issue(verified.userId, outcome.familyId);
  }
}
