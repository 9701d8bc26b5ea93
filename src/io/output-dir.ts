// The output folder is checked before any work: a run that cannot write its result must not
// train for minutes first. Nothing is created here (the folder is made when the outputs are
// written): the check looks at the folder, or at the nearest existing folder above it, which is
// where mkdir -p would start.
import { constants } from 'node:fs';
import { access, realpath, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

// Kernel file systems that show the system's state and hold no files (statfs f_type, linux/magic.h).
// Node's recursive mkdir spins forever on some of them (/proc).
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc', 0x62656572: 'sysfs', 0x1cd1: 'devpts', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2',
  0x64626720: 'debugfs', 0x74726163: 'tracefs', 0x73636673: 'securityfs', 0xcafe4a11: 'bpf',
  0x62656570: 'configfs', 0x6165676c: 'pstore', 0xde5e81e4: 'efivarfs', 0x19800202: 'mqueue',
  0x65735543: 'fusectl', 0x42494e4d: 'binfmt_misc',
};
// /dev is an in-memory tmpfs (devtmpfs) that statfs cannot tell from /tmp: known by its path.
// /dev/shm is a tmpfs meant for files.
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];
const FILE_ROOTS = ['/dev/shm'];

const under = (path: string, root: string) => path === root || path.startsWith(root + '/');
const pseudoRoot = (path: string) => (FILE_ROOTS.some((r) => under(path, r)) ? undefined : PSEUDO_ROOTS.find((r) => under(path, r)));

/** Throws a message naming the fix when outputs cannot be written to `dir`. */
export async function checkOutputDir(dir: string): Promise<void> {
  const target = resolve(dir);
  const where = `Cannot write the outputs to "${dir}"`;
  // The nearest existing path: the folder itself or the ancestor mkdir -p would start from.
  let existing = target;
  let st;
  for (;;) {
    try {
      st = await stat(existing);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(existing) !== existing) { existing = dirname(existing); continue; }
      if (code === 'EACCES') throw new Error(`${where}: a folder on the way to it cannot be entered by this user. Pick a folder you can write to with -o, e.g. -o ./out.`);
      throw new Error(`${where}: ${(e as Error).message}. Pick another folder with -o, e.g. -o ./out.`);
    }
  }
  const real = await realpath(existing).catch(() => existing);
  const root = pseudoRoot(target) ?? pseudoRoot(real);
  const fs = PSEUDO_FS[(await statfs(existing).catch(() => undefined))?.type ?? -1];
  if (root || fs)
    throw new Error(`${where}: it is on ${fs ?? root}, a kernel file system that cannot hold files. Pick a folder on a disk with -o, e.g. -o ./out.`);
  if (!st.isDirectory()) {
    if (existing === target) throw new Error(`${where}: it is a file, not a folder. Pick a folder with -o (a new or an existing one), or move the file away.`);
    throw new Error(`${where}: "${existing}" is a file, so no folder can be made under it. Pick a path under a folder with -o, e.g. -o ./out.`);
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EROFS')
      throw new Error(`${where}: "${existing}" is on a read-only file system. Pick a folder on a writable disk with -o, e.g. -o ./out.`);
    throw new Error(`${where}: "${existing}" is not writable by this user. Pick a folder you can write to with -o, or change its permissions (chmod u+w "${existing}").`);
  }
}
