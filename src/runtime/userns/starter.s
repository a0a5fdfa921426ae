# The user namespace starter's code (src/runtime/userns/trampoline.ts holds
# its bytes; tests/security/starter-bytes.test.ts assembles this file with GNU
# as and checks that they are the same). Linux x86_64 system calls only; the
# stack as the kernel leaves it at _start: argc, argv[0…], NULL, envp.
        .intel_syntax noprefix
        .text
        .globl _start
_start:
        mov rbx, rsp
        mov rax, [rbx+16]               # argv[1]: "c" or "e"
        cmp byte ptr [rax], 'e'
        je enter
        mov edi, 1                      # prctl(PR_SET_PDEATHSIG, SIGKILL)
        mov esi, 9
        mov eax, 157
        syscall
        mov edi, 0x30000011             # clone(CLONE_NEWUSER|CLONE_NEWPID|SIGCHLD, 0, 0, 0, 0)
        xor esi, esi
        xor edx, edx
        xor r10d, r10d
        xor r8d, r8d
        mov eax, 56
        syscall
        test rax, rax
        jz child
        mov r12, rax                    # the child's pid, or -errno
        sub rsp, 16
        mov [rsp], eax
        mov edi, 4                      # write(4, &pid, 4)
        mov rsi, rsp
        mov edx, 4
        mov eax, 1
        syscall
        test r12, r12
        js fail
        mov edi, 4                      # close(4)
        mov eax, 3
        syscall
        mov edi, 3                      # close(3): stage 2's control fd is the child's alone
        mov eax, 3
        syscall
wait:
        mov rdi, r12                    # wait4(pid, &status, 0, 0), again on EINTR
        mov rsi, rsp
        xor edx, edx
        xor r10d, r10d
        mov eax, 61
        syscall
        cmp rax, -4
        je wait
        test rax, rax
        js fail
        mov eax, [rsp]
        mov edi, eax
        and edi, 0x7f                   # killed by a signal: 128 + its number
        jz exited
        add edi, 128
        jmp quit
exited:
        mov edi, eax                    # exited: its status
        shr edi, 8
        and edi, 0xff
        jmp quit
fail:
        mov edi, 125
        jmp quit
child:
        sub rsp, 16                     # read(4, buf, 1): the maps are written
        xor edi, edi
        mov edi, 4
        mov rsi, rsp
        mov edx, 1
        xor eax, eax
        syscall
        cmp rax, 1
        jne die
        jmp become_root
enter:
        mov edi, 4                      # setns(4, CLONE_NEWUSER)
        mov esi, 0x10000000
        mov eax, 308
        syscall
        test rax, rax
        jnz die
become_root:
        mov edi, 4                      # close(4)
        mov eax, 3
        syscall
        xor edi, edi                    # setgroups(0, NULL)
        xor esi, esi
        mov eax, 116
        syscall
        test rax, rax
        jnz die
        xor edi, edi                    # setresgid(0, 0, 0)
        xor esi, esi
        xor edx, edx
        mov eax, 119
        syscall
        test rax, rax
        jnz die
        xor edi, edi                    # setresuid(0, 0, 0)
        xor esi, esi
        xor edx, edx
        mov eax, 117
        syscall
        test rax, rax
        jnz die
        mov rdi, [rbx+24]               # execve(argv[2], &argv[2], envp)
        lea rsi, [rbx+24]
        mov rax, [rbx]
        lea rdx, [rbx+rax*8+16]
        mov eax, 59
        syscall
die:
        mov edi, 127
quit:
        mov eax, 231                    # exit_group(edi)
        syscall
