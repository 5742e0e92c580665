import { ApiProperty } from '@nestjs/swagger';
import { IsJWT, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NoControlChars } from '../../common/no-control-chars.js';
import { PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH } from '../../users/user.rules.js';

export class LoginDto {
  @ApiProperty({ example: 'alice', maxLength: USERNAME_MAX_LENGTH })
  // class-validator checks bottom-up: the type first, then the rest
  @NoControlChars()
  @MaxLength(USERNAME_MAX_LENGTH)
  @IsNotEmpty()
  @IsString()
  username: string;

  @ApiProperty({ example: 'secret12', maxLength: PASSWORD_MAX_LENGTH, format: 'password' })
  @MaxLength(PASSWORD_MAX_LENGTH)
  @IsNotEmpty()
  @IsString()
  password: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refreshToken from a previous token response' })
  @IsJWT({ message: 'refreshToken must be a JWT' })
  @IsString()
  refreshToken: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <accessToken>`' })
  accessToken: string;

  @ApiProperty({ description: 'Exchange at POST /api/auth/refresh for a new pair' })
  refreshToken: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  tokenType: 'Bearer';

  @ApiProperty({ example: 900, description: 'Lifetime of the access token, in seconds' })
  expiresIn: number;
}
