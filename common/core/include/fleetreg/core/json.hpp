// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/reading.hpp"

/// The wire form of the data model (REST contract v1), shared by the center,
/// the collector and the terminal. Decoders validate and say why they refuse;
/// they never throw on bad input.
namespace fleetreg::json {

using value = nlohmann::json;

/// {"manufacturer","model","serial","uuid"?,"firmware"?}
value to_json(const identity& id);
std::optional<identity> identity_from(const value& v, std::string& why);

/// {"copy":{"impressions":N,...},...}; only known counters appear.
value to_json(const counter_set& c);
std::optional<counter_set> counters_from(const value& v, std::string& why);

/// {"index","type","class","unit","description","colorant","max_capacity","level"}
value to_json(const supply& s);
std::optional<supply> supply_from(const value& v, std::string& why);

/// {"id","terminal","taken_at","source","request_id"?,"counters","supplies"}
/// {"severity","group","code","source","description"?}
value to_json(const device_alert& a);
std::optional<device_alert> alert_from(const value& v, std::string& why);
/// The members of a reading beside its counters and supplies ("extras",
/// "provenance", "device_status", "alerts"; each optional) into `r`,
/// validated against the limits in reading.hpp; false with `why` otherwise.
bool reading_details_from(const value& v, reading& r, std::string& why);

value to_json(const reading& r);
std::optional<reading> reading_from(const value& v, std::string& why);

/// Parses text as JSON; nullopt (with why) on a syntax error. Never throws.
std::optional<value> parse(std::string_view text, std::string& why);

/// Reads an optional string member: absent gives "", a non-string is an error.
bool optional_string(const value& obj, const char* key, std::string& out, std::string& why, std::size_t max_length);

}  // namespace fleetreg::json
