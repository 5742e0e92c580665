import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ApiIdParam, IdParam } from '../common/id-param.decorator.js';
import type { Principal } from '../auth/principal.js';
import { CreateExpiringLinkDto, ExpiringLinkDto } from './dto/expiring-link.dto.js';
import { ExpiringLinksService } from './expiring-links.service.js';

@ApiTags('images')
@ApiBearerAuth()
@Controller('api/images/:id/expiring-links')
export class ExpiringLinksController {
  constructor(private readonly links: ExpiringLinksService) {}

  @Post()
  @ApiOperation({ summary: 'Create a link to the binary image that works for expiresIn seconds (300..30000)' })
  @ApiIdParam()
  @ApiCreatedResponse({ type: ExpiringLinkDto })
  @ApiErrors(400, 401, 403, 404, 429)
  create(
    @CurrentUser() user: Principal,
    @IdParam() imageId: string,
    @Body() body: CreateExpiringLinkDto,
  ): Promise<ExpiringLinkDto> {
    return this.links.create(user, imageId, body);
  }
}
