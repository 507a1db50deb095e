// The policy engine: a manifest's rules compiled once into a table, and decisions computed from
// it with no I/O. Cedar's semantics (include/amanah/policy.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/manifest.hpp>
#include <amanah/policy.hpp>
#include <amanah/record.hpp>

namespace amanah::detail::policy {

class Table;

// Names (views into a manifest that outlives the index) to their positions: an open-addressing
// hash table, so a lookup costs one hash and, when found, one comparison.
class NameIndex {
 public:
  template <class Items, class Name>
  void build(const Items& items, Name name);
  // The position of `name`, or -1.
  [[nodiscard]] int find(std::string_view name) const noexcept;

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::string_view name;
    int index = -1;  // -1: empty
  };
  std::vector<Slot> slots_;  // a power of two, at most half full
};

// One field's outcome, compact (names and rule ids stay in the table).
struct Outcome {
  static constexpr std::uint16_t kUndeclared = 0xffff;
  static constexpr std::uint16_t kStore = 0xfffe;  // an action on the store as a whole
  std::uint16_t field = kUndeclared;               // index into the manifest's fields
  Effect effect = Effect::deny;
  Mask mask = Mask::none;
  std::uint8_t reasons = 0;  // bit (1 << Reason)
  // Allowed, and by at least one permit that names the restricted state (Rule::restricted).
  bool restricted_ok = false;
  std::uint32_t rules_begin = 0, rules_end = 0;  // into Verdict::rules
};

// What a Decision holds.
struct Verdict {
  std::shared_ptr<const Table> table;
  Action action = Action::read;
  Effect effect = Effect::deny;
  bool requires_consent = false;
  std::uint8_t context_reasons = 0;  // undeclared role / purpose: every field denied for it
  std::vector<Outcome> outcomes;
  std::vector<std::uint16_t> rules;  // rule indices, per outcome
  std::vector<std::uint16_t> roles;  // the request's declared roles (indices)
  std::int32_t purpose = -1;         // the request's purpose (index), -1 if undeclared
  // As asked, only when not declared (for explain(), which quotes only well-formed names).
  std::vector<std::string> asked_fields;  // in outcome order
  std::vector<std::string> asked_roles;
  std::string asked_purpose;
};

class Table : public std::enable_shared_from_this<Table> {
 public:
  explicit Table(std::shared_ptr<const Manifest> manifest);
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  [[nodiscard]] const Manifest& manifest() const noexcept { return *manifest_; }
  [[nodiscard]] const std::shared_ptr<const Manifest>& manifest_ptr() const noexcept {
    return manifest_;
  }
  // The field's index in manifest().fields(), or -1.
  [[nodiscard]] int field_index(std::string_view name) const noexcept;

  // `action` on each of `fields` (InvalidArgument for a context with no actor or no role).
  [[nodiscard]] Decision decide(const AccessContext& ctx, Action action,
                                std::span<const std::string> fields) const;
  // `action` on every declared field (what a get or scan without a projection asks).
  [[nodiscard]] Decision decide_all(const AccessContext& ctx, Action action) const;
  [[nodiscard]] Decision decide_one_field(const AccessContext& ctx, Action action,
                                          std::string_view field) const;
  // An action on the store as a whole.
  [[nodiscard]] Decision decide_store(const AccessContext& ctx, Action action) const;

  // The verdict inside a decision this table made.
  [[nodiscard]] static const Verdict& verdict(const Decision& d) noexcept;

 private:
  template <class Names>
  Decision run(const AccessContext& ctx, Action action, const Names& fields, bool all,
               bool store_level) const;
  [[nodiscard]] std::size_t field_bucket(Action a, std::size_t field) const noexcept {
    return static_cast<std::size_t>(a) * (manifest_->fields().size() + 1) + field;
  }
  [[nodiscard]] std::size_t store_bucket(Action a) const noexcept {
    return field_bucket(a, manifest_->fields().size());
  }

  std::shared_ptr<const Manifest> manifest_;
  // Per rule, its mask (kNoMask: the field's default) and whether it is a permit that reaches
  // restricted customers (1 or 0). Per role and per purpose, the rules a request with that role
  // (purpose) can match, as bit sets of words_ 64-bit words.
  static constexpr std::uint8_t kNoMask = 0xff;
  std::vector<std::uint8_t> rule_mask_;
  std::vector<std::uint8_t> rule_restricted_;
  std::size_t words_ = 0;
  std::vector<std::uint64_t> role_rules_;     // [role * words_ + w]
  std::vector<std::uint64_t> purpose_rules_;  // [purpose * words_ + w]
  // Per bucket (an action and a field, or an action on the store as a whole): the rules whose
  // action, field and category match, forbids first, each part in manifest order. Bucket b is
  // bucket_rules_[bucket_begin_[b], bucket_begin_[b + 1]); its permits start at bucket_split_[b].
  std::vector<std::uint16_t> bucket_rules_;
  std::vector<std::uint32_t> bucket_begin_;  // one more than there are buckets
  std::vector<std::uint32_t> bucket_split_;
  // Per field: its default mask, and whether it declares each purpose.
  std::vector<Mask> field_mask_;
  std::vector<std::uint8_t> field_declares_;  // [field * purposes + purpose]: 1 if declared
  NameIndex fields_;
  NameIndex roles_;
  NameIndex purposes_;
};

// The store's policy: the table of the manifest in force, compiled once per manifest.
class Engine {
 public:
  // `source` gives the manifest in force (the store's core; a fixed one for AccessPolicy(m)).
  explicit Engine(std::function<std::shared_ptr<const Manifest>()> source)
      : source_(std::move(source)) {}
  // The table of the manifest in force (compiled on first use after it changes).
  [[nodiscard]] std::shared_ptr<const Table> current() const;
  // Forgets the compiled table (the store closes).
  void clear() noexcept;

  static Decision wrap(std::shared_ptr<const Verdict> v) { return Decision(std::move(v)); }
  static const Verdict& unwrap(const Decision& d) noexcept { return *d.v_; }

 private:
  std::function<std::shared_ptr<const Manifest>()> source_;
  mutable std::shared_mutex mu_;
  mutable std::shared_ptr<const Table> table_;
};

// A decision with its rule lists joined for audit entries.
struct Asked {
  Decision decision;
  std::string rules;        // rule_list(decision)
  std::string allow_rules;  // rule_list(decision, Effect::allow)
};

// `ctx` asking `action` of `fields` (of every declared field with `all`), answered from the
// calling thread's previous question when it was the same one of the same table: a service reading
// customer after customer with one context asks the same each time, and a decision does not
// depend on the actor. (The memo keeps that one decision, and so its table, until the thread asks
// something else or ends.)
[[nodiscard]] std::shared_ptr<const Asked> ask(const Table& table, const AccessContext& ctx,
                                               Action action, std::span<const std::string> fields,
                                               bool all = false);

// The request as an audit entry may keep it: a role or purpose the manifest does not declare
// (which could be a value passed by mistake) becomes "(undeclared)".
[[nodiscard]] AccessContext loggable(const AccessContext& ctx, const Decision& d);

// Whether `action` shows values (and so has masks).
[[nodiscard]] inline bool masked_action(Action a) noexcept {
  return a == Action::read || a == Action::export_data;
}

// The rule indices behind the outcomes with effect `side`, each once, ascending (manifest order).
[[nodiscard]] std::vector<std::uint16_t> deciding_rules(const Verdict& v, Effect side);

// "id1,id2": the deciding rule ids as the audit log writes them (Decision::rules()), or those
// of the fields with outcome `side` (a read of the fields allowed: the permits that allowed them).
[[nodiscard]] std::string rule_list(const Decision& d);
[[nodiscard]] std::string rule_list(const Decision& d, Effect side);

}  // namespace amanah::detail::policy
