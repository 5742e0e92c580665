import { Global, Module } from '@nestjs/common';
import { DatabaseNotifications } from './database-notifications.service.js';

@Global()
@Module({ providers: [DatabaseNotifications], exports: [DatabaseNotifications] })
export class NotificationsModule {}
