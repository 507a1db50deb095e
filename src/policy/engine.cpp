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

constexpr std::size_t kActions = 7;  // Action's enumerators
constexpr std::uint16_t kStore = Outcome::kStore;

constexpr std::uint8_t bit(Reason r) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(r));
}

bool masked_action(Action a) {
  return a == Action::read || a == Action::export_data;
}

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Sorted names and their original indices, for lookups without allocation.
template <class Items, class Name>
void index_names(const Items& items, Name name, std::vector<std::string_view>& sorted,
                 std::vector<std::uint16_t>& order) {
  std::vector<std::pair<std::string_view, std::uint16_t>> v;
  for (std::size_t i = 0; i < items.size(); ++i)
    v.emplace_back(name(items[i]), static_cast<std::uint16_t>(i));
  std::sort(v.begin(), v.end());
  for (const auto& [n, i] : v) {
    sorted.push_back(n);
    order.push_back(i);
  }
}

int find_name(const std::vector<std::string_view>& sorted, const std::vector<std::uint16_t>& order,
              std::string_view name) noexcept {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), name);
  if (it == sorted.end() || *it != name) return -1;
  return order[static_cast<std::size_t>(it - sorted.begin())];
}

}  // namespace

struct Table::CompiledRule {
  std::string_view id;
  bool forbid = false;
  std::optional<Mask> mask;
  std::vector<std::uint16_t> roles;     // empty: any role
  std::vector<std::uint16_t> purposes;  // empty: any purpose
};

Table::Table(std::shared_ptr<const Manifest> manifest) : manifest_(std::move(manifest)) {
  const Manifest& m = *manifest_;
  if (m.fields().size() >= kStore || m.rules().size() >= 0xffff || m.roles().size() >= 0xffff)
    throw Error(ErrorCode::InvalidManifest, "the manifest has too many fields, rules or roles");
  index_names(
      m.fields(), [](const Field& f) -> std::string_view { return f.name; }, field_names_sorted_,
      field_order_);
  index_names(
      m.roles(), [](const Role& r) -> std::string_view { return r.id; }, role_names_sorted_,
      role_order_);
  index_names(
      m.purposes(), [](const Purpose& p) -> std::string_view { return p.id; },
      purpose_names_sorted_, purpose_order_);
  for (const Rule& r : m.rules()) {
    CompiledRule c;
    c.id = r.id;
    c.forbid = r.forbid;
    c.mask = r.forbid ? std::nullopt : r.mask;
    for (const auto& role : r.roles) {
      const int i = find_name(role_names_sorted_, role_order_, role);
      // The validator declares every role a rule names; one that is missing matches nobody.
      c.roles.push_back(i < 0 ? std::uint16_t{0xffff} : static_cast<std::uint16_t>(i));
    }
    for (const auto& p : r.purposes) {
      const int i = find_name(purpose_names_sorted_, purpose_order_, p);
      c.purposes.push_back(i < 0 ? std::uint16_t{0xffff} : static_cast<std::uint16_t>(i));
    }
    rules_.push_back(std::move(c));
  }
  const std::size_t nf = m.fields().size();
  buckets_.resize(kActions * nf);
  store_buckets_.resize(kActions);
  for (std::size_t a = 0; a < kActions; ++a) {
    const auto action = static_cast<Action>(a);
    // Forbids first, so a bucket's walk sees them before the permits.
    for (const bool forbid : {true, false})
      for (std::size_t ri = 0; ri < m.rules().size(); ++ri) {
        const Rule& r = m.rules()[ri];
        if (r.forbid != forbid) continue;
        if (!r.actions.empty() && !contains(r.actions, action)) continue;
        const auto idx = static_cast<std::uint16_t>(ri);
        if (r.fields.empty() && r.categories.empty()) store_buckets_[a].push_back(idx);
        for (std::size_t fi = 0; fi < nf; ++fi) {
          const Field& f = m.fields()[fi];
          if (!r.fields.empty() && !contains(r.fields, f.name)) continue;
          if (!r.categories.empty() && !contains(r.categories, f.category)) continue;
          buckets_[a * nf + fi].push_back(idx);
        }
      }
  }
  // Each field's purposes, as indices.
  field_purposes_.resize(nf);
  for (std::size_t fi = 0; fi < nf; ++fi)
    for (const auto& p : m.fields()[fi].purposes) {
      const int i = find_name(purpose_names_sorted_, purpose_order_, p);
      if (i >= 0) field_purposes_[fi].push_back(static_cast<std::uint16_t>(i));
    }
}

int Table::field_index(std::string_view name) const noexcept {
  return find_name(field_names_sorted_, field_order_, name);
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
    const int i = find_name(role_names_sorted_, role_order_, r);
    if (i < 0) {
      v->context_reasons |= bit(Reason::undeclared_role);
      v->asked_roles.push_back(r);
    } else {
      v->roles.push_back(static_cast<std::uint16_t>(i));
    }
  }
  v->purpose = find_name(purpose_names_sorted_, purpose_order_, ctx.purpose);
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
  const std::size_t ai = static_cast<std::size_t>(action);

  auto matches = [&](const CompiledRule& r) {
    if (!r.roles.empty()) {
      bool any = false;
      for (const auto role : v->roles)
        if (contains(r.roles, role)) {
          any = true;
          break;
        }
      if (!any) return false;
    }
    return r.purposes.empty() || contains(r.purposes, purpose);
  };
  // One outcome from a bucket of rules (forbids first).
  auto decide_one = [&](std::uint16_t field, const std::vector<std::uint16_t>& bucket,
                        std::uint8_t reasons, Mask base) {
    Outcome o;
    o.field = field;
    o.rules_begin = static_cast<std::uint32_t>(v->rules.size());
    reasons |= v->context_reasons;
    bool forbidden = false;
    bool permitted = false;
    Mask mask = Mask::none;
    if (v->context_reasons == 0)
      for (const auto ri : bucket) {
        const CompiledRule& r = rules_[ri];
        if (permitted && r.forbid) continue;
        if (!r.forbid && forbidden) break;  // forbids come first: the rest are permits
        if (!matches(r)) continue;
        if (r.forbid) {
          forbidden = true;
        } else {
          permitted = true;
          mask = std::max(mask, r.mask.value_or(base));
        }
        v->rules.push_back(ri);
      }
    if (forbidden) {
      reasons |= bit(Reason::forbidden);
    } else if (!permitted) {
      reasons |= bit(Reason::no_permit);
    }
    if (reasons == 0) {
      o.effect = Effect::allow;
      o.reasons = bit(Reason::permitted);
      o.mask = show_mask ? mask : Mask::none;
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
    if (v->purpose >= 0 && !contains(field_purposes_[f], purpose))
      reasons |= bit(Reason::purpose_not_declared);
    decide_one(static_cast<std::uint16_t>(fi), buckets_[ai * nf + f], reasons, m.fields()[f].mask);
  };

  if (store_level) {
    decide_one(kStore, store_buckets_[ai], 0, Mask::none);
  } else if (all) {
    v->outcomes.reserve(nf);
    for (std::size_t fi = 0; fi < nf; ++fi)
      decide_field(static_cast<int>(fi));
  } else {
    v->outcomes.reserve(std::size(fields));
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
  auto t = std::make_shared<const Table>(m);
  std::unique_lock g(mu_);
  if (!table_ || table_->manifest_ptr() != m) table_ = t;
  return table_->manifest_ptr() == m ? table_ : t;
}

void Engine::clear() noexcept {
  std::unique_lock g(mu_);
  table_.reset();
}

void require(const Decision& d) {
  if (!d.allowed()) throw AccessDenied(d);
}

std::string rule_list(const Decision& d) {
  std::string out;
  for (const auto& id : d.rules()) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

}  // namespace detail::policy

}  // namespace amanah
