import { api, unwrap } from '../../api/client';
import type { Success } from '../../api/types';

export type Holding = Success<'/api/v1/licenses'>['items'][number];

/** The API's bound for one page. */
export const PAGE = 500;

export const productQuery = (productId: string) => ({
  queryKey: ['products', productId],
  queryFn: () => unwrap(api.GET('/api/v1/products/{id}', { params: { path: { id: productId } } })),
});

export const vendorQuery = (vendorId: string) => ({
  queryKey: ['vendors', vendorId],
  queryFn: () => unwrap(api.GET('/api/v1/vendors/{id}', { params: { path: { id: vendorId } } })),
});

export const vendorMetricsQuery = (vendorId: string) => ({
  queryKey: ['vendors', vendorId, 'metrics'],
  queryFn: () => unwrap(api.GET('/api/v1/vendors/{id}/metrics', { params: { path: { id: vendorId } } })),
});

/**
 * The holding of one product: GET /api/v1/licenses lists holdings per product for a vendor, page by page;
 * this walks the vendor's pages until it meets the product (a vendor's products rarely fill one page).
 */
export const productHoldingQuery = (vendorId: string, productId: string) => ({
  queryKey: ['licenses', { vendorId }, productId],
  queryFn: async (): Promise<Holding | null> => {
    let cursor: string | undefined;
    do {
      const page = await unwrap(api.GET('/api/v1/licenses', { params: { query: { vendorId, limit: PAGE, cursor } } }));
      const found = page.items.find((item) => item.product.id === productId);
      if (found) return found;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return null;
  },
});
