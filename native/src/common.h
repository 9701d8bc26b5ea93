// Shared helpers of the op layer: the tensor handle class, argument readers, and the
// guard that turns every libtorch/C++ exception into a JavaScript Error.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <optional>
#include <string>
#include <vector>

namespace dd {

// A tensor handle is a JS BigInt naming a slot of a native table (generation << 32 | index);
// the slot owns one at::Tensor. free() releases the tensor and the slot at once, so nothing
// native outlives dispose() waiting for the GC (ObjectWrap handles did: their small heap
// objects, freed only by deferred finalizers, sat between tensor buffers and made glibc's heap
// grow ~45 MB per DIP step in synchronous loops). A freed slot's generation changes, so a stale
// handle is reported as used after free. Tensors the JS side never disposes are freed by a
// FinalizationRegistry there. CPU storage bytes are reported to V8 (see setReportExternalMemory).
Napi::Value Wrap(Napi::Env env, at::Tensor t);
at::Tensor& Unwrap(const Napi::Value& v, const char* what = "tensor");
std::optional<at::Tensor> UnwrapOptional(const Napi::Value& v);

std::vector<int64_t> Ints(const Napi::Value& v, const char* what);
std::vector<at::Tensor> Tensors(const Napi::Value& v);
int64_t Int(const Napi::Value& v, const char* what);
double Num(const Napi::Value& v, const char* what);
bool Bool(const Napi::Value& v, const char* what);
std::string Str(const Napi::Value& v, const char* what);
at::ScalarType DType(const std::string& name);
std::string DTypeName(at::ScalarType t);
at::Device ParseDevice(const std::string& name);
// A tensor or a JS number (made a 0-dim tensor that takes part in broadcasting like a scalar).
at::Tensor TensorOrScalar(const Napi::Value& v, const at::Tensor& like);

// Runs a binding body; converts c10::Error / std::exception to a JS Error with libtorch's message.
std::string CleanMessage(const std::string& msg);
template <typename F>
Napi::Value Guarded(const Napi::CallbackInfo& info, F f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), CleanMessage(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), CleanMessage(e.what()));
  }
}
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guard(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] { return F(info); });
}

using Binding = Napi::Value (*)(const Napi::CallbackInfo&);
#define DD_EXPORT(exports, name, fn) \
  (exports).Set(name, Napi::Function::New((exports).Env(), ::dd::Guard<fn>, name))

void InitTensor(Napi::Env env, Napi::Object exports);
void InitOps(Napi::Env env, Napi::Object exports);
void InitNN(Napi::Env env, Napi::Object exports);
void InitOptim(Napi::Env env, Napi::Object exports);
void InitRuntime(Napi::Env env, Napi::Object exports);

}  // namespace dd
