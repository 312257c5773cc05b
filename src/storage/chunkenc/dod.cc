#include "storage/chunkenc/dod.h"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <numeric>
#include <vector>

#include "storage/chunkenc/bitstream.h"

namespace sextant::chunkenc {
namespace {

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// Widths a residual needs once zigzagged: 0 for zero, up to 64.
int ZigZagWidth(uint64_t zz) { return 64 - std::countl_zero(zz); }

uint64_t Abs(int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  return v < 0 ? 0 - u : u;
}

// The residual code of one block: a narrow width, a wide width, and whether
// a selector bit precedes each residual (only when the widths differ).
struct WidthPlan {
  int narrow = 0;
  int wide = 0;
  uint64_t bits = 0;  // total payload bits
};

WidthPlan PlanWidths(std::span<const uint64_t> zz) {
  std::array<uint64_t, 65> hist{};
  int max_w = 0;
  for (uint64_t z : zz) {
    int w = ZigZagWidth(z);
    ++hist[w];
    max_w = std::max(max_w, w);
  }
  WidthPlan best{max_w, max_w, zz.size() * static_cast<uint64_t>(max_w)};
  uint64_t at_most = 0;  // residuals with width <= narrow
  for (int narrow = 0; narrow < max_w; ++narrow) {
    at_most += hist[narrow];
    uint64_t bits = zz.size() + at_most * narrow + (zz.size() - at_most) * max_w;
    if (bits < best.bits) best = {narrow, max_w, bits};
  }
  return best;
}

void WriteResiduals(std::span<const uint64_t> zz, const WidthPlan& plan, std::string* out) {
  out->push_back(static_cast<char>(plan.narrow));
  out->push_back(static_cast<char>(plan.wide));
  PutVarint(out, (plan.bits + 7) / 8);
  BitWriter w(out);
  for (uint64_t z : zz) {
    if (plan.narrow == plan.wide) {
      w.Write(z, plan.wide);
    } else if (ZigZagWidth(z) <= plan.narrow) {
      w.Write(z, plan.narrow + 1);  // selector 0, then the value
    } else {
      w.WriteBit(true);
      w.Write(z, plan.wide);
    }
  }
  w.Finish();
}

// Reads `m` zigzagged residuals and feeds each, unzigzagged, to `emit`.
// Inlined into both modes' loops so each is one tight pass.
template <typename Emit>
Status ReadResiduals(ByteCursor* in, size_t m, Emit emit) {
  uint8_t narrow, wide;
  uint64_t nbytes;
  std::string_view bits;
  if (!in->GetByte(&narrow) || !in->GetByte(&wide) || !in->GetVarint(&nbytes) ||
      narrow > wide || wide > 64 || !in->GetBytes(nbytes, &bits)) {
    return Status::DataLoss("int column: bad residual header");
  }
  BitReader r(bits);
  if (narrow == wide) {
    for (size_t i = 0; i < m; ++i) emit(UnZigZag(r.Read(wide)));
  } else if (wide <= 56) {
    // One peek covers selector and value: 1 + 56 <= 57 exact bits.
    for (size_t i = 0; i < m; ++i) {
      uint64_t word = r.Peek();
      int w = (word >> 63) ? wide : narrow;
      uint64_t v = w == 0 ? 0 : (word << 1) >> (64 - w);
      r.Skip(1 + w);
      emit(UnZigZag(v));
    }
  } else {
    for (size_t i = 0; i < m; ++i) emit(UnZigZag(r.Read(r.ReadBit() ? wide : narrow)));
  }
  if (r.overrun()) return Status::DataLoss("int column: truncated bit stream");
  return Status::Ok();
}

}  // namespace

void EncodeIntColumn(std::span<const int64_t> values, std::string* out) {
  PutVarint(out, ZigZag(values[0]));
  size_t n = values.size();
  if (n == 1) return;

  // Deltas modulo 2^64, read as int64; their GCD divides them all exactly.
  // Scratch space is per thread: this runs once per column of every block.
  thread_local std::vector<int64_t> q;
  q.resize(n - 1);
  bool constant = true;
  for (size_t i = 1; i < n; ++i) {
    q[i - 1] = static_cast<int64_t>(static_cast<uint64_t>(values[i]) -
                                    static_cast<uint64_t>(values[i - 1]));
    constant &= q[i - 1] == q[0];
  }
  // Equal deltas (a steady step or clock): their GCD is the delta itself.
  if (constant) {
    uint64_t g = Abs(q[0]);
    if (g == 0 || g > kInt64Max) g = 1;
    out->push_back(static_cast<char>(IntMode::kConstDelta));
    PutVarint(out, g);
    PutVarint(out, ZigZag(q[0] / static_cast<int64_t>(g)));
    return;
  }
  uint64_t g = 0;
  for (size_t i = 0; i < q.size() && g != 1; ++i) g = std::gcd(g, Abs(q[i]));
  // g == 2^63 cannot be held as a positive int64 divisor; 1 always works.
  if (g == 0 || g > kInt64Max) g = 1;
  if (g != 1)
    for (int64_t& d : q) d /= static_cast<int64_t>(g);

  // Candidate 1: deltas against their median.
  thread_local std::vector<int64_t> sorted;
  sorted.assign(q.begin(), q.end());
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  int64_t base = sorted[sorted.size() / 2];
  thread_local std::vector<uint64_t> zz_delta, zz_dod;
  zz_delta.resize(q.size());
  for (size_t i = 0; i < q.size(); ++i) {
    zz_delta[i] = ZigZag(static_cast<int64_t>(static_cast<uint64_t>(q[i]) -
                                              static_cast<uint64_t>(base)));
  }
  // Candidate 2: delta of delta, after the first delta.
  zz_dod.resize(q.size() - 1);
  for (size_t i = 1; i < q.size(); ++i) {
    zz_dod[i - 1] = ZigZag(static_cast<int64_t>(static_cast<uint64_t>(q[i]) -
                                                static_cast<uint64_t>(q[i - 1])));
  }
  WidthPlan plan_delta = PlanWidths(zz_delta);
  WidthPlan plan_dod = PlanWidths(zz_dod);
  // Compare payload bits plus each mode's varint head (base vs first delta).
  std::string head_delta, head_dod;
  PutVarint(&head_delta, ZigZag(base));
  PutVarint(&head_dod, ZigZag(q[0]));
  uint64_t cost_delta = head_delta.size() * 8 + (plan_delta.bits + 7) / 8 * 8;
  uint64_t cost_dod = head_dod.size() * 8 + (plan_dod.bits + 7) / 8 * 8;

  bool use_dod = cost_dod < cost_delta;
  out->push_back(static_cast<char>(use_dod ? IntMode::kDeltaOfDelta : IntMode::kDelta));
  PutVarint(out, g);
  if (use_dod) {
    out->append(head_dod);
    WriteResiduals(zz_dod, plan_dod, out);
  } else {
    out->append(head_delta);
    WriteResiduals(zz_delta, plan_delta, out);
  }
}

namespace {

// kIncreasing: also verify that values strictly increase (steps). Checked
// inside the decode loops, where it costs a compare on data in registers.
template <bool kIncreasing>
Status DecodeInts(ByteCursor* in, size_t n, int64_t* dst) {
  uint64_t prev;
  if (n == 0 || !in->GetVarint(&prev)) return Status::DataLoss("int column: truncated");
  prev = static_cast<uint64_t>(UnZigZag(prev));
  dst[0] = static_cast<int64_t>(prev);
  if (n == 1) return Status::Ok();

  uint8_t mode;
  uint64_t g, head;
  if (!in->GetByte(&mode) || !in->GetVarint(&g) || g == 0 || !in->GetVarint(&head)) {
    return Status::DataLoss("int column: bad header");
  }
  uint64_t h = static_cast<uint64_t>(UnZigZag(head));
  const Status kNotIncreasing = Status::DataLoss("int column: steps do not increase");
  bool increasing = true;
  auto next = [&](uint64_t delta) {
    uint64_t v = prev + delta;
    if constexpr (kIncreasing) increasing &= static_cast<int64_t>(v) > static_cast<int64_t>(prev);
    prev = v;
    return static_cast<int64_t>(v);
  };
  switch (static_cast<IntMode>(mode)) {
    case IntMode::kConstDelta: {
      uint64_t step = g * h;
      if constexpr (kIncreasing) {
        // Read as unsigned, the step is the true delta (it may pass
        // INT64_MAX: think INT64_MIN, INT64_MAX). Values increase iff it is
        // non-zero and the last value stays within int64.
        uint64_t room = kInt64Max - prev;  // exact: INT64_MAX - first >= 0
        if (step == 0 || (n - 1) > room / step) return kNotIncreasing;
      }
      for (size_t i = 1; i < n; ++i) dst[i] = static_cast<int64_t>(prev + step * i);
      return Status::Ok();
    }
    case IntMode::kDelta: {
      size_t i = 1;
      RETURN_IF_ERROR(ReadResiduals(
          in, n - 1, [&](int64_t r) { dst[i++] = next(g * (h + static_cast<uint64_t>(r))); }));
      return increasing ? Status::Ok() : kNotIncreasing;
    }
    case IntMode::kDeltaOfDelta: {
      dst[1] = next(g * h);
      size_t i = 2;
      uint64_t q = h;
      RETURN_IF_ERROR(ReadResiduals(in, n - 2, [&](int64_t r) {
        q += static_cast<uint64_t>(r);
        dst[i++] = next(g * q);
      }));
      return increasing ? Status::Ok() : kNotIncreasing;
    }
  }
  return Status::DataLoss("int column: unknown mode " + std::to_string(mode));
}

}  // namespace

Status DecodeIntColumn(ByteCursor* in, size_t n, int64_t* out, bool strictly_increasing) {
  return strictly_increasing ? DecodeInts<true>(in, n, out) : DecodeInts<false>(in, n, out);
}

}  // namespace sextant::chunkenc
