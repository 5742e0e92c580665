import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

/** The body of every error: `message` says what to fix. */
export class ErrorDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'expiresIn must be a whole number of seconds from 300 to 30000' })
  message: string;
}

const WHEN: Record<number, string> = {
  400: 'A field is invalid, or the file is not a sound PNG or JPEG within the pixel limit',
  401: 'No access token, or an invalid or expired one',
  403: 'The tier does not allow it, or the link signature is not valid',
  404: 'Missing, or not the caller’s',
  410: 'The link expired or was revoked',
  413: 'The file is over MAX_UPLOAD_BYTES',
  415: 'An image of another format (GIF, WebP, SVG, ...), or an upload that is not multipart/form-data',
  429: 'Too many failed logins for this username and address in the last minute, too many uploads in progress for this user, or too many expiring links for this image in the last hour (see Retry-After)',
  503: 'A dependency (database, storage) is down, or the server has too many uploads in progress (see Retry-After)',
};

/** `Not Found: Missing, or not the caller’s`: how an error status is described in the OpenAPI document. */
export const errorDescription = (status: number) => `${STATUS_CODES[status]}: ${WHEN[status] ?? ''}`;

/** Documents the error statuses an endpoint can answer with, all with the ErrorDto body. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: errorDescription(status),
        type: ErrorDto,
      }),
    ),
  );
