// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/identity.hpp"

#include <gtest/gtest.h>

namespace fleetreg {
namespace {

TEST(Identity, ManufacturerAliasesMapToOneName) {
  EXPECT_EQ(normalize_manufacturer("HP"), "hp");
  EXPECT_EQ(normalize_manufacturer("Hewlett-Packard"), "hp");
  EXPECT_EQ(normalize_manufacturer("  HEWLETT  PACKARD "), "hp");
  EXPECT_EQ(normalize_manufacturer("HP Inc."), "hp");
  EXPECT_EQ(normalize_manufacturer("KONICA MINOLTA"), "konica minolta");
  EXPECT_EQ(normalize_manufacturer("Konica-Minolta"), "konica minolta");
  EXPECT_EQ(normalize_manufacturer("Kyocera Document Solutions Inc."), "kyocera");
  EXPECT_EQ(normalize_manufacturer("Ricoh Co., Ltd."), "ricoh");
  EXPECT_EQ(normalize_manufacturer("Canon Inc."), "canon");
  EXPECT_EQ(normalize_manufacturer("SEIKO EPSON CORPORATION"), "epson");
}

TEST(Identity, DifferentManufacturersStayDifferent) {
  EXPECT_NE(normalize_manufacturer("Canon"), normalize_manufacturer("Ricoh"));
  EXPECT_EQ(normalize_manufacturer(""), "");
}

TEST(Identity, KeyIsManufacturerAndSerial) {
  identity a{"Hewlett-Packard", "LaserJet M404", " cnb1234567 ", "", ""};
  identity b{"HP", "LaserJet Pro M404dn", "CNB1234567", "", ""};
  ASSERT_TRUE(terminal_key(a));
  EXPECT_EQ(*terminal_key(a), "hp:CNB1234567");
  EXPECT_EQ(terminal_key(a), terminal_key(b)) << "model is an attribute, not part of the key";
}

TEST(Identity, KeyFallsBackToUuid) {
  identity id{"Acme", "X1", "", "0F0E0D0C-0B0A-4908-8706-050403020100", ""};
  EXPECT_EQ(terminal_key(id), "urn:uuid:0f0e0d0c-0b0a-4908-8706-050403020100");
  id.uuid.clear();
  EXPECT_FALSE(terminal_key(id)) << "no serial and no UUID: not registrable";
}

TEST(Identity, ValidationRejectsOversizeAndControlCharacters) {
  identity ok{"Brother", "MFC-L8900CDW", "E78123", "", "1.2"};
  EXPECT_FALSE(validate(ok));
  identity long_serial = ok;
  long_serial.serial = std::string(65, 'A');
  EXPECT_TRUE(validate(long_serial));
  identity control = ok;
  control.model = "MFC\nL8900";
  EXPECT_TRUE(validate(control));
  identity bad_uuid = ok;
  bad_uuid.uuid = "not-a-uuid";
  EXPECT_TRUE(validate(bad_uuid));
  identity unicode = ok;
  unicode.model = "複合機 ＭＸ";
  EXPECT_FALSE(validate(unicode));
}

TEST(Identity, Utf8Validation) {
  EXPECT_TRUE(is_printable_utf8("Straße", 64));
  EXPECT_FALSE(is_printable_utf8("\xc3", 64)) << "truncated sequence";
  EXPECT_FALSE(is_printable_utf8("\xc0\xaf", 64)) << "overlong form";
  EXPECT_FALSE(is_printable_utf8("\xed\xa0\x80", 64)) << "surrogate";
  EXPECT_FALSE(is_printable_utf8("abc", 2)) << "size limit";
}

TEST(Identity, TruncateKeepsWholeCharacters) {
  EXPECT_EQ(truncate_utf8("Straße", 5), "Stra") << "ß is two bytes";
  EXPECT_EQ(truncate_utf8("Straße", 6), "Straß");
  EXPECT_EQ(truncate_utf8("Straße", 64), "Straße");
  EXPECT_EQ(truncate_utf8("\xe2\x82\xac", 2), "");
  EXPECT_EQ(truncate_utf8("abc", 0), "");
}

TEST(Identity, FitToLimits) {
  identity id;
  id.manufacturer = std::string(63, 'M').append("é");
  id.model = std::string(200, 'm');
  id.serial = "SN";
  id.firmware = std::string(65, 'f');
  id.uuid = "5C6B2F0E-9A3D-4E61-8F21-0D3C7A9B1E44";
  ASSERT_TRUE(validate(id));
  fit_to_limits(id);
  EXPECT_EQ(id.manufacturer, std::string(63, 'M'));
  EXPECT_EQ(id.model.size(), max_model_length);
  EXPECT_EQ(id.firmware.size(), max_firmware_length);
  EXPECT_EQ(id.uuid, "5c6b2f0e-9a3d-4e61-8f21-0d3c7a9b1e44");
  EXPECT_FALSE(validate(id));
  id.uuid = "urn:uuid:5c6b2f0e";
  fit_to_limits(id);
  EXPECT_EQ(id.uuid, "") << "not a UUID: unknown rather than refused";
}

TEST(Identity, DisplayNames) {
  EXPECT_EQ(display_manufacturer("hp"), "HP");
  EXPECT_EQ(display_manufacturer("konica minolta"), "Konica Minolta");
  EXPECT_EQ(display_manufacturer("sharp"), "Sharp");
}

}  // namespace
}  // namespace fleetreg
