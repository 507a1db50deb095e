#include "audit/log.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <amanah/error.hpp>

#include "audit/checkpoint.hpp"
#include "crypto/crypto.hpp"
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

std::span<const std::byte> as_span(const Hash& h) {
  return {h.data(), h.size()};
}

std::span<const std::byte> blob(const std::string& s) {
  return crypto::as_bytes(s);
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
  {
    auto st = c.prepare("SELECT seq, chain FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (st.step()) {
      seq_ = static_cast<std::uint64_t>(st.column_int64(0));
      const auto h = st.column_blob(1);
      if (h.size() != chain_.size())
        throw Error(ErrorCode::Corrupt, "audit log: the last entry's chain value is damaged");
      std::copy(h.begin(), h.end(), chain_.begin());
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
}

Log::~Log() = default;

void Log::check_options(const std::filesystem::path& dir, const AuditOptions& options) {
  if (options.signing_key != nullptr && !options.sink)
    throw Error(ErrorCode::InvalidArgument,
                "an audit signing key needs a checkpoint sink (AuditOptions::sink)");
  if (options.sink) {
    if (const auto file = options.sink->file()) {
      // A copy of the store directory put back must not bring its own checkpoints with it.
      const auto f = std::filesystem::weakly_canonical(std::filesystem::absolute(*file));
      const auto d = std::filesystem::weakly_canonical(std::filesystem::absolute(dir));
      const auto [end, _] = std::mismatch(d.begin(), d.end(), f.begin(), f.end());
      if (end == d.end())
        throw Error(ErrorCode::InvalidArgument,
                    "the checkpoint file must be outside the store directory");
    }
  }
}

void Log::migrate_access_log() {
  db::Connection& c = core_.data_writer();
  {
    auto st = c.prepare(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'access_log_v4'");
    if (!st.step() || st.column_int64(0) == 0) return;
  }
  db::Transaction tx(c);
  std::vector<Entry> batch;
  auto st = c.prepare(
      "SELECT at, actor, roles, purpose, action, subject, fields, decision, rules "
      "FROM access_log_v4 ORDER BY seq");
  while (st.step()) {
    Entry e;
    e.at = st.column_int64(0);
    e.actor = st.column_text(1);
    e.roles = st.column_text(2);
    e.purpose = st.column_text(3);
    e.action = st.column_text(4);
    crypto::Bytes subject;
    if (crypto::from_hex(st.column_text(5), subject))
      e.subject.assign(reinterpret_cast<const char*>(subject.data()), subject.size());
    e.fields = st.column_text(6);
    e.allowed = st.column_text(7) != "deny";
    e.rules = st.column_text(8);
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
                 std::string_view fields, std::string_view rules, bool allowed) const {
  Entry e;
  e.at = core_.now();
  e.action = std::string(action);
  e.allowed = allowed;
  if (!subject.empty()) e.subject = key_.pseudonym_bytes(subject);
  e.actor = ctx.actor;
  e.roles = join_names(ctx.roles);
  e.purpose = ctx.purpose;
  e.fields = std::string(fields);
  e.rules = std::string(rules);
  return e;
}

std::vector<Entry> Log::take_queue() {
  std::lock_guard g(queue_mu_);
  return std::exchange(queue_, {});
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

const Log::Payload& Log::payload(db::Connection& c, const Entry& e) {
  // A service asks the same questions over and over: one lookup instead of a hash and five.
  std::string bytes = payload_bytes(e);
  if (auto it = payloads_.find(bytes); it != payloads_.end()) return it->second;
  Payload p{.hash = crypto::sha256(crypto::as_bytes(bytes), {}),
            .ids = {name_id(c, e.actor), name_id(c, e.roles), name_id(c, e.purpose),
                    name_id(c, e.fields), name_id(c, e.rules)}};
  if (payloads_.size() >= kNamesCached) payloads_.clear();
  return payloads_.emplace(std::move(bytes), p).first->second;
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
    payloads_.clear();
  });
  auto ins = c.cached(
      "INSERT INTO audit_log(seq, at, action, allowed, subject, actor, roles, purpose, fields, "
      "rules, chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  for (Entry& e : entries) {
    e.seq = seq_ + 1;
    const Payload& p = payload(c, e);
    const Hash next = link(chain_, leaf(e, p.hash));
    ins->reset();
    ins->bind(1, static_cast<std::int64_t>(e.seq))
        .bind(2, e.at)
        .bind(3, name_id(c, e.action))
        .bind(4, std::int64_t{e.allowed ? 1 : 0});
    if (e.subject.empty())
      ins->bind_null(5);
    else
      ins->bind(5, blob(e.subject));
    for (int i = 0; i < 5; ++i)
      ins->bind(6 + i, p.ids[i]);
    ins->bind(11, as_span(next));
    ins->run();
    seq_ = e.seq;
    chain_ = next;
  }
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
                     .actor = e.actor,
                     .action = e.action,
                     .subject = e.subject,
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
  tx.on_rollback([this, entries, queued] {
    std::lock_guard g(queue_mu_);
    queue_.insert(queue_.begin(), std::make_move_iterator(entries->begin()),
                  std::make_move_iterator(entries->begin() + static_cast<std::ptrdiff_t>(queued)));
  });
  append(tx, *entries);
  tx.on_commit([this, entries] {
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
  std::size_t queued = 0;
  {
    std::lock_guard g(queue_mu_);
    if (queue_.size() < kQueueLimit) {
      queue_.push_back(std::move(e));
      queued = queue_.size();
    }
  }
  if (queued != 0 && queued < kReadBatch) return;
  std::unique_lock w(core_.write_mu, std::defer_lock);
  if (queued != 0) {
    if (!w.try_lock()) return;  // the writer writes them with its change
  } else {
    // The queue is full: never more than kQueueLimit entries wait; this one waits for the writer.
    w.lock();
    std::lock_guard g(queue_mu_);
    queue_.push_back(std::move(e));
  }
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
    std::lock_guard g(queue_mu_);
    queue_.insert(queue_.begin(), std::make_move_iterator(entries.begin()),
                  std::make_move_iterator(entries.end()));
    throw;
  }
  after_commit(entries);
}

void Log::close() noexcept {
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
