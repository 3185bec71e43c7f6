import { ContainerResources , k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { ValidationCode } from '../validation-code';
import { checkCpu, checkSize, cpuMillis, isOptions, mebibytesOf, propError } from './validation';

/**
 * Checks container resources: their shape (a JavaScript or Python caller can pass a Cpu where
 * `{ request, limit }` goes, or misspell a key, which would drop the defaults), valid quantities,
 * requests at most the limits, and a memory limit whenever memory is given (a container without
 * one can exhaust its node).
 */
export function checkContainerResources(scope: IConstruct, prop: string, resources: ContainerResources | undefined): void {
  if (resources === undefined || resources === null) return;
  checkKeys(scope, prop, resources, ['cpu', 'memory', 'ephemeralStorage'], '{ cpu?, memory?, ephemeralStorage? }');
  const cpu = resources.cpu;
  checkKeys(scope, `${prop}.cpu`, cpu, ['request', 'limit'], '{ request?, limit? } of Cpu, such as { request: Cpu.millis(250) }');
  if (cpu?.request !== undefined) checkCpu(scope, `${prop}.cpu.request`, cpu.request);
  if (cpu?.limit !== undefined) checkCpu(scope, `${prop}.cpu.limit`, cpu.limit);
  if (cpu?.request && cpu.limit && cpuMillis(cpu.request) > cpuMillis(cpu.limit)) {
    throw propError(scope, `${prop}.cpu.request`, cpu.request, `at most the limit (${cpu.limit.amount})`, ValidationCode.QUANTITY);
  }
  const storage = resources.ephemeralStorage;
  checkKeys(scope, `${prop}.ephemeralStorage`, storage, ['request', 'limit'], '{ request?, limit? } of Size, such as { limit: Size.gibibytes(1) }');
  if (storage?.request !== undefined) checkSize(scope, `${prop}.ephemeralStorage.request`, storage.request, 1);
  if (storage?.limit !== undefined) checkSize(scope, `${prop}.ephemeralStorage.limit`, storage.limit, 1);
  if (storage?.request && storage.limit && mebibytesOf(storage.request) > mebibytesOf(storage.limit)) {
    throw propError(scope, `${prop}.ephemeralStorage.request`, storage.request, `at most the limit (${storage.limit.asString()})`, ValidationCode.QUANTITY);
  }
  const memory = resources.memory;
  checkKeys(scope, `${prop}.memory`, memory, ['request', 'limit'], '{ request?, limit } of Size, such as { limit: Size.gibibytes(1) }');
  if (memory) {
    if (memory.limit === undefined || memory.limit === null) {
      throw propError(scope, `${prop}.memory.limit`, undefined, 'a memory limit, such as Size.gibibytes(1): a container without one can exhaust its node', ValidationCode.REQUIRED);
    }
    checkSize(scope, `${prop}.memory.limit`, memory.limit, 64);
    if (memory.request !== undefined) {
      checkSize(scope, `${prop}.memory.request`, memory.request, 64);
      if (mebibytesOf(memory.request) > mebibytesOf(memory.limit)) {
        throw propError(scope, `${prop}.memory.request`, memory.request, `at most the limit (${memory.limit.asString()})`, ValidationCode.QUANTITY);
      }
    }
  }
}

/** Unset, or an options object (not an instance of a class) with no other keys than these. */
function checkKeys(scope: IConstruct, prop: string, value: unknown, keys: string[], what: string): void {
  if (value === undefined) return;
  if (!isOptions(value)) throw propError(scope, prop, value, what, ValidationCode.FORMAT);
  const unknown = Object.keys(value).filter(k => !keys.includes(k));
  if (unknown.length > 0) throw propError(scope, `${prop}.${unknown[0]}`, (value as Record<string, unknown>)[unknown[0]], `one of the keys ${keys.join(', ')}`, ValidationCode.FORMAT);
}

/** The defaults, with each of cpu, memory and ephemeral storage replaced where given. */
export function mergeResources(defaults: ContainerResources, overrides: ContainerResources | undefined): ContainerResources {
  return {
    cpu: overrides?.cpu ?? defaults.cpu,
    memory: overrides?.memory ?? defaults.memory,
    ephemeralStorage: overrides?.ephemeralStorage ?? defaults.ephemeralStorage,
  };
}

/** Container resources as a Kubernetes `resources` block. */
export function toRequirements(resources: ContainerResources): k8s.ResourceRequirements {
  const requests: Record<string, k8s.Quantity> = {};
  const limits: Record<string, k8s.Quantity> = {};
  if (resources.cpu?.request) requests.cpu = k8s.Quantity.fromString(resources.cpu.request.amount);
  if (resources.cpu?.limit) limits.cpu = k8s.Quantity.fromString(resources.cpu.limit.amount);
  if (resources.memory?.request) requests.memory = k8s.Quantity.fromString(resources.memory.request.asString());
  if (resources.memory?.limit) limits.memory = k8s.Quantity.fromString(resources.memory.limit.asString());
  if (resources.ephemeralStorage?.request) requests['ephemeral-storage'] = k8s.Quantity.fromString(resources.ephemeralStorage.request.asString());
  if (resources.ephemeralStorage?.limit) limits['ephemeral-storage'] = k8s.Quantity.fromString(resources.ephemeralStorage.limit.asString());
  return { requests, limits };
}
