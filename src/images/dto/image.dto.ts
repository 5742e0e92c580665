import { ApiProperty } from '@nestjs/swagger';

export class ThumbnailLinkDto {
  @ApiProperty({ example: 200, description: 'The tier’s thumbnail height (the variant name)' })
  height: number;

  @ApiProperty({
    example: 267,
    description:
      'Width in pixels as served: in proportion to the height, rounded; an image shorter than the height is served at its own size',
  })
  width: number;

  @ApiProperty({
    example: 'http://localhost:3000/media/4f3c…/Zx9…/200.jpg',
    format: 'uri',
    description:
      'Served as AVIF when the request’s Accept names image/avif (once made), else WebP when it names image/webp, else in the original’s format; every answer carries Vary: Accept',
  })
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

  @ApiProperty({
    type: String,
    nullable: true,
    example: '1QcSHQRnh493V4dIh4eXh1h4kJUI',
    description:
      'ThumbHash of the image, base64 (about 25 bytes): decode it (e.g. the thumbhash package’s thumbHashToDataURL) for a blurred preview with the right colours and aspect ratio while the thumbnail loads. null until made for images uploaded before placeholders existed',
  })
  placeholder: string | null;

  @ApiProperty({ type: ImageLinksDto, description: 'Follows the owner’s tier at the time of the response' })
  links: ImageLinksDto;
}

export class ImagePageDto {
  @ApiProperty({ type: [ImageDto] })
  items: ImageDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })
  nextCursor: string | null;
}
