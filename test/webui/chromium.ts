// The Chromium the Web UI test drives with playwright-core: the one CHROMIUM_PATH names, else
// `chromium` (Debian's package, which scripts/install-tools.sh installs where it can) or
// `chromium-browser` on the PATH. Playwright never downloads a browser of its own here.
import { isExecutable, onPath } from '../../src/stack/executables.ts';

export type ChromiumLookup = { executablePath: string } | { missing: string };


/** The browser to launch, or why there is none (the reason a test skips with). A CHROMIUM_PATH that
 * names no executable is a mistake, not a missing browser: it throws. */
export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env): ChromiumLookup {
  const named = env.CHROMIUM_PATH;
  if (named) {
    if (!isExecutable(named)) throw new Error(`CHROMIUM_PATH=${named} is not an executable file`);
    return { executablePath: named };
  }
  for (const name of ['chromium', 'chromium-browser']) {
    const found = onPath(name, env.PATH ?? '');
    if (found) return { executablePath: found };
  }
  return {
    missing:
      'no Chromium: neither `chromium` nor `chromium-browser` is on the PATH and CHROMIUM_PATH is not set ' +
      '(`bash scripts/install-tools.sh --chromium-only` installs Debian\'s chromium as root or with passwordless sudo)',
  };
}
