/** Storage key layout: everything of one image under one prefix, so a delete is one prefix removal. */
export const imagePrefix = (imageId: string) => `images/${imageId}/`;
export const originalKey = (imageId: string) => `${imagePrefix(imageId)}original`;
export const thumbnailKey = (imageId: string, height: number) => `${imagePrefix(imageId)}h${height}`;
