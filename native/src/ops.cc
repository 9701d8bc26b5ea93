// Elementwise, reduction and shape ops. Table-driven: each entry is one libtorch call.
#include "common.h"
#include <ATen/ScalarOps.h>
#include <cmath>
#include <functional>
#include <unordered_map>

namespace dd {

using Unary = std::function<at::Tensor(const at::Tensor&)>;
using BinaryFn = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;

static const std::unordered_map<std::string, Unary>& UnaryOps() {
  static const std::unordered_map<std::string, Unary> ops = {
      {"neg", [](const at::Tensor& a) { return at::neg(a); }},
      {"abs", [](const at::Tensor& a) { return at::abs(a); }},
      {"sqrt", [](const at::Tensor& a) { return at::sqrt(a); }},
      {"exp", [](const at::Tensor& a) { return at::exp(a); }},
      {"log", [](const at::Tensor& a) { return at::log(a); }},
      {"sigmoid", [](const at::Tensor& a) { return at::sigmoid(a); }},
      {"tanh", [](const at::Tensor& a) { return at::tanh(a); }},
      {"relu", [](const at::Tensor& a) { return at::relu(a); }},
      {"sin", [](const at::Tensor& a) { return at::sin(a); }},
      {"cos", [](const at::Tensor& a) { return at::cos(a); }},
      {"floor", [](const at::Tensor& a) { return at::floor(a); }},
      {"ceil", [](const at::Tensor& a) { return at::ceil(a); }},
      {"round", [](const at::Tensor& a) { return at::round(a); }},
      {"sign", [](const at::Tensor& a) { return at::sign(a); }},
      {"square", [](const at::Tensor& a) { return at::square(a); }},
      {"reciprocal", [](const at::Tensor& a) { return at::reciprocal(a); }},
      {"logicalNot", [](const at::Tensor& a) { return at::logical_not(a); }},
      {"isnan", [](const at::Tensor& a) { return at::isnan(a); }},
      {"isfinite", [](const at::Tensor& a) { return at::isfinite(a); }},
      {"contiguous", [](const at::Tensor& a) { return a.contiguous(); }},
      {"clone", [](const at::Tensor& a) { return a.clone(); }},
  };
  return ops;
}

static const std::unordered_map<std::string, BinaryFn>& BinaryOps() {
  static const std::unordered_map<std::string, BinaryFn> ops = {
      {"add", [](const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); }},
      {"sub", [](const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); }},
      {"mul", [](const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }},
      {"div", [](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }},
      {"pow", [](const at::Tensor& a, const at::Tensor& b) { return at::pow(a, b); }},
      {"maximum", [](const at::Tensor& a, const at::Tensor& b) { return at::maximum(a, b); }},
      {"minimum", [](const at::Tensor& a, const at::Tensor& b) { return at::minimum(a, b); }},
      {"atan2", [](const at::Tensor& a, const at::Tensor& b) { return at::atan2(a, b); }},
      {"eq", [](const at::Tensor& a, const at::Tensor& b) { return at::eq(a, b); }},
      {"ne", [](const at::Tensor& a, const at::Tensor& b) { return at::ne(a, b); }},
      {"lt", [](const at::Tensor& a, const at::Tensor& b) { return at::lt(a, b); }},
      {"le", [](const at::Tensor& a, const at::Tensor& b) { return at::le(a, b); }},
      {"gt", [](const at::Tensor& a, const at::Tensor& b) { return at::gt(a, b); }},
      {"ge", [](const at::Tensor& a, const at::Tensor& b) { return at::ge(a, b); }},
      {"logicalAnd", [](const at::Tensor& a, const at::Tensor& b) { return at::logical_and(a, b); }},
      {"logicalOr", [](const at::Tensor& a, const at::Tensor& b) { return at::logical_or(a, b); }},
      {"matmul", [](const at::Tensor& a, const at::Tensor& b) { return at::matmul(a, b); }},
  };
  return ops;
}

// unary(name, t)
static Napi::Value UnaryOp(const Napi::CallbackInfo& i) {
  std::string name = Str(i[0], "op");
  auto it = UnaryOps().find(name);
  if (it == UnaryOps().end()) throw std::invalid_argument("Unknown unary op '" + name + "'");
  return Wrap(i.Env(), it->second(Unwrap(i[1])));
}

// A JS number operand behaves like a Python number: a wrapped scalar that joins type promotion
// by category only (int tensor * 0.5 -> float32, float32 tensor + 2 -> float32, int tensor + 1 -> int).
// An integral value is an integer scalar, anything else a double.
static at::Tensor NumberOperand(const Napi::Value& v, const at::Tensor& like) {
  if (!v.IsNumber()) return TensorOrScalar(v, like);
  double d = v.As<Napi::Number>().DoubleValue();
  bool integral = std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740992.0;
  return at::native::wrapped_scalar_tensor(integral ? at::Scalar(static_cast<int64_t>(d)) : at::Scalar(d));
}

// binary(name, a, b): b may be a number.
static Napi::Value BinaryOp(const Napi::CallbackInfo& i) {
  std::string name = Str(i[0], "op");
  auto it = BinaryOps().find(name);
  if (it == BinaryOps().end()) throw std::invalid_argument("Unknown binary op '" + name + "'");
  at::Tensor& a = Unwrap(i[1]);
  return Wrap(i.Env(), it->second(a, NumberOperand(i[2], a)));
}

static Napi::Value LeakyRelu(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::leaky_relu(Unwrap(i[0]), Num(i[1], "slope"))); }
// In place: autograd then keeps the one result instead of input and output (a third less activation memory per conv block).
static Napi::Value LeakyRelu_(const Napi::CallbackInfo& i) {
  at::Tensor t = Unwrap(i[0]);
  at::leaky_relu_(t, Num(i[1], "slope"));
  return Wrap(i.Env(), t);
}

static Napi::Value Clamp(const Napi::CallbackInfo& i) {
  c10::optional<at::Scalar> lo, hi;
  if (i[1].IsNumber()) lo = at::Scalar(Num(i[1], "min"));
  if (i[2].IsNumber()) hi = at::Scalar(Num(i[2], "max"));
  return Wrap(i.Env(), at::clamp(Unwrap(i[0]), lo, hi));
}

static Napi::Value Where(const Napi::CallbackInfo& i) {
  at::Tensor& c = Unwrap(i[0], "condition");
  at::Tensor a = i[1].IsNumber() ? TensorOrScalar(i[1], i[2].IsNumber() ? at::zeros({}) : Unwrap(i[2])) : Unwrap(i[1]);
  at::Tensor b = TensorOrScalar(i[2], a);
  return Wrap(i.Env(), at::where(c, a, b));
}

// ---- reductions: reduce(name, t, dims|null, keepdim) ------------------------------------
static Napi::Value Reduce(const Napi::CallbackInfo& i) {
  std::string name = Str(i[0], "op");
  at::Tensor& t = Unwrap(i[1]);
  bool all = i[2].IsNull() || i[2].IsUndefined();
  std::vector<int64_t> dims = all ? std::vector<int64_t>{} : Ints(i[2], "dims");
  bool keep = i.Length() > 3 && i[3].IsBoolean() && i[3].As<Napi::Boolean>().Value();
  at::Tensor r;
  if (name == "sum") r = all ? at::sum(t) : at::sum(t, dims, keep);
  else if (name == "mean") r = all ? at::mean(t) : at::mean(t, dims, keep);
  else if (name == "max") r = all ? at::max(t) : at::amax(t, dims, keep);
  else if (name == "min") r = all ? at::min(t) : at::amin(t, dims, keep);
  else if (name == "var" || name == "varBiased") {
    bool unbiased = name == "var";
    r = all ? at::var(t, unbiased) : at::var(t, dims, unbiased, keep);
  } else if (name == "median") {
    if (all) r = at::median(t);
    else {
      if (dims.size() != 1) throw std::invalid_argument("median takes one dim");
      r = std::get<0>(at::median(t, dims[0], keep));
    }
  } else if (name == "argmax") {
    if (all) r = at::argmax(t);
    else r = at::argmax(t, dims.at(0), keep);
  } else if (name == "any") r = all ? at::any(t) : at::any(t, dims.at(0), keep);
  else if (name == "all") r = all ? at::all(t) : at::all(t, dims.at(0), keep);
  else throw std::invalid_argument("Unknown reduction '" + name + "'");
  return Wrap(i.Env(), r);
}

static Napi::Value Cumsum(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::cumsum(Unwrap(i[0]), Int(i[1], "dim"))); }

// ---- shape ------------------------------------------------------------------------------
static Napi::Value Reshape(const Napi::CallbackInfo& i) { return Wrap(i.Env(), Unwrap(i[0]).reshape(Ints(i[1], "shape"))); }
static Napi::Value Permute(const Napi::CallbackInfo& i) { return Wrap(i.Env(), Unwrap(i[0]).permute(Ints(i[1], "dims"))); }
static Napi::Value Transpose(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), Unwrap(i[0]).transpose(Int(i[1], "dim0"), Int(i[2], "dim1")));
}
static Napi::Value Expand(const Napi::CallbackInfo& i) { return Wrap(i.Env(), Unwrap(i[0]).expand(Ints(i[1], "shape"))); }
static Napi::Value Repeat(const Napi::CallbackInfo& i) { return Wrap(i.Env(), Unwrap(i[0]).repeat(Ints(i[1], "repeats"))); }
static Napi::Value Squeeze(const Napi::CallbackInfo& i) {
  at::Tensor& t = Unwrap(i[0]);
  return Wrap(i.Env(), i[1].IsNumber() ? t.squeeze(Int(i[1], "dim")) : t.squeeze());
}
static Napi::Value Unsqueeze(const Napi::CallbackInfo& i) { return Wrap(i.Env(), Unwrap(i[0]).unsqueeze(Int(i[1], "dim"))); }
static Napi::Value Cat(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::cat(Tensors(i[0]), Int(i[1], "dim"))); }
static Napi::Value Stack(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::stack(Tensors(i[0]), Int(i[1], "dim"))); }
static Napi::Value Narrow(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), Unwrap(i[0]).narrow(Int(i[1], "dim"), Int(i[2], "start"), Int(i[3], "length")));
}
static Napi::Value Slice(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), Unwrap(i[0]).slice(Int(i[1], "dim"), Int(i[2], "start"), Int(i[3], "end"), Int(i[4], "step")));
}
static Napi::Value IndexSelect(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), at::index_select(Unwrap(i[0]), Int(i[1], "dim"), Unwrap(i[2], "index")));
}
static Napi::Value Flip(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::flip(Unwrap(i[0]), Ints(i[1], "dims"))); }
static Napi::Value Rot90(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), at::rot90(Unwrap(i[0]), Int(i[1], "k"), Ints(i[2], "dims")));
}

void InitOps(Napi::Env env, Napi::Object exports) {
  DD_EXPORT(exports, "unary", UnaryOp);
  DD_EXPORT(exports, "binary", BinaryOp);
  DD_EXPORT(exports, "leakyRelu", LeakyRelu);
  DD_EXPORT(exports, "leakyRelu_", LeakyRelu_);
  DD_EXPORT(exports, "clamp", Clamp);
  DD_EXPORT(exports, "where", Where);
  DD_EXPORT(exports, "reduce", Reduce);
  DD_EXPORT(exports, "cumsum", Cumsum);
  DD_EXPORT(exports, "reshape", Reshape);
  DD_EXPORT(exports, "permute", Permute);
  DD_EXPORT(exports, "transpose", Transpose);
  DD_EXPORT(exports, "expand", Expand);
  DD_EXPORT(exports, "repeat", Repeat);
  DD_EXPORT(exports, "squeeze", Squeeze);
  DD_EXPORT(exports, "unsqueeze", Unsqueeze);
  DD_EXPORT(exports, "cat", Cat);
  DD_EXPORT(exports, "stack", Stack);
  DD_EXPORT(exports, "narrow", Narrow);
  DD_EXPORT(exports, "slice", Slice);
  DD_EXPORT(exports, "indexSelect", IndexSelect);
  DD_EXPORT(exports, "flip", Flip);
  DD_EXPORT(exports, "rot90", Rot90);
}

}  // namespace dd
