import type { AppConfig } from '../config/config.js';
import { createPino, lineWriter } from './logging.js';

/** A pino logger as the application makes it, writing into an array. */
function logger(logLevel: AppConfig['logLevel']) {
  const lines: string[] = [];
  const pino = createPino({ env: 'production', logLevel } as AppConfig, { write: (line: string) => lines.push(line) });
  return { pino, lines };
}

describe('lineWriter', () => {
  it('writes the very line pino writes for logger.info(fields, msg): same keys, same order, same values', () => {
    const { pino, lines } = logger('log');
    const fields = {
      requestId: 'a-1',
      method: 'GET',
      path: '/media/id/[redacted]/200.jpg?q="x"\\é',
      status: 304,
      durationMs: 1.25,
    };
    pino.info(fields, `GET ${fields.path} 304 1.25ms`);
    lineWriter(pino)('info', JSON.stringify(fields).slice(1, -1), `GET ${fields.path} 304 1.25ms`);
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.endsWith('}\n'))).toBe(true);
    const [byPino, byHand] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(byHand)).toEqual(Object.keys(byPino));
    expect({ ...byHand, time: 0 }).toEqual({ ...byPino, time: 0 });
    expect(Math.abs((byHand.time as number) - (byPino.time as number))).toBeLessThan(1000);
  });

  it('writes nothing when info is off', () => {
    const { pino, lines } = logger('warn');
    lineWriter(pino)('info', '"status":200', 'GET / 200');
    expect(lines).toEqual([]);
  });

  it('writes warn and error lines at their levels, as pino does', () => {
    const { pino, lines } = logger('warn');
    pino.warn({ status: 503 }, 'GET / 503');
    lineWriter(pino)('warn', '"status":503', 'GET / 503');
    pino.error({ status: 500 }, 'GET / 500');
    lineWriter(pino)('error', '"status":500', 'GET / 500');
    const parsed = lines.map((line): Record<string, unknown> => ({ ...(JSON.parse(line) as object), time: 0 }));
    expect(parsed[1]).toEqual(parsed[0]);
    expect(parsed[3]).toEqual(parsed[2]);
    expect(parsed.map((line) => line.level)).toEqual([40, 40, 50, 50]);
  });
});
