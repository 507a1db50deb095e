#include "audit/access_log.hpp"

#include <iterator>

#include <amanah/error.hpp>

#include "policy/engine.hpp"
#include "store/core.hpp"

namespace amanah::detail::audit {
namespace {

// The queue may outgrow a batch while the writer is busy; past this, a reader waits for it.
constexpr std::size_t kQueueLimit = 4 * AccessLog::kReadBatch;

void insert(db::Connection& c, const AccessEntry& e) {
  // `e` outlives the statement's run: its text is bound without copies.
  c.cached(
       "INSERT INTO access_log(at, actor, roles, purpose, action, subject, fields, decision, "
       "rules) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      ->bind(1, e.at)
      .bind_unowned(2, e.actor)
      .bind_unowned(3, e.roles)
      .bind_unowned(4, e.purpose)
      .bind_unowned(5, e.action)
      .bind_unowned(6, e.subject)
      .bind_unowned(7, e.fields)
      .bind_unowned(8, e.decision)
      .bind_unowned(9, e.rules)
      .run();
}

// Commits of read records only: no fsync of their own (see the header).
class UnsyncedCommits {
 public:
  explicit UnsyncedCommits(db::Connection& c) : c_(c) { c_.exec("PRAGMA synchronous=NORMAL"); }
  ~UnsyncedCommits() {
    try {
      c_.exec("PRAGMA synchronous=FULL");
    } catch (...) {
      // Setting a pragma fails only on a closed connection (nothing left to restore) or when
      // memory runs out.
    }
  }
  UnsyncedCommits(const UnsyncedCommits&) = delete;
  UnsyncedCommits& operator=(const UnsyncedCommits&) = delete;

 private:
  db::Connection& c_;
};

}  // namespace

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

AccessLog::AccessLog(store::Core& core) : core_(core), key_(core.keys().audit()) {}

AccessEntry AccessLog::entry(const AccessContext& ctx, std::string_view action,
                             std::string_view subject, std::string_view fields,
                             std::string_view rules) const {
  AccessEntry e;
  e.at = core_.now();
  e.actor = ctx.actor;
  e.roles = join_names(ctx.roles);
  e.purpose = ctx.purpose;
  e.action = std::string(action);
  if (!subject.empty()) e.subject = key_.pseudonym(subject);
  e.fields = std::string(fields);
  e.rules = std::string(rules);
  return e;
}

std::vector<AccessEntry> AccessLog::take_queue() {
  std::lock_guard g(queue_mu_);
  return std::exchange(queue_, {});
}

void AccessLog::record_write(db::Transaction& tx, const AccessContext& ctx, std::string_view action,
                             std::string_view subject, std::string_view fields,
                             std::string_view rules) {
  auto reads = std::make_shared<std::vector<AccessEntry>>(take_queue());
  // Back to the front of the queue if the write does not commit: no read record is lost.
  tx.on_rollback([this, reads]() {
    std::lock_guard g(queue_mu_);
    queue_.insert(queue_.begin(), std::make_move_iterator(reads->begin()),
                  std::make_move_iterator(reads->end()));
  });
  db::Connection& c = tx.connection();
  for (const auto& e : *reads)
    insert(c, e);
  insert(c, entry(ctx, action, subject, fields, rules));
}

void AccessLog::record_read(const AccessContext& ctx, std::string_view subject,
                            std::string_view fields, std::string_view rules) {
  enqueue(entry(ctx, "read", subject, fields, rules));
}

void AccessLog::record_denial(const AccessContext& ctx, std::string_view action,
                              std::string_view subject, std::string_view fields,
                              std::string_view rules) {
  AccessEntry e = entry(ctx, action, subject, fields, rules);
  e.decision = "deny";
  enqueue(std::move(e));
}

void AccessLog::record_denial(const AccessContext& ctx, std::string_view action,
                              std::string_view subject, std::string_view fields,
                              const Decision& d) {
  record_denial(policy::loggable(ctx, d), action, subject, fields, policy::rule_list(d));
}

void AccessLog::enqueue(AccessEntry e) {
  std::size_t queued = 0;
  {
    std::lock_guard g(queue_mu_);
    queue_.push_back(std::move(e));
    queued = queue_.size();
  }
  if (queued < kReadBatch) return;
  std::unique_lock w(core_.write_mu, std::try_to_lock);
  if (!w.owns_lock()) {
    if (queued < kQueueLimit) return;  // the writer writes them with its change
    w.lock();
  }
  if (core_.is_open()) write_batch();
}

void AccessLog::write_batch() {
  auto reads = take_queue();
  if (reads.empty()) return;
  try {
    db::Connection& c = core_.data_writer();
    UnsyncedCommits unsynced(c);
    db::Transaction tx(c);
    for (const auto& e : reads)
      insert(c, e);
    tx.commit();
  } catch (...) {
    std::lock_guard g(queue_mu_);
    queue_.insert(queue_.begin(), std::make_move_iterator(reads.begin()),
                  std::make_move_iterator(reads.end()));
    throw;
  }
}

void AccessLog::flush() noexcept {
  try {
    write_batch();
  } catch (...) {
    // Closing with a database that refuses writes: the queued read records are lost.
  }
}

void AccessLog::close() noexcept {
  flush();
  key_ = {};
}

}  // namespace amanah::detail::audit
