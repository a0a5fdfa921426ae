/* Writes the seccomp filter a process runs under (the last installed, as the
 * kernel holds it) to stdout as raw sock_filter instructions, read with
 * ptrace(PTRACE_SECCOMP_GET_FILTER): the same way for every engine's filter,
 * so that the seccomp bench can count what each executes per call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <linux/filter.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  pid_t pid = atoi(argv[1]);
  int status;
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &status, __WALL) < 0) {
    fprintf(stderr, "attach %d: %s\n", pid, strerror(errno));
    return 1;
  }
  long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
  if (n <= 0) {
    fprintf(stderr, "PTRACE_SECCOMP_GET_FILTER: %s\n", n < 0 ? strerror(errno) : "no filter");
    return 1;
  }
  struct sock_filter *f = calloc(n, sizeof *f);
  if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, f) != n) {
    fprintf(stderr, "PTRACE_SECCOMP_GET_FILTER: %s\n", strerror(errno));
    return 1;
  }
  fwrite(f, sizeof *f, n, stdout);
  ptrace(PTRACE_DETACH, pid, 0, 0);
  return 0;
}
