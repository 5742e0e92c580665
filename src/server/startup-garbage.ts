import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection, for the cluster's primary once its database is prepared: it loaded Nest and
 * TypeORM for that and idles from then on, so V8 has no reason to collect what they left. `gc` is exposed for
 * this one call only (in a throwaway context) when the process was not started with --expose-gc.
 *
 * Never in a process that serves requests. A forced collection there, once the hot paths had run, left inline
 * caches in Node's own code megamorphic for the life of the process: the stores of `process.nextTick`'s tick
 * object, built several times per request by the socket and stream code (V8 takes a literal's computed-key
 * stores from monomorphic straight to megamorphic at the first map they have not seen, and a megamorphic one
 * is a runtime call). Links were answered about a fifth slower (bench/README, "A forced collection"). Nor
 * did it lower the idle RSS any more: with AdminJS, the AWS SDK and BullMQ loaded on demand, a server idles
 * at 136–140 MiB either way.
 */
export function collectStartupGarbage(): void {
  const gc =
    (globalThis as { gc?: () => void }).gc ??
    (() => {
      setFlagsFromString('--expose-gc');
      const exposed = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
      return exposed;
    })();
  gc();
}
