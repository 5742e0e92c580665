import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, In, Not } from 'typeorm';
import { Size } from './size.entity.js';
import { Tier } from './tier.entity.js';
import { TiersRepository } from './tiers.repository.js';
import {
  isValidHeight,
  LIMIT_NAMES,
  limitProblem,
  MAX_HEIGHT,
  MIN_HEIGHT,
  TIER_NAME_MAX_LENGTH,
  type TierLimits,
} from './tier.rules.js';
import {
  HeightTakenError,
  InvalidHeightError,
  InvalidTierError,
  TierInUseError,
  TierNameTakenError,
  UnknownSizeError,
} from './tiers.errors.js';

export interface TierInput {
  name: string;
  originalLink: boolean;
  expiringLinks: boolean;
  /** The sizes (by id) the tier grants; undefined leaves them as they are. */
  sizeIds?: number[];
  /** Limits to set (null clears one); those left out stay as they are (none on a new tier). */
  limits?: Partial<TierLimits>;
}

/** A tier by name, as the CLI sets it: what is left out stays as it is (or off, on a new tier). */
export interface TierPlan {
  name: string;
  heights?: number[];
  originalLink?: boolean;
  expiringLinks?: boolean;
  limits?: Partial<TierLimits>;
}

const pgCode = (error: unknown) => (error as { driverError?: { code?: string } }).driverError?.code;
const FOREIGN_KEY = ['23503', '23001'];

/** The limits given, checked; throws InvalidTierError naming the first bad one. */
function checkedLimits(limits: Partial<TierLimits> = {}): Partial<TierLimits> {
  for (const name of LIMIT_NAMES) {
    const problem = name in limits ? limitProblem(name, limits[name]) : undefined;
    if (problem) throw new InvalidTierError(`${problem}.`);
  }
  return Object.fromEntries(LIMIT_NAMES.filter((name) => limits[name] !== undefined).map((n) => [n, limits[n]]));
}

/**
 * Writes to tiers and sizes, whoever asks (the admin panel today). Every change fires the grants_changed
 * trigger, so each instance's grants cache drops it and the next request sees it.
 */
@Injectable()
export class TiersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource | EntityManager,
    private readonly repository: TiersRepository,
  ) {}

  /** This service inside a caller's transaction (TypeORM nests `transaction` calls on a manager as one). */
  private withManager(manager: EntityManager): TiersService {
    return new TiersService(manager, this.repository);
  }

  /** Creates (id null) or updates a tier and its sizes in one transaction. */
  async saveTier(id: number | null, input: TierInput): Promise<Tier> {
    const name = input.name.trim();
    if (!name) throw new InvalidTierError('Name is required.');
    if (name.length > TIER_NAME_MAX_LENGTH) throw new InvalidTierError(`At most ${TIER_NAME_MAX_LENGTH} characters.`);
    return this.dataSource.transaction(async (tx) => {
      const tiers = tx.getRepository(Tier);
      if (await tiers.existsBy({ name, ...(id !== null ? { id: Not(id) } : {}) })) throw new TierNameTakenError(name);
      const sizeIds = input.sizeIds && [...new Set(input.sizeIds)];
      if (sizeIds?.some((n) => !Number.isInteger(n))) throw new UnknownSizeError();
      if (sizeIds?.length && (await tx.getRepository(Size).countBy({ id: In(sizeIds) })) !== sizeIds.length) {
        throw new UnknownSizeError();
      }
      const limits = checkedLimits(input.limits);
      const values = { name, originalLink: input.originalLink, expiringLinks: input.expiringLinks, ...limits };
      let tier: Tier;
      if (id === null) {
        tier = await tiers.save(tiers.create(values));
      } else {
        const existing = await tiers.findOneBy({ id });
        if (!existing) throw new InvalidTierError('The tier no longer exists.');
        tier = await tiers.save(Object.assign(existing, values));
      }
      if (sizeIds) await this.repository.replaceSizes(tx, tier.id, sizeIds);
      return tier;
    });
  }

  /**
   * Creates or updates the tier called `plan.name`, creating the sizes of `plan.heights` that do not exist
   * yet; all in one transaction. Returns the tier with its heights and whether it was created.
   */
  async setTier(plan: TierPlan): Promise<{ tier: Tier; heights: number[]; created: boolean }> {
    const heights = plan.heights && [...new Set(plan.heights)].sort((a, b) => a - b);
    const bad = heights?.find((height) => !isValidHeight(height));
    if (bad !== undefined) {
      throw new InvalidHeightError(`Height ${bad} is not a whole number from ${MIN_HEIGHT} to ${MAX_HEIGHT}.`);
    }
    checkedLimits(plan.limits);
    return this.dataSource.transaction(async (tx) => {
      const existing = await tx.getRepository(Tier).findOneBy({ name: plan.name.trim() });
      const sizeIds = heights && (await this.repository.ensureSizes(tx, heights));
      const tier = await this.withManager(tx).saveTier(existing?.id ?? null, {
        name: plan.name,
        originalLink: plan.originalLink ?? existing?.originalLink ?? false,
        expiringLinks: plan.expiringLinks ?? existing?.expiringLinks ?? false,
        sizeIds,
        limits: plan.limits,
      });
      const sizes = (await this.repository.sizesOf([tier.id], tx)).get(tier.id) ?? [];
      return { tier, heights: sizes.map((size) => size.height), created: !existing };
    });
  }

  /** Deletes a tier nobody is on. */
  async deleteTier(id: number): Promise<void> {
    const users = await this.repository.countUsers(id);
    if (users) throw new TierInUseError(users);
    try {
      await this.dataSource.getRepository(Tier).delete({ id });
    } catch (error) {
      if (FOREIGN_KEY.includes(pgCode(error) ?? '')) throw new TierInUseError(); // a user moved onto it meanwhile
      throw error;
    }
  }

  /** The sizes of each tier, smallest first. */
  sizesOf(tierIds: number[]): Promise<Map<number, Size[]>> {
    return this.repository.sizesOf(tierIds);
  }

  /** Creates (id null) or updates a size. */
  async saveSize(id: number | null, height: number): Promise<Size> {
    if (!isValidHeight(height)) {
      throw new InvalidHeightError(`Height must be a whole number from ${MIN_HEIGHT} to ${MAX_HEIGHT}.`);
    }
    const sizes = this.dataSource.getRepository(Size);
    if (await sizes.existsBy({ height, ...(id !== null ? { id: Not(id) } : {}) })) throw new HeightTakenError(height);
    if (id === null) return sizes.save(sizes.create({ height }));
    const existing = await sizes.findOneBy({ id });
    if (!existing) throw new InvalidHeightError('The size no longer exists.');
    return sizes.save(Object.assign(existing, { height }));
  }

  /** Deletes a size; every tier that granted it stops granting it (tier_sizes cascades). */
  async deleteSize(id: number): Promise<void> {
    await this.dataSource.getRepository(Size).delete({ id });
  }

  /** Sizes whose height starts with these digits (the admin panel's size picker), smallest first. */
  searchSizes(digits: string, limit = 100): Promise<Size[]> {
    const query = this.dataSource.getRepository(Size).createQueryBuilder('s').orderBy('s.height', 'ASC').limit(limit);
    if (digits) query.where(`s.height::text LIKE :prefix`, { prefix: `${digits}%` });
    return query.getMany();
  }
}
