import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 30 ms a hash on one core, so logins
// stay cheap for the server while guessing stays expensive.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** argon2id hashing: the API, the CLI and the admin panel all hash through here. */
@Injectable()
export class PasswordService {
  // Verified against when the username is unknown, so that both failures take about the same time.
  private readonly dummyHash = argon2.hash('not-a-real-password', OPTIONS);

  hash(password: string): Promise<string> {
    return argon2.hash(password, OPTIONS);
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    try {
      const ok = await argon2.verify(hash ?? (await this.dummyHash), password);
      return ok && hash !== undefined;
    } catch {
      return false; // a malformed stored hash never lets anyone in
    }
  }
}
