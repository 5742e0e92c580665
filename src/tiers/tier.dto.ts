import { ApiProperty } from '@nestjs/swagger';
import type { TierView } from './tier-view.js';

export class TierDto implements TierView {
  @ApiProperty({ example: 2 })
  id: number;

  @ApiProperty({ example: 'Premium' })
  name: string;

  @ApiProperty({ type: [Number], example: [200, 400], description: 'Thumbnail heights in pixels, ascending' })
  thumbnailHeights: number[];

  @ApiProperty({ description: 'Whether images carry a link to the original file' })
  originalLink: boolean;

  @ApiProperty({ description: 'Whether expiring links may be created' })
  expiringLinks: boolean;
}
