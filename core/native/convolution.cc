// absnas native kernels: 2-D and depthwise convolutions and their two
// gradients through oneDNN, on NHWC float32 tensors (filters HWIO) that the
// caller owns (the wasm backend's heap). The primitives work on the NHWC
// activations in place where oneDNN has an optimised kernel for that layout,
// else on its own blocked layouts with reorders from and to NHWC; filters
// are reordered to oneDNN's layout. The reorders are part of each cached
// plan, so a plan is built once per geometry. Both oneDNN APIs (2.x, 3.x)
// through dnnl_compat.h.
//
// The filter gradient reduces over the batch, and oneDNN adds per-thread
// partial sums: its result depends on the thread count. So that it may still
// follow the machine's load (threads.cc) without a run's numbers following it,
// the batch is cut into a fixed number of parts (one per core, or
// ABSNAS_NATIVE_THREADS): each part's gradient is a one-thread primitive, the
// parts are shared among as many threads as the load allows (one after the
// other on a busy machine), and their sums are added in part order. (The
// depthwise filter gradient with one filter per channel is absnas's own loop
// instead, in fixed batch chunks of its own: depthwise.cc.)
#include "convolution.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "depthwise.h"
#include "dnnl_compat.h"
#include "threads.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <exception>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace absnas {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// One stream per part of a split filter gradient (a stream is not shared between threads); part 0 for the rest.
dnnl::stream& queue(int part = 0) {
  static std::vector<std::unique_ptr<dnnl::stream>> streams;
  if (size_t(part) >= streams.size()) streams.resize(part + 1);  // grown before any parallel region (ensure_parts)
  if (!streams[part]) streams[part] = std::make_unique<dnnl::stream>(cpu());
  return *streams[part];
}

// Buffers for the primitives' copies of their operands and their scratchpads,
// shared by every plan (kernels run one at a time): memory does not grow with
// the number of geometries seen, only with the largest one.
class Arena {
 public:
  enum Slot { kA, kB, kOut, kScratch, kSlots };
  void* get(Slot slot, size_t bytes) {
    Buffer& b = buffers_[slot];
    if (b.size < bytes) {
      std::free(b.data);
      b.size = 0;
      b.data = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
      if (b.data == nullptr) throw std::bad_alloc();
      b.size = bytes;
    }
    return b.data;
  }

 private:
  struct Buffer {
    void* data = nullptr;
    size_t size = 0;
  };
  Buffer buffers_[kSlots];
};

// One arena per part of a split filter gradient; part 0 for every other kernel.
Arena& arena(int part = 0) {
  static std::vector<std::unique_ptr<Arena>> arenas;
  if (size_t(part) >= arenas.size()) arenas.resize(part + 1);
  if (!arenas[part]) arenas[part] = std::make_unique<Arena>();
  return *arenas[part];
}

// Creates the streams and arenas of `parts` parts, so that none is created inside a parallel region.
void ensure_parts(int parts) {
  for (int i = 0; i < parts; i++) {
    queue(i);
    arena(i);
  }
}

// One operand in the user's layout and, when the primitive wants another, the
// reorder to (inputs) or from (outputs) the primitive's copy in the arena.
struct Operand {
  memory::desc user;
  memory::desc inner;
  Arena::Slot slot = Arena::kA;
  bool reordered = false;
  dnnl::reorder reorder;

  void init(const memory::desc& user_desc, const memory::desc& inner_desc, Arena::Slot arena_slot, bool is_output) {
    user = user_desc;
    inner = inner_desc;
    slot = arena_slot;
    reordered = !(user == inner);
    if (!reordered) return;
    reorder = is_output ? dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), inner, cpu(), user))
                        : dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), user, cpu(), inner));
  }

  // The memory the primitive reads; the user's data reordered into it first.
  memory input(float* data, int part) {
    memory m(user, cpu(), data);
    if (!reordered) return m;
    memory copy(inner, cpu(), arena(part).get(slot, inner.get_size()));
    reorder.execute(queue(part), m, copy);
    return copy;
  }

  // The memory the primitive writes; finish() brings it to the user's layout.
  memory output(float* data, int part) {
    if (!reordered) return memory(user, cpu(), data);
    return memory(inner, cpu(), arena(part).get(slot, inner.get_size()));
  }

  void finish(memory& written, float* data, int part) {
    if (!reordered) return;
    memory m(user, cpu(), data);
    reorder.execute(queue(part), written, m);
  }
};

struct Plan {
  dnnl::primitive primitive;
  int arg_a = 0, arg_b = 0, arg_out = 0;
  Operand a, b, out;
  memory::desc scratchpad;
  std::string impl;
};

std::unordered_map<std::string, std::unique_ptr<Plan>> plans;

std::string key_of(int kind, bool depthwise, const ConvDims& d, int threads) {
  // oneDNN sizes a primitive's work split for the thread count at its creation
  std::string k = std::to_string(kind) + (depthwise ? "d" : "c") + std::to_string(threads);
  const int* v = &d.n;
  for (int i = 0; i < 17; i++) k += ":" + std::to_string(v[i]);
  return k;
}

// The plan of one convolution. With `nhwc_inside`, the primitive works on
// the NHWC activations as they are (no reorders of the full-size tensors,
// 20-50% faster here than reordering to oneDNN's blocked layout and back);
// otherwise oneDNN picks every layout. Filters always go to oneDNN's layout
// (they are small).
std::unique_ptr<Plan> build_plan(int kind, bool depthwise, const ConvDims& d, bool nhwc_inside) {
  const memory::dims src_dims{d.n, d.ic, d.ih, d.iw};
  const memory::dims dst_dims{d.n, d.oc, d.oh, d.ow};
  dnnl_compat::ConvGeometry g;
  g.strides = {d.sh, d.sw};
  g.dilates = {d.dh - 1, d.dw - 1};  // oneDNN counts the holes
  g.pad_l = {d.pt, d.pl};
  g.pad_r = {d.pb, d.pr};
  memory::dims wei_dims;
  memory::desc user_wei;
  if (depthwise) {
    // groups = ic, each with (oc / ic) outputs and 1 input; HWIO [kh, kw, ic, m] is goihw's strides
    const int m = d.oc / d.ic;
    wei_dims = {d.ic, m, 1, d.kh, d.kw};
    user_wei = memory::desc(wei_dims, dt::f32, memory::dims{m, 1, 1, d.kw * d.ic * m, d.ic * m});
  } else {
    wei_dims = {d.oc, d.ic, d.kh, d.kw};
    user_wei = memory::desc(wei_dims, dt::f32, tag::hwio);
  }
  const memory::desc user_src(src_dims, dt::f32, tag::nhwc);
  const memory::desc user_dst(dst_dims, dt::f32, tag::nhwc);
  const memory::desc in_src = nhwc_inside ? user_src : memory::desc(src_dims, dt::f32, tag::any);
  const memory::desc in_dst = nhwc_inside ? user_dst : memory::desc(dst_dims, dt::f32, tag::any);
  const memory::desc any_wei(wei_dims, dt::f32, tag::any);

  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::primitive_attr plain;
  auto fwd_pd = dnnl_compat::conv_forward(cpu(), in_src, any_wei, in_dst, g, plain);

  auto plan = std::make_unique<Plan>();
  if (kind == 0) {
    auto pd = dnnl_compat::conv_forward(cpu(), in_src, any_wei, in_dst, g, attr);
    plan->primitive = dnnl::convolution_forward(pd);
    plan->arg_a = DNNL_ARG_SRC;
    plan->arg_b = DNNL_ARG_WEIGHTS;
    plan->arg_out = DNNL_ARG_DST;
    plan->a.init(user_src, pd.src_desc(), Arena::kA, false);
    plan->b.init(user_wei, pd.weights_desc(), Arena::kB, false);
    plan->out.init(user_dst, pd.dst_desc(), Arena::kOut, true);
    plan->scratchpad = pd.scratchpad_desc();
    plan->impl = pd.impl_info_str();
  } else if (kind == 1) {
    auto pd = dnnl_compat::conv_backward_data(cpu(), in_src, any_wei, in_dst, g, fwd_pd, attr);
    plan->primitive = dnnl::convolution_backward_data(pd);
    plan->arg_a = DNNL_ARG_DIFF_DST;
    plan->arg_b = DNNL_ARG_WEIGHTS;
    plan->arg_out = DNNL_ARG_DIFF_SRC;
    plan->a.init(user_dst, pd.diff_dst_desc(), Arena::kA, false);
    plan->b.init(user_wei, pd.weights_desc(), Arena::kB, false);
    plan->out.init(user_src, pd.diff_src_desc(), Arena::kOut, true);
    plan->scratchpad = pd.scratchpad_desc();
    plan->impl = pd.impl_info_str();
  } else {
    auto pd = dnnl_compat::conv_backward_weights(cpu(), in_src, any_wei, in_dst, g, fwd_pd, attr);
    plan->primitive = dnnl::convolution_backward_weights(pd);
    plan->arg_a = DNNL_ARG_SRC;
    plan->arg_b = DNNL_ARG_DIFF_DST;
    plan->arg_out = DNNL_ARG_DIFF_WEIGHTS;
    plan->a.init(user_src, pd.src_desc(), Arena::kA, false);
    plan->b.init(user_dst, pd.diff_dst_desc(), Arena::kB, false);
    plan->out.init(user_wei, pd.diff_weights_desc(), Arena::kOut, true);
    plan->scratchpad = pd.scratchpad_desc();
    plan->impl = pd.impl_info_str();
  }
  return plan;
}

// oneDNN's reference (plain C++ loop) implementations are much slower than
// a reorder to its blocked layout and its JIT kernel there.
bool is_reference(const std::string& impl) { return impl.find("ref") != std::string::npos; }

// The cached plan of a geometry for `threads` threads (OpenMP's count must be that when it is built).
Plan& plan_for(int kind, bool depthwise, const ConvDims& d, int threads) {
  const std::string key = key_of(kind, depthwise, d, threads);
  auto found = plans.find(key);
  if (found != plans.end()) return *found->second;
  std::unique_ptr<Plan> plan;
  try {
    plan = build_plan(kind, depthwise, d, true);
  } catch (const dnnl::error&) {
    plan = nullptr;  // no implementation on NHWC for this geometry
  }
  if (plan == nullptr || is_reference(plan->impl)) plan = build_plan(kind, depthwise, d, false);
  Plan& ref = *plan;
  plans.emplace(key, std::move(plan));
  return ref;
}

void execute(Plan& p, const float* a, const float* b, float* out, int part) {
  memory ma = p.a.input(const_cast<float*>(a), part);
  memory mb = p.b.input(const_cast<float*>(b), part);
  memory mo = p.out.output(out, part);
  memory scratch(p.scratchpad, cpu(), arena(part).get(Arena::kScratch, p.scratchpad.get_size()));
  p.primitive.execute(queue(part), {{p.arg_a, ma}, {p.arg_b, mb}, {p.arg_out, mo}, {DNNL_ARG_SCRATCHPAD, scratch}});
  p.out.finish(mo, out, part);
  queue(part).wait();
}

// The number of batch parts of a filter gradient: fixed for the process (never the load's choice).
int filter_gradient_parts(const ConvDims& d) { return std::max(1, std::min(thread_limit(), d.n)); }

// The geometry of part i of the batch in `parts` parts, and its first image.
ConvDims batch_part(const ConvDims& d, int parts, int i, int* first) {
  *first = int(long(d.n) * i / parts);
  ConvDims part = d;
  part.n = int(long(d.n) * (i + 1) / parts) - *first;
  return part;
}

// Per-part filter gradients beside part 0's (which is written to the output), reused between calls.
std::vector<std::vector<float>>& partial_gradients() {
  static std::vector<std::vector<float>> partials;
  return partials;
}

void filter_gradient(bool depthwise, const ConvDims& d, const float* x, const float* dy, float* dw) {
  const int parts = filter_gradient_parts(d);
  const int threads = current_threads();  // chosen from the load for this kernel
  // every part's primitive is built for one thread: the same arithmetic run alone or beside the others
  omp_set_num_threads(1);
  std::vector<Plan*> plans(parts);
  std::vector<int> first(parts);
  for (int i = 0; i < parts; i++) plans[i] = &plan_for(2, depthwise, batch_part(d, parts, i, &first[i]), 1);
  ensure_parts(parts);
  const size_t w_len = size_t(d.kh) * d.kw * (depthwise ? size_t(d.oc) : size_t(d.ic) * d.oc);
  auto& partials = partial_gradients();
  if (partials.size() < size_t(parts)) partials.resize(parts);
  for (int i = 1; i < parts; i++) partials[i].resize(w_len);
  const size_t x_image = size_t(d.ih) * d.iw * d.ic, dy_image = size_t(d.oh) * d.ow * d.oc;
  auto run_part = [&](int i) {
    execute(*plans[i], x + first[i] * x_image, dy + first[i] * dy_image, i == 0 ? dw : partials[i].data(), i);
  };
  const int team = std::min(threads, parts);
  if (team > 1) {
    // the parts shared among the threads; oneDNN runs a primitive inside a parallel region on its calling thread
    std::exception_ptr failure;
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
    for (int i = 0; i < parts; i++) {
      try {
        run_part(i);
      } catch (...) {
#pragma omp critical
        failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  } else {
    for (int i = 0; i < parts; i++) run_part(i);
  }
  for (int i = 1; i < parts; i++) {
    const float* p = partials[i].data();
    for (size_t k = 0; k < w_len; k++) dw[k] += p[k];
  }
  omp_set_num_threads(threads);
}

}  // namespace

// Whether absnas's own loops take the filter gradient (depthwise.cc), not oneDNN.
bool own_depthwise_gradient(int kind, bool depthwise, const ConvDims& d) { return kind == 2 && depthwise && d.ic == d.oc; }

void convolution(int kind, bool depthwise, const ConvDims& d, const float* a, const float* b, float* out) {
  if (own_depthwise_gradient(kind, depthwise, d)) return depthwise_filter_gradient(d, a, b, out);
  if (kind == 2) return filter_gradient(depthwise, d, a, b, out);
  execute(plan_for(kind, depthwise, d, current_threads()), a, b, out, 0);
}

std::string convolution_impl(int kind, bool depthwise, const ConvDims& d) {
  if (own_depthwise_gradient(kind, depthwise, d)) return "absnas:depthwise_filter_gradient";
  if (kind != 2) return plan_for(kind, depthwise, d, current_threads()).impl;
  // the filter gradient's parts: the first part's implementation, built for one thread
  int first = 0;
  const ConvDims d0 = batch_part(d, filter_gradient_parts(d), 0, &first);
  const int threads = current_threads();
  omp_set_num_threads(1);
  const std::string impl = plan_for(2, depthwise, d0, 1).impl;
  omp_set_num_threads(threads);
  return impl;
}

}  // namespace absnas
