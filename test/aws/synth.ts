import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../src/platform/aws/app.ts';
import { DonutStatesStack } from '../../src/platform/aws/stack.ts';
import type { Topology } from '../../src/topology.ts';

/** CDK's own switch to skip asset bundling: the template is the same, minus the esbuild runs. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
/** The example factory and mail addresses synthesize only when asked for explicitly. */
export const TEST_CONTEXT = { ...SKIP_BUNDLING, allowPlaceholders: 'true' };

export interface Synthesized {
  readonly app: App;
  readonly stack: DonutStatesStack;
  readonly template: Template;
  /** The template file as written to the cloud assembly, for tools that read files. */
  readonly templateFile: string;
  /** CDK's policy-validation report, where cdk-nag writes its findings. */
  readonly report: ValidationReport;
  cleanup(): void;
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly { readonly ruleName: string; readonly severity: string }[];
  }[];
}

/** The real app (cdk-nag included), synthesized into a temporary folder; a nag error throws here. */
export function synthesizeApp(): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'donut-cdk-'));
  const { app, stack } = buildApp({ context: TEST_CONTEXT, outdir });
  const assembly = app.synth();
  const report = JSON.parse(
    readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  return {
    app,
    stack,
    template: Template.fromStack(stack),
    templateFile: path.join(assembly.directory, stack.templateFile),
    report,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Just the stack for a topology (no nag), when only its shape matters. */
export function templateFor(topology: Topology): { stack: DonutStatesStack; template: Template } {
  const app = new App({ context: SKIP_BUNDLING, outdir: mkdtempSync(path.join(tmpdir(), 'donut-cdk-')) });
  const stack = new DonutStatesStack(app, 'DonutStates', { topology });
  return { stack, template: Template.fromStack(stack) };
}

type Resource = { Type: string; Properties?: Record<string, any>; DependsOn?: string[] };

/** Every resource of a type, with its logical id. */
export function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

/** The logical id CloudFormation gives a construct's main resource. */
export function logicalId(stack: DonutStatesStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}
