import { ApiProperty } from '@nestjs/swagger';
import { TierDto } from '../../tiers/tier.dto.js';

export class MeDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty()
  isAdmin: boolean;

  @ApiProperty({ type: () => TierDto })
  tier: TierDto;
}
