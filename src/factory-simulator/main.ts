import { FactorySimulator } from './simulator.ts';

// Runs the simulator on its own: FACTORY_PORT (default 4000), FACTORY_STAGE_MS (default 10000),
// FACTORY_FAULTS as JSON (e.g. {"failureRate":0.5}).
const port = Number(process.env.FACTORY_PORT ?? 4000);
const stageMs = Number(process.env.FACTORY_STAGE_MS ?? 10_000);
const faults = process.env.FACTORY_FAULTS ? JSON.parse(process.env.FACTORY_FAULTS) : {};
const simulator = new FactorySimulator({
  stageMs,
  faults,
  log: (message, fields) => console.log(JSON.stringify({ msg: message, ...fields })),
});
const url = await simulator.listen(port, process.env.HOST ?? '127.0.0.1');
console.log(`factory simulator listening on ${url} (${stageMs} ms per stage)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void simulator.close().then(() => process.exit(0)));
}
