import { describe, it } from 'vitest';
import { chaosContext, expectInvariantsHeld } from './assert.ts';
import { cartSaleScenario, cartSaleSizes } from './scenarios/cart-sale.ts';

describe('chaos: a cart flash sale with SIGKILLs and random cancellations', () => {
  it('keeps every order whole, returns cancelled stock once, counts customers net of cancellations, loses no event', async () => {
    expectInvariantsHeld(await cartSaleScenario(cartSaleSizes.test, chaosContext()), 14);
  }, 240_000);
});
