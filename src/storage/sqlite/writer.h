// Group commit: one writer thread owns the read-write connection; tasks from
// concurrent requests share one transaction, each inside its own savepoint so
// that a failing task is rolled back alone. Submit() returns after COMMIT, so
// an OK result means the task's changes are durable.
//
// Thread-safety: Submit() may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "storage/sqlite/db.h"

namespace sextant::storage::sqlite {

class Writer {
 public:
  // Runs inside the shared transaction on the writer thread.
  using Task = std::function<Status(Db&)>;
  // Runs on the writer thread after a successful COMMIT, before Submit returns.
  using AfterCommit = std::function<void()>;

  explicit Writer(std::unique_ptr<Db> db);
  ~Writer();  // stops the thread after finishing queued tasks

  Status Submit(Task task, AfterCommit after = nullptr);
  void Stop();

  // Transactions committed and tasks run so far (for stats and benchmarks).
  uint64_t commits() const { return commits_; }

 private:
  struct Item {
    Task task;
    AfterCommit after;
    std::promise<Status> done;
  };
  void Loop();

  std::unique_ptr<Db> db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::atomic<uint64_t> commits_{0};
  std::thread thread_;
};

}  // namespace sextant::storage::sqlite
