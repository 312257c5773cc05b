// JSON for the accounts routes: reading fields of a request body and writing
// users, tokens, members and audit entries (docs/api/native.md, "Accounts").
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <vector>

#include "api/json_writer.h"
#include "common/status.h"
#include "storage/access.h"

namespace sextant::api::native {

// A string field; nullopt when absent or null; InvalidArgument when another type.
Result<std::optional<std::string>> StringField(simdjson::dom::element obj, const char* key);
Result<std::optional<bool>> BoolField(simdjson::dom::element obj, const char* key);
Result<std::optional<int64_t>> IntField(simdjson::dom::element obj, const char* key);
Result<std::vector<std::string>> StringListField(simdjson::dom::element obj, const char* key);

void WriteUser(JsonWriter& w, const storage::PrincipalRow& p);
void WriteToken(JsonWriter& w, const storage::TokenRow& t);
void WriteMember(JsonWriter& w, const storage::MemberRow& m);
void WriteAudit(JsonWriter& w, const storage::AuditRow& a);

}  // namespace sextant::api::native
