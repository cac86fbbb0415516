// Finding the programs the product and its tests run (the Temporal CLI, rclone, a browser, Compose):
// a file that may be executed, and the first such file of a name on a search path.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** An executable file (a directory with the x bit is none). */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` in the folders of `searchPath` (a PATH), or undefined. */
export function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}
