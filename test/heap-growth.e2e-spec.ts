import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HEAP_GROWTH = pathToFileURL(resolve('dist/server/heap-growth.js')).href;

/**
 * The factor by which V8 lets the old space grow past its live size before the next full collection, as V8
 * itself reports it after one (`--trace-gc-verbose`): Node 20's V8 prints it at the end of the new limit's
 * line, Node 24's names it on the line before (where Node 20 prints the factor it would have chosen alone).
 */
async function growingFactor(flags: string[], limit: boolean): Promise<number> {
  const program = `${limit ? `(await import(${JSON.stringify(HEAP_GROWTH)})).limitHeapGrowth();` : ''} gc();`;
  const { stdout } = await run(process.execPath, [
    ...flags,
    '--expose-gc',
    '--trace-gc-verbose',
    '--input-type=module',
    '-e',
    program,
  ]);
  const applied =
    /\[HeapController\] Limit: .*\((\d+(?:\.\d+)?)\)\s*$/m.exec(stdout) ??
    /\[HeapController\] factor (\d+(?:\.\d+)?) based on/.exec(stdout);
  if (!applied) throw new Error(`No heap growing factor in V8's trace:\n${stdout}`);
  return Number(applied[1]);
}

describe('limitHeapGrowth (src/server/heap-growth.ts)', () => {
  it('has V8 grow the old space to 1.5 times what it found live, where it would choose up to 4 alone', async () => {
    expect(await growingFactor([], true)).toBe(1.5);
    expect(await growingFactor([], false)).toBeGreaterThan(1.5);
  });

  it('leaves a --heap-growing-percent given to node alone', async () => {
    expect(await growingFactor(['--heap-growing-percent=300'], true)).toBe(4);
  });
});
