/*
 * ring.h: the io_uring ring and wake-up that UringIo uses (native/ring.cc, native/addon.cc), for
 * the C reference programs beside it (ring-append.c, ring-depth.c), with no JavaScript runtime
 * around them. The setup flags are the addon's (CLAMP | SUBMIT_ALL | SINGLE_ISSUER |
 * DEFER_TASKRUN, falling back as ring.cc does); completions are announced on an eventfd
 * registered with the ring and waited on in epoll, as libuv waits for the addon's. Hand-written
 * rather than on liburing so that the programs build with nothing but a C compiler and the
 * kernel's uapi header, as the addon does.
 *
 * Each program defines RING_PROGRAM (its name, for messages) before including this file.
 * Any failure exits with status 1 and "<program>: <what>: <reason>" on stderr.
 */
#ifndef FAULTLINE_BENCH_RING_H
#define FAULTLINE_BENCH_RING_H

#define _GNU_SOURCE
#include <errno.h>
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

#ifndef RING_PROGRAM
#error "define RING_PROGRAM before including ring.h"
#endif

struct ring {
  int fd;
  uint32_t *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  uint32_t sq_entries;
  int defer_taskrun;
  int skips_success; /* IORING_FEAT_CQE_SKIP: a request flagged so posts no CQE when it succeeds */
  int wake_fd;       /* the eventfd the ring signals */
  int epoll_fd;      /* the epoll instance watching it */
};

static inline void die(const char *what, int err) {
  fprintf(stderr, "%s: %s: %s\n", RING_PROGRAM, what, strerror(err));
  exit(1);
}

static inline int ring_enter(int fd, unsigned submit, unsigned flags) {
  return (int)syscall(__NR_io_uring_enter, fd, submit, 0, flags, NULL, 0);
}

/* Sets up a ring of at least `entries` SQEs (clamped by the kernel) and its eventfd wake-up. */
static inline void ring_setup(struct ring *r, uint32_t entries) {
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
    r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
    if (r->fd < 0 && errno != EINVAL) die("io_uring_setup", errno);
    r->defer_taskrun = r->fd >= 0 && (attempts[i] & IORING_SETUP_DEFER_TASKRUN) != 0;
  }
  if (r->fd < 0) die("io_uring_setup", errno);
  r->sq_entries = p.sq_entries;
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
  /* The wake-up UringIo uses: an eventfd the ring signals, watched by epoll (libuv's wait). */
  r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->wake_fd < 0) die("eventfd", errno);
  if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_EVENTFD, &r->wake_fd, 1) != 0) die("IORING_REGISTER_EVENTFD", errno);
  r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (r->epoll_fd < 0) die("epoll_create1", errno);
  struct epoll_event watch = {.events = EPOLLIN, .data.fd = r->wake_fd};
  if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->wake_fd, &watch) != 0) die("epoll_ctl", errno);
}

/* The flags of a submitting enter: a DEFER_TASKRUN ring runs its completions only when asked. */
static inline unsigned ring_submit_flags(const struct ring *r) {
  return r->defer_taskrun ? IORING_ENTER_GETEVENTS : 0;
}

/* The next free SQE, zeroed, placed at `*tail` (published when the caller stores the tail). */
static inline struct io_uring_sqe *next_sqe(struct ring *r, uint32_t *tail) {
  uint32_t index = *tail & *r->sq_mask;
  struct io_uring_sqe *sqe = &r->sqes[index];
  memset(sqe, 0, sizeof *sqe);
  r->sq_array[index] = index;
  *tail += 1;
  return sqe;
}

/* Reaps what is there; returns how many CQEs were taken, or exits on a failed one. */
static inline unsigned reap(struct ring *r) {
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

/* Sleeps until the ring announces completions (epoll on the eventfd), then has them posted. */
static inline void ring_wait(struct ring *r) {
  struct epoll_event ready;
  if (epoll_wait(r->epoll_fd, &ready, 1, -1) < 0 && errno != EINTR) die("epoll_wait", errno);
  uint64_t count;
  if (read(r->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN) die("read eventfd", errno);
  if (r->defer_taskrun && ring_enter(r->fd, 0, IORING_ENTER_GETEVENTS) < 0) die("io_uring_enter (getevents)", errno);
}

static inline double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* CPU time of the whole process (io-wq workers included), as the Node runners' process.cpuUsage(). */
static inline double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

#endif
