import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * The VPC every function and database lives in: public subnets for the NAT gateway, private subnets
 * with egress for the functions, isolated subnets for the databases, all traffic in flow logs.
 * Created directly in the stack's scope, so logical ids stay those of a flat stack.
 */
export function createNetwork(scope: Stack): ec2.Vpc {
  const flowLogs = new logs.LogGroup(scope, 'VpcFlowLogs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new ec2.Vpc(scope, 'Network', {
    maxAzs: 2,
    // One NAT gateway: the factory, the marketing webhook and the AWS APIs are reached through it.
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    flowLogs: {
      all: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });
}
