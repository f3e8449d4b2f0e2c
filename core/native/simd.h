// ABSNAS_SIMD: compile a hot loop for AVX-512, AVX2 and the baseline, the CPU
// choosing at load time (GCC/Clang function multi-versioning, through glibc's
// ifunc). The addon is built where it is installed, but node_modules may be
// shared by machines of different CPUs (a cluster's network home), so the
// build cannot assume its own CPU (-march=native). Elsewhere (macOS, ARM) it
// is the plain function.
//
// The clones compute bitwise the same results: -ffp-contract=off keeps
// multiplies and adds separate, and the loops vectorise across independent
// elements or channels, never reordering one value's sum.
#pragma once

#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define ABSNAS_SIMD __attribute__((target_clones("avx512f", "avx2", "default"), noinline))
#endif
#endif
#ifndef ABSNAS_SIMD
#define ABSNAS_SIMD
#endif
