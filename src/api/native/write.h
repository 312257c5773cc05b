// JSON bodies of the native API's responses (docs/api/native.md).
#pragma once

#include <string>
#include <vector>

#include "api/json_writer.h"
#include "core/tracker.h"
#include "model/operations.h"
#include "storage/backend.h"

namespace sextant::api::native {

// The fields of a run (inside an object the caller opened).
void WriteRun(JsonWriter& w, const model::ProjectName& p, const storage::RunInfo& r);
std::string RunJson(const model::ProjectName& p, const storage::RunInfo& r);
void WriteAttribute(JsonWriter& w, const storage::AttributeInfo& a);
// `base64`: raw points as binary columns ("encoding": "base64").
std::string SeriesJson(const std::vector<core::SeriesResult>& results, bool base64);

// "next_page_token": the token, or null on the last page.
void WriteNextPageToken(JsonWriter& w, const std::string& token);

}  // namespace sextant::api::native
