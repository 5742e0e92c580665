import type { HealthCheckResult } from '@nestjs/terminus';

/** The job queue's counts: numbers about the service, nothing about where its parts run. */
const COUNTS = new Set(['waiting', 'active', 'delayed', 'failed', 'workers']);

type Section = Record<string, { status: string } | undefined> | undefined;

/**
 * Only `status` (and counts, such as the job queue's) per dependency: connection errors name hosts and ports,
 * which anonymous callers do not need.
 */
function statusesOnly(section: Section): Record<string, { status: string }> {
  const out: Record<string, { status: string }> = {};
  for (const [name, value] of Object.entries(section ?? {})) {
    if (!value) continue;
    const counts = Object.entries(value).filter(([key, v]) => COUNTS.has(key) && typeof v === 'number');
    out[name] = { status: value.status, ...Object.fromEntries(counts) };
  }
  return out;
}

/** What GET /api/health shows anyone: up or down per dependency. The detail goes to the log instead. */
export function publicHealth(result: Partial<HealthCheckResult>): Record<string, unknown> {
  return {
    status: result.status,
    info: statusesOnly(result.info),
    error: statusesOnly(result.error),
    details: statusesOnly(result.details),
  };
}
