/* file-maker DIR N: makes DIR, then N small files in it (open, write 2 bytes,
   close, as `echo x > fN` does), and prints how long the loop took in ns on
   CLOCK_MONOTONIC, then its own user and system CPU in us. Built static by
   scripts/bench/volumes.ts and run the same on the host and in containers, so
   only where the directory is differs, not the program or a shell's speed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: file-maker DIR N\n");
    return 2;
  }
  long n = atol(argv[2]);
  if (mkdir(argv[1], 0755) != 0) { perror(argv[1]); return 1; }
  int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (dir < 0) { perror(argv[1]); return 1; }
  struct timespec a, b;
  char name[32];
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    snprintf(name, sizeof name, "f%ld", i);
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "x\n", 2) != 2 || close(fd) != 0) { perror(name); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%lld %lld %lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
         (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec, (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
  return 0;
}
