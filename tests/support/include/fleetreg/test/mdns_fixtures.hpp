// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fleetreg/test/harness.hpp"

/// Real mDNS for integration tests, only inside the private network namespace
/// of a test binary linked with the netns main: a private D-Bus system bus,
/// avahi-daemon on loopback, an IPP printer (ippeveprinter).
namespace fleetreg::test {

/// A private dbus-daemon (system bus type, at /run/dbus/system_bus_socket of
/// the test's private mount namespace) and avahi-daemon
/// (--no-drop-root --no-chroot, allow-interfaces=lo). Sets
/// DBUS_SYSTEM_BUS_ADDRESS in this process, so clients here and every
/// program started afterwards use it. Refuses to start when the namespace
/// has an interface other than lo (mDNS would leave the machine).
class avahi_daemon {
 public:
  explicit avahi_daemon(const temp_dir& dir, std::string host_name = "collector-host");
  ~avahi_daemon();
  /// Starts (again) avahi-daemon and waits until its server is up.
  void start();
  void stop();
  const std::string& bus_address() const { return bus_; }
  std::string log() const;

 private:
  const temp_dir& dir_;
  std::string host_name_;
  std::string bus_;
  std::unique_ptr<process> dbus_;
  std::unique_ptr<process> avahi_;
};

/// ippeveprinter (a real IPP Everywhere printer) on 127.0.0.1, announced
/// over mDNS, with identity and counters from an attributes file.
class ipp_printer {
 public:
  struct settings {
    std::string name = "Front Desk Printer";
    std::string make = "Acme";
    std::string model = "LaserFast 9000";
    std::string serial = "IPP-0042";
    std::uint64_t impressions = 1234;
    std::uint64_t impressions_color = 200;
    std::uint64_t sheets = 1000;
    int toner_percent = 42;
  };
  ipp_printer(const temp_dir& dir, settings s);
  ~ipp_printer();
  std::string uri() const;
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  std::unique_ptr<process> proc_;
};

/// Waits until a one-shot browse sees an instance `name` of `type`.
bool wait_for_service(const std::string& type, const std::string& name, std::chrono::milliseconds timeout = 30s);

}  // namespace fleetreg::test
