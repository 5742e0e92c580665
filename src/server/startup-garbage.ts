import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection once the process is up (a server once it listens; the cluster's primary once the
 * database is prepared). Start-up (compiling hundreds of modules, Nest's and TypeORM's metadata) leaves garbage
 * in the old space, and V8 sizes the old space's next limit from what a collection finds live. (The soak's peak
 * RSS spreads widely from run to run: 331 MiB in the one run without this collection, 226–325 MiB in three with
 * it; bench/README, "A forced collection".) `gc` is exposed for this one call only (in a throwaway context)
 * when the process was not started with --expose-gc.
 *
 * It runs inside a `process.nextTick` callback, so that a tick object (the one being run) is alive through it.
 * Every request builds several tick objects (the socket and stream code calls nextTick), and V8 takes the
 * property stores of their literal from monomorphic straight to megamorphic at the first map they have not
 * seen. Called with no tick object alive, the collection freed their maps, the next tick objects got new ones,
 * and the stores stayed megamorphic (each one a runtime call) for the life of the process: links were answered
 * about a fifth slower (test/hot-path-feedback.e2e-spec.ts checks those stores after serving).
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
  process.nextTick(() => gc());
}
