import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  Query,
  UploadedFile,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ApiIdParam, IdParam } from '../common/id-param.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ImageDto, ImagePageDto } from './dto/image.dto.js';
import { ListImagesQueryDto, UpdateImageDto, UploadImageDto } from './dto/image-input.dto.js';
import { ImagesService } from './images.service.js';
import { UploadBody } from '../upload-edge/upload-edge.module.js';

@ApiTags('images')
@ApiBearerAuth()
@Controller('api/images')
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  @Post()
  @UploadBody()
  @ApiOperation({ summary: 'Upload a PNG or JPEG image (judged by its content)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadImageDto })
  @ApiCreatedResponse({ type: ImageDto })
  @ApiErrors(400, 401, 413, 415, 429, 503)
  upload(
    @CurrentUser() user: Principal,
    @UploadedFile() file: Express.Multer.File | undefined,
    @Body() body: UploadImageDto,
  ): Promise<ImageDto> {
    if (!file) throw new BadRequestException('file is required: send the image as the multipart field "file"');
    return this.images.upload(user, file, body);
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s images, newest first' })
  @ApiOkResponse({ type: ImagePageDto })
  @ApiErrors(400, 401)
  list(@CurrentUser() user: Principal, @Query() query: ListImagesQueryDto): Promise<ImagePageDto> {
    return this.images.list(user, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of the caller’s images' })
  @ApiIdParam()
  @ApiOkResponse({ type: ImageDto })
  @ApiErrors(400, 401, 404)
  get(@CurrentUser() user: Principal, @IdParam() imageId: string): Promise<ImageDto> {
    return this.images.get(user, imageId);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change title or description' })
  @ApiIdParam()
  @ApiOkResponse({ type: ImageDto })
  @ApiErrors(400, 401, 404)
  update(@CurrentUser() user: Principal, @IdParam() imageId: string, @Body() body: UpdateImageDto): Promise<ImageDto> {
    return this.images.update(user, imageId, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the image, its stored files and every link to it' })
  @ApiIdParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 401, 404)
  remove(@CurrentUser() user: Principal, @IdParam() imageId: string): Promise<void> {
    return this.images.remove(user, imageId);
  }
}
