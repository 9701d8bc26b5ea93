// Neural-network ops: convolution, padding, batch norm, pooling, resampling.
#include "common.h"

namespace dd {

// conv2d(x, weight, bias|null, stride[2], padding[2], dilation[2], groups)
static Napi::Value Conv2d(const Napi::CallbackInfo& i) {
  auto bias = UnwrapOptional(i[2]);
  return Wrap(i.Env(), at::conv2d(Unwrap(i[0], "input"), Unwrap(i[1], "weight"), bias ? *bias : at::Tensor(),
                                  Ints(i[3], "stride"), Ints(i[4], "padding"), Ints(i[5], "dilation"), Int(i[6], "groups")));
}

// pad(x, [left, right, top, bottom], mode, value)
static Napi::Value Pad(const Napi::CallbackInfo& i) {
  at::Tensor& x = Unwrap(i[0]);
  auto p = Ints(i[1], "padding");
  std::string mode = Str(i[2], "mode");
  if (mode == "reflect") return Wrap(i.Env(), at::reflection_pad2d(x, p));
  if (mode == "replicate") return Wrap(i.Env(), at::replication_pad2d(x, p));
  if (mode == "constant") return Wrap(i.Env(), at::constant_pad_nd(x, p, i[3].IsNumber() ? Num(i[3], "value") : 0.0));
  throw std::invalid_argument("Unknown pad mode '" + mode + "': use reflect, replicate or constant");
}

// batchNorm(x, weight|null, bias|null, runningMean|null, runningVar|null, training, momentum, eps)
static Napi::Value BatchNorm(const Napi::CallbackInfo& i) {
  auto w = UnwrapOptional(i[1]), b = UnwrapOptional(i[2]), rm = UnwrapOptional(i[3]), rv = UnwrapOptional(i[4]);
  return Wrap(i.Env(), at::batch_norm(Unwrap(i[0]), w ? *w : at::Tensor(), b ? *b : at::Tensor(), rm ? *rm : at::Tensor(),
                                      rv ? *rv : at::Tensor(), Bool(i[5], "training"), Num(i[6], "momentum"),
                                      Num(i[7], "eps"), true));
}

// avgPool2d(x, kernel[2], stride[2], padding[2], countIncludePad)
static Napi::Value AvgPool2d(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), at::avg_pool2d(Unwrap(i[0]), Ints(i[1], "kernel"), Ints(i[2], "stride"), Ints(i[3], "padding"),
                                      false, Bool(i[4], "countIncludePad")));
}

// maxPool2d(x, kernel[2], stride[2], padding[2])
static Napi::Value MaxPool2d(const Napi::CallbackInfo& i) {
  return Wrap(i.Env(), at::max_pool2d(Unwrap(i[0]), Ints(i[1], "kernel"), Ints(i[2], "stride"), Ints(i[3], "padding")));
}

// interpolate(x, [h, w], mode, alignCorners)
static Napi::Value Interpolate(const Napi::CallbackInfo& i) {
  at::Tensor& x = Unwrap(i[0]);
  auto size = Ints(i[1], "size");
  std::string mode = Str(i[2], "mode");
  if (size.size() != 2) throw std::invalid_argument("interpolate size must be [height, width]");
  if (mode == "bilinear") return Wrap(i.Env(), at::upsample_bilinear2d(x, size, Bool(i[3], "alignCorners")));
  if (mode == "nearest") return Wrap(i.Env(), at::upsample_nearest2d(x, size));
  throw std::invalid_argument("Unknown interpolation mode '" + mode + "': use bilinear or nearest");
}

void InitNN(Napi::Env env, Napi::Object exports) {
  DD_EXPORT(exports, "conv2d", Conv2d);
  DD_EXPORT(exports, "pad", Pad);
  DD_EXPORT(exports, "batchNorm", BatchNorm);
  DD_EXPORT(exports, "avgPool2d", AvgPool2d);
  DD_EXPORT(exports, "maxPool2d", MaxPool2d);
  DD_EXPORT(exports, "interpolate", Interpolate);
}

}  // namespace dd
