import type { HealthCheckResult } from '@nestjs/terminus';

type Section = Record<string, { status: string } | undefined> | undefined;

/** Only `status` per dependency: connection errors name hosts and ports, which anonymous callers do not need. */
function statusesOnly(section: Section): Record<string, { status: string }> {
  const out: Record<string, { status: string }> = {};
  for (const [name, value] of Object.entries(section ?? {})) if (value) out[name] = { status: value.status };
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
