import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';

/**
 * Node's own HTTP code (the parser's callbacks, `_storeHeader`, the stream machinery) reads every request and
 * response the server handles. Express, its router, Nest and this application add fields to them as a route
 * goes (`route`, `user`, `body`, `file`, `locals`…), each route in its own order, and every order is a shape
 * of its own to V8: with the API's routes those reads in Node's code see too many shapes and fall back to a
 * generic lookup, on the links too (answered ahead of Express, by the same Node code). Born with every such
 * field, in one order, requests keep one shape whichever route they take: 5–8 % more links a second
 * (bench/README, "One shape for every request"). A field added later by another library costs only speed;
 * test/request-shape.e2e-spec.ts names the one that appears.
 */
export class ShapedRequest extends IncomingMessage {
  constructor(socket: ConstructorParameters<typeof IncomingMessage>[0]) {
    super(socket);
    const fields = this as unknown as Record<string, unknown>;
    // Inherited (0) until the first listener: Readable leaves it out of its constructor.
    if (!Object.hasOwn(this, '_eventsCount')) fields._eventsCount = 0;
    fields.res = undefined; // Express
    fields.next = undefined; // the router, in this order
    fields.baseUrl = undefined;
    fields.originalUrl = undefined;
    fields._parsedUrl = undefined;
    fields.params = undefined;
    fields.id = undefined; // the request observer
    fields.body = undefined; // the JSON body parser
    fields.route = undefined; // the router, on a match
    fields.user = undefined; // AuthGuard
    fields.file = undefined; // the upload edge
  }
}

export class ShapedResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  constructor(req: Request, options?: object) {
    // @ts-expect-error Node passes its options (highWaterMark, rejectNonStandardBodyWrites); @types/node omits them.
    super(req, options);
    const fields = this as unknown as Record<string, unknown>;
    fields.locals = undefined; // Express
    // On the prototype until a handler sets them (statusCode first on the links, statusMessage first in Express).
    fields.statusCode = 200;
    fields.statusMessage = undefined;
  }
}

/** Nest's Express adapter with an HTTP server whose requests and responses are shaped as above. */
export class ShapedExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions || options.forceCloseConnections || options.return503OnClosing) {
      // createApp sets none of these: TLS ends at the proxy in front, and shutdown drains (server/serve.ts).
      throw new Error('ShapedExpressAdapter takes no httpsOptions, forceCloseConnections or return503OnClosing');
    }
    this.httpServer = createServer(
      { IncomingMessage: ShapedRequest, ServerResponse: ShapedResponse },
      this.getInstance<(req: IncomingMessage, res: ServerResponse) => void>(),
    );
  }
}
