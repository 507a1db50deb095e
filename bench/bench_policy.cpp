// What a policy decision costs: AccessPolicy::decide against a generated 100-rule manifest
// (20 fields over the six categories, 8 roles, 4 purposes; 100 rules: a base permit per role
// for three categories, 62 random permits and 30 narrower random forbids, with random roles,
// actions, categories, fields, purposes and masks), for 1 field, 4 fields and all 20 (what
// a get or scan without a projection asks), an action on the store as a whole, and compiling
// the table once per manifest. Target: at most 1 µs per decision. Pure CPU, no store, no I/O.
//
// The requests cycle through 64 pre-built ones (2 roles each, a random purpose and action, random
// fields), so a run sees a mix of allows and denies; the counter `allowed` is the allowed share.
#include <benchmark/benchmark.h>

#include <amanah/manifest.hpp>
#include <amanah/policy.hpp>
#include <amanah/record.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "policy/engine.hpp"

namespace {

using amanah::AccessContext;
using amanah::AccessPolicy;
using amanah::Action;
using amanah::Category;
using amanah::Decision;
using amanah::Field;
using amanah::FieldType;
using amanah::LegalBasis;
using amanah::Manifest;
using amanah::Mask;
using amanah::Rule;

constexpr int kFields = 20;
constexpr int kRoles = 8;
constexpr int kPurposes = 4;
constexpr int kRules = 100;
constexpr int kForbids = 30;
constexpr std::size_t kRequests = 64;
constexpr int kRepetitions = 3;
constexpr double kMinTime = 0.3;  // seconds per repetition

constexpr std::array kCategories{Category::identity, Category::contact,    Category::transaction,
                                 Category::account,  Category::behavioral, Category::sensitive};
constexpr std::array kActions{Action::read,           Action::create,      Action::update,
                              Action::erase,          Action::export_data, Action::manage_consent,
                              Action::manage_manifest};
constexpr std::array kMasks{Mask::none, Mask::last4,  Mask::first_last,
                            Mask::hash, Mask::redact, Mask::nullify};

std::string name(const char* prefix, int i) {
  return prefix + std::to_string(i);
}

class Gen {
 public:
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  // `n` distinct of 0..size-1.
  std::vector<int> distinct(int size, int n) {
    std::vector<int> all(static_cast<std::size_t>(size));
    for (int i = 0; i < size; ++i)
      all[static_cast<std::size_t>(i)] = i;
    std::shuffle(all.begin(), all.end(), rng_);
    all.resize(static_cast<std::size_t>(std::min(n, size)));
    return all;
  }

 private:
  std::mt19937 rng_{20261202};
};

Manifest generated_manifest() {
  Gen g;
  auto b = Manifest::builder();
  b.name("Policy benchmark");
  for (int p = 0; p < kPurposes; ++p)
    b.purpose(name("purpose_", p), p == kPurposes - 1 ? LegalBasis::consent : LegalBasis::contract);
  for (int r = 0; r < kRoles; ++r)
    b.role(name("role_", r));
  for (int f = 0; f < kFields; ++f) {
    Field field;
    field.name = name("field_", f);
    field.category = kCategories[static_cast<std::size_t>(f) % kCategories.size()];
    // Most fields serve most purposes: purpose limitation denies some, not most.
    for (const int p : g.distinct(kPurposes, g.between(3, kPurposes)))
      field.purposes.push_back(name("purpose_", p));
    if (g.chance(0.3)) field.mask = Mask::last4;
    b.field(field);
  }
  // Each role reads, updates and exports three categories, for any purpose: a request is
  // allowed often, as in a working store.
  for (int r = 0; r < kRoles; ++r) {
    Rule base;
    base.id = name("base-", r);
    base.roles = {name("role_", r)};
    base.actions = {Action::read, Action::update, Action::export_data};
    for (int k = 0; k < 3; ++k)
      base.categories.push_back(kCategories[static_cast<std::size_t>(r + k) % kCategories.size()]);
    if (g.chance(0.5)) base.mask = kMasks[static_cast<std::size_t>(g.between(0, 5))];
    b.permit(base);
  }
  for (int i = kRoles; i < kRules; ++i) {
    Rule r;
    r.id = name("rule-", i);
    const bool forbid = i < kRoles + kForbids;
    if (g.chance(forbid ? 0.9 : 0.8))
      for (const int k : g.distinct(kRoles, forbid ? 1 : g.between(1, 2)))
        r.roles.push_back(name("role_", k));
    if (g.chance(forbid ? 0.9 : 0.7))
      for (const int k :
           g.distinct(static_cast<int>(kActions.size()), g.between(1, forbid ? 2 : 3)))
        r.actions.push_back(kActions[static_cast<std::size_t>(k)]);
    const int scope = g.between(0, 9);
    if (scope < 5)  // by category
      for (const int k : g.distinct(static_cast<int>(kCategories.size()), g.between(1, 2)))
        r.categories.push_back(kCategories[static_cast<std::size_t>(k)]);
    else if (scope < 8 || forbid)  // by field
      for (const int k : g.distinct(kFields, g.between(1, 3)))
        r.fields.push_back(name("field_", k));
    // else: every field, and the store as a whole
    if (g.chance(0.5)) r.purposes.push_back(name("purpose_", g.between(0, kPurposes - 1)));
    if (forbid) {
      b.forbid(r);
    } else {
      if (g.chance(0.3)) r.mask = kMasks[static_cast<std::size_t>(g.between(0, 5))];
      b.permit(r);
    }
  }
  return b.build();
}

struct Request {
  AccessContext ctx;
  Action action = Action::read;
  std::vector<std::string> fields;  // 4 of them
};

struct Fixture {
  Manifest manifest = generated_manifest();
  AccessPolicy policy{manifest};
  std::vector<Request> requests;
  std::vector<std::string> all_fields;

  Fixture() {
    Gen g;
    for (int f = 0; f < kFields; ++f)
      all_fields.push_back(name("field_", f));
    for (std::size_t i = 0; i < kRequests; ++i) {
      Request q;
      q.ctx.actor = "bench";
      for (const int r : g.distinct(kRoles, 2))
        q.ctx.roles.push_back(name("role_", r));
      q.ctx.purpose = name("purpose_", g.between(0, kPurposes - 1));
      // Mostly reads (what a store does most), some writes.
      q.action = g.chance(0.6) ? Action::read : kActions[static_cast<std::size_t>(g.between(0, 4))];
      for (const int f : g.distinct(kFields, 4))
        q.fields.push_back(name("field_", f));
      requests.push_back(std::move(q));
    }
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

template <class Decide>
void run(benchmark::State& state, Decide decide) {
  const Fixture& fx = fixture();
  std::size_t i = 0;
  std::int64_t allowed = 0;
  for (auto _ : state) {
    const Request& q = fx.requests[i++ % kRequests];
    const Decision d = decide(fx, q);
    allowed += d.allowed() ? 1 : 0;
    benchmark::DoNotOptimize(d);
  }
  state.counters["allowed"] =
      benchmark::Counter(static_cast<double>(allowed), benchmark::Counter::kAvgIterations);
}

void BM_Policy_Decide_1Field(benchmark::State& state) {
  run(state, [](const Fixture& fx, const Request& q) {
    return fx.policy.decide(q.ctx, q.action, std::string_view(q.fields[0]));
  });
}

void BM_Policy_Decide_4Fields(benchmark::State& state) {
  run(state, [](const Fixture& fx, const Request& q) {
    return fx.policy.decide(q.ctx, q.action, q.fields);
  });
}

// A get or scan without a projection: read on every declared field, named by the caller.
void BM_Policy_Decide_20Fields(benchmark::State& state) {
  run(state, [](const Fixture& fx, const Request& q) {
    return fx.policy.decide(q.ctx, Action::read, fx.all_fields);
  });
}

// The same through the table's own every-field entry point (what the store calls).
void BM_Policy_DecideAll_Table(benchmark::State& state) {
  const auto table =
      amanah::detail::policy::Engine([m = std::make_shared<const Manifest>(fixture().manifest)] {
        return m;
      }).current();
  run(state,
      [&](const Fixture&, const Request& q) { return table->decide_all(q.ctx, Action::read); });
}

void BM_Policy_Decide_Store(benchmark::State& state) {
  run(state, [](const Fixture& fx, const Request& q) {
    return fx.policy.decide(q.ctx, Action::manage_consent);
  });
}

// Building an AccessPolicy and its first decision: the table is compiled once per manifest.
void BM_Policy_Compile(benchmark::State& state) {
  const Fixture& fx = fixture();
  for (auto _ : state) {
    const AccessPolicy p(fx.manifest);
    benchmark::DoNotOptimize(p.decide(fx.requests[0].ctx, Action::read, fx.all_fields));
  }
}

void decisions(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kNanosecond)->MinTime(kMinTime)->Repetitions(kRepetitions);
  b->ReportAggregatesOnly(true);
}
void compiles(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMicrosecond)->MinTime(kMinTime)->Repetitions(kRepetitions);
  b->ReportAggregatesOnly(true);
}

BENCHMARK(BM_Policy_Decide_1Field)->Apply(decisions);
BENCHMARK(BM_Policy_Decide_4Fields)->Apply(decisions);
BENCHMARK(BM_Policy_Decide_20Fields)->Apply(decisions);
BENCHMARK(BM_Policy_DecideAll_Table)->Apply(decisions);
BENCHMARK(BM_Policy_Decide_Store)->Apply(decisions);
BENCHMARK(BM_Policy_Compile)->Apply(compiles);

}  // namespace
