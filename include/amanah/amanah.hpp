// amanah — one include for the whole public API.
#pragma once

#include <amanah/audit.hpp>
#include <amanah/backup.hpp>
#include <amanah/clock.hpp>
#include <amanah/consent.hpp>
#include <amanah/error.hpp>
#include <amanah/key_provider.hpp>
#include <amanah/manifest.hpp>
#include <amanah/policy.hpp>
#include <amanah/record.hpp>
#include <amanah/retention.hpp>
#include <amanah/secret.hpp>
#include <amanah/store.hpp>
#include <amanah/version.hpp>
