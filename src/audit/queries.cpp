// The audit log's queries: trail, accesses, breach scope, and the range of entries they return.
//
// A query first decides read_audit (a denial is recorded and thrown), writes the queued entries
// (so it sees every access so far), and is recorded itself as a "read_audit" entry once it holds
// no reader connection (begin_query, end_query). A range shows the entries written before its query
// began, in order of (at, seq), read in batches of kQueryBatch from a leased reader connection, one
// snapshot per batch, with keyset pagination: no connection or statement stays with the range
// between batches.
#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include <amanah/error.hpp>
#include <amanah/policy.hpp>

#include "audit/log.hpp"
#include "crypto/crypto.hpp"
#include "policy/engine.hpp"
#include "store/core.hpp"

namespace amanah {

// Where a range stands. It refers to the store's core: the store must outlive the range.
struct AuditEntries::State {
  enum class By { subject, actor };
  detail::store::Core* core = nullptr;
  By by = By::subject;
  std::string subject;       // the raw pseudonym (By::subject)
  std::int64_t actor = 0;    // the actor's audit_names id (By::actor)
  std::int64_t to = 0;       // the last second, inclusive
  std::int64_t through = 0;  // the last seq written before the query
  // The last entry returned (before the first: the first second and seq 0).
  std::int64_t at = 0;
  std::int64_t seq = 0;
  std::vector<AuditEntry> batch;
  std::size_t pos = 0;
  bool done = false;

  bool fetch();
};

namespace detail::audit {
namespace {

constexpr std::size_t kQueryBatch = 256;

// Whole seconds of a TimePoint, without overflow at TimePoint::min() and max().
using Rep = TimePoint::rep;
constexpr Rep kPerSecond =
    std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(1)).count();
static_assert(kPerSecond >= 1, "TimePoint counts seconds or finer");

std::int64_t floor_seconds(TimePoint t) {
  const Rep c = t.time_since_epoch().count();
  return static_cast<std::int64_t>(c / kPerSecond - (c % kPerSecond < 0 ? 1 : 0));
}
std::int64_t ceil_seconds(TimePoint t) {
  const Rep c = t.time_since_epoch().count();
  return static_cast<std::int64_t>(c / kPerSecond + (c % kPerSecond > 0 ? 1 : 0));
}
// An entry's time (a damaged one beyond what a TimePoint holds is clamped).
TimePoint time_point(std::int64_t s) {
  static const std::int64_t lo = ceil_seconds(TimePoint::min());
  static const std::int64_t hi = floor_seconds(TimePoint::max());
  return TimePoint(std::chrono::seconds(std::clamp(s, lo, hi)));
}

// "a,b,c" → {"a", "b", "c"}; "" → {}.
std::vector<std::string> split(std::string_view names) {
  std::vector<std::string> out;
  if (names.empty()) return out;
  for (;;) {
    const std::size_t comma = names.find(',');
    out.emplace_back(names.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    names.remove_prefix(comma + 1);
  }
}

std::optional<std::int64_t> find_name(db::Connection& c, std::string_view name) {
  auto st = c.cached("SELECT id FROM audit_names WHERE name = ?1");
  st->bind(1, name);
  if (!st->step()) return std::nullopt;
  return st->column_int64(0);
}

// One batch's statement. Within the second of the last entry returned, the entries after it by
// seq (audit_by_time is (at, seq): one index seek however many share that second); then the
// later seconds. A payload erased (its columns NULL) reads as empty names.
std::string batch_sql(AuditEntries::State::By by, bool same_second) {
  std::string sql =
      "SELECT l.seq, l.at, a.name, l.allowed, l.subject, ac.name, ro.name, pu.name, fi.name, "
      "ru.name FROM audit_log l "
      "LEFT JOIN audit_names a ON a.id = l.action LEFT JOIN audit_names ac ON ac.id = l.actor "
      "LEFT JOIN audit_names ro ON ro.id = l.roles LEFT JOIN audit_names pu ON pu.id = l.purpose "
      "LEFT JOIN audit_names fi ON fi.id = l.fields LEFT JOIN audit_names ru ON ru.id = l.rules ";
  sql += same_second ? "WHERE l.at = ?1 AND l.seq > ?2 " : "WHERE l.at > ?1 AND l.at <= ?2 ";
  sql += "AND l.seq <= ?3 ";
  sql += by == AuditEntries::State::By::subject ? "AND l.subject = ?4 " : "AND l.actor = ?4 ";
  sql += same_second ? "ORDER BY l.seq LIMIT ?5" : "ORDER BY l.at, l.seq LIMIT ?5";
  return sql;
}

AuditEntry entry_of(db::Statement& st) {
  AuditEntry e;
  e.seq = static_cast<std::uint64_t>(st.column_int64(0));
  e.at = time_point(st.column_int64(1));
  e.action = st.column_text(2);
  e.allowed = st.column_int64(3) != 0;
  if (const auto subject = st.column_blob(4); !subject.empty()) e.subject = crypto::to_hex(subject);
  e.actor = st.column_text(5);
  e.roles = split(st.column_text(6));
  e.purpose = st.column_text(7);
  e.fields = split(st.column_text(8));
  e.rules = split(st.column_text(9));
  return e;
}

// The next batch of `s` (empty at the end); the cursor moves past it.
std::vector<AuditEntry> read_batch(AuditEntries::State& s) {
  using By = AuditEntries::State::By;
  std::shared_lock gate(s.core->gate);
  s.core->require_open();
  auto lease = s.core->data_readers().acquire();
  db::ReadSnapshot snapshot(*lease);
  std::vector<AuditEntry> out;
  std::int64_t last_at = s.at;
  std::int64_t last_seq = s.seq;
  const auto run = [&](bool same_second) {
    auto st = lease->cached(batch_sql(s.by, same_second));
    st->bind(1, s.at).bind(2, same_second ? s.seq : s.to).bind(3, s.through);
    if (s.by == By::subject)
      st->bind(4, crypto::as_bytes(s.subject));
    else
      st->bind(4, s.actor);
    st->bind(5, static_cast<std::int64_t>(kQueryBatch - out.size()));
    while (st->step()) {
      out.push_back(entry_of(*st));
      last_seq = st->column_int64(0);
      last_at = st->column_int64(1);
    }
  };
  run(true);
  if (out.size() < kQueryBatch && s.at < s.to) run(false);
  s.at = last_at;
  s.seq = last_seq;
  return out;
}

}  // namespace

Log::Query Log::begin_query(const AccessContext& ctx, std::string_view subject) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  Decision d = policy_.current()->decide_store(ctx, Action::read_audit);
  if (!d.allowed()) {
    record_denial(ctx, "read_audit", subject, "", d);
    throw AccessDenied(d);
  }
  {
    std::lock_guard w(core_.write_mu);
    if (core_.is_open()) write_queue(false);
  }
  return {.gate = std::move(gate), .decision = std::move(d), .written = written_.load()};
}

void Log::end_query(const AccessContext& ctx, std::string_view subject, const Query& q) {
  record_read(ctx, subject, "", policy::rule_list(q.decision, Effect::allow), "read_audit");
}

namespace {

// A range over [from, to] of what was written before the query.
std::unique_ptr<AuditEntries::State> range(store::Core& core, const Log::Query& q,
                                           AuditEntries::State::By by, TimePoint from,
                                           TimePoint to) {
  auto s = std::make_unique<AuditEntries::State>();
  s->core = &core;
  s->by = by;
  s->at = ceil_seconds(from);
  s->to = floor_seconds(to);
  s->through = static_cast<std::int64_t>(q.written);
  s->done = s->at > s->to;
  return s;
}

}  // namespace

AuditEntries Log::trail(const AccessContext& ctx, std::string_view subject_id, TimePoint from,
                        TimePoint to) {
  const Query q = begin_query(ctx, subject_id);
  auto s = range(core_, q, AuditEntries::State::By::subject, from, to);
  s->subject = pseudonym(subject_id);
  end_query(ctx, subject_id, q);
  return AuditEntries(std::move(s));
}

AuditEntries Log::accesses(const AccessContext& ctx, std::string_view actor, TimePoint from,
                           TimePoint to) {
  const Query q = begin_query(ctx, "");
  auto s = range(core_, q, AuditEntries::State::By::actor, from, to);
  if (!s->done) {
    auto lease = core_.data_readers().acquire();
    const auto id = find_name(*lease, actor);
    if (id)
      s->actor = *id;
    else
      s->done = true;  // an actor the log never named
  }
  end_query(ctx, "", q);
  return AuditEntries(std::move(s));
}

// Entries and denials count every entry of the actor in the window. Subjects are the customers of
// its allowed entries (reads, writes, consent events). Fields and categories count the field
// names of its allowed entries about one customer, consent events aside (their field column holds
// the purpose): a scan's own entry and a manifest change's are not about one customer, and the
// scan's reads are counted customer by customer.
BreachScope Log::breach_scope(const AccessContext& ctx, std::string_view actor, TimePoint from,
                              TimePoint to) {
  const Query q = begin_query(ctx, "");
  const std::int64_t lo = ceil_seconds(from);
  const std::int64_t hi = floor_seconds(to);
  BreachScope out;
  std::map<std::string, std::uint64_t> fields;
  {
    auto lease = core_.data_readers().acquire();
    db::Connection& c = *lease;
    db::ReadSnapshot snapshot(c);
    const auto id = lo <= hi ? find_name(c, actor) : std::nullopt;
    if (id) {
      {
        auto st = c.prepare(
            "SELECT count(*), coalesce(sum(allowed = 0), 0) FROM audit_log "
            "WHERE at BETWEEN ?1 AND ?2 AND actor = ?3");
        st.bind(1, lo).bind(2, hi).bind(3, *id);
        if (st.step()) {
          out.entries = static_cast<std::uint64_t>(st.column_int64(0));
          out.denied = static_cast<std::uint64_t>(st.column_int64(1));
        }
      }
      std::unordered_map<std::string, std::size_t> by_pseudonym;  // raw bytes → index
      {
        auto st = c.prepare(
            "SELECT subject, count(*) FROM audit_log WHERE at BETWEEN ?1 AND ?2 AND actor = ?3 "
            "AND allowed = 1 AND subject IS NOT NULL GROUP BY subject");
        st.bind(1, lo).bind(2, hi).bind(3, *id);
        while (st.step()) {
          const auto raw = st.column_blob(0);
          by_pseudonym.emplace(std::string(reinterpret_cast<const char*>(raw.data()), raw.size()),
                               out.subjects.size());
          out.subjects.push_back(
              BreachScope::Subject{.pseudonym = crypto::to_hex(raw),
                                   .accesses = static_cast<std::uint64_t>(st.column_int64(1))});
        }
      }
      {
        auto st = c.prepare(
            "SELECT n.name, count(*) FROM audit_log l JOIN audit_names n ON n.id = l.fields "
            "JOIN audit_names a ON a.id = l.action WHERE l.at BETWEEN ?1 AND ?2 AND l.actor = ?3 "
            "AND l.allowed = 1 AND l.subject IS NOT NULL "
            "AND a.name NOT IN ('consent_grant', 'consent_withdraw') GROUP BY l.fields");
        st.bind(1, lo).bind(2, hi).bind(3, *id);
        while (st.step()) {
          const auto n = static_cast<std::uint64_t>(st.column_int64(1));
          for (auto& f : split(st.column_text(0)))
            fields[std::move(f)] += n;
        }
      }
      if (!by_pseudonym.empty()) {
        // The customers still in the store, by pseudonym (a read of subjects.id: see
        // docs/ARCHITECTURE.md).
        std::size_t named = 0;
        auto st = c.prepare("SELECT id FROM subjects");
        while (named < by_pseudonym.size() && st.step()) {
          const std::string sid = st.column_text(0);
          const auto it = by_pseudonym.find(key_.pseudonym_bytes(sid));
          if (it == by_pseudonym.end()) continue;
          out.subjects[it->second].id = CustomerId::parse(sid);
          ++named;
        }
      }
    }
  }
  std::sort(out.subjects.begin(), out.subjects.end(),
            [](const auto& a, const auto& b) { return a.pseudonym < b.pseudonym; });
  const auto manifest = core_.manifest();
  std::map<std::string, std::uint64_t> categories;
  for (const auto& [name, n] : fields) {
    const Field* f = manifest->field(name);
    categories[f != nullptr ? std::string(to_string(f->category)) : "(undeclared)"] += n;
  }
  out.fields.assign(fields.begin(), fields.end());
  out.categories.assign(categories.begin(), categories.end());
  end_query(ctx, "", q);
  return out;
}

}  // namespace detail::audit

// --- the public range

bool AuditEntries::State::fetch() {
  batch.clear();
  pos = 0;
  if (!done) batch = detail::audit::read_batch(*this);
  done = batch.empty();
  return !done;
}

AuditEntries::AuditEntries(std::unique_ptr<State> state) : state_(std::move(state)) {}
AuditEntries::AuditEntries(AuditEntries&&) noexcept = default;
AuditEntries& AuditEntries::operator=(AuditEntries&&) noexcept = default;
AuditEntries::~AuditEntries() = default;

AuditEntries::iterator AuditEntries::begin() {
  if (!state_ || state_->done) return iterator{};
  if (state_->pos >= state_->batch.size() && !state_->fetch()) return iterator{};
  return iterator{this};
}

bool AuditEntries::advance() {
  if (++state_->pos < state_->batch.size()) return true;
  return state_->fetch();
}

const AuditEntry& AuditEntries::iterator::operator*() const {
  return range_->state_->batch[range_->state_->pos];
}
const AuditEntry* AuditEntries::iterator::operator->() const {
  return &**this;
}
AuditEntries::iterator& AuditEntries::iterator::operator++() {
  if (!range_->advance()) range_ = nullptr;
  return *this;
}

}  // namespace amanah
