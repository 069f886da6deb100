/* Calls into glibc's libmvec with its vector ABI (arguments and result in ymm / zmm registers), taking and
   returning memory. Written in assembly because clang picks the x86-64 argument-passing rules for the whole
   file from the build flags: without -mavx2 / -mavx512f, which a package must not set, it passes __m256d and
   __m512d arguments on the stack, and libmvec reads other bytes. Called only after mp_vecmath_level() has
   checked the CPU. Each thunk: void thunk(const T *x, T *out). */

#if defined(__x86_64__) && defined(__linux__)

    .text

#define UNARY(NAME, TARGET, MOVE, REG)   \
    .globl NAME;                          \
    .hidden NAME;                         \
    .type NAME, @function;                \
NAME:                                     \
    push %rbx;                            \
    mov %rsi, %rbx;                       \
    MOVE (%rdi), REG;                     \
    call TARGET@PLT;                      \
    MOVE REG, (%rbx);                     \
    pop %rbx;                             \
    vzeroupper;                           \
    ret;                                  \
    .size NAME, . - NAME

UNARY(mp_vm_d_tanh, _ZGVdN4v_tanh, vmovupd, %ymm0)
UNARY(mp_vm_d_log1p, _ZGVdN4v_log1p, vmovupd, %ymm0)
UNARY(mp_vm_d_expm1, _ZGVdN4v_expm1, vmovupd, %ymm0)

UNARY(mp_vm_e_tanh, _ZGVeN8v_tanh, vmovupd, %zmm0)
UNARY(mp_vm_e_log1p, _ZGVeN8v_log1p, vmovupd, %zmm0)
UNARY(mp_vm_e_expm1, _ZGVeN8v_expm1, vmovupd, %zmm0)

UNARY(mp_vm_d_tanhf, _ZGVdN8v_tanhf, vmovups, %ymm0)
UNARY(mp_vm_d_log1pf, _ZGVdN8v_log1pf, vmovups, %ymm0)
UNARY(mp_vm_d_expm1f, _ZGVdN8v_expm1f, vmovups, %ymm0)

UNARY(mp_vm_e_tanhf, _ZGVeN16v_tanhf, vmovups, %zmm0)
UNARY(mp_vm_e_log1pf, _ZGVeN16v_log1pf, vmovups, %zmm0)
UNARY(mp_vm_e_expm1f, _ZGVeN16v_expm1f, vmovups, %zmm0)

#endif

    .section .note.GNU-stack, "", @progbits
