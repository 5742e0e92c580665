import { Body, Controller, Get, Header, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Public } from '../common/public.decorator.js';
import { CurrentUser } from './current-user.decorator.js';
import type { Principal } from '../auth/principal.js';
import { MeDto } from './dto/me.dto.js';
import { LoginDto, RefreshDto, TokenPairDto } from './dto/token.dto.js';
import { AuthService } from './auth.service.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Log in with username and password for an access and a refresh token' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrors(400, 401, 429)
  token(@Body() body: LoginDto, @Ip() address: string): Promise<TokenPairDto> {
    return this.auth.login({ ...body, address });
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Exchange a refresh token for a new token pair (each refresh token works once)' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrors(400, 401)
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller and what their tier grants' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(401)
  me(@CurrentUser() user: Principal): MeDto {
    return user;
  }
}
