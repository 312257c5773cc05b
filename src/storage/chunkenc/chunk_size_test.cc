// Compression and decode-speed reports on realistic series. Sizes are
// asserted loosely (regressions), speeds only printed: timing asserts flake.
// Run the full speed table with --gtest_also_run_disabled_tests.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <utility>

#include "storage/chunkenc/chunk.h"

namespace sextant::chunkenc {
namespace {

struct Series {
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
};

enum class Values { kFloat32Loss, kFloat64Noise, kConstant };

// Steps 0..n-1 (x 1e6 micro-steps), timestamps ~100 ms apart with a few ms
// of jitter, and values as a training loop logs them.
Series TrainingCurve(size_t n, Values kind, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise32(0.0f, 1.0f);
  std::normal_distribution<double> noise64(0.0, 1.0);
  std::uniform_int_distribution<int64_t> jitter(-3000, 3000);
  Series s;
  int64_t t = 1'763'800'000'000'000;
  for (size_t i = 0; i < n; ++i) {
    s.steps.push_back(static_cast<int64_t>(i) * 1'000'000);
    t += 100'000 + jitter(rng);
    s.ts.push_back(t);
    double v = 0;
    switch (kind) {
      case Values::kFloat32Loss: {
        // A noisy decaying loss, computed in float32 as PyTorch does, then
        // widened to double by .item().
        float step = static_cast<float>(i);
        float loss = 2.3f * std::exp(-step / 20000.0f) + 0.4f;
        v = static_cast<double>(loss * (1.0f + 0.05f * noise32(rng)));
        break;
      }
      case Values::kFloat64Noise: v = noise64(rng); break;
      case Values::kConstant: v = 0.001; break;
    }
    s.values.push_back(v);
  }
  return s;
}

struct Measured {
  double data_bpp, index_bpp, mpts_per_s, encode_mpts_per_s;
};

Measured Measure(const Series& s, int repeats) {
  double best_encode = 1e9;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto enc = EncodeFloatChunk(s.steps, s.ts, s.values);
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_TRUE(enc.ok());
    best_encode = std::min(best_encode, std::chrono::duration<double>(t1 - t0).count());
  }
  EncodedChunk c = EncodeFloatChunk(s.steps, s.ts, s.values).value();
  ChunkIndex idx = ChunkIndex::Parse(c.index).value();
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
  steps.reserve(s.steps.size());
  ts.reserve(s.steps.size());
  values.reserve(s.steps.size());
  double best = 1e9;
  for (int r = 0; r < repeats; ++r) {
    steps.clear();
    ts.clear();
    values.clear();
    auto t0 = std::chrono::steady_clock::now();
    Status st = idx.DecodeAllFloat(c.data, &steps, &ts, &values);
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_TRUE(st.ok());
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  EXPECT_EQ(values.size(), s.values.size());
  double n = static_cast<double>(s.steps.size());
  return {c.data.size() / n, c.index.size() / n, n / best / 1e6, n / best_encode / 1e6};
}

void Report(const char* name, const Measured& m) {
  std::printf("%-34s data %.3f + index %.3f = %.3f bytes/point, decode %.0f, encode %.0f M points/s\n",
              name, m.data_bpp, m.index_bpp, m.data_bpp + m.index_bpp, m.mpts_per_s,
              m.encode_mpts_per_s);
}

TEST(ChunkSizeTest, TrainingCurveBytesPerPoint) {
  const size_t n = 100'000;
  Measured loss = Measure(TrainingCurve(n, Values::kFloat32Loss, 1), 3);
  Measured noise = Measure(TrainingCurve(n, Values::kFloat64Noise, 1), 3);
  Measured flat = Measure(TrainingCurve(n, Values::kConstant, 1), 3);
  Report("float32 loss, jittered timestamps", loss);
  Report("float64 noise, jittered timestamps", noise);
  Report("constant value, jittered timestamps", flat);
  // Regression bounds, ~5% above what the codec achieved when written.
  // Timestamps with +-3 ms of jitter carry ~12.5 bits of entropy per point
  // and a 5%-noise float32 value ~21, so ~4.2 bytes/point is the floor for
  // the first series whatever the codec.
  EXPECT_LT(loss.data_bpp + loss.index_bpp, 5.3);  // 5.8 before float32 packing
  EXPECT_LT(noise.data_bpp + noise.index_bpp, 11.0);
  EXPECT_LT(flat.data_bpp + flat.index_bpp, 2.45);
}

// The curves a training run logs besides its loss, 100,000 points each with
// steps 0..N-1 and timestamps 100 ms ± 3 ms apart, and what each costs.
// Sizes are asserted loosely (regressions, ~10 % above what they were), and
// again with the timestamps at millisecond resolution (the server's default).
// XOR alone gave accuracies 8.63 bytes/point and GPU utilization 3.21;
// decimal packing 3.12 and 2.75, and the counter 3.36 -> 2.29 delta-coded.
TEST(ChunkSizeTest, CurveMixBytesPerPoint) {
  const size_t n = 100'000;
  Series base = TrainingCurve(n, Values::kConstant, 5);
  std::mt19937_64 rng(5);
  struct Curve {
    const char* name;
    double bound;
    std::vector<double> values;
  };
  std::vector<Curve> curves;
  auto add = [&](const char* name, double bound, auto value) {
    Curve c{name, bound, {}};
    for (size_t i = 0; i < n; ++i) c.values.push_back(value(i));
    curves.push_back(std::move(c));
  };
  std::normal_distribution<float> noise(0.0f, 1.0f);
  add("float32 loss (5 % noise)", 5.6, [&](size_t i) {
    float loss = 2.3f * std::exp(-static_cast<float>(i) / 20000.0f) + 0.4f;
    return static_cast<double>(loss * (1.0f + 0.05f * noise(rng)));
  });
  add("step-wise learning rate (float64)", 2.6, [](size_t i) { return 3e-4 * std::pow(0.1, i / 30000); });
  add("cosine learning rate (float64)", 9.0,
      [&](size_t i) { return 1.5e-4 * (1 + std::cos(3.14159265358979 * i / n)); });
  add("tokens seen (counter)", 2.5, [](size_t i) { return static_cast<double>(i) * 4096.0; });
  add("accuracy k/1000 (float64)", 3.45, [&](size_t) { return static_cast<double>(700 + rng() % 50) / 1000.0; });
  add("GPU utilization (integer %)", 3.05, [&](size_t) { return static_cast<double>(90 + rng() % 10); });
  // The same timestamps floored to the millisecond, as the server keeps them
  // by default (model::Limits::timestamp_resolution_us).
  Series base_ms = base;
  for (int64_t& t : base_ms.ts) t -= t % 1000;
  for (const Curve& c : curves) {
    Series s = base;
    s.values = c.values;
    Measured m = Measure(s, 1);
    Report(c.name, m);
    EXPECT_LT(m.data_bpp + m.index_bpp, c.bound) << c.name;
    s.ts = base_ms.ts;
    Measured ms = Measure(s, 1);
    Report("  the same, ms timestamps", ms);
    // ±3 ms of jitter is ~12.5 bits at µs and ~2.6 at ms: ~1.2 bytes less.
    EXPECT_LT(ms.data_bpp + ms.index_bpp, c.bound - 1.0) << c.name << " (ms)";
  }
}

TEST(ChunkSizeTest, DISABLED_DecodeSpeed) {
  const size_t n = 1'000'000;
  Series steady = TrainingCurve(n, Values::kFloat32Loss, 2);
  for (size_t i = 0; i < n; ++i) steady.ts[i] = 1'763'800'000'000'000 + i * 100'000;
  Report("steady steps+ts, float32 loss", Measure(steady, 20));
  for (auto [name, kind] : {std::pair{"steady steps, jittered ts, loss", Values::kFloat32Loss},
                            std::pair{"steady steps, jittered ts, noise", Values::kFloat64Noise},
                            std::pair{"steady steps, jittered ts, const", Values::kConstant}}) {
    Report(name, Measure(TrainingCurve(n, kind, 2), 20));
  }
}

}  // namespace
}  // namespace sextant::chunkenc
