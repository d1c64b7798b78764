/*
 * ring-depth: 4 KiB O_DIRECT random reads or writes kept `depth` in flight, from C on a ring set
 * up and woken the way UringIo's is (ring.h), with no JavaScript runtime around it.
 *
 * Why it exists: where the device sets the pace (O_DIRECT at 8 to 256 in flight) UringIo can fall
 * short of fio, and two things differ between them: how the thread waits (fio sleeps inside
 * io_uring_enter for a completion; UringIo in the event loop's epoll, woken by an eventfd the ring
 * signals) and the JavaScript that runs between a completion and the next submission. This program
 * has the first and not the second: it waits as UringIo does and then works as UringIo's dispatch
 * does (every completion a wake-up finds is reaped, the same number of new requests queued, all
 * published by one io_uring_enter, which also posts what completed meanwhile; round after round
 * until the CQ is empty, then back to epoll). Its ratio to fio is what the ring and the wake-up
 * cost at depth; UringIo's ratio to it is what the runtime costs.
 *
 * Usage: ring-depth <file> <read|write> <depth> <seconds> <first byte> <warm-up seconds>.
 * Offsets are 4 KiB-aligned, uniformly random over [first byte, end of file), from a fixed seed,
 * as fio's --norandommap --randrepeat=0 draw them over its range. Writes stay inside the file,
 * which is not extended. The first `warm-up seconds` run uncounted (fio's --ramp_time).
 * Prints one JSON line {"opsPerSecond":..,"cpuUsPerOp":..} (CPU: the whole process, as the
 * Node runners' process.cpuUsage()). Exits 2 with a usage message on a bad command line, 1 with
 * the failing call and its reason on any other failure.
 */
#define RING_PROGRAM "ring-depth"
#include "ring.h"

#include <fcntl.h>
#include <sys/stat.h>

#define BLOCK_BYTES 4096
#define DEPTH_MAX 256
/* Bound on the dispatch rounds after one wake-up, as the addon's kDispatchRoundsMax. */
#define ROUNDS_PER_WAKEUP_MAX 64

/* xorshift64*: the offsets only need to be spread and repeatable, not strong. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

static void usage(const char *why) {
  if (why != NULL) fprintf(stderr, "ring-depth: %s\n", why);
  fprintf(stderr, "usage: ring-depth <file> <read|write> <depth> <seconds> <first byte> <warm-up seconds>\n");
  exit(2);
}

static double number_arg(const char *text, const char *why) {
  char *end = NULL;
  errno = 0;
  const double value = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0') usage(why);
  return value;
}

/* Queues `count` requests, one per free buffer, at fresh random offsets. */
static void queue(struct ring *r, int fd, int write, char *buffers, uint32_t *free_slots, unsigned *free_count,
                  unsigned count, uint64_t first_block, uint64_t blocks) {
  uint32_t tail = *r->sq_tail;
  for (unsigned i = 0; i < count; i++) {
    const uint32_t slot = free_slots[--*free_count];
    struct io_uring_sqe *sqe = next_sqe(r, &tail);
    sqe->opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
    sqe->fd = fd;
    sqe->addr = (uint64_t)(uintptr_t)(buffers + (size_t)slot * BLOCK_BYTES);
    sqe->len = BLOCK_BYTES;
    sqe->off = (first_block + next_random() % blocks) * BLOCK_BYTES;
    sqe->user_data = slot;
  }
  __atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
}

/* Takes every completion there, freeing its buffer; exits on a failed or short one. */
static unsigned reap_slots(struct ring *r, uint32_t *free_slots, unsigned *free_count) {
  uint32_t head = *r->cq_head;
  const uint32_t tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
  unsigned taken = 0;
  for (; head != tail; head++, taken++) {
    const struct io_uring_cqe *cqe = &r->cqes[head & *r->cq_mask];
    if (cqe->res < 0) die("completion", -cqe->res);
    if (cqe->res != BLOCK_BYTES) die("completion (short transfer)", EIO);
    free_slots[(*free_count)++] = (uint32_t)cqe->user_data;
  }
  __atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
  return taken;
}

int main(int argc, char **argv) {
  if (argc != 7) usage(NULL);
  const int write = strcmp(argv[2], "write") == 0;
  if (!write && strcmp(argv[2], "read") != 0) usage("the mode must be read or write");
  const double depth_number = number_arg(argv[3], "depth must be an integer in [1, 256]");
  if (!(depth_number >= 1 && depth_number <= DEPTH_MAX) || depth_number != (double)(unsigned)depth_number) usage("depth must be an integer in [1, 256]");
  const unsigned depth = (unsigned)depth_number;
  const double seconds = number_arg(argv[4], "seconds must be in (0, 600]");
  if (!(seconds > 0 && seconds <= 600)) usage("seconds must be in (0, 600]");
  const double first_byte = number_arg(argv[5], "first byte must be a multiple of 4096");
  if (!(first_byte >= 0 && first_byte < 9007199254740992.0) || first_byte != (double)(uint64_t)first_byte || (uint64_t)first_byte % BLOCK_BYTES != 0) {
    usage("first byte must be a multiple of 4096");
  }
  const double warmup_seconds = number_arg(argv[6], "warm-up seconds must be in [0, 60]");
  if (!(warmup_seconds >= 0 && warmup_seconds <= 60)) usage("warm-up seconds must be in [0, 60]");

  const int fd = open(argv[1], (write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
  if (fd < 0) die("open", errno);
  struct stat st;
  if (fstat(fd, &st) != 0) die("fstat", errno);
  const uint64_t first_block = (uint64_t)first_byte / BLOCK_BYTES;
  const uint64_t end_block = (uint64_t)st.st_size / BLOCK_BYTES;
  if (end_block <= first_block) die("the file (no whole 4 KiB block past the first byte)", EINVAL);
  const uint64_t blocks = end_block - first_block;

  struct ring r;
  ring_setup(&r, depth);
  if (r.sq_entries < depth) die("io_uring_setup (fewer SQ entries than the depth)", EINVAL);
  char *buffers = NULL;
  if (posix_memalign((void **)&buffers, BLOCK_BYTES, (size_t)depth * BLOCK_BYTES) != 0) die("posix_memalign", ENOMEM);
  for (size_t i = 0; i < (size_t)depth * BLOCK_BYTES; i++) buffers[i] = (char)((i * 31) & 0xff);
  uint32_t free_slots[DEPTH_MAX];
  unsigned free_count = 0;
  for (unsigned i = 0; i < depth; i++) free_slots[free_count++] = i;

  const unsigned submit_flags = ring_submit_flags(&r);
  queue(&r, fd, write, buffers, free_slots, &free_count, depth, first_block, blocks);
  if (ring_enter(r.fd, depth, submit_flags) < 0) die("io_uring_enter (submit)", errno);

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int counting = warmup_seconds == 0;
  double cpu_start = cpu_seconds();
  uint64_t done = 0;
  for (;;) {
    unsigned round = 0;
    for (; round < ROUNDS_PER_WAKEUP_MAX; round++) {
      const unsigned got = reap_slots(&r, free_slots, &free_count);
      if (got == 0) break;
      if (counting) done += got;
      queue(&r, fd, write, buffers, free_slots, &free_count, got, first_block, blocks);
      if (ring_enter(r.fd, got, submit_flags) < 0) die("io_uring_enter (submit)", errno);
    }
    const double elapsed = seconds_since(&start);
    if (!counting && elapsed >= warmup_seconds) {
      counting = 1;
      clock_gettime(CLOCK_MONOTONIC, &start);
      cpu_start = cpu_seconds();
    } else if (counting && elapsed >= seconds) {
      const double cpu = cpu_seconds() - cpu_start;
      printf("{\"opsPerSecond\":%.3f,\"cpuUsPerOp\":%.3f}\n", (double)done / elapsed, done == 0 ? 0.0 : cpu * 1e6 / (double)done);
      break;
    }
    /* The CQ is empty (unless the round bound stopped the rounds): sleep until the ring says more. */
    if (round < ROUNDS_PER_WAKEUP_MAX) ring_wait(&r);
  }
  /* Requests still in flight are the kernel's until it completes them: closing waits for them. */
  close(r.fd);
  close(fd);
  return 0;
}
