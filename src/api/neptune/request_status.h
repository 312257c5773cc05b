// The outcome of an ingest request, carried in its request id.
//
// Neptune processes ingest asynchronously and the client asks later
// (POST /api/client/v1/ingest/check) how each request ended. Sextant applies
// a RunOperation before answering it, durably, so the outcome is known when
// the id is minted: the id spells it ("sx1.<random>" when every item was
// stored, "sx1.<random>.<rpc>-<ingest>-<count>..." otherwise). A check then
// needs no server memory, survives restarts and is answered by any server
// of a cluster. Error messages, which do not fit in an id, are kept for a
// while in memory (RecentMessages) and added when still known.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/neptune/ingest_decode.h"

namespace sextant::api::neptune {

// google.rpc codes used in statuses.
enum class RpcCode : int {
  kOk = 0,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kFailedPrecondition = 9,
  kInternal = 13,
  kUnavailable = 14,
};

struct CodeCount {
  RpcCode code = RpcCode::kOk;
  IngestCode detail = IngestCode::kOk;
  int64_t count = 0;
  bool operator==(const CodeCount&) const = default;
};

// The rpc code Neptune pairs with an ingest code.
RpcCode RpcCodeFor(IngestCode c);

// `ok_items` stored and the refused items (grouped by code).
std::vector<CodeCount> Summarize(size_t ok_items, const std::vector<ItemError>& errors);

std::string MintRequestId(const std::vector<CodeCount>& counts);
// nullopt for an id Sextant did not mint.
std::optional<std::vector<CodeCount>> ParseRequestId(std::string_view id);

// The last messages of failed requests, by request id (bounded).
class RecentMessages {
 public:
  explicit RecentMessages(size_t capacity = 10'000) : capacity_(capacity) {}
  void Put(const std::string& id, std::string message);
  std::optional<std::string> Get(const std::string& id);

 private:
  size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> messages_;  // GUARDED_BY(mu_)
  std::deque<std::string> order_;                          // GUARDED_BY(mu_)
};

}  // namespace sextant::api::neptune
