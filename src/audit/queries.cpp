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

#include "audit/batch.hpp"
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
  std::int64_t from = 0;     // the first second, inclusive
  std::int64_t to = 0;       // the last second, inclusive
  std::int64_t through = 0;  // the last seq written before the query
  std::int64_t seq = 0;      // the last entry looked at (0 before the first)
  std::unordered_map<std::int64_t, std::string> names;  // audit_names seen so far
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

// The name with id `id` (empty for none: an erased payload's, or a damaged entry's).
const std::string& name_of(db::Connection& c, std::unordered_map<std::int64_t, std::string>& names,
                           std::int64_t id) {
  if (auto it = names.find(id); it != names.end()) return it->second;
  std::string name;
  auto st = c.cached("SELECT name FROM audit_names WHERE id = ?1");
  st->bind(1, id);
  if (st->step()) name = st->column_text(0);
  return names.emplace(id, std::move(name)).first->second;
}

AuditEntry entry_of(db::Connection& c, std::unordered_map<std::int64_t, std::string>& names,
                    const Stored& s) {
  AuditEntry e;
  e.seq = s.seq;
  e.at = time_point(s.at);
  e.action = name_of(c, names, s.action);
  e.allowed = s.allowed;
  if (s.has_subject) e.subject = crypto::to_hex(crypto::as_bytes(s.subject_bytes()));
  if (!s.erased) {
    e.actor = name_of(c, names, s.ids[0]);
    e.roles = split(name_of(c, names, s.ids[1]));
    e.purpose = name_of(c, names, s.ids[2]);
    e.fields = split(name_of(c, names, s.ids[3]));
    e.rules = split(name_of(c, names, s.ids[4]));
  }
  return e;
}

// The batch rows that may hold entries after seq ?1 (from the row holding the next one), up to
// seq ?2, within seconds [?3, ?4]; the rowid seeks it, a row's locators do the rest.
constexpr const char* kRowsSql =
    "SELECT entries FROM audit_log WHERE first >= (SELECT coalesce(max(first), 0) FROM audit_log "
    "WHERE first <= ?1 + 1) AND first <= ?2 AND max_at >= ?3 AND min_at <= ?4 ORDER BY first";

// The next batch of `s` (empty at the end); the cursor moves past it.
std::vector<AuditEntry> read_batch(AuditEntries::State& s) {
  using By = AuditEntries::State::By;
  std::shared_lock gate(s.core->gate);
  s.core->require_open();
  auto lease = s.core->data_readers().acquire();
  db::ReadSnapshot snapshot(*lease);
  std::vector<AuditEntry> out;
  auto st = lease->cached(kRowsSql);
  st->bind(1, s.seq).bind(2, s.through).bind(3, s.from).bind(4, s.to);
  while (out.size() < kQueryBatch && st->step()) {
    Unpacker u(st->column_blob(0));
    Stored e;
    while (out.size() < kQueryBatch && u.next(e)) {
      const auto seq = static_cast<std::int64_t>(e.seq);
      if (seq <= s.seq) continue;
      if (seq > s.through) break;
      s.seq = seq;
      if (e.at < s.from || e.at > s.to) continue;
      const bool match = s.by == By::subject ? e.has_subject && e.subject_bytes() == s.subject
                                             : !e.erased && e.ids[0] == s.actor;
      if (match) out.push_back(entry_of(*lease, s.names, e));
    }
  }
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
  flush();
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
  s->from = ceil_seconds(from);
  s->to = floor_seconds(to);
  s->through = static_cast<std::int64_t>(q.written);
  s->done = s->from > s->to;
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
      const auto grant = find_name(c, "consent_grant");
      const auto withdraw = find_name(c, "consent_withdraw");
      std::unordered_map<std::string, std::size_t> by_pseudonym;  // raw bytes → index
      std::unordered_map<std::int64_t, std::uint64_t> by_fields;  // field list id → accesses
      auto st = c.prepare(
          "SELECT entries FROM audit_log WHERE max_at >= ?1 AND min_at <= ?2 ORDER BY first");
      st.bind(1, lo).bind(2, hi);
      while (st.step()) {
        Unpacker u(st.column_blob(0));
        Stored e;
        while (u.next(e)) {
          if (e.erased || e.ids[0] != *id || e.at < lo || e.at > hi) continue;
          ++out.entries;
          if (!e.allowed) {
            ++out.denied;
            continue;
          }
          if (!e.has_subject) continue;
          const auto [it, added] =
              by_pseudonym.try_emplace(std::string(e.subject_bytes()), out.subjects.size());
          if (added)
            out.subjects.push_back(BreachScope::Subject{
                .pseudonym = crypto::to_hex(crypto::as_bytes(e.subject_bytes()))});
          ++out.subjects[it->second].accesses;
          if (e.action != grant && e.action != withdraw) ++by_fields[e.ids[3]];
        }
      }
      st.reset();
      std::unordered_map<std::int64_t, std::string> names;
      for (const auto& [list, n] : by_fields)
        for (auto& f : split(name_of(c, names, list)))
          fields[std::move(f)] += n;
      if (!by_pseudonym.empty()) {
        // The customers still in the store, by pseudonym (a read of subjects.id: see
        // docs/ARCHITECTURE.md).
        std::size_t named = 0;
        auto ids = c.prepare("SELECT id FROM subjects");
        while (named < by_pseudonym.size() && ids.step()) {
          const std::string sid = ids.column_text(0);
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
