import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaEntry } from '../../platform/aws/lambda/entry.ts';
import { ENV, readLambdaEnvironment, required } from '../../platform/aws/lambda/env.ts';
import type { ServiceName } from '../../topology.ts';
import { createHttpHandler } from './adapters.ts';
import { runtimeFromEnvironment } from './runtime.ts';

/** API Gateway HTTP API → one service's routes (DONUT_SERVICE). */
export const handler = lambdaEntry<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(async (pt, logger) => {
  const env = readLambdaEnvironment();
  const service = required(env.service, ENV.service) as ServiceName;
  return createHttpHandler(await runtimeFromEnvironment(pt, logger, env), service, pt.metrics);
});
