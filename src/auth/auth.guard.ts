import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '../common/public.decorator.js';
import { PrincipalCache } from '../auth/principal-cache.service.js';
import type { AuthenticatedRequest } from './current-user.decorator.js';
import { TokenService } from './token.service.js';

/** Global: every route needs a valid access token unless it is marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly principals: PrincipalCache,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new UnauthorizedException('Send an access token: Authorization: Bearer <accessToken>');
    }
    const verified = await this.tokens.verify(token, 'access');
    const principal = verified ? await this.principals.forUser(verified.userId) : null;
    if (!principal) throw new UnauthorizedException('The access token is invalid or expired');
    request.user = principal;
    return true;
  }
}
