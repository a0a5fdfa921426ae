/* The seccomp bench's program, run in a container: SAMPLES times, CALLS raw
 * getppid() and then CALLS personality(0xffffffff) (a query: it changes
 * nothing), each batch timed by the process's own CPU clock. getppid's allow
 * depends on the call number only, so the kernel caches it and no filter
 * runs; personality's rules compare its argument, so every call runs the
 * whole filter. The program first pins itself to the CPU it is on, so a
 * batch is not moved (and its caches emptied) mid-way. It prints one line per
 * call, the CPU ns of each batch. Built static by scripts/bench/seccomp.ts. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static long cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 200000L;
  int samples = argc > 2 ? atoi(argv[2]) : 10;
  long *times = calloc(2 * samples, sizeof *times);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  sched_setaffinity(0, sizeof one, &one);
  for (int s = 0; s < samples; s++) {
    long t = cpu_ns();
    for (long i = 0; i < calls; i++) syscall(SYS_getppid);
    long u = cpu_ns();
    for (long i = 0; i < calls; i++) syscall(SYS_personality, 0xffffffffUL);
    times[2 * s] = u - t;
    times[2 * s + 1] = cpu_ns() - u;
  }
  for (int which = 0; which < 2; which++) {
    printf("%s", which ? "personality" : "getppid");
    for (int s = 0; s < samples; s++) printf(" %ld", times[2 * s + which]);
    printf("\n");
  }
  return 0;
}
