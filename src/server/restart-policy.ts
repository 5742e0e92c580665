/**
 * The crash-loop guard of a cluster primary: a worker that dies is replaced, at once the first time and a
 * little later each further time within the window; once more than `limit` workers have died within
 * `windowMs` (a worker that cannot start, a bug that kills every worker), the primary gives up and stops
 * rather than fork forever.
 */
export class RestartPolicy {
  private deaths: number[] = [];

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
    private readonly stepMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one death: the delay before its replacement starts, in ms, or null: crash loop, give up. */
  onDeath(): number | null {
    const at = this.now();
    this.deaths = this.deaths.filter((death) => at - death < this.windowMs);
    this.deaths.push(at);
    if (this.deaths.length > this.limit) return null;
    return (this.deaths.length - 1) * this.stepMs;
  }
}
