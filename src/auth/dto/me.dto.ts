import { ApiProperty } from '@nestjs/swagger';
import { TierDto } from '../../tiers/tier.dto.js';

export class UsageDto {
  @ApiProperty({ example: 12, description: 'Images the caller owns' })
  images: number;

  @ApiProperty({ example: 3481230, description: 'Bytes stored: originals plus every kept thumbnail in every format' })
  storedBytes: number;

  @ApiProperty({ example: 4, description: 'Uploads in the last 24 hours (rolling)' })
  uploadsToday: number;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty()
  isAdmin: boolean;

  @ApiProperty({ type: () => TierDto })
  tier: TierDto;

  @ApiProperty({ type: () => UsageDto, description: 'What the caller uses, against the tier’s limits' })
  usage: UsageDto;
}
