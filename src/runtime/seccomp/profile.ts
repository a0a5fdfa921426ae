// Docker's seccomp profile: the JSON format `--security-opt seccomp=FILE`
// takes, and the default profile dockerd applies, written here as data in
// that format. The default follows moby's profiles/seccomp/default.json of
// Docker 25 (the io_uring calls no longer allowed, AF_VSOCK sockets refused):
// an allow list, argument-conditioned rules and rules that depend on the
// container's capabilities; anything else fails with EPERM.

export interface ProfileArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface ProfileFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: ProfileArg[] | null;
  comment?: string;
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}

export interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  syscalls?: ProfileSyscall[] | null;
  flags?: string[];
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);
const allow = (names: string, more: Partial<ProfileSyscall> = {}): ProfileSyscall => ({ names: words(names), action: "SCMP_ACT_ALLOW", ...more });
const withCap = (cap: string, names: string): ProfileSyscall => allow(names, { includes: { caps: [`CAP_${cap}`] } });
const onArches = (arches: string, names: string): ProfileSyscall => allow(names, { includes: { arches: words(arches) } });

/** The namespace flags of clone (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET): refused without CAP_SYS_ADMIN. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
/** personality(2) values a program may set: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (a query). */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];
const AF_VSOCK = 40;

export const defaultProfile: Profile = {
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 1,
  archMap: [
    { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] },
  ],
  syscalls: [
    allow(`
      accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
      clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
      clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
      epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
      eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
      fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
      flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
      ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid
      getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
      getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
      get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid
      getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl
      io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc
      kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link
      linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
      membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap
      mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
      mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
      name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
      pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64
      preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read
      readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages
      removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending
      rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
      rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
      sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64
      sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl
      semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid
      setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority
      setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
      set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl
      shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice
      stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
      timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
      timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64
      times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat
      utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
    `),
    allow("process_vm_readv process_vm_writev ptrace", { includes: { minKernel: "4.8" } }),
    allow("socket", { args: [{ index: 0, value: AF_VSOCK, op: "SCMP_CMP_NE" }] }),
    ...PERSONALITIES.map((value) => allow("personality", { args: [{ index: 0, value, op: "SCMP_CMP_EQ" }] })),
    onArches("arm arm64", "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls"),
    onArches("amd64 x32", "arch_prctl"),
    onArches("amd64 x32 x86", "modify_ldt"),
    withCap("DAC_READ_SEARCH", "open_by_handle_at"),
    withCap("SYS_ADMIN", `
      bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr
      move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog
      umount umount2 unshare
    `),
    allow("clone", { args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }], excludes: { caps: ["CAP_SYS_ADMIN"] } }),
    // glibc's posix_spawn and pthread_create try clone3 first and fall back to clone on ENOSYS,
    // whose flags the rule above can see (clone3's are behind a pointer).
    { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: { caps: ["CAP_SYS_ADMIN"] } },
    withCap("SYS_BOOT", "reboot"),
    withCap("SYS_CHROOT", "chroot"),
    withCap("SYS_MODULE", "delete_module init_module finit_module"),
    withCap("SYS_PACCT", "acct"),
    withCap("SYS_PTRACE", "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"),
    withCap("SYS_RAWIO", "iopl ioperm"),
    withCap("SYS_TIME", "settimeofday stime clock_settime clock_settime64"),
    withCap("SYS_TTY_CONFIG", "vhangup"),
    withCap("SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"),
    withCap("SYSLOG", "syslog"),
    withCap("BPF", "bpf"),
    withCap("PERFMON", "perf_event_open"),
  ],
};
