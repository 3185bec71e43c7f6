/**
 * Property suite, second half: random valid configurations of the whole public API, through
 * `PrefectPlatform`, synthesize to output that Kubernetes 1.27 accepts, that passes Pod Security
 * "restricted", has no dangling reference, RBAC wildcard, unasked ClusterRole or Secret literal,
 * has unique DNS-1123 names, keeps the data-safety rules, and (a quarter of them, built twice) is the same every time (see
 * `invariantViolations`). The suite is split in two files so that jest runs the halves in
 * parallel. A failure prints its seed and path: `PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npx jest
 * test/platform-properties` replays it.
 */
import { validPlatformsHold } from './support/arbitraries';

test('random valid platforms synthesize valid, safe, deterministic output (500 more configurations)', () => {
  validPlatformsHold(500);
});
