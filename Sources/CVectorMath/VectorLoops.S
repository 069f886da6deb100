/* A loop that calls a vector function (SLEEF's, with the x86-64 vector ABI: argument and result in ymm / zmm
   registers) once per vector of an array. In assembly for the reason Thunks.S gives: clang chooses how
   __m256d / __m512d arguments are passed from the build flags of the whole file (a function's
   target("avx512f") attribute does not change it; checked with clang 21), so C compiled without -mavx512f,
   which a package must not set, passes them on the stack and the callee reads other bytes. Called only after
   mp_vecmath_level() has checked the CPU. `fn` is the vector function's address; `vectors` counts whole
   vectors (32 bytes for ymm, 64 for zmm); arrays need no alignment.

     void mp_vm_loop1_{ymm,zmm}(const void *fn, const void *x, void *y, long vectors)
         y[v] = fn(x[v]) */

#if defined(__x86_64__) && defined(__linux__)

    .text

#define LOOP1(NAME, REG, BYTES)            \
    .globl NAME;                          \
    .hidden NAME;                         \
    .type NAME, @function;                \
NAME:                                     \
    push %rbx;                            \
    push %r12;                            \
    push %r13;                            \
    push %r14;                            \
    sub $8, %rsp;                         \
    mov %rdi, %rbx;                       \
    mov %rsi, %r12;                       \
    mov %rdx, %r13;                       \
    mov %rcx, %r14;                       \
    test %r14, %r14;                      \
    jle 2f;                               \
1:  vmovupd (%r12), REG;                  \
    call *%rbx;                           \
    vmovupd REG, (%r13);                  \
    add $BYTES, %r12;                     \
    add $BYTES, %r13;                     \
    dec %r14;                             \
    jnz 1b;                               \
2:  vzeroupper;                           \
    add $8, %rsp;                         \
    pop %r14;                             \
    pop %r13;                             \
    pop %r12;                             \
    pop %rbx;                             \
    ret;                                  \
    .size NAME, . - NAME

LOOP1(mp_vm_loop1_ymm, %ymm0, 32)
LOOP1(mp_vm_loop1_zmm, %zmm0, 64)

#endif

    .section .note.GNU-stack, "", @progbits
