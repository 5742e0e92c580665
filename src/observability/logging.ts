import type { Params } from 'nestjs-pino';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { pino, type DestinationStream, type Level, type Logger as Pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { AppConfig, LogLevel } from '../config/config.js';

const PINO_LEVELS: Record<LogLevel, Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Lines are gathered and written synchronously in whole-line chunks of LOG_BATCH_BYTES to PIPE_BUF bytes: one
 * write(2) carries about ten request lines, and no line waits longer than LOG_FLUSH_MS when the server is
 * quiet. A write is never longer than PIPE_BUF and holds whole lines, so the lines of several cluster workers
 * sharing one stdout pipe never interleave mid-line. pino flushes what is left on exit.
 *
 * Not asynchronous (pino's sync: false): that mode keeps one write in flight and sends the next chunk from the
 * event loop when it completes, so a busy loop wrote far fewer bytes a second than the requests logged, and
 * once its buffer was full, lines were dropped (half of them under the serving bench). Written synchronously,
 * every line is kept; if stdout stops being read, the server waits for it, as pino's default does.
 */
const PIPE_BUF = 4096;
const LOG_BATCH_BYTES = 3584;
const LOG_FLUSH_MS = 100;
type Destination = ReturnType<typeof pino.destination>;

/**
 * Writes what `stream` holds at most `ms` after a line comes in. Not sonic-boom's `periodicFlush`: that one
 * fires every `ms` for good, and on an idle server each tick was an empty write(2) (10 a second per process).
 * Here a timer is armed by the first line after a flush, and none runs while nothing is logged. The stream is
 * still pino's own destination (pino flushes it on exit).
 */
function flushedWithin(stream: Destination, ms: number): Destination {
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    stream.flush();
  };
  const write = stream.write.bind(stream);
  stream.write = (line: string) => {
    timer ??= setTimeout(flush, ms).unref();
    return write(line);
  };
  return stream;
}

/**
 * The process's pino logger: JSON lines with NODE_ENV=production (and in tests), readable single lines in
 * development. LOG_LEVEL keeps Nest's names (log = info, verbose = trace). Request lines are written at
 * info, so tests (LOG_LEVEL=error) stay quiet unless told otherwise.
 */
export function createPino(config: AppConfig, destination?: DestinationStream): Pino {
  const stream =
    destination ??
    (config.env === 'development'
      ? PinoPretty({
          sync: true,
          colorize: process.stdout.isTTY,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        })
      : flushedWithin(
          pino.destination({ dest: 1, sync: true, minLength: LOG_BATCH_BYTES, maxWrite: PIPE_BUF }),
          LOG_FLUSH_MS,
        ));
  return pino(
    {
      level: PINO_LEVELS[config.logLevel],
      // Belt and braces: request lines carry no headers, but nothing should ever log these.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    stream,
  );
}

/**
 * nestjs-pino's parameters: pino behind Nest's Logger. Its per-request middleware (a child logger bound through
 * AsyncLocalStorage) is not installed (`forRoutes: []`): the promise hooks it turns on cost about a tenth of
 * every API request, and what needs the request id has it anyway: the request line (request-observer.ts,
 * which runs first and so also sees requests that fail in a body parser) and the exception filter's log of an
 * unexpected error.
 */
export function loggerParams(logger: Pino): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      logger,
      autoLogging: false,
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
    },
  };
}

/**
 * A Nest LoggerService for code that runs before (or without) the application: main.ts while the embedded
 * PostgreSQL starts, the CLI. nestjs-pino keeps one root logger per process, so it is the same one the
 * application then uses.
 */
export function createNestLogger(config: AppConfig, options: { stderr?: boolean } = {}): NestPinoLogger {
  const destination = options.stderr ? pino.destination({ dest: 2, sync: true }) : undefined;
  const params = loggerParams(createPino(config, destination));
  return new NestPinoLogger(new PinoLogger(params), params);
}

/**
 * Writes a line as pino's `logger[level](fields, msg)` writes it (level, time, the logger's bindings, the
 * fields, msg; the same destination, so the same batching), from fields already in JSON: for the request
 * line, where pino's generic serializer (and its redaction pass) cost as much as the rest of a kept
 * thumbnail's request. `fields` is `"name":value,...` and must hold nothing the redaction would have removed.
 */
export function lineWriter(logger: Pino): (level: 'info' | 'warn' | 'error', fields: string, msg: string) => void {
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as DestinationStream;
  const bindings = internals[pino.symbols.chindingsSym] as string;
  return (level, fields, msg) => {
    const value = logger.levels.values[level];
    if (logger.levelVal > value) return;
    stream.write(`{"level":${value},"time":${Date.now()}${bindings},${fields},"msg":${JSON.stringify(msg)}}\n`);
  };
}
