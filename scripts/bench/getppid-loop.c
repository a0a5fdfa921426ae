/* The seccomp bench's program: N raw getppid() calls (through syscall(2), so
 * no libc caches the answer), timed by the program itself. It prints the
 * loop's wall time and the process's CPU time over it, both in ns: the CPU
 * time is what the calls cost this process, which the load of other
 * processes on the host moves far less than the wall time. Built static by
 * scripts/bench/seccomp.ts. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static long ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000000L;
  long wall = ns(CLOCK_MONOTONIC), cpu = ns(CLOCK_PROCESS_CPUTIME_ID);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  cpu = ns(CLOCK_PROCESS_CPUTIME_ID) - cpu;
  wall = ns(CLOCK_MONOTONIC) - wall;
  printf("%ld %ld\n", wall, cpu);
  return 0;
}
