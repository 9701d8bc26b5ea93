// The tensor handle, argument readers, creation, data transfer and autograd bindings.
#include "common.h"
#include <ATen/core/grad_mode.h>
#include <torch/cuda.h>
#include <cstring>
#include <deque>

namespace dd {

namespace {
struct Slot {
  at::Tensor tensor;
  uint32_t generation = 1;
  int64_t reported = 0;
};
std::deque<Slot> slots;  // a deque: references stay valid while new slots are added
std::vector<uint32_t> freeSlots;
constexpr uint32_t kMaxGeneration = 1u << 20;  // handles stay below 2^52

// Whether new handles report their bytes to V8. The JS side turns it off while a tidy() scope is
// open: those tensors are freed explicitly, and reporting them only made V8 run a full GC every
// 64 MB of activations (6 mark-compacts per DIP step at 256 px). Tensors made outside any scope,
// which only the FinalizationRegistry may free, still report, so V8 collects them under pressure.
bool reportExternal = true;

// The slot a handle names, or nullptr when it is not a live handle (freed, or not a handle).
Slot* Find(const Napi::Value& v, bool* stale = nullptr, uint32_t* indexOut = nullptr) {
  if (!v.IsBigInt()) return nullptr;
  bool lossless = false;
  uint64_t id = v.As<Napi::BigInt>().Uint64Value(&lossless);
  uint32_t index = static_cast<uint32_t>(id & 0xffffffffu), generation = static_cast<uint32_t>(id >> 32);
  if (!lossless || generation == 0 || index >= slots.size()) return nullptr;
  Slot& s = slots[index];
  if (s.generation != generation || !s.tensor.defined()) {
    if (stale) *stale = true;
    return nullptr;
  }
  if (indexOut) *indexOut = index;
  return &s;
}
}  // namespace

Napi::Value Wrap(Napi::Env env, at::Tensor t) {
  uint32_t index;
  if (!freeSlots.empty()) {
    index = freeSlots.back();
    freeSlots.pop_back();
  } else {
    index = static_cast<uint32_t>(slots.size());
    slots.emplace_back();
  }
  Slot& s = slots[index];
  // Report storage bytes only for tensors on the CPU heap; views report their own size.
  s.reported = reportExternal && t.defined() && t.is_cpu() ? static_cast<int64_t>(t.numel() * t.element_size()) : 0;
  if (s.reported) Napi::MemoryManagement::AdjustExternalMemory(env, s.reported);
  s.tensor = std::move(t);
  return Napi::BigInt::New(env, (static_cast<uint64_t>(s.generation) << 32) | index);
}

at::Tensor& Unwrap(const Napi::Value& v, const char* what) {
  if (!v.IsBigInt()) throw Napi::TypeError::New(v.Env(), std::string("Expected a tensor for ") + what);
  bool stale = false;
  Slot* s = Find(v, &stale);
  if (!s)
    throw Napi::Error::New(v.Env(), std::string(stale ? "Tensor used after it was freed (" : "Not a live tensor handle (") + what +
                                        "): keep it out of the tidy() scope that disposed it, or call keep()");
  return s->tensor;
}

std::optional<at::Tensor> UnwrapOptional(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return Unwrap(v);
}

std::vector<int64_t> Ints(const Napi::Value& v, const char* what) {
  if (v.IsNumber()) return {v.As<Napi::Number>().Int64Value()};
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string("Expected an array of integers for ") + what);
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = Int(a.Get(i), what);
  return out;
}

std::vector<at::Tensor> Tensors(const Napi::Value& v) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "Expected an array of tensors");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(Unwrap(a.Get(i)));
  return out;
}

int64_t Int(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string("Expected an integer for ") + what);
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)))
    throw Napi::TypeError::New(v.Env(), std::string("Expected an integer for ") + what + ", got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double Num(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string("Expected a number for ") + what);
  return v.As<Napi::Number>().DoubleValue();
}

bool Bool(const Napi::Value& v, const char* what) {
  if (!v.IsBoolean()) throw Napi::TypeError::New(v.Env(), std::string("Expected a boolean for ") + what);
  return v.As<Napi::Boolean>().Value();
}

std::string Str(const Napi::Value& v, const char* what) {
  if (!v.IsString()) throw Napi::TypeError::New(v.Env(), std::string("Expected a string for ") + what);
  return v.As<Napi::String>().Utf8Value();
}

at::ScalarType DType(const std::string& n) {
  if (n == "float32") return at::kFloat;
  if (n == "float64") return at::kDouble;
  if (n == "int32") return at::kInt;
  if (n == "int64") return at::kLong;
  if (n == "bool") return at::kBool;
  if (n == "uint8") return at::kByte;
  throw std::invalid_argument("Unknown dtype '" + n + "': use float32, float64, int32, int64, bool or uint8");
}

std::string DTypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kInt: return "int32";
    case at::kLong: return "int64";
    case at::kBool: return "bool";
    case at::kByte: return "uint8";
    default: return c10::toString(t);
  }
}

at::Device ParseDevice(const std::string& name) {
  at::Device d(name);  // throws c10::Error on a malformed name
  if (d.is_cuda()) {
    if (!torch::cuda::is_available())
      throw std::runtime_error("Device '" + name + "' requested, but this libtorch has no usable CUDA device. "
                               "Use --device cpu, or rebuild against a CUDA libtorch: LIBTORCH=/path/to/libtorch npm run build:native");
    if (d.has_index() && d.index() >= static_cast<int>(torch::cuda::device_count()))
      throw std::runtime_error("Device '" + name + "' does not exist: " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
  } else if (!d.is_cpu()) {
    throw std::runtime_error("Unsupported device '" + name + "': use cpu or cuda[:N]");
  }
  return d;
}

at::Tensor TensorOrScalar(const Napi::Value& v, const at::Tensor& like) {
  if (v.IsNumber()) return at::scalar_tensor(v.As<Napi::Number>().DoubleValue(), like.options().requires_grad(false));
  if (v.IsBoolean()) return at::scalar_tensor(v.As<Napi::Boolean>().Value(), like.options().dtype(at::kBool).requires_grad(false));
  return Unwrap(v);
}

std::string CleanMessage(const std::string& msg) {
  // libtorch messages may end with "Exception raised from ..." lines; keep the first part.
  auto cut = msg.find("\nException raised from");
  std::string m = cut == std::string::npos ? msg : msg.substr(0, cut);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

static at::TensorOptions Options(const Napi::CallbackInfo& info, size_t dtypeAt, size_t deviceAt) {
  at::TensorOptions o = at::TensorOptions().dtype(at::kFloat);
  if (info.Length() > dtypeAt && info[dtypeAt].IsString()) o = o.dtype(DType(Str(info[dtypeAt], "dtype")));
  if (info.Length() > deviceAt && info[deviceAt].IsString()) o = o.device(ParseDevice(Str(info[deviceAt], "device")));
  return o;
}

// ---- creation --------------------------------------------------------------------------
static Napi::Value Zeros(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::zeros(Ints(i[0], "shape"), Options(i, 1, 2))); }
static Napi::Value Ones(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::ones(Ints(i[0], "shape"), Options(i, 1, 2))); }
static Napi::Value Full(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), at::full(Ints(i[0], "shape"), Num(i[1], "value"), Options(i, 2, 3)));
}
static Napi::Value Rand(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::rand(Ints(i[0], "shape"), Options(i, 1, 2))); }
static Napi::Value Randn(const Napi::CallbackInfo& i) { return Wrap(i.Env(), at::randn(Ints(i[0], "shape"), Options(i, 1, 2))); }
static Napi::Value Uniform(const Napi::CallbackInfo& i) {
  at::Tensor t = at::empty(Ints(i[0], "shape"), Options(i, 3, 4));
  t.uniform_(Num(i[1], "low"), Num(i[2], "high"));
  return Wrap(i.Env(), t);
}
static Napi::Value Arange(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), at::arange(Num(i[0], "start"), Num(i[1], "end"), Num(i[2], "step"), Options(i, 3, 4)));
}
static Napi::Value Linspace(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), at::linspace(Num(i[0], "start"), Num(i[1], "end"), Int(i[2], "steps"), Options(i, 3, 4)));
}
static Napi::Value Meshgrid(const Napi::CallbackInfo& i) {
  auto out = at::meshgrid(Tensors(i[0]), Str(i[1], "indexing"));
  Napi::Array a = Napi::Array::New(i.Env(), out.size());
  for (size_t k = 0; k < out.size(); k++) a.Set(k, Wrap(i.Env(), out[k]));
  return a;
}

// fromData(typedArray, shape, dtype, device): copies host data into a new tensor.
static Napi::Value FromData(const Napi::CallbackInfo& i) {
  if (!i[0].IsTypedArray()) throw Napi::TypeError::New(i.Env(), "Expected a typed array of data");
  Napi::TypedArray ta = i[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = Ints(i[1], "shape");
  at::ScalarType st;
  switch (ta.TypedArrayType()) {
    case napi_float32_array: st = at::kFloat; break;
    case napi_float64_array: st = at::kDouble; break;
    case napi_int32_array: st = at::kInt; break;
    case napi_bigint64_array: st = at::kLong; break;
    case napi_uint8_array: st = at::kByte; break;
    default: throw Napi::TypeError::New(i.Env(), "Unsupported typed array: use Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array");
  }
  int64_t n = 1;
  for (auto s : shape) n *= s;
  if (n != static_cast<int64_t>(ta.ElementLength()))
    throw Napi::RangeError::New(i.Env(), "Data length " + std::to_string(ta.ElementLength()) + " does not match shape (" + std::to_string(n) + " elements)");
  uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
  if (n) std::memcpy(t.data_ptr(), base, ta.ByteLength());
  if (i.Length() > 2 && i[2].IsString()) {
    at::ScalarType want = DType(Str(i[2], "dtype"));
    if (want != st) t = t.to(want);
  }
  if (i.Length() > 3 && i[3].IsString()) t = t.to(ParseDevice(Str(i[3], "device")));
  return Wrap(i.Env(), t);
}

// ---- inspection and transfer -----------------------------------------------------------
static Napi::Value Shape(const Napi::CallbackInfo& i) {
  auto s = Unwrap(i[0]).sizes();
  Napi::Array a = Napi::Array::New(i.Env(), s.size());
  for (size_t k = 0; k < s.size(); k++) a.Set(k, Napi::Number::New(i.Env(), static_cast<double>(s[k])));
  return a;
}
static Napi::Value Dtype(const Napi::CallbackInfo& i) { return Napi::String::New(i.Env(), DTypeName(Unwrap(i[0]).scalar_type())); }
static Napi::Value DeviceOf(const Napi::CallbackInfo& i) { return Napi::String::New(i.Env(), Unwrap(i[0]).device().str()); }

static Napi::Value Data(const Napi::CallbackInfo& i) {
  at::Tensor t = Unwrap(i[0]).detach().to(at::kCPU).contiguous();
  Napi::Env env = i.Env();
  size_t n = static_cast<size_t>(t.numel());
  auto copy = [&](auto arr) {
    if (n) std::memcpy(arr.Data(), t.data_ptr(), n * t.element_size());
    return arr;
  };
  switch (t.scalar_type()) {
    case at::kFloat: return copy(Napi::Float32Array::New(env, n));
    case at::kDouble: return copy(Napi::Float64Array::New(env, n));
    case at::kInt: return copy(Napi::Int32Array::New(env, n));
    case at::kLong: return copy(Napi::TypedArrayOf<int64_t>::New(env, n, napi_bigint64_array));
    case at::kBool:
    case at::kByte: return copy(Napi::Uint8Array::New(env, n));
    default: {
      at::Tensor f = t.to(at::kFloat);
      auto arr = Napi::Float32Array::New(env, n);
      if (n) std::memcpy(arr.Data(), f.data_ptr(), n * 4);
      return arr;
    }
  }
}
static Napi::Value Item(const Napi::CallbackInfo& i) {
  at::Tensor& t = Unwrap(i[0]);
  if (t.numel() != 1) throw std::runtime_error("item() needs a tensor with one element, got " + std::to_string(t.numel()));
  return Napi::Number::New(i.Env(), t.item().toDouble());
}
static Napi::Value To(const Napi::CallbackInfo& i) {
  at::Tensor& t = Unwrap(i[0]);
  at::Tensor r = t;
  if (i[1].IsString()) r = r.to(ParseDevice(Str(i[1], "device")));
  if (i.Length() > 2 && i[2].IsString()) r = r.to(DType(Str(i[2], "dtype")));
  return Wrap(i.Env(), r);
}
// free(handle): releases the tensor now. Freeing a freed (stale) handle does nothing.
static Napi::Value Free(const Napi::CallbackInfo& i) {
  uint32_t index = 0;
  if (Slot* s = Find(i[0], nullptr, &index)) {
    if (s->reported) Napi::MemoryManagement::AdjustExternalMemory(i.Env(), -s->reported);
    s->reported = 0;
    s->tensor = at::Tensor();
    s->generation = s->generation + 1 < kMaxGeneration ? s->generation + 1 : 1;
    freeSlots.push_back(index);
  }
  return i.Env().Undefined();
}
static Napi::Value IsFreed(const Napi::CallbackInfo& i) { return Napi::Boolean::New(i.Env(), Find(i[0]) == nullptr); }
// liveTensors(): how many handles own a tensor (for leak checks).
static Napi::Value LiveTensors(const Napi::CallbackInfo& i) {
  return Napi::Number::New(i.Env(), static_cast<double>(slots.size() - freeSlots.size()));
}

// ---- autograd --------------------------------------------------------------------------
static Napi::Value RequiresGrad(const Napi::CallbackInfo& i) { return Napi::Boolean::New(i.Env(), Unwrap(i[0]).requires_grad()); }
static Napi::Value SetRequiresGrad(const Napi::CallbackInfo& i) {
  Unwrap(i[0]).requires_grad_(Bool(i[1], "requiresGrad"));
  return i.Env().Undefined();
}
static Napi::Value Grad(const Napi::CallbackInfo& i) {
  const at::Tensor& g = Unwrap(i[0]).grad();
  if (!g.defined()) return i.Env().Undefined();
  return Wrap(i.Env(), g);
}
static Napi::Value Backward(const Napi::CallbackInfo& i) {
  at::Tensor& t = Unwrap(i[0]);
  auto g = UnwrapOptional(i.Length() > 1 ? i[1] : i.Env().Undefined());
  if (!t.requires_grad())
    throw std::runtime_error("backward() on a tensor that does not require grad: no parameter with requiresGrad took part in computing it (or it was computed under noGrad)");
  if (g) t.backward(*g); else t.backward();
  return i.Env().Undefined();
}
static Napi::Value ZeroGrad(const Napi::CallbackInfo& i) {
  at::Tensor& t = Unwrap(i[0]);
  if (t.grad().defined()) t.mutable_grad().reset();
  return i.Env().Undefined();
}
static Napi::Value Detach(const Napi::CallbackInfo& i) { return Wrap(i.Env(), Unwrap(i[0]).detach()); }
static Napi::Value SetGradEnabled(const Napi::CallbackInfo& i) {
  at::GradMode::set_enabled(Bool(i[0], "enabled"));
  return i.Env().Undefined();
}
static Napi::Value IsGradEnabled(const Napi::CallbackInfo& i) { return Napi::Boolean::New(i.Env(), at::GradMode::is_enabled()); }

// copy_(dst, src) without recording history: used to set parameter values.
static Napi::Value CopyInto(const Napi::CallbackInfo& i) {
  at::NoGradGuard ng;
  Unwrap(i[0], "destination").copy_(Unwrap(i[1], "source"));
  return i.Env().Undefined();
}

static Napi::Value SetReportExternalMemory(const Napi::CallbackInfo& i) {
  reportExternal = Bool(i[0], "report");
  return i.Env().Undefined();
}

void InitTensor(Napi::Env env, Napi::Object exports) {
  DD_EXPORT(exports, "zeros", Zeros);
  DD_EXPORT(exports, "ones", Ones);
  DD_EXPORT(exports, "full", Full);
  DD_EXPORT(exports, "rand", Rand);
  DD_EXPORT(exports, "randn", Randn);
  DD_EXPORT(exports, "uniform", Uniform);
  DD_EXPORT(exports, "arange", Arange);
  DD_EXPORT(exports, "linspace", Linspace);
  DD_EXPORT(exports, "meshgrid", Meshgrid);
  DD_EXPORT(exports, "fromData", FromData);
  DD_EXPORT(exports, "shape", Shape);
  DD_EXPORT(exports, "dtype", Dtype);
  DD_EXPORT(exports, "device", DeviceOf);
  DD_EXPORT(exports, "data", Data);
  DD_EXPORT(exports, "item", Item);
  DD_EXPORT(exports, "to", To);
  DD_EXPORT(exports, "free", Free);
  DD_EXPORT(exports, "isFreed", IsFreed);
  DD_EXPORT(exports, "liveTensors", LiveTensors);
  DD_EXPORT(exports, "requiresGrad", RequiresGrad);
  DD_EXPORT(exports, "setRequiresGrad", SetRequiresGrad);
  DD_EXPORT(exports, "grad", Grad);
  DD_EXPORT(exports, "backward", Backward);
  DD_EXPORT(exports, "zeroGrad", ZeroGrad);
  DD_EXPORT(exports, "detach", Detach);
  DD_EXPORT(exports, "setGradEnabled", SetGradEnabled);
  DD_EXPORT(exports, "isGradEnabled", IsGradEnabled);
  DD_EXPORT(exports, "copyInto", CopyInto);
  DD_EXPORT(exports, "setReportExternalMemory", SetReportExternalMemory);
}

}  // namespace dd
