/**
 * `npm run smoke -- --url <base> --token <admin token> [--factory simulator]`: walks any running
 * deployment, embedded or on AWS, through its HTTP API and prints a pass/fail table. Exit code 0 when
 * every step passed, 1 when one failed, 2 for a wrong command line.
 */
import { parseArgs } from 'node:util';
import { renderReport } from './report.ts';
import { runSmoke } from './walk.ts';

const USAGE = `usage: npm run smoke -- --url <base URL> --token <admin token> [options]

  --url <base URL>        the deployment: http://localhost:3000, or the ApiUrl output of the AWS stack
  --token <token>         the admin token (default: the ADMIN_TOKEN environment variable)
  --factory simulator     the deployment's factory is the simulator: wait for its callback and check
                          that stock rises exactly once (default: real, whose delivery is not awaited)
  --factory-id <id>       factoryId of the product the walk creates (default: smoke-test)
  --wait <seconds>        how long to wait for each event that travels through the queues (default: 120)
  --timeout <seconds>     deadline of one HTTP request (default: 15)
  -h, --help              this text

The walk creates a product of its own (sku SMOKE-<time>-<random>), buys it, runs it out of stock,
which orders one unit from the factory and sends one pause-ads mail, and cancels its orders at the
end. It prints what it could not remove.`;

function fail(message: string): never {
  process.stderr.write(`smoke: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function seconds(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback * 1000;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number of seconds, not ${text}`);
  return value * 1000;
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      factory: { type: 'string', default: 'real' },
      'factory-id': { type: 'string', default: 'smoke-test' },
      wait: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
}
try {
  args = parse();
} catch (error) {
  fail((error as Error).message);
}

if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const url = args.url ?? fail('--url is required');
if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) fail(`--url must be an http(s) URL, not ${url}`);
const token = args.token ?? process.env.ADMIN_TOKEN ?? fail('--token is required (or set ADMIN_TOKEN)');
if (args.factory !== 'real' && args.factory !== 'simulator') {
  fail(`--factory is "simulator" or "real", not ${args.factory}`);
}

const report = await runSmoke({
  url,
  token,
  simulatorFactory: args.factory === 'simulator',
  factoryId: args['factory-id'],
  waitMs: seconds(args.wait, 'wait', 120),
  requestTimeoutMs: seconds(args.timeout, 'timeout', 15),
  progress: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`${renderReport(report)}\n`);
process.exitCode = report.passed ? 0 : 1;
