#include "storage/postgres/pg_conn.h"

#include <endian.h>

#include <cstring>

namespace sextant::storage::postgres {

namespace {

// Type OIDs of the built-in types we send (pg_type.h).
constexpr Oid kInt8 = 20, kFloat8 = 701, kBytea = 17, kInt8Array = 1016, kFloat8Array = 1022,
              kByteaArray = 1001;

std::string BigEndian(uint64_t v) {
  uint64_t be = htobe64(v);
  return std::string(reinterpret_cast<const char*>(&be), sizeof be);
}

uint64_t ReadBE(const char* p, int len) {
  switch (len) {
    case 8: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return be64toh(v);
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(be32toh(v))));
    }
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(be16toh(v))));
    }
    default:
      return 0;
  }
}

}  // namespace

void Params::Push(Oid type, std::string bytes, bool null) {
  lengths_.push_back(static_cast<int>(bytes.size()));
  values_.push_back(std::move(bytes));
  nulls_.push_back(null);
  formats_.push_back(1);
  types_.push_back(type);
}

Params& Params::Add(int64_t v) {
  Push(kInt8, BigEndian(static_cast<uint64_t>(v)));
  return *this;
}

Params& Params::Add(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  Push(kFloat8, BigEndian(bits));
  return *this;
}

Params& Params::Add(std::string_view bytes) {
  Push(kBytea, std::string(bytes));
  return *this;
}

Params& Params::AddNull() {
  Push(0, std::string(), /*null=*/true);
  return *this;
}

void Params::PushArray(Oid array_type, Oid element_type,
                       const std::vector<std::optional<std::string>>& elements) {
  // The binary array format: ndim, has-nulls flag, element type, then per
  // dimension (length, lower bound), then (length or -1, bytes) per element.
  std::string b;
  auto put32 = [&](uint32_t x) {
    uint32_t be = htobe32(x);
    b.append(reinterpret_cast<const char*>(&be), 4);
  };
  bool nulls = false;
  for (const auto& e : elements) nulls |= !e;
  put32(1);
  put32(nulls ? 1 : 0);
  put32(element_type);
  put32(static_cast<uint32_t>(elements.size()));
  put32(1);
  for (const auto& e : elements) {
    if (!e) {
      put32(0xFFFFFFFFu);
      continue;
    }
    put32(static_cast<uint32_t>(e->size()));
    b += *e;
  }
  Push(array_type, std::move(b));
}

Params& Params::AddArray(const std::vector<int64_t>& v) {
  std::vector<std::optional<std::string>> e;
  e.reserve(v.size());
  for (int64_t x : v) e.emplace_back(BigEndian(static_cast<uint64_t>(x)));
  PushArray(kInt8Array, kInt8, e);
  return *this;
}

Params& Params::AddArray(const std::vector<std::optional<int64_t>>& v) {
  std::vector<std::optional<std::string>> e;
  e.reserve(v.size());
  for (const auto& x : v)
    e.push_back(x ? std::optional<std::string>(BigEndian(static_cast<uint64_t>(*x))) : std::nullopt);
  PushArray(kInt8Array, kInt8, e);
  return *this;
}

Params& Params::AddArray(const std::vector<std::optional<double>>& v) {
  std::vector<std::optional<std::string>> e;
  e.reserve(v.size());
  for (const auto& x : v) {
    if (!x) {
      e.emplace_back();
      continue;
    }
    uint64_t bits;
    std::memcpy(&bits, &*x, sizeof bits);
    e.emplace_back(BigEndian(bits));
  }
  PushArray(kFloat8Array, kFloat8, e);
  return *this;
}

Params& Params::AddArray(const std::vector<std::optional<std::string>>& v) {
  PushArray(kByteaArray, kBytea, v);
  return *this;
}

Params& Params::AddArray(const std::vector<std::string>& v) {
  return AddArray(std::vector<std::optional<std::string>>(v.begin(), v.end()));
}

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) out.push_back(nulls_[i] ? nullptr : values_[i].data());
  return out;
}

int64_t Rows::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return static_cast<int64_t>(
      ReadBE(PQgetvalue(r_.get(), row, col), PQgetlength(r_.get(), row, col)));
}

double Rows::Double(int row, int col) const {
  if (IsNull(row, col)) return 0;
  uint64_t bits = ReadBE(PQgetvalue(r_.get(), row, col), 8);
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

bool Rows::Bool(int row, int col) const {
  return !IsNull(row, col) && PQgetvalue(r_.get(), row, col)[0] != 0;
}

std::string_view Rows::Bytes(int row, int col) const {
  if (IsNull(row, col)) return {};
  return std::string_view(PQgetvalue(r_.get(), row, col),
                          static_cast<size_t>(PQgetlength(r_.get(), row, col)));
}

int64_t Rows::Affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

Status PgError(const PGresult* r, PGconn* c, const std::string& what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string text = "PostgreSQL: " + what + ": " + msg;
  std::string_view s = state ? state : "";
  if (s == "23505") return Status::AlreadyExists(text);
  // Serialization failure, deadlock, connection trouble, shutdown: retryable.
  if (s == "40001" || s == "40P01" || s.substr(0, 2) == "08" || s == "57P01" || s == "57P03" ||
      PQstatus(c) != CONNECTION_OK)
    return Status::Unavailable(text);
  return Status::Internal(text);
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + '"';
}

Result<std::unique_ptr<Conn>> Conn::Open(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (!c) return Status::Unavailable("PostgreSQL: out of memory connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    return Status::Unavailable("cannot connect to PostgreSQL: " + msg);
  }
  auto conn = std::unique_ptr<Conn>(new Conn(c));
  // Quiet notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  RETURN_IF_ERROR(conn->Exec(conn->session_));
  return conn;
}

Conn::~Conn() { PQfinish(c_); }

Status Conn::Check(PGresult* r, const std::string& what) {
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::Ok();
  return PgError(r, c_, what);
}

void Conn::ReconnectIfBroken() {
  // After PostgreSQL restarted: the next statement gets a new session (the
  // one that saw the failure has already reported it).
  if (PQstatus(c_) == CONNECTION_OK) return;
  PQreset(c_);
  prepared_.clear();
  if (PQstatus(c_) == CONNECTION_OK) (void)Exec(session_);
}

Status Conn::SetSession(const std::string& sql) {
  RETURN_IF_ERROR(Exec(sql));
  session_ += "; " + sql;
  return Status::Ok();
}

Status Conn::Exec(const std::string& sql) {
  ReconnectIfBroken();
  PGresult* r = PQexec(c_, sql.c_str());
  Status st = Check(r, sql.substr(0, 60));
  PQclear(r);
  return st;
}

Result<Rows> Conn::QueryOnce(const std::string& sql, const Params& params) {
  ReconnectIfBroken();
  std::vector<const char*> values = params.values();
  PGresult* r = PQexecParams(c_, sql.c_str(), params.size(), params.types(), values.data(),
                             params.lengths(), params.formats(), /*resultFormat=*/1);
  Rows rows(r);
  RETURN_IF_ERROR(Check(r, sql.substr(0, 80)));
  return rows;
}

Result<Rows> Conn::Query(const std::string& sql, const Params& params) {
  ReconnectIfBroken();
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    PGresult* r = PQprepare(c_, name.c_str(), sql.c_str(), params.size(), params.types());
    Status st = Check(r, "preparing " + sql.substr(0, 80));
    PQclear(r);
    if (!st.ok()) return st;
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values = params.values();
  PGresult* r = PQexecPrepared(c_, it->second.c_str(), params.size(), values.data(),
                               params.lengths(), params.formats(), /*resultFormat=*/1);
  Rows rows(r);
  RETURN_IF_ERROR(Check(r, sql.substr(0, 80)));
  return rows;
}

}  // namespace sextant::storage::postgres
