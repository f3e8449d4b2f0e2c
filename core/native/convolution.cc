// absnas native kernels: 2-D and depthwise convolutions and their two
// gradients through oneDNN, on NHWC float32 tensors (filters HWIO) that the
// caller owns (the wasm backend's heap). oneDNN picks its own (blocked)
// layouts for each primitive; the reorders from and to NHWC / HWIO are part
// of each cached plan, so a plan is built once per geometry.
#include "convolution.h"

#include <oneapi/dnnl/dnnl.hpp>

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
};

std::unordered_map<std::string, std::unique_ptr<Plan>> plans;

std::string key_of(int kind, bool depthwise, const ConvDims& d) {
  std::string k = std::to_string(kind) + (depthwise ? "d" : "c");
  const int* v = &d.n;
  for (int i = 0; i < 17; i++) k += ":" + std::to_string(v[i]);
  return k;
}

Plan& plan_for(int kind, bool depthwise, const ConvDims& d) {
  const std::string key = key_of(kind, depthwise, d);
  auto found = plans.find(key);
  if (found != plans.end()) return *found->second;

  const memory::dims src_dims{d.n, d.ic, d.ih, d.iw};
  const memory::dims dst_dims{d.n, d.oc, d.oh, d.ow};
  const memory::dims strides{d.sh, d.sw};
  const memory::dims dilates{d.dh - 1, d.dw - 1};  // oneDNN counts the holes
  const memory::dims pad_l{d.pt, d.pl}, pad_r{d.pb, d.pr};
  memory::dims wei_dims;
  memory::desc user_wei;
  if (depthwise) {
    // groups = ic, each with (oc / ic) outputs and 1 input; HWIO [kh, kw, ic, m] is goihw's strides
    const int m = d.oc / d.ic;
    wei_dims = {d.ic, m, 1, d.kh, d.kw};
    user_wei = memory::desc(wei_dims, dt::f32,
                            memory::dims{m, 1, 1, d.kw * d.ic * m, d.ic * m});
  } else {
    wei_dims = {d.oc, d.ic, d.kh, d.kw};
    user_wei = memory::desc(wei_dims, dt::f32, tag::hwio);
  }
  const memory::desc user_src(src_dims, dt::f32, tag::nhwc);
  const memory::desc user_dst(dst_dims, dt::f32, tag::nhwc);
  const memory::desc any_src(src_dims, dt::f32, tag::any);
  const memory::desc any_dst(dst_dims, dt::f32, tag::any);
  const memory::desc any_wei(wei_dims, dt::f32, tag::any);

  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

  const auto algo = dnnl::algorithm::convolution_direct;
  auto fwd_desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, any_src, any_wei,
                                                  any_dst, strides, dilates, pad_l, pad_r);
  auto fwd_pd = dnnl::convolution_forward::primitive_desc(fwd_desc, cpu());

  auto plan = std::make_unique<Plan>();
  memory::desc scratch;
  if (kind == 0) {
    auto pd = dnnl::convolution_forward::primitive_desc(fwd_desc, attr, cpu());
    plan->primitive = dnnl::convolution_forward(pd);
    plan->arg_a = DNNL_ARG_SRC;
    plan->arg_b = DNNL_ARG_WEIGHTS;
    plan->arg_out = DNNL_ARG_DST;
    plan->a.init(user_src, pd.src_desc(), Arena::kA, false);
    plan->b.init(user_wei, pd.weights_desc(), Arena::kB, false);
    plan->out.init(user_dst, pd.dst_desc(), Arena::kOut, true);
    scratch = pd.scratchpad_desc();
  } else if (kind == 1) {
    auto desc = dnnl::convolution_backward_data::desc(algo, any_src, any_wei, any_dst, strides, dilates, pad_l, pad_r);
    auto pd = dnnl::convolution_backward_data::primitive_desc(desc, attr, cpu(), fwd_pd);
    plan->primitive = dnnl::convolution_backward_data(pd);
    plan->arg_a = DNNL_ARG_DIFF_DST;
    plan->arg_b = DNNL_ARG_WEIGHTS;
    plan->arg_out = DNNL_ARG_DIFF_SRC;
    plan->a.init(user_dst, pd.diff_dst_desc(), Arena::kA, false);
    plan->b.init(user_wei, pd.weights_desc(), Arena::kB, false);
    plan->out.init(user_src, pd.diff_src_desc(), Arena::kOut, true);
    scratch = pd.scratchpad_desc();
  } else {
    auto desc =
        dnnl::convolution_backward_weights::desc(algo, any_src, any_wei, any_dst, strides, dilates, pad_l, pad_r);
    auto pd = dnnl::convolution_backward_weights::primitive_desc(desc, attr, cpu(), fwd_pd);
    plan->primitive = dnnl::convolution_backward_weights(pd);
    plan->arg_a = DNNL_ARG_SRC;
    plan->arg_b = DNNL_ARG_DIFF_DST;
    plan->arg_out = DNNL_ARG_DIFF_WEIGHTS;
    plan->a.init(user_src, pd.src_desc(), Arena::kA, false);
    plan->b.init(user_dst, pd.diff_dst_desc(), Arena::kB, false);
    plan->out.init(user_wei, pd.diff_weights_desc(), Arena::kOut, true);
    scratch = pd.scratchpad_desc();
  }
  plan->scratchpad = scratch;
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

}  // namespace absnas
