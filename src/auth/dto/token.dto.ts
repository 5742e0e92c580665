import { ApiProperty } from '@nestjs/swagger';
import { IsJWT, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NoControlChars } from '../../common/no-control-chars.js';

export class LoginDto {
  @ApiProperty({ example: 'alice', maxLength: 100 })
  // class-validator checks bottom-up: the type first, then the rest
  @NoControlChars()
  @MaxLength(100)
  @IsNotEmpty()
  @IsString()
  username: string;

  @ApiProperty({ example: 'secret12', maxLength: 1024, format: 'password' })
  @MaxLength(1024)
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
