import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Storage } from '../storage/storage.js';

@Injectable()
export class StorageHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly storage: Storage,
  ) {}

  async isHealthy(key = 'storage') {
    const check = this.indicator.check(key);
    try {
      await this.storage.check();
      return check.up();
    } catch {
      return check.down({ message: 'storage is not writable' });
    }
  }
}
