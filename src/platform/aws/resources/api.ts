import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { acknowledge } from '../nag.ts';
import { apiGatewayPath, type FunctionPlan } from '../plan.ts';
import { API_THROTTLE } from './sizing.ts';

/**
 * The HTTP API: one `$default` stage with a JSON access log, and a route for every route of the
 * topology. Resources are created in the stack's scope, so logical ids stay those of a flat stack.
 */
export class Api {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Stack, props: { readonly systemName: string }) {
    this.api = new apigw.HttpApi(scope, 'Api', {
      apiName: `${scope.stackName}-api`,
      description: `${props.systemName}: every route of the topology`,
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // A flash sale is answered 429 at the gate rather than starving the queue consumers of concurrency.
      throttle: { ...API_THROTTLE },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            length: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'A shop API: products, checkout, customers and health are public by contract; the factory callback is authenticated by its HMAC signature; admin routes check the bearer token in the gateway code, from the topology.',
    );
  }

  /**
   * Routes every path of an HTTP function's plan (and, for the fallback service, everything else) to it.
   * Returns the routes, for the stack to order them after the schemas the function reads.
   */
  route(plan: FunctionPlan, fn: lambda.IFunction): apigw.HttpRoute[] {
    const integration = new HttpLambdaIntegration(`${plan.id}Integration`, fn, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    const routes = plan.routes.flatMap((route) =>
      this.api.addRoutes({
        path: apiGatewayPath(route.path),
        methods: [apigw.HttpMethod[route.method]],
        integration,
      }),
    );
    if (plan.fallback) {
      routes.push(
        new apigw.HttpRoute(this.api, 'FallbackRoute', {
          httpApi: this.api,
          routeKey: apigw.HttpRouteKey.DEFAULT,
          integration,
        }),
      );
    }
    return routes;
  }
}
