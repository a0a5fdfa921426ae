/*
 * The network benchmark's measuring tool, built static by scripts/bench/network.ts
 * and copied into its container image (busybox has nc, but nc cannot say how
 * long bytes took to arrive).
 *
 *   tcp-meter serve PORT           accept one connection after another: read it to its
 *                                  end, answer with the address it came from, close
 *   tcp-meter send HOST PORT BYTES send BYTES, half-close, wait for the answer (so the
 *                                  time covers delivery, not just the local buffers)
 *   tcp-meter conns HOST PORT N    N connections one after another, each sending one
 *                                  byte and waiting for the answer and the close
 *
 * send prints "<bytes> <seconds> <the address the server saw>" (which tells a
 * published port's DNAT, keeping the client's address, from a proxy, whose own
 * address the server sees); conns prints "<connections> <seconds>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
static char buf[CHUNK];

static void die(const char *what) {
  fprintf(stderr, "tcp-meter: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* Reads until end of stream; the bytes read, or -1. */
static long long drain(int fd) {
  long long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return total;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    total += n;
  }
}

static int writeAll(int fd, const char *p, size_t len) {
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int dial(const char *host, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "tcp-meter: not an IPv4 address: %s\n", host);
    exit(2);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  return fd;
}

__attribute__((noreturn)) static void serve(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  if (fd < 0) die("socket");
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(fd, 128) < 0) die("listen");
  /* A client that never finishes must not hold the next ones back forever. */
  struct timeval limit = {.tv_sec = 30};
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    char from[INET_ADDRSTRLEN] = "?";
    if (getpeername(c, (struct sockaddr *)&peer, &len) == 0) inet_ntop(AF_INET, &peer.sin_addr, from, sizeof from);
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    if (drain(c) >= 0) writeAll(c, from, strlen(from));
    close(c);
  }
}

/* Half-closes and waits for the server's answer and close; 0 when it came, the answer in `answer`. */
static int finish(int fd, char *answer, size_t size) {
  size_t got = 0;
  if (shutdown(fd, SHUT_WR) < 0) die("shutdown");
  for (;;) {
    ssize_t n = read(fd, answer + got, size - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (got == size - 1) break;
  }
  answer[got] = 0;
  close(fd);
  return got > 0 ? 0 : -1;
}

static int sendBytes(const char *host, int port, long long bytes) {
  memset(buf, 'x', sizeof buf);
  double t0 = now();
  int fd = dial(host, port);
  for (long long left = bytes; left > 0; left -= CHUNK) {
    if (writeAll(fd, buf, left < CHUNK ? (size_t)left : CHUNK) < 0) die("write");
  }
  char from[64];
  if (finish(fd, from, sizeof from) < 0) {
    fprintf(stderr, "tcp-meter: no answer after the data\n");
    return 1;
  }
  printf("%lld %.6f %s\n", bytes, now() - t0, from);
  return 0;
}

static int conns(const char *host, int port, long n) {
  double t0 = now();
  for (long i = 0; i < n; i++) {
    int fd = dial(host, port);
    if (writeAll(fd, "x", 1) < 0) die("write");
    char from[64];
    if (finish(fd, from, sizeof from) < 0) {
      fprintf(stderr, "tcp-meter: connection %ld got no answer\n", i);
      return 1;
    }
  }
  printf("%ld %.6f\n", n, now() - t0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "serve")) serve(atoi(argv[2])); /* runs until killed */
  if (argc == 5 && !strcmp(argv[1], "send")) return sendBytes(argv[2], atoi(argv[3]), atoll(argv[4]));
  if (argc == 5 && !strcmp(argv[1], "conns")) return conns(argv[2], atoi(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: tcp-meter serve PORT | send HOST PORT BYTES | conns HOST PORT N\n");
  return 2;
}
