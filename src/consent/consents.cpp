// The consent registry: append-only events, evidence sealed under the subject's key, a cache for
// the checks consent gating makes on every access.
#include "consent/consents.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "manifest/model.hpp"
#include "policy/context.hpp"
#include "store/time.hpp"

namespace amanah {

struct SubjectScan::State {
  detail::consent::Consents* consents = nullptr;
  std::string purpose;
  std::int64_t at = 0;
  std::vector<CustomerId> batch;
  std::size_t pos = 0;
  std::int64_t last_row = 0;  // keyset pagination: no statement stays open between batches
  bool done = false;

  bool fetch() {
    batch = consents->scan_batch(purpose, at, last_row);
    pos = 0;
    done = batch.empty();
    return !done;
  }
};

namespace detail::consent {
namespace {

using nlohmann::json;

constexpr std::int64_t kNoExpiry = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kGrant = 1;
constexpr std::int64_t kWithdraw = 2;
constexpr std::byte kSealedV1{1};
constexpr int kEvidenceFormat = 1;

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorCode::InvalidArgument, what);
}

// Code points of valid UTF-8, or false. Rejects overlong forms, surrogates and > U+10FFFF.
template <class F>
bool each_code_point(std::string_view s, F&& f) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t n = 0;
    if (b < 0x80) {
      cp = b;
    } else if ((b & 0xe0) == 0xc0) {
      cp = b & 0x1fU;
      n = 1;
    } else if ((b & 0xf0) == 0xe0) {
      cp = b & 0x0fU;
      n = 2;
    } else if ((b & 0xf8) == 0xf0) {
      cp = b & 0x07U;
      n = 3;
    } else {
      return false;
    }
    if (n > 0 && i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3fU);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    f(cp);
    i += n + 1;
  }
  return true;
}

// A text part of the evidence: `min`..`max` bytes of UTF-8 without control characters. The
// message names the part, never its value.
void check_text(std::string_view v, std::size_t min, std::size_t max, const char* part) {
  if (v.size() < min || v.size() > max)
    invalid(std::string("consent evidence: ") + part + " must be " + std::to_string(min) + " to " +
            std::to_string(max) + " bytes");
  bool control = false;
  if (!each_code_point(v, [&](std::uint32_t cp) {
        control = control || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
      }))
    invalid(std::string("consent evidence: ") + part + " is not valid UTF-8");
  if (control)
    invalid(std::string("consent evidence: ") + part + " must not contain control characters");
}

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The shape of a BCP 47 tag: a 2..8-letter primary subtag, then subtags of 1..8 letters or
// digits, at most 35 bytes ("id", "en-US", "zh-Hant-TW").
bool bcp47(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  std::size_t start = 0;
  bool first = true;
  while (start <= tag.size()) {
    std::size_t end = tag.find('-', start);
    if (end == std::string_view::npos) end = tag.size();
    const std::string_view sub = tag.substr(start, end - start);
    if (sub.empty() || sub.size() > 8) return false;
    if (first && (sub.size() < 2 || !std::all_of(sub.begin(), sub.end(), is_alpha))) return false;
    if (!std::all_of(sub.begin(), sub.end(), is_alnum)) return false;
    first = false;
    if (end == tag.size()) break;
    start = end + 1;
  }
  return true;
}

bool valid_method(ConsentMethod m) noexcept {
  const auto v = static_cast<int>(m);
  return v >= static_cast<int>(ConsentMethod::checkbox) &&
         v <= static_cast<int>(ConsentMethod::other);
}

using store::iso8601;
using store::time_point;
std::int64_t seconds(TimePoint t) {
  return store::unix_seconds(t);
}

// Validates the evidence of a grant made at `now` and returns it as it is kept (the SHA-256 in
// lower case, the expiry in whole seconds).
ConsentEvidence checked_evidence(const ConsentEvidence& in, std::int64_t now) {
  check_text(in.source, 1, 128, "source");
  check_text(in.notice_version, 1, 64, "notice_version");
  ConsentEvidence out = in;
  if (!in.notice_sha256.empty()) {
    if (in.notice_sha256.size() != 64 ||
        in.notice_sha256.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      invalid("consent evidence: notice_sha256 must be 64 hex digits");
    for (char& c : out.notice_sha256)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!in.language.empty() && !bcp47(in.language))
    invalid("consent evidence: language must be a BCP 47 tag such as \"id\" or \"en-US\"");
  if (!valid_method(in.method)) invalid("consent evidence: method is not a known consent method");
  if (in.expires) {
    const std::int64_t e = seconds(*in.expires);
    if (e <= now) invalid("consent evidence: expires must be after the time of the grant");
    out.expires = time_point(e);
  }
  if (in.guardian) {
    check_text(in.guardian->name, 1, 256, "guardian name");
    check_text(in.guardian->relationship, 1, 64, "guardian relationship");
  }
  return out;
}

ConsentMethod method_from(std::string_view s) {
  for (auto m : {ConsentMethod::checkbox, ConsentMethod::signature, ConsentMethod::verbal,
                 ConsentMethod::imported, ConsentMethod::other})
    if (to_string(m) == s) return m;
  throw Error(ErrorCode::Corrupt, "a consent's evidence is damaged");
}

// What is sealed: the evidence (a withdrawal's is its source only) and who recorded it.
std::string encode_evidence(ConsentEventKind kind, const ConsentEvidence& e,
                            std::string_view actor) {
  json j;
  j["v"] = kEvidenceFormat;
  j["source"] = e.source;
  j["actor"] = actor;
  if (kind == ConsentEventKind::grant) {
    j["notice_version"] = e.notice_version;
    j["notice_sha256"] = e.notice_sha256;
    j["language"] = e.language;
    j["method"] = to_string(e.method);
    if (e.guardian)
      j["guardian"] = {{"name", e.guardian->name}, {"relationship", e.guardian->relationship}};
  }
  return j.dump();
}

void decode_evidence(std::string_view text, ConsentEvent& ev) {
  try {
    const json j = json::parse(text);
    if (j.at("v").get<int>() != kEvidenceFormat)
      throw Error(ErrorCode::Unsupported,
                  "a consent's evidence has an "
                  "unknown format");
    ev.evidence.source = j.at("source").get<std::string>();
    ev.actor = j.at("actor").get<std::string>();
    if (ev.kind == ConsentEventKind::grant) {
      ev.evidence.notice_version = j.at("notice_version").get<std::string>();
      ev.evidence.notice_sha256 = j.at("notice_sha256").get<std::string>();
      ev.evidence.language = j.at("language").get<std::string>();
      ev.evidence.method = method_from(j.at("method").get<std::string>());
      if (const auto g = j.find("guardian"); g != j.end())
        ev.evidence.guardian =
            Guardian{g->at("name").get<std::string>(), g->at("relationship").get<std::string>()};
    }
  } catch (const json::exception&) {
    // nlohmann's messages may quote the text: none of it goes further.
    throw Error(ErrorCode::Corrupt, "a consent's evidence is damaged");
  }
}

void wipe(std::string& s) noexcept {
  crypto::wipe(std::span<std::byte>(reinterpret_cast<std::byte*>(s.data()), s.size()));
}

// The associated data of an event's sealed evidence: the box opens only as this store's, this
// subject's, this purpose's event with these plain columns.
std::string evidence_aad(std::string_view store_id, std::string_view subject,
                         std::string_view key_id, std::string_view purpose, std::int64_t event,
                         std::int64_t kind, std::int64_t at, std::int64_t expires) {
  std::string aad = "amanah/v1/consent|";
  aad.append(store_id).append("|").append(subject).append("|").append(key_id).append("|");
  aad.append(purpose).append("|").append(std::to_string(event)).append("|");
  aad.append(std::to_string(kind)).append("|").append(std::to_string(at)).append("|");
  aad.append(expires == kNoExpiry ? std::string("-") : std::to_string(expires));
  return aad;
}

}  // namespace

// --- helpers over cached events

namespace {
template <class B>
const B* in_force(const std::vector<B>& events, std::int64_t at) {
  const B* best = nullptr;
  for (const B& e : events)  // ascending id: the last one at or before `at` decides
    if (e.at <= at) best = &e;
  return best;
}
template <class B>
ConsentState state_of(const std::vector<B>& events, std::int64_t at) {
  const B* e = in_force(events, at);
  if (e == nullptr) return ConsentState::never;
  if (!e->grant) return ConsentState::withdrawn;
  return e->expires <= at ? ConsentState::expired : ConsentState::granted;
}
}  // namespace

struct Consents::Decided {
  std::shared_ptr<const policy::Table> table;
  Decision decision;
  std::string purpose;
};

std::string Consents::checked_purpose(const Manifest& m, std::string_view purpose) const {
  if (m.purpose(purpose) == nullptr)
    invalid("purpose " + policy::quoted(purpose, true) + " is not declared in the manifest");
  return std::string(purpose);
}

Consents::Decided Consents::decide_write(const AccessContext& ctx, const CustomerId& id,
                                         std::string_view purpose, std::string_view action) {
  Decided d;  // a context with no actor or role is InvalidArgument from the decision
  d.table = policy_.current();
  d.decision = d.table->decide_store(ctx, Action::manage_consent);
  if (!d.decision.allowed()) {
    // The purpose goes into the log only if it has a name's shape (it may be anything).
    log_.record_denial(ctx, action, id.str(),
                       manifest::valid_id(purpose, true) ? purpose : std::string_view{},
                       d.decision);
    throw AccessDenied(d.decision);
  }
  const Manifest& m = d.table->manifest();
  d.purpose = checked_purpose(m, purpose);
  if (m.purpose(purpose)->basis != LegalBasis::consent)
    invalid("purpose '" + d.purpose +
            "' does not have the legal basis consent: it takes no consent events");
  return d;
}

std::optional<Consents::Subject> Consents::find_subject(db::Connection& c, const CustomerId& id) {
  auto st = c.cached("SELECT row, key_id FROM subjects WHERE id = ?1");
  st->bind(1, id.str());
  if (!st->step()) return std::nullopt;
  return Subject{st->column_int64(0), st->column_text(1)};
}

ConsentEvent Consents::record(const AccessContext& ctx, const CustomerId& id, const Decided& d,
                              ConsentEventKind kind, const ConsentEvidence& evidence) {
  const std::int64_t now = core_.now();
  const ConsentEvidence kept =
      kind == ConsentEventKind::grant ? checked_evidence(evidence, now) : evidence;
  const std::int64_t code = kind == ConsentEventKind::grant ? kGrant : kWithdraw;
  const std::int64_t expires =
      kind == ConsentEventKind::grant && kept.expires ? seconds(*kept.expires) : kNoExpiry;
  const std::string_view action =
      kind == ConsentEventKind::grant ? "consent_grant" : "consent_withdraw";

  std::lock_guard w(core_.write_mu);
  db::Connection& c = core_.data_writer();
  db::Transaction tx(c);
  const auto subject = find_subject(c, id);
  if (!subject) throw Error(ErrorCode::NotFound, "no customer with this id");
  std::int64_t eid = 0;
  {
    auto st = c.cached("SELECT coalesce(max(id), 0) FROM consents");
    (void)st->step();
    // Ids only grow while the store is open, even past deleted events (the cache relies on it).
    eid = std::max(st->column_int64(0), last_id_) + 1;
  }
  last_id_ = eid;
  std::vector<std::byte> box{kSealedV1};
  {
    const keys::SubjectKey key = keys_.get(subject->key_id);
    std::string plain = encode_evidence(kind, kept, ctx.actor);
    const auto sealed =
        key.seal(crypto::as_bytes(plain),
                 crypto::as_bytes(evidence_aad(core_.store_id(), id.str(), subject->key_id,
                                               d.purpose, eid, code, now, expires)));
    wipe(plain);
    box.insert(box.end(), sealed.begin(), sealed.end());
  }
  {
    auto ins = c.cached(
        "INSERT INTO consents(id, subject_row, purpose, kind, at, expires, evidence) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ins->bind(1, eid).bind(2, subject->row).bind(3, d.purpose).bind(4, code).bind(5, now);
    if (expires == kNoExpiry)
      ins->bind_null(6);
    else
      ins->bind(6, expires);
    ins->bind(7, std::span<const std::byte>(box)).run();
  }
  log_.record_write(tx, ctx, action, id.str(), d.purpose, policy::rule_list(d.decision));
  tx.on_commit([this, row = subject->row, purpose = d.purpose, eid] {
    std::lock_guard l(cache_mu_);
    drop(row, purpose);
    hw_ = std::max(hw_, eid);
  });
  tx.commit();

  ConsentEvent ev;
  ev.id = eid;
  ev.subject = id;
  ev.purpose = d.purpose;
  ev.kind = kind;
  ev.at = time_point(now);
  ev.actor = ctx.actor;
  if (kind == ConsentEventKind::grant)
    ev.evidence = kept;
  else
    ev.evidence.source = kept.source;
  return ev;
}

ConsentEvent Consents::grant(const AccessContext& ctx, const CustomerId& id,
                             std::string_view purpose, const ConsentEvidence& evidence) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  const Decided d = decide_write(ctx, id, purpose, "consent_grant");
  return record(ctx, id, d, ConsentEventKind::grant, evidence);
}

ConsentEvent Consents::withdraw(const AccessContext& ctx, const CustomerId& id,
                                std::string_view purpose, std::string_view source) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  const Decided d = decide_write(ctx, id, purpose, "consent_withdraw");
  check_text(source, 1, 128, "source");
  ConsentEvidence e;
  e.source = std::string(source);
  return record(ctx, id, d, ConsentEventKind::withdraw, e);
}

// --- the cache

void Consents::drop(std::int64_t row, std::string_view purpose) {
  auto drop_in = [&](std::unordered_map<std::int64_t, Briefs>& rows) {
    entries_ -= rows.erase(row);
  };
  if (!purpose.empty()) {
    if (const auto it = cache_.find(purpose); it != cache_.end()) drop_in(it->second);
    return;
  }
  for (auto& [p, rows] : cache_)
    drop_in(rows);
}

Consents::Briefs Consents::read_briefs(db::Connection& c, std::int64_t row,
                                       std::string_view purpose) {
  Briefs out;
  auto st = c.cached(
      "SELECT id, at, expires, kind FROM consents WHERE subject_row = ?1 AND purpose = ?2 "
      "ORDER BY id");
  st->bind(1, row).bind(2, purpose);
  while (st->step())
    out.push_back(Brief{st->column_int64(0), st->column_int64(1),
                        st->is_null(2) ? kNoExpiry : st->column_int64(2),
                        st->column_int64(3) == kGrant});
  return out;
}

Consents::Briefs Consents::briefs(db::Connection& c, std::int64_t row, std::string_view purpose) {
  {
    std::shared_lock l(cache_mu_);
    if (const auto p = cache_.find(purpose); p != cache_.end())
      if (const auto r = p->second.find(row); r != p->second.end()) return r->second;
  }
  // The newest event id this read sees, read before the events: if it is older than a commit
  // whose hook already ran, the events may be too, and are not cached.
  std::int64_t seen = 0;
  {
    auto st = c.cached("SELECT coalesce(max(id), 0) FROM consents");
    (void)st->step();
    seen = st->column_int64(0);
  }
  Briefs events = read_briefs(c, row, purpose);
  std::lock_guard l(cache_mu_);
  if (seen >= hw_ && !erased_rows_.contains(row)) {
    if (entries_ >= kCacheLimit) {
      cache_.clear();
      entries_ = 0;
    }
    auto p = cache_.find(purpose);
    if (p == cache_.end()) p = cache_.try_emplace(std::string(purpose)).first;
    if (p->second.try_emplace(row, events).second) ++entries_;
  }
  return events;
}

bool Consents::live(db::Connection& c, std::int64_t row, std::string_view purpose,
                    std::int64_t now) {
  {
    std::shared_lock l(cache_mu_);
    if (const auto p = cache_.find(purpose); p != cache_.end())
      if (const auto r = p->second.find(row); r != p->second.end())
        return state_of(r->second, now) == ConsentState::granted;
  }
  return state_of(briefs(c, row, purpose), now) == ConsentState::granted;
}

namespace {
// The subjects whose event in force at ?3 (the newest by id at or before it) is an unexpired
// grant for purpose ?1.
constexpr std::string_view kLiveWhere =
    "c.purpose = ?1 AND c.kind = 1 AND (c.expires IS NULL OR c.expires > ?3) AND c.id = "
    "(SELECT max(d.id) FROM consents d WHERE d.purpose = ?1 AND d.subject_row = c.subject_row "
    "AND d.at <= ?3)";
}  // namespace

std::vector<std::int64_t> Consents::live_rows(db::Connection& c, std::string_view purpose,
                                              std::int64_t first_row, std::int64_t last_row,
                                              std::int64_t now) {
  static const std::string sql = "SELECT c.subject_row FROM consents c WHERE " +
                                 std::string(kLiveWhere) +
                                 " AND c.subject_row BETWEEN ?2 AND ?4 ORDER BY c.subject_row";
  std::vector<std::int64_t> out;
  auto st = c.cached(sql);
  st->bind(1, purpose).bind(2, first_row).bind(3, now).bind(4, last_row);
  while (st->step())
    out.push_back(st->column_int64(0));
  return out;
}

std::optional<std::int64_t> Consents::consent_ended(db::Connection& c, std::int64_t row,
                                                    const std::vector<std::string>& purposes,
                                                    std::int64_t now) {
  std::optional<std::int64_t> ended;
  for (const auto& purpose : purposes) {
    const Briefs events = briefs(c, row, purpose);
    const Brief* e = in_force(events, now);
    if (e == nullptr) continue;
    if (e->grant && e->expires > now) return std::nullopt;  // live
    const std::int64_t end = e->grant ? e->expires : e->at;
    ended = ended ? std::max(*ended, end) : end;
  }
  return ended;
}

void Consents::add_objection(db::Transaction& tx, std::int64_t row, std::string_view purpose,
                             std::int64_t at) {
  tx.connection()
      .cached("INSERT OR IGNORE INTO objections(subject_row, purpose, at) VALUES (?1, ?2, ?3)")
      ->bind(1, row)
      .bind(2, purpose)
      .bind(3, at)
      .run();
  tx.on_commit([this, row, p = std::string(purpose)] {
    std::unique_lock l(objections_mu_);
    objected_[p].insert(row);
    any_objection_ = true;
  });
}

bool Consents::objected(std::int64_t row, std::string_view purpose) const {
  if (!any_objection_.load(std::memory_order_relaxed)) return false;
  std::shared_lock l(objections_mu_);
  const auto p = objected_.find(purpose);
  return p != objected_.end() && p->second.contains(row);
}

std::vector<std::pair<std::string, std::int64_t>> Consents::objections(db::Connection& c,
                                                                       std::int64_t row) {
  auto st = c.cached("SELECT purpose, at FROM objections WHERE subject_row = ?1 ORDER BY purpose");
  st->bind(1, row);
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (st->step())
    out.emplace_back(st->column_text(0), st->column_int64(1));
  return out;
}

void Consents::load_objections(db::Connection& c) {
  auto st = c.cached("SELECT subject_row, purpose FROM objections");
  std::unique_lock l(objections_mu_);
  objected_.clear();
  while (st->step())
    objected_[st->column_text(1)].insert(st->column_int64(0));
  any_objection_ = !objected_.empty();
}

std::size_t Consents::erase_subject(db::Transaction& tx, std::int64_t row) {
  db::Connection& c = tx.connection();
  c.cached("DELETE FROM consents WHERE subject_row = ?1")->bind(1, row).run();
  const auto erased = static_cast<std::size_t>(c.changes());
  c.cached("DELETE FROM objections WHERE subject_row = ?1")->bind(1, row).run();
  if (c.changes() > 0)
    tx.on_commit([this, row] {
      std::unique_lock l(objections_mu_);
      for (auto& [purpose, rows] : objected_)
        rows.erase(row);
    });
  std::int64_t left = 0;
  {
    auto st = c.cached("SELECT coalesce(max(id), 0) FROM consents");
    (void)st->step();
    left = st->column_int64(0);
  }
  // A read of the row that ran inside `tx` (with the writer) saw the deletion before it was
  // committed: dropped either way.
  tx.on_commit([this, row, left] {
    std::lock_guard l(cache_mu_);
    drop(row, {});
    erased_rows_.insert(row);
    // The events left: views of them are current for every row but this one.
    hw_ = left;
  });
  tx.on_rollback([this, row] {
    std::lock_guard l(cache_mu_);
    drop(row, {});
  });
  return erased;
}

void Consents::clear() noexcept {
  std::lock_guard l(cache_mu_);
  cache_.clear();
  entries_ = 0;
  hw_ = 0;
  erased_rows_.clear();
  last_id_ = 0;
}

// --- reads

ConsentState Consents::state(const CustomerId& id, std::string_view purpose, std::int64_t at) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  const std::string p = checked_purpose(*core_.manifest(), purpose);
  store::DataReader lease(core_);
  const auto s = find_subject(*lease, id);
  if (!s) throw Error(ErrorCode::NotFound, "no customer with this id");
  return state_of(briefs(*lease, s->row, p), at);
}

Consents::Stored Consents::stored(db::Statement& st) {
  // Columns: id, purpose, kind, at, expires, evidence.
  Stored out;
  out.id = st.column_int64(0);
  out.purpose = st.column_text(1);
  out.kind = st.column_int64(2);
  out.at = st.column_int64(3);
  out.expires = st.is_null(4) ? kNoExpiry : st.column_int64(4);
  const auto box = st.column_blob(5);
  out.box.assign(box.begin(), box.end());
  return out;
}

ConsentEvent Consents::open_event(const Stored& e, const CustomerId& id, const Subject& s,
                                  const keys::SubjectKey& key) const {
  ConsentEvent ev;
  ev.id = e.id;
  ev.subject = id;
  ev.purpose = e.purpose;
  ev.kind = e.kind == kGrant ? ConsentEventKind::grant : ConsentEventKind::withdraw;
  ev.at = time_point(e.at);
  if (e.expires != kNoExpiry) ev.evidence.expires = time_point(e.expires);
  crypto::Bytes plain;
  if (e.box.empty() || e.box[0] != kSealedV1 ||
      !key.open(std::span<const std::byte>(e.box).subspan(1),
                crypto::as_bytes(evidence_aad(core_.store_id(), id.str(), s.key_id, e.purpose, e.id,
                                              e.kind, e.at, e.expires)),
                plain))
    throw Error(ErrorCode::Corrupt, "a consent's evidence does not open (damaged or moved)");
  std::string text(reinterpret_cast<const char*>(plain.data()), plain.size());
  crypto::wipe(plain);
  decode_evidence(text, ev);
  wipe(text);
  return ev;
}

std::vector<ConsentEvent> Consents::history(const CustomerId& id) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  std::optional<Subject> s;
  std::vector<Stored> events;
  {
    store::DataReader lease(core_);
    db::ReadSnapshot snap(*lease);
    s = find_subject(*lease, id);
    if (!s) throw Error(ErrorCode::NotFound, "no customer with this id");
    auto st = lease->cached(
        "SELECT id, purpose, kind, at, expires, evidence FROM consents WHERE subject_row = ?1 "
        "ORDER BY id");
    st->bind(1, s->row);
    while (st->step())
      events.push_back(stored(*st));
  }
  std::vector<ConsentEvent> out;
  if (events.empty()) return out;
  const keys::SubjectKey key = keys_.get(s->key_id);
  out.reserve(events.size());
  for (const Stored& e : events)
    out.push_back(open_event(e, id, *s, key));
  return out;
}

std::optional<ConsentEvent> Consents::prove(const CustomerId& id, std::string_view purpose,
                                            std::int64_t at) {
  std::shared_lock gate(core_.gate);
  core_.require_open();
  // A purpose the manifest no longer declares may still have events to prove.
  if (!manifest::valid_id(purpose, true))
    invalid("purpose " + policy::quoted(purpose, true) + " is not a purpose name");
  std::optional<Subject> s;
  std::optional<Stored> event;
  {
    store::DataReader lease(core_);
    db::ReadSnapshot snap(*lease);
    s = find_subject(*lease, id);
    if (!s) throw Error(ErrorCode::NotFound, "no customer with this id");
    auto st = lease->cached(
        "SELECT id, purpose, kind, at, expires, evidence FROM consents WHERE subject_row = ?1 "
        "AND purpose = ?2 AND at <= ?3 ORDER BY id DESC LIMIT 1");
    st->bind(1, s->row).bind(2, purpose).bind(3, at);
    if (st->step()) event = stored(*st);
  }
  if (!event) return std::nullopt;
  return open_event(*event, id, *s, keys_.get(s->key_id));
}

std::vector<CustomerId> Consents::scan_batch(const std::string& purpose, std::int64_t at,
                                             std::int64_t& after) {
  static const std::string sql =
      "SELECT c.subject_row, s.id FROM consents c JOIN subjects s ON s.row = c.subject_row "
      "WHERE " +
      std::string(kLiveWhere) + " AND c.subject_row > ?2 ORDER BY c.subject_row LIMIT ?4";
  std::shared_lock gate(core_.gate);
  core_.require_open();
  std::vector<CustomerId> out;
  store::DataReader lease(core_);
  auto st = lease->cached(sql);
  st->bind(1, purpose).bind(2, after).bind(3, at).bind(4, static_cast<std::int64_t>(kScanBatch));
  while (st->step()) {
    after = st->column_int64(0);
    out.push_back(CustomerId::parse(st->column_text(1)));
  }
  return out;
}

SubjectScan Consents::subjects_with_consent(std::string_view purpose, std::int64_t at) {
  auto st = std::make_unique<SubjectScan::State>();
  {
    std::shared_lock gate(core_.gate);
    core_.require_open();
    st->purpose = checked_purpose(*core_.manifest(), purpose);
  }
  st->consents = this;
  st->at = at;
  return SubjectScan(std::move(st));
}

std::string Consents::receipt(const CustomerId& id, std::string_view purpose) {
  std::shared_ptr<const Manifest> m;
  std::int64_t now = 0;
  {
    std::shared_lock gate(core_.gate);
    core_.require_open();
    m = core_.manifest();
    now = core_.now();
    (void)checked_purpose(*m, purpose);
  }
  const std::optional<ConsentEvent> ev = prove(id, purpose, now);
  if (!ev)
    throw Error(ErrorCode::NotFound,
                "this customer has no consent event for purpose " + policy::quoted(purpose, true));
  // The state now, from the event in force now (one read: the two cannot disagree).
  const ConsentState state = ev->kind == ConsentEventKind::withdraw ? ConsentState::withdrawn
                             : ev->evidence.expires && seconds(*ev->evidence.expires) <= now
                                 ? ConsentState::expired
                                 : ConsentState::granted;
  const Purpose& p = *m->purpose(purpose);

  json evidence;
  evidence["source"] = ev->evidence.source;
  if (ev->kind == ConsentEventKind::grant) {
    evidence["notice_version"] = ev->evidence.notice_version;
    evidence["notice_sha256"] =
        ev->evidence.notice_sha256.empty() ? json(nullptr) : json(ev->evidence.notice_sha256);
    evidence["language"] =
        ev->evidence.language.empty() ? json(nullptr) : json(ev->evidence.language);
    evidence["method"] = to_string(ev->evidence.method);
    evidence["expires"] =
        ev->evidence.expires ? json(iso8601(seconds(*ev->evidence.expires))) : json(nullptr);
    evidence["guardian"] = ev->evidence.guardian
                               ? json{{"name", ev->evidence.guardian->name},
                                      {"relationship", ev->evidence.guardian->relationship}}
                               : json(nullptr);
  }
  json r;
  r["receipt_version"] = 1;
  r["issued_at"] = iso8601(now);
  r["store"] = {{"name", m->store_name()}};
  r["subject"] = id.str();
  r["purpose"] = {
      {"id", p.id}, {"description", p.description}, {"basis", std::string(to_string(p.basis))}};
  r["state"] = to_string(state);
  r["event"] = {{"id", ev->id},
                {"kind", ev->kind == ConsentEventKind::grant ? "grant" : "withdraw"},
                {"time", iso8601(seconds(ev->at))},
                {"recorded_by", ev->actor}};
  r["evidence"] = std::move(evidence);
  return r.dump(2);
}

}  // namespace detail::consent

// --- the public names of states and methods

std::string_view to_string(ConsentState v) noexcept {
  switch (v) {
    case ConsentState::never:
      return "never";
    case ConsentState::granted:
      return "granted";
    case ConsentState::withdrawn:
      return "withdrawn";
    case ConsentState::expired:
      return "expired";
  }
  return "unknown";
}

std::string_view to_string(ConsentMethod v) noexcept {
  switch (v) {
    case ConsentMethod::checkbox:
      return "checkbox";
    case ConsentMethod::signature:
      return "signature";
    case ConsentMethod::verbal:
      return "verbal";
    case ConsentMethod::imported:
      return "imported";
    case ConsentMethod::other:
      return "other";
  }
  return "unknown";
}

// --- the public scan, served by the consent service

SubjectScan::SubjectScan(std::unique_ptr<State> state) : state_(std::move(state)) {}
SubjectScan::SubjectScan(SubjectScan&&) noexcept = default;
SubjectScan& SubjectScan::operator=(SubjectScan&&) noexcept = default;
SubjectScan::~SubjectScan() = default;

SubjectScan::iterator SubjectScan::begin() {
  if (!state_ || (state_->batch.empty() && !state_->done && !state_->fetch())) return iterator{};
  if (state_->done) return iterator{};
  return iterator{this};
}

bool SubjectScan::advance() {
  if (++state_->pos < state_->batch.size()) return true;
  return state_->fetch();
}

const CustomerId& SubjectScan::iterator::operator*() const {
  return scan_->state_->batch[scan_->state_->pos];
}
const CustomerId* SubjectScan::iterator::operator->() const {
  return &**this;
}
SubjectScan::iterator& SubjectScan::iterator::operator++() {
  if (!scan_->advance()) scan_ = nullptr;
  return *this;
}

}  // namespace amanah
