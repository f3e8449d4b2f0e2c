// How many threads the next native kernel uses (see threads.cc).
#pragma once

namespace absnas {

// Fixes the thread count (ABSNAS_NATIVE_THREADS); 0 restores the default:
// chosen per kernel from the machine's load, up to one per core.
void set_thread_limit(int n);

// The maximum (the fixed count, or one per core) and whether the count follows the load.
int thread_limit();
bool threads_follow_load();

// Chooses the count for the kernel about to run and sets it as OpenMP's
// (omp_set_num_threads); returns it. Call once per kernel, before any
// parallel work or oneDNN primitive creation. A kernel's result must not
// depend on the count (the count follows the load, a run's numbers must not):
// reductions split their work in a fixed number of parts (batch_norm.cc,
// convolution.cc's filter gradient, depthwise.cc).
int begin_kernel_threads();

// The count chosen by the last begin_kernel_threads().
int current_threads();

}  // namespace absnas
