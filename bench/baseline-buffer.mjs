// The floor for serving: a bare node:http server answering one thumbnail from a Buffer in memory, with the very
// headers the project sent for it (captured by bench/run.mjs from the project's own 200 and 304), and 304 when
// If-None-Match matches. No routing, no logging, no metrics: what Node itself costs per request.
// With OBSERVED_LOG=FILE it also does, on every request, what issue 21 requires of the project and nothing else:
// a request id (a new UUID, sent as X-Request-Id), a JSON log line written to FILE in chunks as the project's
// (pino's synchronous destination, 3,584-byte writes) and a duration histogram (prom-client, its labels resolved
// once): what those cost on the bare floor.
// Usage: [OBSERVED_LOG=FILE] node bench/baseline-buffer.mjs FILE HEADERS_200_JSON HEADERS_304_JSON
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import pino from 'pino';
import { Histogram, Registry } from 'prom-client';

const [file, ok, notModified] = process.argv.slice(2);
const observedLog = process.env.OBSERVED_LOG;
const body = readFileSync(file);
// Observed, the request id is this server's own.
const headersOf = (json) =>
  Object.entries(JSON.parse(json)).filter(([name]) => !observedLog || name !== 'x-request-id');
const headers200 = headersOf(ok);
const headers304 = headersOf(notModified);
const etag = JSON.parse(ok).etag;

const answer = (req, res) => {
  const fresh = req.headers['if-none-match'] === etag;
  for (const [name, value] of fresh ? headers304 : headers200) res.setHeader(name, value);
  res.statusCode = fresh ? 304 : 200;
  res.end(fresh ? undefined : body);
};

function observed(logFile) {
  const logger = pino({}, pino.destination({ dest: logFile, sync: true, minLength: 3584, maxWrite: 4096 }));
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'request durations',
    labelNames: ['method', 'route', 'status_class'],
    registers: [new Registry()],
  });
  const series = new Map();
  const seriesOf = (status) => {
    const statusClass = `${Math.floor(status / 100)}xx`;
    let child = series.get(statusClass);
    if (!child)
      series.set(
        statusClass,
        (child = histogram.labels({ method: 'GET', route: '/media', status_class: statusClass })),
      );
    return child;
  };
  return (req, res) => {
    const started = process.hrtime.bigint();
    const id = randomUUID();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      seriesOf(res.statusCode).observe(seconds);
      const ms = Math.round(seconds * 1e5) / 100;
      const fields = `"requestId":"${id}","method":"${req.method}","path":${JSON.stringify(req.url)}`;
      logger.info(`${fields},"status":${res.statusCode},"durationMs":${ms}`);
    });
    res.setHeader('X-Request-Id', id);
    answer(req, res);
  };
}

const server = createServer(observedLog ? observed(observedLog) : answer);
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
