import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository's workshop flag file (infra/flags/mesh.flagd.json). */
export const REPOSITORY_FLAGS_FILE = join(
  __dirname,
  '..',
  '..',
  '..',
  'infra',
  'flags',
  'mesh.flagd.json',
);

export interface FlagFileCopy {
  /** The copy's path, to pass as FLAGS_FILE. */
  file: string;
  /** Puts a flag on one of its variants (null: the service's own default), as `pnpm fault` does. */
  switchTo(flag: string, variant: string | null): void;
  /** What `pnpm fault <flag> off` switches to: the "off" variant where there is one, else null. */
  offVariant(flag: string): string | null;
}

/** A private copy of the repository's flag file, for a test that switches faults at run time. */
export function flagFileCopy(): FlagFileCopy {
  const file = join(mkdtempSync(join(tmpdir(), 'mesh-flags-')), 'mesh.flagd.json');
  copyFileSync(REPOSITORY_FLAGS_FILE, file);
  const read = (flag: string) => {
    const document = JSON.parse(readFileSync(file, 'utf8'));
    if (!document.flags[flag]) throw new Error(`no flag ${flag} in ${file}`);
    return document;
  };
  return {
    file,
    offVariant: (flag) => ('off' in read(flag).flags[flag].variants ? 'off' : null),
    switchTo(flag, variant) {
      const document = read(flag);
      document.flags[flag].defaultVariant = variant;
      // Write and rename, so the service never reads half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(document));
      renameSync(`${file}.tmp`, file);
    },
  };
}
