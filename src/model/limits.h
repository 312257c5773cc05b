// Every limit of the data model and the API, defined once. Front ends only
// translate requests; the checks against these numbers live in model
// validation (operations.h, types.h) or in the core, so that the native JSON
// API, MLflow, Neptune and the importers all refuse the same things.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sextant::model {

// --- Request bodies (read by the HTTP layer; the server options default to these).
// A log batch of 1,000,000 points as JSON is ~17-30 MB; 64 MiB leaves room.
constexpr size_t kDefaultMaxBodyBytes = size_t{64} << 20;
// Checkpoints of large models are tens of GiB.
constexpr uint64_t kDefaultMaxFileBytes = uint64_t{100} << 30;

// --- Steps: decimals with six fractional digits, stored as int64 micro-steps.
constexpr int64_t kStepScale = 1'000'000;
constexpr int kStepFractionDigits = 6;
// |step| < 9e12, so |micro-steps| < 9e18 fits int64 (max ~9.22e18) with room.
constexpr int64_t kMaxAbsStep = 9'000'000'000'000;
constexpr int64_t kMaxAbsMicroStep = kMaxAbsStep * kStepScale;

// --- Timestamps: µs since the Unix epoch, from 1970 to the end of year 9999
// (the datetime text format has four-digit years). Point timestamps and
// created_at must be in [0, kMaxTimestampUs]; datetime configs may also be
// before 1970, from year 0000 on.
constexpr int64_t kMaxTimestampUs = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z
constexpr int64_t kMinDatetimeUs = -62'167'219'200'000'000;   // 0000-01-01T00:00:00Z

// --- Names and strings.
constexpr size_t kMaxPathBytes = 1024;       // attribute paths
constexpr size_t kMaxTagBytes = 1024;        // each tag of sys/tags
constexpr size_t kMaxRunNameBytes = 1024;    // run name, experiment name
constexpr size_t kMaxViewNameBytes = 200;    // saved view names
constexpr size_t kMaxDescriptionBytes = 64 * 1024;  // run and project notes (Markdown)
constexpr size_t kMaxEditRuns = 1000;        // runs named by one bulk edit
constexpr size_t kMaxViewStateBytes = 64 * 1024;
constexpr size_t kMaxHistogramBins = 100'000;

// --- Runs table queries (Tracker::QueryRuns).
constexpr size_t kDefaultRunsLimit = 50;
constexpr size_t kMaxRunsLimit = 10'000;
constexpr size_t kMaxRunsOffset = 100'000'000;

// --- Series reads (Tracker::ReadSeries).
constexpr size_t kMaxRunsPerSeriesRead = 1000;
constexpr int kMaxSeriesBuckets = 100'000;
constexpr size_t kDefaultSeriesPointsLimit = 10'000;
constexpr size_t kMaxSeriesPointsLimit = 1'000'000;

// --- Paged lists (projects, run attributes, project paths, saved views).
constexpr size_t kDefaultPageLimit = 1'000;
constexpr size_t kMaxPageLimit = 10'000;
// A filtered list (attributes matching a regex) examines at most this many
// rows per request; a page may then hold fewer than `limit` items and still
// have a next_page_token, so that a sparse filter over a run with millions of
// attributes costs bounded work per request.
constexpr size_t kMaxPageScanRows = 100'000;

// --- MLflow's protocol limits (its client and server enforce the same; the
// MLflow front end refuses beyond them with MLflow's messages).
constexpr size_t kMlflowMaxBatchMetrics = 1000;
constexpr size_t kMlflowMaxBatchParams = 100;
constexpr size_t kMlflowMaxBatchTags = 100;
constexpr size_t kMlflowMaxBatchEntities = 1000;
constexpr size_t kMlflowMaxBatchBytes = 1'000'000;
constexpr size_t kMlflowMaxKeyChars = 250;
constexpr size_t kMlflowMaxParamValueChars = 6000;
constexpr size_t kMlflowMaxTagValueChars = 8000;
constexpr size_t kMlflowMaxResults = 50'000;       // search_runs max_results
constexpr size_t kMlflowMaxBulkRuns = 100;         // get-history-bulk(-interval)
constexpr size_t kMlflowMaxIntervalResults = 2500;

// --- Neptune's protocol limits (api/neptune/).
constexpr size_t kNeptuneMaxCheckIds = 1000;        // request ids per ingest/check
// Snapshots in one RunOperation: neptune-scale packs consecutive snapshots
// into requests of up to 16 MiB (~400,000 one-metric snapshots).
constexpr size_t kNeptuneMaxSnapshots = 1'000'000;
constexpr size_t kNeptuneMaxSignedUrlFiles = 1000;  // files per storagebridge request
// neptune-query's reads (read_*.cc): what one request may name or return.
constexpr size_t kNeptuneMaxReadRuns = 10'000;          // experimentIdsFilter entries
constexpr size_t kNeptuneMaxReadAttributes = 10'000;    // attributeNamesFilter / attributeFilters entries
constexpr size_t kNeptuneMaxNameRegexes = 1000;         // regexes of one attributeNameFilter
constexpr size_t kNeptuneMaxDefinitionsPage = 10'000;   // definitions per page (nextPage.limit)
constexpr size_t kNeptuneMaxSeriesRequests = 10'000;    // series per series/float or series request
constexpr size_t kNeptuneMaxSeriesPoints = 1'000'000;   // points of one response (all series)
constexpr size_t kNeptuneMaxSeriesPageBytes = size_t{64} << 20;  // string/histogram values per response
constexpr size_t kNeptuneMaxBucketExpressions = 1000;   // expressions per timeseries/buckets request
constexpr int kNeptuneMaxBuckets = 10'001;              // view.maxBuckets

// Point timestamps kept to the millisecond (the default, what MLflow and
// Neptune store) or to the microsecond (`sextant serve --timestamp-resolution us`).
constexpr int64_t kTimestampResolutionMs = 1000;
constexpr int64_t kTimestampResolutionUs = 1;

// Per-deployment limits and rules of one write (TrackerOptions::limits).
struct Limits {
  size_t max_points_per_batch = 1'000'000;
  size_t max_series_per_batch = 10'000;
  size_t max_configs_per_batch = 100'000;
  size_t max_string_bytes = 1 << 20;
  size_t max_tags = 10'000;                   // tags added + removed per batch
  size_t max_string_set_items = 10'000;       // members of one string set config
  // Point timestamps are floored to a multiple of this many µs when written
  // (ValidateLogBatch). Milliseconds cost ~0.5 bytes/point on jittered wall
  // clocks against ~1.7 for µs (docs/format/chunk.md).
  int64_t timestamp_resolution_us = kTimestampResolutionMs;
};

}  // namespace sextant::model
