import { executionAsyncResource } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One of Node's tick objects, kept for the life of the process (see collectStartupGarbage). */
const heldTicks: object[] = [];

/**
 * Once the process is up (a server once it listens; the cluster's primary once the database is prepared): keeps
 * one of Node's tick objects for good, then runs one full garbage collection.
 *
 * The tick object. Every request builds several (`process.nextTick`, called by the socket and stream code), and
 * V8 takes the property stores of their literal from monomorphic straight to megamorphic at the first map they
 * have not seen, a runtime call each from then on. A full collection that finds no tick object alive frees their
 * maps, and the next tick objects get new ones: the forced collection below did that when it ran at once, and
 * V8's memory reducer does it when a process goes idle after some activity (three "Mark-Compact (reduce)"
 * within 40 s of the end of a load). Either way the links were answered about a fifth slower for the rest of
 * the process's life. A tick object that stays alive keeps those maps (test/hot-path-feedback.e2e-spec.ts).
 *
 * The collection. Start-up (compiling hundreds of modules, Nest's and TypeORM's metadata) leaves garbage in the
 * old space, and V8 sizes the old space's next limit from what a collection finds live. (The soak's peak RSS
 * spreads widely from run to run: 331 MiB in the one run without this collection, 226–325 MiB in four with it;
 * bench/README, "A forced collection".) `gc` is exposed for this one call only (in a throwaway context) when the
 * process was not started with --expose-gc. It runs after the tick object is kept (ticks run in order).
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
  process.nextTick(holdTick);
  process.nextTick(() => gc());
}

/** Keeps the tick object it runs in (a function of its own: the object holds on to nothing else). */
function holdTick(): void {
  heldTicks.push(executionAsyncResource());
}
