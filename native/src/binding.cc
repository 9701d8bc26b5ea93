// Module entry: registers each group of bindings.
#include "common.h"

namespace dd {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitRuntime(env, exports);  // first: allocator and thread settings before any tensor exists
  InitTensor(env, exports);
  InitOps(env, exports);
  InitNN(env, exports);
  InitOptim(env, exports);
  return exports;
}

}  // namespace dd

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return dd::Init(env, exports); }
NODE_API_MODULE(double_dip, InitAll)
