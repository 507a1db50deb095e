// Retention, legal holds, erasure and the sweep (retention/retention.hpp).
#include "retention/retention.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "manifest/model.hpp"
#include "policy/context.hpp"
#include "store/layout.hpp"
#include "store/time.hpp"

namespace amanah::detail::retention {
namespace {

using records::FieldTimes;
using records::SubjectState;
using Subject = records::Records::Subject;

// 9999-12-31T23:59:59Z: "kept for ever" for every purpose that compares times.
constexpr std::int64_t kNever = 253402300799;

using store::time_point;
using store::unix_seconds;

}  // namespace

std::optional<ErasureReason> parse_reason(std::string_view name) {
  for (const auto r :
       {ErasureReason::subject_request, ErasureReason::consent_withdrawn, ErasureReason::objection,
        ErasureReason::unlawful, ErasureReason::legal_order, ErasureReason::retention_expired})
    if (to_string(r) == name) return r;
  return std::nullopt;
}

std::optional<Schedule> schedule_of(const Manifest& m, const Field& f) {
  const RetentionRule* rule = nullptr;
  for (const auto& r : m.retention())
    if (r.category == f.category) rule = &r;
  if (f.retention.empty() && rule == nullptr) return std::nullopt;
  Schedule s;
  if (!f.retention.empty()) {
    s.rule = "fields." + f.name + ".retention";
    s.keep = f.retention;
  } else {
    s.rule = "retention." + std::string(to_string(f.category));
    s.keep = rule->keep;
  }
  if (rule != nullptr) {
    s.from = rule->from;
    s.basis = rule->basis;
  }
  if (f.retention_from) s.from = *f.retention_from;
  return s;
}

std::int64_t add_keep(std::int64_t anchor, std::string_view keep) {
  using namespace std::chrono;
  if (keep.size() < 2) throw Error(ErrorCode::Internal, "a retention period is malformed");
  std::int64_t n = 0;
  const auto digits = keep.substr(0, keep.size() - 1);
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || n <= 0)
    throw Error(ErrorCode::Internal, "a retention period is malformed");
  if (anchor >= kNever) return kNever;
  switch (keep.back()) {
    case 'd':
      return std::min(kNever, anchor + n * 86400);
    case 'w':
      return std::min(kNever, anchor + n * 7 * 86400);
    case 'm':
    case 'y': {
      const sys_seconds at{seconds(anchor)};
      const sys_days day = floor<days>(at);
      const auto time_of_day = at - day;
      year_month_day ymd{day};
      const std::int64_t months_to_add = keep.back() == 'y' ? n * 12 : n;
      const std::int64_t month_index = static_cast<int>(ymd.year()) * 12LL +
                                       (static_cast<unsigned>(ymd.month()) - 1) + months_to_add;
      if (month_index / 12 > 9999) return kNever;
      const year_month ym{year(static_cast<int>(month_index / 12)),
                          month(static_cast<unsigned>(month_index % 12) + 1)};
      // The same day of the month, or the month's last day if it has fewer.
      const auto last = (ym / std::chrono::last).day();
      const year_month_day target{ym.year(), ym.month(), std::min(ymd.day(), last)};
      return std::min(kNever, (sys_days{target} + time_of_day).time_since_epoch().count());
    }
    default:
      throw Error(ErrorCode::Internal, "a retention period is malformed");
  }
}

std::string Retention::hex_pseudonym(const CustomerId& id) const {
  return crypto::to_hex(crypto::as_bytes(log_.pseudonym(id.str())));
}

std::string Retention::decide_store(const AccessContext& ctx, std::string_view action,
                                    std::string_view subject) {
  const Decision d = policy_.current()->decide_store(ctx, Action::manage_retention);
  if (!d.allowed()) {
    log_.record_denial(ctx, action, subject, "", d);
    throw AccessDenied(d);
  }
  return policy::rule_list(d);
}

std::optional<std::int64_t> Retention::expires(db::Connection& c, const Manifest& m,
                                               const Subject& s, const Field& f,
                                               const Schedule* sch, std::int64_t now) {
  if (s.state == SubjectState::erased_held) {
    const auto it = s.held_until.find(f.name);  // what an erasure's hold kept, until when
    return it != s.held_until.end() ? it->second : now;
  }
  return sch != nullptr ? rule_expiry(c, m, s, f, *sch, now) : std::nullopt;
}

std::optional<std::int64_t> Retention::rule_expiry(db::Connection& c, const Manifest& m,
                                                   const Subject& s, const Field& f,
                                                   const Schedule& sch, std::int64_t now) {
  std::optional<std::int64_t> anchor;
  switch (sch.from) {
    case RetentionFrom::collection:
      anchor = s.collected(f.name);
      break;
    case RetentionFrom::last_activity:
      anchor = s.updated_at;
      break;
    case RetentionFrom::relationship_end:
      anchor = s.ended_at;
      break;
    case RetentionFrom::consent_withdrawal: {
      std::vector<std::string> consent_purposes;
      for (const auto& p : f.purposes)
        if (const Purpose* decl = m.purpose(p); decl && decl->basis == LegalBasis::consent)
          consent_purposes.push_back(p);
      if (!consent_purposes.empty())
        anchor = consents_.consent_ended(c, s.row, consent_purposes, now);
      break;
    }
  }
  if (!anchor) return std::nullopt;
  return add_keep(*anchor, sch.keep);
}

std::optional<LegalHold> Retention::hold_of(db::Connection& c, std::int64_t row, std::int64_t now) {
  auto st = c.cached("SELECT basis, placed_at, until FROM holds WHERE subject_row = ?1");
  st->bind(1, row);
  if (!st->step()) return std::nullopt;
  const std::int64_t until = st->column_int64(2);
  if (until <= now) return std::nullopt;
  const auto basis = manifest::parse_basis(st->column_text(0));
  if (!basis) throw Error(ErrorCode::Corrupt, "a stored legal hold is damaged");
  return LegalHold{*basis, time_point(st->column_int64(1)), time_point(until)};
}

Retention::Removal Retention::remove(db::Transaction& tx, Subject& s,
                                     const std::vector<std::string>& fields,
                                     const std::vector<Held>& held,
                                     std::optional<ErasureReason> reason, std::int64_t now,
                                     std::optional<std::int64_t> recorded_at) {
  db::Connection& c = tx.connection();
  Removal out;
  FieldTimes held_until = s.held_until;
  SubjectState state = s.state;
  if (reason) {
    // An erasure: consents go whatever a hold keeps, and what stays is restricted.
    out.consents = consents_.erase_subject(tx, s.row);
    held_until.clear();
    for (const auto& h : held)
      held_until.insert_or_assign(h.field, h.until);
    if (!held.empty()) state = SubjectState::erased_held;
  }
  for (const auto& f : fields)
    held_until.erase(f);
  out.deleted = records_.remove_fields(tx, s, fields, state, held_until);
  if (out.deleted) c.cached("DELETE FROM holds WHERE subject_row = ?1")->bind(1, s.row).run();
  if (reason) {
    std::optional<std::int64_t> until;
    for (const auto& h : held)
      until = until ? std::max(*until, h.until) : h.until;
    const std::string pseudonym = log_.pseudonym(s.id.str());
    auto st =
        c.cached("INSERT INTO tombstones(subject, at, reason, held_until) VALUES (?1, ?2, ?3, ?4)");
    st->bind(1, crypto::as_bytes(pseudonym))
        .bind(2, recorded_at.value_or(now))
        .bind(3, to_string(*reason));
    if (until)
      st->bind(4, *until);
    else
      st->bind_null(4);
    st->run();
  }
  return out;
}

Retention::Finished Retention::finish(const std::vector<std::string>& released_keys) {
  // After the commit: a key keys.db fails to destroy now is destroyed later (destroy_released).
  Finished done{.keys_destroyed = true};
  for (const auto& k : released_keys)
    done.keys_destroyed = keys_.destroy_released(k) && done.keys_destroyed;
  store::fault_point("erase:keys-destroyed");
  deliver_ledger();
  done.scrubbed = core_.scrub();
  return done;
}

namespace {
// Whether a value of `s` is still sealed under its key.
bool any_sealed(const Subject& s) {
  return std::any_of(s.doc.begin(), s.doc.end(), [](const auto& kv) { return kv.second.sealed; });
}
}  // namespace

ErasureReceipt Retention::erase(const AccessContext& ctx, const CustomerId& id,
                                ErasureReason reason) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  if (reason == ErasureReason::retention_expired)
    throw Error(ErrorCode::InvalidArgument,
                "retention_expired is the sweep's reason: call sweep() to erase what expired");
  const auto t = policy_.current();
  // Decided on what the record holds: `erase` on each field (on every declared field if none).
  const std::vector<std::string> names = records_.held_fields(id);
  const Decision d =
      names.empty() ? t->decide_all(ctx, Action::erase) : t->decide(ctx, Action::erase, names);
  if (!d.allowed()) {
    log_.record_denial(ctx, "erase", id.str(), audit::join_names(names), d);
    throw AccessDenied(d);
  }
  return erase_decided(ctx, id, reason, policy::rule_list(d), nullptr);
}

ErasureReceipt Retention::erase_decided(const AccessContext& ctx, const CustomerId& id,
                                        ErasureReason reason, std::string_view rules,
                                        const Tombstone* replayed) {
  const auto t = policy_.current();
  const Manifest& m = t->manifest();
  ErasureReceipt receipt;
  receipt.subject = hex_pseudonym(id);
  receipt.reason = reason;
  std::vector<std::string> destroy;
  std::lock_guard w(core_.write_mu);
  {
    db::Connection& c = core_.data_writer();
    db::Transaction tx(c);
    auto s = records_.existing(c, id);
    const std::int64_t now = core_.now();
    receipt.at = time_point(now);
    // An erasure request ends the relationship: periods counting from its end start now.
    if (!s.ended_at) {
      records_.set_ended(tx, s, now);
      s.ended_at = now;
    }
    auto customer_hold = hold_of(c, s.row, now);
    // A replayed erasure that a hold kept part of: the ledger names no fields, so the whole
    // record is kept until then (the hold may have been placed after the backup was taken).
    if (replayed != nullptr && replayed->held_until && unix_seconds(*replayed->held_until) > now &&
        (!customer_hold || customer_hold->until < *replayed->held_until))
      customer_hold = LegalHold{LegalBasis::legal_obligation, replayed->at, *replayed->held_until};
    std::vector<Held> held;
    for (const auto& [name, v] : s.doc) {
      // Kept until the later of a hold on the customer and its rule's period, if it has a basis
      // (counted as if the customer were not erased: an erasure held before counts again, so a
      // released hold no longer keeps what only it kept).
      std::optional<Held> keep;
      if (customer_hold)
        keep = Held{name, "customer", customer_hold->basis, unix_seconds(customer_hold->until)};
      const Field* f = m.field(name);
      const auto sch = f != nullptr ? schedule_of(m, *f) : std::nullopt;
      if (sch && sch->basis) {
        // A period whose anchor has not happened (a live consent, which this erasure withdraws;
        // or deleted by an earlier erasure) counts from the relationship's end, i.e. now.
        const std::int64_t until =
            rule_expiry(c, m, s, *f, *sch, now).value_or(add_keep(*s.ended_at, sch->keep));
        if (until > now && (!keep || until > keep->until))
          keep = Held{name, sch->rule, *sch->basis, until};
      }
      if (keep)
        held.push_back(std::move(*keep));
      else
        receipt.erased_fields.push_back(name);
    }
    const std::string key_id = s.key_id;
    const Removal rm =
        remove(tx, s, receipt.erased_fields, held, reason, now,
               replayed != nullptr ? std::optional(unix_seconds(replayed->at)) : std::nullopt);
    receipt.consents_erased = rm.consents;
    if (rm.deleted || !any_sealed(s)) destroy.push_back(key_id);
    store::fault_point("erase:before-commit");
    log_.record_write(tx, ctx, "erase", id.str(), audit::join_names(receipt.erased_fields), rules);
    keys_.doom(destroy);  // a crash after the commit still loses the key (at the next open)
    store::fault_point("erase:doomed");
    tx.commit();
    store::fault_point("erase:committed");
    for (const auto& h : held)
      receipt.held.push_back({h.field, h.hold, h.basis, time_point(h.until)});
  }
  const Finished done = finish(destroy);
  // Not while a held field is still sealed under the key, nor while its destruction is owed.
  receipt.key_destroyed = !destroy.empty() && done.keys_destroyed;
  receipt.scrubbed = done.scrubbed;
  return receipt;
}

void Retention::on_customer(const AccessContext& ctx, const CustomerId& id, std::string_view action,
                            const std::function<bool(db::Transaction&, const Subject&)>& change) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  const std::string rules = decide_store(ctx, action, id.str());
  std::lock_guard w(core_.write_mu);
  db::Transaction tx(core_.data_writer());
  if (!change(tx, records_.existing(tx.connection(), id))) return;
  log_.record_write(tx, ctx, action, id.str(), "", rules);
  tx.commit();
}

void Retention::place_hold(const AccessContext& ctx, const CustomerId& id, LegalBasis basis,
                           std::int64_t until) {
  on_customer(ctx, id, "place_hold", [&](db::Transaction& tx, const Subject& s) {
    if (until <= core_.now())
      throw Error(ErrorCode::InvalidArgument, "a legal hold must end in the future");
    tx.connection()
        .cached(
            "INSERT OR REPLACE INTO holds(subject_row, basis, placed_at, until) "
            "VALUES (?1, ?2, ?3, ?4)")
        ->bind(1, s.row)
        .bind(2, to_string(basis))
        .bind(3, core_.now())
        .bind(4, until)
        .run();
    return true;
  });
}

void Retention::release_hold(const AccessContext& ctx, const CustomerId& id) {
  on_customer(ctx, id, "release_hold", [&](db::Transaction& tx, const Subject& s) {
    if (!hold_of(tx.connection(), s.row, core_.now()))
      throw Error(ErrorCode::NotFound, "the customer has no legal hold in force");
    tx.connection().cached("DELETE FROM holds WHERE subject_row = ?1")->bind(1, s.row).run();
    return true;
  });
}

std::optional<LegalHold> Retention::hold(const CustomerId& id) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  store::DataReader lease(core_);
  return hold_of(*lease, records_.existing(*lease, id).row, core_.now());
}

void Retention::end_relationship(const AccessContext& ctx, const CustomerId& id) {
  on_customer(ctx, id, "end_relationship", [&](db::Transaction& tx, const Subject& s) {
    if (s.ended_at) return false;  // the first end stays
    records_.set_ended(tx, s, core_.now());
    return true;
  });
}

SweepReport Retention::sweep(const AccessContext& ctx, const SweepOptions& options) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  return sweep_decided(ctx, options, decide_store(ctx, "sweep", ""));
}

SweepReport Retention::sweep_after_restore(const AccessContext& ctx) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  return sweep_decided(ctx, {}, "(restore)");
}

SweepReport Retention::sweep_decided(const AccessContext& ctx, const SweepOptions& options,
                                     const std::string& rules) {
  const auto manifest = core_.manifest();
  const Manifest& m = *manifest;
  SweepReport report;
  report.dry_run = options.dry_run;
  const std::int64_t now = core_.now();
  report.at = time_point(now);
  std::map<std::pair<std::string, std::string>, std::size_t> lines;
  std::set<std::string> touched;
  // Each field's schedule, once: a record holding none of these fields is only counted.
  std::map<std::string, Schedule, std::less<>> schedules;
  for (const auto& f : m.fields())
    if (auto sch = schedule_of(m, f)) schedules.emplace(f.name, std::move(*sch));

  std::int64_t after = 0;
  for (;;) {
    // A dry run only reads: a reader, so writers go on; a sweep writes each batch in one
    // transaction under the write lock.
    std::optional<store::DataReader> reader;
    std::unique_lock<std::mutex> w;
    std::optional<db::Transaction> tx;
    if (options.dry_run) {
      reader.emplace(core_);
    } else {
      w = std::unique_lock(core_.write_mu);
      tx.emplace(core_.data_writer());
    }
    db::Connection& c = reader ? **reader : core_.data_writer();
    auto batch = records_.subjects_after(c, after, kSweepBatch);
    if (batch.empty()) break;
    bool wrote = false;
    std::vector<std::string> destroy;
    for (auto& s : batch) {
      after = s.row;
      ++report.customers_checked;
      const bool may_expire = s.state == SubjectState::erased_held ||
                              std::any_of(s.doc.begin(), s.doc.end(), [&](const auto& kv) {
                                return schedules.contains(kv.first);
                              });
      if (!may_expire) continue;
      std::vector<std::string> expired;
      std::vector<std::string> rule_of;
      for (const auto& [name, v] : s.doc) {
        const Field* f = m.field(name);
        if (f == nullptr) continue;
        const auto sch = schedules.find(name);
        const auto e = expires(c, m, s, *f, sch != schedules.end() ? &sch->second : nullptr, now);
        if (!e || *e > now) continue;
        expired.push_back(name);
        rule_of.push_back(sch != schedules.end() ? sch->second.rule : "retention.held");
      }
      if (expired.empty()) continue;
      if (hold_of(c, s.row, now)) {
        report.values_held_back += expired.size();
        continue;
      }
      for (std::size_t i = 0; i < expired.size(); ++i)
        ++lines[{rule_of[i], expired[i]}];
      touched.insert(hex_pseudonym(s.id));
      const bool whole = expired.size() == s.doc.size();
      if (whole) ++report.customers_erased;
      if (options.dry_run) continue;
      const std::string key_id = s.key_id;
      const bool was_held = s.state == SubjectState::erased_held;
      // A customer with nothing left is erased whole (with a tombstone, unless an erasure
      // request already wrote one and a hold kept these fields until now).
      const auto reason =
          whole && !was_held ? std::optional(ErasureReason::retention_expired) : std::nullopt;
      const Removal rm = remove(*tx, s, expired, {}, reason, now);
      if (rm.deleted || (was_held && !any_sealed(s))) destroy.push_back(key_id);
      log_.record_write(*tx, ctx, "erase", s.id.str(), audit::join_names(expired),
                        rules.empty() ? "(retention)" : rules + ",(retention)");
      wrote = true;
    }
    if (wrote) {
      keys_.doom(destroy);
      store::fault_point("sweep:doomed");
      tx->commit();
      store::fault_point("sweep:committed");
      for (const auto& k : destroy)
        (void)keys_.destroy_released(k);
      store::fault_point("sweep:keys-destroyed");
    }
  }
  for (const auto& [k, n] : lines)
    report.lines.push_back({k.first, k.second, n});
  report.subjects.assign(touched.begin(), touched.end());
  if (!options.dry_run && !report.subjects.empty()) {
    std::lock_guard w(core_.write_mu);
    (void)finish({});
  }
  return report;
}

std::vector<Tombstone> Retention::tombstones() {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  store::DataReader lease(core_);
  return read_tombstones(*lease, 0);
}

std::vector<Tombstone> Retention::read_tombstones(db::Connection& c, std::uint64_t after) {
  auto st = c.cached(
      "SELECT seq, subject, at, reason, held_until FROM tombstones WHERE seq > ?1 ORDER BY seq");
  st->bind(1, static_cast<std::int64_t>(after));
  std::vector<Tombstone> out;
  while (st->step()) {
    Tombstone t;
    t.seq = static_cast<std::uint64_t>(st->column_int64(0));
    t.subject = crypto::to_hex(st->column_blob(1));
    t.at = time_point(st->column_int64(2));
    const auto reason = parse_reason(st->column_text(3));
    if (!reason) throw Error(ErrorCode::Corrupt, "a stored tombstone is damaged");
    t.reason = *reason;
    if (!st->is_null(4)) t.held_until = time_point(st->column_int64(4));
    out.push_back(std::move(t));
  }
  return out;
}

LedgerEntry Retention::ledger_entry(const Tombstone& t) const {
  LedgerEntry e{core_.store_id(), t, {}};
  e.mac = crypto::to_hex(core_.keys().ledger().mac(ledger_body(e)));
  return e;
}

bool Retention::ledger_mac_ok(const LedgerEntry& e) const {
  if (e.store_id != core_.store_id()) return false;
  const auto expected = crypto::to_hex(core_.keys().ledger().mac(ledger_body(e)));
  return crypto::equal_ct(crypto::as_bytes(expected), crypto::as_bytes(e.mac));
}

void Retention::deliver_ledger() noexcept {
  if (!ledger_) return;
  try {
    db::Connection& c = core_.data_writer();
    std::uint64_t sent = 0;
    {
      auto st = c.cached("SELECT value FROM amanah_meta WHERE key = 'ledger_seq'");
      if (st->step()) {
        const std::string v = st->column_text(0);
        (void)std::from_chars(v.data(), v.data() + v.size(), sent);
      }
    }
    std::uint64_t last = sent;
    for (const Tombstone& t : read_tombstones(c, sent)) {
      try {
        ledger_->append(ledger_entry(t));
      } catch (...) {
        break;  // handed again after the next erasure, or at the next open
      }
      last = t.seq;
    }
    if (last == sent) return;
    store::fault_point("ledger:appended");
    db::Transaction tx(c);
    c.cached("INSERT OR REPLACE INTO amanah_meta(key, value) VALUES ('ledger_seq', ?1)")
        ->bind(1, std::to_string(last))
        .run();
    tx.commit();
    store::fault_point("ledger:recorded");
  } catch (...) {
    // Best effort: what was not recorded as taken is handed again (a restore skips repeats).
  }
}

Retention::Replayed Retention::replay(const AccessContext& ctx,
                                      const std::vector<Tombstone>& ledger) {
  if (ledger.empty()) return {};
  std::shared_lock gate(core_.gate);
  core_.require_open();
  std::set<std::pair<std::string, std::int64_t>> done;  // (pseudonym, time) of every erasure held
  std::map<std::string, CustomerId, std::less<>> by_pseudonym;
  {
    std::lock_guard w(core_.write_mu);
    db::Connection& c = core_.data_writer();
    db::ReadSnapshot view(c);
    for (const Tombstone& t : read_tombstones(c, 0))
      done.emplace(t.subject, unix_seconds(t.at));
    auto st = c.prepare("SELECT id FROM subjects");
    while (st.step()) {
      CustomerId id = CustomerId::parse(st.column_text(0));
      by_pseudonym.emplace(hex_pseudonym(id), std::move(id));
    }
  }
  std::vector<const Tombstone*> order;
  for (const Tombstone& t : ledger)
    order.push_back(&t);
  std::stable_sort(order.begin(), order.end(),
                   [](const Tombstone* a, const Tombstone* b) { return a->at < b->at; });
  Replayed out;
  for (const Tombstone* t : order) {
    const auto it = by_pseudonym.find(t->subject);
    if (!done.emplace(t->subject, unix_seconds(t->at)).second || it == by_pseudonym.end()) {
      ++out.already;
      continue;
    }
    try {
      (void)erase_decided(ctx, it->second, t->reason, "(ledger)", t);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::NotFound) throw;
      ++out.already;  // erased whole by an earlier entry of the same customer
      continue;
    }
    ++out.replayed;
  }
  return out;
}

}  // namespace amanah::detail::retention
