import { IConstruct } from 'constructs';
import { guardChart } from './collisions';

/**
 * The library's constructs of each app, registered by their constructors, so that a construct finds
 * its peers (the pools that connect to a server, the servers a policy must cover) without walking
 * the construct tree. Keyed by the app's root, and held weakly: an app that is dropped takes its
 * entries with it.
 */
const registries = new WeakMap<IConstruct, IConstruct[]>();

const library = new WeakSet<IConstruct>();

/**
 * Records a construct of the library in its app, and has its chart check that no two objects
 * clash.
 */
export function register(construct: IConstruct): void {
  library.add(construct);
  guardChart(construct, c => library.has(c));
  const root = construct.node.root;
  const entries = registries.get(root);
  if (entries) entries.push(construct);
  else registries.set(root, [construct]);
}

/**
 * The registered constructs of `scope`'s app that are instances of `type`, in the order of the
 * construct tree (a parent before its children, children in the order they were added), whatever
 * the order they were made in.
 */
export function registered<T extends IConstruct>(scope: IConstruct, type: abstract new (...args: any[]) => T): T[] {
  return registeredOf(scope, [type]) as T[];
}

/** The registered constructs of any of `types`, in the order of the construct tree. */
export function registeredOf(scope: IConstruct, types: Array<abstract new (...args: any[]) => IConstruct>): IConstruct[] {
  const entries = registries.get(scope.node.root) ?? [];
  return entries.filter(c => types.some(t => c instanceof t)).sort(treeOrder);
}

function treeOrder(a: IConstruct, b: IConstruct): number {
  const left = a.node.scopes;
  const right = b.node.scopes;
  let depth = 0;
  while (depth < left.length && depth < right.length && left[depth] === right[depth]) depth++;
  // One contains the other: the ancestor comes first.
  if (depth === left.length || depth === right.length) return left.length - right.length;
  const siblings = left[depth - 1].node.children;
  return siblings.indexOf(left[depth]) - siblings.indexOf(right[depth]);
}
