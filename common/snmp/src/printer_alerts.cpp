// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/printer_alerts.hpp"

#include <algorithm>
#include <array>
#include <span>

namespace fleetreg::snmp {
namespace {

using namespace std::string_view_literals;

// One bit of hrPrinterDetectedErrorState: its name (the alert code), the
// PrtAlertGroupTC group it concerns, its severity, and the PrtAlertCodeTC
// codes of prtAlertTable rows that report the same condition.
struct error_bit {
  std::string_view code;
  std::string_view group;
  std::string_view severity;
  std::array<std::string_view, 3> same_as;
};

constexpr std::array<error_bit, 15> error_bits = {{
    {"lowPaper", "input", "warning", {"inputMediaSupplyLow"}},
    {"noPaper", "input", "critical", {"inputMediaSupplyEmpty"}},
    {"lowToner", "markerSupplies", "warning", {"markerTonerAlmostEmpty", "markerInkAlmostEmpty"}},
    {"noToner", "markerSupplies", "critical", {"markerTonerEmpty", "markerInkEmpty"}},
    {"doorOpen", "cover", "critical", {"doorOpen", "coverOpen", "interlockOpen"}},
    {"jammed", "mediaPath", "critical", {"jam"}},
    {"offline", "generalPrinter", "critical", {"subunitOffline"}},
    {"serviceRequested", "generalPrinter", "critical", {}},
    {"inputTrayMissing", "input", "warning", {"inputMediaTrayMissing"}},
    {"outputTrayMissing", "output", "warning", {"outputMediaTrayMissing"}},
    {"markerSupplyMissing", "markerSupplies", "critical", {"markerTonerCartridgeMissing"}},
    {"outputNearFull", "output", "warning", {"outputMediaTrayAlmostFull"}},
    {"outputFull", "output", "critical", {"outputMediaTrayFull"}},
    {"inputTrayEmpty", "input", "warning", {"inputMediaSupplyEmpty"}},
    {"overduePreventMaint", "generalPrinter", "warning", {}},
}};

struct named {
  std::int64_t value;
  std::string_view name;
};

// IANA-PRINTER-MIB PrtAlertGroupTC.
constexpr std::array<named, 22> groups = {{
    {1, "other"},
    {2, "unknown"},
    {3, "hostResourcesMIBStorageTable"},
    {4, "hostResourcesMIBDeviceTable"},
    {5, "generalPrinter"},
    {6, "cover"},
    {7, "localization"},
    {8, "input"},
    {9, "output"},
    {10, "marker"},
    {11, "markerSupplies"},
    {12, "markerColorant"},
    {13, "mediaPath"},
    {14, "channel"},
    {15, "interpreter"},
    {16, "consoleDisplayBuffer"},
    {17, "consoleLights"},
    {18, "alert"},
    {30, "finDevice"},
    {31, "finSupply"},
    {32, "finSupplyMediaInput"},
    {33, "finAttribute"},
}};

// IANA-PRINTER-MIB PrtAlertCodeTC: the general and printer codes (the
// finisher codes 30203… become "code-<n>").
constexpr std::array<named, 98> codes = {{
    {1, "other"},
    {2, "unknown"},
    {3, "coverOpen"},
    {4, "coverClosed"},
    {5, "interlockOpen"},
    {6, "interlockClosed"},
    {7, "configurationChange"},
    {8, "jam"},
    {9, "subunitMissing"},
    {10, "subunitLifeAlmostOver"},
    {11, "subunitLifeOver"},
    {12, "subunitAlmostEmpty"},
    {13, "subunitEmpty"},
    {14, "subunitAlmostFull"},
    {15, "subunitFull"},
    {16, "subunitNearLimit"},
    {17, "subunitAtLimit"},
    {18, "subunitOpened"},
    {19, "subunitClosed"},
    {20, "subunitTurnedOn"},
    {21, "subunitTurnedOff"},
    {22, "subunitOffline"},
    {23, "subunitPowerSaver"},
    {24, "subunitWarmingUp"},
    {25, "subunitAdded"},
    {26, "subunitRemoved"},
    {27, "subunitResourceAdded"},
    {28, "subunitResourceRemoved"},
    {29, "subunitRecoverableFailure"},
    {30, "subunitUnrecoverableFailure"},
    {31, "subunitRecoverableStorageError"},
    {32, "subunitUnrecoverableStorageError"},
    {33, "subunitMotorFailure"},
    {34, "subunitMemoryExhausted"},
    {35, "subunitUnderTemperature"},
    {36, "subunitOverTemperature"},
    {37, "subunitTimingFailure"},
    {38, "subunitThermistorFailure"},
    {501, "doorOpen"},
    {502, "doorClosed"},
    {503, "powerUp"},
    {504, "powerDown"},
    {505, "printerNMSReset"},
    {506, "printerManualReset"},
    {507, "printerReadyToPrint"},
    {801, "inputMediaTrayMissing"},
    {802, "inputMediaSizeChange"},
    {803, "inputMediaWeightChange"},
    {804, "inputMediaTypeChange"},
    {805, "inputMediaColorChange"},
    {806, "inputMediaFormPartsChange"},
    {807, "inputMediaSupplyLow"},
    {808, "inputMediaSupplyEmpty"},
    {809, "inputMediaChangeRequest"},
    {810, "inputManualInputRequest"},
    {811, "inputTrayPositionFailure"},
    {812, "inputTrayElevationFailure"},
    {813, "inputCannotFeedSizeSelected"},
    {901, "outputMediaTrayMissing"},
    {902, "outputMediaTrayAlmostFull"},
    {903, "outputMediaTrayFull"},
    {904, "outputMailboxSelectFailure"},
    {1001, "markerFuserUnderTemperature"},
    {1002, "markerFuserOverTemperature"},
    {1003, "markerFuserTimingFailure"},
    {1004, "markerFuserThermistorFailure"},
    {1005, "markerAdjustingPrintQuality"},
    {1101, "markerTonerEmpty"},
    {1102, "markerInkEmpty"},
    {1103, "markerPrintRibbonEmpty"},
    {1104, "markerTonerAlmostEmpty"},
    {1105, "markerInkAlmostEmpty"},
    {1106, "markerPrintRibbonAlmostEmpty"},
    {1107, "markerWasteTonerReceptacleAlmostFull"},
    {1108, "markerWasteInkReceptacleAlmostFull"},
    {1109, "markerWasteTonerReceptacleFull"},
    {1110, "markerWasteInkReceptacleFull"},
    {1111, "markerOpcLifeAlmostOver"},
    {1112, "markerOpcLifeOver"},
    {1113, "markerDeveloperAlmostEmpty"},
    {1114, "markerDeveloperEmpty"},
    {1115, "markerTonerCartridgeMissing"},
    {1301, "mediaPathMediaTrayMissing"},
    {1302, "mediaPathMediaTrayAlmostFull"},
    {1303, "mediaPathMediaTrayFull"},
    {1304, "mediaPathCannotDuplexMediaSelected"},
    {1501, "interpreterMemoryIncrease"},
    {1502, "interpreterMemoryDecrease"},
    {1503, "interpreterCartridgeAdded"},
    {1504, "interpreterCartridgeDeleted"},
    {1505, "interpreterResourceAdded"},
    {1506, "interpreterResourceDeleted"},
    {1507, "interpreterResourceUnavailable"},
    {1509, "interpreterComplexPageEncountered"},
    {1801, "alertRemovalOfBinaryChangeEntry"},
}};

std::string name_or(std::span<const named> table, std::int64_t v, std::string_view prefix) {
  for (const auto& n : table)
    if (n.value == v) return std::string(n.name);
  if (v < 0 || v > 2147483647) return "other";
  return std::string(prefix) + std::to_string(v);
}

int rank(std::string_view severity) {
  if (severity == "critical") return 0;
  if (severity == "warning") return 1;
  return 2;
}

}  // namespace

std::vector<device_alert> decode_error_state(std::string_view octets) {
  std::vector<device_alert> out;
  for (std::size_t bit = 0; bit < error_bits.size(); ++bit) {
    const auto octet = bit / 8;
    if (octet >= octets.size()) break;
    const auto mask = static_cast<unsigned char>(0x80u >> (bit % 8));
    if ((static_cast<unsigned char>(octets[octet]) & mask) == 0) continue;
    const auto& b = error_bits[bit];
    out.push_back(
        {std::string(b.severity), std::string(b.group), std::string(b.code), {}, "hrPrinterDetectedErrorState"});
  }
  return out;
}

std::string alert_severity_name(std::int64_t severity) {
  if (severity == 3) return "critical";
  if (severity == 4 || severity == 5) return "warning";
  return "info";
}

std::string alert_group_name(std::int64_t group) { return name_or(groups, group, "group-"); }

std::string alert_code_name(std::int64_t code) { return name_or(codes, code, "code-"); }

std::vector<device_alert> combine_alerts(std::vector<device_alert> table, std::vector<device_alert> state) {
  std::vector<device_alert> all;
  auto add = [&](device_alert&& a) {
    if (std::find(all.begin(), all.end(), a) == all.end()) all.push_back(std::move(a));
  };
  for (auto& a : table) add(std::move(a));
  for (auto& a : state) {
    const auto bit =
        std::find_if(error_bits.begin(), error_bits.end(), [&](const error_bit& b) { return b.code == a.code; });
    const bool reported = bit != error_bits.end() && std::any_of(all.begin(), all.end(), [&](const device_alert& t) {
                            return t.source != a.source &&
                                   std::find(bit->same_as.begin(), bit->same_as.end(), t.code) != bit->same_as.end() &&
                                   !t.code.empty();
                          });
    if (!reported) add(std::move(a));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const device_alert& x, const device_alert& y) { return rank(x.severity) < rank(y.severity); });
  if (all.size() > max_alerts) all.resize(max_alerts);
  return all;
}

}  // namespace fleetreg::snmp
