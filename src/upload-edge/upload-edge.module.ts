import { applyDecorators, Module, UseInterceptors } from '@nestjs/common';
import { FileInterceptor, MulterModule } from '@nestjs/platform-express';
import type { AuthenticatedRequest } from '../auth/current-user.decorator.js';
import { Metrics } from '../observability/metrics.js';
import { TierUploadTooLargeError } from '../usage/usage.errors.js';
import { UploadEdgeInterceptor } from './upload-edge.interceptor.js';
import { UploadLimits } from './upload-limits.js';
import { UploadSpool } from './upload-spool.js';

/** The body's limits and its spool, shared by the parser's configuration and the interceptor. */
@Module({
  providers: [UploadLimits, UploadSpool],
  exports: [UploadLimits, UploadSpool],
})
class UploadBodyModule {}

/**
 * The upload edge: everything about an upload's body before a service sees it, in one module. Its limits
 * (UploadLimits: declared size, the parser's limit, the early 413, the bounded discard), the multipart
 * parser writing into the spool, the temp file and its removal (UploadSpool, UploadEdgeInterceptor), and
 * the per-user and per-process bounds (UploadGate). A controller takes an upload with `@UploadBody()` and
 * gets `@UploadedFile()`: a spooled file that storage may move away and that the edge removes in any case.
 */
@Module({
  imports: [
    UploadBodyModule,
    MulterModule.registerAsync({
      imports: [UploadBodyModule],
      inject: [UploadLimits, UploadSpool, { token: Metrics, optional: true }],
      useFactory: (limits: UploadLimits, spool: UploadSpool, metrics?: Metrics) => ({
        storage: spool.engine({
          // The caller's tier may allow less than the server: counted on the bytes, refused as they pass it.
          fileLimit: (request) => limits.tierFileLimit((request as AuthenticatedRequest).user?.tier.maxUploadBytes),
          onTooLarge: (request, removed, tierLimit) => {
            if (tierLimit === undefined) return limits.answerTooLarge(request, request.res, removed);
            metrics?.uploadRefused('tier_max_upload');
            limits.answerTooLarge(request, request.res, removed, {
              error: new TierUploadTooLargeError(tierLimit),
              lingerBytes: limits.tierLingerBytes(tierLimit),
            });
          },
        }),
        // Only the `file` part of an authenticated request opens a spool file; any other file part is refused.
        fileFilter: (request, file, accept) => accept(null, file.fieldname === 'file' && !!request.user),
        limits: { fileSize: limits.maxFileBytes, files: 1, fields: 10, fieldSize: 16 * 1024, parts: 12 },
      }),
    }),
  ],
  exports: [MulterModule, UploadBodyModule],
})
export class UploadEdgeModule {}

/** On an upload route: the edge in front of the multipart parser, the file in the field `file`. */
export const UploadBody = () => applyDecorators(UseInterceptors(UploadEdgeInterceptor, FileInterceptor('file')));
