// The thread count of the native kernels, from the machine's load.
//
// On a machine where other processes keep the cores busy, a parallel region
// waits for its slowest thread, and a thread that is not scheduled for a time
// slice stalls the region for that long; spinning OpenMP workers also take
// cycles from the wasm main thread. So, unless ABSNAS_NATIVE_THREADS fixes
// the count, each kernel uses as many threads as there are cores not busy
// with other work: the number of runnable threads on the machine
// (/proc/loadavg's fourth field, sampled at most every 20 ms and smoothed
// over ~0.5 s), less this process's own runnable threads (from
// /proc/self/task: the calling thread, the OpenMP workers still spinning for
// the next kernel, V8's and tfjs's helpers; counted as other work, they made
// 27-31% of the kernels of an NB201 step on a quiet machine run on one
// thread), subtracted from the cores OpenMP may use. With every core busy
// that is 1: the kernel runs on the calling thread alone, no worker is
// woken, and absnas runs at its
// single-threaded speed. Where /proc/loadavg is missing (not Linux) the count
// is the maximum. A kernel's result does not depend on the count: reductions
// cut their work in a fixed number of parts (threads.h).
#include "threads.h"

#include <dirent.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace absnas {
namespace {

int fixed_threads = 0;  // 0: follow the load
int chosen = 1;
bool have_loadavg = true;
double others_ema = 0.0;  // runnable threads of other work, smoothed
bool primed = false;
std::chrono::steady_clock::time_point last_sample;

int cores() { return std::max(1, omp_get_num_procs()); }

// Runnable threads on the machine now (this one included), or -1.
int running_now() {
  if (!have_loadavg) return -1;
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) {
    have_loadavg = false;
    return -1;
  }
  double a, b, c;
  int running = -1, total = 0;
  const int got = std::fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &running, &total);
  std::fclose(f);
  if (got != 5) {
    have_loadavg = false;
    return -1;
  }
  return running;
}

// Runnable threads of this process now (the calling one included): the OpenMP
// workers still spinning after the last kernel, V8's and tfjs's helpers.
int own_running() {
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return 1;
  int n = 0;
  while (const dirent* e = readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    char path[300], stat[512];
    std::snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    std::FILE* f = std::fopen(path, "r");
    if (f == nullptr) continue;  // the thread has just ended
    const size_t k = std::fread(stat, 1, sizeof stat - 1, f);
    std::fclose(f);
    stat[k] = 0;
    // "tid (name) S ...": the state follows the last ')' (a name may hold any character)
    const char* end = std::strrchr(stat, ')');
    if (end != nullptr && end[1] == ' ' && end[2] == 'R') n++;
  }
  closedir(tasks);
  return std::max(1, n);
}

int threads_from_load() {
  const int max = cores();
  if (max == 1) return 1;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_sample).count();
  if (!primed || since >= 0.02) {
    // this process's runnable threads read before and after the machine's count, the larger taken: a
    // worker that stops spinning between the two reads must not look like another process
    const int own_before = own_running();
    const int running = running_now();
    if (running < 0) return max;
    const double others = running > own_before ? std::max(0, running - std::max(own_before, own_running())) : 0;
    const double keep = primed ? std::exp(-since / 0.5) : 0.0;
    others_ema = keep * others_ema + (1.0 - keep) * others;
    last_sample = now;
    primed = true;
  }
  const int free_cores = max - int(std::lround(others_ema));
  return std::clamp(free_cores, 1, max);
}

}  // namespace

void set_thread_limit(int n) { fixed_threads = std::max(0, n); }

int thread_limit() { return fixed_threads > 0 ? fixed_threads : cores(); }

bool threads_follow_load() { return fixed_threads == 0 && have_loadavg && cores() > 1; }

int begin_kernel_threads() {
  chosen = fixed_threads > 0 ? fixed_threads : threads_from_load();
  omp_set_num_threads(chosen);
  return chosen;
}

int current_threads() { return chosen; }

}  // namespace absnas
