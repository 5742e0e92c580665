import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, In, Not } from 'typeorm';
import { Size } from './size.entity.js';
import { Tier } from './tier.entity.js';
import { TiersRepository } from './tiers.repository.js';
import { isValidHeight, MAX_HEIGHT, MIN_HEIGHT, TIER_NAME_MAX_LENGTH } from './tier.rules.js';
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
}

const pgCode = (error: unknown) => (error as { driverError?: { code?: string } }).driverError?.code;
const FOREIGN_KEY = ['23503', '23001'];

/**
 * Writes to tiers and sizes, whoever asks (the admin panel today). Every change fires the grants_changed
 * trigger, so each instance's grants cache drops it and the next request sees it.
 */
@Injectable()
export class TiersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: TiersRepository,
  ) {}

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
      const values = { name, originalLink: input.originalLink, expiringLinks: input.expiringLinks };
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
