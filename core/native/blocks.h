// Element-wise work split over the kernel's threads (threads.h), one
// contiguous block each; small tensors stay on one thread, where waking
// another costs more than it saves.
#pragma once

#include <omp.h>

namespace absnas {

// Calls body(begin, end) for each thread's block of [0, n); parallel only from `parallel_from` elements.
template <typename Body>
void each_block(long n, long parallel_from, Body&& body) {
#pragma omp parallel if (n >= parallel_from)
  {
    const int t = omp_get_thread_num(), threads = omp_get_num_threads();
    body(n * t / threads, n * (t + 1) / threads);
  }
}

}  // namespace absnas
