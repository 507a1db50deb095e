// amanah — the access policy: who may do what to which field, for which purpose, seen how.
// Built from the manifest's [[permit]] and [[forbid]] rules with Cedar's semantics: default deny,
// any matching forbid wins, otherwise a matching permit allows; rule order never matters. A field
// may be used only for a purpose it declares, and a purpose whose basis is `consent` also needs
// the subject's live consent (checked by the store, per subject, when the decision is applied).
// Decisions are pure: computed from a table compiled once per manifest, with no I/O.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/export.hpp>
#include <amanah/manifest.hpp>
#include <amanah/record.hpp>

namespace amanah {

namespace detail {
struct StoreImpl;
namespace policy {
class Engine;
struct Verdict;
}  // namespace policy
}  // namespace detail

enum class Effect { allow, deny };

// Why a field was allowed or denied (a field may have several reasons to be denied).
enum class Reason {
  permitted,             // a permit matched and no forbid did
  forbidden,             // a forbid rule matched
  no_permit,             // no permit matched: the default is deny
  purpose_not_declared,  // the field does not declare the request's purpose
  undeclared_field,      // the field is not in the manifest
  undeclared_role,       // a role of the request is not in the manifest
  undeclared_purpose,    // the request's purpose is not in the manifest
};

[[nodiscard]] AMANAH_EXPORT std::string_view to_string(Effect v) noexcept;
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(Reason v) noexcept;

// The outcome for one field of a request.
struct FieldDecision {
  std::string field{};
  Effect effect = Effect::deny;
  Mask mask = Mask::none;            // allowed reads and exports: how the value is shown
  std::vector<Reason> reasons{};     // at least one
  std::vector<std::string> rules{};  // the permits that allowed it, or the forbids that denied it
  // Allowed, and by at least one permit that names the restricted state (restricted = true): it
  // may be processed for a customer whose processing is restricted.
  bool reaches_restricted = false;
};

// A decision: a value, cheap to copy. Allowed only if every field asked about is allowed (for an
// action on the store as a whole, such as manage_consent, if a rule that names no field or
// category permits it and none forbids it).
class AMANAH_EXPORT Decision {
 public:
  Decision();  // deny, nothing asked
  [[nodiscard]] Effect effect() const noexcept;
  [[nodiscard]] bool allowed() const noexcept { return effect() == Effect::allow; }
  [[nodiscard]] Action action() const noexcept;

  // Deciding rule ids, each once, in manifest order: for an allow the permits that matched, for a
  // deny the forbids that matched (empty when nothing was forbidden, only not permitted).
  [[nodiscard]] std::vector<std::string> rules() const;
  // Every field asked about, in the order asked.
  [[nodiscard]] std::vector<FieldDecision> fields() const;
  [[nodiscard]] std::vector<std::string> allowed_fields() const;
  [[nodiscard]] bool allows(std::string_view field) const noexcept;
  // Whether `field` is allowed by a permit that names the restricted state (restricted = true),
  // and so may be processed for a customer whose processing is restricted. For an action on the
  // store as a whole, ask with an empty name.
  [[nodiscard]] bool allows_restricted(std::string_view field) const noexcept;
  // How an allowed field is shown; std::nullopt if the field is not allowed (or not asked about).
  [[nodiscard]] std::optional<Mask> mask(std::string_view field) const noexcept;
  // The request's purpose has basis `consent`: reads and updates reach only subjects with a live
  // consent for it.
  [[nodiscard]] bool requires_consent() const noexcept;

  // One readable paragraph: which rule allowed or denied what, and why. Names only, no values.
  [[nodiscard]] std::string explain() const;

 private:
  friend class detail::policy::Engine;
  explicit Decision(std::shared_ptr<const detail::policy::Verdict> v);
  std::shared_ptr<const detail::policy::Verdict> v_;
};

// Thrown when the policy denies a call (ErrorCode::AccessDenied); carries the decision. The
// message is the decision's explain().
class AMANAH_EXPORT AccessDenied : public Error {
 public:
  explicit AccessDenied(Decision decision);
  [[nodiscard]] const Decision& decision() const noexcept { return decision_; }

 private:
  Decision decision_;
};

// Decides requests against a manifest's rules. store.policy() follows the store's manifest; an
// AccessPolicy built from a Manifest decides against that one (e.g. to review a manifest before
// deploying it). Thread-safe; move-only.
class AMANAH_EXPORT AccessPolicy {
 public:
  explicit AccessPolicy(const Manifest& manifest);
  AccessPolicy(AccessPolicy&&) noexcept;
  AccessPolicy& operator=(AccessPolicy&&) noexcept;
  AccessPolicy(const AccessPolicy&) = delete;
  AccessPolicy& operator=(const AccessPolicy&) = delete;
  ~AccessPolicy();

  // `action` on each of `fields`. A context naming no actor or no role is
  // Error(InvalidArgument); an undeclared role, purpose or field is a deny, with its reason.
  [[nodiscard]] Decision decide(const AccessContext& ctx, Action action,
                                const std::vector<std::string>& fields) const;
  [[nodiscard]] Decision decide(const AccessContext& ctx, Action action,
                                std::string_view field) const;
  // An action on the store as a whole (manage_consent, manage_manifest, read_audit, restrict,
  // object, manage_retention): decided by the rules that name no field and no category.
  [[nodiscard]] Decision decide(const AccessContext& ctx, Action action) const;

 private:
  friend struct detail::StoreImpl;
  explicit AccessPolicy(std::shared_ptr<detail::policy::Engine> engine);
  std::shared_ptr<detail::policy::Engine> engine_;
};

}  // namespace amanah
