// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <string>

#include "fleetreg/collector/collector.hpp"

/// What `fleetreg-collector discover` says while it works: a progress line
/// rewritten in place on a terminal, one summary line otherwise. Pure
/// functions: no clock, no I/O.
namespace fleetreg::collector {

/// The progress line of a step ("probed 12034/65534 addresses, 183 found,
/// 1570/s, ETA 0:34"), without carriage return or escape sequences. The rate
/// is done ÷ elapsed; the ETA (what is left at that rate) is "?" until a
/// rate is known, m:ss under an hour, h:mm:ss above. Never throws but bad_alloc.
std::string format_progress(const discovery_step& step, std::chrono::milliseconds elapsed);

/// The one-line summary of a finished step ("probed 65534 addresses in
/// 41.2 s (1590/s): 1000 answered"; "read 998 of 1000 devices in 12.0 s").
/// Never throws but bad_alloc.
std::string format_summary(const discovery_step& step, std::chrono::milliseconds elapsed);

}  // namespace fleetreg::collector
