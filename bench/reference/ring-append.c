/*
 * ring-append: synced 4 KiB appends, one at a time, from C on a ring set up and woken the way
 * UringIo's is (native/ring.cc, native/addon.cc), with no JavaScript runtime around it.
 *
 * Why it exists: on synced appends UringIo stays under fio while every Node runner sits at about
 * the same rate. This program keeps everything of UringIo's path but Node: the setup flags
 * (CLAMP | SUBMIT_ALL | SINGLE_ISSUER | DEFER_TASKRUN, falling back like ring.cc), the write linked
 * to an fdatasync (IOSQE_IO_LINK, as writeDurable), and the wake-up through an eventfd registered
 * with the ring and waited on in epoll (as libuv waits). Its ratio to UringIo is what the runtime
 * costs; its ratio to fio is what the ring and the wake-up cost. Hand-written rather than on
 * liburing so that it builds with nothing but a C compiler and the kernel's uapi header, as the
 * addon does.
 *
 * Usage: ring-append <file> <seconds> [<busy µs>]. Prints one JSON line:
 * {"opsPerSecond":..,"cpuUsPerOp":..} (CPU: the whole process, io-wq workers included, as the Node
 * runners' process.cpuUsage()). `busy µs` (default 0, at most 100000) spins that long on the CPU
 * before each append, standing in for the work a runtime does between a completion and the next
 * submission: it shows what each microsecond of that work costs in appends per second.
 * Exits non-zero with a message on stderr on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_BYTES 4096
#define RING_ENTRIES 8
/* Bound on the epoll waits of one append (two completions post at most a few wake-ups). */
#define WAKEUPS_PER_APPEND_MAX 64

struct ring {
  int fd;
  uint32_t *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  int defer_taskrun;
  int skips_success; /* IORING_FEAT_CQE_SKIP: the write posts no CQE when it succeeds */
};

static void die(const char *what, int err) {
  fprintf(stderr, "ring-append: %s: %s\n", what, strerror(err));
  exit(1);
}

static int ring_enter(int fd, unsigned submit, unsigned flags) {
  return (int)syscall(__NR_io_uring_enter, fd, submit, 0, flags, NULL, 0);
}

static void ring_setup(struct ring *r) {
  const uint32_t base = IORING_SETUP_CLAMP;
  const uint32_t attempts[] = {
    base | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
    base | IORING_SETUP_SUBMIT_ALL,
    base,
  };
  struct io_uring_params p;
  r->fd = -1;
  for (size_t i = 0; i < sizeof attempts / sizeof attempts[0] && r->fd < 0; i++) {
    memset(&p, 0, sizeof p);
    p.flags = attempts[i];
    r->fd = (int)syscall(__NR_io_uring_setup, RING_ENTRIES, &p);
    if (r->fd < 0 && errno != EINVAL) die("io_uring_setup", errno);
    r->defer_taskrun = r->fd >= 0 && (attempts[i] & IORING_SETUP_DEFER_TASKRUN) != 0;
  }
  if (r->fd < 0) die("io_uring_setup", errno);
  size_t sq_bytes = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t bytes = sq_bytes > cq_bytes ? sq_bytes : cq_bytes;
  r->skips_success = (p.features & IORING_FEAT_CQE_SKIP) != 0;
  if ((p.features & IORING_FEAT_SINGLE_MMAP) == 0) die("io_uring_setup (no IORING_FEAT_SINGLE_MMAP)", ENOSYS);
  char *rings = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  if (rings == MAP_FAILED) die("mmap rings", errno);
  r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
  if (r->sqes == MAP_FAILED) die("mmap sqes", errno);
  r->sq_tail = (uint32_t *)(rings + p.sq_off.tail);
  r->sq_mask = (uint32_t *)(rings + p.sq_off.ring_mask);
  r->sq_array = (uint32_t *)(rings + p.sq_off.array);
  r->cq_head = (uint32_t *)(rings + p.cq_off.head);
  r->cq_tail = (uint32_t *)(rings + p.cq_off.tail);
  r->cq_mask = (uint32_t *)(rings + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(rings + p.cq_off.cqes);
}

static struct io_uring_sqe *next_sqe(struct ring *r, uint32_t *tail) {
  uint32_t index = *tail & *r->sq_mask;
  struct io_uring_sqe *sqe = &r->sqes[index];
  memset(sqe, 0, sizeof *sqe);
  r->sq_array[index] = index;
  *tail += 1;
  return sqe;
}

/* Reaps what is there; returns how many CQEs were taken, or exits on a failed one. */
static unsigned reap(struct ring *r) {
  uint32_t head = *r->cq_head;
  uint32_t tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
  unsigned taken = 0;
  for (; head != tail; head++, taken++) {
    int res = r->cqes[head & *r->cq_mask].res;
    if (res < 0) die("completion", -res);
  }
  __atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
  return taken;
}

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

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
  ring_setup(&r);
  /* The wake-up UringIo uses: an eventfd the ring signals, watched by epoll (libuv's wait). */
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) die("eventfd", errno);
  if (syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_EVENTFD, &wake, 1) != 0) die("IORING_REGISTER_EVENTFD", errno);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1", errno);
  struct epoll_event watch = {.events = EPOLLIN, .data.fd = wake};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, wake, &watch) != 0) die("epoll_ctl", errno);

  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open", errno);
  static char block[BLOCK_BYTES];
  for (size_t i = 0; i < sizeof block; i++) block[i] = (char)((i * 31) & 0xff);
  /* GETEVENTS on submission too: a DEFER_TASKRUN ring runs its completions only when asked. */
  const unsigned getevents = r.defer_taskrun ? IORING_ENTER_GETEVENTS : 0;
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
      struct epoll_event ready;
      if (epoll_wait(ep, &ready, 1, -1) < 0 && errno != EINTR) die("epoll_wait", errno);
      uint64_t count;
      if (read(wake, &count, sizeof count) < 0 && errno != EAGAIN) die("read eventfd", errno);
      if (r.defer_taskrun && ring_enter(r.fd, 0, IORING_ENTER_GETEVENTS) < 0) die("io_uring_enter (getevents)", errno);
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
