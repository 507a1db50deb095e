#include "audit/log.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

#include <amanah/error.hpp>

#include "audit/batch.hpp"
#include "audit/checkpoint.hpp"
#include "crypto/crypto.hpp"
#include "fs/fs.hpp"
#include "policy/engine.hpp"
#include "store/core.hpp"

namespace amanah::detail::audit {
namespace {

// Names kept in memory (id by name) before the cache starts over: bounded however many actors.
constexpr std::size_t kNamesCached = 4096;

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

bool has_table(db::Connection& c, std::string_view name) {
  auto st = c.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  st.bind(1, name);
  return st.step() && st.column_int64(0) != 0;
}

}  // namespace

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

Log::Log(store::Core& core, policy::Engine& policy, const AuditOptions& options)
    : core_(core),
      policy_(policy),
      key_(core.keys().audit()),
      sink_(options.sink),
      checkpoint_every_(options.checkpoint_every == 0 ? 1 : options.checkpoint_every),
      sync_reads_(options.sync_reads),
      alert_limits_(options.alerts),
      on_alert_(options.on_alert) {
  check_options(core_.dir(), options);
  if (options.signing_key != nullptr) signing_.emplace(options.signing_key->clone());
  db::Connection& c = core_.data_writer();
  chain_ = genesis(core_.store_id());
  convert_v5();
  {
    auto st = c.prepare("SELECT entries FROM audit_log ORDER BY first DESC LIMIT 1");
    if (st.step()) {
      const auto e = last_entry(st.column_blob(0));
      if (!e) throw Error(ErrorCode::Corrupt, "audit log: the last batch of entries is damaged");
      seq_ = e->seq;
      chain_ = e->chain;
    }
  }
  migrate_access_log();
  {
    // A sequence number is never used twice: if entries were cut from the end, the next one
    // follows the highest ever written, and the gap stays for verify() to report.
    auto st = c.prepare("SELECT value FROM amanah_meta WHERE key = 'audit_seq'");
    if (st.step()) {
      const auto reached = parse_seq(st.column_text(0));
      if (!reached)
        throw Error(ErrorCode::Corrupt, "audit log: the record of how far it reached is damaged");
      seq_ = std::max(seq_, *reached);
    }
  }
  checkpointed_ = seq_;
  written_ = seq_;
  writer_ = std::thread([this] { run_writer(); });
}

Log::~Log() {
  stop_writer();
}

void Log::check_options(const std::filesystem::path& dir, const AuditOptions& options) {
  if (options.signing_key != nullptr && !options.sink)
    throw Error(ErrorCode::InvalidArgument,
                "an audit signing key needs a checkpoint sink (AuditOptions::sink)");
  if (options.sink) {
    if (const auto file = options.sink->file()) {
      // A copy of the store directory put back must not bring its own checkpoints with it.
      if (fs::is_inside(dir, *file))
        throw Error(ErrorCode::InvalidArgument,
                    "the checkpoint file must be outside the store directory");
    }
  }
}

void Log::convert_v5() {
  db::Connection& c = core_.data_writer();
  if (!has_table(c, "audit_log_v5")) return;
  // The entries as they were, chain values included: only how they are stored changes.
  db::Transaction tx(c);
  Packer packer;
  auto st = c.prepare(
      "SELECT seq, at, action, allowed, subject, actor, roles, purpose, fields, rules, "
      "payload_hash, chain FROM audit_log_v5 ORDER BY seq");
  std::size_t n = 0;
  while (st.step()) {
    Stored e;
    e.seq = static_cast<std::uint64_t>(st.column_int64(0));
    e.at = st.column_int64(1);
    e.action = st.column_int64(2);
    e.allowed = st.column_int64(3) != 0;
    const auto subject = st.column_blob(4);
    const auto kept = st.column_blob(10);
    const auto chain = st.column_blob(11);
    if ((!subject.empty() && subject.size() != e.subject.size()) ||
        (!kept.empty() && kept.size() != e.payload_hash.size()) || chain.size() != e.chain.size())
      throw Error(ErrorCode::Corrupt, "audit log: an entry of schema 5 is damaged");
    e.has_subject = !subject.empty();
    if (e.has_subject) std::memcpy(e.subject.data(), subject.data(), subject.size());
    e.erased = !kept.empty();
    if (e.erased)
      std::memcpy(e.payload_hash.data(), kept.data(), kept.size());
    else
      for (int i = 0; i < 5; ++i)
        e.ids[static_cast<std::size_t>(i)] = st.column_int64(5 + i);
    std::memcpy(e.chain.data(), chain.data(), chain.size());
    packer.add(e);
    if (++n % kReadBatch == 0) {
      insert_batch(c, packer);
      packer.clear();
    }
  }
  st.reset();
  if (!packer.empty()) insert_batch(c, packer);
  c.exec("DROP TABLE audit_log_v5");
  tx.commit();
}

void Log::insert_batch(db::Connection& c, const Packer& batch) {
  const BatchBounds& b = batch.bounds();
  c.cached(
       "INSERT INTO audit_log(first, last, min_at, max_at, entries) VALUES (?1, ?2, ?3, ?4, ?5)")
      ->bind(1, static_cast<std::int64_t>(b.first))
      .bind(2, static_cast<std::int64_t>(b.last))
      .bind(3, b.min_at)
      .bind(4, b.max_at)
      .bind(5, batch.blob())
      .run();
}

void Log::migrate_access_log() {
  db::Connection& c = core_.data_writer();
  if (!has_table(c, "access_log_v4")) return;
  db::Transaction tx(c);
  std::vector<Entry> batch;
  auto st = c.prepare(
      "SELECT at, actor, roles, purpose, action, subject, fields, decision, rules "
      "FROM access_log_v4 ORDER BY seq");
  while (st.step()) {
    Entry e;
    e.at = st.column_int64(0);
    e.payload = make_payload(st.column_text(1), st.column_text(2), st.column_text(3),
                             st.column_text(6), st.column_text(8));
    e.action = st.column_text(4);
    crypto::Bytes subject;
    // A pseudonym that is not one (a damaged row) is not carried over.
    if (crypto::from_hex(st.column_text(5), subject) && subject.size() == kPseudonymSize) {
      e.has_subject = true;
      std::memcpy(e.subject.data(), subject.data(), subject.size());
    }
    e.allowed = st.column_text(7) != "deny";
    batch.push_back(std::move(e));
    if (batch.size() == kReadBatch) {
      append(tx, batch);
      batch.clear();
    }
  }
  st.reset();
  if (!batch.empty()) append(tx, batch);
  c.exec("DROP TABLE access_log_v4");
  tx.commit();
  written_ = seq_;
}

std::string Log::pseudonym(std::string_view subject_id) const {
  return key_.pseudonym_bytes(subject_id);
}

std::uint64_t Log::size() const {
  return written_.load();
}

std::size_t Log::queued() const {
  std::lock_guard g(queue_mu_);
  return queue_.size();
}

Entry Log::entry(const AccessContext& ctx, std::string_view action, std::string_view subject,
                 std::string_view fields, std::string_view rules, bool allowed) {
  Entry e;
  e.at = core_.now();
  e.action = std::string(action);
  e.allowed = allowed;
  if (!subject.empty()) {
    const auto mac = key_.pseudonym(subject);
    std::memcpy(e.subject.data(), mac.data(), e.subject.size());
    e.has_subject = true;
  }
  e.payload = payload_of(ctx, fields, rules);
  return e;
}

namespace {

// Whether `joined` is `names` joined with commas.
bool joins(std::string_view joined, const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i != 0) {
      if (joined.empty() || joined.front() != ',') return false;
      joined.remove_prefix(1);
    }
    if (!joined.starts_with(names[i])) return false;
    joined.remove_prefix(names[i].size());
  }
  return joined.empty();
}

}  // namespace

std::shared_ptr<const Payload> Log::payload_of(const AccessContext& ctx, std::string_view fields,
                                               std::string_view rules) {
  std::lock_guard g(recent_mu_);
  for (const auto& p : recent_) {
    if (p && p->actor == ctx.actor && p->purpose == ctx.purpose && p->fields == fields &&
        p->rules == rules && joins(p->roles, ctx.roles))
      return p;
  }
  auto p = make_payload(ctx.actor, join_names(ctx.roles), ctx.purpose, std::string(fields),
                        std::string(rules));
  recent_[next_recent_++ % recent_.size()] = p;
  return p;
}

std::vector<Entry> Log::take_queue() {
  std::lock_guard g(queue_mu_);
  in_flight_ += queue_.size();
  return std::exchange(queue_, {});
}

void Log::landed(std::size_t taken) noexcept {
  std::lock_guard g(queue_mu_);
  in_flight_ -= taken;
}

void Log::put_back(std::vector<Entry>& entries, std::size_t taken) {
  std::lock_guard g(queue_mu_);
  in_flight_ -= taken;
  queue_.insert(queue_.begin(), std::make_move_iterator(entries.begin()),
                std::make_move_iterator(entries.begin() + static_cast<std::ptrdiff_t>(taken)));
}

std::int64_t Log::name_id(db::Connection& c, std::string_view name) {
  const std::string key(name);
  if (auto it = names_.find(key); it != names_.end()) return it->second;
  std::int64_t id = 0;
  {
    auto st = c.cached("SELECT id FROM audit_names WHERE name = ?1");
    st->bind_unowned(1, key);
    if (st->step()) id = st->column_int64(0);
  }
  if (id == 0) {
    c.cached("INSERT INTO audit_names(name) VALUES (?1)")->bind_unowned(1, key).run();
    id = c.last_insert_rowid();
  }
  if (names_.size() >= kNamesCached) names_.clear();
  names_.emplace(key, id);
  return id;
}

const std::array<std::int64_t, 5>& Log::payload_ids(db::Connection& c, const Entry& e) {
  if (auto it = payload_ids_.find(e.payload.get()); it != payload_ids_.end())
    return it->second.second;
  const Payload& p = *e.payload;
  const std::array<std::int64_t, 5> ids{name_id(c, p.actor), name_id(c, p.roles),
                                        name_id(c, p.purpose), name_id(c, p.fields),
                                        name_id(c, p.rules)};
  if (payload_ids_.size() >= kNamesCached) payload_ids_.clear();
  return payload_ids_.emplace(e.payload.get(), std::make_pair(e.payload, ids)).first->second.second;
}

void Log::append(db::Transaction& tx, std::vector<Entry>& entries) {
  if (entries.empty()) return;
  db::Connection& c = tx.connection();
  const std::uint64_t seq_before = seq_;
  const Hash chain_before = chain_;
  // A rollback undoes the rows, so the head goes back, and names this transaction added are gone
  // from the table: the cache starts over.
  tx.on_rollback([this, seq_before, chain_before] {
    seq_ = seq_before;
    chain_ = chain_before;
    names_.clear();
    payload_ids_.clear();
  });
  packer_.clear();
  for (Entry& e : entries) {
    e.seq = seq_ + 1;
    Stored s;
    s.seq = e.seq;
    s.at = e.at;
    s.action = name_id(c, e.action);
    s.allowed = e.allowed;
    s.has_subject = e.has_subject;
    s.subject = e.subject;
    s.ids = payload_ids(c, e);
    s.chain = link(chain_, leaf(e));
    packer_.add(s);
    seq_ = e.seq;
    chain_ = s.chain;
  }
  insert_batch(c, packer_);
  // How far the log reached, beside it: entries deleted from its end show as truncation.
  c.cached(
       "INSERT INTO amanah_meta(key, value) VALUES ('audit_seq', ?1) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      ->bind(1, std::to_string(seq_))
      .run();
  tx.on_commit([this] { written_ = seq_; });
}

void Log::after_commit(const std::vector<Entry>& entries) {
  if (seq_ - checkpointed_ >= checkpoint_every_) checkpoint();
  if (!on_alert_) return;
  if (auto m = core_.manifest(); m != alerts_manifest_) {
    alerts_.configure(m ? m->alerts() : AlertLimits{}, alert_limits_, on_alert_);
    alerts_manifest_ = std::move(m);
  }
  for (const Entry& e : entries)
    alerts_.observe({.at = e.at,
                     .actor = e.payload->actor,
                     .action = e.action,
                     .subject = e.subject_bytes(),
                     .allowed = e.allowed});
}

void Log::checkpoint() noexcept {
  if (!signing_ || !sink_ || seq_ == checkpointed_) return;
  try {
    const TimePoint at = std::chrono::system_clock::time_point(std::chrono::seconds(core_.now()));
    sink_->publish(make_checkpoint(*signing_, core_.store_id(), seq_, chain_, at));
    checkpointed_ = seq_;
  } catch (...) {
    // The sink failed: the store goes on, and offers the next checkpoint (see audit.hpp).
  }
}

void Log::record_write(db::Transaction& tx, const AccessContext& ctx, std::string_view action,
                       std::string_view subject, std::string_view fields, std::string_view rules) {
  auto entries = std::make_shared<std::vector<Entry>>(take_queue());
  const std::size_t queued = entries->size();
  entries->push_back(entry(ctx, action, subject, fields, rules, true));
  // Back to the front of the queue if the write does not commit: no read record is lost.
  tx.on_rollback([this, entries, queued] { put_back(*entries, queued); });
  append(tx, *entries);
  tx.on_commit([this, entries, queued] {
    landed(queued);
    last_sync_ = std::chrono::steady_clock::now();  // a write's commit syncs
    after_commit(*entries);
  });
}

void Log::record_read(const AccessContext& ctx, std::string_view subject, std::string_view fields,
                      std::string_view rules, std::string_view action) {
  if (!log_reads_) return;
  Entry e = entry(ctx, action, subject, fields, rules, true);
  if (!sync_reads_) return enqueue(std::move(e));
  std::lock_guard w(core_.write_mu);
  if (!core_.is_open()) throw Error(ErrorCode::InvalidOperation, "the store is closed");
  {
    std::lock_guard g(queue_mu_);
    queue_.push_back(std::move(e));
  }
  write_queue(true);
}

void Log::record_denial(const AccessContext& ctx, std::string_view action, std::string_view subject,
                        std::string_view fields, std::string_view rules) {
  enqueue(entry(ctx, action, subject, fields, rules, false));
}

void Log::record_denial(const AccessContext& ctx, std::string_view action, std::string_view subject,
                        std::string_view fields, const Decision& d) {
  record_denial(policy::loggable(ctx, d), action, subject, fields, policy::rule_list(d));
}

void Log::enqueue(Entry e) {
  bool queued = false;
  bool wake = false;
  {
    std::lock_guard g(queue_mu_);
    if (queue_.size() + in_flight_ < kQueueLimit) {
      if (queue_.empty()) oldest_ = std::chrono::steady_clock::now();
      queue_.push_back(std::move(e));
      queued = true;
      // The writer thread waits for the first entry (to time it) and for each full batch.
      wake = queue_.size() == 1 || queue_.size() % kReadBatch == 0;
    }
  }
  if (queued) {
    if (wake) queue_cv_.notify_one();
    return;
  }
  // The limit is reached (the writer thread is behind, or the write lock busy): never more than
  // kQueueLimit entries are uncommitted, so this caller waits for the lock and writes them.
  std::lock_guard w(core_.write_mu);
  {
    std::lock_guard g(queue_mu_);
    queue_.push_back(std::move(e));
  }
  if (core_.is_open()) write_queue(false);
}

void Log::run_writer() noexcept {
  using std::chrono::steady_clock;
  std::unique_lock q(queue_mu_);
  for (;;) {
    queue_cv_.wait(q, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const auto due = oldest_ + write_after_;
    queue_cv_.wait_until(
        q, due, [&] { return stopping_ || queue_.empty() || queue_.size() >= kReadBatch; });
    if (stopping_) return;
    if (queue_.empty()) continue;  // a caller wrote them
    if (queue_.size() < kReadBatch && steady_clock::now() < oldest_ + write_after_)
      continue;  // the queue was emptied and refilled meanwhile: its oldest is younger
    q.unlock();
    const Attempt a = try_write();
    q.lock();
    // The write lock is busy (its holder may take the queue with its change), or writing failed
    // (tried again later; the entries stay queued, and callers write them when it fills).
    if (a != Attempt::written)
      queue_cv_.wait_for(q, a == Attempt::busy ? kRetryBusy : write_after_,
                         [&] { return stopping_; });
  }
}

Log::Attempt Log::try_write() noexcept {
  std::unique_lock w(core_.write_mu, std::try_to_lock);
  if (!w.owns_lock()) return Attempt::busy;
  if (!core_.is_open()) return Attempt::failed;
  try {
    write_queue(false);
    return Attempt::written;
  } catch (...) {
    return Attempt::failed;
  }
}

void Log::stop_writer() noexcept {
  {
    std::lock_guard g(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) {
    try {
      writer_.join();
    } catch (...) {
      // join() fails only if called from the writer thread itself, which never closes the store.
    }
  }
}

void Log::set_write_after(std::chrono::milliseconds d) {
  {
    std::lock_guard g(queue_mu_);
    write_after_ = d;
  }
  queue_cv_.notify_all();
}

void Log::flush() {
  std::lock_guard w(core_.write_mu);
  if (core_.is_open()) write_queue(false);
}

void Log::write_queue(bool sync) {
  auto entries = take_queue();
  if (entries.empty()) return;
  try {
    db::Connection& c = core_.data_writer();
    // A checkpoint may only sign entries that are on disk: the batch that completes one syncs.
    // And at least once a second one does, so a power loss takes at most a second of entries.
    const bool due = seq_ + entries.size() - checkpointed_ >= checkpoint_every_ && signing_;
    const auto now = std::chrono::steady_clock::now();
    const bool stale = now - last_sync_ >= kSyncEvery;
    std::optional<UnsyncedCommits> unsynced;
    if (!sync && !due && !stale) unsynced.emplace(c);
    db::Transaction tx(c);
    append(tx, entries);
    tx.commit();
    if (!unsynced) last_sync_ = now;
  } catch (...) {
    put_back(entries, entries.size());
    throw;
  }
  landed(entries.size());
  after_commit(entries);
}

void Log::close() noexcept {
  stop_writer();
  try {
    write_queue(true);
  } catch (...) {
    // Closing with a database that refuses writes: the queued entries are lost.
  }
  checkpoint();
  alerts_.stop();
  alerts_manifest_.reset();
  key_ = {};
  signing_.reset();
}

}  // namespace amanah::detail::audit
