import { ApiProperty } from '@nestjs/swagger';

export class ThumbnailLinkDto {
  @ApiProperty({ example: 200, description: 'The tier’s thumbnail height (the variant name)' })
  height: number;

  @ApiProperty({ example: 'http://localhost:3000/media/4f3c…/Zx9…/200.jpg', format: 'uri' })
  url: string;
}

export class ImageLinksDto {
  @ApiProperty({ type: [ThumbnailLinkDto], description: 'One per height the owner’s tier grants, ascending' })
  thumbnails: ThumbnailLinkDto[];

  @ApiProperty({ type: String, nullable: true, format: 'uri', description: 'null when the tier has no original link' })
  original: string | null;
}

export class ImageDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, nullable: true, maxLength: 200 })
  title: string | null;

  @ApiProperty({ type: String, nullable: true, maxLength: 2000 })
  description: string | null;

  @ApiProperty({ enum: ['png', 'jpeg'] })
  format: 'png' | 'jpeg';

  @ApiProperty({ example: 4000, description: 'As displayed (EXIF orientation applied)' })
  width: number;

  @ApiProperty({ example: 3000, description: 'As displayed (EXIF orientation applied)' })
  height: number;

  @ApiProperty({ example: 1234567, description: 'Size of the original file' })
  bytes: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: ImageLinksDto, description: 'Follows the owner’s tier at the time of the response' })
  links: ImageLinksDto;
}

export class ImagePageDto {
  @ApiProperty({ type: [ImageDto] })
  items: ImageDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })
  nextCursor: string | null;
}
