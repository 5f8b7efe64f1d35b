// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/reload_signal.hpp"

#include <cerrno>
#include <system_error>

namespace fleetreg {
namespace {

// The instance the handler sets: written once, before it is installed.
reload_signal* process_reload = nullptr;

extern "C" void reload_signal_handler(int) {
  if (process_reload != nullptr) process_reload->request();
}

}  // namespace

reload_signal& reload_signal::on_hangup() {
  static reload_signal instance;
  static const bool installed = [] {
    process_reload = &instance;
    struct sigaction sa {};
    sa.sa_handler = reload_signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(SIGHUP, &sa, nullptr) != 0)
      throw std::system_error(errno, std::generic_category(), "cannot install the reload signal's handler");
    return true;
  }();
  (void)installed;
  return instance;
}

}  // namespace fleetreg
