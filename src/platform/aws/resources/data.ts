import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Topology } from '../../../topology.ts';
import { acknowledge } from '../nag.ts';
import { pascal } from '../plan.ts';
import { INSTANCE_PORT } from './sizing.ts';

const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

/** One database of the topology: its instance, the proxy in front of it and its credentials. */
export interface DatabaseResources {
  readonly instance: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  readonly secret: secretsmanager.ISecret;
  /** The PostgreSQL database name inside the instance. */
  readonly name: string;
}

export interface DataProps {
  readonly topology: Topology;
  readonly vpc: ec2.Vpc;
  /** Multi-AZ with deletion protection and a snapshot on removal; otherwise single-AZ and removable. */
  readonly production: boolean;
}

/**
 * One PostgreSQL instance per database of the topology, in the isolated subnets, each behind its own
 * RDS Proxy, with its log group and a rotated secret. Resources are created in the stack's scope, so
 * logical ids stay those of a flat stack.
 */
export class Data {
  /** By database name, in the topology's order. */
  readonly databases = new Map<string, DatabaseResources>();
  readonly #scope: Stack;
  readonly #vpc: ec2.Vpc;

  constructor(scope: Stack, props: DataProps) {
    this.#scope = scope;
    this.#vpc = props.vpc;
    for (const declaration of props.topology.databases) this.#database(declaration.name, props.production);
  }

  #database(name: string, production: boolean): void {
    const scope = this.#scope;
    const id = pascal(name);
    const dataSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const identifier = `${scope.stackName}-${name}`.toLowerCase();
    // Created here, with a retention, rather than by RDS on first export (which keeps logs forever).
    const logGroup = new logs.LogGroup(scope, `${id}DatabaseLogs`, {
      logGroupName: `/aws/rds/instance/${identifier}/postgresql`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const instance = new rds.DatabaseInstance(scope, `${id}Database`, {
      instanceIdentifier: identifier,
      engine: POSTGRES,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: this.#vpc,
      vpcSubnets: dataSubnets,
      port: INSTANCE_PORT,
      databaseName: `donut_${name.replace(/-/g, '_')}`,
      credentials: rds.Credentials.fromGeneratedSecret('donut'),
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      backupRetention: Duration.days(7),
      multiAz: production,
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
    });
    instance.node.addDependency(logGroup);
    if (!production) {
      acknowledge(
        instance,
        'AwsSolutions-RDS3',
        'Single-AZ keeps the demo deployment cheap; deploy with -c production=true for a Multi-AZ standby.',
      );
      acknowledge(
        instance,
        'AwsSolutions-RDS10',
        'Without -c production=true the stack is meant to be destroyable in one command; production turns deletion protection on.',
      );
    }
    const secret = instance.secret!;
    // The proxy holds the connections, so a burst of Lambdas does not exhaust a small instance.
    const proxy = instance.addProxy(`${id}Proxy`, {
      // Named after its instance: a proxy name is unique per account and region, like the instance's.
      dbProxyName: identifier,
      secrets: [secret],
      vpc: this.#vpc,
      vpcSubnets: dataSubnets,
      requireTLS: true,
      debugLogging: false,
    });
    instance.connections.allowDefaultPortFrom(proxy, 'RDS Proxy to its database');
    instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      // Not at creation: single-user rotation behind the proxy has a window where logins fail, and the
      // schema migration connects right then. The first rotation comes with the schedule.
      rotateImmediatelyOnUpdate: false,
      // The rotation function talks to Secrets Manager, so it needs the NAT route.
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    this.databases.set(name, { instance, proxy, secret, name: `donut_${name.replace(/-/g, '_')}` });
  }
}
