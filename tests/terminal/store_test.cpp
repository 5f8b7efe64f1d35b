// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/files.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/rest_client/outbox.hpp"
#include "fleetreg/terminal/report.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::terminal {
namespace {

identity sample_identity() { return {"Ricoh", "IM C3000", "3101R000123", "", "2.04"}; }

class StoreTest : public ::testing::Test {
 protected:
  // A terminal registered in terminal mode, as `run` leaves it: site, last
  // report, credential file, and `readings` readings waiting in the outbox.
  void make_registered(store& st, int readings) {
    ASSERT_TRUE(
        st.set_registration_inputs(std::string("https://center.example/"), provisional_code::generate()).done());
    ASSERT_TRUE(st.begin_registration(false));
    st.registration_succeeded("site-1");
    st.set_last_report();
    write_private_file(credential(), "frc1_secret\n");
    sqlite::database db(st.path(), sqlite::open_mode::read_write);
    rest_client::outbox box(db, clock);
    for (int i = 0; i < readings; ++i)
      box.add(make_reading("ricoh:3101R000123", clock.now(), reading_source::terminal));
  }
  std::int64_t outbox_size(store& st) {
    sqlite::database db(st.path(), sqlite::open_mode::read_write);
    return rest_client::outbox(db, clock).backlog().first;
  }
  std::string credential() const { return state + "/" + credential_file_name; }

  test::temp_dir dir;
  std::string state = dir.file("state");
  manual_clock clock{from_unix(1795622885)};
};

TEST_F(StoreTest, CreateThenLoad) {
  store::create(state, sample_identity(), true, 80, clock);
  store st(state, clock);
  const auto t = st.load();
  EXPECT_EQ(t.id, sample_identity());
  EXPECT_EQ(t.counters.get(service::copy, counter_kind::impressions), 0u);
  ASSERT_EQ(t.supplies.size(), 6u);
  EXPECT_EQ(t.supplies[0].percent(), 80);
  EXPECT_EQ(t.status.state, device_state::idle);
  EXPECT_EQ(t.registration.state, registration_state::unregistered);
}

TEST_F(StoreTest, FilesAreOwnerOnly) {
  store::create(state, sample_identity(), false, 100, clock);
  struct stat d {
  }, f{};
  ASSERT_EQ(::stat(state.c_str(), &d), 0);
  ASSERT_EQ(::stat((state + "/terminal.db").c_str(), &f), 0);
  EXPECT_EQ(d.st_mode & 0777, 0700u);
  EXPECT_EQ(f.st_mode & 0777, 0600u);
}

TEST_F(StoreTest, RefusesSecondCreateAndBadIdentity) {
  store::create(state, sample_identity(), false, 100, clock);
  EXPECT_THROW(store::create(state, sample_identity(), false, 100, clock), error);
  auto no_serial = sample_identity();
  no_serial.serial.clear();
  EXPECT_THROW(store::create(dir.file("other"), no_serial, false, 100, clock), error);
  EXPECT_THROW(store(dir.file("nothing-here"), clock), error);
}

TEST_F(StoreTest, JobsPersistAcrossConnections) {
  store::create(state, sample_identity(), true, 100, clock);
  {
    store st(state, clock);
    st.apply_job({service::copy, 5, false, false});
    st.apply_job({service::print, 3, true, true});
  }
  store again(state, clock);
  const auto t = again.load();
  EXPECT_EQ(t.counters.get(service::copy, counter_kind::sheets), 5u);
  EXPECT_EQ(t.counters.get(service::print, counter_kind::impressions_color), 6u);
  EXPECT_EQ(t.counters.get(service::total, counter_kind::impressions), 11u);
  EXPECT_EQ(t.supplies[0].level, 20000 - 11);
}

TEST_F(StoreTest, InvalidJobChangesNothing) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  const auto before = st.load();
  EXPECT_THROW(st.apply_job({service::copy, 1, true, false}), error);
  EXPECT_EQ(st.load().counters, before.counters);
}

TEST_F(StoreTest, DataVersionChangesOnOtherWriters) {
  store::create(state, sample_identity(), false, 100, clock);
  store reader(state, clock), writer(state, clock);
  const auto v = reader.data_version();
  writer.apply_job({service::scan, 1, false, false});
  EXPECT_NE(reader.data_version(), v);
}

TEST_F(StoreTest, RegistrationInputsAndUndo) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  const auto code = provisional_code::generate();
  std::string lower;
  for (char c : code) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto change = st.set_registration_inputs(std::string("https://center.example/"), lower);
  ASSERT_TRUE(change.done()) << change.refused;
  EXPECT_EQ(change.before.state, registration_state::unregistered);
  auto t = st.load();
  EXPECT_EQ(t.registration.state, registration_state::pending);
  EXPECT_TRUE(t.registration.code_pending);
  EXPECT_EQ(t.registration.center_url, "https://center.example/");
  EXPECT_EQ(st.registration_inputs_now().pending_code, code) << "stored in canonical form";
  st.restore_registration(change.before);
  t = st.load();
  EXPECT_EQ(t.registration.state, registration_state::unregistered);
  EXPECT_FALSE(t.registration.code_pending);
  EXPECT_EQ(t.registration.center_url, "");
}

TEST_F(StoreTest, StatusAndRefill) {
  store::create(state, sample_identity(), false, 10, clock);
  store st(state, clock);
  st.set_status(device_state::error, "Paper jam in tray 2");
  EXPECT_THROW(st.set_status(device_state::error, std::string(300, 'x')), error);
  st.refill(false);
  const auto t = st.load();
  EXPECT_EQ(t.status.state, device_state::error);
  EXPECT_EQ(t.status.message, "Paper jam in tray 2");
  EXPECT_EQ(t.supplies[0].percent(), 100);
}

TEST_F(StoreTest, TerminalModeRegistrationStates) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  EXPECT_FALSE(st.begin_registration(true)) << "nothing pending";
  const auto code = provisional_code::generate();
  st.set_registration_inputs(std::string("https://center.example/"), code);
  const auto first = st.begin_registration(false);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->code, provisional_code::normalize(code));
  EXPECT_EQ(st.load().registration.state, registration_state::registering);
  EXPECT_FALSE(st.begin_registration(false)) << "already in progress";
  // Not reachable: pending again, the same key for the retry.
  st.registration_failed("cannot reach the center", false);
  EXPECT_EQ(st.load().registration.state, registration_state::pending);
  EXPECT_EQ(st.load().registration.last_error, "cannot reach the center");
  const auto second = st.begin_registration(false);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->idempotency_key, first->idempotency_key);
  // A crash in `registering`: resumed once, with that key again.
  store after_crash(state, clock);
  const auto resumed = after_crash.begin_registration(true);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->idempotency_key, first->idempotency_key);
  st.registration_succeeded("site-1");
  auto t = st.load();
  EXPECT_EQ(t.registration.state, registration_state::registered);
  EXPECT_EQ(t.registration.site_id, "site-1");
  EXPECT_FALSE(t.registration.code_pending) << "the code is dropped once used";
  EXPECT_EQ(t.registration.last_error, "");
  clock.advance(std::chrono::seconds(5));
  st.set_last_report();
  EXPECT_EQ(st.load().registration.last_report, clock.now());
  st.set_revoked("credential revoked (unauthorized)");
  EXPECT_EQ(st.load().registration.state, registration_state::revoked);
  // A revoked terminal takes no code until it is unregistered.
  EXPECT_FALSE(st.set_registration_inputs(std::nullopt, provisional_code::generate()).done());
  EXPECT_EQ(st.load().registration.state, registration_state::revoked);
  ASSERT_TRUE(st.unregister().done());
  // A refused code: failed, the reason kept, the code dropped.
  ASSERT_TRUE(st.set_registration_inputs(std::nullopt, provisional_code::generate()).done());
  ASSERT_TRUE(st.begin_registration(false));
  st.registration_failed("the center refused the registration: unknown code", true);
  t = st.load();
  EXPECT_EQ(t.registration.state, registration_state::failed);
  EXPECT_FALSE(t.registration.code_pending);
  EXPECT_EQ(t.registration.last_error_time, clock.now());
  st.set_revoked("x");
  EXPECT_EQ(st.load().registration.state, registration_state::failed) << "only a registered terminal is revoked";
}

// Issue 14 item 7: a registered terminal keeps its center and state whatever
// URL or code is written; nothing changes until it is unregistered.
TEST_F(StoreTest, RegisteredTerminalRefusesANewCenterOrCode) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  make_registered(st, 1);
  const auto url = st.set_registration_inputs(std::string("https://attacker.example/"), std::nullopt);
  EXPECT_FALSE(url.done());
  EXPECT_NE(url.refused.find("registered"), std::string::npos) << url.refused;
  const auto code = st.set_registration_inputs(std::nullopt, provisional_code::generate());
  EXPECT_FALSE(code.done());
  const auto both = st.set_registration_inputs(std::string(""), provisional_code::generate());
  EXPECT_FALSE(both.done());
  const auto t = st.load();
  EXPECT_EQ(t.registration.state, registration_state::registered);
  EXPECT_EQ(t.registration.center_url, "https://center.example/");
  EXPECT_EQ(t.registration.site_id, "site-1");
  EXPECT_FALSE(t.registration.code_pending);
  EXPECT_EQ(outbox_size(st), 1);
  EXPECT_TRUE(std::filesystem::exists(credential()));
}

TEST_F(StoreTest, NothingIsWrittenWhileRegistering) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  ASSERT_TRUE(st.set_registration_inputs(std::string("https://center.example/"), provisional_code::generate()).done());
  const auto attempt = st.begin_registration(false);
  ASSERT_TRUE(attempt);
  EXPECT_FALSE(st.set_registration_inputs(std::string("https://other.example/"), std::nullopt).done());
  EXPECT_FALSE(st.set_registration_inputs(std::nullopt, provisional_code::generate()).done());
  const auto un = st.unregister();
  EXPECT_FALSE(un.done());
  EXPECT_NE(un.refused.find("in progress"), std::string::npos) << un.refused;
  EXPECT_EQ(st.load().registration.state, registration_state::registering);
  EXPECT_EQ(st.registration_inputs_now().pending_code, attempt->code);
}

TEST_F(StoreTest, PendingAndFailedTakeANewCenterAndCode) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  ASSERT_TRUE(st.set_registration_inputs(std::string("https://typo.example/"), provisional_code::generate()).done());
  const auto first = st.begin_registration(false);
  ASSERT_TRUE(first);
  st.registration_failed("cannot reach the center", false);
  // Pending (nothing registered yet): the serviceperson may correct both; a
  // new code gets a new Idempotency-Key.
  ASSERT_TRUE(st.set_registration_inputs(std::string("https://center.example/"), provisional_code::generate()).done());
  const auto second = st.begin_registration(false);
  ASSERT_TRUE(second);
  EXPECT_NE(second->idempotency_key, first->idempotency_key);
  EXPECT_EQ(second->center_url, "https://center.example/");
  st.registration_failed("the center refused the registration: unknown code", true);
  EXPECT_TRUE(st.set_registration_inputs(std::nullopt, provisional_code::generate()).done()) << "failed takes a code";
  EXPECT_EQ(st.load().registration.state, registration_state::pending);
}

TEST_F(StoreTest, UnregisterThenForgetTheCredentialAndUnsentReadings) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  make_registered(st, 3);
  const auto un = st.unregister();
  ASSERT_TRUE(un.done()) << un.refused;
  EXPECT_EQ(un.before.state, registration_state::registered);
  EXPECT_EQ(un.before.site_id, "site-1");
  auto t = st.load();
  EXPECT_EQ(t.registration.state, registration_state::unregistered);
  EXPECT_EQ(t.registration.site_id, "");
  EXPECT_FALSE(t.registration.last_report);
  EXPECT_EQ(t.registration.center_url, "https://center.example/") << "kept: a code alone registers there again";
  // Step one is undoable: nothing is forgotten yet.
  EXPECT_TRUE(std::filesystem::exists(credential()));
  EXPECT_EQ(outbox_size(st), 3);
  const auto forgotten = st.forget_registration();
  ASSERT_TRUE(forgotten);
  EXPECT_EQ(forgotten->readings_dropped, 3);
  EXPECT_TRUE(forgotten->credential_removed);
  EXPECT_FALSE(std::filesystem::exists(credential()));
  EXPECT_EQ(outbox_size(st), 0);
  // Unregistered: a new center and code are taken.
  ASSERT_TRUE(st.set_registration_inputs(std::string("https://new.example/"), provisional_code::generate()).done());
  EXPECT_EQ(st.load().registration.state, registration_state::pending);
  // Unregistering an unregistered terminal is allowed and forgets nothing more.
  EXPECT_TRUE(st.unregister().done());
  const auto again = st.forget_registration();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->readings_dropped, 0);
  EXPECT_FALSE(again->credential_removed);
}

TEST_F(StoreTest, AnUndoneUnregisterRestoresTheRegistration) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  make_registered(st, 1);
  const auto before = st.load().registration;
  const auto un = st.unregister();
  ASSERT_TRUE(un.done());
  st.restore_registration(un.before);
  const auto after = st.load().registration;
  EXPECT_EQ(after.state, registration_state::registered);
  EXPECT_EQ(after.site_id, before.site_id);
  EXPECT_EQ(after.last_report, before.last_report);
  EXPECT_EQ(after.center_url, before.center_url);
  // A registration in effect again: forgetting touches nothing.
  EXPECT_FALSE(st.forget_registration());
  EXPECT_TRUE(std::filesystem::exists(credential()));
  EXPECT_EQ(outbox_size(st), 1);
}

TEST_F(StoreTest, ANewRegistrationStartsWithAnEmptyOutbox) {
  store::create(state, sample_identity(), false, 100, clock);
  store st(state, clock);
  make_registered(st, 2);
  // As a crash between an unregister's two steps leaves it.
  ASSERT_TRUE(st.unregister().done());
  ASSERT_TRUE(st.set_registration_inputs(std::nullopt, provisional_code::generate()).done());
  ASSERT_TRUE(st.begin_registration(false));
  EXPECT_EQ(st.registration_succeeded("site-2"), 2);
  EXPECT_EQ(outbox_size(st), 0);
}

TEST_F(StoreTest, SchemaVersion1IsMigrated) {
  store::create(state, sample_identity(), false, 100, clock);
  {
    // Back to what version 1 had.
    sqlite::database db(state + "/terminal.db", sqlite::open_mode::read_write);
    db.exec("ALTER TABLE registration DROP COLUMN idempotency_key");
    for (const char* c : {"sys_object_id", "sys_descr", "sys_name", "sys_contact", "sys_location"})
      db.exec(std::string("ALTER TABLE identity DROP COLUMN ") + c);
    db.exec("PRAGMA user_version = 1");
  }
  store st(state, clock);
  st.set_registration_inputs(std::string("https://center.example/"), provisional_code::generate());
  EXPECT_TRUE(st.begin_registration(false));
  sqlite::database db(state + "/terminal.db", sqlite::open_mode::read_write);
  sqlite::statement v(db, "PRAGMA user_version");
  ASSERT_TRUE(v.step());
  EXPECT_EQ(v.column_int(0), 3);
}

TEST_F(StoreTest, SystemGroupIsStoredAndChanged) {
  system_info sys;
  sys.sys_object_id = ".1.3.6.1.4.1.367.1.1";
  sys.sys_location = "2nd floor, copy room";
  store::create(state, sample_identity(), sys, false, 100, clock);
  store st(state, clock);
  auto t = st.load();
  EXPECT_EQ(t.system.sys_object_id, "1.3.6.1.4.1.367.1.1") << "stored without the leading dot";
  EXPECT_EQ(t.system.sys_location, "2nd floor, copy room");
  EXPECT_EQ(t.system.sys_descr, "");
  EXPECT_EQ(t.id, sample_identity());

  sys.sys_contact = "IT desk, ext. 214";
  sys.sys_object_id = "1.3.6.1.4.1.367.1.1.2";
  st.set_system_info(sys);
  t = st.load();
  EXPECT_EQ(t.system.sys_contact, "IT desk, ext. 214");
  EXPECT_EQ(t.system.sys_object_id, "1.3.6.1.4.1.367.1.1.2");

  sys.sys_object_id = "1.3.6.1.2.1.1";  // not under enterprises
  EXPECT_THROW(st.set_system_info(sys), error);
  EXPECT_EQ(st.load().system.sys_object_id, "1.3.6.1.4.1.367.1.1.2") << "a refused change writes nothing";
  system_info bad;
  bad.sys_name = "two\nlines";
  EXPECT_THROW(store::create(dir.file("other"), sample_identity(), bad, false, 100, clock), error);
  EXPECT_FALSE(std::filesystem::exists(dir.file("other") + "/terminal.db"));
}

TEST_F(StoreTest, SchemaVersion2IsMigrated) {
  store::create(state, sample_identity(), false, 100, clock);
  {
    // Back to what version 2 had: the identity without the system group.
    sqlite::database db(state + "/terminal.db", sqlite::open_mode::read_write);
    for (const char* c : {"sys_object_id", "sys_descr", "sys_name", "sys_contact", "sys_location"})
      db.exec(std::string("ALTER TABLE identity DROP COLUMN ") + c);
    db.exec("PRAGMA user_version = 2");
  }
  store st(state, clock);
  EXPECT_EQ(st.load().system, system_info{});
  EXPECT_EQ(st.load().id, sample_identity());
  system_info sys;
  sys.sys_object_id = "1.3.6.1.4.1.367.1.1";
  st.set_system_info(sys);
  EXPECT_EQ(st.load().system.sys_object_id, "1.3.6.1.4.1.367.1.1");
}

TEST(SystemGroup, SysObjectIdValidation) {
  for (const char* good :
       {"1.3.6.1.4.1.367.1.1", ".1.3.6.1.4.1.18334.1.1.1.2.1.45", "1.3.6.1.4.1.11.2.3.9.1", "1.3.6.1.4.1.4294967295.0"})
    EXPECT_EQ(validate_sys_object_id(good), std::nullopt) << good;
  for (const char* bad : {"", ".", "1.3.6.1.4.1", "1.3.6.1.4.1.367", "1.3.6.1.2.1.25.3.1.5", "1.3.6.1.4.1..1",
                          "1.3.6.1.4.1.367.1.", "1.3.6.1.4.1.367.x", "1.3.6.1.4.1.367.-1", "1.3.6.1.4.1.4294967296.1",
                          "1.3.6.1.4.1.367.01", "iso.3.6.1.4.1.367.1.1", " 1.3.6.1.4.1.367.1.1"})
    EXPECT_NE(validate_sys_object_id(bad), std::nullopt) << bad;
  std::string deep = "1.3.6.1.4.1.367";
  for (int i = 0; i < 130; ++i) deep += ".1";
  EXPECT_NE(validate_sys_object_id(deep), std::nullopt) << "at most 128 arcs (and 255 characters)";

  system_info s;
  EXPECT_EQ(validate(s), std::nullopt) << "everything empty: snmpd's defaults";
  s.sys_descr = std::string(256, 'x');
  EXPECT_NE(validate(s), std::nullopt);
  s.sys_descr = "RICOH IM C3000 ";
  EXPECT_NE(validate(s), std::nullopt) << "snmpd.conf would drop the trailing blank";
  s.sys_descr = "RICOH IM C3000";
  s.sys_location = "Raum 2.14, Müller Büro";
  EXPECT_EQ(validate(s), std::nullopt);
}

TEST(SystemGroup, SnmpdSnippetServesTheIdentity) {
  terminal_state t;
  t.id = sample_identity();
  EXPECT_EQ(sys_descr_of(t), "Ricoh IM C3000; firmware 2.04");
  EXPECT_EQ(sys_name_of(t), "Ricoh-3101R000123");
  auto text = format_snmpd_identity(t);
  EXPECT_EQ(text.find("\nsysObjectID"), std::string::npos) << "none recorded: snmpd keeps its own";
  EXPECT_NE(text.find("\nsysDescr Ricoh IM C3000; firmware 2.04\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsysName Ricoh-3101R000123\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("sysContact"), std::string::npos);

  t.system = {"1.3.6.1.4.1.367.1.1", "RICOH IM C3000 2.04 / RICOH Network Printer C model", "rnp3101", "IT desk",
              "Floor 2"};
  text = format_snmpd_identity(t);
  EXPECT_NE(text.find("\nsysObjectID .1.3.6.1.4.1.367.1.1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsysDescr RICOH IM C3000 2.04 / RICOH Network Printer C model\n"), std::string::npos);
  EXPECT_NE(text.find("\nsysName rnp3101\n"), std::string::npos);
  EXPECT_NE(text.find("\nsysContact IT desk\n"), std::string::npos);
  EXPECT_NE(text.find("\nsysLocation Floor 2\n"), std::string::npos);
  // Every line is a comment or one directive.
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "ends with a newline";
    const auto line = text.substr(start, end - start);
    EXPECT_TRUE(line.starts_with("#") || line.starts_with("sys")) << line;
    start = end + 1;
  }
}

TEST(RegistrationInput, Validation) {
  EXPECT_FALSE(validate_center_url("https://center.example.com:8443/"));
  EXPECT_FALSE(validate_center_url("http://127.0.0.1:8080"));
  EXPECT_TRUE(validate_center_url("ftp://x"));
  EXPECT_TRUE(validate_center_url("https://"));
  EXPECT_TRUE(validate_center_url("https://a b"));
  EXPECT_TRUE(validate_center_url("https://" + std::string(250, 'a')));
  const auto code = provisional_code::generate();
  EXPECT_FALSE(validate_code(code));
  auto typo = code;
  typo[0] = typo[0] == '7' ? '8' : '7';
  ASSERT_TRUE(validate_code(typo));
  EXPECT_NE(validate_code(typo)->find("typing error"), std::string::npos);
  EXPECT_TRUE(validate_code(""));
  EXPECT_TRUE(validate_code("ABC DEF"));
  EXPECT_TRUE(validate_code(std::string(33, 'A')));
}

}  // namespace
}  // namespace fleetreg::terminal
