import type { Engine } from '../../helpers/system.ts';
import type { ChaosContext, ScenarioResult } from '../harness.ts';
import { authScenario, authSizes } from './auth.ts';
import { cartSaleScenario, cartSaleSizes } from './cart-sale.ts';
import { crashScenario, crashSizes } from './crash.ts';
import { duplicatesScenario, duplicatesSizes } from './duplicates.ts';
import { outageScenario, outageSizes } from './factory-outage.ts';
import { forgedCallbacksScenario, forgedSizes } from './forged-callbacks.ts';
import { fuzzScenario, fuzzSizes } from './fuzz.ts';
import { oversellScenario, oversellSizes } from './oversell.ts';
import { poisonScenario, poisonSizes } from './poison.ts';
import { sqlInjectionScenario } from './sql-injection.ts';

/** Both engines when a PostgreSQL server is at hand, else the embedded one. */
const enginesOf = (context: ChaosContext): Engine[] => (context.postgresUrl ? ['pglite', 'postgres'] : ['pglite']);

/** `test`: the small versions `npm test` runs; `report`: the full ones `npm run chaos` runs. */
export type SizeName = 'test' | 'report';

export interface ScenarioEntry {
  readonly id: string;
  run(size: SizeName, context: ChaosContext): Promise<ScenarioResult>;
}

/** Every scenario of the reliability report, in report order. */
export const scenarios: readonly ScenarioEntry[] = [
  { id: 'crash', run: (size, context) => crashScenario(crashSizes[size], context) },
  { id: 'carts', run: (size, context) => cartSaleScenario(cartSaleSizes[size], context) },
  { id: 'duplicates', run: (size, context) => duplicatesScenario(duplicatesSizes[size], context) },
  { id: 'outage', run: (size, context) => outageScenario(outageSizes[size], context) },
  { id: 'poison', run: (size, context) => poisonScenario(poisonSizes[size], context) },
  { id: 'forged', run: (size, context) => forgedCallbacksScenario(forgedSizes[size], context) },
  { id: 'fuzz', run: (size, context) => fuzzScenario(fuzzSizes[size], context) },
  { id: 'auth', run: (size, context) => authScenario(authSizes[size], context) },
  { id: 'sql-injection', run: (_size, context) => sqlInjectionScenario(enginesOf(context), context) },
  { id: 'oversell', run: (size, context) => oversellScenario(oversellSizes[size], enginesOf(context), context) },
];
