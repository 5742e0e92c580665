import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old space grow past what its last full collection found live before it runs the next
 * one, in percent (V8's `--heap-growing-percent`).
 */
const HEAP_GROWING_PERCENT = 50;

/**
 * Every long-running process (the server, the cluster's primary and workers, the thumbnail worker) calls this
 * first. V8 alone sets the old space's next limit at up to four times what a full collection found live when
 * its collections are fast, as they are for a server's heap of about 50 MB: under the soak the heap went from
 * about 50 MB live to 172 MB before each full collection, and the peak RSS was wherever such a swing met the
 * uploads' decoded pixels (226–331 MiB over seven runs). At 1.5 times: 203 and 205 MiB, at the same CPU per
 * request (README, Memory). Set at run time because NODE_OPTIONS, where the image sets its flags, refuses this
 * one; V8 reads it at every collection. A `--heap-growing-percent` given to node itself is left as it is.
 */
export function limitHeapGrowth(): void {
  const given = process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg));
  if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
