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

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 52428800,
    description: 'Largest file per upload in bytes (413 beyond it); null: only the server limit (MAX_UPLOAD_BYTES)',
  })
  maxUploadBytes: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1073741824,
    description:
      'Stored bytes allowed: originals plus every kept thumbnail in every format (403 beyond it); null: no quota',
  })
  storageQuotaBytes: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 100,
    description: 'Uploads allowed in any 24 hours, rolling (429 with Retry-After beyond it); null: no limit',
  })
  uploadsPerDay: number | null;
}
