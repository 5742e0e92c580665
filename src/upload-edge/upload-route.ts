import type { IncomingMessage } from 'node:http';

/** POST /api/images: the one route whose body is a file (multipart, up to MAX_UPLOAD_BYTES). */
export function isUploadRequest(request: IncomingMessage): boolean {
  if (request.method !== 'POST' || !request.url) return false;
  const path = request.url.split('?', 1)[0]!;
  return path === '/api/images' || path === '/api/images/';
}
