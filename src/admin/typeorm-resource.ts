import './admin-env.js'; // before adminjs
import { Resource } from '@adminjs/typeorm';
import { type ActionContext, type BaseRecord, type Filter, ValidationError } from 'adminjs';
import type { BaseEntity } from 'typeorm';
import { toFormError } from './form-errors.js';

/** Writes a resource routes through its feature's service instead of saving rows itself. */
export interface ResourceWrites {
  /** Creates (id null) or updates a record from the submitted (flat) params; returns the saved entity. */
  save?: (id: string | null, params: Record<string, unknown>, context?: ActionContext) => Promise<object>;
  delete?: (id: string, context?: ActionContext) => Promise<void>;
}

/**
 * @adminjs/typeorm's Resource, reading as before but writing through the application's services, so the API,
 * the CLI and the panel apply the same rules; their domain errors become form errors. Lists sort only by a
 * column the resource has (an unknown `sortBy` falls back to the id instead of failing in the query).
 * Passed to AdminJS as instances, so no adapter is registered globally.
 */
export class TypeormResource extends Resource {
  constructor(
    entity: typeof BaseEntity,
    private readonly writes: ResourceWrites = {},
    private readonly options: { /** Columns no filter may test (secrets). */ unfilterable?: string[] } = {},
  ) {
    super(entity);
  }

  /** Drops filter conditions on columns that must not be probed (a hash could be guessed by filtering on it). */
  private allowed(filter: Filter): Filter {
    for (const path of this.options.unfilterable ?? []) delete filter.filters?.[path];
    return filter;
  }

  override count(filter: Filter): Promise<number> {
    return super.count(this.allowed(filter));
  }

  override find(
    filter: Filter,
    params: { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } },
  ): Promise<BaseRecord[]> {
    const { sortBy, direction } = params.sort ?? {};
    const known = sortBy !== undefined && this.properties().some((p) => p.path() === sortBy && p.isSortable());
    const sort = { sortBy: known ? sortBy : this.idName(), direction: direction === 'desc' ? 'desc' : 'asc' } as const;
    return super.find(this.allowed(filter), { ...params, sort });
  }

  override async create(params: Record<string, unknown>, context?: ActionContext): Promise<Record<string, unknown>> {
    if (!this.writes.save) throw new ValidationError({}, { message: 'Records of this kind are not created here.' });
    return this.write(() => this.writes.save!(null, params, context));
  }

  override async update(
    id: string,
    params: Record<string, unknown>,
    context?: ActionContext,
  ): Promise<Record<string, unknown>> {
    if (!this.writes.save) throw new ValidationError({}, { message: 'Records of this kind are not edited here.' });
    return this.write(() => this.writes.save!(id, params, context));
  }

  override async delete(id: string, context?: ActionContext): Promise<void> {
    if (!this.writes.delete) throw new ValidationError({}, { message: 'Records of this kind are not deleted here.' });
    try {
      await this.writes.delete(id, context);
    } catch (error) {
      throw toFormError(error);
    }
  }

  private async write(save: () => Promise<object>): Promise<Record<string, unknown>> {
    try {
      return { ...(await save()) };
    } catch (error) {
      throw toFormError(error);
    }
  }
}
