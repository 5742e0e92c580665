import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { PasswordService } from '../auth/password.service.js';
import { Tier } from '../tiers/tier.entity.js';
import { User } from './user.entity.js';

export const DEFAULT_TIER = 'Basic';

export interface UpsertUser {
  username: string;
  password: string;
  /** Tier name; a new user gets Basic, an existing one keeps theirs when omitted. */
  tier?: string;
  isAdmin?: boolean;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Tier) private readonly tiers: Repository<Tier>,
    private readonly passwords: PasswordService,
  ) {}

  /** Id and password hash for a login attempt (the hash is not selected anywhere else). */
  findCredentials(username: string): Promise<Pick<User, 'id' | 'passwordHash'> | null> {
    return this.users.findOne({ where: { username }, select: { id: true, passwordHash: true } });
  }

  async tierName(tierId: number): Promise<string> {
    return (await this.tiers.findOneByOrFail({ id: tierId })).name;
  }

  /** Creates the user, or updates password, tier and admin flag of an existing one (tokens stay valid). */
  async upsert(input: UpsertUser): Promise<{ user: User; created: boolean }> {
    const tierName = input.tier;
    const tier = tierName ? await this.tiers.findOneBy({ name: tierName }) : undefined;
    if (tierName && !tier) {
      const known = (await this.tiers.find({ order: { name: 'ASC' } })).map((t) => t.name).join(', ');
      throw new BadRequestException(`Unknown tier "${tierName}"; known tiers: ${known}`);
    }
    const passwordHash = await this.passwords.hash(input.password);
    const existing = await this.users.findOneBy({ username: input.username });
    if (existing) {
      await this.users.update(existing.id, {
        passwordHash,
        ...(tier ? { tierId: tier.id } : {}),
        ...(input.isAdmin !== undefined ? { isAdmin: input.isAdmin } : {}),
      });
      return { user: await this.users.findOneByOrFail({ id: existing.id }), created: false };
    }
    const tierId = tier?.id ?? (await this.tiers.findOneByOrFail({ name: DEFAULT_TIER })).id;
    const user = await this.users.save(
      this.users.create({ username: input.username, passwordHash, tierId, isAdmin: input.isAdmin ?? false }),
    );
    return { user, created: true };
  }
}
