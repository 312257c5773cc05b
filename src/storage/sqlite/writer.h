// The SQLite writer: group commit (storage/group_commit.h) on the one
// read-write connection, in BEGIN IMMEDIATE transactions so that the write
// lock is taken up front rather than upgraded mid-transaction.
#pragma once

#include "storage/group_commit.h"
#include "storage/sqlite/db.h"

namespace sextant::storage::sqlite {

class Writer : public GroupCommit<Db> {
 public:
  explicit Writer(std::unique_ptr<Db> db) : GroupCommit<Db>(std::move(db), "BEGIN IMMEDIATE") {}
};

}  // namespace sextant::storage::sqlite
