/*
 * ring-append: synced 4 KiB appends, one at a time, from C on a ring set up and woken the way
 * UringIo's is (native/ring.cc, native/addon.cc), with no JavaScript runtime around it.
 *
 * Why it exists: on synced appends UringIo stays under fio while every Node runner sits at about
 * the same rate. This program keeps everything of UringIo's path but Node: the setup flags
 * (CLAMP | SUBMIT_ALL | SINGLE_ISSUER | DEFER_TASKRUN, falling back like ring.cc), the write linked
 * to an fdatasync (IOSQE_IO_LINK, as writeDurable), and the wake-up through an eventfd registered
 * with the ring and waited on in epoll (as libuv waits). Its ratio to UringIo is what the runtime
 * costs; its ratio to fio is what the ring and the wake-up cost. The ring and the wake-up are
 * ring.h's, shared with ring-depth.c (the same at depth, on O_DIRECT reads and writes).
 *
 * Usage: ring-append <file> <seconds> [<busy µs>]. Prints one JSON line:
 * {"opsPerSecond":..,"cpuUsPerOp":..} (CPU: the whole process, io-wq workers included, as the Node
 * runners' process.cpuUsage()). `busy µs` (default 0, at most 100000) spins that long on the CPU
 * before each append, standing in for the work a runtime does between a completion and the next
 * submission: it shows what each microsecond of that work costs in appends per second.
 * Exits non-zero with a message on stderr on any failure.
 */
#define RING_PROGRAM "ring-append"
#include "ring.h"

#include <fcntl.h>

#define BLOCK_BYTES 4096
#define RING_ENTRIES 8
/* Bound on the epoll waits of one append (two completions post at most a few wake-ups). */
#define WAKEUPS_PER_APPEND_MAX 64

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: ring-append <file> <seconds> [<busy µs>]\n");
    return 2;
  }
  const double seconds = strtod(argv[2], NULL);
  if (!(seconds > 0 && seconds <= 600)) {
    fprintf(stderr, "ring-append: seconds must be in (0, 600]\n");
    return 2;
  }
  const double busy_us = argc == 4 ? strtod(argv[3], NULL) : 0;
  if (!(busy_us >= 0 && busy_us <= 100000)) {
    fprintf(stderr, "ring-append: busy µs must be in [0, 100000]\n");
    return 2;
  }
  struct ring r;
  ring_setup(&r, RING_ENTRIES);

  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open", errno);
  static char block[BLOCK_BYTES];
  for (size_t i = 0; i < sizeof block; i++) block[i] = (char)((i * 31) & 0xff);
  const unsigned getevents = ring_submit_flags(&r);
  const unsigned cqes_per_append = r.skips_success ? 1 : 2;

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  const double cpu_start = cpu_seconds();
  uint64_t appends = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    if (busy_us > 0) {
      struct timespec busy_start;
      clock_gettime(CLOCK_MONOTONIC, &busy_start);
      while (seconds_since(&busy_start) * 1e6 < busy_us) {
      }
    }
    uint32_t tail = *r.sq_tail;
    struct io_uring_sqe *write = next_sqe(&r, &tail);
    write->opcode = IORING_OP_WRITE;
    write->fd = fd;
    write->addr = (uint64_t)(uintptr_t)block;
    write->len = BLOCK_BYTES;
    write->off = appends * BLOCK_BYTES;
    write->flags = IOSQE_IO_LINK | (r.skips_success ? IOSQE_CQE_SKIP_SUCCESS : 0);
    struct io_uring_sqe *sync = next_sqe(&r, &tail);
    sync->opcode = IORING_OP_FSYNC;
    sync->fd = fd;
    sync->fsync_flags = IORING_FSYNC_DATASYNC;
    __atomic_store_n(r.sq_tail, tail, __ATOMIC_RELEASE);
    if (ring_enter(r.fd, 2, getevents) != 2) die("io_uring_enter (submit)", errno);
    unsigned done = reap(&r);
    for (unsigned wakeups = 0; done < cqes_per_append; wakeups++) {
      if (wakeups == WAKEUPS_PER_APPEND_MAX) die("wake-ups per append", EOVERFLOW);
      ring_wait(&r);
      done += reap(&r);
    }
    appends++;
    elapsed = seconds_since(&start);
  }
  const double cpu = cpu_seconds() - cpu_start;
  printf("{\"opsPerSecond\":%.3f,\"cpuUsPerOp\":%.3f}\n", (double)appends / elapsed, cpu * 1e6 / (double)appends);
  close(fd);
  return 0;
}
