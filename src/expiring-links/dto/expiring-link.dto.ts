import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { VARIANT_PATTERN } from '../../tiers/variant.js';

export const MIN_EXPIRES_IN = 300;
export const MAX_EXPIRES_IN = 30_000;
const RANGE = `expiresIn must be a whole number of seconds from ${MIN_EXPIRES_IN} to ${MAX_EXPIRES_IN}`;

export class CreateExpiringLinkDto {
  @ApiProperty({ minimum: MIN_EXPIRES_IN, maximum: MAX_EXPIRES_IN, example: 3600, description: 'Lifetime in seconds' })
  @Max(MAX_EXPIRES_IN, { message: RANGE })
  @Min(MIN_EXPIRES_IN, { message: RANGE })
  @IsInt({ message: RANGE })
  expiresIn: number;

  @ApiPropertyOptional({
    default: 'original',
    example: 'original',
    description: '"original", or a thumbnail height the tier grants, as a string such as "200"',
  })
  @IsOptional()
  @Matches(VARIANT_PATTERN, { message: 'variant must be "original" or a thumbnail height such as "200"' })
  @IsString({ message: 'variant must be "original" or a thumbnail height such as "200"' })
  variant?: string;
}

export class ExpiringLinkDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uri', description: 'Works without auth until expiresAt, then answers 410 Gone' })
  url: string;

  @ApiProperty({ example: 'original' })
  variant: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}
