import { Injectable, PayloadTooLargeException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorAnswer, writeErrorAnswer } from '../common/http-exception.filter.js';
import { closeAfterAnswer, discardBody, stopReading, type ServerLimits } from '../common/server-limits.js';
import { AppConfig } from '../config/config.js';
import { isUploadRequest } from './upload-route.js';

/** Room for the multipart envelope and the text fields around the file. */
const ENVELOPE_BYTES = 64 * 1024;

/** How much of an unread body is discarded after an early answer, and for how long. */
export type LingerLimits = Pick<ServerLimits, 'lingerBytes' | 'lingerMs'>;

/** What the upload body may cost, from MAX_UPLOAD_BYTES: one place for every limit of the upload edge. */
@Injectable()
export class UploadLimits {
  /** The file part's limit (the multipart parser's `fileSize`). */
  readonly maxFileBytes: number;
  /** A declared Content-Length above this is refused before a byte of the body is read. */
  readonly maxDeclaredBytes: number;
  /** After an early answer (any route): the rest of the body is discarded this far, then the socket closes. */
  readonly linger: LingerLimits;

  constructor(config: AppConfig) {
    this.maxFileBytes = config.maxUploadBytes;
    this.maxDeclaredBytes = config.maxUploadBytes + ENVELOPE_BYTES;
    this.linger = { lingerBytes: 2 * config.maxUploadBytes, lingerMs: 10_000 };
  }

  /** What the HTTP server needs to know of uploads (see applyServerLimits). */
  serverLimits(): Pick<ServerLimits, 'lingerBytes' | 'lingerMs' | 'isUpload'> {
    return { ...this.linger, isUpload: isUploadRequest };
  }

  /** Whether the request declares a body larger than an upload may be (or one with a file of `fileBytes`). */
  declaresTooMuch(request: IncomingMessage, fileBytes?: number): boolean {
    const declared = Number(request.headers['content-length']);
    const max = fileBytes === undefined ? this.maxDeclaredBytes : fileBytes + ENVELOPE_BYTES;
    return Number.isFinite(declared) && declared > max;
  }

  /**
   * The file limit of a request whose caller's tier allows less than the server (counted while the body comes
   * in: a chunked body has no length to refuse early), or undefined.
   */
  tierFileLimit(tierMax: number | null | undefined): number | undefined {
    return tierMax != null && tierMax < this.maxFileBytes ? tierMax : undefined;
  }

  /**
   * After a tier's limit is passed, the rest of the body is discarded this far: enough for a client to read
   * the 413 while it sends (at least 1 MiB), in proportion to the limit, never beyond the server's bound.
   */
  tierLingerBytes(limit: number): number {
    return Math.min(this.linger.lingerBytes, Math.max(2 * limit, 1024 * 1024));
  }

  /** The 413, as every path of the edge says it (declared size, the parser's limit, the early answer). */
  tooLarge(): PayloadTooLargeException {
    return new PayloadTooLargeException(`The file is larger than the limit of ${this.maxFileBytes} bytes`);
  }

  /**
   * The parser has just passed the limit. Once the spooled part is gone (`removed`), answer 413 in full (the
   * client can read it while it is still sending), but end the response only once the parser has drained
   * the body, or after a bounded amount and time from the limit, then close (closeAfterAnswer): ending it
   * earlier makes the framework destroy the request, and a client still writing gets a reset instead of the
   * answer.
   */
  answerTooLarge(
    request: IncomingMessage,
    response: ServerResponse | undefined,
    removed: Promise<void>,
    refusal: { error: Error; lingerBytes: number } = { error: this.tooLarge(), lingerBytes: this.linger.lingerBytes },
  ): void {
    if (!response || response.headersSent) return;
    const socket = request.socket;
    let written = false;
    let drained = false;
    let cutAfterAnswer = false;
    discardBody(request, { ...this.linger, lingerBytes: refusal.lingerBytes }, (cut) => {
      drained = true;
      if (cut && !written) {
        // Past the bound before the answer is out (a fast client, a small limit): read nothing more, answer,
        // close. No idle timeout while the spooled file is removed (a busy disk can take longer than
        // BODY_IDLE_TIMEOUT), only a bound.
        stopReading(request);
        setTimeout(() => socket.destroy(), this.linger.lingerMs).unref();
        cutAfterAnswer = true;
        return;
      }
      if (written && !response.writableEnded) response.end();
      if (cut) closeAfterAnswer(request);
    });
    void removed.then(() => {
      if (response.headersSent || socket.destroyed) return;
      writeErrorAnswer(response, errorAnswer(refusal.error), { end: false });
      written = true;
      // Already drained: end now (the exception filter destroys a response still open when the error arrives).
      if (drained || request.complete) response.end();
      if (cutAfterAnswer) closeAfterAnswer(request);
    });
  }
}
