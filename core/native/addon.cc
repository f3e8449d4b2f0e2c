// absnas native CPU kernels: the Node binding (N-API).
//
// The wasm backend keeps every tensor in one WebAssembly.Memory; JS passes
// Float32Array views of that memory, so the kernels read and write the
// tensors in place, without copies across the boundary. Every call checks
// the operand lengths against the geometry before touching memory.
//
// Exports:
//   conv(kind, dims, a, b, out), depthwise(kind, dims, a, b, out)
//     kind 0 forward (x, filter -> y), 1 input gradient (dy, filter -> dx),
//     2 filter gradient (x, dy -> dW); dims: Int32Array of the 17 ConvDims
//     fields (convolution.h)
//   batchNormForward(rows, c, x, gamma|null, beta|null, eps, y, mean, variance, invStd
//                    [, runningMean, runningVar, [rate, 1 - rate, unbias], newRunningMean, newRunningVar])
//   batchNormBackward(rows, c, dy, x, mean, invStd, gamma|null, dx, sumDy, sumDyXhat)
//   reluBackward(dy, x, dx), relu6Backward(dy, x, dx)
//   maxPoolBackward(dims, x, dy, dx)   dims: Int32Array of the 14 PoolDims fields (pooling.h)
//   maxPool(dims, x, y), avgPool(dims, x, y), avgPoolBackward(dims, dy, dx)
//   binary(op, a, b, mid, inner, out)   op 0 add, 1 multiply; b broadcast (elementwise.h)
//   sgdStep(grads[], params[], velocities[], decays, newParams[], newVelocities[], settings) -> clip scale
//   convImpl(kind, depthwise, dims) -> oneDNN's implementation name for that convolution
//   info() -> { version, isa, threads (the maximum), followsLoad, lastThreads }
//   setThreads(n)   a fixed thread count; 0: chosen per kernel from the machine's load (the default)
#include <node_api.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "activation.h"
#include "batch_norm.h"
#include "convolution.h"
#include "elementwise.h"
#include "dnnl_compat.h"
#include "optimizer.h"
#include "pooling.h"
#include "threads.h"

namespace {

napi_value throw_error(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, ("absnas native: " + message).c_str());
  return nullptr;
}

// The arguments of a call; false (with a JS error thrown) when their count differs.
bool arguments(napi_env env, napi_callback_info info, size_t count, napi_value* args) {
  size_t argc = count;
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc == count) return true;
  throw_error(env, "expected " + std::to_string(count) + " arguments, got " + std::to_string(argc));
  return false;
}

// A typed array of the given type: its data and length (false with a JS error otherwise).
bool typed_array(napi_env env, napi_value v, napi_typedarray_type want_type, const char* type_name,
                 const std::string& what, void** data, size_t* length) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, length, data, nullptr, nullptr) != napi_ok || type != want_type) {
    throw_error(env, what + " must be a " + type_name);
    return false;
  }
  return true;
}

// A Float32Array of exactly `want` values (or null where allowed).
bool floats(napi_env env, napi_value v, size_t want, const std::string& what, float** data, bool nullable = false) {
  napi_valuetype vt;
  napi_typeof(env, v, &vt);
  if (nullable && vt == napi_null) {
    *data = nullptr;
    return true;
  }
  size_t length = 0;
  void* raw = nullptr;
  if (!typed_array(env, v, napi_float32_array, "Float32Array", what, &raw, &length)) return false;
  if (length != want) {
    throw_error(env, what + " has " + std::to_string(length) + " values, expected " + std::to_string(want));
    return false;
  }
  *data = static_cast<float*>(raw);
  return true;
}

// The length of a Float32Array (false with a JS error when v is not one).
bool float_length(napi_env env, napi_value v, const std::string& what, size_t* length) {
  void* raw = nullptr;
  return typed_array(env, v, napi_float32_array, "Float32Array", what, &raw, length);
}

// A typed array of exactly `want` values of the given type.
template <typename T>
bool exactly(napi_env env, napi_value v, napi_typedarray_type type, const char* type_name, size_t want,
             const std::string& what, T** data) {
  size_t length = 0;
  void* raw = nullptr;
  if (!typed_array(env, v, type, type_name, what, &raw, &length)) return false;
  if (length != want) {
    throw_error(env, what + " must be a " + type_name + " of " + std::to_string(want) + " values");
    return false;
  }
  *data = static_cast<T*>(raw);
  return true;
}

// A geometry struct of int fields (ConvDims, PoolDims) from an Int32Array of exactly that many values.
template <typename Dims>
bool int_fields(napi_env env, napi_value v, Dims* out) {
  int32_t* raw = nullptr;
  if (!exactly(env, v, napi_int32_array, "Int32Array", sizeof(Dims) / sizeof(int32_t), "dims", &raw)) return false;
  std::memcpy(out, raw, sizeof(Dims));
  return true;
}

// A JS array of `want` entries (any length when want is -1): its length.
bool js_array(napi_env env, napi_value v, int64_t want, const std::string& what, uint32_t* length) {
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array || napi_get_array_length(env, v, length) != napi_ok || (want >= 0 && *length != want)) {
    throw_error(env, what + (want >= 0 ? " must be an array of " + std::to_string(want) + " entries" : " must be an array"));
    return false;
  }
  return true;
}

bool integer(napi_env env, napi_value v, const char* what, int64_t lo, int64_t* out) {
  if (napi_get_value_int64(env, v, out) != napi_ok || *out < lo) {
    throw_error(env, std::string(what) + " must be an integer >= " + std::to_string(lo));
    return false;
  }
  return true;
}

// Runs one kernel with the thread count chosen for it (threads.cc); C++ errors become JS errors.
template <typename F>
napi_value guarded(napi_env env, F&& f) {
  try {
    absnas::begin_kernel_threads();
    f();
  } catch (const dnnl::error& e) {
    return throw_error(env, std::string("oneDNN: ") + e.what() + " (status " + std::to_string(int(e.status)) + ")");
  } catch (const std::exception& e) {
    return throw_error(env, e.what());
  }
  return nullptr;
}

napi_value convolution(napi_env env, napi_callback_info info, bool depthwise) {
  napi_value args[5];
  if (!arguments(env, info, 5, args)) return nullptr;
  int64_t kind = -1;
  if (!integer(env, args[0], "kind", 0, &kind) || kind > 2) {
    return throw_error(env, "kind must be 0 (forward), 1 (input gradient) or 2 (filter gradient)");
  }
  absnas::ConvDims d;
  if (!int_fields(env, args[1], &d)) return nullptr;
  if (d.n < 1 || d.ih < 1 || d.iw < 1 || d.ic < 1 || d.oh < 1 || d.ow < 1 || d.oc < 1 || d.kh < 1 || d.kw < 1 ||
      d.sh < 1 || d.sw < 1 || d.dh < 1 || d.dw < 1 || d.pt < 0 || d.pl < 0 || d.pb < 0 || d.pr < 0 ||
      (depthwise && d.oc % d.ic != 0)) {
    return throw_error(env, "invalid convolution dims");
  }
  const size_t x_len = size_t(d.n) * d.ih * d.iw * d.ic;
  const size_t y_len = size_t(d.n) * d.oh * d.ow * d.oc;
  const size_t w_len = size_t(d.kh) * d.kw * (depthwise ? size_t(d.oc) : size_t(d.ic) * d.oc);
  const size_t want[3][3] = {{x_len, w_len, y_len}, {y_len, w_len, x_len}, {x_len, y_len, w_len}};
  const char* names[3][3] = {{"x", "filter", "y"}, {"dy", "filter", "dx"}, {"x", "dy", "dW"}};
  float* p[3];
  for (int i = 0; i < 3; i++) {
    if (!floats(env, args[2 + i], want[kind][i], names[kind][i], &p[i])) return nullptr;
  }
  // the filter gradient (kind 2) splits its batch in fixed parts (convolution.cc), so it may follow the load too
  return guarded(env, [&] { absnas::convolution(int(kind), depthwise, d, p[0], p[1], p[2]); });
}

napi_value conv(napi_env env, napi_callback_info info) { return convolution(env, info, false); }

// convImpl(kind, depthwise, dims) -> the oneDNN implementation's name
napi_value conv_impl(napi_env env, napi_callback_info info) {
  napi_value args[3];
  if (!arguments(env, info, 3, args)) return nullptr;
  int64_t kind = -1;
  bool depthwise = false;
  if (!integer(env, args[0], "kind", 0, &kind) || kind > 2) return throw_error(env, "kind must be 0, 1 or 2");
  if (napi_get_value_bool(env, args[1], &depthwise) != napi_ok) return throw_error(env, "depthwise must be a boolean");
  absnas::ConvDims d;
  if (!int_fields(env, args[2], &d)) return nullptr;
  std::string impl;
  napi_value r = guarded(env, [&] { impl = absnas::convolution_impl(int(kind), depthwise, d); });
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return r;
  napi_value out;
  napi_create_string_utf8(env, impl.c_str(), impl.size(), &out);
  return out;
}
napi_value depthwise(napi_env env, napi_callback_info info) { return convolution(env, info, true); }

// batchNormForward(rows, c, x, gamma|null, beta|null, eps, y, mean, variance, invStd
//                  [, runningMean, runningVar, Float64Array [rate, 1 - rate, unbias], newRunningMean, newRunningVar])
napi_value batch_norm_forward(napi_env env, napi_callback_info info) {
  napi_value args[15];
  size_t argc = 15;
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc != 10 && argc != 15) return throw_error(env, "expected 10 or 15 arguments, got " + std::to_string(argc));
  int64_t rows, c;
  double eps;
  if (!integer(env, args[0], "rows", 1, &rows) || !integer(env, args[1], "c", 1, &c)) return nullptr;
  if (napi_get_value_double(env, args[5], &eps) != napi_ok || !(eps >= 0)) return throw_error(env, "eps must be >= 0");
  const size_t n = size_t(rows) * size_t(c);
  float *x, *gamma, *beta, *y, *mean, *variance, *inv_std;
  if (!floats(env, args[2], n, "x", &x) || !floats(env, args[3], c, "gamma", &gamma, true) ||
      !floats(env, args[4], c, "beta", &beta, true) || !floats(env, args[6], n, "y", &y) ||
      !floats(env, args[7], c, "mean", &mean) || !floats(env, args[8], c, "variance", &variance) ||
      !floats(env, args[9], c, "invStd", &inv_std)) {
    return nullptr;
  }
  if ((gamma == nullptr) != (beta == nullptr)) return throw_error(env, "give gamma and beta together, or neither");
  float *running_mean = nullptr, *running_var = nullptr, *new_mean = nullptr, *new_var = nullptr;
  double* update = nullptr;  // rate, 1 - rate (as JS computes it), unbias
  if (argc == 15) {
    if (!floats(env, args[10], c, "runningMean", &running_mean) || !floats(env, args[11], c, "runningVar", &running_var) ||
        !exactly(env, args[12], napi_float64_array, "Float64Array", 3, "update [rate, 1 - rate, unbias]", &update) ||
        !floats(env, args[13], c, "newRunningMean", &new_mean) || !floats(env, args[14], c, "newRunningVar", &new_var)) {
      return nullptr;
    }
    if (!(update[0] >= 0 && update[0] <= 1) || !(update[2] >= 1)) return throw_error(env, "update needs a rate in [0, 1] and unbias >= 1");
  }
  return guarded(env, [&] {
    absnas::batch_norm_forward(rows, int(c), x, gamma, beta, float(eps), y, mean, variance, inv_std);
    if (running_mean != nullptr) {
      absnas::running_stats_update(int(c), mean, variance, running_mean, running_var, float(update[0]), float(update[1]),
                                   float(update[2]), new_mean, new_var);
    }
  });
}

napi_value batch_norm_backward(napi_env env, napi_callback_info info) {
  napi_value args[10];
  if (!arguments(env, info, 10, args)) return nullptr;
  int64_t rows, c;
  if (!integer(env, args[0], "rows", 1, &rows) || !integer(env, args[1], "c", 1, &c)) return nullptr;
  const size_t n = size_t(rows) * size_t(c);
  float *dy, *x, *mean, *inv_std, *gamma, *dx, *sum_dy, *sum_dy_xhat;
  if (!floats(env, args[2], n, "dy", &dy) || !floats(env, args[3], n, "x", &x) ||
      !floats(env, args[4], c, "mean", &mean) || !floats(env, args[5], c, "invStd", &inv_std) ||
      !floats(env, args[6], c, "gamma", &gamma, true) || !floats(env, args[7], n, "dx", &dx) ||
      !floats(env, args[8], c, "sumDy", &sum_dy) || !floats(env, args[9], c, "sumDyXhat", &sum_dy_xhat)) {
    return nullptr;
  }
  return guarded(env, [&] {
    absnas::batch_norm_backward(rows, int(c), dy, x, mean, inv_std, gamma, dx, sum_dy, sum_dy_xhat);
  });
}

// (dy, x, dx) of one length, checked; false with a JS error thrown.
bool activation_gradient_args(napi_env env, napi_callback_info info, float** dy, float** x, float** dx, size_t* n) {
  napi_value args[3];
  if (!arguments(env, info, 3, args)) return false;
  bool is_typed = false;
  napi_is_typedarray(env, args[0], &is_typed);
  if (is_typed) napi_get_typedarray_info(env, args[0], nullptr, n, nullptr, nullptr, nullptr);
  return floats(env, args[0], *n, "dy", dy) && floats(env, args[1], *n, "x", x) && floats(env, args[2], *n, "dx", dx);
}

napi_value relu_backward(napi_env env, napi_callback_info info) {
  float *dy, *x, *dx;
  size_t n = 0;
  if (!activation_gradient_args(env, info, &dy, &x, &dx, &n)) return nullptr;
  return guarded(env, [&] { absnas::relu_backward(long(n), dy, x, dx); });
}

napi_value relu6_backward(napi_env env, napi_callback_info info) {
  float *dy, *x, *dx;
  size_t n = 0;
  if (!activation_gradient_args(env, info, &dy, &x, &dx, &n)) return nullptr;
  return guarded(env, [&] { absnas::relu6_backward(long(n), dy, x, dx); });
}

// relu(x, y): y = max(x, 0), two Float32Arrays of one length.
napi_value relu_forward(napi_env env, napi_callback_info info) {
  napi_value args[2];
  if (!arguments(env, info, 2, args)) return nullptr;
  size_t n = 0;
  float *x, *y;
  if (!float_length(env, args[0], "x", &n) || !floats(env, args[0], n, "x", &x) || !floats(env, args[1], n, "y", &y)) {
    return nullptr;
  }
  return guarded(env, [&] { absnas::relu_forward(long(n), x, y); });
}

// PoolDims from an Int32Array, checked; false with a JS error thrown.
bool pool_dims(napi_env env, napi_value v, absnas::PoolDims* d) {
  if (!int_fields(env, v, d)) return false;
  if (d->n < 1 || d->h < 1 || d->w < 1 || d->c < 1 || d->oh < 1 || d->ow < 1 || d->sh < 1 || d->sw < 1 || d->dh < 1 ||
      d->dw < 1 || d->kh < 1 || d->kw < 1) {
    throw_error(env, "invalid pooling dims");
    return false;
  }
  return true;
}

size_t pool_input(const absnas::PoolDims& d) { return size_t(d.n) * d.h * d.w * d.c; }
size_t pool_output(const absnas::PoolDims& d) { return size_t(d.n) * d.oh * d.ow * d.c; }

napi_value max_pool_backward(napi_env env, napi_callback_info info) {
  napi_value args[4];
  if (!arguments(env, info, 4, args)) return nullptr;
  absnas::PoolDims d;
  if (!pool_dims(env, args[0], &d)) return nullptr;
  float *x, *dy, *dx;
  if (!floats(env, args[1], pool_input(d), "x", &x) || !floats(env, args[2], pool_output(d), "dy", &dy) ||
      !floats(env, args[3], pool_input(d), "dx", &dx)) {
    return nullptr;
  }
  return guarded(env, [&] { absnas::max_pool_backward(d, x, dy, dx); });
}

// maxPool / avgPool (dims, x, y), avgPoolBackward (dims, dy, dx)
napi_value pool_forward(napi_env env, napi_callback_info info, bool max) {
  napi_value args[3];
  if (!arguments(env, info, 3, args)) return nullptr;
  absnas::PoolDims d;
  if (!pool_dims(env, args[0], &d)) return nullptr;
  float *x, *y;
  if (!floats(env, args[1], pool_input(d), "x", &x) || !floats(env, args[2], pool_output(d), "y", &y)) return nullptr;
  return guarded(env, [&] { max ? absnas::max_pool_forward(d, x, y) : absnas::avg_pool_forward(d, x, y); });
}

napi_value max_pool(napi_env env, napi_callback_info info) { return pool_forward(env, info, true); }
napi_value avg_pool(napi_env env, napi_callback_info info) { return pool_forward(env, info, false); }

napi_value avg_pool_backward(napi_env env, napi_callback_info info) {
  napi_value args[3];
  if (!arguments(env, info, 3, args)) return nullptr;
  absnas::PoolDims d;
  if (!pool_dims(env, args[0], &d)) return nullptr;
  float *dy, *dx;
  if (!floats(env, args[1], pool_output(d), "dy", &dy) || !floats(env, args[2], pool_input(d), "dx", &dx)) return nullptr;
  return guarded(env, [&] { absnas::avg_pool_backward(d, dy, dx); });
}

// binary(op, a, b, mid, inner, out): out = a op b, b broadcast as elementwise.h says
napi_value binary(napi_env env, napi_callback_info info) {
  napi_value args[6];
  if (!arguments(env, info, 6, args)) return nullptr;
  int64_t op, mid, inner;
  if (!integer(env, args[0], "op", 0, &op) || op > 1) return throw_error(env, "op must be 0 (add) or 1 (multiply)");
  if (!integer(env, args[3], "mid", 1, &mid) || !integer(env, args[4], "inner", 1, &inner)) return nullptr;
  size_t n = 0;
  if (!float_length(env, args[1], "a", &n)) return nullptr;
  float *a, *b, *out;
  if (n % size_t(mid * inner) != 0) return throw_error(env, "mid * inner must divide the length of a");
  if (!floats(env, args[1], n, "a", &a) || !floats(env, args[2], size_t(mid), "b", &b) ||
      !floats(env, args[5], n, "out", &out)) {
    return nullptr;
  }
  return guarded(env, [&] { absnas::binary(absnas::Binary(op), long(n), a, b, long(mid), long(inner), out); });
}

// Element i of a JS array.
bool element(napi_env env, napi_value array, uint32_t i, napi_value* out) {
  return napi_get_element(env, array, i, out) == napi_ok;
}

// addN(inputs: Float32Array[] (2 or more, one length), out): their sum, in order.
napi_value add_n(napi_env env, napi_callback_info info) {
  napi_value args[2];
  if (!arguments(env, info, 2, args)) return nullptr;
  uint32_t count = 0;
  if (!js_array(env, args[0], -1, "inputs", &count)) return nullptr;
  if (count < 2) return throw_error(env, "inputs must hold at least 2 tensors");
  size_t n = 0;
  float* out;
  if (!float_length(env, args[1], "out", &n) || !floats(env, args[1], n, "out", &out)) return nullptr;
  std::vector<const float*> inputs(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    float* data;
    if (!element(env, args[0], i, &v)) return throw_error(env, "could not read the inputs");
    if (!floats(env, v, n, "inputs[" + std::to_string(i) + "]", &data)) return nullptr;
    inputs[i] = data;
  }
  return guarded(env, [&] { absnas::add_n(int(count), inputs.data(), long(n), out); });
}

// sgdStep(grads[], params[], velocities[] (entries null without momentum), decays: Uint8Array,
//         newParams[], newVelocities[], settings: Float64Array [lr, momentum, weightDecay, nesterov, maxNorm]) -> scale
napi_value sgd_step(napi_env env, napi_callback_info info) {
  napi_value args[7];
  if (!arguments(env, info, 7, args)) return nullptr;
  uint32_t count = 0;
  if (!js_array(env, args[0], -1, "grads", &count)) return nullptr;
  const char* lists[] = {"grads", "params", "velocities", "decays", "newParams", "newVelocities"};
  for (int a : {1, 2, 4, 5}) {
    uint32_t n = 0;
    if (!js_array(env, args[a], count, std::string(lists[a]) + " (as long as grads)", &n)) return nullptr;
  }
  uint8_t* decays = nullptr;
  double* settings = nullptr;
  if (!exactly(env, args[3], napi_uint8_array, "Uint8Array", count, "decays (one entry per gradient)", &decays) ||
      !exactly(env, args[6], napi_float64_array, "Float64Array", 5,
               "settings [learningRate, momentum, weightDecay, nesterov, maxNorm]", &settings)) {
    return nullptr;
  }
  const absnas::SgdSettings s{float(settings[0]), float(settings[1]), float(settings[2]), settings[3] != 0.0,
                              float(settings[4])};
  if (!(s.momentum >= 0.0f) || !(s.weight_decay >= 0.0f)) return throw_error(env, "momentum and weightDecay must be >= 0");
  std::vector<absnas::SgdTensor> tensors(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value g, p, v, np, nv;
    if (!element(env, args[0], i, &g) || !element(env, args[1], i, &p) || !element(env, args[2], i, &v) ||
        !element(env, args[4], i, &np) || !element(env, args[5], i, &nv)) {
      return throw_error(env, "could not read the tensor lists");
    }
    size_t n = 0;
    if (!float_length(env, g, "grads[i]", &n)) return nullptr;
    float *gd, *pd, *vd, *npd, *nvd;
    const bool momentum = s.momentum > 0.0f;
    if (!floats(env, g, n, "grads[i]", &gd) || !floats(env, p, n, "params[i]", &pd) ||
        !floats(env, np, n, "newParams[i]", &npd) || !floats(env, v, n, "velocities[i]", &vd, !momentum) ||
        !floats(env, nv, n, "newVelocities[i]", &nvd, !momentum)) {
      return nullptr;
    }
    if (momentum != (vd != nullptr) || (vd == nullptr) != (nvd == nullptr)) {
      return throw_error(env, "velocities (and newVelocities) are given exactly when momentum > 0");
    }
    tensors[i] = absnas::SgdTensor{long(n), gd, pd, vd, decays[i] != 0, npd, nvd};
  }
  float scale = 1.0f;
  napi_value r = guarded(env, [&] { scale = absnas::sgd_step(s, tensors.data(), int(count)); });
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return r;
  napi_value out;
  napi_create_double(env, scale, &out);
  return out;
}

napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value arg;
  if (!arguments(env, info, 1, &arg)) return nullptr;
  int64_t n;
  if (!integer(env, arg, "threads", 0, &n)) return nullptr;
  absnas::set_thread_limit(int(n));
  return nullptr;
}

napi_value info_of(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  const std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  const char* isa = absnas::dnnl_compat::isa_name();
  napi_value out, s_version, s_isa, n_threads, b_follows, n_last;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, version.c_str(), NAPI_AUTO_LENGTH, &s_version);
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &s_isa);
  napi_create_int32(env, absnas::thread_limit(), &n_threads);
  napi_get_boolean(env, absnas::threads_follow_load(), &b_follows);
  napi_create_int32(env, absnas::current_threads(), &n_last);
  napi_set_named_property(env, out, "version", s_version);
  napi_set_named_property(env, out, "isa", s_isa);
  napi_set_named_property(env, out, "threads", n_threads);
  napi_set_named_property(env, out, "followsLoad", b_follows);
  napi_set_named_property(env, out, "lastThreads", n_last);
  return out;
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv", nullptr, conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"depthwise", nullptr, depthwise, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convImpl", nullptr, conv_impl, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormForward", nullptr, batch_norm_forward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, batch_norm_backward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"relu", nullptr, relu_forward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluBackward", nullptr, relu_backward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"relu6Backward", nullptr, relu6_backward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolBackward", nullptr, max_pool_backward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, max_pool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPool", nullptr, avg_pool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPoolBackward", nullptr, avg_pool_backward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addN", nullptr, add_n, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdStep", nullptr, sgd_step, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, set_threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, info_of, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
