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
  const entries = (registries.get(scope.node.root) ?? []).filter(c => types.some(t => c instanceof t));
  const position = treePositions();
  const keys = new Map(entries.map(c => [c, position(c)]));
  return entries.sort((a, b) => comparePositions(keys.get(a)!, keys.get(b)!));
}

/**
 * Where a construct sits in its tree: its index among its parent's children, level by level from
 * the root. Each parent's children are listed once per sort, not once per comparison.
 */
function treePositions(): (c: IConstruct) => number[] {
  const indexes = new Map<IConstruct, Map<IConstruct, number>>();
  const indexIn = (parent: IConstruct, child: IConstruct): number => {
    let index = indexes.get(parent);
    if (!index) {
      index = new Map(parent.node.children.map((c, i) => [c, i]));
      indexes.set(parent, index);
    }
    return index.get(child)!;
  };
  return c => {
    const scopes = c.node.scopes;
    return scopes.slice(1).map((s, i) => indexIn(scopes[i], s));
  };
}

/** Tree order: a parent before its children, children in the order they were added. */
function comparePositions(left: number[], right: number[]): number {
  for (let i = 0; i < left.length && i < right.length; i++) {
    if (left[i] !== right[i]) return left[i] - right[i];
  }
  return left.length - right.length;
}
