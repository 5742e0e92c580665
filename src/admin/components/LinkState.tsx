import React from 'react';
import { Badge } from '@adminjs/design-system';
import type { BasePropertyProps } from 'adminjs';

// Expiring link state (a virtual property filled in an `after` hook): active, expired or revoked.
const VARIANTS: Record<string, 'success' | 'secondary' | 'danger'> = {
  active: 'success',
  expired: 'secondary',
  revoked: 'danger',
};

const LinkState: React.FC<BasePropertyProps> = ({ record }) => {
  const state = String(record?.params?.state ?? '');
  if (!state) return <span>-</span>;
  return (
    <Badge variant={VARIANTS[state] ?? 'default'} size="sm" data-testid="link-state">
      {state}
    </Badge>
  );
};

export default LinkState;
