// absnas native kernels: 2-D and depthwise convolutions and their two
// gradients through oneDNN, on NHWC float32 tensors (filters HWIO) that the
// caller owns (the wasm backend's heap). The primitives work on the NHWC
// activations in place where oneDNN has an optimised kernel for that layout,
// else on its own blocked layouts with reorders from and to NHWC; filters
// are reordered to oneDNN's layout. The reorders are part of each cached
// plan, so a plan is built once per geometry. Both oneDNN APIs (2.x, 3.x)
// through dnnl_compat.h.
#include "convolution.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "dnnl_compat.h"
#include "threads.h"

#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>

namespace absnas {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& queue() {
  static dnnl::stream stream(cpu());
  return stream;
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

Arena& arena() {
  static Arena a;
  return a;
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
  memory input(float* data) {
    memory m(user, cpu(), data);
    if (!reordered) return m;
    memory copy(inner, cpu(), arena().get(slot, inner.get_size()));
    reorder.execute(queue(), m, copy);
    return copy;
  }

  // The memory the primitive writes; finish() brings it to the user's layout.
  memory output(float* data) {
    if (!reordered) return memory(user, cpu(), data);
    return memory(inner, cpu(), arena().get(slot, inner.get_size()));
  }

  void finish(memory& written, float* data) {
    if (!reordered) return;
    memory m(user, cpu(), data);
    reorder.execute(queue(), written, m);
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

std::string key_of(int kind, bool depthwise, const ConvDims& d) {
  // oneDNN sizes a primitive's work split for the thread count at its creation
  std::string k = std::to_string(kind) + (depthwise ? "d" : "c") + std::to_string(current_threads());
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

Plan& plan_for(int kind, bool depthwise, const ConvDims& d) {
  const std::string key = key_of(kind, depthwise, d);
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

}  // namespace

void convolution(int kind, bool depthwise, const ConvDims& d, const float* a, const float* b, float* out) {
  Plan& p = plan_for(kind, depthwise, d);
  memory ma = p.a.input(const_cast<float*>(a));
  memory mb = p.b.input(const_cast<float*>(b));
  memory mo = p.out.output(out);
  memory scratch(p.scratchpad, cpu(), arena().get(Arena::kScratch, p.scratchpad.get_size()));
  p.primitive.execute(queue(), {{p.arg_a, ma}, {p.arg_b, mb}, {p.arg_out, mo}, {DNNL_ARG_SCRATCHPAD, scratch}});
  p.out.finish(mo, out);
  queue().wait();
}

std::string convolution_impl(int kind, bool depthwise, const ConvDims& d) { return plan_for(kind, depthwise, d).impl; }

}  // namespace absnas
