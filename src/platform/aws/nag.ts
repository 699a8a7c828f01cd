import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

// Every acknowledgement made through `acknowledge`, so tests can list them and check their reasons.
const recorded = new WeakMap<IConstruct, Acknowledgement[]>();

/**
 * Accepts one cdk-nag finding on a construct (and everything under it), with the reason written down.
 * An empty or token reason is refused: a suppression without a reason is a bug.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`acknowledging ${id} at ${scope.node.path} needs a real reason`);
  Validations.of(scope).acknowledge({ id, reason });
  const root = scope.node.root;
  const list = recorded.get(root) ?? [];
  list.push({ path: scope.node.path, id, reason });
  recorded.set(root, list);
}

/** The acknowledgements made in an app (its root construct). */
export function acknowledgements(root: IConstruct): readonly Acknowledgement[] {
  return recorded.get(root.node.root) ?? [];
}
