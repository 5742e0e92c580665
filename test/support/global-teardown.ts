import { rmSync } from 'node:fs';
import type { DatabaseHandle } from '../../src/database/embedded-postgres.js';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { testDatabase?: { database: DatabaseHandle; dataDir: string } }).testDatabase;
  if (!state) return;
  await state.database.close();
  rmSync(state.dataDir, { recursive: true, force: true });
}
