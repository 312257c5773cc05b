// A thin RAII layer over libpq: one connection, parameterized statements
// prepared once per connection, binary parameters and results, errors as
// Status. Not thread-safe: one thread per Conn at a time.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace sextant::storage::postgres {

// Statement parameters, all sent in binary ($1, $2, … in order of Add).
class Params {
 public:
  Params& Add(int64_t v);
  Params& Add(double v);
  // Strings are BYTEA: every string column is, so that keys compare by
  // bytes (memcmp, as SQLite and std::string do) and any byte is kept.
  Params& Add(std::string_view bytes);
  Params& Add(const std::string& bytes) { return Add(std::string_view(bytes)); }
  Params& Add(const char* bytes) { return Add(std::string_view(bytes)); }
  Params& AddNull();
  // One-dimensional arrays (for `= ANY($n)` and `unnest(…)`): BIGINT[],
  // and with NULL elements BIGINT[], DOUBLE PRECISION[], BYTEA[].
  Params& AddArray(const std::vector<int64_t>& v);
  Params& AddArray(const std::vector<std::optional<int64_t>>& v);
  Params& AddArray(const std::vector<std::optional<double>>& v);
  Params& AddArray(const std::vector<std::optional<std::string>>& v);
  Params& AddArray(const std::vector<std::string>& v);
  template <typename T>
  Params& Add(const std::optional<T>& v) {
    return v ? Add(*v) : AddNull();
  }

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> values() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }
  const Oid* types() const { return types_.data(); }

 private:
  void Push(Oid type, std::string bytes, bool null = false);
  // elements: the binary form of each, nullopt for NULL.
  void PushArray(Oid array_type, Oid element_type, const std::vector<std::optional<std::string>>& elements);
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> lengths_, formats_;
  std::vector<Oid> types_;
};

// The rows of one statement, columns in binary.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col); }
  // BIGINT, INTEGER or SMALLINT.
  int64_t Int(int row, int col) const;
  double Double(int row, int col) const;  // DOUBLE PRECISION
  bool Bool(int row, int col) const;
  // TEXT or BYTEA, as stored.
  std::string_view Bytes(int row, int col) const;
  std::string Text(int row, int col) const { return std::string(Bytes(row, col)); }
  // Rows affected by an INSERT/UPDATE/DELETE.
  int64_t Affected() const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

class Conn {
 public:
  // `url` is a libpq connection string or URI (postgresql://…).
  static Result<std::unique_ptr<Conn>> Open(const std::string& url);
  ~Conn();

  // Runs a statement (prepared on first use on this connection).
  Result<Rows> Query(const std::string& sql, const Params& params = Params());
  // Runs a statement once, unprepared (DECLARE … CURSOR, DDL with parameters).
  Result<Rows> QueryOnce(const std::string& sql, const Params& params = Params());
  // Runs SQL text without parameters (several statements allowed).
  Status Exec(const std::string& sql);
  // Runs SET statements now and again on every reconnection (a new session
  // starts from the server's defaults).
  Status SetSession(const std::string& sql);
  bool Broken() const { return PQstatus(c_) != CONNECTION_OK; }
  PGconn* raw() { return c_; }

 private:
  explicit Conn(PGconn* c) : c_(c) {}
  Status Check(PGresult* r, const std::string& what);
  void ReconnectIfBroken();
  PGconn* c_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
  std::string session_ = "SET client_min_messages = warning";  // replayed on reconnection
};

// Maps a failed result to a Status: unique violations to AlreadyExists,
// serialization failures and deadlocks to Unavailable (retryable), the rest
// to Internal with PostgreSQL's message.
Status PgError(const PGresult* r, PGconn* c, const std::string& what);

// A quoted SQL identifier ("name", with inner quotes doubled).
std::string QuoteIdent(std::string_view name);

}  // namespace sextant::storage::postgres
