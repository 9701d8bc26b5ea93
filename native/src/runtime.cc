// Process-wide runtime settings: allocator, threads, seed, devices, version.
#include "common.h"
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <mutex>
#include <torch/cuda.h>
#include <torch/version.h>
#include <dlfcn.h>
#include <malloc.h>
#include <cstdlib>
#include <cstring>

namespace dd {

static std::string allocatorMode = "glibc";

// glibc malloc serves each large tensor by mmap and returns it with munmap, so every
// training step page-faults its activations in again (measured 3.7 s vs 0.57 s per heavy
// step). Unless a faster allocator is preloaded, keep freed memory in the heap instead:
// no mmap for large blocks, no trimming of the heap top.
static void ConfigureAllocator() {
  if (dlsym(RTLD_DEFAULT, "tc_malloc") != nullptr) { allocatorMode = "tcmalloc"; return; }
  if (dlsym(RTLD_DEFAULT, "mallctl") != nullptr) { allocatorMode = "jemalloc"; return; }
  const char* off = std::getenv("DOUBLE_DIP_GLIBC_MALLOC");
  if (off && std::strcmp(off, "default") == 0) { allocatorMode = "glibc-default"; return; }
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  allocatorMode = "glibc-tuned";
}

// OpenBLAS starts its own thread pool on top of torch's and oversubscribes the cores.
static void PinOpenBlas() {
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(1);
}

// libtorch 2.x tries NNPACK for convolutions without gradients and, where it cannot start (as on
// this project's machines), warns at every call: tens of thousands of lines a run. oneDNN
// serves them as in 1.13, whose Debian build has no NNPACK switch.
static void DisableNnpack() {
#if TORCH_VERSION_MAJOR >= 2
  at::globalContext().setUserEnabledNNPACK(false);
#endif
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& i) {
  int64_t n = Int(i[0], "threads");
  if (n < 1) throw std::invalid_argument("threads must be >= 1");
  at::set_num_threads(static_cast<int>(n));
  return i.Env().Undefined();
}
static Napi::Value GetNumThreads(const Napi::CallbackInfo& i) { return Napi::Number::New(i.Env(), at::get_num_threads()); }
static Napi::Value ManualSeed(const Napi::CallbackInfo& i) {
  double s = Num(i[0], "seed");
  if (s < 0 || s != static_cast<double>(static_cast<uint64_t>(s))) throw std::invalid_argument("seed must be a non-negative integer");
  at::manual_seed(static_cast<uint64_t>(s));
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(static_cast<uint64_t>(s));
  return i.Env().Undefined();
}
// The CPU generator's state, so a run can seed it and put the caller's sequence back afterwards.
static Napi::Value GetRngState(const Napi::CallbackInfo& i) {
  auto gen = at::detail::getDefaultCPUGenerator();
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state();
  }
  return Napi::Buffer<uint8_t>::Copy(i.Env(), state.data_ptr<uint8_t>(), static_cast<size_t>(state.numel()));
}
static Napi::Value SetRngState(const Napi::CallbackInfo& i) {
  if (!i[0].IsBuffer()) throw std::invalid_argument("rng state must be a Buffer from getRngState()");
  auto buf = i[0].As<Napi::Buffer<uint8_t>>();
  at::Tensor state = at::empty({static_cast<int64_t>(buf.Length())}, at::kByte);
  std::memcpy(state.data_ptr<uint8_t>(), buf.Data(), buf.Length());
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
  return i.Env().Undefined();
}
static Napi::Value CudaAvailable(const Napi::CallbackInfo& i) { return Napi::Boolean::New(i.Env(), torch::cuda::is_available()); }
static Napi::Value CudaDeviceCount(const Napi::CallbackInfo& i) {
  return Napi::Number::New(i.Env(), static_cast<double>(torch::cuda::device_count()));
}
static Napi::Value Info(const Napi::CallbackInfo& i) {
  Napi::Object o = Napi::Object::New(i.Env());
  o.Set("torchVersion", TORCH_VERSION);
  o.Set("allocator", allocatorMode);
  o.Set("threads", at::get_num_threads());
  o.Set("cuda", torch::cuda::is_available());
  o.Set("parallelInfo", at::get_parallel_info());
  return o;
}
static Napi::Value SetDeterministic(const Napi::CallbackInfo& i) {
  at::globalContext().setDeterministicAlgorithms(Bool(i[0], "deterministic"), true);
  return i.Env().Undefined();
}

void InitRuntime(Napi::Env env, Napi::Object exports) {
  ConfigureAllocator();
  PinOpenBlas();
  DisableNnpack();
  DD_EXPORT(exports, "setNumThreads", SetNumThreads);
  DD_EXPORT(exports, "getNumThreads", GetNumThreads);
  DD_EXPORT(exports, "manualSeed", ManualSeed);
  DD_EXPORT(exports, "getRngState", GetRngState);
  DD_EXPORT(exports, "setRngState", SetRngState);
  DD_EXPORT(exports, "cudaAvailable", CudaAvailable);
  DD_EXPORT(exports, "cudaDeviceCount", CudaDeviceCount);
  DD_EXPORT(exports, "info", Info);
  DD_EXPORT(exports, "setDeterministic", SetDeterministic);
}

}  // namespace dd
