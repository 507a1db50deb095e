// Customer records: insert, get, update, find, scan, duplicates and merge.
#include <algorithm>
#include <array>
#include <ctime>
#include <numeric>
#include <set>
#include <unordered_map>

#include <amanah/error.hpp>
#include <amanah/store.hpp>

#include "crypto/crypto.hpp"
#include "records/doc.hpp"
#include "store/impl.hpp"
#include "values/values.hpp"

namespace amanah {

using detail::join_names;
using detail::StoreImpl;
namespace crypto = detail::crypto;
namespace db = detail::db;
namespace rec = detail::records;
namespace values = detail::values;

namespace {

constexpr std::size_t kScanBatch = 256;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

const Field& declared(const Manifest& m, std::string_view name) {
  const Field* f = m.field(name);
  if (f == nullptr)
    throw Error(ErrorCode::UndeclaredField,
                "field '" + std::string(name) + "' is not declared in the manifest");
  return *f;
}

values::Normalized normalize(const Field& f, std::string_view input) {
  try {
    return values::normalize(f.type, input, f.max_length);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::Validation) throw;
    throw Error(ErrorCode::Validation, "field '" + f.name + "': " + e.message());
  }
}

// A validated record before sealing: field -> normalized value (nullopt: clear).
using Prepared = std::map<std::string, std::optional<values::Normalized>, std::less<>>;

Prepared prepare(const Manifest& m, const FieldChanges& in, std::vector<Warning>* warnings) {
  Prepared out;
  for (const auto& [name, value] : in) {
    const Field& f = declared(m, name);
    if (!value) {
      out.emplace(name, std::nullopt);
      continue;
    }
    values::Normalized n = normalize(f, *value);
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

struct Loaded {
  std::string key_id;
  rec::Doc doc;
};

std::optional<Loaded> load(StoreImpl& s, std::string_view id) {
  auto st = s.data.cached("SELECT key_id, doc FROM subjects WHERE id = ?1");
  st->bind(1, id);
  if (!st->step()) return std::nullopt;
  return Loaded{st->column_text(0), rec::decode(st->column_blob(1))};
}

Loaded load_existing(StoreImpl& s, const CustomerId& id) {
  auto l = load(s, id.str());
  if (!l) throw Error(ErrorCode::NotFound, "no customer with this id");
  return std::move(*l);
}

rec::DocValue stored_value(StoreImpl& s, const Field& f, std::string_view subject,
                           std::string_view key_id, const values::Normalized& n) {
  if (f.encrypted() || n.nik_like)
    return rec::seal_value(s.subject_key(key_id), subject, f.name, key_id, n.value);
  rec::DocValue v;
  v.text = n.value;
  return v;
}

// Subjects whose field `f` holds a value with this index form.
std::vector<std::string> holders(StoreImpl& s, const Field& f, const std::string& index_form) {
  std::vector<std::string> out;
  for (auto& [id, form] : s.tagged(f, s.index_tag(f, index_form)))
    if (form == index_form) out.push_back(std::move(id));
  return out;
}

// Error(Duplicate) if another subject than `self` holds `n` in unique field `f`.
void check_unique(StoreImpl& s, const Field& f, const values::Normalized& n,
                  std::string_view self) {
  for (const auto& h : holders(s, f, n.index_form))
    if (h != self)
      throw Error(ErrorCode::Duplicate,
                  "field '" + f.name + "' already holds this value for another customer");
}

void write_index(StoreImpl& s, std::string_view subject, const Field& f,
                 const values::Normalized& n) {
  s.data.cached("INSERT OR IGNORE INTO blind_index(field, tag, subject_id) VALUES (?1, ?2, ?3)")
      ->bind(1, f.name)
      .bind(2, s.index_tag(f, n.index_form))
      .bind(3, subject)
      .run();
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

std::vector<std::string> names_of(const Prepared& p) {
  std::vector<std::string> out;
  for (const auto& [k, v] : p)
    out.push_back(k);
  return out;
}

// Builds a Record from a loaded doc, limited to `fields` (all declared fields if empty).
Record to_record(StoreImpl& s, const std::string& id, const Loaded& l,
                 const std::vector<std::string>& fields) {
  Record r;
  r.id = CustomerId::parse(id);
  for (const auto& [name, v] : l.doc) {
    if (!fields.empty() && std::find(fields.begin(), fields.end(), name) == fields.end()) continue;
    if (s.manifest.field(name) == nullptr) continue;
    r.fields.emplace(name, s.plain_value(id, l.key_id, name, v));
  }
  return r;
}

}  // namespace

std::string StoreImpl::stored_index_form(const Field& f, std::string_view canonical) {
  // Canonical values normalize to themselves, except cards (kept as brand and last 4 only).
  if (f.type == FieldType::card) return std::string(canonical);
  return values::normalize(f.type, canonical, f.max_length).index_form;
}

std::vector<std::pair<std::string, std::string>> StoreImpl::tagged(const Field& f,
                                                                   std::int64_t tag) {
  // One statement for the index and the candidates' records (one read transaction, not 1 + n).
  std::vector<std::pair<std::string, Loaded>> candidates;
  {
    auto st = data.cached(
        "SELECT s.id, s.key_id, s.doc FROM blind_index b JOIN subjects s ON s.id = b.subject_id "
        "WHERE b.field = ?1 AND b.tag = ?2");
    st->bind(1, f.name).bind(2, tag);
    while (st->step())
      candidates.emplace_back(st->column_text(0),
                              Loaded{st->column_text(1), rec::decode(st->column_blob(2))});
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [id, l] : candidates) {
    const auto it = l.doc.find(f.name);
    if (it == l.doc.end()) continue;
    std::string form = stored_index_form(f, plain_value(id, l.key_id, f.name, it->second));
    out.emplace_back(std::move(id), std::move(form));
  }
  return out;
}

std::int64_t StoreImpl::index_tag(const Field& f, std::string_view index_form) {
  const auto mac = index_mac(f.name)(crypto::as_bytes(index_form));
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | std::to_integer<std::uint32_t>(mac[i]);
  const std::uint32_t bits = std::clamp<std::uint32_t>(f.index_bits, 8, 32);
  return static_cast<std::int64_t>(bits == 32 ? v : v >> (32 - bits));
}

CustomerId CustomerId::parse(std::string_view text) {
  if (text.size() != 32 || text.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    throw Error(ErrorCode::InvalidArgument, "a customer id is 32 lower-case hex digits");
  CustomerId id;
  id.hex_ = std::string(text);
  return id;
}

std::vector<CustomerId> CustomerStore::insert_many(const AccessContext& ctx,
                                                   const std::vector<FieldValues>& records,
                                                   std::vector<Warning>* warnings) {
  StoreImpl& s = live();
  s.check_context(ctx);
  // Everything is validated before anything is written.
  std::vector<Prepared> prepared;
  prepared.reserve(records.size());
  for (const auto& r : records)
    prepared.push_back(prepare(s.manifest, as_changes(r), warnings));
  // Unique values must also differ within the batch.
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& p : prepared)
    for (const auto& [name, n] : p)
      if (s.manifest.field(name)->unique && !seen.emplace(name, n->index_form).second)
        throw Error(ErrorCode::Duplicate,
                    "field '" + name + "' holds the same value in two records of the batch");

  std::lock_guard g(s.mu);
  s.require_open();
  db::Transaction tx(s.data);
  for (const auto& p : prepared)
    for (const auto& [name, n] : p) {
      const Field& f = *s.manifest.field(name);
      if (f.unique) check_unique(s, f, *n, {});
    }
  // Queued reads happened before this write: keep the log in order.
  const std::size_t flushed = s.flush_reads();
  s.reserve_subject_keys(prepared.size());
  std::vector<std::string> used_keys;
  std::vector<CustomerId> ids = new_ids(prepared.size());
  try {
    auto ins = s.data.cached(
        "INSERT INTO subjects(id, key_id, doc, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
        "?4)");
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      const Prepared& p = prepared[i];
      const CustomerId& id = ids[i];
      used_keys.push_back(s.acquire_subject_key());
      const std::string& key_id = used_keys.back();
      rec::Doc doc;
      for (const auto& [name, n] : p)
        doc.emplace(name, stored_value(s, *s.manifest.field(name), id.str(), key_id, *n));
      ins->bind(1, id.str()).bind(2, key_id).bind(3, rec::encode(doc)).bind(4, now()).run();
      for (const auto& [name, n] : p) {
        const Field& f = *s.manifest.field(name);
        if (f.lookup) write_index(s, id.str(), f, *n);
      }
      s.log_write(ctx, "create", id.str(), join_names(names_of(p)));
    }
    tx.commit();
    s.forget_reads(flushed);
  } catch (...) {
    for (auto it = used_keys.rbegin(); it != used_keys.rend(); ++it)
      s.release_subject_key(std::move(*it));
    throw;
  }
  return ids;
}

CustomerId CustomerStore::insert(const AccessContext& ctx, const FieldValues& values,
                                 std::vector<Warning>* warnings) {
  return insert_many(ctx, {values}, warnings).front();
}

Record CustomerStore::get(const AccessContext& ctx, const CustomerId& id,
                          const std::vector<std::string>& fields) {
  StoreImpl& s = live();
  s.check_context(ctx);
  for (const auto& f : fields)
    (void)declared(s.manifest, f);
  std::lock_guard g(s.mu);
  s.require_open();
  const Loaded l = load_existing(s, id);
  Record r = to_record(s, id.str(), l, fields);
  std::vector<std::string> names;
  for (const auto& [k, v] : r.fields)
    names.push_back(k);
  s.log_read(ctx, id.str(), join_names(names));
  return r;
}

void CustomerStore::update(const AccessContext& ctx, const CustomerId& id,
                           const FieldChanges& changes, std::vector<Warning>* warnings) {
  StoreImpl& s = live();
  s.check_context(ctx);
  const Prepared p = prepare(s.manifest, changes, warnings);
  std::lock_guard g(s.mu);
  s.require_open();
  db::Transaction tx(s.data);
  const std::size_t flushed = s.flush_reads();
  Loaded l = load_existing(s, id);
  for (const auto& [name, n] : p) {
    const Field& f = *s.manifest.field(name);
    if (n && f.unique) check_unique(s, f, *n, id.str());
  }
  for (const auto& [name, n] : p) {
    const Field& f = *s.manifest.field(name);
    if (n)
      l.doc.insert_or_assign(name, stored_value(s, f, id.str(), l.key_id, *n));
    else
      l.doc.erase(name);
    if (f.lookup) {
      s.data.cached("DELETE FROM blind_index WHERE subject_id = ?1 AND field = ?2")
          ->bind(1, id.str())
          .bind(2, name)
          .run();
      if (n) write_index(s, id.str(), f, *n);
    }
  }
  s.data.cached("UPDATE subjects SET doc = ?1, updated_at = ?2 WHERE id = ?3")
      ->bind(1, rec::encode(l.doc))
      .bind(2, now())
      .bind(3, id.str())
      .run();
  s.log_write(ctx, "update", id.str(), join_names(names_of(p)));
  tx.commit();
  s.forget_reads(flushed);
}

std::vector<CustomerId> CustomerStore::find(const AccessContext& ctx, std::string_view field,
                                            std::string_view value) {
  StoreImpl& s = live();
  s.check_context(ctx);
  const Field& f = declared(s.manifest, field);
  if (!f.lookup)
    throw Error(ErrorCode::InvalidArgument,
                "field '" + f.name + "' is not declared with lookup = true");
  const values::Normalized n = normalize(f, value);
  std::lock_guard g(s.mu);
  s.require_open();
  std::vector<CustomerId> out;
  for (const auto& h : holders(s, f, n.index_form)) {
    out.push_back(CustomerId::parse(h));
    s.log_read(ctx, h, f.name);
  }
  return out;
}

Record CustomerStore::masked(const Record& record) const {
  StoreImpl& s = live();
  Record out;
  out.id = record.id;
  std::lock_guard g(s.mu);
  for (const auto& [name, value] : record.fields) {
    const Field& f = declared(s.manifest, name);
    auto shown = values::apply_mask(
        f.type, f.mask, value,
        f.mask == Mask::hash ? s.mask_key(name).view() : std::span<const std::byte>{});
    if (shown) out.fields.emplace(name, std::move(*shown));
  }
  return out;
}

std::size_t CustomerStore::size() const {
  StoreImpl& self = live();
  std::lock_guard g(self.mu);
  self.require_open();
  db::Statement st = self.data.prepare("SELECT count(*) FROM subjects");
  (void)st.step();
  return static_cast<std::size_t>(st.column_int64(0));
}

// --- scan

struct RecordScan::State {
  StoreImpl* store = nullptr;
  AccessContext ctx;
  std::vector<std::string> fields;
  std::vector<Record> batch;
  std::size_t pos = 0;
  std::string last_id;  // keyset pagination: no statement stays open between batches
  bool done = false;

  bool fetch() {
    batch.clear();
    pos = 0;
    std::lock_guard g(store->mu);
    store->require_open();
    std::vector<std::pair<std::string, Loaded>> rows;
    {
      auto st = store->data.cached(
          "SELECT id, key_id, doc FROM subjects WHERE id > ?1 ORDER BY id LIMIT ?2");
      st->bind(1, last_id).bind(2, static_cast<std::int64_t>(kScanBatch));
      while (st->step())
        rows.emplace_back(st->column_text(0),
                          Loaded{st->column_text(1), rec::decode(st->column_blob(2))});
    }
    // The batch's keys missing from the cache are read from keys.db under one snapshot.
    db::ReadSnapshot keys_snapshot(store->keysdb);
    for (auto& [id, l] : rows) {
      batch.push_back(to_record(*store, id, l, fields));
      std::vector<std::string> names;
      for (const auto& [k, v] : batch.back().fields)
        names.push_back(k);
      store->log_read(ctx, id, join_names(names));
      last_id = id;
    }
    done = batch.empty();
    return !done;
  }
};

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

RecordScan CustomerStore::scan(const AccessContext& ctx, std::vector<std::string> fields) {
  StoreImpl& self = live();
  self.check_context(ctx);
  for (const auto& f : fields)
    (void)declared(self.manifest, f);
  auto st = std::make_unique<RecordScan::State>();
  st->store = &self;
  st->ctx = ctx;
  st->fields = std::move(fields);
  return RecordScan(std::move(st));
}

// --- duplicates and merge

std::vector<std::vector<CustomerId>> CustomerStore::find_duplicates(const AccessContext& ctx) {
  StoreImpl& s = live();
  s.check_context(ctx);
  std::vector<const Field*> keyed;
  for (const auto& f : s.manifest.fields())
    if (f.type == FieldType::email || f.type == FieldType::phone || f.type == FieldType::nik)
      keyed.push_back(&f);
  std::vector<std::string> names;
  for (const Field* f : keyed)
    names.push_back(f->name);

  // Digests of the normalized values under a one-off random key, never the values themselves,
  // are kept in memory; they only have to be equal within this call.
  const crypto::HmacSha256 digest(SecretBytes::random(crypto::kKeySize).view());
  std::map<std::array<std::byte, 32>, std::vector<std::size_t>> by_digest;
  std::vector<std::string> ids;
  {
    RecordScan sc = scan(ctx, names);
    for (const Record& r : sc) {
      const std::size_t idx = ids.size();
      ids.push_back(r.id.str());
      for (const auto& [name, value] : r.fields) {
        const Field& f = *s.manifest.field(name);
        const std::string form =
            std::string(to_string(f.type)) + "|" + StoreImpl::stored_index_form(f, value);
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
  for (const auto& [d, members] : by_digest)
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

void CustomerStore::merge(const AccessContext& ctx, const CustomerId& keep,
                          const CustomerId& absorb) {
  StoreImpl& s = live();
  s.check_context(ctx);
  if (keep == absorb)
    throw Error(ErrorCode::InvalidArgument, "cannot merge a customer into itself");
  std::lock_guard g(s.mu);
  s.require_open();
  std::string absorbed_key;
  {
    db::Transaction tx(s.data);
    const std::size_t flushed = s.flush_reads();
    Loaded k = load_existing(s, keep);
    const Loaded a = load_existing(s, absorb);
    std::vector<std::string> taken;
    for (const auto& [name, v] : a.doc) {
      const Field* f = s.manifest.field(name);
      if (f == nullptr || k.doc.contains(name)) continue;
      // Re-sealed under the kept subject's key and id.
      values::Normalized n;
      n.value = s.plain_value(absorb.str(), a.key_id, name, v);
      n.nik_like = v.sealed && !f->encrypted();
      k.doc.emplace(name, stored_value(s, *f, keep.str(), k.key_id, n));
      if (f->lookup) {
        n.index_form = StoreImpl::stored_index_form(*f, n.value);
        write_index(s, keep.str(), *f, n);
      }
      taken.push_back(name);
    }
    s.data.prepare("UPDATE subjects SET doc = ?1, updated_at = ?2 WHERE id = ?3")
        .bind(1, rec::encode(k.doc))
        .bind(2, now())
        .bind(3, keep.str())
        .run();
    s.data.prepare("DELETE FROM subjects WHERE id = ?1").bind(1, absorb.str()).run();
    s.log_write(ctx, "merge", keep.str(), join_names(taken));
    s.log_write(ctx, "erase", absorb.str(), "");
    tx.commit();
    s.forget_reads(flushed);
    absorbed_key = a.key_id;
  }
  // After the data commit: the absorbed subject's key protects nothing any more.
  s.destroy_subject_key(absorbed_key);
}

}  // namespace amanah
