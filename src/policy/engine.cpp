// The policy engine: compile a manifest's rules into per-(action, field) buckets, then decide
// by walking only the rules that can apply. Pure: no I/O, no clock.
#include "policy/engine.hpp"

#include <algorithm>
#include <array>
#include <mutex>

#include <amanah/error.hpp>

#include "policy/context.hpp"

namespace amanah {
namespace detail::policy {
namespace {

constexpr std::size_t kActions = static_cast<std::size_t>(Action::disclose_keys) + 1;
constexpr std::uint16_t kStore = Outcome::kStore;
// Deciding rules reserved per field asked about: one allocation for most requests.
constexpr std::size_t kRulesPerField = 4;

// Actions on the store as a whole (manifest.hpp): only rules naming no field and no category
// decide them, even when a caller asks about them field by field.
constexpr bool store_action(Action a) {
  switch (a) {
    case Action::manage_consent:
    case Action::manage_manifest:
    case Action::read_audit:
    case Action::restrict:
    case Action::object:
    case Action::manage_retention:
    case Action::backup:
    case Action::disclose_keys:
      return true;
    default:
      return false;
  }
}

constexpr std::uint8_t bit(Reason r) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(r));
}

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::uint64_t hash_name(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325u;  // FNV-1a
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3u;
  }
  return h;
}

}  // namespace

template <class Items, class Name>
void NameIndex::build(const Items& items, Name name) {
  std::size_t size = 8;
  while (size < 2 * items.size())
    size *= 2;
  slots_.assign(size, Slot{});
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string_view n = name(items[i]);
    const std::uint64_t h = hash_name(n);
    std::size_t at = h & (size - 1);
    while (slots_[at].index >= 0 && slots_[at].name != n)
      at = (at + 1) & (size - 1);
    // A name listed twice (the validator does not let one through) keeps its first position.
    if (slots_[at].index < 0) slots_[at] = Slot{h, n, static_cast<int>(i)};
  }
}

int NameIndex::find(std::string_view name) const noexcept {
  if (slots_.empty()) return -1;
  const std::uint64_t h = hash_name(name);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = h & mask;; at = (at + 1) & mask) {
    const Slot& s = slots_[at];
    if (s.index < 0) return -1;
    if (s.hash == h && s.name == name) return s.index;
  }
}

Table::Table(std::shared_ptr<const Manifest> manifest) : manifest_(std::move(manifest)) {
  const Manifest& m = *manifest_;
  if (m.fields().size() >= kStore || m.rules().size() >= 0xffff || m.roles().size() >= 0xffff)
    throw Error(ErrorCode::InvalidManifest, "the manifest has too many fields, rules or roles");
  fields_.build(m.fields(), [](const Field& f) -> std::string_view { return f.name; });
  roles_.build(m.roles(), [](const Role& r) -> std::string_view { return r.id; });
  purposes_.build(m.purposes(), [](const Purpose& p) -> std::string_view { return p.id; });

  // Which rules each role and each purpose can match. A role or purpose a rule names that is not
  // declared (the validator does not let one through) matches nobody.
  const std::size_t nr = m.rules().size();
  words_ = (nr + 63) / 64;
  role_rules_.assign(m.roles().size() * words_, 0);
  purpose_rules_.assign(m.purposes().size() * words_, 0);
  const auto set = [&](std::vector<std::uint64_t>& bits, std::size_t row, std::size_t ri) {
    bits[row * words_ + ri / 64] |= std::uint64_t{1} << (ri % 64);
  };
  rule_mask_.reserve(nr);
  rule_restricted_.reserve(nr);
  for (std::size_t ri = 0; ri < nr; ++ri) {
    const Rule& r = m.rules()[ri];
    rule_mask_.push_back(!r.forbid && r.mask ? static_cast<std::uint8_t>(*r.mask) : kNoMask);
    rule_restricted_.push_back(!r.forbid && r.restricted ? 1 : 0);
    for (std::size_t k = 0; k < m.roles().size(); ++k)
      if (r.roles.empty() || contains(r.roles, m.roles()[k].id)) set(role_rules_, k, ri);
    for (std::size_t k = 0; k < m.purposes().size(); ++k)
      if (r.purposes.empty() || contains(r.purposes, m.purposes()[k].id))
        set(purpose_rules_, k, ri);
  }

  // The buckets, in field_bucket() order: per action, each field, then the store as a whole.
  const std::size_t nf = m.fields().size();
  bucket_begin_.reserve(kActions * (nf + 1) + 1);
  bucket_split_.reserve(kActions * (nf + 1));
  for (std::size_t a = 0; a < kActions; ++a) {
    const auto action = static_cast<Action>(a);
    for (std::size_t fi = 0; fi <= nf; ++fi) {
      const Field* f = fi < nf ? &m.fields()[fi] : nullptr;
      bucket_begin_.push_back(static_cast<std::uint32_t>(bucket_rules_.size()));
      // Forbids first, so a bucket's walk sees them before the permits.
      for (const bool forbid : {true, false}) {
        if (!forbid) bucket_split_.push_back(static_cast<std::uint32_t>(bucket_rules_.size()));
        for (std::size_t ri = 0; ri < nr; ++ri) {
          const Rule& r = m.rules()[ri];
          if (r.forbid != forbid) continue;
          if (!r.actions.empty() && !contains(r.actions, action)) continue;
          if (f == nullptr || store_action(action)) {
            if (!r.fields.empty() || !r.categories.empty()) continue;
          } else {
            if (!r.fields.empty() && !contains(r.fields, f->name)) continue;
            if (!r.categories.empty() && !contains(r.categories, f->category)) continue;
          }
          bucket_rules_.push_back(static_cast<std::uint16_t>(ri));
        }
      }
      if (bucket_rules_.size() > 0xffffffffu)
        throw Error(ErrorCode::InvalidManifest, "the manifest has too many fields and rules");
    }
  }
  bucket_begin_.push_back(static_cast<std::uint32_t>(bucket_rules_.size()));

  // Each field's default mask and declared purposes.
  const std::size_t np = m.purposes().size();
  field_mask_.reserve(nf);
  field_declares_.assign(nf * np, 0);
  for (std::size_t fi = 0; fi < nf; ++fi) {
    field_mask_.push_back(m.fields()[fi].mask);
    for (const auto& p : m.fields()[fi].purposes) {
      const int i = purposes_.find(p);
      if (i >= 0) field_declares_[fi * np + static_cast<std::size_t>(i)] = 1;
    }
  }
}

int Table::field_index(std::string_view name) const noexcept {
  return fields_.find(name);
}

const Verdict& Table::verdict(const Decision& d) noexcept {
  return Engine::unwrap(d);
}

template <class Names>
Decision Table::run(const AccessContext& ctx, Action action, const Names& fields, bool all,
                    bool store_level) const {
  if (ctx.actor.empty())
    throw Error(ErrorCode::InvalidArgument, "the access context names no actor");
  if (ctx.roles.empty())
    throw Error(ErrorCode::InvalidArgument, "the access context names no role");
  const Manifest& m = *manifest_;
  auto v = std::make_shared<Verdict>();
  v->table = shared_from_this();
  v->action = action;
  v->roles.reserve(ctx.roles.size());
  for (const auto& r : ctx.roles) {
    const int i = roles_.find(r);
    if (i < 0) {
      v->context_reasons |= bit(Reason::undeclared_role);
      v->asked_roles.push_back(r);
    } else {
      v->roles.push_back(static_cast<std::uint16_t>(i));
    }
  }
  v->purpose = purposes_.find(ctx.purpose);
  if (v->purpose < 0) {
    v->context_reasons |= bit(Reason::undeclared_purpose);
    v->asked_purpose = ctx.purpose;
  } else {
    v->requires_consent =
        m.purposes()[static_cast<std::size_t>(v->purpose)].basis == LegalBasis::consent &&
        (action == Action::read || action == Action::update);
  }
  const auto purpose = static_cast<std::uint16_t>(v->purpose);
  const std::size_t nf = m.fields().size();
  const bool show_mask = masked_action(action);

  // The rules the request's roles and purpose can match: a bit per rule.
  constexpr std::size_t kInlineWords = 16;  // up to 1024 rules without an allocation
  std::array<std::uint64_t, kInlineWords> inline_bits{};
  std::vector<std::uint64_t> heap_bits;
  std::uint64_t* can_match = inline_bits.data();
  if (words_ > kInlineWords) {
    heap_bits.assign(words_, 0);
    can_match = heap_bits.data();
  }
  if (v->context_reasons == 0) {
    for (const auto role : v->roles) {
      const std::uint64_t* row = role_rules_.data() + role * words_;
      for (std::size_t w = 0; w < words_; ++w)
        can_match[w] |= row[w];
    }
    const std::uint64_t* row = purpose_rules_.data() + purpose * words_;
    for (std::size_t w = 0; w < words_; ++w)
      can_match[w] &= row[w];
  }
  const auto matches = [can_match](std::uint16_t ri) {
    return ((can_match[ri >> 6] >> (ri & 63u)) & 1u) != 0;
  };
  const std::uint16_t* bucket_rules = bucket_rules_.data();
  // One outcome from a bucket of rules (forbids first).
  auto decide_one = [&](std::uint16_t field, std::size_t bucket, std::uint8_t reasons, Mask base) {
    Outcome o;
    o.field = field;
    o.rules_begin = static_cast<std::uint32_t>(v->rules.size());
    reasons |= v->context_reasons;
    bool forbidden = false;
    bool permitted = false;
    std::uint8_t restricted = 0;
    Mask mask = Mask::none;
    if (v->context_reasons == 0) {
      const std::uint32_t begin = bucket_begin_[bucket];
      const std::uint32_t split = bucket_split_[bucket];
      const std::uint32_t end = bucket_begin_[bucket + 1];
      for (std::uint32_t i = begin; i < split; ++i)
        if (matches(bucket_rules[i])) {
          forbidden = true;
          v->rules.push_back(bucket_rules[i]);
        }
      if (!forbidden)
        for (std::uint32_t i = split; i < end; ++i) {
          const std::uint16_t ri = bucket_rules[i];
          if (!matches(ri)) continue;
          permitted = true;
          const std::uint8_t own = rule_mask_[ri];
          mask = std::max(mask, own == kNoMask ? base : static_cast<Mask>(own));
          restricted |= rule_restricted_[ri];
          v->rules.push_back(ri);
        }
    }
    if (forbidden) {
      reasons |= bit(Reason::forbidden);
    } else if (!permitted && v->context_reasons == 0) {
      // Only when the rules were consulted: an undeclared role or purpose skips them.
      reasons |= bit(Reason::no_permit);
    }
    if (reasons == 0) {
      o.effect = Effect::allow;
      o.reasons = bit(Reason::permitted);
      o.mask = show_mask ? mask : Mask::none;
      o.restricted_ok = restricted != 0;
    } else {
      o.effect = Effect::deny;
      o.reasons = reasons;
      if (!forbidden) v->rules.resize(o.rules_begin);  // permits do not decide a deny
    }
    o.rules_end = static_cast<std::uint32_t>(v->rules.size());
    v->outcomes.push_back(o);
  };
  auto decide_field = [&](int fi) {
    if (fi < 0) {
      Outcome o;
      o.reasons = bit(Reason::undeclared_field) | v->context_reasons;
      o.rules_begin = o.rules_end = static_cast<std::uint32_t>(v->rules.size());
      v->outcomes.push_back(o);
      return;
    }
    const auto f = static_cast<std::size_t>(fi);
    std::uint8_t reasons = 0;
    if (v->purpose >= 0 && field_declares_[f * m.purposes().size() + purpose] == 0)
      reasons |= bit(Reason::purpose_not_declared);
    decide_one(static_cast<std::uint16_t>(fi), field_bucket(action, f), reasons, field_mask_[f]);
  };

  if (store_level) {
    decide_one(kStore, store_bucket(action), 0, Mask::none);
  } else if (all) {
    v->outcomes.reserve(nf);
    v->rules.reserve(kRulesPerField * nf);
    for (std::size_t fi = 0; fi < nf; ++fi)
      decide_field(static_cast<int>(fi));
  } else {
    v->outcomes.reserve(std::size(fields));
    v->rules.reserve(kRulesPerField * std::size(fields));
    for (const auto& name : fields) {
      const int fi = field_index(name);
      if (fi < 0) v->asked_fields.emplace_back(name);
      decide_field(fi);
    }
  }
  v->effect = !v->outcomes.empty() &&
                      std::all_of(v->outcomes.begin(), v->outcomes.end(),
                                  [](const Outcome& o) { return o.effect == Effect::allow; })
                  ? Effect::allow
                  : Effect::deny;
  return Engine::wrap(std::move(v));
}

Decision Table::decide(const AccessContext& ctx, Action action,
                       std::span<const std::string> fields) const {
  return run(ctx, action, fields, false, false);
}

Decision Table::decide_all(const AccessContext& ctx, Action action) const {
  return run(ctx, action, std::span<const std::string>{}, true, false);
}

Decision Table::decide_store(const AccessContext& ctx, Action action) const {
  return run(ctx, action, std::span<const std::string>{}, false, true);
}

Decision Table::decide_one_field(const AccessContext& ctx, Action action,
                                 std::string_view field) const {
  return run(ctx, action, std::array{field}, false, false);
}

std::shared_ptr<const Table> Engine::current() const {
  std::shared_ptr<const Manifest> m = source_();
  if (!m) throw Error(ErrorCode::InvalidOperation, "the store is closed");
  {
    std::shared_lock g(mu_);
    if (table_ && table_->manifest_ptr() == m) return table_;
  }
  auto t = std::make_shared<const Table>(m);  // compiled outside the lock
  std::unique_lock g(mu_);
  if (table_ && table_->manifest_ptr() == m) return table_;  // another thread was first
  table_ = t;
  return t;
}

void Engine::clear() noexcept {
  std::unique_lock g(mu_);
  table_.reset();
}

std::shared_ptr<const Asked> ask(const Table& table, const AccessContext& ctx, Action action,
                                 std::span<const std::string> fields, bool all) {
  struct Memo {
    std::shared_ptr<const Asked> asked;  // keeps `table` alive (through its verdict)
    const Table* table = nullptr;
    Action action = Action::read;
    bool all = false;
    std::vector<std::string> roles, fields;
    std::string purpose;
  };
  thread_local Memo memo;
  if (memo.asked && memo.table == &table && memo.action == action && memo.all == all &&
      memo.roles == ctx.roles && memo.purpose == ctx.purpose &&
      std::equal(fields.begin(), fields.end(), memo.fields.begin(), memo.fields.end())) {
    if (ctx.actor.empty())
      throw Error(ErrorCode::InvalidArgument, "the access context names no actor");
    return memo.asked;
  }
  auto a = std::make_shared<Asked>();
  a->decision = all ? table.decide_all(ctx, action) : table.decide(ctx, action, fields);
  a->rules = rule_list(a->decision);
  a->allow_rules = rule_list(a->decision, Effect::allow);
  memo = Memo{a, &table, action, all, ctx.roles, {fields.begin(), fields.end()}, ctx.purpose};
  return a;
}

AccessContext loggable(const AccessContext& ctx, const Decision& d) {
  const Verdict& v = Engine::unwrap(d);
  if (v.asked_roles.empty() && v.purpose >= 0) return ctx;
  AccessContext out;
  out.actor = ctx.actor;
  for (const auto& r : ctx.roles) {
    const bool undeclared =
        std::find(v.asked_roles.begin(), v.asked_roles.end(), r) != v.asked_roles.end();
    out.roles.push_back(undeclared ? std::string("(undeclared)") : r);
  }
  out.purpose = v.purpose >= 0 ? ctx.purpose : "(undeclared)";
  return out;
}

std::string rule_list(const Decision& d) {
  return rule_list(d, d.effect());
}

std::vector<std::uint16_t> deciding_rules(const Verdict& v, Effect side) {
  std::vector<std::uint16_t> idx;
  for (const Outcome& o : v.outcomes)
    if (o.effect == side)
      idx.insert(idx.end(), v.rules.begin() + o.rules_begin, v.rules.begin() + o.rules_end);
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

std::string rule_list(const Decision& d, Effect side) {
  const Verdict& v = Engine::unwrap(d);
  std::string out;
  for (const auto i : deciding_rules(v, side)) {
    if (!out.empty()) out += ',';
    out += v.table->manifest().rules()[i].id;
  }
  return out;
}

}  // namespace detail::policy

}  // namespace amanah
