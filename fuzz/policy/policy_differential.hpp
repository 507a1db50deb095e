// The differential policy check shared by the libFuzzer target (fuzz_policy.cpp) and the Catch2
// test (tests/api/test_policy_differential.cpp): bytes are decoded into a random manifest and a
// list of requests; each request is decided by amanah::AccessPolicy and by the reference model
// (reference_model.hpp), and every observable part of the two decisions is compared. The rule
// sets are synthetic (ids like p0, r1, f2, k3), so printing them in a failure is fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/manifest.hpp>
#include <amanah/policy.hpp>

#include "reference_model.hpp"

namespace amanah::policy_model {

// Reads bytes; past the end every read is 0 (so any input decodes).
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t next() { return pos_ < size_ ? data_[pos_++] : std::uint8_t{0}; }
  // A value in [0, n).
  std::size_t below(std::size_t n) { return n == 0 ? 0 : next() % n; }
  [[nodiscard]] bool done() const { return pos_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

inline constexpr Action kAllActions[] = {
    Action::read,        Action::create,         Action::update,          Action::erase,
    Action::export_data, Action::manage_consent, Action::manage_manifest, Action::read_audit,
    Action::rectify,     Action::restrict,       Action::object,          Action::manage_retention,
    Action::backup,      Action::disclose_keys};
inline constexpr std::size_t kActionCount = sizeof(kAllActions) / sizeof(kAllActions[0]);
inline constexpr Category kAllCategories[] = {Category::identity,    Category::contact,
                                              Category::transaction, Category::account,
                                              Category::behavioral,  Category::sensitive};
inline constexpr Mask kAllMasks[] = {Mask::none, Mask::last4,  Mask::first_last, Mask::year_only,
                                     Mask::hash, Mask::redact, Mask::nullify};
inline constexpr LegalBasis kAllBases[] = {
    LegalBasis::contract,         LegalBasis::consent,
    LegalBasis::legal_obligation, LegalBasis::legitimate_interest,
    LegalBasis::vital_interest,   LegalBasis::public_task};
inline constexpr FieldType kTypes[] = {FieldType::text, FieldType::date, FieldType::email,
                                       FieldType::integer};

// The items of `pool` whose bit is set in `bits` (at most 8 items).
template <class T>
std::vector<T> pick_bits(const std::vector<T>& pool, unsigned bits) {
  std::vector<T> out;
  for (std::size_t i = 0; i < pool.size() && i < 8; ++i)
    if ((bits >> i) & 1U) out.push_back(pool[i]);
  return out;
}

inline Spec decode_spec(Bytes& in) {
  Spec s;
  const std::size_t np = 1 + in.below(3);
  for (std::size_t i = 0; i < np; ++i)
    s.purposes.push_back(Purpose{"p" + std::to_string(i), kAllBases[in.below(6)], {}});
  std::vector<std::string> purpose_ids;
  for (const auto& p : s.purposes)
    purpose_ids.push_back(p.id);
  // A quarter of the manifests declare no roles: the roles their rules name are the declared set.
  const std::uint8_t role_mode = in.next();
  const std::size_t nr = 1 + (role_mode >> 2) % 3;
  std::vector<std::string> role_pool;
  for (std::size_t i = 0; i < nr + (role_mode % 4 == 0 ? 1 : 0); ++i)
    role_pool.push_back("r" + std::to_string(i));
  if (role_mode % 4 != 0) s.roles = role_pool;

  const std::size_t nf = 1 + in.below(5);
  std::vector<std::string> field_names;
  for (std::size_t i = 0; i < nf; ++i) {
    Field f;
    f.name = "f" + std::to_string(i);
    f.type = kTypes[in.below(4)];
    f.category = kAllCategories[in.below(6)];
    const std::uint8_t pb = in.next();
    f.purposes = pick_bits(purpose_ids, pb);
    // No purpose at all: refused by build(); kept now and then.
    if (f.purposes.empty() && (pb & 0xF0U) != 0xF0U) f.purposes = {purpose_ids[pb % np]};
    const std::uint8_t mb = in.next();
    f.mask = kAllMasks[mb % 7];
    // year_only on a field that is not a date: refused by build(); kept now and then.
    if (f.mask == Mask::year_only && f.type != FieldType::date && (mb & 0xC0U) != 0xC0U)
      f.mask = Mask::none;
    field_names.push_back(f.name);
    s.fields.push_back(std::move(f));
  }

  // Now and then more than 64 rules: the engine keeps a bit per rule in 64-bit words.
  const std::uint8_t nb = in.next();
  const std::size_t nrules = nb >= 250 ? 60 + std::size_t{6} * (nb - 250U) : nb % 10U;
  for (std::size_t i = 0; i < nrules; ++i) {
    Rule r;
    const std::uint8_t flags = in.next();
    const bool fault = (flags >> 3) == 31;  // one rare invalid variation, refused by build()
    r.forbid = (flags & 9U) == 9U;          // a quarter of the rules
    r.id = "k" + std::to_string(i);
    if (fault && (flags & 6U) == 0 && i > 0) r.id = "k" + std::to_string(i - 1);
    const std::uint8_t rb = in.next();
    if (rb % 2 == 1) r.roles = pick_bits(role_pool, rb >> 1);
    if (fault && (flags & 6U) == 2U) r.roles.push_back("rx");
    const std::uint8_t ab = in.next();
    if (ab % 3 != 0) {
      r.actions.push_back(kAllActions[in.below(kActionCount)]);
      const Action second = kAllActions[in.below(kActionCount)];
      if (ab % 3 == 2 && second != r.actions.front()) r.actions.push_back(second);
    }
    const std::uint8_t cb = in.next();
    if (cb % 3 == 0)
      r.categories = pick_bits(
          std::vector<Category>(std::begin(kAllCategories), std::end(kAllCategories)), in.next());
    const std::uint8_t fb = in.next();
    if (fb % 3 == 0) r.fields = pick_bits(field_names, in.next());
    const std::uint8_t pb = in.next();
    if (pb % 2 == 1) r.purposes = pick_bits(purpose_ids, pb >> 1);
    const std::uint8_t mb = in.next();
    if ((flags & 2U) != 0 && (!r.forbid || fault)) r.mask = kAllMasks[mb % 7];
    if ((flags & 4U) != 0 && (!r.forbid || fault)) r.restricted = true;
    s.rules.push_back(std::move(r));
  }
  return s;
}

inline std::vector<Request> decode_requests(Bytes& in, const Spec& s) {
  std::vector<Request> out;
  const auto roles = declared_roles(s);
  std::vector<std::string> pool = roles;
  if (pool.empty()) pool.push_back("r0");
  while (!in.done() && out.size() < 12) {
    Request q;
    const std::uint8_t rb = in.next();
    q.ctx.actor = (rb & 0xF0U) == 0xE0U ? "" : "agent";
    q.ctx.roles = pick_bits(pool, rb & 0x0FU);
    if ((rb & 0xF0U) == 0x70U) q.ctx.roles.push_back("ghost");
    if (q.ctx.roles.empty() && (rb & 0x80U) == 0) q.ctx.roles.push_back(pool[rb % pool.size()]);
    const std::uint8_t pb = in.next();
    q.ctx.purpose = pb == 0xFF ? "nowhere" : s.purposes[pb % s.purposes.size()].id;
    q.action = kAllActions[in.below(kActionCount)];
    const std::uint8_t mode = in.next();
    q.store_level = mode % 8 == 0;
    q.one_field = mode % 8 == 1;
    const std::size_t n = q.store_level ? 0 : q.one_field ? 1 : (mode % 8 - 2) % 5;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t fi = in.below(s.fields.size() + 1);
      q.fields.push_back(fi < s.fields.size() ? s.fields[fi].name : "ghost_field");
    }
    out.push_back(std::move(q));
  }
  return out;
}

inline Manifest build(const Spec& s) {
  auto b = Manifest::builder();
  b.name("differential");
  for (const auto& p : s.purposes)
    b.purpose(p.id, p.basis);
  for (const auto& r : s.roles)
    b.role(r);
  for (const auto& f : s.fields)
    b.field(f);
  for (const auto& r : s.rules)
    if (r.forbid)
      b.forbid(r);
    else
      b.permit(r);
  return b.build();
}

// The same manifest as TOML text: the TOML reader must build what the builder builds.
inline std::string to_toml(const Spec& s) {
  const auto quoted = [](const auto& items, auto name) {
    std::string out = "[";
    for (const auto& x : items)
      out += std::string(out.size() > 1 ? ", " : "") + "\"" + std::string(name(x)) + "\"";
    return out + "]";
  };
  const auto id = [](const std::string& x) { return x; };
  const auto str = [](auto v) { return to_string(v); };
  std::ostringstream o;
  o << "[store]\nname = \"differential\"\n";
  for (const auto& p : s.purposes)
    o << "[purposes." << p.id << "]\nbasis = \"" << to_string(p.basis) << "\"\n";
  for (const auto& r : s.roles)
    o << "[roles." << r << "]\n";
  o << "[fields]\n";
  for (const auto& f : s.fields)
    o << f.name << " = { type = \"" << to_string(f.type) << "\", category = \""
      << to_string(f.category) << "\", purposes = " << quoted(f.purposes, id) << ", mask = \""
      << to_string(f.mask) << "\" }\n";
  for (const auto& r : s.rules) {
    o << (r.forbid ? "[[forbid]]\n" : "[[permit]]\n") << "id = \"" << r.id << "\"\n";
    if (!r.roles.empty()) o << "roles = " << quoted(r.roles, id) << "\n";
    if (!r.actions.empty()) o << "actions = " << quoted(r.actions, str) << "\n";
    if (!r.categories.empty()) o << "categories = " << quoted(r.categories, str) << "\n";
    if (!r.fields.empty()) o << "fields = " << quoted(r.fields, id) << "\n";
    if (!r.purposes.empty()) o << "purposes = " << quoted(r.purposes, id) << "\n";
    if (r.mask) o << "mask = \"" << to_string(*r.mask) << "\"\n";
    if (r.restricted) o << "restricted = true\n";
  }
  return o.str();
}

// --- Printing (synthetic names only).

template <class T, class F>
std::string list_of(const T& items, F name) {
  std::string out = "[";
  bool first = true;
  for (const auto& x : items) {
    if (!first) out += ",";
    out += std::string(name(x));
    first = false;
  }
  return out + "]";
}

inline std::string describe(const Spec& s) {
  std::ostringstream o;
  const auto id = [](const std::string& x) { return x; };
  const auto str = [](auto v) { return to_string(v); };
  for (const auto& p : s.purposes)
    o << "purpose " << p.id << " basis=" << to_string(p.basis) << "\n";
  o << "roles " << (s.roles.empty() ? "(from the rules)" : list_of(s.roles, id)) << "\n";
  for (const auto& f : s.fields)
    o << "field " << f.name << " type=" << to_string(f.type)
      << " category=" << to_string(f.category) << " purposes=" << list_of(f.purposes, id)
      << " mask=" << to_string(f.mask) << "\n";
  for (const auto& r : s.rules) {
    o << (r.forbid ? "forbid " : "permit ") << r.id << " roles=" << list_of(r.roles, id)
      << " actions=" << list_of(r.actions, str) << " categories=" << list_of(r.categories, str)
      << " fields=" << list_of(r.fields, id) << " purposes=" << list_of(r.purposes, id);
    if (r.mask) o << " mask=" << to_string(*r.mask);
    if (r.restricted) o << " restricted";
    o << "\n";
  }
  return o.str();
}

inline std::string describe(const Request& q) {
  const auto id = [](const std::string& x) { return x; };
  std::ostringstream o;
  o << "request actor='" << q.ctx.actor << "' roles=" << list_of(q.ctx.roles, id)
    << " purpose=" << q.ctx.purpose << " action=" << to_string(q.action);
  if (q.store_level)
    o << " (store level)";
  else
    o << (q.one_field ? " field=" : " fields=") << list_of(q.fields, id);
  return o.str();
}

// --- One comparable rendering of a decision, from the engine or from the model.

inline std::string render(const FieldOutcome& f) {
  const auto id = [](const std::string& x) { return x; };
  const auto str = [](auto v) { return to_string(v); };
  std::ostringstream o;
  o << "  '" << f.field << "' " << to_string(f.effect) << " mask=" << to_string(f.mask)
    << " reasons=" << list_of(f.reasons, str) << " rules=" << list_of(f.rules, id)
    << " restricted=" << f.reaches_restricted << "\n";
  return o.str();
}

inline std::string render(const Expected& e, bool store_level) {
  if (e.invalid_argument) return "Error(InvalidArgument)\n";
  const auto id = [](const std::string& x) { return x; };
  std::ostringstream o;
  o << to_string(e.effect) << " rules=" << list_of(e.rules, id)
    << " requires_consent=" << e.requires_consent << "\n";
  if (store_level) {
    o << "  store restricted=" << (e.effect == Effect::allow && e.outcomes[0].reaches_restricted)
      << "\n";
  } else {
    for (const auto& f : e.outcomes)
      o << render(f);
  }
  return o.str();
}

// The engine's decision in the model's terms (per-field lists as sets; rules() in its order).
inline Expected observe(const Decision& d, bool store_level) {
  Expected e;
  e.effect = d.effect();
  e.rules = d.rules();
  e.requires_consent = d.requires_consent();
  if (store_level) {
    FieldOutcome o;
    o.effect = d.effect();
    o.reaches_restricted = d.allows_restricted("");
    e.outcomes.push_back(o);
    return e;
  }
  for (const FieldDecision& f : d.fields()) {
    FieldOutcome o;
    o.field = f.field;
    o.effect = f.effect;
    o.mask = f.mask;
    o.reasons.insert(f.reasons.begin(), f.reasons.end());
    o.rules.insert(f.rules.begin(), f.rules.end());
    o.reaches_restricted = f.reaches_restricted;
    e.outcomes.push_back(std::move(o));
  }
  return e;
}

// Checks of the decision's other accessors and of explain(); the first problem, if any.
inline std::optional<std::string> check_accessors(const Decision& d, const Expected& want,
                                                  const Request& q) {
  if (d.action() != q.action) return "action() is not the action asked";
  const std::string text = d.explain();
  const std::string head = want.effect == Effect::allow ? "Allowed: " : "Denied: ";
  if (text.rfind(head, 0) != 0) return "explain() does not start with '" + head + "'";
  // Who asked, for what and why, by names (README: "Names only, no values").
  if (text.find(std::string(to_string(q.action)), head.size()) != head.size())
    return "explain() does not name the action first";
  for (const auto& role : q.ctx.roles)
    if (text.find("'" + role + "'") == std::string::npos)
      return "explain() does not name role " + role;
  if (text.find("'" + q.ctx.purpose + "'") == std::string::npos)
    return "explain() does not name the purpose";
  for (const auto& r : want.rules)
    if (text.find(r) == std::string::npos) return "explain() does not name rule " + r;
  if (!q.store_level && q.fields.empty() &&
      text.find("No field was asked about") == std::string::npos)
    return "explain() does not say that no field was asked about";
  for (const auto& f : want.outcomes) {
    if (!f.field.empty() && text.find("'" + f.field + "'") == std::string::npos)
      return "explain() does not name field " + f.field;
    if (f.effect == Effect::allow)
      for (const auto& r : f.restricted_permits)
        if (text.find(r) == std::string::npos)
          return "explain() does not name restricted permit " + r;
  }
  if (q.store_level) {
    if (!d.fields().empty()) return "fields() is not empty at store level";
    if (d.mask("").has_value()) return "mask(\"\") has a value at store level";
    return std::nullopt;
  }
  for (const auto& f : d.fields())
    if (f.reasons.empty()) return "field " + f.field + " has no reason";
  std::vector<std::string> allowed;
  for (const auto& f : want.outcomes)
    if (f.effect == Effect::allow) allowed.push_back(f.field);
  if (d.allowed_fields() != allowed)
    return "allowed_fields() is " +
           list_of(d.allowed_fields(), [](const std::string& x) { return x; }) + ", want " +
           list_of(allowed, [](const std::string& x) { return x; });
  std::vector<std::string> names = q.fields;
  names.push_back("never_asked");
  for (const auto& name : names) {
    const FieldOutcome* o = nullptr;
    for (const auto& f : want.outcomes)
      if (f.field == name) o = &f;
    const bool ok = o != nullptr && o->effect == Effect::allow;
    if (d.allows(name) != ok) return "allows('" + name + "') disagrees";
    if (d.allows_restricted(name) != (ok && o->reaches_restricted))
      return "allows_restricted('" + name + "') disagrees";
    const auto m = d.mask(name);
    if (m.has_value() != ok || (ok && *m != o->mask)) return "mask('" + name + "') disagrees";
  }
  if (d.allows_restricted("")) return "allows_restricted(\"\") for a per-field decision";
  return std::nullopt;
}

struct Outcome {
  bool built = false;                   // the manifest was accepted
  std::size_t decisions = 0;            // requests compared
  std::size_t allowed = 0;              // of which the model allowed
  std::optional<std::string> mismatch;  // a description of the first difference
};

inline Outcome run_case(const std::uint8_t* data, std::size_t size) {
  Outcome out;
  Bytes in(data, size);
  const Spec spec = decode_spec(in);
  const bool reject = expect_rejection(spec);
  std::optional<Manifest> manifest;
  std::string refusal;
  try {
    manifest = build(spec);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidManifest) throw;
    refusal = e.what();
  }
  if (reject != !manifest) {
    out.mismatch = "manifest " +
                   std::string(reject ? "accepted, model expects rejection"
                                      : "refused (" + refusal + "), model expects it valid") +
                   "\n" + describe(spec);
    return out;
  }
  // The TOML text of the same manifest: refused alike, or read into an equal manifest; and the
  // canonical JSON reads back equal. For one input length in four only: parsing costs more than
  // deciding, and the policy is what this target is for.
  const bool cross_check = size % 4 == 0;
  const std::string toml = cross_check ? to_toml(spec) : std::string();
  std::optional<Manifest> from_toml;
  try {
    if (cross_check) from_toml = Manifest::from_toml(toml, "differential.toml");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidManifest) throw;
  }
  if (cross_check &&
      (from_toml.has_value() != manifest.has_value() || (manifest && !(*from_toml == *manifest)))) {
    out.mismatch = std::string("the TOML reader and the builder disagree (") +
                   (manifest ? "built" : "refused") + " by the builder, " +
                   (from_toml ? "read" : "refused") + " from TOML)\n" + toml;
    return out;
  }
  if (!manifest) return out;
  if (cross_check && !(Manifest::from_json(manifest->to_json()) == *manifest)) {
    out.mismatch = "the manifest's JSON does not read back equal\n" + to_toml(spec);
    return out;
  }
  out.built = true;
  const AccessPolicy policy(*manifest);
  for (const Request& q : decode_requests(in, spec)) {
    const Expected want = decide(spec, q);
    std::optional<Decision> d;
    bool invalid = false;
    try {
      d = q.store_level ? policy.decide(q.ctx, q.action)
          : q.one_field ? policy.decide(q.ctx, q.action, std::string_view(q.fields.front()))
                        : policy.decide(q.ctx, q.action, q.fields);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::InvalidArgument) throw;
      invalid = true;
    }
    ++out.decisions;
    std::string got;
    std::optional<std::string> problem;
    if (invalid) {
      got = "Error(InvalidArgument)\n";
    } else {
      got = render(observe(*d, q.store_level), q.store_level);
      if (!want.invalid_argument) problem = check_accessors(*d, want, q);
    }
    const std::string expected = render(want, q.store_level);
    if (got != expected || problem) {
      out.mismatch = "policy differs from the reference model\n" + describe(spec) + describe(q) +
                     "\nengine:\n" + got + "model:\n" + expected +
                     (problem ? "accessors: " + *problem + "\n" : std::string()) +
                     (d ? "explain: " + d->explain() + "\n" : std::string());
      return out;
    }
    if (want.effect == Effect::allow) ++out.allowed;
  }
  return out;
}

}  // namespace amanah::policy_model
