// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

/// The logging facade: syslog levels, one line per message on stderr with a
/// `<N>` prefix that journald understands (plain "prog: level: " when stderr
/// is a terminal). Logging never throws. Secrets must never be passed in.
namespace fleetreg::log {

/// syslog(3) priorities.
enum class level : int { emerg = 0, alert, crit, err, warning, notice, info, debug };

/// Sets the program name used on terminals ("fleetreg-subagent: ...").
void set_program(std::string_view name) noexcept;
/// Messages less important than `threshold` are dropped (default: info).
void set_threshold(level threshold) noexcept;
/// Enables debug topics: a comma-separated list, or "all"/"" for every topic.
/// Also lowers the threshold to debug.
void enable_debug(std::string_view topics) noexcept;
/// True when debug messages of `topic` are written.
bool debug_enabled(std::string_view topic) noexcept;

/// Writes one message (newlines and tabs inside are replaced by spaces,
/// other control bytes written as \xNN).
void write(level lvl, std::string_view message) noexcept;
inline void error(std::string_view m) noexcept { write(level::err, m); }
inline void warning(std::string_view m) noexcept { write(level::warning, m); }
inline void notice(std::string_view m) noexcept { write(level::notice, m); }
inline void info(std::string_view m) noexcept { write(level::info, m); }
/// Writes a debug message when `topic` is enabled.
void debug(std::string_view topic, std::string_view m) noexcept;

/// Quotes a value for a key=value log field when it holds spaces, quotes or
/// control characters; control characters are escaped. Never throws.
std::string quote(std::string_view value) noexcept;

}  // namespace fleetreg::log
