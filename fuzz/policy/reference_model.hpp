// A reference model of amanah's access policy, written from the documentation (README "Access
// rules", DESIGN.md "Policy semantics", the comments of include/amanah/policy.hpp and
// manifest.hpp), not from src/policy/. Plain loops over plain data: slow, obviously right.
// The differential checks (fuzz_policy.cpp, tests/api/test_policy_differential.cpp) compare the
// engine's decisions with it.
#pragma once

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <amanah/manifest.hpp>
#include <amanah/policy.hpp>
#include <amanah/record.hpp>

namespace amanah::policy_model {

// A manifest's policy-relevant parts, kept as given to the builder.
struct Spec {
  std::vector<Purpose> purposes;
  std::vector<std::string> roles;  // declared with Builder::role; empty: the rules' roles
  std::vector<Field> fields;
  std::vector<Rule> rules;
};

struct Request {
  AccessContext ctx;
  Action action = Action::read;
  std::vector<std::string> fields;
  bool store_level = false;  // decide(ctx, action): no field list at all
  bool one_field = false;    // decide(ctx, action, string_view): fields has exactly one
};

struct FieldOutcome {
  std::string field;  // empty at store level
  Effect effect = Effect::deny;
  Mask mask = Mask::none;
  std::set<Reason> reasons;
  std::set<std::string> rules;  // the permits that allowed it, or the forbids that denied it
  bool reaches_restricted = false;
  std::set<std::string> restricted_permits;  // the permits with restricted = true that allowed it
};

struct Expected {
  bool invalid_argument = false;  // decide throws Error(InvalidArgument)
  Effect effect = Effect::deny;
  std::vector<FieldOutcome> outcomes;  // store level: exactly one, with an empty name
  std::vector<std::string> rules;      // manifest order, each once
  bool requires_consent = false;
};

template <class T, class U>
bool contains(const std::vector<T>& v, const U& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Actions that act on the store as a whole (manifest.hpp, README "Access rules").
inline bool store_action(Action a) {
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

// The declared roles: those declared, or without a roles section, every role a rule names.
inline std::vector<std::string> declared_roles(const Spec& s) {
  if (!s.roles.empty()) return s.roles;
  std::vector<std::string> out;
  for (const Rule& r : s.rules)
    for (const auto& id : r.roles)
      if (!contains(out, id)) out.push_back(id);
  return out;
}

// Whether Manifest::build() should refuse the spec, for the reasons the generator can produce.
// Policy-relevant validation only: the ids the generator makes are always well formed.
inline bool expect_rejection(const Spec& s) {
  std::set<std::string> rule_ids;
  for (const Field& f : s.fields) {
    if (f.purposes.empty()) return true;
    if (f.mask == Mask::year_only && f.type != FieldType::date) return true;
    for (const auto& p : f.purposes)
      if (std::none_of(s.purposes.begin(), s.purposes.end(),
                       [&](const Purpose& x) { return x.id == p; }))
        return true;
  }
  for (const Rule& r : s.rules) {
    if (!rule_ids.insert(r.id).second) return true;  // permits and forbids share ids
    if (r.forbid && (r.mask || r.restricted)) return true;
    if (!s.roles.empty())
      for (const auto& id : r.roles)
        if (!contains(s.roles, id)) return true;
    for (const auto& name : r.fields)
      if (std::none_of(s.fields.begin(), s.fields.end(),
                       [&](const Field& f) { return f.name == name; }))
        return true;
    for (const auto& p : r.purposes)
      if (std::none_of(s.purposes.begin(), s.purposes.end(),
                       [&](const Purpose& x) { return x.id == p; }))
        return true;
  }
  return false;
}

// Each list of the rule contains the request's value; an empty list matches anything. `f` is
// nullptr for an action on the store as a whole: then only a rule naming no field and no
// category matches.
inline bool matches(const Rule& r, const AccessContext& ctx, Action a, const Field* f) {
  if (!r.roles.empty() &&
      std::none_of(ctx.roles.begin(), ctx.roles.end(),
                   [&](const std::string& role) { return contains(r.roles, role); }))
    return false;
  if (!r.actions.empty() && !contains(r.actions, a)) return false;
  if (!r.purposes.empty() && !contains(r.purposes, ctx.purpose)) return false;
  if (f == nullptr) return r.fields.empty() && r.categories.empty();
  if (!r.fields.empty() && !contains(r.fields, f->name)) return false;
  if (!r.categories.empty() && !contains(r.categories, f->category)) return false;
  return true;
}

inline Expected decide(const Spec& s, const Request& q) {
  Expected out;
  if (q.ctx.actor.empty() || q.ctx.roles.empty()) {
    out.invalid_argument = true;
    return out;
  }
  const auto roles = declared_roles(s);
  std::set<Reason> context;  // reasons that deny every field: the rules are not consulted
  for (const auto& r : q.ctx.roles)
    if (!contains(roles, r)) context.insert(Reason::undeclared_role);
  const Purpose* purpose = nullptr;
  for (const Purpose& p : s.purposes)
    if (p.id == q.ctx.purpose) purpose = &p;
  if (purpose == nullptr) context.insert(Reason::undeclared_purpose);
  // policy.hpp: the purpose's basis is consent, and reads and updates reach only consenting
  // subjects. (The README says "reads and updates; inserting needs none": rectify and export
  // are not named there; the model takes "reads and updates" literally.)
  out.requires_consent = purpose != nullptr && purpose->basis == LegalBasis::consent &&
                         (q.action == Action::read || q.action == Action::update);
  // A store-level action asked about fields is still decided only by rules naming no field and
  // no category (manifest.hpp: "only rules that name no field and no category decide them").
  const bool whole_store = store_action(q.action);

  const auto one = [&](const Field* f, const std::string& name) {
    FieldOutcome o;
    o.field = name;
    o.reasons = context;
    if (f != nullptr && purpose != nullptr && !contains(f->purposes, purpose->id))
      o.reasons.insert(Reason::purpose_not_declared);  // purpose limitation, whatever the rules
    if (!context.empty()) return o;
    bool forbidden = false;
    bool permitted = false;
    std::set<std::string> forbids, permits, restricted;
    std::optional<Mask> mask;
    for (const Rule& r : s.rules) {
      if (!matches(r, q.ctx, q.action, whole_store ? nullptr : f)) continue;
      if (r.forbid) {
        forbidden = true;
        forbids.insert(r.id);
        continue;
      }
      permitted = true;
      permits.insert(r.id);
      if (r.restricted) restricted.insert(r.id);
      // Each matching permit contributes its mask, or the field's default; the most
      // restrictive (the greatest in declaration order) wins.
      const Mask m = r.mask ? *r.mask : (f ? f->mask : Mask::none);
      if (!mask || static_cast<int>(m) > static_cast<int>(*mask)) mask = m;
    }
    if (forbidden) {
      o.reasons.insert(Reason::forbidden);
      o.rules = forbids;
    } else if (!permitted) {
      o.reasons.insert(Reason::no_permit);
    }
    if (!o.reasons.empty()) return o;
    o.effect = Effect::allow;
    o.reasons = {Reason::permitted};
    o.rules = permits;
    o.restricted_permits = restricted;
    o.reaches_restricted = !restricted.empty();
    // policy.hpp: the mask says how allowed reads and exports are shown.
    const bool shown = q.action == Action::read || q.action == Action::export_data;
    o.mask = shown && f != nullptr && mask ? *mask : Mask::none;
    return o;
  };

  if (q.store_level) {
    out.outcomes.push_back(one(nullptr, ""));
  } else {
    for (const auto& name : q.fields) {
      const Field* f = nullptr;
      for (const Field& x : s.fields)
        if (x.name == name) f = &x;
      if (f == nullptr) {
        FieldOutcome o;
        o.field = name;
        o.reasons = context;
        o.reasons.insert(Reason::undeclared_field);
        out.outcomes.push_back(std::move(o));
      } else {
        out.outcomes.push_back(one(f, name));
      }
    }
  }
  out.effect = !out.outcomes.empty() &&
                       std::all_of(out.outcomes.begin(), out.outcomes.end(),
                                   [](const FieldOutcome& o) { return o.effect == Effect::allow; })
                   ? Effect::allow
                   : Effect::deny;
  // Deciding rules: for an allow the permits that matched, for a deny the forbids.
  std::set<std::string> ids;
  for (const auto& o : out.outcomes)
    if (o.effect == out.effect) ids.insert(o.rules.begin(), o.rules.end());
  for (const Rule& r : s.rules)
    if (ids.contains(r.id) && !contains(out.rules, r.id)) out.rules.push_back(r.id);
  return out;
}

}  // namespace amanah::policy_model
