// Customer records: insert, get, update, find, scan, duplicates and merge.
#include "records/records.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "manifest/stored.hpp"
#include "policy/context.hpp"
#include "store/layout.hpp"
#include "values/values.hpp"

namespace amanah {

struct RecordScan::State {
  detail::records::Records* records = nullptr;
  AccessContext ctx;
  Decision decision;  // taken when the scan began: its fields and masks hold for every batch
  bool raw = false;   // unmasked (find_duplicates compares values, never shows them)
  std::vector<Record> batch;
  std::size_t pos = 0;
  std::int64_t last_row = 0;  // keyset pagination: no statement stays open between batches
  bool done = false;

  bool fetch() {
    batch = records->scan_batch(ctx, decision, last_row, raw);
    pos = 0;
    done = batch.empty();
    return !done;
  }
};

// The digests of the unique values a scope's accepted records hold (field name and index form
// under a key drawn for this scope alone), each with the position of the record that holds it.
struct ValidationScope::State {
  using Digest = std::array<std::byte, 32>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      std::size_t h = 0;  // the digest is uniformly random already
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  detail::crypto::HmacSha256 digest{SecretBytes::random(detail::crypto::kKeySize).view()};
  std::unordered_map<Digest, std::size_t, DigestHash> seen;
  std::size_t records = 0;
  std::string store_id;  // of the store that filled it; empty until the first validate()

  [[nodiscard]] Digest of(std::string_view field, std::string_view form) const {
    std::string message;
    message.reserve(field.size() + 1 + form.size());
    message.append(field).push_back('\0');
    message.append(form);
    Digest d = digest(detail::crypto::as_bytes(message));
    std::fill(message.begin(), message.end(), '\0');
    return d;
  }
};

ValidationScope::ValidationScope() : state_(std::make_unique<State>()) {}
ValidationScope::ValidationScope(ValidationScope&&) noexcept = default;
ValidationScope& ValidationScope::operator=(ValidationScope&&) noexcept = default;
ValidationScope::~ValidationScope() = default;
std::size_t ValidationScope::records() const noexcept {
  return state_ != nullptr ? state_->records : 0;
}

namespace detail::records {
namespace {

using audit::join_names;
using policy::declared;
using policy::Outcome;
using policy::Verdict;

constexpr std::size_t kScanBatch = 256;

// A caller's value, read per the field's input format (and a per-import one over it).
values::Normalized normalize(const Field& f, std::string_view input,
                             const InputFormats* formats = nullptr) {
  try {
    const auto over = formats != nullptr ? formats->find(f.name) : InputFormats::const_iterator{};
    const bool overridden = formats != nullptr && over != formats->end();
    return values::normalize_input(f, overridden ? values::merge(f.input, over->second) : f.input,
                                   input);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::Validation) throw;
    throw Error(ErrorCode::Validation, "field '" + f.name + "': " + e.message());
  }
}

// A per-import InputFormats names declared fields, with options valid for each field's type.
void check_formats(const Manifest& m, const InputFormats* formats) {
  if (formats == nullptr) return;
  for (const auto& [name, format] : *formats) {
    const Field* f = m.field(name);
    if (f == nullptr)
      throw Error(ErrorCode::InvalidArgument, "input formats name an undeclared field");
    if (const auto p = values::check_input_format(f->type, format))
      throw Error(ErrorCode::InvalidArgument, "input format of field '" + name +
                                                  "': " + std::string(p->key) + ": " +
                                                  std::string(p->what));
  }
}

// A validated record before sealing: field -> normalized value (nullopt: clear).
using Prepared = std::map<std::string, std::optional<values::Normalized>, std::less<>>;

Prepared prepare(const Manifest& m, const FieldChanges& in, std::vector<Warning>* warnings,
                 const InputFormats* formats = nullptr) {
  Prepared out;
  for (const auto& [name, value] : in) {
    const Field& f = declared(m, name);
    if (!value) {
      out.emplace(name, std::nullopt);
      continue;
    }
    values::Normalized n = normalize(f, *value, formats);
    if (warnings)
      for (const auto& w : n.warnings)
        warnings->push_back({name, w});
    out.emplace(name, std::move(n));
  }
  return out;
}

FieldChanges as_changes(const FieldValues& v) {
  FieldChanges c;
  for (const auto& [k, val] : v)
    c.emplace(k, val);
  return c;
}

DocValue stored_value(const Field& f, std::string_view subject, std::string_view key_id,
                      const keys::SubjectKey& key, const values::Normalized& n) {
  if (f.encrypted() || n.nik_like) return seal_value(key, subject, f.name, key_id, n.value);
  DocValue v;
  v.text = n.value;
  return v;
}

// What indexes compare, from a stored canonical value.
std::string stored_index_form(const Field& f, std::string_view canonical) {
  // Canonical values normalize to themselves, except cards (kept as brand and last 4 only).
  if (f.type == FieldType::card) return std::string(canonical);
  return values::normalize(f.type, canonical, f.max_length).index_form;
}

// `n` fresh random ids, drawn in one call.
std::vector<CustomerId> new_ids(std::size_t n) {
  constexpr std::size_t kIdSize = 16;
  const crypto::Bytes bytes = crypto::random_bytes(n * kIdSize);
  std::vector<CustomerId> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(
        CustomerId::parse(crypto::to_hex(std::span(bytes).subspan(i * kIdSize, kIdSize))));
  return out;
}

template <class Map>
std::vector<std::string> names_of(const Map& p) {
  std::vector<std::string> out;
  for (const auto& [k, v] : p)
    out.push_back(k);
  return out;
}

Doc load_doc(db::Statement& st, int col) {
  return decode(st.column_blob(col));
}

bool any_allowed(const Decision& d) {
  const Verdict& v = policy::Table::verdict(d);
  return std::any_of(v.outcomes.begin(), v.outcomes.end(),
                     [](const Outcome& o) { return o.effect == Effect::allow; });
}

// Whether some field `d` allows is allowed by a permit that reaches restricted customers.
bool any_reaches_restricted(const Decision& d) {
  const Verdict& v = policy::Table::verdict(d);
  return std::any_of(v.outcomes.begin(), v.outcomes.end(),
                     [](const Outcome& o) { return o.effect == Effect::allow && o.restricted_ok; });
}

}  // namespace

std::shared_ptr<const policy::Table> Records::table(const std::vector<std::string>& fields) {
  core_.require_open();
  auto t = policy_.current();
  for (const auto& f : fields)
    (void)declared(t->manifest(), f);
  return t;
}

void Records::require(const Decision& d, const AccessContext& ctx, std::string_view action,
                      std::string_view subject, std::string_view fields) {
  if (d.allowed()) return;
  log_.record_denial(ctx, action, subject, fields, d);
  throw AccessDenied(d);
}

void Records::deny_consent(const AccessContext& ctx, std::string_view action,
                           std::string_view subject) {
  log_.record_denial(ctx, action, subject, "", "(no live consent)");
  throw Error(ErrorCode::ConsentRequired,
              "the customer has no live consent to purpose " + policy::quoted(ctx.purpose, true));
}

void Records::deny_restricted(const AccessContext& ctx, std::string_view action,
                              std::string_view subject) {
  log_.record_denial(ctx, action, subject, "", "(restricted)");
  throw Error(ErrorCode::Restricted,
              "the customer's processing is restricted: only a permit with restricted = true "
              "reaches them");
}

void Records::deny_objected(const AccessContext& ctx, std::string_view action,
                            std::string_view subject) {
  log_.record_denial(ctx, action, subject, "", "(objected)");
  throw Error(ErrorCode::Objected, "the customer objected to processing for purpose " +
                                       policy::quoted(ctx.purpose, true));
}

bool Records::objected(const Manifest& m, const AccessContext& ctx, std::int64_t row) const {
  const Purpose* p = m.purpose(ctx.purpose);
  if (p == nullptr ||
      (p->basis != LegalBasis::legitimate_interest && p->basis != LegalBasis::public_task))
    return false;
  return consents_.objected(row, ctx.purpose);
}

bool Records::exists(const CustomerId& id) {
  store::DataReader lease(core_);
  auto st = lease->cached("SELECT 1 FROM subjects WHERE id = ?1");
  st->bind(1, id.str());
  return st->step();
}

Record Records::shown(const Verdict& v, const CustomerId& id, const Loaded& l,
                      const keys::SubjectKey* key, bool raw) {
  Record r;
  r.id = id;
  std::optional<keys::SubjectKey> own;
  const Manifest& m = v.table->manifest();
  for (const Outcome& o : v.outcomes) {
    if (o.effect != Effect::allow || o.field >= Outcome::kStore) continue;
    // A restricted customer: only what a permit naming that state allows.
    if (l.state != SubjectState::active && !o.restricted_ok) continue;
    const Field& f = m.fields()[o.field];
    const auto it = l.doc.find(f.name);
    if (it == l.doc.end()) continue;
    std::string plain;
    if (it->second.sealed) {
      if (key == nullptr) key = &own.emplace(keys_.get(l.key_id));
      plain = open_value(*key, id.str(), f.name, l.key_id, it->second);
    } else {
      plain = it->second.text;
    }
    if (raw || o.mask == Mask::none) {
      r.fields.insert_or_assign(f.name, std::move(plain));
    } else if (auto masked = masks_.show(f, o.mask, plain)) {
      r.fields.insert_or_assign(f.name, std::move(*masked));
    }
  }
  return r;
}

std::string Records::plain_value(std::string_view subject, std::string_view key_id,
                                 std::string_view field, const DocValue& v) {
  if (!v.sealed) return v.text;
  return open_value(keys_.get(key_id), subject, field, key_id, v);
}

std::vector<Records::Holder> Records::tagged(db::Connection& c, const Field& f, std::int64_t tag) {
  // One statement for the index and the candidates' records (one read transaction, not 1 + n).
  std::vector<std::pair<std::string, Loaded>> candidates;
  {
    auto st = c.cached(
        "SELECT s.id, s.key_id, s.doc, s.row, s.state FROM blind_index b JOIN subjects s "
        "ON s.row = b.subject_row WHERE b.field = ?1 AND b.tag = ?2");
    st->bind(1, f.name).bind(2, tag);
    while (st->step())
      candidates.emplace_back(st->column_text(0),
                              Loaded{st->column_text(1), load_doc(*st, 2), st->column_int64(3),
                                     static_cast<SubjectState>(st->column_int64(4))});
  }
  std::vector<Holder> out;
  for (auto& [id, l] : candidates) {
    const auto it = l.doc.find(f.name);
    if (it == l.doc.end()) continue;
    std::string form = stored_index_form(f, plain_value(id, l.key_id, f.name, it->second));
    out.push_back({std::move(id), l.row, std::move(form), l.state});
  }
  return out;
}

std::vector<Records::Holder> Records::holders(db::Connection& c, const Field& f,
                                              const std::string& form) {
  std::vector<Holder> out;
  for (auto& h : tagged(c, f, index_.tag(f, form)))
    if (h.form == form) out.push_back(std::move(h));
  return out;
}

void Records::check_unique(db::Connection& c, const Field& f, const std::string& form,
                           std::string_view self) {
  for (const auto& h : holders(c, f, form))
    if (h.id != self)
      throw Error(ErrorCode::Duplicate,
                  "field '" + f.name + "' already holds this value for another customer");
}

std::vector<CustomerId> Records::insert_many(const AccessContext& ctx,
                                             const std::vector<FieldValues>& records,
                                             std::vector<Warning>* warnings,
                                             const InputFormats* formats) {
  std::shared_lock gate(core_.gate);
  std::vector<std::string> names;  // every field given, once
  {
    std::set<std::string, std::less<>> given;
    for (const auto& r : records) {
      if (r.empty()) throw Error(ErrorCode::InvalidArgument, "a record to insert names no field");
      for (const auto& [k, v] : r)
        given.insert(k);
    }
    names.assign(given.begin(), given.end());
  }
  const auto t = table(names);
  const Manifest* m = &t->manifest();
  check_formats(*m, formats);
  if (records.empty()) return {};
  const auto asked = policy::ask(*t, ctx, Action::create, names);
  const Decision& d = asked->decision;
  require(d, ctx, "create", "", join_names(names));
  const std::string& rules = asked->rules;
  // Everything is validated before anything is written. In a batch, errors and warnings name
  // the record's position.
  const bool batch = records.size() > 1;
  const auto at = [&](std::size_t i, const Error& e) {
    return batch ? Error(e.code(), "record " + std::to_string(i) + ": " + e.message()) : e;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::size_t warned = warnings != nullptr ? warnings->size() : 0;
    try {
      prepared.push_back(prepare(*m, as_changes(records[i]), warnings, formats));
    } catch (const Error& e) {
      throw at(i, e);
    }
    if (warnings != nullptr)
      for (std::size_t k = warned; k < warnings->size(); ++k)
        (*warnings)[k].record = i;
  }
  // Unique values must also differ within the batch.
  std::map<std::pair<std::string, std::string>, std::size_t> seen;
  for (std::size_t i = 0; i < prepared.size(); ++i)
    for (const auto& [name, n] : prepared[i])
      if (m->field(name)->unique) {
        const auto [it, fresh] = seen.emplace(std::pair{name, n->index_form}, i);
        if (!fresh)
          throw Error(ErrorCode::Duplicate, "records " + std::to_string(it->second) + " and " +
                                                std::to_string(i) + ": field '" + name +
                                                "' holds the same value in both");
      }

  std::lock_guard w(core_.write_mu);
  db::Connection& c = core_.data_writer();
  db::Transaction tx(c);
  for (std::size_t i = 0; i < prepared.size(); ++i)
    for (const auto& [name, n] : prepared[i]) {
      const Field& f = *m->field(name);
      try {
        if (f.unique) check_unique(c, f, n->index_form, {});
      } catch (const Error& e) {
        throw at(i, e);
      }
    }
  keys_.reserve(prepared.size());
  std::vector<CustomerId> ids = new_ids(prepared.size());
  auto ins = c.cached(
      "INSERT INTO subjects(id, key_id, doc, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)");
  const std::int64_t now = core_.now();
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    const Prepared& p = prepared[i];
    const CustomerId& id = ids[i];
    const auto key = keys_.acquire(tx);
    Doc doc;
    for (const auto& [name, n] : p)
      doc.emplace(name, stored_value(*m->field(name), id.str(), key.id, key.key, *n));
    store::fault_point("insert_many:row");
    ins->bind(1, id.str()).bind(2, key.id).bind(3, encode(doc)).bind(4, now).run();
    const std::int64_t row = c.last_insert_rowid();
    for (const auto& [name, n] : p) {
      const Field& f = *m->field(name);
      if (f.lookup) index_.add(c, row, f, n->index_form);
    }
    log_.record_write(tx, ctx, "create", id.str(), join_names(names_of(p)), rules);
  }
  tx.commit();
  return ids;
}

std::vector<RecordProblem> Records::validate(const AccessContext& ctx,
                                             const std::vector<FieldValues>& records,
                                             std::vector<Warning>* warnings,
                                             const InputFormats* formats, ValidationScope* scope) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  // Without a scope, one for this batch alone: the duplicates inside a batch and those with
  // earlier batches are found by the same code.
  std::optional<ValidationScope> own;
  if (scope == nullptr) scope = &own.emplace();
  const bool scoped = !own.has_value();
  if (scope->state_ == nullptr)
    scope->state_ = std::make_unique<ValidationScope::State>();  // moved from: starts afresh
  ValidationScope::State& st = *scope->state_;
  if (!st.store_id.empty() && st.store_id != core_.store_id())
    throw Error(ErrorCode::InvalidArgument, "the validation scope was filled by another store");
  const auto t = policy_.current();
  const Manifest& m = t->manifest();
  check_formats(m, formats);
  std::vector<std::string> names;  // every declared field given, once
  {
    std::set<std::string, std::less<>> given;
    for (const auto& r : records)
      for (const auto& [k, v] : r)
        if (m.field(k) != nullptr) given.insert(k);
    names.assign(given.begin(), given.end());
  }
  std::string rules;
  if (!names.empty()) {
    const auto asked = policy::ask(*t, ctx, Action::create, names);
    require(asked->decision, ctx, "validate", "", join_names(names));
    rules = asked->rules;
  }
  st.store_id = core_.store_id();
  // Positions count from the scope's first record; a batch's "record N of the batch" otherwise.
  const std::size_t base = st.records;
  const std::string_view of_batch = scoped ? "" : " of the batch";
  std::vector<RecordProblem> out;
  struct Unique {
    std::size_t record;
    const Field* field;
    std::string form;
  };
  std::vector<Unique> unique;
  // This batch's entries in the scope, taken out again for the records found bad (or all of them
  // if the check fails).
  std::vector<std::pair<ValidationScope::State::Digest, std::size_t>> added;
  const auto forget = [&](const std::set<std::size_t>* bad) {
    for (const auto& [d, i] : added)
      if (bad == nullptr || bad->count(i) != 0) st.seen.erase(d);
  };
  try {
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::size_t at = base + i;
      if (records[i].empty()) {
        out.push_back({at, "", ErrorCode::InvalidArgument, "a record to insert names no field"});
        continue;
      }
      for (const auto& [name, value] : records[i]) {
        const Field* f = m.field(name);
        if (f == nullptr) {
          try {
            (void)declared(m, name);
          } catch (const Error& e) {
            out.push_back({at, "", e.code(), e.message()});
          }
          continue;
        }
        try {
          values::Normalized n = normalize(*f, value, formats);
          if (warnings != nullptr)
            for (const auto& w : n.warnings)
              warnings->push_back({name, w, at});
          if (!f->unique) continue;
          const auto d = st.of(name, n.index_form);
          const auto [it, fresh] = st.seen.emplace(d, at);
          if (fresh) {
            added.emplace_back(d, at);
            unique.push_back({at, f, std::move(n.index_form)});
          } else {
            out.push_back({at, name, ErrorCode::Duplicate,
                           "field '" + name + "' holds the same value as record " +
                               std::to_string(it->second) + std::string(of_batch)});
          }
        } catch (const Error& e) {
          out.push_back({at, name, e.code(), e.message()});
        }
      }
    }
    if (!unique.empty()) {
      store::DataReader reader(core_);
      db::ReadSnapshot view(*reader);
      for (const auto& u : unique)
        if (!holders(*reader, *u.field, u.form).empty())
          out.push_back({u.record, u.field->name, ErrorCode::Duplicate,
                         "field '" + u.field->name + "' already holds this value for a customer"});
    }
  } catch (...) {
    forget(nullptr);
    throw;
  }
  std::stable_sort(out.begin(), out.end(), [](const RecordProblem& a, const RecordProblem& b) {
    return a.record < b.record;
  });
  // What insert_many would refuse adds nothing to the scope.
  std::set<std::size_t> bad;
  for (const auto& p : out)
    bad.insert(p.record);
  forget(&bad);
  st.records += records.size();
  if (!names.empty()) log_.record_read(ctx, "", join_names(names), rules, "validate");
  return out;
}

Record Records::get(const AccessContext& ctx, const CustomerId& id,
                    const std::vector<std::string>& fields) {
  std::shared_lock gate(core_.gate);
  const auto t = table(fields);
  // Without a projection: every field the caller may read (denied only if that is none).
  const auto asked = policy::ask(*t, ctx, Action::read, fields, fields.empty());
  const Decision& d = asked->decision;
  if (!fields.empty() || !any_allowed(d)) require(d, ctx, "read", id.str(), join_names(fields));
  Loaded l;
  bool consented = true;
  {
    store::DataReader lease(core_);
    auto st = lease->cached("SELECT key_id, doc, row, state FROM subjects WHERE id = ?1");
    st->bind(1, id.str());
    if (!st->step()) throw Error(ErrorCode::NotFound, "no customer with this id");
    l = Loaded{st->column_text(0), load_doc(*st, 1), st->column_int64(2),
               static_cast<SubjectState>(st->column_int64(3))};
    consented = !d.requires_consent() || consents_.live(*lease, l.row, ctx.purpose, core_.now());
  }
  // Recorded once the reader is released: it may hold the write lock, which recording may need.
  if (!consented) deny_consent(ctx, "read", id.str());
  if (objected(t->manifest(), ctx, l.row)) deny_objected(ctx, "read", id.str());
  // A restricted customer: a projection must be reached whole, otherwise some field must be.
  if (l.state != SubjectState::active &&
      !(fields.empty() ? any_reaches_restricted(d)
                       : std::all_of(fields.begin(), fields.end(),
                                     [&](const std::string& f) { return d.allows_restricted(f); })))
    deny_restricted(ctx, "read", id.str());
  Record r;
  try {
    r = shown(policy::Table::verdict(d), id, l, nullptr, false);
  } catch (const Error& e) {
    // The customer's key went between the read and the opening: erased meanwhile.
    if (e.code() == ErrorCode::Corrupt && !exists(id))
      throw Error(ErrorCode::NotFound, "no customer with this id");
    throw;
  }
  log_.record_read(ctx, id.str(), join_names(names_of(r.fields)), asked->allow_rules);
  return r;
}

void Records::update(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
                     std::vector<Warning>* warnings) {
  change(ctx, id, changes, warnings, Action::update, "update");
}

void Records::rectify(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
                      std::string_view reason) {
  change(ctx, id, changes, nullptr, Action::rectify, "rectify:" + std::string(reason));
}

void Records::change(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
                     std::vector<Warning>* warnings, Action action, std::string_view audit_action) {
  std::shared_lock gate(core_.gate);
  if (changes.empty()) throw Error(ErrorCode::InvalidArgument, "an update names no field");
  const std::vector<std::string> names = names_of(changes);
  const auto t = table(names);
  const Manifest* m = &t->manifest();
  const auto asked = policy::ask(*t, ctx, action, names);
  const Decision& d = asked->decision;
  require(d, ctx, audit_action, id.str(), join_names(names));
  const Prepared p = prepare(*m, changes, warnings);
  const bool rectifying = action == Action::rectify;
  // Why the customer's own state refused the change (recorded and thrown after the lock).
  enum class Refusal { none, consent, restricted, objected } refusal = Refusal::none;
  {
    std::lock_guard w(core_.write_mu);
    refusal = [&] {
      db::Connection& c = core_.data_writer();
      db::Transaction tx(c);
      Loaded l;
      FieldTimes set_at;
      {
        auto st = c.cached("SELECT key_id, doc, row, set_at, state FROM subjects WHERE id = ?1");
        st->bind(1, id.str());
        if (!st->step()) throw Error(ErrorCode::NotFound, "no customer with this id");
        l = Loaded{st->column_text(0), load_doc(*st, 1), st->column_int64(2),
                   static_cast<SubjectState>(st->column_int64(4))};
        set_at = parse_times(st->column_text(3));
      }
      if (l.state == SubjectState::erased_held)
        throw Error(ErrorCode::InvalidOperation,
                    "the customer was erased: what a legal hold keeps does not change");
      if (!rectifying) {
        if (d.requires_consent() && !consents_.live(c, l.row, ctx.purpose, core_.now()))
          return Refusal::consent;
        if (objected(*m, ctx, l.row)) return Refusal::objected;
        if (l.state != SubjectState::active &&
            !std::all_of(names.begin(), names.end(),
                         [&](const std::string& f) { return d.allows_restricted(f); }))
          return Refusal::restricted;
      }
      for (const auto& [name, n] : p) {
        const Field& f = *m->field(name);
        if (n && f.unique) check_unique(c, f, n->index_form, id.str());
      }
      const keys::SubjectKey key = keys_.get(l.key_id);
      // The index forms of the values replaced, to remove their index rows.
      std::map<std::string, std::string, std::less<>> old_forms;
      for (const auto& [name, n] : p) {
        const Field& f = *m->field(name);
        const auto it = l.doc.find(name);
        if (f.lookup && it != l.doc.end())
          old_forms.emplace(
              name, stored_index_form(f, plain_value(id.str(), l.key_id, name, it->second)));
      }
      const std::int64_t now = core_.now();
      for (const auto& [name, n] : p) {
        const Field& f = *m->field(name);
        if (n) {
          l.doc.insert_or_assign(name, stored_value(f, id.str(), l.key_id, key, *n));
          set_at.insert_or_assign(name, now);  // collected now: its retention counts from here
        } else {
          l.doc.erase(name);
          set_at.erase(name);
        }
        if (f.lookup) {
          if (const auto before = old_forms.find(name); before != old_forms.end())
            index_.remove(c, l.row, f, before->second);
          if (n) index_.add(c, l.row, f, n->index_form);
        }
      }
      c.cached("UPDATE subjects SET doc = ?1, updated_at = ?2, set_at = ?3 WHERE id = ?4")
          ->bind(1, encode(l.doc))
          .bind(2, now)
          .bind(3, format_times(set_at))
          .bind(4, id.str())
          .run();
      log_.record_write(tx, ctx, audit_action, id.str(), join_names(names_of(p)), asked->rules);
      tx.commit();
      return Refusal::none;
    }();
  }
  // Recorded and thrown once the write lock is released (recording may need it).
  switch (refusal) {
    case Refusal::none:
      return;
    case Refusal::consent:
      deny_consent(ctx, audit_action, id.str());
    case Refusal::restricted:
      deny_restricted(ctx, audit_action, id.str());
    case Refusal::objected:
      deny_objected(ctx, audit_action, id.str());
  }
}

std::vector<CustomerId> Records::find(const AccessContext& ctx, std::string_view field,
                                      std::string_view value) {
  std::shared_lock gate(core_.gate);
  const auto t = table({});
  const Field& f = declared(t->manifest(), field);
  if (!f.lookup)
    throw Error(ErrorCode::InvalidArgument,
                "field '" + f.name + "' is not declared with lookup = true");
  const auto asked = policy::ask(*t, ctx, Action::read, std::span<const std::string>(&f.name, 1));
  const Decision& d = asked->decision;
  require(d, ctx, "read", "", f.name);
  const values::Normalized n = normalize(f, value);
  std::vector<Holder> found;
  {
    store::DataReader lease(core_);
    found = holders(*lease, f, n.index_form);
    // A consent-based purpose finds only the customers who consented to it.
    if (d.requires_consent()) {
      const std::int64_t now = core_.now();
      std::erase_if(
          found, [&](const Holder& h) { return !consents_.live(*lease, h.row, ctx.purpose, now); });
    }
  }
  // Restricted customers only for a permit naming that state; none who objected to the purpose.
  const bool reaches_restricted = d.allows_restricted(f.name);
  std::erase_if(found, [&](const Holder& h) {
    return (h.state != SubjectState::active && !reaches_restricted) ||
           objected(t->manifest(), ctx, h.row);
  });
  const std::string& rules = asked->rules;
  std::vector<CustomerId> out;
  for (const auto& h : found) {
    out.push_back(CustomerId::parse(h.id));
    log_.record_read(ctx, h.id, f.name, rules);
  }
  return out;
}

std::size_t Records::size() {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  store::DataReader lease(core_);
  auto st = lease->cached("SELECT count(*) FROM subjects");
  (void)st->step();
  return static_cast<std::size_t>(st->column_int64(0));
}

namespace {
constexpr std::string_view kSubjectColumns =
    "SELECT id, row, key_id, doc, created_at, updated_at, ended_at, set_at, held_until, state "
    "FROM subjects ";

Records::Subject subject_at(db::Statement& st) {
  Records::Subject s;
  s.id = CustomerId::parse(st.column_text(0));
  s.row = st.column_int64(1);
  s.key_id = st.column_text(2);
  s.doc = load_doc(st, 3);
  s.created_at = st.column_int64(4);
  s.updated_at = st.column_int64(5);
  if (!st.is_null(6)) s.ended_at = st.column_int64(6);
  s.set_at = parse_times(st.column_text(7));
  s.held_until = parse_times(st.column_text(8));
  const std::int64_t state = st.column_int64(9);
  if (state < 0 || state > 2) throw Error(ErrorCode::Corrupt, "a stored record is damaged");
  s.state = static_cast<SubjectState>(state);
  return s;
}
}  // namespace

std::int64_t Records::Subject::collected(std::string_view field) const {
  const auto it = set_at.find(field);
  return it != set_at.end() ? it->second : created_at;
}

std::optional<Records::Subject> Records::subject(db::Connection& c, const CustomerId& id) {
  auto st = c.cached(std::string(kSubjectColumns) + "WHERE id = ?1");
  st->bind(1, id.str());
  if (!st->step()) return std::nullopt;
  return subject_at(*st);
}

Records::Subject Records::existing(db::Connection& c, const CustomerId& id) {
  auto s = subject(c, id);
  if (!s) throw Error(ErrorCode::NotFound, "no customer with this id");
  return std::move(*s);
}

std::vector<std::string> Records::held_fields(const CustomerId& id) {
  store::DataReader lease(core_);
  std::vector<std::string> names;
  for (const auto& [name, v] : existing(*lease, id).doc)
    names.push_back(name);
  return names;
}

std::vector<Records::Subject> Records::subjects_after(db::Connection& c, std::int64_t after,
                                                      std::size_t n) {
  auto st = c.cached(std::string(kSubjectColumns) + "WHERE row > ?1 ORDER BY row LIMIT ?2");
  st->bind(1, after).bind(2, static_cast<std::int64_t>(n));
  std::vector<Subject> out;
  while (st->step())
    out.push_back(subject_at(*st));
  return out;
}

std::string Records::value_of(const Subject& s, std::string_view field) {
  const auto it = s.doc.find(field);
  if (it == s.doc.end()) throw Error(ErrorCode::Internal, "value_of: the field holds no value");
  return plain_value(s.id.str(), s.key_id, field, it->second);
}

bool Records::remove_fields(db::Transaction& tx, Subject& s, const std::vector<std::string>& fields,
                            SubjectState state, const FieldTimes& held_until) {
  db::Connection& c = tx.connection();
  const auto m = core_.manifest();
  for (const auto& name : fields) {
    const auto it = s.doc.find(name);
    if (it == s.doc.end()) continue;
    const Field* f = m->field(name);
    if (f != nullptr && f->lookup)
      index_.remove(c, s.row, *f, stored_index_form(*f, value_of(s, name)));
    s.doc.erase(it);
    s.set_at.erase(name);
  }
  if (s.doc.empty()) {
    c.cached("DELETE FROM subjects WHERE row = ?1")->bind(1, s.row).run();
    consents_.erase_subject(tx, s.row);
    return true;
  }
  s.state = state;
  s.held_until = held_until;
  c.cached("UPDATE subjects SET doc = ?1, set_at = ?2, held_until = ?3, state = ?4 WHERE row = ?5")
      ->bind(1, encode(s.doc))
      .bind(2, format_times(s.set_at))
      .bind(3, format_times(s.held_until))
      .bind(4, static_cast<std::int64_t>(state))
      .bind(5, s.row)
      .run();
  return false;
}

void Records::set_state(db::Transaction& tx, const Subject& s, SubjectState state) {
  tx.connection()
      .cached("UPDATE subjects SET state = ?1 WHERE row = ?2")
      ->bind(1, static_cast<std::int64_t>(state))
      .bind(2, s.row)
      .run();
}

void Records::set_ended(db::Transaction& tx, const Subject& s, std::int64_t at) {
  tx.connection()
      .cached("UPDATE subjects SET ended_at = ?1 WHERE row = ?2")
      ->bind(1, at)
      .bind(2, s.row)
      .run();
}

std::unordered_set<std::string> Records::claimed_keys(const std::vector<std::string>& key_ids) {
  const std::unordered_set<std::string> wanted(key_ids.begin(), key_ids.end());
  std::unordered_set<std::string> out;
  if (wanted.empty()) return out;
  // One pass (there is no index on key_id: only this sweep after a crash would use it).
  auto st = core_.data_writer().cached("SELECT key_id FROM subjects");
  while (st->step()) {
    std::string k = st->column_text(0);
    if (wanted.contains(k)) out.insert(std::move(k));
  }
  return out;
}

std::vector<Record> Records::scan_batch(const AccessContext& ctx, const Decision& d,
                                        std::int64_t& after, bool raw) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  const Verdict& v = policy::Table::verdict(d);
  const bool reaches_restricted = any_reaches_restricted(d);
  std::vector<std::pair<std::string, Loaded>> rows;
  while (rows.empty()) {
    store::DataReader lease(core_);
    // In row order: the table is read page after page (id order would visit its pages at
    // random, decrypting each again and again once the store outgrows the page cache).
    auto st = lease->cached(
        "SELECT row, id, key_id, doc, state FROM subjects WHERE row > ?1 ORDER BY row LIMIT ?2");
    st->bind(1, after).bind(2, static_cast<std::int64_t>(kScanBatch));
    const std::int64_t first = after + 1;
    while (st->step()) {
      after = st->column_int64(0);
      const auto state = static_cast<SubjectState>(st->column_int64(4));
      // A restricted customer only for a permit naming that state; none who objected.
      if (state != SubjectState::active && !reaches_restricted) continue;
      if (objected(v.table->manifest(), ctx, st->column_int64(0))) continue;
      rows.emplace_back(st->column_text(1),
                        Loaded{st->column_text(2), load_doc(*st, 3), st->column_int64(0), state});
    }
    if (rows.empty()) {
      if (after >= first) continue;  // every customer of the batch was out of reach
      return {};
    }
    // A consent-based purpose reaches only the customers who consented to it (one statement
    // for the batch's rows).
    if (d.requires_consent()) {
      const auto live = consents_.live_rows(*lease, ctx.purpose, first, after, core_.now());
      std::erase_if(rows, [&](const auto& r) {
        return !std::binary_search(live.begin(), live.end(), r.second.row);
      });
    }
  }
  // The keys of the batch's sealed values, under one keys.db snapshot.
  std::vector<std::string> key_ids;
  for (const auto& [id, l] : rows)
    if (std::any_of(l.doc.begin(), l.doc.end(), [](const auto& kv) { return kv.second.sealed; }))
      key_ids.push_back(l.key_id);
  const auto batch_keys = keys_.get_many(key_ids);
  const std::string rules = policy::rule_list(d, Effect::allow);
  std::vector<Record> out;
  out.reserve(rows.size());
  for (auto& [id, l] : rows) {
    const auto key = batch_keys.find(l.key_id);
    const CustomerId cid = CustomerId::parse(id);
    Record r;
    try {
      r = shown(v, cid, l, key == batch_keys.end() ? nullptr : &key->second, raw);
    } catch (const Error& e) {
      // Erased after the batch was read: its key is gone, and so is the customer.
      if (e.code() == ErrorCode::Corrupt && !exists(cid)) continue;
      throw;
    }
    log_.record_read(ctx, id, join_names(names_of(r.fields)), rules);
    out.push_back(std::move(r));
  }
  return out;
}

RecordScan Records::scan(const AccessContext& ctx, std::vector<std::string> fields) {
  Decision d;
  {
    std::shared_lock gate(core_.gate);
    const auto t = table(fields);
    d = fields.empty() ? t->decide_all(ctx, Action::read) : t->decide(ctx, Action::read, fields);
    if (!fields.empty() || !any_allowed(d)) require(d, ctx, "read", "", join_names(fields));
  }
  // A bulk read: one "scan" entry (which the export alerts count) before each customer's read.
  log_.record_read(ctx, "", join_names(fields), policy::rule_list(d, Effect::allow), "scan");
  return make_scan(ctx, std::move(d), false);
}

RecordScan Records::make_scan(const AccessContext& ctx, Decision d, bool raw) {
  auto st = std::make_unique<RecordScan::State>();
  st->records = this;
  st->ctx = ctx;
  st->decision = std::move(d);
  st->raw = raw;
  return RecordScan(std::move(st));
}

std::vector<std::vector<CustomerId>> Records::find_duplicates(const AccessContext& ctx) {
  std::shared_ptr<const policy::Table> t;
  Decision d;
  std::vector<std::string> names;
  {
    std::shared_lock gate(core_.gate);
    t = table({});
    for (const auto& f : t->manifest().fields())
      if (f.type == FieldType::email || f.type == FieldType::phone || f.type == FieldType::nik ||
          f.type == FieldType::npwp)
        names.push_back(f.name);
    if (names.empty()) return {};
    // Reads every email, phone, NIK and NPWP: needs read on each (masks do not matter: the
    // values are compared inside, never shown).
    d = t->decide(ctx, Action::read, names);
    require(d, ctx, "read", "", join_names(names));
  }
  const Manifest* m = &t->manifest();

  // Digests of the normalized values under a one-off random key, never the values themselves,
  // are kept in memory; they only have to be equal within this call.
  const crypto::HmacSha256 digest(SecretBytes::random(crypto::kKeySize).view());
  std::map<std::array<std::byte, 32>, std::vector<std::size_t>> by_digest;
  std::vector<std::string> ids;
  {
    RecordScan sc = make_scan(ctx, d, true);
    for (const Record& r : sc) {
      const std::size_t idx = ids.size();
      ids.push_back(r.id.str());
      for (const auto& [name, value] : r.fields) {
        const Field& f = *m->field(name);
        // An NPWP is compared with NIKs: a 16-digit one not starting with 0 is a NIK used as
        // NPWP (the same person), and any other (index form "0" + 15 digits) never equals a NIK,
        // whose province code is 11 or more.
        const FieldType kind = f.type == FieldType::npwp ? FieldType::nik : f.type;
        const std::string form = std::string(to_string(kind)) + "|" + stored_index_form(f, value);
        by_digest[digest(crypto::as_bytes(form))].push_back(idx);
      }
    }
  }
  // Union-find: subjects linked by any shared value form one group.
  std::vector<std::size_t> parent(ids.size());
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto root = [&](std::size_t x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& [digest_value, members] : by_digest)
    for (std::size_t i = 1; i < members.size(); ++i)
      parent[root(members[i])] = root(members[0]);
  std::map<std::size_t, std::vector<CustomerId>> groups;
  for (std::size_t i = 0; i < ids.size(); ++i)
    groups[root(i)].push_back(CustomerId::parse(ids[i]));
  std::vector<std::vector<CustomerId>> out;
  for (auto& [r, g] : groups)
    if (g.size() > 1) {
      std::sort(g.begin(), g.end());
      out.push_back(std::move(g));
    }
  std::sort(out.begin(), out.end());
  return out;
}

void Records::merge(const AccessContext& ctx, const CustomerId& keep, const CustomerId& absorb) {
  std::shared_lock gate(core_.gate);
  const auto t = table({});
  const Manifest* m = &t->manifest();
  if (keep == absorb)
    throw Error(ErrorCode::InvalidArgument, "cannot merge a customer into itself");
  // Decided on what the two records hold: `update` on the fields moved into `keep`, `erase` on
  // every field `absorb` holds (on every declared field if it holds none). A denial is recorded
  // and thrown once the write lock is released.
  std::optional<std::pair<Decision, std::string>> denied;
  std::unique_lock w(core_.write_mu);
  db::Connection& c = core_.data_writer();
  std::string absorbed_key;
  [&] {
    db::Transaction tx(c);
    auto load = [&](const CustomerId& id) {
      auto st = c.cached("SELECT key_id, doc, row FROM subjects WHERE id = ?1");
      st->bind(1, id.str());
      if (!st->step()) throw Error(ErrorCode::NotFound, "no customer with this id");
      return Loaded{st->column_text(0), load_doc(*st, 1), st->column_int64(2)};
    };
    Loaded k = load(keep);
    const Loaded a = load(absorb);
    // The fields taken keep the time they were collected at: their retention counts from it.
    FieldTimes keep_times = subject(c, keep)->set_at;
    const Subject absorbed = *subject(c, absorb);
    if (absorbed.state != SubjectState::active || subject(c, keep)->state != SubjectState::active)
      throw Error(ErrorCode::Restricted,
                  "a customer whose processing is restricted or erased cannot be merged");
    if (hold_check_ && hold_check_(c, absorbed.row))
      throw Error(ErrorCode::LegalHold,
                  "the customer to absorb is under a legal hold: release it first");
    std::vector<std::string> moved, held;
    for (const auto& [name, v] : a.doc) {
      if (m->field(name) == nullptr) continue;
      held.push_back(name);
      if (!k.doc.contains(name)) moved.push_back(name);
    }
    std::string rules;
    if (!moved.empty()) {
      Decision du = t->decide(ctx, Action::update, moved);
      if (!du.allowed()) {
        denied.emplace(std::move(du), "update");
        return;
      }
      rules = policy::rule_list(du);
    }
    Decision de =
        held.empty() ? t->decide_all(ctx, Action::erase) : t->decide(ctx, Action::erase, held);
    if (!de.allowed()) {
      denied.emplace(std::move(de), "erase");
      return;
    }
    const std::string erase_rules = policy::rule_list(de);
    const keys::SubjectKey keep_key = keys_.get(k.key_id);
    std::vector<std::string> taken;
    for (const auto& [name, v] : a.doc) {
      const Field* f = m->field(name);
      if (f == nullptr || k.doc.contains(name)) continue;
      // Re-sealed under the kept subject's key and id.
      values::Normalized n;
      n.value = plain_value(absorb.str(), a.key_id, name, v);
      n.nik_like = v.sealed && !f->encrypted();
      k.doc.emplace(name, stored_value(*f, keep.str(), k.key_id, keep_key, n));
      if (f->lookup) index_.add(c, k.row, *f, stored_index_form(*f, n.value));
      keep_times.insert_or_assign(name, absorbed.collected(name));
      taken.push_back(name);
    }
    c.cached("UPDATE subjects SET doc = ?1, updated_at = ?2, set_at = ?3 WHERE id = ?4")
        ->bind(1, encode(k.doc))
        .bind(2, core_.now())
        .bind(3, format_times(keep_times))
        .bind(4, keep.str())
        .run();
    for (const auto& [name, v] : a.doc) {
      const Field* f = m->field(name);
      if (f != nullptr && f->lookup)
        index_.remove(c, a.row, *f,
                      stored_index_form(*f, plain_value(absorb.str(), a.key_id, name, v)));
    }
    c.cached("DELETE FROM subjects WHERE id = ?1")->bind(1, absorb.str()).run();
    // The absorbed subject is erased: its consents go with it (the kept subject's stay).
    consents_.erase_subject(tx, a.row);
    log_.record_write(tx, ctx, "merge", keep.str(), join_names(taken), rules);
    log_.record_write(tx, ctx, "erase", absorb.str(), join_names(held), erase_rules);
    keys_.doom({a.key_id});  // a crash after the commit still loses the key (at the next open)
    tx.commit();
    absorbed_key = a.key_id;
  }();
  // After the data commit: the absorbed subject's key protects nothing any more (destroyed on
  // keys.db's write connection: still under the write lock).
  if (!denied) (void)keys_.destroy_released(absorbed_key);
  w.unlock();
  if (denied) require(denied->first, ctx, denied->second, "", "");
}

void Records::change_manifest(const AccessContext& ctx, const Manifest& next,
                              const OpenOptions& options) {
  std::shared_lock gate(core_.gate);
  const auto t = table({});
  const Decision d = t->decide_store(ctx, Action::manage_manifest);
  require(d, ctx, "manage_manifest", "", "");
  std::string rules = policy::rule_list(d);
  if (options.erase_removed_fields) {
    std::vector<std::string> removed;
    for (const Field& f : t->manifest().fields())
      if (next.field(f.name) == nullptr) removed.push_back(f.name);
    if (!removed.empty()) {
      const Decision de = t->decide(ctx, Action::erase, removed);
      require(de, ctx, "erase", "", join_names(removed));
      for (const auto& id : de.rules())
        rules += "," + id;
    }
  }
  std::lock_guard w(core_.write_mu);
  adopt_manifest(next, options, &ctx, rules);
}

void Records::finish_reindex() {
  db::Connection& data = core_.data_writer();
  std::string types;  // "npwp,..."
  {
    auto st = data.prepare("SELECT value FROM amanah_meta WHERE key = 'reindex_types'");
    if (!st.step()) return;
    types = "," + st.column_text(0) + ",";
  }
  const auto m = core_.manifest();
  std::vector<const Field*> fields;
  for (const Field& f : m->fields())
    if (f.lookup && types.find("," + std::string(to_string(f.type)) + ",") != std::string::npos)
      fields.push_back(&f);
  db::Transaction tx(data);
  if (!fields.empty()) {
    for (const Field* f : fields)
      index_.drop_field(data, f->name);
    db::Statement st = data.prepare("SELECT id, key_id, doc, row FROM subjects");
    while (st.step()) {
      const Doc doc = decode(st.column_blob(2));
      for (const Field* f : fields) {
        const auto it = doc.find(f->name);
        if (it == doc.end()) continue;
        const std::string id = st.column_text(0);
        index_.add(data, st.column_int64(3), *f,
                   stored_index_form(*f, plain_value(id, st.column_text(1), f->name, it->second)));
      }
    }
  }
  store::fault_point("finish_reindex:commit");
  data.prepare("DELETE FROM amanah_meta WHERE key = 'reindex_types'").run();
  tx.commit();
}

void Records::adopt_manifest(const Manifest& next, const OpenOptions& options,
                             const AccessContext* ctx, std::string_view rules) {
  core_.require_open();
  const auto current = core_.manifest();
  const Manifest& manifest = *current;
  if (next == manifest) return;
  db::Connection& data = core_.data_writer();
  // Fields whose stored values the new manifest would strand or misread.
  std::set<std::string, std::less<>> removed, changed, reindex;
  for (const Field& old : manifest.fields()) {
    const Field* now = next.field(old.name);
    if (now == nullptr) {
      removed.insert(old.name);
      if (old.lookup) reindex.insert(old.name);
      continue;
    }
    if (now->type != old.type || now->category != old.category ||
        now->encrypted() != old.encrypted())
      changed.insert(old.name);
    if (now->lookup != old.lookup || now->index_bits != old.index_bits) reindex.insert(old.name);
  }
  // Fields that become unique: their existing values must already be distinct.
  std::set<std::string, std::less<>> now_unique;
  for (const Field& f : next.fields()) {
    const Field* before = manifest.field(f.name);
    if (f.unique && before != nullptr && !before->unique) now_unique.insert(f.name);
  }

  db::Transaction tx(data);
  if (!removed.empty() || !changed.empty() || !reindex.empty()) {
    std::set<std::string, std::less<>> holding;  // fields that hold data somewhere
    struct Stored {
      std::string id, key_id;
      std::int64_t row;
    };
    std::vector<Stored> subjects;
    {
      db::Statement st = data.prepare("SELECT id, key_id, doc, row FROM subjects");
      while (st.step()) {
        const Doc doc = decode(st.column_blob(2));
        for (const auto& [name, v] : doc)
          holding.insert(name);
        subjects.push_back({st.column_text(0), st.column_text(1), st.column_int64(3)});
      }
    }
    for (const auto& f : changed)
      if (holding.contains(f))
        throw Error(ErrorCode::InvalidManifest,
                    "field '" + f + "' holds data: its type, category or encryption cannot change");
    for (const auto& f : removed)
      if (holding.contains(f) && !options.erase_removed_fields)
        throw Error(ErrorCode::InvalidManifest,
                    "field '" + f +
                        "' holds data and is missing from the new manifest "
                        "(OpenOptions::erase_removed_fields erases it)");

    for (const auto& f : reindex)
      index_.drop_field(data, f);

    db::Statement upd = data.prepare("UPDATE subjects SET doc = ?1 WHERE row = ?2");
    for (const auto& [id, key_id, row] : subjects) {
      db::Statement st = data.prepare("SELECT doc FROM subjects WHERE row = ?1");
      st.bind(1, row);
      if (!st.step()) continue;
      Doc doc = decode(st.column_blob(0));
      bool dirty = false;
      for (const auto& f : removed)
        dirty = doc.erase(f) > 0 || dirty;
      if (dirty) upd.bind(1, encode(doc)).bind(2, row).run();
      // Tags follow the new field definitions.
      for (const auto& name : reindex) {
        const Field* f = next.field(name);
        const auto it = doc.find(name);
        if (f == nullptr || !f->lookup || it == doc.end()) continue;
        index_.add(data, row, *f, stored_index_form(*f, plain_value(id, key_id, name, it->second)));
      }
    }
  }
  for (const auto& name : now_unique) {
    // Equal values share a blind-index tag; confirm each shared tag against the real values.
    const Field& f = *next.field(name);
    for (const auto tag : index_.shared_tags(data, name)) {
      std::set<std::string> forms;
      const auto holders = tagged(data, f, tag);
      for (const auto& h : holders)
        forms.insert(h.form);
      if (forms.size() < holders.size())
        throw Error(ErrorCode::InvalidManifest,
                    "field '" + name +
                        "' cannot become unique: some customers share a value (find_duplicates "
                        "and merge them first)");
    }
  }
  manifest::store(data, next);
  if (ctx != nullptr)
    log_.record_write(tx, *ctx, "manage_manifest", "", join_names({removed.begin(), removed.end()}),
                      rules);
  tx.commit();
  core_.set_manifest(next);
  store::fault_point("manifest:committed");
  if (!removed.empty()) {
    // Erased values must not linger in the WAL or in free pages.
    data.checkpoint_truncate();
    store::fault_point("manifest:checkpointed");
    data.incremental_vacuum();
    store::fault_point("manifest:vacuumed");
    data.checkpoint_truncate();
  }
}

}  // namespace detail::records

// --- the public scan and id types, served by the records service

RecordScan::RecordScan(std::unique_ptr<State> state) : state_(std::move(state)) {}
RecordScan::RecordScan(RecordScan&&) noexcept = default;
RecordScan& RecordScan::operator=(RecordScan&&) noexcept = default;
RecordScan::~RecordScan() = default;

RecordScan::iterator RecordScan::begin() {
  if (!state_ || (state_->batch.empty() && !state_->done && !state_->fetch())) return iterator{};
  if (state_->done) return iterator{};
  return iterator{this};
}

bool RecordScan::advance() {
  if (++state_->pos < state_->batch.size()) return true;
  return state_->fetch();
}

const Record& RecordScan::iterator::operator*() const {
  return scan_->state_->batch[scan_->state_->pos];
}
const Record* RecordScan::iterator::operator->() const {
  return &**this;
}
RecordScan::iterator& RecordScan::iterator::operator++() {
  if (!scan_->advance()) scan_ = nullptr;
  return *this;
}

CustomerId CustomerId::parse(std::string_view text) {
  if (text.size() != 32 || text.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    throw Error(ErrorCode::InvalidArgument, "a customer id is 32 lower-case hex digits");
  CustomerId id;
  id.hex_ = std::string(text);
  return id;
}

}  // namespace amanah
