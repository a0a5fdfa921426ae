# The exec runner: stage 2 of an exec as a tiny static x86_64 program (no
# libc, no threads, no allocation). It runs a list of system calls that stage 1
# prepared, then the last one, execve, replaces it with the program. All the
# decisions (which namespaces, which user, which capabilities, which file) are
# made in TypeScript (program.ts); this only performs them in one process.
#
# fd 4 holds the program (a file, mapped privately so it can be relocated):
#   u64 relocation count R, u64 call count N,
#   R u64 offsets of words that hold an offset into the program (made pointers),
#   N calls of 8 u64: number, six arguments, and the result expected
#   (negative: any result that is not an error).
# On the first call that fails (an error, or another result than expected) it
# writes the call's index and the errno (two u32; errno 0 for a wrong result)
# on fd 3 and exits 126. After a successful execve nothing comes: fd 3 is
# close-on-exec, so stage 1 reads EOF.
# Assemble: as --64 -o runner.o runner.s && objcopy -O binary -j .text runner.o runner.bin
        .intel_syntax noprefix
        .text
        .globl _start
_start:
        xor edi, edi
        mov esi, 0x1000000          # a 16 MiB window; only the file's bytes are read
        mov edx, 3                  # PROT_READ|PROT_WRITE
        mov r10d, 2                 # MAP_PRIVATE
        mov r8d, 4
        xor r9d, r9d
        mov eax, 9                  # mmap
        syscall
        cmp rax, -4096
        ja die
        mov rbx, rax
        mov rcx, [rbx]
        lea r12, [rbx+16]
relocate:
        test rcx, rcx
        jz run
        mov rax, [r12]
        add [rbx+rax], rbx
        add r12, 8
        dec rcx
        jmp relocate
run:
        xor r13d, r13d
        mov r14, [rbx+8]
next:
        cmp r13, r14
        jae die
        mov rax, [r12]
        mov rdi, [r12+8]
        mov rsi, [r12+16]
        mov rdx, [r12+24]
        mov r10, [r12+32]
        mov r8, [r12+40]
        mov r9, [r12+48]
        syscall
        test rax, rax
        js failed
        mov rcx, [r12+56]
        test rcx, rcx
        js done
        cmp rax, rcx
        jne unexpected
done:
        add r12, 64
        inc r13
        jmp next
unexpected:
        xor eax, eax
        jmp report
failed:
        neg eax
report:
        sub rsp, 16
        mov [rsp], r13d
        mov [rsp+4], eax
        mov edi, 3
        mov rsi, rsp
        mov edx, 8
        mov eax, 1                  # write
        syscall
die:
        mov edi, 126
        mov eax, 231                # exit_group
        syscall
