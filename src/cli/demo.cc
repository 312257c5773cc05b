#include "cli/demo.h"

#include <cmath>
#include <random>

namespace sextant::cli {

namespace {

// A decaying loss: `start` at step `origin`, falling towards 0.3 at a rate
// set by the learning rate, with float32 noise.
double Loss(int64_t step, int64_t origin, double start, double lr) {
  return (start - 0.3) * std::exp(-lr * 2.0 * static_cast<double>(step - origin)) + 0.3;
}

model::SeriesWrite Curve(const std::string& path, int64_t from, int64_t to, int64_t t0,
                         int64_t origin, double start, double lr, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0, 0.02);
  model::SeriesWrite s;
  s.path = path;
  for (int64_t step = from; step < to; ++step) {
    s.steps.push_back(step * model::kStepScale);
    s.ts.push_back(t0 + step * 250'000);
    double v = Loss(step, origin, start, lr) + noise(rng);
    s.floats.push_back(static_cast<float>(v));  // as a framework logs it: float32
  }
  return s;
}

}  // namespace

Status SeedDemo(core::Tracker* tracker) {
  model::ProjectName project{"demo", "quickstart"};
  auto existing = tracker->GetRun(project, "baseline");
  if (existing.ok()) return Status::Ok();
  std::mt19937_64 rng(42);
  int64_t t0 = core::NowMicros() - 3'600'000'000LL;
  struct Spec {
    const char* id;
    double lr;
    int layers;
    const char* tag;
  };
  const Spec specs[] = {{"baseline", 3e-4, 12, "baseline"},
                        {"wide-lr", 1e-3, 12, "sweep"},
                        {"deep", 3e-4, 24, "sweep"}};
  for (const auto& spec : specs) {
    model::CreateRunOp op;
    op.run_id = spec.id;
    op.name = spec.id;
    op.experiment_name = "quickstart";
    ASSIGN_OR_RETURN(auto run, tracker->CreateRun(project, op));
    model::LogBatch b;
    b.configs.push_back({"config/lr", model::Value::Float(spec.lr)});
    b.configs.push_back({"config/layers", model::Value::Int(spec.layers)});
    b.configs.push_back({"config/optimizer", model::Value::String("adamw")});
    b.add_tags = {spec.tag};
    b.series.push_back(Curve("train/loss", 0, 2000, t0, 0, 2.3, spec.lr, rng));
    b.series.push_back(Curve("eval/loss", 0, 2000, t0, 0, 2.5, spec.lr * 0.9, rng));
    model::SeriesWrite text;
    text.path = "eval/sample";
    text.type = model::AttrType::kStringSeries;
    for (int k = 0; k < 4; ++k) {
      text.steps.push_back(int64_t(k) * 500 * model::kStepScale);
      text.ts.push_back(t0 + k * 500 * 250'000LL);
      text.bytes.push_back("step " + std::to_string(k * 500) + ": the model says hello");
    }
    b.series.push_back(std::move(text));
    b.state = model::RunState::kFinished;
    ASSIGN_OR_RETURN(auto out, tracker->Log(project, spec.id, std::move(b)));
    (void)out;
  }
  // A run resumed from the baseline's checkpoint at step 1000 with a lower LR.
  model::CreateRunOp fork;
  fork.run_id = "baseline-lowlr";
  fork.name = "baseline-lowlr";
  fork.fork_run_id = "baseline";
  fork.fork_step = 1000 * model::kStepScale;  // kFork below
  ASSIGN_OR_RETURN(auto forked, tracker->CreateRun(project, fork));
  (void)forked;
  model::LogBatch b;
  b.configs.push_back({"config/lr", model::Value::Float(1e-4)});
  // It goes on from where the baseline was at the fork (no jump), slower.
  constexpr int64_t kFork = 1000;
  b.series.push_back(Curve("train/loss", kFork + 1, 3000, t0, kFork, Loss(kFork, 0, 2.3, 3e-4), 1e-4, rng));
  b.state = model::RunState::kFinished;  // a finished demo: nothing turns stale
  ASSIGN_OR_RETURN(auto out, tracker->Log(project, "baseline-lowlr", std::move(b)));
  (void)out;
  return Status::Ok();
}

}  // namespace sextant::cli
