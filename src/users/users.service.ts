import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type Repository } from 'typeorm';
import { Tier } from '../tiers/tier.entity.js';
import { DEFAULT_TIER } from '../tiers/tier.rules.js';
import { PasswordService } from './password.service.js';
import { User } from './user.entity.js';
import { passwordProblem, usernameProblem } from './user.rules.js';
import {
  InvalidPasswordError,
  InvalidUsernameError,
  UnknownTierError,
  UserHasImagesError,
  UsernameTakenError,
} from './users.errors.js';

/** A user as an administrator edits it: the password is optional on update (kept when absent). */
export interface UserInput {
  username: string;
  password?: string;
  isAdmin: boolean;
  /** Absent for a new user: Basic. */
  tierId?: number;
}

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
  findCredentials(username: string): Promise<Pick<User, 'id' | 'username' | 'passwordHash' | 'isAdmin'> | null> {
    return this.users.findOne({
      where: { username },
      select: { id: true, username: true, passwordHash: true, isAdmin: true },
    });
  }

  async tierName(tierId: number): Promise<string> {
    return (await this.tiers.findOneByOrFail({ id: tierId })).name;
  }

  /** Creates the user, or updates password, tier and admin flag of an existing one (tokens stay valid). */
  async upsert(input: UpsertUser): Promise<{ user: User; created: boolean }> {
    const tierName = input.tier;
    const tier = tierName ? await this.tiers.findOneBy({ name: tierName }) : undefined;
    if (tierName && !tier) {
      const known = (await this.tiers.find({ order: { name: 'ASC' } })).map((t) => t.name);
      throw new UnknownTierError(tierName, known);
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

  /** Creates (id null) or updates a user, checking every field rule; the password is stored hashed. */
  async save(id: string | null, input: UserInput): Promise<User> {
    const username = input.username.trim();
    const usernameIssue = usernameProblem(username);
    if (usernameIssue) throw new InvalidUsernameError(`The username must be ${usernameIssue}.`);
    if (await this.users.existsBy({ username, ...(id !== null ? { id: Not(id) } : {}) })) {
      throw new UsernameTakenError(username);
    }
    if (input.password === undefined && id === null) throw new InvalidPasswordError('Password is required.');
    const passwordIssue = input.password === undefined ? null : passwordProblem(input.password);
    if (passwordIssue) throw new InvalidPasswordError(`The password must be ${passwordIssue}.`);
    const tierId = input.tierId ?? (id === null ? (await this.tiers.findOneBy({ name: DEFAULT_TIER }))?.id : undefined);
    if (tierId === undefined && id === null) throw new UnknownTierError(DEFAULT_TIER, []);
    if (tierId !== undefined && !(await this.tiers.existsBy({ id: tierId }))) {
      throw new UnknownTierError(
        String(tierId),
        (await this.tiers.find({ order: { name: 'ASC' } })).map((t) => t.name),
      );
    }
    const values = {
      username,
      isAdmin: input.isAdmin,
      ...(tierId !== undefined ? { tierId } : {}),
      ...(input.password !== undefined ? { passwordHash: await this.passwords.hash(input.password) } : {}),
    };
    if (id === null) return this.users.save(this.users.create(values));
    const existing = await this.users.findOneBy({ id });
    if (!existing) throw new InvalidUsernameError('The user no longer exists.');
    return this.users.save(Object.assign(existing, values));
  }

  /** Deletes the user; their images must be gone first (images.ownerId is RESTRICT, so stored files never orphan). */
  async delete(id: string): Promise<boolean> {
    try {
      return !!(await this.users.delete({ id })).affected;
    } catch (error) {
      const code = (error as { driverError?: { code?: string } }).driverError?.code;
      if (code === '23503' || code === '23001') throw new UserHasImagesError();
      throw error;
    }
  }
}
