import { AppError } from '../../contract/errors.ts';
import type { Replenishment } from '../../contract/http.ts';

export class ProductNotFoundError extends AppError {
  constructor(sku: string) {
    super(404, 'product_not_found', `no product with sku ${sku}`);
    this.name = 'ProductNotFoundError';
  }
}

export class OutOfStockError extends AppError {
  constructor(sku: string, requested: number, available: number, replenishment: Replenishment | null) {
    super(409, 'out_of_stock', `only ${available} of ${sku} in stock, ${requested} requested`, {
      extra: { available, replenishment },
    });
    this.name = 'OutOfStockError';
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** A cart line that did not fit, as the 409 lists it. */
export interface Shortage {
  readonly sku: string;
  readonly requested: number;
  readonly available: number;
  readonly replenishment: Replenishment | null;
}

export class CartOutOfStockError extends AppError {
  constructor(shortages: readonly Shortage[]) {
    super(409, 'out_of_stock', `not enough stock for ${shortages.map((s) => s.sku).join(', ')}; nothing was sold`, {
      extra: { shortages },
    });
    this.name = 'CartOutOfStockError';
  }
}

export class CartProductsNotFoundError extends AppError {
  constructor(skus: readonly string[]) {
    super(404, 'product_not_found', `no product with sku ${skus.join(', ')}`, {
      details: skus.map((sku) => ({ field: 'items.sku', message: `no product with sku ${sku}` })),
    });
    this.name = 'CartProductsNotFoundError';
  }
}

export class OrderNotFoundError extends AppError {
  constructor(id: string) {
    super(404, 'order_not_found', `no order with id ${id}`);
    this.name = 'OrderNotFoundError';
  }
}
