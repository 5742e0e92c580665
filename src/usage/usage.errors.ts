import { describeBytes, formatByteSize } from '../common/byte-size.js';
import { DomainError } from '../common/domain-error.js';

/** The upload would take the owner's stored bytes past their tier's quota. */
export class StorageQuotaExceededError extends DomainError {
  readonly kind = 'forbidden';
  constructor(
    readonly quotaBytes: number,
    readonly storedBytes: number,
    readonly uploadBytes?: number,
  ) {
    const needs = uploadBytes === undefined ? '' : `; this upload needs ${describeBytes(uploadBytes)}`;
    super(
      `Storage quota of ${formatByteSize(quotaBytes)} reached: ${describeBytes(storedBytes)} (${storedBytes} bytes)` +
        ` in use${needs}. Delete images or move to a larger tier.`,
    );
  }
}

/** The owner's tier allows this many uploads in 24 hours, and they are used. */
export class UploadsPerDayExceededError extends DomainError {
  readonly kind = 'rate-limited';
  constructor(
    readonly uploadsPerDay: number,
    override readonly retryAfter: number,
  ) {
    super(`Upload limit of ${uploadsPerDay} per 24 hours reached; the next upload is possible in ${retryAfter} s.`);
  }
}

/** The file is larger than the owner's tier allows (the server's own MAX_UPLOAD_BYTES is the edge's). */
export class TierUploadTooLargeError extends DomainError {
  readonly kind = 'too-large';
  constructor(readonly maxUploadBytes: number) {
    super(
      `The file is larger than your tier's limit of ${formatByteSize(maxUploadBytes)} (${maxUploadBytes} bytes) per upload`,
    );
  }
}
