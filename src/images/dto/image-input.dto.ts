import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { NoControlChars, NoControlCharsExceptLines } from '../../common/no-control-chars.js';

export class UploadImageDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'A PNG or JPEG file' })
  file?: unknown;

  @ApiPropertyOptional({ maxLength: 200, example: 'Sunset' })
  @IsOptional()
  @NoControlChars()
  @MaxLength(200)
  @IsString()
  title?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @NoControlCharsExceptLines()
  @MaxLength(2000)
  @IsString()
  description?: string;
}

export class UpdateImageDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, description: 'null clears it' })
  @IsOptional()
  @NoControlChars()
  @MaxLength(200)
  @IsString()
  title?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, description: 'null clears it' })
  @IsOptional()
  @NoControlCharsExceptLines()
  @MaxLength(2000)
  @IsString()
  description?: string | null;
}

/** A page's size when the client does not choose one: the page a gallery opens on (ImagePages caches it). */
export const DEFAULT_PAGE_SIZE = 20;

export class ListImagesQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Max(100)
  @Min(1)
  @IsInt()
  // Decimal digits only: Number() would also take '0x10', '1e1' and ' 5 '.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(200)
  @IsString()
  cursor?: string;
}
