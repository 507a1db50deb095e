// Recording who accessed what and why. Writes are logged in the transaction of the change;
// reads are queued and written in batches (with the next write, every 256 reads, and on close),
// so a read never waits for a disk sync. A batch of reads alone is committed without a sync:
// it reaches the disk with the next write's sync or checkpoint (a process crash keeps it, a power
// loss before then may not, like the reads still queued).
#include <ctime>

#include <amanah/error.hpp>

#include "store/impl.hpp"

namespace amanah::detail {
namespace {

constexpr std::size_t kReadBatch = 256;

AccessEntry entry(StoreImpl& s, const AccessContext& ctx, std::string_view action,
                  std::string_view subject, std::string_view fields) {
  return {static_cast<std::int64_t>(std::time(nullptr)),
          ctx.actor,
          join_names(ctx.roles),
          ctx.purpose,
          std::string(action),
          subject.empty() ? std::string() : s.pseudonym(subject),
          std::string(fields)};
}

void insert(db::Connection& c, const AccessEntry& e) {
  c.cached(
       "INSERT INTO access_log(at, actor, roles, purpose, action, subject, fields) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      ->bind(1, e.at)
      .bind(2, e.actor)
      .bind(3, e.roles)
      .bind(4, e.purpose)
      .bind(5, e.action)
      .bind(6, e.subject)
      .bind(7, e.fields)
      .run();
}

// Commits of read records only: no fsync of their own (see the top of this file).
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

void StoreImpl::log_write(const AccessContext& ctx, std::string_view action,
                          std::string_view subject, std::string_view fields) {
  insert(data, entry(*this, ctx, action, subject, fields));
}

void StoreImpl::log_read(const AccessContext& ctx, std::string_view subject,
                         std::string_view fields) {
  pending_reads.push_back(entry(*this, ctx, "read", subject, fields));
  if (pending_reads.size() >= kReadBatch) {
    UnsyncedCommits unsynced(data);
    db::Transaction tx(data);
    const std::size_t n = flush_reads();
    tx.commit();
    forget_reads(n);
  }
}

std::size_t StoreImpl::flush_reads() {
  for (const auto& e : pending_reads)
    insert(data, e);
  return pending_reads.size();
}

void StoreImpl::forget_reads(std::size_t n) {
  pending_reads.erase(pending_reads.begin(),
                      pending_reads.begin() + static_cast<std::ptrdiff_t>(n));
}

void StoreImpl::flush_reads_now() noexcept {
  if (pending_reads.empty()) return;
  try {
    UnsyncedCommits unsynced(data);
    db::Transaction tx(data);
    const std::size_t n = flush_reads();
    tx.commit();
    forget_reads(n);
  } catch (...) {
    // Closing with a database that refuses writes: the queued read records are lost.
  }
}

void StoreImpl::check_context(const AccessContext& ctx) const {
  if (ctx.actor.empty())
    throw Error(ErrorCode::InvalidArgument, "the access context names no actor");
  if (ctx.roles.empty())
    throw Error(ErrorCode::InvalidArgument, "the access context names no role");
  for (const auto& r : ctx.roles)
    // Roles named only by rules are declared too: the manifest lists them in roles().
    if (manifest.role(r) == nullptr)
      throw Error(ErrorCode::AccessDenied, "role '" + r + "' is not declared in the manifest");
  if (manifest.purpose(ctx.purpose) == nullptr)
    throw Error(ErrorCode::AccessDenied,
                "purpose '" + ctx.purpose + "' is not declared in the manifest");
}

}  // namespace amanah::detail
