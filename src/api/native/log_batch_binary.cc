// Decoder of the binary log batch; the layout is docs/format/log-batch.md.
#include "api/native/log_batch_binary.h"

#include <simdjson.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "api/native/decode.h"
#include "model/limits.h"
#include "model/types.h"

namespace sextant::api {
namespace {

static_assert(std::endian::native == std::endian::little, "the columns are little-endian");

constexpr std::string_view kMagic = "SXLB";
constexpr uint8_t kVersion = 1;

enum StepKind : uint8_t { kWholeSteps = 1, kMicroSteps = 2, kStepRange = 3 };
enum TimeKind : uint8_t { kNoTimes = 0, kMicros = 1, kSeconds = 2, kTimeRange = 3 };
enum ValueKind : uint8_t { kFloat64 = 1, kFloat32 = 2 };

// A cursor over the body; every read checks what is left first.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  size_t left() const { return bytes_.size() - pos_; }
  bool Take(size_t n, std::string_view* out) {
    if (n > left()) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  bool Fixed(T* v) {
    if (sizeof(T) > left()) return false;
    std::memcpy(v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

Status Truncated(const std::string& what, size_t need, const Reader& r) {
  return Status::InvalidArgument(what + ": needs " + std::to_string(need) + " bytes at byte " +
                                 std::to_string(r.pos()) + ", " + std::to_string(r.left()) +
                                 " remain");
}

// A column of n fixed-size items, or a precise error naming it.
Status Column(Reader& r, size_t n, size_t item, const std::string& what, std::string_view* out) {
  // n < 2^32 and item <= 8: the product cannot overflow size_t.
  if (!r.Take(n * item, out)) return Truncated(what, n * item, r);
  return Status::Ok();
}

Status DecodeSteps(Reader& r, uint8_t kind, size_t n, const std::string& f,
                   std::vector<int64_t>* steps) {
  std::string_view col;
  switch (kind) {
    case kWholeSteps:
      RETURN_IF_ERROR(Column(r, n, 8, f + ".steps", &col));
      steps->resize(n);
      for (size_t i = 0; i < n; ++i) {
        int64_t s;
        std::memcpy(&s, col.data() + 8 * i, 8);
        int64_t micro;
        if (s > -model::kMaxAbsStep && s < model::kMaxAbsStep) {
          micro = s * model::kStepScale;
        } else {
          auto m = model::StepFromInt(s);  // refuses it, with the range in the message
          if (!m.ok()) return m.status().WithContext(f + ".steps[" + std::to_string(i) + "]");
          micro = *m;
        }
        (*steps)[i] = micro;
      }
      return Status::Ok();
    case kMicroSteps:  // the range is the core's to check, as for JSON steps
      RETURN_IF_ERROR(Column(r, n, 8, f + ".steps", &col));
      steps->resize(n);
      std::memcpy(steps->data(), col.data(), 8 * n);
      return Status::Ok();
    case kStepRange: {
      int64_t first, stride;
      if (!r.Fixed(&first) || !r.Fixed(&stride)) return Truncated(f + ".steps range", 16, r);
      if (stride < 1)
        return Status::InvalidArgument(f + ".steps: the stride of a step range must be at "
                                       "least 1, got " + std::to_string(stride));
      int64_t span, last;
      if (__builtin_mul_overflow(stride, static_cast<int64_t>(n - 1), &span) ||
          __builtin_add_overflow(first, span, &last))
        return Status::InvalidArgument(f + ".steps: the range from " + std::to_string(first) +
                                       " by " + std::to_string(stride) + " overflows");
      RETURN_IF_ERROR(model::StepFromInt(first).status().WithContext(f + ".steps (first)"));
      RETURN_IF_ERROR(model::StepFromInt(last).status().WithContext(f + ".steps (last)"));
      // Every step lies between first and last, so none overflows.
      steps->resize(n);
      for (size_t i = 0; i < n; ++i)
        (*steps)[i] = (first + static_cast<int64_t>(i) * stride) * model::kStepScale;
      return Status::Ok();
    }
    default:
      return Status::InvalidArgument(f + ": unknown step kind " + std::to_string(kind) +
                                     " (1 whole steps, 2 micro-steps, 3 a range)");
  }
}

Status DecodeTimes(Reader& r, uint8_t kind, size_t n, int64_t now_us, const std::string& f,
                   std::vector<int64_t>* ts) {
  std::string_view col;
  switch (kind) {
    case kNoTimes:
      ts->assign(n, now_us);
      return Status::Ok();
    case kMicros:  // the range is the core's to check
      RETURN_IF_ERROR(Column(r, n, 8, f + ".timestamps", &col));
      ts->resize(n);
      std::memcpy(ts->data(), col.data(), 8 * n);
      return Status::Ok();
    case kSeconds:
      RETURN_IF_ERROR(Column(r, n, 8, f + ".timestamps", &col));
      ts->resize(n);
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, col.data() + 8 * i, 8);
        if (!std::isfinite(d))
          return Status::InvalidArgument(f + ".timestamps[" + std::to_string(i) +
                                         "]: expected a finite number of Unix seconds");
        (*ts)[i] = model::SecondsToMicros(d);
      }
      return Status::Ok();
    case kTimeRange: {
      int64_t first, stride, span, last;
      if (!r.Fixed(&first) || !r.Fixed(&stride)) return Truncated(f + ".timestamps range", 16, r);
      if (stride < 0 || __builtin_mul_overflow(stride, static_cast<int64_t>(n - 1), &span) ||
          __builtin_add_overflow(first, span, &last))
        return Status::InvalidArgument(f + ".timestamps: the range from " + std::to_string(first) +
                                       " by " + std::to_string(stride) +
                                       " µs needs a stride of at least 0 that does not overflow");
      ts->resize(n);
      for (size_t i = 0; i < n; ++i) (*ts)[i] = first + static_cast<int64_t>(i) * stride;
      return Status::Ok();
    }
    default:
      return Status::InvalidArgument(f + ": unknown timestamp kind " + std::to_string(kind) +
                                     " (0 none, 1 µs, 2 seconds, 3 a range)");
  }
}

Status DecodeValues(Reader& r, uint8_t kind, size_t n, const std::string& f,
                    std::vector<double>* values) {
  std::string_view col;
  if (kind == kFloat64) {
    RETURN_IF_ERROR(Column(r, n, 8, f + ".values", &col));
    values->resize(n);
    std::memcpy(values->data(), col.data(), 8 * n);
    return Status::Ok();
  }
  if (kind == kFloat32) {
    RETURN_IF_ERROR(Column(r, n, 4, f + ".values", &col));
    values->resize(n);
    for (size_t i = 0; i < n; ++i) {
      float x;
      std::memcpy(&x, col.data() + 4 * i, 4);
      (*values)[i] = static_cast<double>(x);
    }
    return Status::Ok();
  }
  return Status::InvalidArgument(f + ": unknown value kind " + std::to_string(kind) +
                                 " (1 float64, 2 float32)");
}

}  // namespace

Result<model::LogBatch> DecodeBinaryLogBatch(std::string_view body, int64_t now_us) {
  Reader r(body);
  std::string_view magic;
  uint8_t version = 0;
  uint8_t reserved[3];
  if (!r.Take(4, &magic) || magic != kMagic)
    return Status::InvalidArgument("log batch: the body does not start with \"SXLB\"; send "
                                   "application/json, or the binary form of "
                                   "docs/format/log-batch.md");
  if (!r.Fixed(&version) || version != kVersion)
    return Status::InvalidArgument("log batch: version " + std::to_string(version) +
                                   " is not supported (this server reads version 1)");
  if (!r.Fixed(&reserved) || reserved[0] || reserved[1] || reserved[2])
    return Status::InvalidArgument("log batch: header bytes 5-7 must be zero");

  model::LogBatch batch;
  uint32_t meta_len;
  std::string_view meta;
  if (!r.Fixed(&meta_len)) return Truncated("log batch: the JSON part's length", 4, r);
  if (!r.Take(meta_len, &meta)) return Truncated("log batch: the JSON part", meta_len, r);
  if (meta_len > 0) {
    std::string json;
    ReserveForJson(&json, meta.size());
    json.assign(meta);
    simdjson::dom::parser parser;
    auto root = ParseJsonObject(parser, json);
    if (!root.ok()) return root.status().WithContext("log batch: the JSON part");
    ASSIGN_OR_RETURN(batch, DecodeLogBatch(*root, now_us));
  }

  uint32_t count;
  if (!r.Fixed(&count)) return Truncated("log batch: the series count", 4, r);
  for (uint32_t k = 0; k < count; ++k) {
    // Named by their place in the whole batch: the JSON part's series first.
    std::string f = "series[" + std::to_string(batch.series.size()) + "]";
    uint16_t path_len;
    std::string_view path;
    if (!r.Fixed(&path_len)) return Truncated(f + ": the path length", 2, r);
    if (!r.Take(path_len, &path)) return Truncated(f + ".path", path_len, r);
    uint8_t kinds[4];
    uint32_t n;
    if (!r.Fixed(&kinds) || !r.Fixed(&n)) return Truncated(f + ": the column kinds", 8, r);
    if (kinds[3] != 0) return Status::InvalidArgument(f + ": byte 4 of the series head must be zero");
    if (n == 0) return Status::InvalidArgument(f + ": a series needs at least one point");
    // Values take at least 4 bytes a point: a count the rest of the body
    // cannot hold is refused before anything is allocated (a step range and
    // no timestamps take 16 bytes however many points they name).
    if (n > r.left() / 4)
      return Status::InvalidArgument(f + ": " + std::to_string(n) + " points need at least " +
                                     std::to_string(uint64_t{4} * n) + " bytes of values, " +
                                     std::to_string(r.left()) + " remain");
    model::SeriesWrite s;
    s.path = std::string(path);
    s.type = model::AttrType::kFloatSeries;
    RETURN_IF_ERROR(DecodeSteps(r, kinds[0], n, f, &s.steps));
    RETURN_IF_ERROR(DecodeTimes(r, kinds[1], n, now_us, f, &s.ts));
    RETURN_IF_ERROR(DecodeValues(r, kinds[2], n, f, &s.floats));
    batch.series.push_back(std::move(s));
  }
  if (r.left() != 0)
    return Status::InvalidArgument("log batch: " + std::to_string(r.left()) +
                                   " bytes follow the last series (at byte " +
                                   std::to_string(r.pos()) + ")");
  return batch;
}

}  // namespace sextant::api
