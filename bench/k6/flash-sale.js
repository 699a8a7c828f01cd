// k6 flash-sale load test against a running Donut-States API: the embedded one (`npm start`) or the AWS
// deployment (the ApiUrl output of `npm run deploy`).
//
//   k6 run -e BASE_URL=https://abc123.execute-api.eu-west-1.amazonaws.com \
//          -e ADMIN_TOKEN=... -e STOCK=2000 -e RATE=300 -e DURATION=2m bench/k6/flash-sale.js
//
// With ADMIN_TOKEN, setup() creates a fresh product with STOCK units, so every run starts from a known
// stock and never touches the seeded donut. Checkouts then arrive at RATE per second; every answer must be
// 201 (placed) or 409 (sold out), and teardown() checks that stock never went below zero and that no more
// units were sold than there were.

import { check, fail } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = (__ENV.BASE_URL || 'http://localhost:3000').replace(/\/+$/, '');
const ADMIN_TOKEN = __ENV.ADMIN_TOKEN || '';
const STOCK = Number(__ENV.STOCK || 1000);
const RATE = Number(__ENV.RATE || 200);
const DURATION = __ENV.DURATION || '1m';
const CUSTOMERS = Number(__ENV.CUSTOMERS || 5000);
const RUN = __ENV.RUN_ID || `${Date.now().toString(36)}`;
const SKU = __ENV.SKU || (ADMIN_TOKEN ? `K6-${RUN}` : 'CP-502101');

const placed = new Counter('checkouts_placed');
const soldOut = new Counter('checkouts_sold_out');
const unexpected = new Rate('checkouts_unexpected');
const placedLatency = new Trend('checkout_placed_duration', true);

export const options = {
  scenarios: {
    browse: {
      executor: 'constant-arrival-rate',
      exec: 'browse',
      rate: Math.max(1, Math.round(RATE / 4)),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 20,
      maxVUs: 200,
    },
    flash_sale: {
      executor: 'ramping-arrival-rate',
      exec: 'checkout',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: 100,
      maxVUs: 2000,
      stages: [
        { target: RATE, duration: '10s' },
        { target: RATE, duration: DURATION },
        { target: 0, duration: '5s' },
      ],
    },
  },
  thresholds: {
    // A sale answers 201 or 409, never a 5xx or a dropped connection.
    checkouts_unexpected: ['rate==0'],
    'http_req_failed{scenario:flash_sale}': ['rate<0.001'],
    'http_req_duration{scenario:flash_sale}': ['p(95)<1000', 'p(99)<2000'],
    'http_req_duration{scenario:browse}': ['p(95)<500'],
  },
};

const json = { 'content-type': 'application/json' };

function product() {
  const res = http.get(`${BASE_URL}/products/${SKU}`, { tags: { name: 'GET /products/{sku}' } });
  if (res.status !== 200) fail(`GET /products/${SKU} answered ${res.status}: ${res.body}`);
  return res.json();
}

export function setup() {
  if (ADMIN_TOKEN) {
    const res = http.put(
      `${BASE_URL}/products/${SKU}`,
      JSON.stringify({
        name: `k6 flash sale ${RUN}`,
        price: 1.5,
        stock: STOCK,
        // Selling out opens one replenishment of a single unit: stock can only end at or below where it began.
        reorderPoint: 0,
        reorderQuantity: 1,
        factoryId: 'factory-k6',
      }),
      { headers: { ...json, authorization: `Bearer ${ADMIN_TOKEN}` }, tags: { name: 'PUT /products/{sku}' } },
    );
    if (res.status !== 200 && res.status !== 201) fail(`could not create ${SKU}: ${res.status} ${res.body}`);
  }
  const start = product();
  console.log(`flash sale on ${SKU} at ${BASE_URL}: ${start.stock} units, ${RATE} checkouts/s for ${DURATION}`);
  return { startStock: start.stock };
}

export function browse() {
  const res = http.get(`${BASE_URL}/products/${SKU}`, { tags: { name: 'GET /products/{sku}' } });
  check(res, { 'product readable': (r) => r.status === 200 });
}

export function checkout() {
  const iteration = exec.scenario.iterationInTest;
  const res = http.post(
    `${BASE_URL}/checkout`,
    JSON.stringify({ sku: SKU, quantity: 1, customerId: `k6-${RUN}-${iteration % CUSTOMERS}` }),
    {
      // A key per attempt: a client retry of this same request would replay, not buy twice.
      headers: { ...json, 'idempotency-key': `k6-${RUN}-${iteration}` },
      tags: { name: 'POST /checkout' },
      responseCallback: http.expectedStatuses(201, 409),
    },
  );
  const ok = check(res, {
    'placed or sold out': (r) => r.status === 201 || r.status === 409,
    'sold-out answer names what is left': (r) => r.status !== 409 || r.json('error.code') === 'out_of_stock',
  });
  unexpected.add(!ok);
  if (res.status === 201) {
    placed.add(1);
    placedLatency.add(res.timings.duration);
  } else if (res.status === 409) {
    soldOut.add(1);
  }
}

export function teardown(data) {
  const end = product();
  console.log(`stock ${data.startStock} -> ${end.stock}`);
  check(end, {
    'stock never below zero': (p) => p.stock >= 0,
    'no more sold than there was': (p) => p.stock <= data.startStock,
  });
}
