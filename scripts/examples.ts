/** The repository's examples as `pnpm challenge --adapter <name>` starts them: one shell command each. */
import { type AdapterName, exampleCommand } from '@1mrc/testkit';

export { ADAPTER_NAMES as ADAPTERS, type AdapterName, REPO_ROOT } from '@1mrc/testkit';

/** `exampleCommand(adapter)` as one shell command line for `1mrc-challenge --command`. */
export function exampleShellCommand(adapter: AdapterName): string {
  return exampleCommand(adapter)
    .map((word) => (/^[\w./=@:-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`))
    .join(' ');
}
