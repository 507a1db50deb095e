// The customer's rights (GDPR arts. 15-21, UU PDP arts. 5-13): access as one machine-readable
// document (export_subject), rectification, restriction of processing and objection. Each is an
// Action the policy decides and an audit entry. Owns no table: a restriction is the subject's
// state (records/), an objection the consent service's (consent/), the dates come from the
// retention service; this service composes them.
#pragma once

#include <string>
#include <string_view>

#include <amanah/record.hpp>

#include "audit/log.hpp"
#include "consent/consents.hpp"
#include "policy/engine.hpp"
#include "policy/masks.hpp"
#include "records/records.hpp"
#include "retention/retention.hpp"
#include "store/core.hpp"

namespace amanah::detail::rights {

class Rights {
 public:
  struct Services {
    audit::Log& log;
    policy::Engine& policy;
    policy::Masks& masks;
    consent::Consents& consents;
    records::Records& records;
    retention::Retention& retention;
  };
  Rights(store::Core& core, const Services& s)
      : core_(core),
        log_(s.log),
        policy_(s.policy),
        masks_(s.masks),
        consents_(s.consents),
        records_(s.records),
        retention_(s.retention) {}
  Rights(const Rights&) = delete;
  Rights& operator=(const Rights&) = delete;

  [[nodiscard]] std::string export_subject(const AccessContext& ctx, const CustomerId& id);
  void rectify(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
               std::string_view reason);
  void restrict(const AccessContext& ctx, const CustomerId& id, std::string_view reason);
  void lift_restriction(const AccessContext& ctx, const CustomerId& id);
  void object(const AccessContext& ctx, const CustomerId& id, std::string_view purpose);

 private:
  // Decides a right on the store as a whole; a denial is recorded and thrown.
  std::string decide_store(const AccessContext& ctx, Action action, std::string_view name,
                           std::string_view subject);
  void set_restricted(const AccessContext& ctx, const CustomerId& id, bool on,
                      std::string_view audit_action);

  store::Core& core_;
  audit::Log& log_;
  policy::Engine& policy_;
  policy::Masks& masks_;
  consent::Consents& consents_;
  records::Records& records_;
  retention::Retention& retention_;
};

}  // namespace amanah::detail::rights
