#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_policy (fuzz/corpus/fuzz_policy/), byte for byte in the layout
decode_spec/decode_requests read (policy_differential.hpp). Run from the repository root."""
import os

ACTIONS = ["read", "create", "update", "erase", "export", "manage_consent", "manage_manifest",
           "read_audit", "rectify", "restrict", "object", "manage_retention", "backup",
           "disclose_keys"]
BASES = ["contract", "consent", "legal_obligation", "legitimate_interest", "vital_interest",
         "public_task"]
TYPES = ["text", "date", "email", "integer"]
CATS = ["identity", "contact", "transaction", "account", "behavioral", "sensitive"]
MASKS = ["none", "last4", "first_last", "year_only", "hash", "redact", "nullify"]


def spec(purposes, roles, fields, rules):
    """purposes: bases; roles: count (0 = from the rules); fields: (type, cat, purpose bits,
    mask); rules: dicts with forbid, mask, restricted, role bits, actions, cat bits, field
    bits, purpose bits."""
    out = [len(purposes) - 1] + [BASES.index(b) for b in purposes]
    out.append(0 if roles == 0 else 1 + ((roles - 1) << 2))
    out.append(len(fields) - 1)
    for t, c, pb, m in fields:
        out += [TYPES.index(t), CATS.index(c), pb, MASKS.index(m)]
    # 60 + 6 * (byte - 250) rules when the count byte is 250 or more.
    out.append(len(rules) if len(rules) < 10 else 250 + (len(rules) - 60) // 6)
    for r in rules:
        flags = (9 if r.get("forbid") else 0) | (2 if "mask" in r else 0) | \
                (4 if r.get("restricted") else 0)
        out.append(flags)
        out.append(0 if "roles" not in r else 1 | (r["roles"] << 1))
        acts = r.get("actions", [])
        if not acts:
            out.append(0)
        else:
            out.append(1 if len(acts) == 1 else 2)
            out.append(ACTIONS.index(acts[0]))
            out.append(ACTIONS.index(acts[1] if len(acts) > 1 else acts[0]))
        if "cats" in r:
            out += [0, r["cats"]]
        else:
            out.append(1)
        if "fields" in r:
            out += [0, r["fields"]]
        else:
            out.append(1)
        out.append(0 if "purposes" not in r else 1 | (r["purposes"] << 1))
        out.append(MASKS.index(r.get("mask", "none")))
    return out


def request(role_bits, purpose, action, mode, fields=()):
    """mode: "store", "one", or "list" (up to 4 fields); purpose: an index (0xff: undeclared);
    fields: indices (one past the end: undeclared)."""
    m = {"store": 0, "one": 1}.get(mode, 2 + len(fields))
    return [role_bits, purpose, ACTIONS.index(action), m] + list(fields)


def write(name, data):
    with open(os.path.join("fuzz/corpus/fuzz_policy", name), "wb") as f:
        f.write(bytes(data))


# The README's shop: service (contract) and marketing (consent); support, marketing, dpo.
shop = spec(["contract", "consent"], 3,
            [("text", "identity", 1, "none"), ("email", "contact", 3, "none"),
             ("text", "contact", 1, "last4"), ("text", "sensitive", 1, "last4")],
            [dict(roles=1, actions=["read", "update"], cats=0b100011, purposes=1),
             dict(roles=1, actions=["manage_consent"]),
             dict(roles=2, actions=["read"], fields=0b10, purposes=2),
             dict(roles=4, actions=["read", "restrict"], restricted=True, mask="none"),
             dict(forbid=True, roles=2, cats=0b100000)])
write("shop", shop + request(1, 0, "read", "list", [0, 1, 2, 3]) +
      request(2, 1, "read", "list", [1, 3]) + request(2, 1, "read", "one", [1]) +
      request(4, 0, "restrict", "store") + request(1, 0, "manage_consent", "store") +
      request(0x71, 0, "read", "one", [0]) + request(1, 0xFF, "read", "one", [0]))
# Masks: two permits on one date field, the more restrictive wins; reads and exports only.
write("masks", spec(["contract"], 2, [("date", "identity", 1, "first_last"),
                                      ("text", "account", 1, "hash")],
                    [dict(roles=1, mask="year_only"), dict(roles=3, mask="last4"),
                     dict(actions=["export"])]) +
      request(1, 0, "read", "list", [0, 1]) + request(3, 0, "export", "list", [0, 1]) +
      request(2, 0, "update", "list", [0, 1]) + request(1, 0, "read", "list", [0, 0, 2]))
# No roles section: the rules' roles are the declared set; store-level rules.
write("roles_from_rules", spec(["legal_obligation", "consent"], 0,
                               [("integer", "transaction", 3, "redact")],
                               [dict(roles=1, actions=["manage_retention", "read_audit"]),
                                dict(roles=2, fields=1, actions=["backup"]),
                                dict(forbid=True, roles=1, purposes=2)]) +
      request(1, 0, "manage_retention", "store") + request(1, 1, "read_audit", "store") +
      request(2, 0, "backup", "store") + request(2, 0, "backup", "one", [0]) +
      request(3, 1, "read", "one", [0]) + request(4, 0, "read", "store"))
# Forbid wins whatever the order; purpose limitation; an empty field list; no role at all.
write("forbid_wins", spec(["contract", "public_task", "vital_interest"], 3,
                          [("text", "behavioral", 1, "none"), ("email", "contact", 6, "none")],
                          [dict(forbid=True, fields=1), dict(), dict(roles=1, restricted=True),
                           dict(forbid=True, actions=["erase"], purposes=4)]) +
      request(7, 0, "read", "list", [0, 1]) + request(1, 1, "erase", "list", [0, 1]) +
      request(1, 2, "erase", "list", [1]) + request(1, 0, "read", "list", []) +
      request(0x80, 0, "read", "one", [0]) + request(0xE1, 0, "read", "one", [1]))
# A forbid with a mask and an undeclared role (flags byte 0xfb: the rare fault): refused.
bad = spec(["contract"], 1, [("text", "identity", 1, "none")], [dict()])
bad[9] = 0xFB  # the rule's flags: forbid, mask, fault
write("refused_forbid_with_mask", bad)
# 90 rules, so the engine's rule bits span two 64-bit words: narrow forbids, then past the
# 64th rule a restricted permit for r1 and a permit for everyone that the forbids cut down.
many = [dict(forbid=True, roles=1, actions=[ACTIONS[i % 5]], fields=1 << (i % 3))
        for i in range(88)]
many += [dict(roles=2, restricted=True, mask="hash"), dict(mask="redact")]
write("many_rules", spec(["contract", "consent"], 2,
                         [("text", "identity", 3, "none"), ("date", "account", 1, "year_only"),
                          ("email", "contact", 2, "last4")], many) +
      request(1, 0, "read", "list", [0, 1, 2]) + request(2, 0, "read", "list", [0, 1]) +
      request(3, 1, "update", "list", [0, 2]) + request(2, 1, "erase", "one", [2]) +
      request(1, 0, "backup", "store"))
