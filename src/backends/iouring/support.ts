/**
 * Whether io_uring can run here, and if not, why and how to fix it. Used by
 * `UringIo.isSupported()`, by the UringIo constructor's `ERR_IOURING_UNAVAILABLE`, and by
 * `openIo({ backend: 'auto' })` to explain its fallback.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { BUILD_FROM_SOURCE_HINT, loadBinding, type NativeFailure } from '../../native/binding.js';
import { errnoName } from './errno.js';

/** What {@link UringIo.isSupported} answers. */
export interface UringSupport {
  readonly supported: boolean;
  /** Why not, with the fix, when `supported` is false. */
  readonly reason?: string;
  /** The errno io_uring_setup (or openat2) failed with, when that was the cause. */
  readonly errno?: number;
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/kernel/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A human explanation (cause and fix) of an io_uring start-up failure. */
export function explainFailure(failure: NativeFailure): string {
  const E = constants.errno;
  const name = errnoName(failure.errno);
  if (failure.stage === 'openat2') {
    return 'the kernel lacks openat2 (Linux 5.6+ is needed for RESOLVE_BENEATH); upgrade the kernel or use the fs backend';
  }
  if (failure.stage === 'open-root') {
    return `the root directory cannot be opened (${name})`;
  }
  if (failure.stage !== 'io_uring_setup') {
    return `io_uring set-up failed at ${failure.stage} with ${name}`;
  }
  const disabled = readSysctl('io_uring_disabled');
  switch (failure.errno) {
    case E.EPERM:
    case E.EACCES:
      if (disabled === '2') {
        return 'io_uring_setup failed with EPERM: the sysctl kernel.io_uring_disabled is 2 (io_uring disabled for everyone); ' +
          'set it to 0 (or 1 and add this user to kernel.io_uring_group)';
      }
      if (disabled === '1') {
        return 'io_uring_setup failed with EPERM: the sysctl kernel.io_uring_disabled is 1 and this process is not in ' +
          'kernel.io_uring_group; add the user to that group or set the sysctl to 0';
      }
      return 'io_uring_setup failed with EPERM: a seccomp profile blocks io_uring (Docker\'s and containerd\'s default ' +
        'profiles do); run with a profile that allows io_uring_setup/io_uring_enter/io_uring_register ' +
        '(e.g. docker run --security-opt seccomp=<profile>) or use the fs backend';
    case E.ENOSYS:
      return 'io_uring_setup failed with ENOSYS: the kernel was built without io_uring (CONFIG_IO_URING, Linux 5.1+) or a ' +
        'seccomp profile (e.g. gVisor, some container runtimes) hides it; use a kernel/profile with io_uring or the fs backend';
    case E.ENOMEM:
      return 'io_uring_setup failed with ENOMEM: on kernels before 5.12 rings are charged to RLIMIT_MEMLOCK; raise it ' +
        '(ulimit -l, LimitMEMLOCK= in systemd, --ulimit memlock=-1 in docker) or use a smaller queueDepth';
    case E.EMFILE:
    case E.ENFILE:
      return `io_uring_setup failed with ${name}: too many open files; raise the file-descriptor limit`;
    case E.EINVAL:
      return 'io_uring_setup failed with EINVAL: the kernel rejected the ring parameters (kernel too old for the flags, ' +
        'or queueDepth too large)';
    default:
      return `io_uring_setup failed with ${name}`;
  }
}

/** Checks once whether io_uring works in this process. Never throws. */
export function probeSupport(): UringSupport {
  if (process.platform !== 'linux') {
    return { supported: false, reason: `io_uring is Linux-only and this platform is ${process.platform}; use the fs backend` };
  }
  const load = loadBinding();
  if (!load.ok) return { supported: false, reason: load.reason };
  const binding = load.binding;
  if (!binding.platformSupported || binding.probe === undefined) {
    return { supported: false, reason: 'the native addon was built without io_uring support (non-Linux build); ' + BUILD_FROM_SOURCE_HINT };
  }
  let failure: NativeFailure;
  try {
    failure = binding.probe();
  } catch (err) {
    return { supported: false, reason: `the io_uring probe failed unexpectedly: ${String(err)}` };
  }
  if (failure.errno === 0) return { supported: true };
  return { supported: false, reason: explainFailure(failure), errno: failure.errno };
}
