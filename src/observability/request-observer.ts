import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger as Pino } from 'pino';
import type { HistogramSeries } from './labelled-histogram.js';
import type { Metrics } from './metrics.js';
import { lineWriter } from './logging.js';
import { acceptedRequestId, type OutsideRouterLabels, routeLabel } from './request-labels.js';

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * The first middleware of the application: gives every request an id (the client's X-Request-Id when it is
 * a short token, else a new UUID), sends it back on every response, and when the response is done writes
 * one log line (method, redacted path, status, duration, request id) and the request duration metric.
 * `outside` labels and redacts the requests answered ahead of the router (the /media links).
 *
 * `linkSample` (LOG_LINK_SAMPLE, 0 to 1): the share of successful link answers (2xx, 304, not aborted) that get
 * a line, taken evenly (with 0.01, every hundredth), each such line saying `"sampleRate":0.01`. Their id is sent
 * and their metric counted all the same; errors, aborted links and every other request always get their line.
 */
export function requestObserver(
  logger: Pino,
  metrics: Metrics,
  outside: OutsideRouterLabels,
  linkSample = 1,
): {
  middleware: RequestHandler;
  observe: (req: ObservedRequest, res: ServerResponse, known?: KnownLabels) => string;
} {
  // One series per label set (a few dozen: methods × route templates × status classes), resolved once, so a
  // request builds no label object of its own and its observation is a few array writes.
  const durations = new Map<string, HistogramSeries>();
  const durationOf = (method: string, route: string, statusClass: string) => {
    const key = `${method} ${route} ${statusClass}`;
    let child = durations.get(key);
    if (!child) {
      child = metrics.httpDuration.labels({ method, route, status_class: statusClass });
      durations.set(key, child);
    }
    return child;
  };
  const write = lineWriter(logger);
  const sampleField = linkSample < 1 ? `,"sampleRate":${linkSample}` : '';
  let linkCredit = 0; // grows by linkSample per successful link answer; a line is written each time it reaches 1
  /**
   * Starts observing a request: gives it its id (returned: the caller sends it as X-Request-Id) and writes its
   * line and metric when the response closes (Node emits `close` after `finish` too, and alone on an abort).
   * `known`: the route label and loggable path when the caller has them already (the links).
   */
  const observe = (req: ObservedRequest, res: ServerResponse, known?: KnownLabels): string => {
    const started = process.hrtime.bigint();
    const id = acceptedRequestId(req.headers['x-request-id']) ?? randomUUID();
    if (!known) req.originalUrl ??= req.url ?? ''; // what routeLabel reads (Express sets it on its requests)
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A client that went away before the response ended: logged as such, not counted as a status.
      const aborted = !res.writableFinished;
      const status = res.statusCode;
      const method = req.method ?? '';
      const route = known?.route ?? routeLabel(req as Request, outside);
      const statusClass = aborted
        ? 'aborted'
        : (STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`);
      durationOf(method, route, statusClass).observe(seconds);
      if (route === '/api/images' && method === 'POST' && !aborted) {
        metrics.uploads.inc({ outcome: status === 201 ? 'stored' : 'rejected', status: String(status) });
      }
      let sampled = '';
      if (known && linkSample < 1 && !aborted && status < 400) {
        linkCredit += linkSample;
        if (linkCredit < 1) return;
        linkCredit -= 1;
        sampled = sampleField;
      }
      const path = known?.path ?? outside.redact(req.originalUrl!);
      const durationMs = Math.round(seconds * 1e5) / 100;
      const message = `${method} ${path} ${aborted ? 'aborted' : status} ${durationMs}ms`;
      // The same line pino writes for logger[level](line, message), without its generic serializer.
      const fields = `"requestId":"${id}","method":${JSON.stringify(method)},"path":${JSON.stringify(path)}`;
      const line = `${fields},"status":${status},"durationMs":${durationMs}${aborted ? ',"aborted":true' : ''}${sampled}`;
      // 503 is an expected state (a dependency is down: the filter has warned once per request already).
      write(status === 503 ? 'warn' : status >= 500 ? 'error' : 'info', line, message);
    });
    return id;
  };
  const middleware = function requestObserver(req: Request, res: Response, next: NextFunction): void {
    const id = observe(req, res);
    (req as { id?: unknown }).id = id; // the exception filter and Nest's logger name the request by it
    res.setHeader('X-Request-Id', id);
    next();
  };
  return { middleware, observe };
}

/** A request's route label and loggable path (secrets redacted), when its handler knows them already. */
export interface KnownLabels {
  route: string;
  path: string;
}

/** A request as the observer sees it: Express's, or a bare node:http one (the `/media` links). */
type ObservedRequest = IncomingMessage & { originalUrl?: string };
