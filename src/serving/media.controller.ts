import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Public } from '../common/public.decorator.js';
import { writeServed } from './served-file.js';
import { ServingService } from './serving.service.js';

const BINARY = { schema: { type: 'string', format: 'binary' } };

/** The links inside Image responses and expiring links: no auth; ServingService decides, writeServed answers. */
@ApiTags('media')
@ApiProduces('image/png', 'image/jpeg', 'image/webp', 'image/avif')
@ApiResponse({
  status: 200,
  description:
    'The image file. Thumbnails are negotiated on Accept: AVIF when it names image/avif (q > 0) and the AVIF is made, else WebP when it names image/webp, else the original’s format; they carry Vary: Accept and an ETag per format. Originals are the uploaded bytes',
  content: { 'image/png': BINARY, 'image/jpeg': BINARY, 'image/webp': BINARY, 'image/avif': BINARY },
})
@ApiResponse({ status: 304, description: 'Not modified (If-None-Match matched the ETag)' })
@Public()
@Controller('media')
export class MediaController {
  constructor(private readonly serving: ServingService) {}

  // Declared first: Express tries routes in order, and "x" would otherwise reach the permanent route.
  @Get('x/:token/:file')
  @ApiOperation({ summary: 'An expiring link (from POST /api/images/{id}/expiring-links): no auth until expiresAt' })
  @ApiParam({ name: 'file', example: 'original.jpg', description: '{variant}.{png|jpg}' })
  @ApiErrors(403, 404, 410)
  async serveExpiring(
    @Param('token') token: string,
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    await writeServed(res, await this.serving.expiring(token, file, ifNoneMatch, accept));
  }

  @Get(':imageId/:signature/:file')
  @ApiOperation({ summary: 'A permanent link from an Image’s links: no auth, while the owner’s tier grants it' })
  @ApiParam({ name: 'file', example: '200.jpg', description: '{variant}.{png|jpg}' })
  @ApiErrors(403, 404)
  async servePermanent(
    @Param('imageId') imageId: string,
    @Param('signature') signature: string,
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    await writeServed(res, await this.serving.permanent(imageId, signature, file, ifNoneMatch, accept));
  }
}
