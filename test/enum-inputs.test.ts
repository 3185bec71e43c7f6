/**
 * Enum-like props: a JavaScript or Python caller can pass any string. One that is not a member is
 * rejected, naming the prop and listing the members, instead of passing into the output or being
 * taken for the default.
 */
import { Chart } from 'cdk8s';
import { ImagePullPolicy } from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import {
  AgentRbac, PrefectApi, PrefectConnection, PrefectImage, PrefectImageFlavor, PrefectLogLevel, PrefectWorkerPool, QueueDeployments,
  RunLauncher, WorkPoolType,
} from '../src';
import { inputErrorOf, synthError } from './support/synth';

const RUNS = 100;
const external = PrefectConnection.fromUrl('https://prefect.example.com/api');
const pool = (props: object) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection: external, poolName: 'etl', ...props });

/** Each enum-like prop: its enum, and how to set it to a value. */
const PROPS: Array<{ prop: string; type: string; values: object; set: (value: any) => (chart: Chart) => unknown }> = [
  { prop: 'launcher', type: 'RunLauncher', values: RunLauncher, set: launcher => chart => new AgentRbac(chart, 'rbac', { launcher }) },
  { prop: 'type', type: 'WorkPoolType', values: WorkPoolType, set: type => pool({ type }) },
  { prop: 'queueDeployments', type: 'QueueDeployments', values: QueueDeployments, set: queueDeployments => pool({ queueDeployments, queues: [{ name: 'etl' }] }) },
  { prop: 'logLevel', type: 'PrefectLogLevel', values: PrefectLogLevel, set: logLevel => pool({ logLevel }) },
  { prop: 'jobTemplate.imagePullPolicy', type: 'ImagePullPolicy', values: ImagePullPolicy, set: imagePullPolicy => pool({ jobTemplate: { imagePullPolicy } }) },
  { prop: 'logLevel', type: 'PrefectLogLevel', values: PrefectLogLevel, set: logLevel => chart => new PrefectApi(chart, 'api', { logLevel }) },
  { prop: 'flavor', type: 'PrefectImageFlavor', values: PrefectImageFlavor, set: flavor => () => PrefectImage.official({ flavor }) },
];


describe.each(PROPS)('$prop ($type)', ({ prop, type, values, set }) => {
  const members = Object.values(values) as string[];

  test('every member is accepted', () => {
    for (const member of members) expect(synthError(set(member))).toBeUndefined();
  });

  test('any other string is rejected, naming the prop and listing the members', () => {
    // Near misses (another case, a space around) as well as arbitrary strings.
    const nearMiss = fc.tuple(fc.constantFrom(...members), fc.constantFrom('lower', 'upper', 'space')).map(([m, how]) =>
      how === 'lower' ? m.toLowerCase() : how === 'upper' ? m.toUpperCase() : ` ${m}`);
    const other = fc.oneof(nearMiss, fc.string({ maxLength: 20 })).filter(v => !members.includes(v));
    fc.assert(fc.property(other, value => {
      const message = synthError(set(value));
      expect(inputErrorOf(message)).toEqual({ code: 'CHOICE', prop });
      expect(message).toContain(`${prop} ${JSON.stringify(value)} is not accepted: one of ${type}.`);
    }), { numRuns: RUNS, seed: 41 });
  });
});
