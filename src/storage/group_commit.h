// Group commit: one writer thread owns the read-write connection; tasks from
// concurrent requests share one transaction, each inside its own savepoint so
// that a failing task is rolled back alone. Submit() returns after COMMIT, so
// an OK result means the task's changes are durable. Hooks run after the
// COMMIT, in commit order, before Submit returns (backend.h's OnCommit).
//
// Used by every SQL backend: `Conn` needs `Status Exec(const std::string&)`,
// and SAVEPOINT / ROLLBACK TO SAVEPOINT / RELEASE SAVEPOINT, which SQLite and
// PostgreSQL both speak.
//
// Thread-safety: Submit() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace sextant::storage {

// Bounds the work behind one COMMIT so that the first waiter is not delayed
// without limit while others keep arriving.
inline constexpr size_t kMaxTasksPerCommit = 256;

template <typename Conn>
class GroupCommit {
 public:
  // Runs inside the shared transaction on the writer thread.
  using Task = std::function<Status(Conn&)>;
  // Runs on the writer thread after a successful COMMIT, before Submit returns.
  using AfterCommit = std::function<void()>;

  // `begin` opens the shared transaction ("BEGIN IMMEDIATE" for SQLite).
  GroupCommit(std::unique_ptr<Conn> conn, std::string begin = "BEGIN")
      : conn_(std::move(conn)), begin_(std::move(begin)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~GroupCommit() { Stop(); }  // finishes queued tasks first

  Status Submit(Task task, AfterCommit after = nullptr) {
    auto item = std::make_unique<Item>();
    item->task = std::move(task);
    item->after = std::move(after);
    std::future<Status> f = item->done.get_future();
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) return Status::Unavailable("the server is shutting down");
      queue_.push_back(std::move(item));
    }
    cv_.notify_one();
    return f.get();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_ && !thread_.joinable()) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Transactions committed so far (for stats and benchmarks).
  uint64_t commits() const { return commits_; }

 private:
  struct Item {
    Task task;
    AfterCommit after;
    std::promise<Status> done;
  };

  void Loop() {
    for (;;) {
      std::vector<std::unique_ptr<Item>> batch;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        while (!queue_.empty() && batch.size() < kMaxTasksPerCommit) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<Status> results(batch.size());
      // Control statements ride with the next one (BEGIN with the first
      // SAVEPOINT, each RELEASE with the next SAVEPOINT or the COMMIT):
      // round trips are what a networked database charges for.
      std::string control = begin_ + "; ";
      Status broken;
      for (size_t i = 0; i < batch.size() && broken.ok(); ++i) {
        broken = conn_->Exec(control + "SAVEPOINT task");
        if (!broken.ok()) break;
        results[i] = batch[i]->task(*conn_);
        control = results[i].ok() ? "RELEASE SAVEPOINT task; "
                                  : "ROLLBACK TO SAVEPOINT task; RELEASE SAVEPOINT task; ";
      }
      // A control statement that failed leaves the transaction unusable (and
      // PostgreSQL answers COMMIT of an aborted one with a silent rollback):
      // the whole batch fails.
      Status commit = broken.ok() ? conn_->Exec(control + "COMMIT") : broken;
      if (!commit.ok()) {
        (void)conn_->Exec("ROLLBACK");
        for (auto& r : results)
          if (r.ok()) r = commit.WithContext("committing");
      } else {
        ++commits_;
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (results[i].ok() && batch[i]->after) batch[i]->after();
        batch[i]->done.set_value(results[i]);
      }
    }
  }

  std::unique_ptr<Conn> conn_;
  const std::string begin_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::atomic<uint64_t> commits_{0};
  std::thread thread_;
};

}  // namespace sextant::storage
