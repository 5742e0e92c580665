import React from 'react';
import { Box } from '@adminjs/design-system';
import type { BasePropertyProps } from 'adminjs';

// Used for list and show of Image.previewUrl (a virtual property filled in an `after` hook).
const ImageThumb: React.FC<BasePropertyProps> = ({ record, where }) => {
  const src = record?.params?.previewUrl as string | undefined;
  if (!src) return <span>-</span>;
  const height = where === 'show' ? 200 : 48;
  return (
    <Box>
      <img
        src={src}
        alt={String(record?.params?.title ?? 'preview')}
        data-testid="image-thumb"
        loading="lazy"
        style={{ height, width: 'auto', objectFit: 'contain', borderRadius: 4, background: '#eee' }}
      />
    </Box>
  );
};

export default ImageThumb;
