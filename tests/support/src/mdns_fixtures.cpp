// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/mdns_fixtures.hpp"

#include <net/if.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "fleetreg/mdns/browser.hpp"

namespace fleetreg::test {
namespace {

bool tcp_open(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

avahi_daemon::avahi_daemon(const temp_dir& dir, std::string host_name) : dir_(dir), host_name_(std::move(host_name)) {
  // The interfaces of this process's network namespace (netlink, not /sys,
  // which shows the namespace it was mounted in).
  std::unique_ptr<struct if_nameindex, void (*)(struct if_nameindex*)> ifs(::if_nameindex(), ::if_freenameindex);
  for (auto* i = ifs.get(); i && i->if_index != 0; ++i)
    if (std::string(i->if_name) != "lo")
      throw std::runtime_error(std::string("refusing to start avahi-daemon: interface ") + i->if_name +
                               " is in this network namespace (link the test with fleetreg_test_netns_main)");
  // The standard system bus path, on the netns main's private /run/dbus: libdbus
  // reads the bus address once per process, so every test uses this one.
  const std::string socket = "/run/dbus/system_bus_socket";
  ::unlink(socket.c_str());
  bus_ = "unix:path=" + socket;
  std::ofstream(dir_.file("dbus.conf"))
      << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
         "<busconfig>\n  <type>system</type>\n  <listen>"
      << bus_ << "</listen>\n  <auth>EXTERNAL</auth>\n"
      << "  <policy context=\"default\">\n    <allow user=\"*\"/>\n    <allow own=\"*\"/>\n"
         "    <allow send_destination=\"*\"/>\n    <allow receive_sender=\"*\"/>\n  </policy>\n</busconfig>\n";
  std::ofstream(dir_.file("avahi-daemon.conf"))
      << "[server]\nhost-name=" << host_name_ << "\ndomain-name=local\nuse-ipv4=yes\nuse-ipv6=no\n"
      << "allow-interfaces=lo\nratelimit-interval-usec=1000000\nratelimit-burst=1000\n"
      << "[wide-area]\nenable-wide-area=no\n[publish]\npublish-workstation=no\npublish-hinfo=no\n";
  dbus_ = std::make_unique<process>(
      std::vector<std::string>{"dbus-daemon", "--config-file=" + dir_.file("dbus.conf"), "--nofork", "--nopidfile"},
      dir_, "dbus-daemon");
  if (!wait_until([&] { return std::filesystem::exists(socket); }))
    throw std::runtime_error("dbus-daemon did not start: " + dbus_->log());
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_.c_str(), 1);
  start();
}

avahi_daemon::~avahi_daemon() {
  avahi_.reset();
  dbus_.reset();
}

void avahi_daemon::start() {
  avahi_.reset();
  avahi_ = std::make_unique<process>(std::vector<std::string>{"avahi-daemon", "--no-drop-root", "--no-chroot",
                                                              "--no-rlimits", "-f", dir_.file("avahi-daemon.conf")},
                                     dir_, "avahi-daemon",
                                     std::map<std::string, std::string>{{"DBUS_SYSTEM_BUS_ADDRESS", bus_}});
  if (!wait_until([&] { return avahi_->log().find("Server startup complete") != std::string::npos; }))
    throw std::runtime_error("avahi-daemon did not start: " + avahi_->log());
}

void avahi_daemon::stop() {
  if (avahi_) avahi_->stop();
}

std::string avahi_daemon::log() const { return avahi_ ? avahi_->log() : ""; }

ipp_printer::ipp_printer(const temp_dir& dir, settings s) : port_(free_port(false)) {
  const auto attrs = dir.file("ipp-" + std::to_string(port_) + ".conf");
  std::ofstream(attrs) << "ATTR text printer-make-and-model \"" << s.make << " " << s.model << "\"\n"
                       << "ATTR text printer-device-id \"MFG:" << s.make << ";MDL:" << s.model
                       << ";CMD:PDF;SN:" << s.serial << ";\"\n"
                       << "ATTR integer printer-impressions-completed " << s.impressions << "\n"
                       << "ATTR integer printer-impressions-completed-col " << s.impressions_color << "\n"
                       << "ATTR integer printer-media-sheets-completed " << s.sheets << "\n"
                       << "ATTR octetString printer-supply \"index=1;class=supplyThatIsConsumed;type=toner;"
                       << "unit=percent;maxcapacity=100;level=" << s.toner_percent << ";colorantname=black;\"\n"
                       << "ATTR textWithoutLanguage printer-supply-description \"Black Toner\"\n";
  std::filesystem::create_directories(dir.file("ipp-spool"));
  proc_ = std::make_unique<process>(
      std::vector<std::string>{"ippeveprinter", "-n", "localhost", "-p", std::to_string(port_), "-d",
                               dir.file("ipp-spool"), "-a", attrs, s.name},
      dir, "ippeveprinter-" + std::to_string(port_));
  if (!wait_until([&] { return tcp_open(port_); }))
    throw std::runtime_error("ippeveprinter did not start: " + proc_->log());
}

ipp_printer::~ipp_printer() = default;

std::string ipp_printer::uri() const { return "ipp://127.0.0.1:" + std::to_string(port_) + "/ipp/print"; }

bool wait_for_service(const std::string& type, const std::string& name, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        for (const auto& s : mdns::browse_once({type}, 3s))
          if (s.name == name) return true;
        return false;
      },
      timeout);
}

}  // namespace fleetreg::test
