// The public face of the engine: Decision, AccessDenied and AccessPolicy.
#include <algorithm>
#include <array>

#include <amanah/policy.hpp>

#include "policy/context.hpp"
#include "policy/engine.hpp"

namespace amanah {
namespace {

using detail::policy::Engine;
using detail::policy::Outcome;
using detail::policy::Verdict;

constexpr std::array kReasons{Reason::permitted,         Reason::forbidden,
                              Reason::no_permit,         Reason::purpose_not_declared,
                              Reason::undeclared_field,  Reason::undeclared_role,
                              Reason::undeclared_purpose};

bool has(std::uint8_t reasons, Reason r) {
  return (reasons & (1u << static_cast<unsigned>(r))) != 0;
}

// Each outcome's field name; undeclared ones as asked (quote them with policy::quoted).
std::vector<std::string> outcome_names(const Verdict& v) {
  std::vector<std::string> out;
  std::size_t undeclared = 0;
  for (const Outcome& o : v.outcomes) {
    if (o.field < Outcome::kStore)
      out.push_back(v.table->manifest().fields()[o.field].name);
    else if (o.field == Outcome::kUndeclared && undeclared < v.asked_fields.size())
      out.push_back(v.asked_fields[undeclared++]);
    else
      out.emplace_back();
  }
  return out;
}

std::vector<std::string> rule_ids(const Verdict& v, const Outcome& o) {
  std::vector<std::string> out;
  for (std::uint32_t i = o.rules_begin; i < o.rules_end; ++i)
    out.emplace_back(v.table->manifest().rules()[v.rules[i]].id);
  return out;
}

std::string quoted_list(const std::vector<std::string>& names, bool allow_dash) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += detail::policy::quoted(names[i], allow_dash);
  }
  return out;
}

std::string rules_phrase(const std::vector<std::string>& ids) {
  return (ids.size() == 1 ? "rule " : "rules ") + quoted_list(ids, true);
}

// The permits among an allowed outcome's rules that reach restricted customers.
std::vector<std::string> restricted_ids(const Verdict& v, const Outcome& o) {
  std::vector<std::string> out;
  const auto& rules = v.table->manifest().rules();
  for (std::uint32_t i = o.rules_begin; i < o.rules_end; ++i)
    if (rules[v.rules[i]].restricted) out.emplace_back(rules[v.rules[i]].id);
  return out;
}

}  // namespace

std::string_view to_string(Effect v) noexcept {
  return v == Effect::allow ? "allow" : "deny";
}

std::string_view to_string(Reason v) noexcept {
  switch (v) {
    case Reason::permitted:
      return "permitted";
    case Reason::forbidden:
      return "forbidden";
    case Reason::no_permit:
      return "no_permit";
    case Reason::purpose_not_declared:
      return "purpose_not_declared";
    case Reason::undeclared_field:
      return "undeclared_field";
    case Reason::undeclared_role:
      return "undeclared_role";
    case Reason::undeclared_purpose:
      return "undeclared_purpose";
  }
  return "unknown";
}

Decision::Decision() = default;
Decision::Decision(std::shared_ptr<const Verdict> v) : v_(std::move(v)) {}

Effect Decision::effect() const noexcept {
  return v_ ? v_->effect : Effect::deny;
}

Action Decision::action() const noexcept {
  return v_ ? v_->action : Action::read;
}

bool Decision::requires_consent() const noexcept {
  return v_ && v_->requires_consent;
}

std::vector<std::string> Decision::rules() const {
  std::vector<std::string> out;
  if (!v_) return out;
  for (const auto i : detail::policy::deciding_rules(*v_, v_->effect))
    out.push_back(v_->table->manifest().rules()[i].id);
  return out;
}

std::vector<FieldDecision> Decision::fields() const {
  std::vector<FieldDecision> out;
  if (!v_) return out;
  const auto names = outcome_names(*v_);
  for (std::size_t i = 0; i < v_->outcomes.size(); ++i) {
    const Outcome& o = v_->outcomes[i];
    if (o.field == Outcome::kStore) continue;
    FieldDecision f;
    f.field = names[i];
    f.effect = o.effect;
    f.mask = o.mask;
    for (const Reason r : kReasons)
      if (has(o.reasons, r)) f.reasons.push_back(r);
    f.rules = rule_ids(*v_, o);
    f.reaches_restricted = o.restricted_ok;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> Decision::allowed_fields() const {
  std::vector<std::string> out;
  if (!v_) return out;
  for (const Outcome& o : v_->outcomes)
    if (o.effect == Effect::allow && o.field < Outcome::kStore)
      out.push_back(v_->table->manifest().fields()[o.field].name);
  return out;
}

std::optional<Mask> Decision::mask(std::string_view field) const noexcept {
  if (!v_) return std::nullopt;
  const auto& fields = v_->table->manifest().fields();
  for (const Outcome& o : v_->outcomes)
    if (o.effect == Effect::allow && o.field < Outcome::kStore && fields[o.field].name == field)
      return o.mask;
  return std::nullopt;
}

bool Decision::allows(std::string_view field) const noexcept {
  return mask(field).has_value();
}

bool Decision::allows_restricted(std::string_view field) const noexcept {
  if (!v_) return false;
  const auto& fields = v_->table->manifest().fields();
  for (const Outcome& o : v_->outcomes) {
    if (o.effect != Effect::allow) continue;
    if (o.field == Outcome::kStore ? field.empty()
                                   : o.field < Outcome::kStore && fields[o.field].name == field)
      return o.restricted_ok;
  }
  return false;
}

std::string Decision::explain() const {
  if (!v_) return "Denied: nothing was decided.";
  const Verdict& v = *v_;
  const Manifest& m = v.table->manifest();
  std::string out = v.effect == Effect::allow ? "Allowed: " : "Denied: ";
  out += to_string(v.action);
  const auto names = outcome_names(v);
  const bool store_level = v.outcomes.size() == 1 && v.outcomes[0].field == Outcome::kStore;
  if (store_level) {
    out += " (an action on the store as a whole)";
  } else if (!v.outcomes.empty()) {
    out += " of ";
    out += quoted_list(names, false);
  }
  // Who and why, by names only.
  std::vector<std::string> roles;
  for (const auto r : v.roles)
    roles.push_back(m.roles()[r].id);
  roles.insert(roles.end(), v.asked_roles.begin(), v.asked_roles.end());
  out += roles.size() == 1 ? " by role " : " by roles ";
  out += quoted_list(roles, true);
  out += " for purpose ";
  const std::string purpose =
      v.purpose >= 0 ? m.purposes()[static_cast<std::size_t>(v.purpose)].id : v.asked_purpose;
  out += detail::policy::quoted(purpose, true);
  out += ".";
  if (!v.asked_roles.empty())
    out += " " + quoted_list(v.asked_roles, true) + (v.asked_roles.size() == 1 ? " is" : " are") +
           " not declared in the manifest, so nothing is allowed.";
  if (v.purpose < 0) out += " The purpose is not declared in the manifest, so nothing is allowed.";
  if (v.outcomes.empty()) out += " No field was asked about, so nothing is allowed.";
  for (std::size_t i = 0; i < v.outcomes.size(); ++i) {
    const Outcome& o = v.outcomes[i];
    if (v.context_reasons != 0 && !has(o.reasons, Reason::undeclared_field)) continue;
    out += " ";
    if (store_level) {
      out += "The action";
    } else {
      out += "Field " + detail::policy::quoted(names[i]);
      if (o.field < Outcome::kStore) {
        out += " (";
        out += to_string(m.fields()[o.field].category);
        out += ")";
      }
    }
    const auto ids = rule_ids(v, o);
    if (o.effect == Effect::allow) {
      out += " is permitted by " + rules_phrase(ids);
      if (detail::policy::masked_action(v.action))
        out += o.mask == Mask::none ? ", shown unmasked."
                                    : ", shown with mask " + std::string(to_string(o.mask)) + ".";
      else
        out += ".";
      if (o.restricted_ok) {
        const auto reach = restricted_ids(v, o);
        out += reach.size() == 1 ? " Rule " : " Rules ";
        out += quoted_list(reach, true);
        out += reach.size() == 1 ? " also reaches" : " also reach";
        out += " customers whose processing is restricted.";
      }
      continue;
    }
    std::vector<std::string> why;
    if (has(o.reasons, Reason::undeclared_field))
      why.emplace_back("is not declared in the manifest");
    if (has(o.reasons, Reason::forbidden)) why.push_back("is forbidden by " + rules_phrase(ids));
    if (has(o.reasons, Reason::purpose_not_declared))
      why.push_back("does not declare purpose " + detail::policy::quoted(purpose, true) +
                    " (purpose limitation)");
    if (has(o.reasons, Reason::no_permit))
      why.emplace_back("is allowed by no permit rule (the default is deny)");
    for (std::size_t k = 0; k < why.size(); ++k) {
      out += k == 0 ? " " : (k + 1 == why.size() ? " and " : ", ");
      out += why[k];
    }
    out += ".";
  }
  if (v.requires_consent)
    out += " Purpose " + detail::policy::quoted(purpose, true) +
           " rests on consent: only customers with a live consent to it are reached.";
  return out;
}

AccessDenied::AccessDenied(Decision decision)
    : Error(ErrorCode::AccessDenied, decision.explain()), decision_(std::move(decision)) {}

AccessPolicy::AccessPolicy(const Manifest& manifest) {
  auto m = std::make_shared<const Manifest>(manifest);
  engine_ = std::make_shared<Engine>([m] { return m; });
}
AccessPolicy::AccessPolicy(std::shared_ptr<Engine> engine) : engine_(std::move(engine)) {}
AccessPolicy::AccessPolicy(AccessPolicy&&) noexcept = default;
AccessPolicy& AccessPolicy::operator=(AccessPolicy&&) noexcept = default;
AccessPolicy::~AccessPolicy() = default;

Decision AccessPolicy::decide(const AccessContext& ctx, Action action,
                              const std::vector<std::string>& fields) const {
  if (!engine_) throw Error(ErrorCode::InvalidOperation, "the policy was moved from");
  return engine_->current()->decide(ctx, action, fields);
}

Decision AccessPolicy::decide(const AccessContext& ctx, Action action,
                              std::string_view field) const {
  if (!engine_) throw Error(ErrorCode::InvalidOperation, "the policy was moved from");
  return engine_->current()->decide_one_field(ctx, action, field);
}

Decision AccessPolicy::decide(const AccessContext& ctx, Action action) const {
  if (!engine_) throw Error(ErrorCode::InvalidOperation, "the policy was moved from");
  return engine_->current()->decide_store(ctx, action);
}

}  // namespace amanah
