// Optimizers: libtorch's own Adam and SGD (parameter groups, settable learning rate).
#include "common.h"
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

namespace dd {

class OptimizerHandle : public Napi::ObjectWrap<OptimizerHandle> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "OptimizerHandle",
                       {InstanceMethod<&OptimizerHandle::Step>("step"), InstanceMethod<&OptimizerHandle::ZeroGrad>("zeroGrad"),
                        InstanceMethod<&OptimizerHandle::SetLr>("setLr"), InstanceMethod<&OptimizerHandle::GetLr>("getLr")});
  }

  // new OptimizerHandle(kind, groups: [{params: Tensor[], lr, ...}], defaults)
  explicit OptimizerHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OptimizerHandle>(info) {
    try {
      kind = Str(info[0], "kind");
      Napi::Array groups = info[1].As<Napi::Array>();
      Napi::Object d = info[2].As<Napi::Object>();
      std::vector<torch::optim::OptimizerParamGroup> pg;
      for (uint32_t k = 0; k < groups.Length(); k++) {
        Napi::Object g = groups.Get(k).As<Napi::Object>();
        auto opt = [&](const char* key) { return g.Has(key) && g.Get(key).IsNumber() ? g.Get(key) : d.Get(key); };
        std::vector<at::Tensor> params = Tensors(g.Get("params"));
        if (kind == "adam") {
          auto o = std::make_unique<torch::optim::AdamOptions>(Num(opt("lr"), "lr"));
          o->betas(std::make_tuple(Num(opt("beta1"), "beta1"), Num(opt("beta2"), "beta2")))
              .eps(Num(opt("eps"), "eps")).weight_decay(Num(opt("weightDecay"), "weightDecay"));
          pg.emplace_back(std::move(params), std::move(o));
        } else {
          auto o = std::make_unique<torch::optim::SGDOptions>(Num(opt("lr"), "lr"));
          o->momentum(Num(opt("momentum"), "momentum")).weight_decay(Num(opt("weightDecay"), "weightDecay"));
          pg.emplace_back(std::move(params), std::move(o));
        }
      }
      double lr = Num(d.Get("lr"), "lr");
      if (kind == "adam") optimizer = std::make_unique<torch::optim::Adam>(std::move(pg), torch::optim::AdamOptions(lr));
      else if (kind == "sgd") optimizer = std::make_unique<torch::optim::SGD>(std::move(pg), torch::optim::SGDOptions(lr));
      else throw std::invalid_argument("Unknown optimizer '" + kind + "'");
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), CleanMessage(e.what()));
    }
  }

 private:
  Napi::Value Step(const Napi::CallbackInfo& info) {
    return dd::Guarded(info, [&] { optimizer->step(); return info.Env().Undefined(); });
  }
  Napi::Value ZeroGrad(const Napi::CallbackInfo& info) {
    return dd::Guarded(info, [&] {
      // Set grads to undefined (as set_to_none=True): the next backward writes them fresh.
      for (auto& g : optimizer->param_groups())
        for (auto& p : g.params())
          if (p.grad().defined()) p.mutable_grad().reset();
      return info.Env().Undefined();
    });
  }
  // setLr(lr, groupIndex?)
  Napi::Value SetLr(const Napi::CallbackInfo& info) {
    return dd::Guarded(info, [&] {
      double lr = Num(info[0], "lr");
      auto& groups = optimizer->param_groups();
      for (size_t k = 0; k < groups.size(); k++) {
        if (info.Length() > 1 && info[1].IsNumber() && Int(info[1], "group") != static_cast<int64_t>(k)) continue;
        if (kind == "adam") static_cast<torch::optim::AdamOptions&>(groups[k].options()).lr(lr);
        else static_cast<torch::optim::SGDOptions&>(groups[k].options()).lr(lr);
      }
      return info.Env().Undefined();
    });
  }
  Napi::Value GetLr(const Napi::CallbackInfo& info) {
    return dd::Guarded(info, [&]() -> Napi::Value {
      auto& g = optimizer->param_groups().at(info.Length() > 0 && info[0].IsNumber() ? Int(info[0], "group") : 0);
      double lr = kind == "adam" ? static_cast<torch::optim::AdamOptions&>(g.options()).lr()
                                 : static_cast<torch::optim::SGDOptions&>(g.options()).lr();
      return Napi::Number::New(info.Env(), lr);
    });
  }

  std::string kind;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
};

void InitOptim(Napi::Env env, Napi::Object exports) { exports.Set("OptimizerHandle", OptimizerHandle::Init(env)); }

}  // namespace dd
