/** What a tier grants, as the API shows it. */
export interface TierView {
  id: number;
  name: string;
  thumbnailHeights: number[];
  originalLink: boolean;
  expiringLinks: boolean;
}
