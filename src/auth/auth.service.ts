import { Injectable, UnauthorizedException } from '@nestjs/common';
import { GrantsService } from '../tiers/grants.service.js';
import { UsersService } from '../users/users.service.js';
import type { LoginDto, TokenPairDto } from './dto/token.dto.js';
import { LoginLimiterService } from './login-limiter.service.js';
import { PasswordService } from './password.service.js';
import { TokenService } from './token.service.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiterService,
    private readonly grants: GrantsService,
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

  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const userId = await this.tokens.verify(refreshToken, 'refresh');
    if (!userId || !(await this.grants.forUser(userId))) {
      throw new UnauthorizedException('The refresh token is invalid or expired; log in again');
    }
    return this.tokens.issue(userId);
  }
}
