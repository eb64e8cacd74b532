import { vmDown } from './vm-harness.js';

// The VM test host is booted by the first test file that needs it and kept for the next ones (`vm-host.sh
// up` keeps a VM that answers and cleans what the previous file left: a boot under TCG costs 30-40 s of
// both cores); it is shut down once, when the integration tests are over.
export function teardown(): void {
  vmDown();
}
